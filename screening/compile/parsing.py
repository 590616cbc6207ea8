"""The Earley parser over the lexer's tokens: grammars/criteria.lark with its predictions filtered by the next
token, and parse trees reused for every sentence with the same sequence of token types.
"""
from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any

from lark import Lark, Token, Tree
from lark.exceptions import LarkError
from lark.lexer import Lexer
from lark.parsers.grammar_analysis import calculate_sets



class _Lookahead(threading.local):
    """The type of the token the Earley parser reads next (None: unknown or past the end)."""
    type: str | None = None


_NEXT = _Lookahead()
_END = "$END"  # the lookahead past the last token: only rules that can derive nothing may be predicted there


class _TokenListLexer(Lexer):
    """Feeds lark the tokens ``screening.lexer.tokenize`` already made, noting each as the lookahead."""

    def __init__(self, lexer_conf: Any) -> None:
        pass

    def lex(self, data: Any) -> Any:  # type: ignore[override]
        for tok in data:
            _NEXT.type = tok.type
            yield tok
        _NEXT.type = _END


class _LookaheadPredictions(dict):  # type: ignore[type-arg]
    """Earley predicts, for a nonterminal, every rule reachable from it: with a grammar this size, thousands
    of items per position, nearly all of which die at the next token. A rule that cannot begin with the next
    token's type (its FIRST set) and cannot derive nothing never completes, so leaving it out changes no parse;
    the parser only gets the rules that can. (Lark reads ``predictions[nonterminal]``; the lexer above sets
    the lookahead before each position is predicted.)"""

    def __init__(self, predictions: dict[Any, list[Any]], first: dict[Any, set[Any]], nullable: set[Any]) -> None:
        super().__init__(predictions)
        self._starts = {rule: _rule_first(rule, first, nullable) for rules in predictions.values() for rule in rules}
        self._by_lookahead: dict[tuple[Any, str], list[Any]] = {}

    def __getitem__(self, symbol: Any) -> list[Any]:
        rules = dict.__getitem__(self, symbol)
        if _NEXT.type is None:
            return rules
        key = (symbol, _NEXT.type)
        kept = self._by_lookahead.get(key)
        if kept is None:
            kept = self._by_lookahead[key] = [r for r in rules if (s := self._starts[r]) is None or _NEXT.type in s]
            # (past the end, _END is in no FIRST set: only the rules that can derive nothing stay)
        return kept


def _rule_first(rule: Any, first: dict[Any, set[Any]], nullable: set[Any]) -> frozenset[str] | None:
    """The token types a rule's expansion can begin with; None when it can derive nothing (always kept)."""
    types: set[str] = set()
    for sym in rule.expansion:
        types |= {sym.name} if sym.is_term else {t.name for t in first.get(sym, ())}
        if sym not in nullable:
            return frozenset(types)
    return None


@lru_cache(maxsize=1)
def criteria_parser() -> Lark:
    parser = Lark.open_from_package("screening.grammars", "criteria.lark", parser="earley", lexer=_TokenListLexer,
                                    ambiguity="resolve",
                                    start=["start", "start_if", "start_stable", "start_repro", "start_opinion", "run", "dose_cap", "age_item"])
    earley = getattr(parser.parser, "parser", None)
    if isinstance(getattr(earley, "predictions", None), dict):  # lark's Earley internals (1.1-1.3); else unfiltered
        first, _, nullable = calculate_sets(parser.rules)
        earley.predictions = _LookaheadPredictions(earley.predictions, first, nullable)
    return parser


_SHAPES: dict[tuple[str, tuple[str, ...]], Any] = {}


_NO_PARSE = object()


def parse_tokens(toks: list[Token], start: str) -> Tree:
    """Parse a token list. The grammar reads token types only, so the tree of one sequence of types is
    the tree of every sentence with that sequence ("QUANTITY CMP NUMBER UNIT" recurs thousands of times
    in a corpus): it is parsed once and refilled with each sentence's tokens."""
    key = (start, tuple(t.type for t in toks))
    shape = _SHAPES.get(key)
    if shape is None:
        try:
            _NEXT.type = toks[0].type if toks else None  # the start symbol's predictions see the first token
            tree = criteria_parser().parse(toks, start=start)
        except LarkError:
            if len(_SHAPES) < 200_000:
                _SHAPES[key] = _NO_PARSE
            raise
        leaves = [x for x in tree.scan_values(lambda v: isinstance(v, Token))]
        if len(leaves) != len(toks) or any(a is not b for a, b in zip(leaves, toks)):
            return tree  # not a plain reading of the tokens in order: do not reuse it
        shape = _hollow(tree, {id(t): i for i, t in enumerate(toks)})
        if len(_SHAPES) < 200_000:
            _SHAPES[key] = shape
        return tree
    if shape is _NO_PARSE:
        raise LarkError("no reading of this sequence of phrases")  # a fresh error: no traceback piles up
    return _fill(shape, toks)


def _hollow(tree: Tree, index: dict[int, int]) -> Any:
    return (tree.data, [_hollow(c, index) if isinstance(c, Tree) else index[id(c)] for c in tree.children])


def _fill(shape: Any, toks: list[Token]) -> Tree:
    data, children = shape
    return Tree(data, [_fill(c, toks) if isinstance(c, tuple) else toks[c] for c in children])

