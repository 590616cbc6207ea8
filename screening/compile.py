"""Compile criteria text into rule trees (IR) with grammars/criteria.lark.

One ``CriteriaTransformer`` turns a parse tree into IR nodes, converting quantities to canonical
units as it goes. Whatever does not parse, or parses into something ambiguous, becomes a
``Review`` node carrying its text and the reason: nothing in the source is dropped.

The module is longer than the others on purpose: the transformer has one method per rule of
grammars/criteria.lark (about 80), and keeping them beside each other keeps grammar and meaning
readable side by side.
"""
from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import LarkError, VisitError
from lark.lexer import Lexer
from lark.parsers.grammar_analysis import calculate_sets

from . import ir, statements, units, vocab
from .errors import ScreeningError
from .lexer import ActiveToken, Ordinal, lexicon, phrase_data, phrase_key, tokenize
from .trial import Trial


class Uncompilable(Exception):
    """Raised inside the transformer when text parses but cannot mean one thing; becomes review."""


class _Lookahead(threading.local):
    """The type of the token the Earley parser reads next (None: unknown or past the end)."""
    type: str | None = None


_NEXT = _Lookahead()


class _TokenListLexer(Lexer):
    """Feeds lark the tokens ``screening.lexer.tokenize`` already made, noting each as the lookahead."""

    def __init__(self, lexer_conf: Any) -> None:
        pass

    def lex(self, data: Any) -> Any:  # type: ignore[override]
        for tok in data:
            _NEXT.type = tok.type
            yield tok
        _NEXT.type = None


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
                                    start=["start", "start_if", "start_stable", "start_repro", "run", "dose_cap", "age_item"])
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


@dataclass(frozen=True, slots=True)
class _Longer:
    """A longer wait for some drugs of a "since" statement ("(6 weeks for nitrosoureas)")."""

    node: ir.Node


class _Either(list):  # type: ignore[type-arg]
    """Bounds of which one must hold ("< 20 kg or > 60 kg"), where a plain list means all."""


@dataclass(frozen=True, slots=True)
class _JudgedExceptions:
    """"except adequately treated basal cell carcinoma": every listed concept is excepted, and those after the
    words may count again, which a person weighs (a basal cell carcinoma never treated is no exception)."""

    concepts: tuple[str, ...]
    qualifier: str
    judged: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Ever:
    """A diagnosis named by its criteria ("meets ACR criteria for SLE"): ever diagnosed, not 'now'."""

    node: ir.Node


@dataclass(frozen=True, slots=True)
class _Period:
    """"(less than 1 month)" after "recent": how recent, as a look-back window."""

    window: ir.Window


@dataclass(frozen=True, slots=True)
class _Value:
    kind: str  # plain | uln | lln | titer
    number: float
    unit: str | None = None


def _years(value: float, unit: str | None) -> float:
    return value * {"year": 1.0, "month": 1 / 12, "week": 7 / 365.25, "day": 1 / 365.25, None: 1.0}.get(unit, 1.0)


@v_args(inline=True)
class CriteriaTransformer(Transformer):  # type: ignore[type-arg]
    """Parse tree -> IR. ``kind`` (inclusion/exclusion) decides what a bare comma list means."""

    def __init__(self, kind: str, own: frozenset[str] = frozenset()) -> None:
        super().__init__()
        self.kind = kind
        self.own = own  # the trial's own conditions (most specific): what "no other malignancy" is other than
        self._lists: dict[int, bool] = {}  # id of an inclusion's "A, B or C < x" node -> joined by "and"
        self._parenthesised: set[int] = set()  # ids of nodes read from "( body )"
        self._now: set[int] = set()  # ids of generic illnesses with a time word of now ("serious concurrent illness")
        self._open: set[int] = set()  # ids of generic illnesses (and their lists) ending in examples not in parentheses
        self._defined: set[int] = set()  # ids of conditions read as the measurements that define them
        # a threshold restated in another unit ("< 1.3 mg/dL (120 umol/L)"), by the id of its comparison: checked
        # to agree once the quantity is known (the comparison is held, so its id is not reused)
        self._restated: dict[int, tuple[list[Any], tuple[tuple[_Value, _Value], ...]]] = {}
        self._conditional: set[int] = set()  # ids of thresholds that hold only under a condition (if_measure)

    # --- structure -----------------------------------------------------------------------------
    def statement(self, *parts: Any) -> ir.Node:
        body = parts[-1]
        if len(parts) == 2 and not (self.kind == "exclusion" and str(parts[0]).lower() in _prohibitions()):
            return self._not(body)
        return body

    def _not(self, body: ir.Node) -> ir.Node:
        """"No AST, ALT or bilirubin > 5 x ULN" among the inclusions: none of them, not "not all of them"."""
        if id(body) in self._conditional:  # "No SGOT > 1.5 x ULN if alkaline phosphatase > 2.5 x ULN"
            raise Uncompilable("a negated threshold with a condition: the negation is of the threshold, not the condition")
        if id(body) not in self._lists:
            return ir.Not(body)
        if self._lists[id(body)]:
            raise Uncompilable("'no A and B above a limit': both, or either?")
        return ir.Not(_any(list(body.items)))  # type: ignore[attr-defined]

    def run(self, *statements: ir.Node) -> ir.Node:
        for i, s in enumerate(statements):
            # "No uncontrolled hypertension (systolic at least 180)", "Ejection fraction >= 50% (for patients over
            # age 40)": what is in parentheses defines or limits the statement before it; only a threshold restated
            # on another scale ("ECOG <= 2 (Karnofsky >= 60%)") stands as one of its own
            if id(s) in self._parenthesised and not (i > 0 and _measures_only(s) and _measures_only(statements[i - 1])):
                raise Uncompilable("a statement in parentheses may define or limit the one before it")
        return _all(list(statements)) if self.kind == "inclusion" else _any(list(statements))

    def start(self, *parts: Any) -> ir.Node:
        body = next(p for p in parts if isinstance(p, ir.Node))
        if any(isinstance(p, Token) and p.type == "NEG" and re.search(r"\b(?:other|second)\b", str(p).lower())
               for p in parts) and any(
                isinstance(n, ir.Condition) for n in ir.walk(body)):
            # "No other concurrent malignancy" in a breast cancer trial: any malignancy but breast cancer
            body = _other_than(body, self.own)
        negs = [str(p).lower() for p in parts if isinstance(p, Token) and p.type == "NEG"]
        negated = bool(negs)
        if self.kind == "exclusion" and negs and all(n in _prohibitions() for n in negs):
            negated = False  # "subjects may not be receiving X" among the exclusions: X excludes
        elif self.kind == "exclusion" and negs:
            # "Not pregnant" filed under the exclusions: excluded when pregnant, or when not? ("no measurable
            # disease" may mean what it says, "no history of X" usually does not)
            raise Uncompilable("a negated statement among the exclusions: excluded when it holds, or when it does not?")
        # "... is not permitted": in an inclusion a negation; in an exclusion it restates the exclusion
        if any(isinstance(p, Token) and p.type == "NEGTAIL" for p in parts) and self.kind == "inclusion":
            negated = not negated
        result = self._not(body) if negated else body
        if self.kind == "exclusion" and _attested(result):
            # "Willing to sign informed consent" filed among the exclusions would exclude those who consent
            raise Uncompilable("a requirement (an attestation) filed among the exclusions")
        return result

    def start_if(self, *parts: Any) -> ir.Node:
        return self.start(*parts)

    def group_list_if(self, *parts: Any) -> ir.Node:
        return self.group_list(*parts)

    def start_stable(self, *parts: Any) -> ir.Node:
        return self.start(*parts)

    def group_list_stable(self, *parts: Any) -> ir.Node:
        return self.group_list(*parts)

    def group_list(self, *parts: Any) -> ir.Node:
        nodes = [p for p in parts if isinstance(p, ir.Node)]
        if any(id(n) in self._open for n in nodes[:-1]):
            raise Uncompilable("examples not in parentheses: where does the list of examples end?")
        last = {getattr(n, "window", None) for n in _leaves(nodes[-1])}
        if len(last) == 1 and (w := last.pop()) is not None and w.amount > 0 and any(
                getattr(n, "window", None) == ir.Window(0) for m in nodes[:-1] for n in _leaves(m)):
            # "myocardial infarction, or revascularization within 6 months": does the time frame cover
            # the infarction too? Read either way, some patient gets a wrong verdict
            raise Uncompilable("a time frame at the end of a list of different kinds: does it cover them all?")
        seps = {s for p in parts if isinstance(p, tuple) for s in p}
        if "and" in seps and "or" in seps:
            raise Uncompilable("mixes 'and' and 'or' without saying which binds tighter")
        if "or" in seps and "or" not in [p for p in parts if isinstance(p, tuple)][-1]:
            # "ANC > 1500, creatinine < 2.0 mg/dL or clearance > 40 mL/min, bilirubin < 2.0 mg/dL": the "or" joins its
            # neighbours, or the list?
            raise Uncompilable("an 'or' inside a comma list: does it join its neighbours or the whole list?")
        if "or" in seps:
            return _any(nodes)
        if "and" in seps and self.kind == "exclusion":
            raise Uncompilable("'and' between exclusion conditions may mean 'or'")
        return _all(nodes) if self.kind == "inclusion" else _any(nodes)

    def sep(self, *toks: Token) -> tuple[str, ...]:
        return tuple({"AND": "and", "OR": "or", "COMMA": "comma"}[t.type] for t in toks)

    def lsep(self, *toks: Token) -> None:
        return None  # list separators carry no meaning of their own; callers skip the None

    def group(self, *parts: Any) -> ir.Node:  # "( body )"
        node = next(p for p in parts if isinstance(p, ir.Node))
        self._parenthesised.add(id(node))
        return node

    # --- measurements --------------------------------------------------------------------------
    def quantity(self, *toks: Token) -> tuple[str, ...]:
        named = [t for t in toks if t.type in ("QUANTITY", "QGROUP", "CONDITION")]
        if any(t.type == "QUANTITY" for t in named):
            return (next(t for t in named if t.type == "QUANTITY").value,)
        t = named[0]
        if t.type == "QGROUP":
            return tuple(t.value)
        q = lexicon().condition_quantities.get(t.value)
        if q is None:
            raise Uncompilable(f"'{t}' is a condition, not a measurement")
        return (q,)

    def tquantity(self, t: Token) -> tuple[str, ...]:
        return t.value if isinstance(t.value, tuple) else (t.value,)  # a test group names several

    def plain_value(self, number: Token, unit: Token | None = None) -> _Value:
        return _Value("plain", number.value, unit.value if unit is not None else None)

    def uln_value(self, number: Token, _uln: Token) -> _Value:
        return _Value("uln", number.value)

    def uln_one(self, _t: Token) -> _Value:
        return _Value("uln", 1.0)

    def lln_one(self, _t: Token) -> _Value:
        return _Value("lln", 1.0)

    def titer_value(self, t: Token) -> _Value:
        return _Value("titer", t.value)

    def bound(self, cmp: Token, value: _Value) -> list[tuple[str, _Value]]:
        return [(cmp.value, value)]

    def postfix_bound(self, value: _Value, cmp: Token) -> list[tuple[str, _Value]]:
        return [(cmp.value, value)]

    def range(self, *parts: Any) -> list[tuple[str, _Value]]:
        lo, hi = [p for p in parts if isinstance(p, _Value)]
        if lo.unit is None and hi.unit is not None:
            lo = _Value(lo.kind, lo.number, hi.unit)
        if lo.kind == "plain" and lo.unit is None and hi.kind in ("uln", "lln"):  # "1.5 to 3 x ULN"
            lo = _Value(hi.kind, lo.number)
        if lo.number > hi.number:
            raise Uncompilable("range runs backwards")
        return [(">=", lo), ("<=", hi)]

    def range_open(self, *parts: Any) -> list[tuple[str, _Value]]:
        """"20 to <60 mL/min/1.73m2": a range with its upper end said open (the lower, unsaid, is closed). Not "at least
        5-10 years" (at least some value in between?): a comparator before the range is no such end."""
        hi_op = next(p.value for p in parts if isinstance(p, Token) and p.type == "CMP")
        if hi_op not in ("<", "<="):
            raise Uncompilable("a range whose upper end points the wrong way")
        (_, lo), (_, hi) = self.range(*(p for p in parts if isinstance(p, _Value)))
        return [(">=", lo), (hi_op, hi)]

    def either_bound(self, c1: Token, v1: _Value, _or: Token, c2: Token, v2: _Value) -> list[tuple[str, _Value]]:
        if v1.unit is None and v2.unit is not None:
            v1 = _Value(v1.kind, v1.number, v2.unit)
        return _Either([(c1.value, v1), (c2.value, v2)])

    def bound_restated(self, cmp: Token, value: _Value, *rest: Any) -> list[tuple[str, _Value]]:
        """"< 1.3 mg/dL (120 umol/L)", "> 400 mg/dL (> 4.5 mmol/L)": the same threshold in another unit, checked
        to agree."""
        again = next(p for p in rest if isinstance(p, _Value))
        if any(isinstance(p, Token) and p.type == "CMP" and p.value != cmp.value for p in rest):
            raise Uncompilable("the threshold and the one in parentheses have different comparators")
        bounds = [(cmp.value, value)]
        self._restated[id(bounds)] = (bounds, ((value, again),))
        return bounds

    def range_restated(self, *parts: Any) -> list[tuple[str, _Value]]:
        """"7.0-9.5% (53-80 mmol/mol)": the same range in another unit, both ends checked to agree."""
        lo, hi, lo2, hi2 = [p for p in parts if isinstance(p, _Value)]
        bounds = self.range(lo, hi)
        self._restated[id(bounds)] = (bounds, ((bounds[0][1], lo2), (bounds[1][1], hi2)))
        return bounds

    def two_bounds(self, c1: Token, v1: _Value, *rest: Any) -> list[tuple[str, _Value]]:
        c2, v2 = rest[-2], rest[-1]
        if len(rest) == 2 and (v1.kind == "plain") != (v2.kind == "plain"):
            # "no greater than 0.3 mg/dL above the upper limit of normal": an offset from the limit, not two bounds
            raise Uncompilable("a value above or below a reference limit: an offset the rule cannot state")
        if v1.unit is None and v2.unit is not None:
            v1 = _Value(v1.kind, v1.number, v2.unit)
        return [(c1.value, v1), (c2.value, v2)]

    def choice(self, *parts: Token | None) -> list[tuple[str, _Value]]:
        values = sorted(p.value for p in parts if isinstance(p, Token))
        if any(v != int(v) for v in values) or values != list(range(int(values[0]), int(values[-1]) + 1)):
            raise Uncompilable("a list of values that is not a run of whole numbers")
        return [(">=", _Value("plain", values[0])), ("<=", _Value("plain", values[-1]))]

    def normal_range(self, *parts: Any) -> ir.Node:
        keys = [k for p in parts if isinstance(p, tuple) for k in p]
        limits = {"upper": ((("<=", "ULN"),)), "lower": ((">=", "LLN"),), "both": ((">=", "LLN"), ("<=", "ULN"))}
        return _all([_all([ir.Measure(k, op, 1.0, ref) for op, ref in limits[units.get_quantity(k).normal]])
                     for k in keys])

    def age_item(self, node: ir.Node) -> ir.Node:
        return node

    def bare_age(self, number: Token, *rest: Token) -> ir.Node:
        unit = rest[0].value if len(rest) == 2 else None
        return _age(rest[-1].value, _years(number.value, unit), unit in (None, "year"))

    def since_prior(self, *parts: Any) -> ir.Node:
        toks = [p for p in parts if isinstance(p, Token)]
        cmp = next(t for t in toks if t.type == "CMP")
        topic = toks[:toks.index(cmp)]  # "Chemotherapy:" before the statement
        number, unit = (next(t for t in toks if t.type == k) for k in ("NUMBER", "TIMEUNIT"))
        window = ir.Window(number.value, unit.value)
        events = [p for p in parts if isinstance(p, ir.Node) and not isinstance(p, _Longer)]
        longer = [p.node for p in parts if isinstance(p, _Longer)]  # from since_more
        named = {m.concept for n in events for m in _leaves(n) if isinstance(m, (ir.Medication, ir.Procedure))}
        if any(t.type in ("DRUG", "PROCEDURE") and not any(t.value in vocab.ancestors(k) for k in named) for t in topic):
            raise Uncompilable("the heading names another treatment than the statement")
        if any(t.type == "BETWEEN" and str(t).lower() != "from" for t in toks):
            raise Uncompilable("a time 'between' what?")
        now = [t for t in toks if t.type == "NEG"]  # "since prior and no concurrent X"
        if now and not any(t.type == "USE" and str(t).lower() in phrase_data()["current_state"]["phrases"] for t in toks):
            raise Uncompilable("'since prior and no ...': no what?")
        nodes = [_timed(n, window) for n in events]
        if (purpose := _purpose(parts)) is not None:  # "since prior biologic therapy for lymphoma"
            nodes = [ir.Judged(purpose, n) for n in nodes]
        recovered = next((t for t in toks if t.type == "RECOVERED"), None)
        if cmp.value in (">", ">=") and self.kind == "exclusion":
            # "at least 4 weeks since prior chemotherapy" is a requirement: filed among the exclusions it would
            # exclude those who meet it
            raise Uncompilable("a requirement ('at least ... since') filed among the exclusions")
        if cmp.value in ("<", "<="):  # "no more than 6 weeks since prior surgery": some of it in that window
            if longer or recovered is not None or now:
                raise Uncompilable("'since' with an upper bound on the time and more beside it")
            return _any(nodes)
        if any(m.window is not None and m.window.days < window.days for n in longer for m in _leaves(n)
               if isinstance(m, ir.Medication)):
            raise Uncompilable("a shorter wait for some drugs of the class: an exception the rule cannot state")
        node = _all([ir.Not(_any(nodes)), *longer])
        if now and any(isinstance(m, ir.Procedure) for m in _leaves(node)):
            # a procedure has one date: a course begun before the window may still be going on
            node = _all([node, ir.Not(_any([_timed(n, ir.Window(0)) for n in events]))])
        if recovered is not None:  # "... and recovered": moot without the therapy, a person's call with it
            return _all([node, _recovered_from(_leaves(node), "not recovered from its toxicity")])
        return node

    def since_more(self, *parts: Token | None) -> ir.Node:
        toks = [t for t in parts if isinstance(t, Token)]
        number = next(t for t in toks if t.type == "NUMBER")
        window = ir.Window(number.value, next(t for t in toks if t.type == "TIMEUNIT").value)
        return _Longer(ir.Not(_any([ir.Medication(t.value, window) for t in parts
                                    if isinstance(t, Token) and t.type == "DRUG"])))

    def exact(self, value: _Value) -> list[tuple[str, _Value]]:  # "NYHA class III"; a bare lab value goes to review
        return [("==", value)]

    def equals(self, _eq: Token, value: _Value) -> list[tuple[str, _Value]]:
        return [("==", value)]

    def comparison(self, *parts: Any) -> list[tuple[str, _Value]]:  # parenthesised
        return next(p for p in parts if isinstance(p, list))

    def measures(self, *parts: Any) -> ir.Node:
        keys = [k for p in parts if isinstance(p, tuple) for k in p]
        comparison = next(p for p in parts if isinstance(p, list))
        window = next((p for p in parts if isinstance(p, ir.Window)), None)
        held = self._restated.pop(id(comparison), None)
        restated = held[1] if held is not None and held[0] is comparison else None
        if any(v.kind == "plain" and v.unit is None for _, v in comparison):  # "≥ 20 but ≤ 40 kg/m2"
            unit = next((v.unit for _, v in comparison if v.unit), None)
            comparison = type(comparison)((op, _Value(v.kind, v.number, unit) if v.kind == "plain" and v.unit is None
                                           else v) for op, v in comparison)  # an _Either stays an either
        if restated is not None:
            for k in keys:
                for pair in restated:
                    a, b = (self._measure(k, ">", v, None) for v in pair)
                    assert isinstance(a, ir.Measure) and isinstance(b, ir.Measure)
                    if a.unit != b.unit or abs(a.value - b.value) > 0.05 * max(abs(a.value), abs(b.value)):
                        raise Uncompilable("the threshold and the value in parentheses disagree")
        graded = phrase_data()["measured_conditions"]
        for t in parts:  # "ALT <= 5 x ULN (with) liver metastases": a threshold for a subgroup only
            if isinstance(t, Token) and t.type == "CONDITION" and lexicon().condition_quantities.get(t.value) not in keys \
                    and not all(t.value in graded.get(k, ()) for k in keys):
                raise Uncompilable(f"a threshold for patients with {_concept_words(t.value)} only")
        if window is not None and not _therapy_counts().isdisjoint(keys):
            raise Uncompilable("a count of therapy within a time frame: another count than the record's")
        nodes = [self._measure(k, op, v, window) for k in keys for op, v in comparison]
        join = _any if isinstance(comparison, _Either) else _all  # "< 20 kg or > 60 kg"
        per_key = [join(nodes[i:i + len(comparison)]) for i in range(0, len(nodes), len(comparison))]
        if len(keys) > 1 and self.kind == "exclusion" and any(isinstance(p, Token) and p.type == "AND" for p in parts):
            raise Uncompilable("'A and B above a limit' in an exclusion: both, or either?")
        # "AST/ALT <= 2.5 x ULN" as an inclusion means both; "AST or ALT > 3 x ULN" as an exclusion, either
        if self.kind == "exclusion":
            return _any(per_key)
        node = _all(per_key)
        if len(keys) > 1 and isinstance(node, ir.All):  # negated, it means none of them (see _not)
            self._lists[id(node)] = any(isinstance(p, Token) and p.type == "AND" for p in parts)
        return node

    def therapy_count(self, use: Token, comparison: list[tuple[str, _Value]], keys: tuple[str, ...]) -> ir.Node:
        """"Have received at least 1 prior line of therapy": the count, read from the record."""
        if str(use).lower() not in lexicon().past_use or not set(keys) <= _therapy_counts():
            raise Uncompilable(f"'{use}' before a count")
        return self.measures(keys, comparison)

    def measures_method(self, *parts: Any) -> ir.Node:
        """"creatinine clearance >= 60 mL/min (Cockcroft-Gault formula)": how the quantity is obtained, checked
        to be a way of obtaining it (the Cockcroft-Gault formula gives no GFR)."""
        keys = [k for p in parts if isinstance(p, tuple) for k in p]
        method = next(p for p in parts if isinstance(p, Token) and p.type == "METHOD")
        if keys != list(_method_keys(method)):
            raise Uncompilable(f"a method of obtaining {' or '.join(map(_concept_words, _method_keys(method)))} given for "
                               f"{' or '.join(_concept_words(k) for k in keys)}")
        return self.measures(*(p for p in parts if not (isinstance(p, Token) and p.type in ("METHOD", "LPAR", "RPAR"))))

    def relaxed(self, *parts: Any) -> ir.Node:
        """A threshold with a looser one for patients with a condition: met by the strict one alone, or by
        the loose one with the condition (an exclusion: beyond the strict one, and beyond the loose one
        if the patient has the condition)."""
        lists = [i for i, p in enumerate(parts) if isinstance(p, list)]
        base, loose = parts[lists[0]], parts[lists[1]]
        quantities = tuple(dict.fromkeys(k for p in parts[:lists[0]] if isinstance(p, tuple) for k in p))
        again = {k for p in parts[lists[0]:] if isinstance(p, tuple) for k in p}  # "..., alkaline phosphatase <= 5"
        if again - set(quantities):
            raise Uncompilable("the looser threshold is for another measurement")
        window = next((p for p in parts if isinstance(p, ir.Window)), None)
        if isinstance(base, _Either) or isinstance(loose, _Either) or len(base) != 1 or len(loose) != 1:
            raise Uncompilable("a relaxed threshold that is not a single bound")
        (op, _), (op2, v2) = base[0], loose[0]
        if op2 == "==":  # "(5 times ULN if liver metastases)": the same comparator
            loose, op2 = [(op, v2)], op
        if op not in ("<", "<=", ">", ">=") or (op in ("<", "<=")) != (op2 in ("<", "<=")):
            raise Uncompilable("the relaxed threshold does not loosen the first")
        tail = [window] if window else []
        strict, looser = self.measures(quantities, base, *tail), self.measures(quantities, loose, *tail)
        # looser for the patient: an inclusion admits more, an exclusion excludes fewer
        wider = (op in ("<", "<=")) == (self.kind == "inclusion")
        for a, b in zip(_leaves(strict), _leaves(looser)):
            if not (isinstance(a, ir.Measure) and isinstance(b, ir.Measure) and a.unit == b.unit
                    and (b.value >= a.value if wider else b.value <= a.value)):
                raise Uncompilable("the relaxed threshold does not loosen the first")
        conds = _any([ir.Condition(t.value, ir.Window(0)) for t in parts if isinstance(t, Token) and t.type == "CONDITION"])
        if self.kind == "inclusion":
            return _any([strict, _all([conds, looser])])
        return _all([strict, _any([ir.Not(conds), looser])])

    def for_age(self, *parts: Any) -> ir.Node:
        """A demand of an age group only: met outside the group (an exclusion: excluded only inside it)."""
        group = parts[-1] if isinstance(parts[-1], ir.Node) else parts[-2]
        demand = self.measures(*(p for p in parts if p is not group and not (
            isinstance(p, Token) and p.type in ("IFCOND", "LPAR", "RPAR"))))
        return _any([ir.Not(group), demand]) if self.kind == "inclusion" else _all([group, demand])

    def for_sex(self, *parts: Any) -> ir.Node:
        """A threshold for each sex it names ("Hemoglobin >= 12 g/dL for women and >= 13 g/dL for men"): a demand of
        that sex only, met by the other (an exclusion: excluded only when of that sex and beyond it)."""
        first = next(i for i, p in enumerate(parts) if isinstance(p, list) or isinstance(p, Token) and p.type == "SEX")
        keys = tuple(k for p in parts[:first] if isinstance(p, tuple) for k in p)
        sexed: list[dict[str, Any]] = [{}]
        for p in parts[first:]:
            slot = "sex" if isinstance(p, Token) and p.type == "SEX" else "cmp" if isinstance(p, list) else \
                "window" if isinstance(p, ir.Window) else None
            if slot is None:
                continue
            if slot in sexed[-1] or slot == "window" and "cmp" not in sexed[-1]:
                sexed.append({})
            sexed[-1][slot] = p
        if len({d["sex"].value for d in sexed}) != len(sexed):
            raise Uncompilable("a sex named twice: which threshold is whose?")
        nodes = []
        for d in sexed:
            demand = self.measures(keys, d["cmp"], *([d["window"]] if "window" in d else []))
            sex = ir.Sex(d["sex"].value)
            nodes.append(_any([ir.Not(sex), demand]) if self.kind == "inclusion" else _all([sex, demand]))
        return _all(nodes) if self.kind == "inclusion" else _any(nodes)

    def if_measure(self, *parts: Any) -> ir.Node:
        """A threshold that holds only when another measurement is beyond its own ("creatinine clearance >= 60 mL/min
        if creatinine > 1.5 mg/dL"): met when that one is not (an exclusion: excluded only when it is)."""
        at = next(i for i, p in enumerate(parts) if isinstance(p, Token) and p.type == "IFCOND")
        given = parts[at + 1]
        if given.type == "QGROUP" and len(given.value) > 1:
            raise Uncompilable("a condition on several measurements: all of them, or any?")
        if_cmp = parts[at + 2]
        rest = [p for i, p in enumerate(parts) if i not in (at, at + 1, at + 2)
                and not (isinstance(p, Token) and p.type in ("LPAR", "RPAR", "COMMA", "COLON"))]
        kind, self.kind = self.kind, "exclusion"  # the condition as the text states it, not as a demand
        try:
            condition = self.measures((given.value,) if given.type == "QUANTITY" else given.value, if_cmp)
        finally:
            self.kind = kind
        demand = self.measures(*rest)
        self._conditional.add(id(demand))
        node = _any([ir.Not(condition), demand]) if self.kind == "inclusion" else _all([condition, demand])
        self._conditional.add(id(node))
        return node

    def age_group(self, node: ir.Node) -> ir.Node:  # tail_age
        return node

    def group_age_bound(self, *parts: Token) -> ir.Node:
        cmp = next(p for p in parts if p.type == "CMP")
        return _age(cmp.value, *_age_values(parts)[0])

    def group_age_or(self, number: Token, *rest: Token) -> ir.Node:
        """"10 years of age or under": the number itself included."""
        op = {"<": "<=", ">": ">="}.get(rest[-1].value)
        if op is None:
            raise Uncompilable("an age group 'or' what?")
        return _age(op, *_age_values((number, *rest))[0])

    def exempted(self, *parts: Any) -> ir.Node:
        """A limit that does not hold for patients with a condition ("unless due to Gilbert's syndrome"):
        without the condition the limit decides; with it, whether the exemption applies is a person's call."""
        strict = self.measures(*(p for p in parts if not (isinstance(p, Token) and p.type in ("CONDITION", "UNLESS",
                                                                                                  "PRESENT", "LPAR", "RPAR"))))
        conds = _any([ir.Condition(t.value) for t in parts if isinstance(t, Token) and t.type == "CONDITION"])
        exempt = ir.Judged("the exemption applies (the value is due to it)", conds)
        return _any([strict, exempt]) if self.kind == "inclusion" else _all([strict, ir.Not(exempt)])

    def _measure(self, key: str, op: str, v: _Value, window: ir.Window | None) -> ir.Node:
        q = units.get_quantity(key)
        if q.kind == "qualitative":
            raise Uncompilable(f"{q.name} is a positive/negative test, not a number")
        if op == "==" and q.kind != "ordinal":
            raise Uncompilable(f"'=' on a continuous measurement ({q.name}): the comparator was probably lost")
        if v.kind in ("uln", "lln"):
            return ir.Measure(key, op, v.number, v.kind.upper(), window)
        if v.kind == "titer":
            if q.kind != "titer":
                raise Uncompilable(f"a titer given for {q.name}")
            return ir.Measure(key, op, float(v.number), q.unit, window)
        if q.unit in ("1", ""):
            if v.unit not in (None, "%", "1"):
                raise Uncompilable(f"{q.name} is a score; '{v.unit}' is not its unit")
            if (q.min is not None and v.number < q.min) or (q.max is not None and v.number > q.max):
                raise Uncompilable(f"{v.number:g} is not a possible {q.name}")
            return ir.Measure(key, op, float(v.number), q.unit, window)
        if v.unit is None:  # "ANC >= 1500": the customary unit its size leaves (quantities.toml bare_units)
            # never after "grade": "grade 3 or greater serum creatinine" is a toxicity grade, not 3 mg/dL
            fits = [u for lo, hi, u in q.bare_units if lo <= v.number <= hi and not isinstance(v.number, Ordinal)]
            if len(fits) != 1:
                raise Uncompilable(f"no unit given for {q.name}")
            v = _Value(v.kind, v.number, fits[0])
        try:
            value = units.to_canonical(v.number, v.unit, key)
        except ScreeningError as exc:
            raise Uncompilable(f"unit: {exc.message}") from None
        if q.thresholds is not None and not q.thresholds[0] <= value <= q.thresholds[1]:
            raise Uncompilable(f"{units.format_quantity(value, q.unit)} is not a plausible threshold for {q.name}: "
                               "a typo in the source?")
        # exact, so a value at the threshold in the same unit compares equal; shown as written
        return ir.Measure(key, op, value, q.unit, window, v.unit if v.unit != q.unit else None)

    def decreased(self, _t: Token, *qs: Any) -> ir.Node:
        return _any([ir.Measure(k, "<", 1.0, "LLN") for q in qs if isinstance(q, tuple) for k in q])

    def elevated(self, _t: Token, *qs: Any) -> ir.Node:
        return _any([ir.Measure(k, ">", 1.0, "ULN") for q in qs if isinstance(q, tuple) for k in q])

    # --- age and sex ---------------------------------------------------------------------------
    def age(self, *parts: Any) -> ir.Node:
        return next(p for p in parts if isinstance(p, ir.Node))

    def tail_age(self, number: Token, *rest: Token) -> ir.Node:  # "18 years of age or older"
        unit = rest[0].value if rest[0].type == "TIMEUNIT" else None
        return _age(rest[-1].value, _years(number.value, unit), unit in (None, "year"))

    def therapies(self, *parts: Any) -> ir.Node:
        """"No prior chemotherapy or radiotherapy": drugs and procedures sharing one history; "no concurrent
        chemotherapy or radiotherapy": now (a drug without a time frame is taken now, a procedure needs one)."""
        window = next((p for p in parts if isinstance(p, ir.Window)), None)
        if window is None and not any(isinstance(p, Token) and (p.type in ("HISTORY", "PRIOR", "PROCUSE") or p.type == "USE"
                                                                and str(p).lower() in lexicon().past_use) for p in parts):
            has_procedure = any(isinstance(p, Token) and p.type == "PROCEDURE" for p in parts)
            window = _event_window(parts, now=True) if has_procedure else ir.Window(0)
        nodes: list[ir.Node] = []
        for p in parts:
            if isinstance(p, Token) and p.type == "PROCEDURE":
                nodes.append(ir.Procedure(p.value, window))
            elif isinstance(p, ir.Node):
                q = p.qualifier if isinstance(p, ir.Judged) else None  # "prior adjuvant chemotherapy or radiotherapy"
                nodes.extend(_set(ir.Medication(m.concept, window, systemic=m.systemic, route=m.route), [q], 0)  # type: ignore[attr-defined]
                             for m in _leaves(p))
        if nodes and isinstance(nodes[0], ir.Judged):  # "prior adjuvant chemotherapy or radiotherapy": said of both
            nodes = [n if isinstance(n, ir.Judged) else ir.Judged(nodes[0].qualifier, n) for n in nodes]
        if (purpose := _purpose(parts)) is not None:  # "no prior chemotherapy or radiotherapy for lung cancer"
            return ir.Judged(purpose, _any(nodes))
        return _any(nodes)

    def sexed_age(self, *parts: Any) -> ir.Node:
        """"Female patients 18 years or older": the sex is part of the requirement."""
        age = next(p for p in parts if isinstance(p, ir.Node))
        sexes = sorted({t.value for t in parts if isinstance(t, Token) and t.type == "SEX"})
        return age if not sexes else _all([_any([ir.Sex(v) for v in sexes]), age])

    def age_bound(self, cmp: Token, number: Token, unit: Token | None = None) -> ir.Node:
        return _age(cmp.value, _years(number.value, unit.value if unit else None), unit is None or unit.value == "year")

    def age_postfix(self, number: Token, *rest: Token) -> ir.Node:
        unit = rest[0].value if len(rest) == 2 else None
        return _age(rest[-1].value, _years(number.value, unit), unit in (None, "year"))

    def age_between(self, *parts: Token) -> ir.Node:
        (lo, _), (hi, whole) = _age_values(parts)
        if lo > hi:
            raise Uncompilable("age range runs backwards")
        return ir.All((_age(">=", lo, True), _age("<=", hi, whole)))

    def demographic(self, sexes: ir.Node, other: ir.Node) -> ir.Node:
        if sexes == ir.Sex("female") and all(isinstance(n, (ir.Condition, ir.Procedure)) and n.concept in _WOMEN_ONLY
                                             for n in _leaves(other)):
            # "Female patients must be postmenopausal": a demand of the women; a man is outside it
            return _any([ir.Sex("male"), other])
        return _all([sexes, other])

    def sexes(self, *parts: Any) -> ir.Node:
        values = sorted({t.value for t in parts if isinstance(t, Token) and t.type == "SEX"})
        return _any([ir.Sex(v) for v in values])

    # --- tests ---------------------------------------------------------------------------------
    def _tests(self, parts: tuple[Any, ...], result: str) -> ir.Node:
        keys = [k for p in parts if isinstance(p, tuple) for k in p]
        window = next((p for p in parts if isinstance(p, ir.Window)), None)
        for method in (p for p in parts if isinstance(p, Token) and p.type == "METHOD"):
            if not set(keys) <= set(_method_keys(method)):
                raise Uncompilable(f"a method of assessing {' or '.join(_concept_words(k) for k in _method_keys(method))} "
                                   f"given for {' or '.join(_concept_words(k) for k in keys)}")
        nodes = []
        for k in keys:
            q = units.get_quantity(k)
            if q.kind != "qualitative":
                raise Uncompilable(f"'{result}' said of {q.name}, which is measured, not tested positive/negative")
            nodes.append(ir.TestResult(k, result, window))
        return _all(nodes) if result == "negative" else _any(nodes)

    def positive(self, *parts: Any) -> ir.Node:
        return self._tests(parts, "positive")

    def negative(self, *parts: Any) -> ir.Node:
        node = self._tests(parts, "negative")
        populations = [p for p in parts if isinstance(p, Token) and p.type == "POPULATION"]
        if self.kind == "inclusion" and populations and all(map(_childbearing, populations)) \
                and isinstance(node, ir.TestResult) and node.analyte == "pregnancy_test":
            # "Women of childbearing potential must have a negative pregnancy test": of them only (for_group)
            return _any([_outside_group(populations), node])
        if self.kind == "inclusion" and not populations and not any(isinstance(p, Token) and p.type == "SEX" for p in parts) \
                and isinstance(node, ir.TestResult) and node.analyte == "pregnancy_test":
            # a bare "Negative pregnancy test" is asked of women: a man is outside it (whether a woman past
            # childbearing is too, the text does not say)
            return _any([ir.Sex("male"), node])
        return node

    def negative_for(self, *parts: Any) -> ir.Node:
        tests = lexicon().condition_tests
        nodes: list[ir.Node] = []
        for t in parts:
            if isinstance(t, Token) and t.type in ("CONDITION", "CGROUP"):
                for key in (t.value,) if t.type == "CONDITION" else t.value:
                    if key not in tests:
                        raise Uncompilable(f"no test is known that shows '{t}' negative")
                    nodes.append(ir.TestResult(tests[key], "negative"))
        return _all(nodes)

    # --- events --------------------------------------------------------------------------------
    def cond(self, t: Token) -> ir.Node:
        return ir.Condition(t.value, None, _latent_forms(t.value) if isinstance(t, ActiveToken) else ())

    def cond_judged(self, *parts: Token | None) -> ir.Node:
        t = next(p for p in parts if isinstance(p, Token) and p.type in ("CONDITION", "CGROUP"))
        keys = (t.value,) if t.type == "CONDITION" else t.value
        return ir.Judged(_qualifier(parts), _any([ir.Condition(k) for k in keys]))

    def cond_judged_examples(self, *parts: Any) -> ir.Node:
        """"Serious infection such as bacteremia, sepsis": the examples are instances as named; any other
        infection needs a person to weigh "serious"."""
        t = next(p for p in parts if isinstance(p, Token) and p.type == "CONDITION")
        examples = [p for p in parts if isinstance(p, ir.Node)]
        return _any([ir.Judged(_qualifier(parts), ir.Condition(t.value)), *examples])

    def cond_judged_now(self, *parts: Any) -> ir.Node:
        """"Uncontrolled intercurrent infection", "severe co-existing cardiac disease": a time word of now between
        the qualifiers and the condition."""
        uses = [str(t.value).lower() for t in parts if isinstance(t, Token) and t.type == "USE"]
        if any(u not in phrase_data()["current_state"]["phrases"] for u in uses):
            raise Uncompilable(f"'{uses[0]}' before a condition")
        node = self.cond_judged(*parts)
        self._now.add(id(node))
        return node

    def cond_generic(self, *parts: Any) -> ir.Node:
        """"Serious concurrent illness", "any significant medical condition (e.g. diabetes)": any condition the
        record carries, always weighed by a person (the words before it are the qualifier); the examples are
        conditions too and do not narrow it. A time word inside ("serious concurrent") means now."""
        toks = [p for p in parts if isinstance(p, Token)]
        uses = [str(t.value).lower() for t in toks if t.type == "USE"]
        if any(u not in phrase_data()["current_state"]["phrases"] for u in uses):
            raise Uncompilable(f"'{uses[0]}' before an illness")
        generic = next(t for t in toks if t.type == "GENERIC")
        judged = _qualifier(tuple(p for p in parts if not (isinstance(p, Token) and p.type in ("NEEDS", "REQUIRING"))))
        needs = _qualifier(tuple(p for p in parts if not (isinstance(p, Token) and p.type == "JUDGED")))
        kind = "systemic" if phrase_key(str(generic.value)) in _generic_systemic() else ""
        head = " ".join(x for x in (judged, *uses, kind) if x)
        node = ir.Judged(", ".join(x for x in (head, needs) if x) or GENERIC_QUALIFIER, ir.Condition(vocab.ANY_CONDITION))
        if uses:
            self._now.add(id(node))
        if any(t.type == "SUCHAS" for t in toks) and not any(t.type == "LPAR" for t in toks):
            self._open.add(id(node))  # "such as A, B or C ...": where do the examples end?
        return node

    def cond_suspected(self, lead: Token, t: Token) -> ir.Node:
        """"Known or suspected brain metastases": a recorded diagnosis meets it; a suspicion is in no record of
        diagnoses, so without one a person judges (never a confident not_met)."""
        keys = (t.value,) if t.type == "CONDITION" else t.value
        return _any([*(ir.Condition(k) for k in keys), _suspicion(keys)])

    def cond_group(self, t: Token) -> ir.Node:
        return _any([ir.Condition(k) for k in t.value])

    def cond_diagnosed(self, _dx: Token, t: Token, *_year: Token) -> "_Ever":
        return _Ever(ir.Condition(t.value))

    def dose_cap(self, drug: Token, *parts: Token) -> ir.Node:
        return ir.Not(ir.Medication(drug.value, ir.Window(0), _dose(">", parts)))

    def cond_defined(self, _t: Token, *parts: Any) -> ir.Node:
        node = next(p for p in parts if isinstance(p, ir.Node))  # the definition decides
        self._defined.add(id(node))
        return node

    def cond_measured(self, *parts: Any) -> ir.Node:
        """"Uncontrolled diabetes (defined as HbA1c > 9%)", "severe hypertension defined as SBP > 180 or DBP > 110 mm Hg":
        the measurement says what the words mean, and alone decides (as cond_defined does): a value that meets it meets
        the criterion, one that does not fails it whatever the record's diagnoses, and no value is unknown. Only for words
        a measurement can define (phrases.toml [defined_qualifiers] measured); examples ("e.g. SBP > 160") stay in review:
        other cases may count too."""
        d = phrase_data()["defined_qualifiers"]
        toks = [p for p in parts if isinstance(p, Token)]
        at = next(i for i, t in enumerate(toks) if t.type == "CONDITION")
        measured = {phrase_key(w) for w in d["measured"]}
        if any(phrase_key(str(t)) not in measured for t in toks[:at] if t.type == "JUDGED"):
            raise Uncompilable("a qualifier that a measurement does not define")
        such = next((t for t in toks if t.type == "SUCHAS"), None)
        if such is not None and phrase_key(str(such)) not in {phrase_key(w) for w in d["definitions"]}:
            raise Uncompilable("examples of what the words mean: other cases may count too")
        nodes = [p for p in parts if isinstance(p, ir.Node)]
        if any(t.type == "AND" for t in toks[at:]) or len(nodes) > 1 and not any(t.type == "OR" for t in toks[at:]):
            raise Uncompilable("a definition by measurements joined by 'and' or commas: all of them, or any?")
        node = _any(nodes)
        self._defined.add(id(node))
        return node

    def def_measure(self, *parts: Any) -> ir.Node:
        """A measurement that defines a state: "AST or ALT > 3 x ULN" is either, as in an exclusion."""
        kind, self.kind = self.kind, "exclusion"
        try:
            return self.measures(*parts)
        finally:
            self.kind = kind

    def period(self, _l: Token, cmp: Token, number: Token, unit: Token, _r: Token) -> _Period:
        """"Recent myocardial infarction (less than 1 month)": how recent. conditions() accepts it only after "recent"."""
        if cmp.value not in ("<", "<="):
            raise Uncompilable("a time in parentheses that is no upper bound: how long ago, or how long it lasted?")
        return _Period(ir.Window(number.value, unit.value))

    def cond_examples(self, t: Token, *parts: Any) -> ir.Node:
        return _any([ir.Condition(t.value)] + [p for p in parts if isinstance(p, ir.Node)])

    def exception_judged(self, *parts: Token | None) -> _JudgedExceptions:
        toks = [t for t in parts if isinstance(t, Token) and t.type in ("CONDITION", "JUDGED")]
        first = next(i for i, t in enumerate(toks) if t.type == "JUDGED")
        words = " or ".join(dict.fromkeys(str(t.value) for t in toks if t.type == "JUDGED"))
        return _JudgedExceptions(tuple(t.value for t in toks if t.type == "CONDITION"), words,
                                 tuple(t.value for t in toks[first:] if t.type == "CONDITION"))

    def exception(self, *parts: Token | None) -> tuple[str, ...]:
        return tuple(t.value for t in parts if isinstance(t, Token) and t.type == "CONDITION")

    def age_two_bounds(self, *parts: Token) -> ir.Node:
        """"Age >= 18 and =< 70 years"."""
        cmps = [t for t in parts if isinstance(t, Token) and t.type == "CMP"]
        return _all([_age(c.value, years, whole) for c, (years, whole) in zip(cmps, _age_values(parts))])

    def age_either(self, c1: Token, n1: Token, *rest: Token) -> ir.Node:
        """"Age less than 18 or greater than 65": outside a range, so the lower limit must come with "<"."""
        parts = (c1, n1, *rest)
        cmps = [t.value for t in parts if isinstance(t, Token) and t.type == "CMP"]
        bounds = sorted(zip(_age_values(parts), cmps))
        if not (bounds[0][1] in ("<", "<=") and bounds[1][1] in (">", ">=") and bounds[0][0][0] <= bounds[1][0][0]):
            raise Uncompilable("'age A or B' that is not outside one range: 'and' meant?")
        return _any([_age(op, years, whole) for (years, whole), op in bounds])

    def age_range(self, node: ir.Node) -> ir.Node:  # its one alternative with no alias of its own: ages_between
        return node

    def ages_between(self, *parts: Token) -> ir.Node:
        """"between the ages of 18 and 65 years"."""
        return self.age_between(*parts)

    def age_lead_bound(self, cmp: Token, _age_tok: Token, number: Token, unit: Token | None = None) -> ir.Node:
        """"over the age of 18"."""
        return _age(cmp.value, _years(number.value, unit.value if unit else None), unit is None or unit.value == "year")

    def measures_lead(self, cmp: Token, keys: tuple[str, ...], value: _Value, *rest: Any) -> ir.Node:
        """"a minimum life expectancy of 12 weeks"."""
        return self.measures(keys, [(cmp.value, value)], *rest)

    def conditions(self, *parts: Any) -> ir.Node:
        lead = next((p for p in parts if isinstance(p, Token) and p.type == "USE"), None)
        if lead is not None and str(lead.value).lower() not in phrase_data()["current_state"]["phrases"]:
            raise Uncompilable(f"'{lead}' before a condition")
        had = next((p for p in parts if isinstance(p, Token) and p.type == "PROCUSE"), None)
        if had is not None and str(had.value).lower() != "had":  # "undergone a myocardial infarction"?
            raise Uncompilable(f"'{had}' before a condition")
        history = had is not None or any(isinstance(p, Token) and p.type in ("HISTORY", "PRIOR") or isinstance(p, _Ever)
                                         for p in parts)
        parts = tuple(p.node if isinstance(p, _Ever) else p for p in parts)
        if history and any(id(p) in self._defined for p in parts):
            raise Uncompilable("a history of a condition its measurements define: measured when?")
        window = next((p for p in parts if isinstance(p, ir.Window)), next(
            (p.window for p in parts if isinstance(p, _Period)), None))
        recent = [str(p.value) for p in parts if isinstance(p, Token) and p.type == "JUDGED"]  # from the _recent lead
        if recent and (window is None or window.amount == 0):
            window = None  # "recent history of X", "current or recent X": ever had it, and a person weighs when
        if history and any(id(p) in self._now for p in parts):
            raise Uncompilable("a history of an illness said to be present now: ever, or now?")
        # "a serious medical condition such as diabetes, heart failure, or other heart disease": what follows examples
        # not in parentheses are more examples, which the generic illness covers; a time frame or an exception after
        # them may be said of the last example only
        opened = next((i for i, p in enumerate(parts) if isinstance(p, ir.Node) and id(p) in self._open), None)
        if opened is not None and any(isinstance(p, (ir.Window, tuple, _JudgedExceptions)) for p in parts[opened:]):
            raise Uncompilable("examples not in parentheses: where does the list of examples end?")
        if opened is not None:
            parts = parts[:opened + 1]
        if window is None and not history and not recent:
            window = ir.Window(0)
        judged = [p for p in parts if isinstance(p, _JudgedExceptions)]
        exceptions = tuple(k for p in parts if isinstance(p, tuple) for k in p) + tuple(
            k for j in judged for k in j.concepts)
        nodes = [p for p in parts if isinstance(p, ir.Node)]
        if len(nodes) > 1 and isinstance(nodes[0], ir.AnyOf) \
                and getattr(nodes[0].items[-1], "reason", None) == _SUSPICION:
            # "known or suspected brain metastases or leptomeningeal disease": the suspicion covers the list
            keys = [n.concept for m in nodes for n in _leaves(m) if isinstance(n, ir.Condition)]
            nodes = [*nodes[0].items[:-1], *nodes[1:], _suspicion(keys)]
        if isinstance(nodes[0], ir.Judged) and len(nodes) > 1 and nodes[0].qualifier != GENERIC_QUALIFIER:
            # "uncontrolled hypertension or diabetes": the words may qualify the whole list; read so,
            # the machine still decides every patient who has none of them
            q = nodes[0].qualifier
            nodes = [ir.Judged(q, n.item) if _generic(n) and n.qualifier == GENERIC_QUALIFIER else
                     n if isinstance(n, ir.Judged) else ir.Judged(q, n) for n in nodes]
        nodes = _recent_settled(parts, nodes, recent, window)
        written = exceptions
        if any(isinstance(n, ir.Condition) and n.exceptions for m in nodes for n in ir.walk(m)):
            # "active bacterial or mycobacterial infection": "active" holds for the whole list (not for a
            # generic illness beside it: "active infection or other serious illness")
            exceptions += tuple(k for m in nodes for n in ir.walk(m) if isinstance(n, ir.Condition)
                                for k in _latent_forms(n.concept))
        # "... except adequately treated basal cell carcinoma": with only an excepted one, a person weighs the words
        again = [ir.Judged(j.qualifier, _any([ir.Condition(k, window) for k in j.judged])) for j in judged]
        out = _any([_retime(p, window, written if _generic(p) else exceptions) for p in nodes] + again)
        if recent and window is None:
            out = ir.Judged(" or ".join([*(str(t.value) for t in parts if isinstance(t, Token) and t.type == "USE"),
                                         *recent]), out)
        if opened is not None:
            self._open.add(id(out))
        return out

    def drug(self, t: Token) -> ir.Node:
        return ir.Medication(t.value)

    def drug_systemic(self, _s: Token, t: Token) -> ir.Node:
        return ir.Medication(t.value, systemic=True)

    def drug_route(self, route: Token, t: Token) -> ir.Node:
        return ir.Medication(t.value, route=route.value)

    def drug_setting(self, *parts: Any) -> ir.Node:
        """"Adjuvant chemotherapy", "prophylactic filgrastim": why it was given is no part of a record; the drug
        is checked and a person weighs the setting (ir.Judged)."""
        drugs = [ir.Medication(t.value) for t in parts if isinstance(t, Token) and t.type == "DRUG"]
        return ir.Judged(_setting(parts), _any(list(dict.fromkeys(drugs))))

    def drug_routes(self, *parts: Any) -> ir.Node:
        """"oral or intravenous corticosteroids", "topical or systemic steroids": the drug by any of them."""
        t = parts[-1]
        return _any([ir.Medication(t.value, systemic=True) if r.type == "SYSTEMIC" else ir.Medication(t.value, route=r.value)
                     for r in parts[:-1] if isinstance(r, Token) and r.type in ("ROUTE", "SYSTEMIC")])

    # --- stable doses --------------------------------------------------------------------------
    def _stable_period(self, parts: tuple[Any, ...]) -> ir.Window:
        cmp = next((p for p in parts if isinstance(p, Token) and p.type == "CMP"), None)
        if cmp is not None and cmp.value not in (">=", ">"):
            raise Uncompilable("a stable dose for at most a time: an upper bound the rule cannot state")
        number = next(p for p in parts if isinstance(p, Token) and p.type == "NUMBER")
        unit = next(p for p in parts if isinstance(p, Token) and p.type == "TIMEUNIT")
        if isinstance(number.value, Ordinal) or number.value <= 0:
            raise Uncompilable("a stable dose needs a period")
        return ir.Window(number.value, unit.value)

    def _stable_drugs(self, parts: tuple[Any, ...]) -> list[ir.Medication]:
        meds = [m for p in parts if isinstance(p, ir.Node) for m in _leaves(p)]
        if not meds or not all(isinstance(m, ir.Medication) for m in meds):
            raise Uncompilable("a stable dose of what?")
        if any(isinstance(p, ir.Judged) for p in parts):
            raise Uncompilable("a stable dose of a drug given in a setting ('maintenance'): a person's call")
        return meds  # type: ignore[return-value]

    def _stable_moot(self, parts: tuple[Any, ...]) -> ir.Node:
        """Every drug named, if taken now, at a stable dose for the period; moot for one not taken."""
        period = self._stable_period(parts)
        meds = list(dict.fromkeys(self._stable_drugs(parts)))
        return _all([_any([ir.Not(replace(m, window=ir.Window(0))), replace(m, window=ir.Window(0), stable=period)])
                     for m in meds])

    def stable_demand(self, _lead: Token, *parts: Any) -> ir.Node:
        """"A stable dose of methotrexate for at least 8 weeks": methotrexate now, at one dose that long."""
        if self.kind == "exclusion":
            raise Uncompilable("a stable dose among the exclusions: excluded when stable, or when not?")
        period = self._stable_period(parts)
        return _any([replace(m, window=ir.Window(0), stable=period) for m in self._stable_drugs(parts)])

    def stable_if(self, *parts: Any) -> ir.Node:
        if self.kind == "exclusion":
            raise Uncompilable("'if on X, a stable dose' among the exclusions: excluded when stable, or when not?")
        at = next((i for i, p in enumerate(parts) if isinstance(p, Token) and p.type == "IFCOND"), len(parts))
        before = [p for p in parts[:at] if isinstance(p, ir.Node)]
        after = [p for p in parts[at:] if isinstance(p, ir.Node)]
        if before and after and ({m.concept for n in before for m in _leaves(n)}  # type: ignore[attr-defined]
                                 != {m.concept for n in after for m in _leaves(n)}):  # type: ignore[attr-defined]
            raise Uncompilable("a stable dose of one drug, if taking another")
        return self._stable_moot(tuple(p for p in parts if not isinstance(p, ir.Node)) + tuple(before or after))

    def stable_unless(self, *parts: Any) -> ir.Node:
        """"Phenytoin or carbamazepine (unless on a stable dose for 8 weeks)": excluded when taking one at a
        dose not stable that long."""
        if self.kind == "inclusion":
            raise Uncompilable("'X unless on a stable dose' among the inclusions: required, or allowed?")
        first = next(i for i, p in enumerate(parts) if isinstance(p, ir.Node))
        if any(isinstance(p, Token) and p.type in ("HISTORY", "PRIOR") for p in parts[:first]):
            raise Uncompilable("a past drug unless its dose is stable now")
        return ir.Not(self._stable_moot(parts))

    def drug_systemic_examples(self, *parts: Any) -> ir.Node:
        return _any([ir.Medication(x.value, systemic=True) for x in parts if isinstance(x, Token) and x.type == "DRUG"])

    def drug_examples(self, t: Token, *parts: Any) -> ir.Node:
        return _any([ir.Medication(x.value) for x in (t, *parts) if isinstance(x, Token) and x.type == "DRUG"])

    def dose(self, *parts: Token) -> ir.Dose:
        if isinstance(parts[-1], ir.Dose) or any(isinstance(p, ir.Dose) for p in parts):
            return next(p for p in parts if isinstance(p, ir.Dose))  # type: ignore[return-value]
        return _dose(next(p for p in parts if p.type == "CMP").value, parts)

    def medications(self, *parts: Any) -> ir.Node:
        history = any(isinstance(p, Token) and (p.type in ("HISTORY", "PRIOR") or
                                                p.type == "USE" and str(p).lower() in lexicon().past_use)
                      for p in parts)  # "have received rituximab": ever
        window = next((p for p in parts if isinstance(p, ir.Window)), None)
        if window is None and not history:
            window = ir.Window(0)
        dose = next((p for p in parts if isinstance(p, ir.Dose)), None)
        meds = [m for p in parts if isinstance(p, ir.Node) for m in _leaves(p)]
        settings = _drug_settings(parts)  # "prior adjuvant chemotherapy": ir.Judged around that drug
        if meds and meds[0].systemic:  # type: ignore[attr-defined]  # "systemic steroids or tacrolimus": both
            meds = [m if m.route else ir.Medication(m.concept, m.window, m.dose, True) for m in meds]  # type: ignore[attr-defined]
        if meds and meds[0].route and any(m.route is None and not m.systemic for m in meds):  # type: ignore[attr-defined]
            raise Uncompilable("a route before a list of drugs: is it said of them all?")
        again = [p.value for p in parts if isinstance(p, Token) and p.type == "DRUG"]  # after the dose
        if any(a != m.concept for a in again for m in meds):  # type: ignore[attr-defined]
            raise Uncompilable("the dose is stated for a different drug than the one named")
        if dose is not None and dose.op in ("<", "<=") and self.kind == "inclusion":
            # "corticosteroid less than 1.0 mg/kg/d" is a ceiling: not taking it at or above that dose
            above = ir.Dose({"<": ">=", "<=": ">"}[dose.op], dose.value, dose.unit)
            return ir.Not(_any([_set(ir.Medication(m.concept, window, above, m.systemic, m.route), settings, i)  # type: ignore[attr-defined]
                                for i, m in enumerate(meds)]))
        return _any([_set(ir.Medication(m.concept, window, dose, m.systemic, m.route), settings, i)  # type: ignore[attr-defined]
                     for i, m in enumerate(meds)])

    def medications_for(self, *parts: Any) -> ir.Node:
        """"No prior chemotherapy for melanoma": what a drug was for is seldom in a record; without the drug
        the statement is decided, with it a person checks the indication."""
        if any(isinstance(p, ir.Dose) for p in parts):
            raise Uncompilable("a dose and an indication together")
        node = self.medications(*(p for p in parts if not (isinstance(p, Token) and p.type == "CONDITION")))
        return ir.Judged(_purpose(parts), node)  # type: ignore[arg-type]

    def medications_except(self, *parts: Any) -> ir.Node:
        """"Antiretroviral agents other than zidovudine (AZT)": a drug of the class other than those. Each
        excepted drug must belong to a class of the list ("investigational drugs other than antiretrovirals"
        excepts no investigational drug the record can name: review)."""
        cut = next(i for i, p in enumerate(parts) if isinstance(p, Token) and p.type == "EXCEPT")
        excepted = tuple(dict.fromkeys(p.value for p in parts[cut:] if isinstance(p, Token) and p.type == "DRUG"))
        node = self.medications(*(p for p in parts[:cut] if not (isinstance(p, Token) and p.type in ("COMMA", "LPAR"))),
                                *(p for p in parts[cut:] if isinstance(p, ir.Window)))
        meds = [m for m in _leaves(node) if isinstance(m, ir.Medication)]
        if any(not any(m.concept in vocab.ancestors(x) and m.concept != x for m in meds) for x in excepted):
            raise Uncompilable("an exception that is not one of the drugs named before it")
        return _excepting(node, excepted)

    def medications_upto(self, *parts: Token | None) -> ir.Node:
        """"Chemotherapy =< 4 weeks" among the exclusions: given within the last 4 weeks. The comparator must follow
        the drug's name at once: a word between ("treatment with cabergoline for 12 months") may make it a duration."""
        toks = [t for t in parts if t is not None]
        drugs = [t for t in toks if t.type == "DRUG"]
        cmp, number, unit = (next(t for t in toks if t.type == k) for k in ("CMP", "NUMBER", "TIMEUNIT"))
        drug = drugs[-1]
        if cmp.value not in ("<", "<=") or self.kind != "exclusion":
            raise Uncompilable("a drug and a time: how long ago, or for how long?")
        if drug.end_pos is None or cmp.start_pos is None or cmp.start_pos - drug.end_pos > 1:
            raise Uncompilable("a word between the drug and the time: how long ago, or for how long?")
        lead = [t for t in toks if t.type in ("HISTORY", "PRIOR", "USE", "REQUIRING") and t.start_pos < drugs[0].start_pos]
        return self.medications(*lead, *(ir.Medication(d.value) for d in drugs), ir.Window(number.value, unit.value))

    def medications_lasting(self, *parts: Any) -> ir.Node:
        """"Zidovudine (AZT) for more than 6 months", "no more than 2 weeks of prior protease inhibitors": taken that
        long (ir.Duration), ever. Said with "for" after the drug ("cabergoline for less than 12 months") it is said of
        one who took it; the duration first ("no more than 2 weeks of X") admits none. Taken now ("on X for at least
        7 days") asks for a current course, which the total does not tell: review."""
        toks = [p for p in parts if isinstance(p, Token)]
        cmp, number, unit = (next(t for t in toks if t.type == k) for k in ("CMP", "NUMBER", "TIMEUNIT"))
        lead = parts[:next(i for i, p in enumerate(parts) if isinstance(p, ir.Node))]  # not "NRTI therapy" after it
        if any(isinstance(t, Token) and t.type == "USE" and str(t).lower() in lexicon().present_use for t in lead):
            raise Uncompilable("taken now for a time: a current course, or in all?")
        meds = [m for p in parts if isinstance(p, ir.Node) for m in _leaves(p)]
        if len(meds) != 1 or type(meds[0]) is not ir.Medication:
            raise Uncompilable("how long of which drug?")  # "more than 6 weeks of A or B": each, or both together?
        if unit.value == "hour":
            raise Uncompilable("a duration in hours: a record dates a course by the day")
        last = parts[-1]  # "prior to study entry" ends the sentence; "3 months of prior X" does not
        if self.kind == "exclusion" and isinstance(last, Token) and last.type in ("PRIOR", "ANCHOR"):
            # "experimental therapy for >= 4 weeks prior to initiation": taken that long, or in the weeks before?
            raise Uncompilable("'for N weeks prior to' among the exclusions: a duration, or a time before?")
        duration = ir.Duration(cmp.value, number.value, unit.value)
        node = _any([replace(m, window=None, duration=duration) for m in meds])  # type: ignore[arg-type]
        if any(t.type == "LASTING" for t in toks) and cmp.value in ("<", "<="):
            node = _all([_any([replace(m, window=None) for m in meds]), node])  # type: ignore[arg-type]
        return node

    def recovery(self, *parts: Any) -> ir.Node:
        events = [ir.Medication(t.value) if t.type == "DRUG" else ir.Procedure(t.value)
                  for t in parts if isinstance(t, Token) and t.type in ("DRUG", "PROCEDURE")]
        return _recovered_from(events, "not recovered from its effects")

    def allergies(self, *parts: Any) -> ir.Node:
        lead = next(p for p in parts if isinstance(p, Token) and p.type == "ALLERGY")  # after a history lead
        if lead.value == "contraindication":
            raise Uncompilable("a contraindication is a clinician's call, not only an allergy")
        concepts = [m.concept for p in parts if isinstance(p, ir.Node) for m in _leaves(p)]  # type: ignore[attr-defined]
        if any(isinstance(p, ir.Judged) for p in parts):
            raise Uncompilable("an allergy to a drug in a setting ('adjuvant'): what is it to?")
        if "investigational_agent" in concepts:
            raise Uncompilable("an allergy to the study drug: the drug is named elsewhere in the protocol")
        # "allergy to penicillin" is to the penicillins: a drug that names a class ("penicillin_class") means it
        named = {k: f"{k}_class" for k in concepts if f"{k}_class" in vocab.get_concept(k).parents}
        nodes: list[ir.Node] = [ir.Allergy(named.get(k, k)) for k in concepts]
        if any(isinstance(p, Token) and p.type == "EXCIPIENTS" for p in parts):
            nodes.append(ir.Review("its excipients", "an allergy to the drug's other ingredients: the record names "
                                                     "substances no vocabulary links to the drug"))
        return _any(nodes)

    def immunizations(self, *parts: Any) -> ir.Node:
        window = _event_window(parts)
        return _any([ir.Immunization(t.value, window) for t in parts if isinstance(t, Token) and t.type == "VACCINE"])

    def procedures(self, *parts: Any) -> ir.Node:
        window = _event_window(parts, now=True)
        return _any([_retime(p, window, ()) for p in parts if isinstance(p, ir.Node)])

    def procedures_for(self, *parts: Any) -> ir.Node:
        rest = [p for p in parts if not (isinstance(p, Token) and p.type in ("CONDITION", "FOR", "OR", "AND"))]
        return ir.Judged(_purpose(parts), self.procedures(*rest))  # type: ignore[arg-type]

    def treated(self, *parts: Any) -> ir.Node:
        """"Prior therapy for lymphoma": only a patient who has (had) lymphoma can have been treated for it."""
        lead = next(t for t in parts if isinstance(t, Token) and t.type == "TREATFOR")
        window = next((p for p in parts if isinstance(p, ir.Window)), None)
        past = any(isinstance(t, Token) and (t.type in ("HISTORY", "PRIOR") or
                                             t.type == "USE" and str(t).lower() not in lexicon().present_use)
                   for t in parts) or not set(str(lead.value).split()).isdisjoint(phrase_data()["indication"]["past_words"])
        if window is None and not past:
            window = ir.Window(0)
        conds = [ir.Condition(k, window) for t in parts if isinstance(t, Token) and t.type in ("CONDITION", "CGROUP")
                 for k in ((t.value,) if t.type == "CONDITION" else t.value)]
        return ir.Judged(str(lead.value), _any(conds))

    def proc(self, t: Token) -> ir.Node:
        return ir.Procedure(t.value)

    def proc_examples(self, *parts: Token) -> ir.Node:
        return _any([ir.Procedure(t.value) for t in parts if isinstance(t, Token) and t.type == "PROCEDURE"])

    def since_study(self, _t: Token) -> ir.Node:
        return ir.StudyParticipation()

    def proc_setting(self, *parts: Token) -> ir.Node:
        return ir.Judged(_setting(parts), ir.Procedure(parts[-1].value))

    def proc_judged(self, *parts: Token | None) -> ir.Node:
        t = next(p for p in parts if isinstance(p, Token) and p.type == "PROCEDURE")
        return ir.Judged(_qualifier(parts), ir.Procedure(t.value))

    def study(self, *parts: Any) -> ir.Node:
        if any(isinstance(p, ir.Judged) for p in parts):
            raise Uncompilable("a study or a drug in a setting ('adjuvant'): not read together")
        window = next((p for p in parts if isinstance(p, ir.Window)), None)
        lead = str(next(p for p in parts if isinstance(p, Token) and p.type == "STUDY"))
        past = window is None and any(lead.startswith(w) for w in phrase_data()["study_template"]["past"])
        drugs = [ir.Medication(m.concept, window if window is not None else ir.Window(0), systemic=m.systemic,  # type: ignore[attr-defined]
                               route=m.route)  # type: ignore[attr-defined]
                 for p in parts if isinstance(p, ir.Node) for m in _leaves(p)]
        if past and drugs:
            raise Uncompilable("a past study and a drug with no time frame: taken when?")
        # "participated in another trial": ever; "participation in another trial": now
        return _any([ir.StudyParticipation(None if past else window if window is not None else ir.Window(0)), *drugs])

    def window(self, *parts: Token) -> ir.Window:
        number = next(p for p in parts if p.type == "NUMBER")
        unit = next(p for p in parts if p.type == "TIMEUNIT")
        bound = next((p.value for p in parts if p.type == "BOUND"), None)  # "or 5 half-lives, whichever is longer"
        return ir.Window(number.value, unit.value, bound)

    def window_one(self, *parts: Token) -> ir.Window:
        return ir.Window(1, next(p for p in parts if p.type == "TIMEUNIT").value)

    # --- states, statements, counts ------------------------------------------------------------
    def flag(self, t: Token) -> ir.Node:
        return ir.Flag("pregnant" if t.type == "PREGNANT" else "lactating")

    def flags(self, *parts: Any) -> ir.Node:  # "women who are pregnant": only a woman can be
        return _any(list(dict.fromkeys(p for p in parts if isinstance(p, ir.Node))))

    def attest(self, *parts: Any) -> ir.Node:
        name, negated = parts[-1].value
        node: ir.Node = ir.Attestation(name)
        if name == "contraception":  # "Fertile patients must use effective contraception": see _contraception_group
            words = " ".join(str(p.value) if isinstance(p, Token) else " ".join(
                "women" if n.value == "female" else "men" for n in ir.walk(p) if isinstance(n, ir.Sex)) for p in parts[:-1])
            node = _with_group(node, words)
        return ir.Not(node) if negated else node

    # --- reproductive statements said of a group (start_repro) ---------------------------------
    def start_repro(self, *parts: Any) -> ir.Node:
        return self.start(*parts)

    def group_list_repro(self, *parts: Any) -> ir.Node:
        return self.group_list(*parts)

    def rflags(self, *parts: Any) -> ir.Node:
        """"pregnant or nursing": either; "not pregnant or nursing", "not pregnant, not nursing": neither."""
        runs: list[tuple[bool, list[ir.Node]]] = []
        for p in parts:
            if isinstance(p, Token) and p.type == "NEG" or not runs:
                runs.append((isinstance(p, Token) and p.type == "NEG", []))
            if isinstance(p, ir.Node):
                runs[-1][1].append(p)
        if len(runs) > 1 and not all(negated for negated, _ in runs):
            raise Uncompilable("states said both ways in one run")
        nodes = [_any(list(dict.fromkeys(flags))) for _, flags in runs]
        return _all([ir.Not(n) for n in nodes]) if runs[0][0] else _any(nodes)

    def for_group(self, *parts: Any) -> ir.Node:
        """"Women of childbearing potential must have a negative pregnancy test": the demand holds for that group
        only. Among the inclusions a negative pregnancy test is demanded of the group alone (anyone outside it
        meets the criterion); "not pregnant", "pregnant or nursing" need no group, as only such a woman can be
        (ir.Flag already reads a man as neither). Among the exclusions a positive test or the state excludes:
        the group is implied by it."""
        toks = [p for p in parts if isinstance(p, Token)]
        window = next((p for p in parts if isinstance(p, ir.Window)), None)
        outside = _outside_group(toks)
        if self.kind == "exclusion" and not any(t.type == "IFCOND" for t in toks) and any(
                isinstance(a, Token) and isinstance(b, Token) and {a.type, b.type} & {"SEX", "POPULATION"}
                and "COMMA" in {a.type, b.type} for a, b in zip(parts, parts[1:])):
            # "Female participants of childbearing potential, pregnant, or lactating": the group is one of the list
            raise Uncompilable("a group beside exclusions: whom they are for, or one more exclusion?")
        facts = []
        for p in parts:
            if isinstance(p, ir.AnyOf) and isinstance(p.items[-1], ir.TestResult) and isinstance(p.items[0], ir.Sex):
                # "a woman of childbearing potential must have a negative pregnancy test": `negative` read the group
                outside = _any([outside, *p.items[:-1]]) if len(p.items) > 2 else outside
                p = p.items[-1]
            if isinstance(p, ir.Node):
                facts.append(p)
        for f in facts:
            if isinstance(f, ir.TestResult) and f.analyte != "pregnancy_test":
                raise Uncompilable(f"a {units.get_quantity(f.analyte).name} demanded of a reproductive group")
        if window is not None:
            tested = [f for f in facts if isinstance(f, ir.TestResult)]
            if len(tested) != 1 or tested[0].window is not None:
                raise Uncompilable("a time frame after the group: which demand does it limit?")
            facts = [ir.TestResult(f.analyte, f.result, window) if f is tested[0] else f for f in facts]
        inclusion = self.kind == "inclusion"
        for f in facts:
            negated = [isinstance(n, ir.Not) for n in (f.items if isinstance(f, ir.All) else (f,))]
            ok = f.result == ("negative" if inclusion else "positive") if isinstance(f, ir.TestResult) else (
                all(n == inclusion for n in negated) and all(isinstance(n, ir.Flag) for n in _leaves(f)))
            if not ok:
                raise Uncompilable(f"a reproductive statement whose sense does not fit the {self.kind}s")
        if not inclusion:
            return _any(facts)
        if any(t.type == "OR" for t in toks):
            raise Uncompilable("demands joined by 'or'")
        tests = [f for f in facts if isinstance(f, ir.TestResult)]
        states = [f for f in facts if not isinstance(f, ir.TestResult)]
        return _all([*states, *([_any([outside, _all(tests)])] if tests else [])])

    def sterile(self, *parts: Token) -> ir.Node:  # "surgically sterile": the record's procedures list
        return ir.Procedure("sterilization")

    def sexed_condition(self, cond: Token, sex: Token) -> ir.Node:  # "postmenopausal women"
        if cond.value != "postmenopausal" or sex.value != "female":
            raise Uncompilable(f"'{cond}' before '{sex}'")
        return ir.Condition("postmenopausal", ir.Window(0))

    def not_childbearing(self, sex: Token, neg: Token, population: Token) -> ir.Node:
        """"Women who are not of childbearing potential": a woman whom the record shows outside that group."""
        if sex.value != "female" or not _childbearing(population):
            raise Uncompilable(f"'{sex} not {population}'")
        return ir.All((ir.Sex("female"), _any(list(_NOT_CHILDBEARING))))

    def attest_for(self, *parts: Any) -> ir.Node:
        return next(p for p in parts if isinstance(p, ir.Node))

    def bare_test(self, t: Token, method: Token | None = None) -> ir.Node:
        return self._tests((self.tquantity(t), *([method] if method else [])), "positive")

    def lone_test(self, t: Token, method: Token | None = None) -> ir.Node:
        """"Known diagnosis of HIV": a test that shows a condition (quantities.toml ``shows``), named alone, is
        the condition (whose evaluation reads the test too); another test named with no result ("Have a
        pregnancy test") may ask that it was done, not that it was positive; a finding is present."""
        tests = [units.get_quantity(k) for k in self.tquantity(t)]
        if method is None and len(tests) == 1 and tests[0].shows:
            return ir.Condition(tests[0].shows)
        for q in tests:
            if "test" in q.name.split():
                raise Uncompilable(f"'{q.name}' with no result: that the test was done, or that it was positive?")
        return self.bare_test(t, method)  # "Measurable disease per RECIST 1.1", "HCV RNA": the finding

    def at_least(self, *parts: Any) -> ir.Node:
        n = int(next(p for p in parts if isinstance(p, Token) and p.type == "NUMBER").value)
        members = tuple(p for p in parts if isinstance(p, ir.Node))
        if n == 1 and len(members) == 1 and isinstance(members[0], ir.AnyOf):
            return members[0]  # "at least one of the following: a, b, c" read as one list: any of them
        if len(members) < 2 or n > len(members):
            raise Uncompilable(f"'at least {n}' of {len(members)} listed items")
        return ir.AtLeast(n, members)


# Childbearing potential. The record tells it three ways: the investigator's statement
# (`attestations.childbearing_potential`, the WOCBP box of a case report form), a postmenopausal state among the
# conditions, or a hysterectomy or bilateral oophorectomy among the procedures (permanent by every protocol's
# definition; tubal ligation is not: some protocols count it as contraception). A man is outside the group.
# With none of these the record cannot tell, and a demand made of the group alone is unknown unless it is met.
_NOT_CHILDBEARING: tuple[ir.Node, ...] = (
    ir.Not(ir.Attestation("childbearing_potential")), ir.Condition("postmenopausal"),
    ir.Procedure("hysterectomy"), ir.Procedure("bilateral_oophorectomy"))
_WOMEN_ONLY = frozenset({"postmenopausal", "sterilization", "hysterectomy", "bilateral_oophorectomy", "tubal_ligation"})


@lru_cache(maxsize=1)
def _population_words() -> tuple[frozenset[str], frozenset[str]]:
    d = phrase_data()["population"]
    return frozenset(d["childbearing_words"]), frozenset(d["men_words"])


def _childbearing(population: Token) -> bool:
    """"Women of childbearing potential", "fertile patients": the group, not men (phrases.toml [population])."""
    text = str(population.value if isinstance(population.value, str) else population).lower()
    words = set(re.findall(r"[a-z]+", text))
    childbearing, men = _population_words()
    return not words.isdisjoint(childbearing) and words.isdisjoint(men)


def _contraception_group(text: str) -> ir.Node | None:
    """Who is outside the group a contraception demand names, or None when it names none. "Women of
    childbearing potential", "WOCBP": men, and women the record shows outside it (_NOT_CHILDBEARING); "fertile
    patients", "men and women of reproductive potential": women the record shows outside it (a man's fertility
    no record tells); "women" alone: men; "men" alone: women."""
    order = re.findall(r"[a-z]+", text.lower())
    words = set(order)
    childbearing_words, men_words = _population_words()
    women_words = frozenset(phrase_data()["population"]["women_words"])
    women, men = not words.isdisjoint(women_words), not words.isdisjoint(men_words)
    if not words.isdisjoint(("partner", "partners")):  # "Men whose partners are of childbearing potential": the men
        first = next((w for w in order if w in women_words or w in men_words), None)
        return None if first is None else ir.Sex("female") if first in men_words else ir.Sex("male")
    if not words.isdisjoint(childbearing_words):
        if men and not women:  # "fertile men"
            return ir.Sex("female")
        if women and not men:  # "women of childbearing potential"
            return _any([ir.Sex("male"), *_NOT_CHILDBEARING])
        return _all([ir.Sex("female"), _any(list(_NOT_CHILDBEARING))])  # "fertile patients"
    if women != men:
        return ir.Sex("male") if women else ir.Sex("female")
    return None


def _with_group(node: ir.Node, text: str) -> ir.Node:
    """The contraception attestations in ``node`` hold for whoever is outside the group ``text`` names:
    any(outside, attestation(contraception)); negated where the sentence negates it."""
    outside = _contraception_group(text)
    if outside is None:
        return node
    stated = ir.Attestation("contraception")

    def rebuild(n: ir.Node) -> ir.Node:
        if n == stated:
            return _any(_flat([outside, stated], ir.AnyOf))
        if isinstance(n, ir.Not):
            return ir.Not(rebuild(n.item))
        if isinstance(n, (ir.AnyOf, ir.All)):
            return type(n)(tuple(rebuild(i) for i in n.items))
        return n
    return rebuild(node)


def _outside_group(toks: list[Token]) -> ir.Node:
    """Who is outside "women", "if female of childbearing potential", "fertile patients": a man, and for
    childbearing potential a woman the record shows outside it (_NOT_CHILDBEARING)."""
    sexes = {t.value for t in toks if t.type == "SEX"}
    populations = [t for t in toks if t.type == "POPULATION"]
    if sexes - {"female"} or any(not _childbearing(p) for p in populations):
        raise Uncompilable("a reproductive demand of a group that is not women (of childbearing potential)")
    if not populations:
        return ir.Sex("male")
    return _any([ir.Sex("male"), *_NOT_CHILDBEARING])


def _dose(op: str, parts: tuple[Any, ...]) -> ir.Dose:
    """The NUMBER and UNIT among ``parts`` as a dose threshold in its canonical dose unit."""
    number = next(p for p in parts if isinstance(p, Token) and p.type == "NUMBER")
    unit = next(p for p in parts if isinstance(p, Token) and p.type == "UNIT")
    try:
        value, canonical = units.dose_to_canonical(number.value, unit.value)
    except ScreeningError as exc:
        raise Uncompilable(f"dose unit: {exc.message}") from None
    return ir.Dose(op, value, canonical)


def _event_window(parts: tuple[Any, ...], now: bool = False) -> ir.Window | None:
    """A dated event (procedure, vaccination) needs a time frame: a window, or 'prior'/'undergone'/'received'
    (ever). With ``now``, "concurrent radiotherapy" is one going on at screening (a procedure dated before
    it may be a course still under way: the evaluator leaves that unknown)."""
    window = next((p for p in parts if isinstance(p, ir.Window)), None)
    if now and window is None and any(isinstance(p, Token) and p.type == "USE" and str(p).lower() in
                                      phrase_data()["current_state"]["phrases"] for p in parts):
        return ir.Window(0)
    past = any(isinstance(p, Token) and (p.type in ("HISTORY", "PRIOR", "PROCUSE") or
                                         p.type == "USE" and str(p).lower() not in lexicon().present_use) for p in parts)
    if window is None and not past:
        raise Uncompilable("no time frame: when must it have happened?")
    return window


def _age_values(parts: tuple[Any, ...]) -> list[tuple[float, bool]]:
    """The ages among ``parts`` in years, each with whether it counts whole years: a number takes the time unit
    right after it, else the last one ("6 months to 5 years": 0.5 and 5; "18 to 65 years": 18 and 65)."""
    toks = [p for p in parts if isinstance(p, Token)]
    last = next((t.value for t in reversed(toks) if t.type == "TIMEUNIT"), None)
    out = []
    for i, t in enumerate(toks):
        if t.type == "NUMBER":
            unit = toks[i + 1].value if i + 1 < len(toks) and toks[i + 1].type == "TIMEUNIT" else last
            out.append((_years(t.value, unit), unit in (None, "year")))
    return out


def _age(op: str, years: float, whole_years: bool) -> ir.Node:
    # "up to 65 years" means until the 66th birthday: completed years <= 65
    if op == "<=" and whole_years and years == int(years):
        op, years = "<", years + 1
    q = units.get_quantity("age")
    if q.max is not None and years > q.max:
        raise Uncompilable(f"{years:g} years is not a plausible age")
    return ir.Measure("age", op, years, "year")


def _flat(nodes: list[ir.Node], kind: type) -> list[ir.Node]:
    out = [x for n in nodes for x in (n.items if type(n) is kind else (n,))]  # type: ignore[attr-defined]
    return list(dict.fromkeys(out))


@lru_cache(maxsize=1)
def _prohibitions() -> frozenset[str]:
    return frozenset(phrase_data()["negation"]["prohibitions"])


@lru_cache(maxsize=1)
def _therapy_counts() -> frozenset[str]:
    return frozenset(phrase_data()["therapy_counts"]["quantities"])


def _recovered_from(events: list[ir.Node], words: str) -> ir.Node:
    """"Recovered from prior surgery": moot for a patient who never had it (decided); with it, whether
    the patient recovered is a person's call."""
    ever = [ir.Procedure(n.concept) if isinstance(n, ir.Procedure) else ir.Medication(n.concept)
            for n in events if isinstance(n, (ir.Medication, ir.Procedure))]
    return ir.Not(ir.Judged(words, _any(ever)))


def _excepting(node: ir.Node, excepted: tuple[str, ...]) -> ir.Node:
    """``node`` with the drugs ``excepted`` from every medication of a class they belong to."""
    if isinstance(node, ir.Medication):
        own = tuple(x for x in excepted if node.concept in vocab.ancestors(x))
        return replace(node, exceptions=own) if own else node
    if isinstance(node, (ir.Not, ir.Judged)):
        return replace(node, item=_excepting(node.item, excepted))
    if isinstance(node, (ir.AnyOf, ir.All)):
        return replace(node, items=tuple(_excepting(n, excepted) for n in node.items))
    return node


def _attested(node: ir.Node, negated: bool = False) -> bool:
    """An attestation the rule holds as true (not negated) somewhere in ``node``."""
    if isinstance(node, ir.Attestation):  # whether a woman can bear children says whom a demand is for
        return not negated and node.name != "childbearing_potential"
    return any(_attested(c, negated != isinstance(node, ir.Not)) for c in ir.children(node))


def _other_than(node: ir.Node, own: frozenset[str]) -> ir.Node:
    """Every condition in ``node`` with the trial's own conditions below it made exceptions; when there is
    none below it, "other" has nothing the rule can name and the sentence goes to review."""
    if _generic(node):  # "no other serious illness": any condition goes to a person anyway
        return node
    if isinstance(node, ir.Condition):
        below = tuple(sorted(o for o in own if o != node.concept and node.concept in vocab.ancestors(o)))
        if not below:
            raise Uncompilable("'other' condition than which? (the trial's own condition is not one to exclude)")
        return ir.Condition(node.concept, node.window, tuple(dict.fromkeys((*node.exceptions, *below))))
    if isinstance(node, (ir.All, ir.AnyOf)):
        return type(node)(tuple(_other_than(n, own) for n in node.items))
    if isinstance(node, (ir.Not, ir.Judged)):
        raise Uncompilable("'other' condition than which? (the trial's own condition is not one to exclude)")
    return node


GENERIC_QUALIFIER = "generic illness"


def _generic(node: ir.Node) -> bool:
    """A generic illness ("serious concurrent illness"): a judged fact of any condition the record carries."""
    return isinstance(node, ir.Judged) and isinstance(node.item, ir.Condition) and node.item.concept == vocab.ANY_CONDITION


@lru_cache(maxsize=1)
def _generic_systemic() -> frozenset[tuple[str, ...]]:
    return frozenset(phrase_key(p) for p in phrase_data()["generic_illness"]["systemic"])


def _setting(parts: tuple[Any, ...]) -> str:
    """"adjuvant or neoadjuvant": the settings a treatment was given in (phrases.toml [setting])."""
    toks = [p for p in parts if isinstance(p, Token)]
    words = [str(t.value).lower() for t in toks if t.type == "SETTING"]
    return (" and " if any(t.type == "AND" for t in toks) else " or ").join(dict.fromkeys(words))


def _drug_settings(parts: tuple[Any, ...]) -> list[str | None]:
    """The setting of every medication leaf of ``parts``, in order (None: none named)."""
    found = [p.qualifier if isinstance(p, ir.Judged) else None
             for p in parts if isinstance(p, ir.Node) for _ in _leaves(p)]
    # "adjuvant chemotherapy or hormonal therapy": the setting may be said of the whole list; read so, the
    # machine still decides every patient who took none of them
    return [found[0]] * len(found) if found and found[0] is not None else found


def _set(node: ir.Node, settings: list[str | None], i: int) -> ir.Node:
    q = settings[i] if i < len(settings) else None
    return node if q is None else ir.Judged(q, node)


def _purpose(parts: tuple[Any, ...]) -> str | None:
    """"for melanoma", "for lung cancer or copd exacerbation": what a treatment was for, or None."""
    conds = [_concept_words(p.value) for p in parts if isinstance(p, Token) and p.type == "CONDITION"]
    return f"for {' or '.join(conds)}" if conds else None


def _method_keys(method: Token) -> tuple[str, ...]:
    """The quantities a METHOD token is a way of obtaining or assessing."""
    return method.value if isinstance(method.value, tuple) else (method.value,)


def _concept_words(key: str) -> str:
    return key.replace("_", " ")


def _qualifier(parts: tuple[Any, ...]) -> str:
    """The words a person weighs, from JUDGED / NEEDS / REQUIRING tokens: "severe or unstable",
    "uncontrolled, requiring antibiotic"."""
    toks = [p for p in parts if isinstance(p, Token)]
    # joined as written: "severe chronic" (both hold), "uncontrolled or severe", "serious, progressive"
    joined, between = "", ""
    for t in parts:  # a list separator (lsep) arrives as None
        if isinstance(t, Token) and t.type == "JUDGED":
            joined += ({"": " ", "AND": " and "}.get(between, " or ") if joined else "") + str(t.value)
            between = ""
        elif joined and (t is None or isinstance(t, Token) and t.type in ("COMMA", "OR", "AND")):
            between += "SEP" if t is None else t.type
    tail = next((str(t.value) for t in toks if t.type == "NEEDS"), "")
    lead = next((str(t.value) for t in toks if t.type == "REQUIRING"), "")
    if lead:
        what = [(f"{toks[i - 1].value.replace('_', '-')} " if toks[i - 1].type == "ROUTE" else "") + _concept_words(str(t.value))
                for i, t in enumerate(toks) if t.type in ("DRUG", "PROCEDURE")]
        tail = f"{lead} {' or '.join(what)}"
    return ", ".join(x for x in (joined, tail) if x)


_SUSPICION = "a suspected condition is not in a record of diagnoses"


def _suspicion(keys: Any) -> ir.Review:
    """What a person checks for "suspected X or Y": no record of diagnoses holds a suspicion."""
    return ir.Review("suspected " + " or ".join(vocab.get_concept(k).name.lower() for k in keys), _SUSPICION)


def _any(nodes: list[ir.Node]) -> ir.Node:
    nodes = _flat(nodes, ir.AnyOf)
    return nodes[0] if len(nodes) == 1 else ir.AnyOf(tuple(nodes))


def _all(nodes: list[ir.Node]) -> ir.Node:
    nodes = _flat(nodes, ir.All)
    return nodes[0] if len(nodes) == 1 else ir.All(tuple(nodes))


def _measures_only(node: ir.Node) -> bool:
    return all(isinstance(n, ir.Measure) and n.quantity != "age" for n in _leaves(node)) and not isinstance(node, ir.Not)


def _leaves(node: ir.Node) -> list[ir.Node]:
    kids = ir.children(node)
    return [node] if not kids else [x for k in kids for x in _leaves(k)]


def _timed(node: ir.Node, window: ir.Window | None) -> ir.Node:
    """Every medication and procedure in ``node`` with ``window`` (route and qualifiers kept)."""
    if isinstance(node, (ir.Medication, ir.Procedure, ir.StudyParticipation)):
        return replace(node, window=window)
    if isinstance(node, ir.Judged):
        return ir.Judged(node.qualifier, _timed(node.item, window))
    if isinstance(node, (ir.AnyOf, ir.All)):
        return type(node)(tuple(_timed(n, window) for n in node.items))
    return node


@lru_cache(maxsize=4096)
def _latent_forms(concept: str) -> tuple[str, ...]:
    """Concepts under ``concept`` that are not active disease (phrases.toml [active]): "active X" excepts them."""
    return tuple(k for k in phrase_data()["active"]["latent"] if concept in vocab.ancestors(k) and k != concept)


def _recent_settled(parts: tuple[Any, ...], nodes: list[ir.Node], lead: list[str],
                    window: ir.Window | None) -> list[ir.Node]:
    """"Recent myocardial infarction (within 6 months)", "recent MI or stroke within 6 months": the time frame says
    what "recent" means (phrases.toml [defined_qualifiers] timed), so the words are settled by it and the machine
    decides; other words beside it stay a person's ("recent significant bleeding": significant). A bare time in
    parentheses ("(less than 1 month)") is a time frame only after "recent"."""
    timed = {phrase_key(w) for w in phrase_data()["defined_qualifiers"]["timed"]}
    if any(phrase_key(w) not in timed for w in lead):
        raise Uncompilable("a qualifier that a time frame does not define")
    if window is None or window.amount == 0:
        return nodes

    def settled(n: ir.Node) -> ir.Node:
        if not isinstance(n, ir.Judged) or "," in n.qualifier:
            return n
        if any(phrase_key(a) in timed for a in n.qualifier.split(" or ")):
            return n.item  # "recent or uncontrolled": the window alone meets it
        words = n.qualifier.split(" ")
        if " or " not in n.qualifier and phrase_key(words[0]) in timed:
            rest = words[2:] if len(words) > 2 and words[1] == "and" else words[1:]
            return ir.Judged(" ".join(rest), n.item)  # "recent significant": significant
        return n

    out = [settled(n) for n in nodes]
    if any(isinstance(p, _Period) for p in parts) and not lead and out == nodes:
        raise Uncompilable("a time in parentheses with no 'recent' before it: how long ago, or how long it lasted?")
    return out


def _retime(node: ir.Node, window: ir.Window | None, exceptions: tuple[str, ...]) -> ir.Node:
    """Give the list's window and exceptions to every condition (and procedure) in it."""
    if isinstance(node, ir.Condition):
        return ir.Condition(node.concept, window, tuple(dict.fromkeys(node.exceptions + exceptions)))
    if isinstance(node, ir.Procedure):
        return ir.Procedure(node.concept, window)
    if isinstance(node, ir.Measure) and node.window is None and window is not None and window.amount > 0:
        # "hyponatremia (sodium < 130 mmol/L) within 72 hours": any value in the window
        return ir.Measure(node.quantity, node.op, node.value, node.unit, window, node.shown_unit)
    if isinstance(node, ir.Judged):
        return ir.Judged(node.qualifier, _retime(node.item, window, exceptions))
    if isinstance(node, ir.AnyOf):
        return ir.AnyOf(tuple(_retime(n, window, exceptions) for n in node.items))
    return node


# ---------------------------------------------------------------------------------------------
# Items and trials
# ---------------------------------------------------------------------------------------------



_ABBREVIATION = re.compile(r"(?<![\w.])(?:i\.e|e\.g)$", re.IGNORECASE)  # "i.e." and "e.g." end no sentence


def split_sentences(text: str) -> list[tuple[int, str]]:
    """Sentences of an item at parenthesis depth 0, with their offsets."""
    out, start, depth = [], 0, 0
    for i, ch in enumerate(text):
        depth += ch in "([" and 1 or 0
        depth -= ch in ")]" and 1 or 0
        if depth <= 0 and ch in ".;" and (i + 1 == len(text) or text[i + 1] == " ") and not (
                ch == "." and i > 0 and text[i - 1].isdigit() and i + 1 < len(text) and text[i + 1:i + 2].isdigit()) and not (
                ch == "." and i + 1 < len(text) and _ABBREVIATION.search(text, 0, i)):  # "hypertension, i.e. SBP >= 160"
            out.append((start, text[start:i]))
            start = i + 1
    out.append((start, text[start:]))
    out = [piece for s, t in out for piece in _run_together(s, t)]
    return [(s + len(t) - len(t.lstrip()), t.strip(" .;:")) for s, t in out if t.strip(" .;:")]


@lru_cache(maxsize=1)
def _run_together_start() -> re.Pattern[str]:
    d = phrase_data()["run_together"]
    starts = "|".join(re.escape(w) for w in sorted(d["starts"], key=len, reverse=True))
    never = "|".join(re.escape(w) for w in d["never_before"])
    return re.compile(rf"(?<=[a-z0-9)%\]]) (?=(?:{starts}) (?!(?i:{never})\b)[A-Za-z0-9(])")


def _run_together(start: int, text: str) -> list[tuple[int, str]]:
    """One sentence, or the statements an old NCI page ran together in it (phrases.toml [run_together])."""
    words = text.split()
    if not words or sum(w[:1].isupper() and w[1:2].islower() for w in words) > 0.4 * len(words):
        return [(start, text)]  # title case ("Any Medical Condition Which ..."): capitals say nothing (acronyms aside)
    cuts = [m.start() for m in _run_together_start().finditer(text)]
    bounds = [0, *cuts, len(text)]
    return [(start + a, text[a:b]) for a, b in zip(bounds, bounds[1:])]


# what each of several run-together statements names (a sentence with fewer than two cannot be several)
_STATEMENT_HEADS = frozenset({"QUANTITY", "QGROUP", "QTEST", "CONDITION", "CGROUP", "DXCRIT", "GENERIC", "DRUG",
                              "PROCEDURE", "PROCUSE", "VACCINE", "ALLERGY", "STUDY", "PREGNANT", "LACTATING", "SEX",
                              "AGE", "AGETAIL", "POSTCMP", "ATTEST", "STERILE"})
_VALUE_ENDS = frozenset({"UNIT", "ULN", "NUMBER", "NORMAL", "RPAR", "ULNBARE", "LLNBARE", "POSTCMP", "TITER"})


def _measure_run(toks: list[Token]) -> Tree | None:
    """"ANC >= 1500/mm3 platelets >= 100,000/mm3": measurements run together, cut before each quantity that
    follows a value, each part read as a sentence of its own (parses of recurring shapes are reused); the tree
    the "run" rule would give. None when a part does not read alone: the full "run" parse decides then (it
    costs more: every cut is a reading to try)."""
    cuts = [i for i in range(1, len(toks)) if toks[i].type in ("QUANTITY", "QGROUP") and toks[i - 1].type in _VALUE_ENDS]
    if not cuts:
        return None
    bounds = [0, *cuts, len(toks)]
    statements = []
    for a, b in zip(bounds, bounds[1:]):
        try:
            part = parse_tokens(toks[a:b], _start_for(toks[a:b], "start"))
        except LarkError:
            return None
        if any(isinstance(c, Token) and c.type == "NEGTAIL" for c in part.children):
            return None
        statements.append(Tree("statement", list(part.children)))
    return Tree("run", statements)


def _start_for(toks: list[Token], start: str) -> str:
    """The start symbol a sentence (or one statement of a run) is parsed with: "start" gives way to a gated one
    when the tokens hold what only that one reads."""
    if start == "start" and any(t.type in ("STABLE", "STABLEOF") for t in toks):
        return "start_stable"  # a stable-dose demand
    if start == "start" and (any(t.type in ("IFCOND", "UNLESS") for t in toks) or any(
            t.type in ("AGETAIL", "SEX") for t in toks) and any(t.type in ("QUANTITY", "QGROUP") for t in toks)):
        return "start_if"  # a relaxed or exempted threshold, or one for an age group or a sex
    return start


def _joined_by_with(tree: Tree, norm: str) -> bool:
    """"No NYHA class III heart disease with uncontrolled coronary artery disease": "with" (a dropped filler)
    between two run-together statements qualifies the first, it does not start a second one."""
    ends, leads = [], []
    for statement in tree.children:
        toks = sorted((t for t in statement.scan_values(lambda v: isinstance(v, Token)) if t.end_pos is not None),
                      key=lambda t: t.start_pos)
        if toks:
            ends.append((toks[0].start_pos, max(t.end_pos for t in toks)))
            leads.append(toks[0].type)
    # "No active infection requiring oral or intravenous antibiotics": a participle goes with what precedes it
    return any(lead in ("REQUIRING", "NEEDS") for lead in leads[1:]) or any(
        re.search(r"\bwith\b", norm[a_end:b_start]) for (_, a_end), (b_start, _) in zip(ends, ends[1:]))


def _indication(toks: list[Token]) -> bool:
    """"Chemotherapy for breast cancer": a treatment followed by what it treats. Run-together
    statements must not split it into "had chemotherapy" and "has breast cancer" (nor "2 prior regimens of
    chemotherapy" into a count and a drug, nor "chemotherapy (6 weeks for X) for melanoma patients")."""
    counts = _therapy_counts()
    if any(a.type == "QUANTITY" and a.value in counts and b.type in ("DRUG", "PROCEDURE", "CONDITION", "CGROUP", "USE")
           for a, b in zip(toks, toks[1:])):
        return True
    opened: list[Token | None] = []
    for i, t in enumerate(toks):
        if t.type == "LPAR":
            opened.append(toks[i - 1] if i else None)
        elif t.type == "RPAR" and opened:
            before = opened.pop()
            if before is not None and before.type in ("DRUG", "PROCEDURE") and i + 1 < len(toks) \
                    and toks[i + 1].type in ("CONDITION", "CGROUP"):
                return True
    return any(a.type in ("DRUG", "PROCEDURE", "USE", "FOR", "TREATFOR") and b.type in ("CONDITION", "CGROUP") or
               a.type == "FOR" or
               a.type in ("CONDITION", "CGROUP") and b.type in ("USE", "PROCUSE")  # "seizures requiring drugs"
               for a, b in zip(toks, toks[1:]))


def _review_reason(toks: list[Token], text: str) -> str:
    if text.count("(") != text.count(")") or text.lstrip().startswith((")", ",")):
        return "fragment: unbalanced parentheses, the text was probably mangled"
    if any(t.type == "EQ" for t in toks):
        return "'=' on a continuous measurement: the comparator (≤ or ≥) was probably lost"
    words = list(dict.fromkeys(str(t) for t in toks if t.type == "WORD"))
    if words:
        shown = ", ".join(f"'{w}'" for w in words[:6])
        return f"wording the grammar does not cover ({shown})"
    return "the grammar does not cover this combination of phrases"


def compile_sentence(text: str, kind: str, start: str = "start", own: frozenset[str] = frozenset(),
                     own_disease: bool = True, own_known: bool = True) -> ir.Node:
    """One sentence -> IR, or a Review node saying why not. The trial's own conditions (``own``) matter
    only to "no other X"; other sentences are compiled (and cached) without them. ``own_known`` False: some
    of the trial's conditions are unknown to the vocabularies (or known only by something broader), so
    "other" cannot name all of them."""
    node = _compile_sentence(text, kind, start, frozenset())
    if kind == "inclusion" and isinstance(node, ir.Review) and (healthy := _healthy(text, start)) is not None:
        return healthy
    if own and isinstance(node, ir.Review) and node.reason.startswith("'other' condition"):
        if not own_known:  # "No other malignancy" in a primary peritoneal cancer trial: that cancer is no exception
            return ir.Review(text, "'other' than the trial's own conditions, which the vocabularies do not all know")
        return _compile_sentence(text, kind, start, own)
    if own and own_known and isinstance(node, ir.Review) and "viral load" in text.lower():
        # "Viral load of at least 1,000 copies/ml" in an HIV trial: the HIV RNA
        retried = _compile_sentence(text, kind, start, own)
        return retried if ir.is_executable(retried) else node
    if own and own_disease and isinstance(node, ir.Review) and node.reason == _DISEASE_ONLY and _own_malignancies(own):
        # "Stage IV disease" in a colorectal cancer trial: the trial's own cancer at that stage
        retried = _compile_sentence(text, kind, start, own)
        return retried if _own_disease_judged(retried, own) else node
    return node


_DISEASE_ONLY = "wording the grammar does not cover ('disease')"


@lru_cache(maxsize=1)
def _healthy_lead() -> tuple[re.Pattern[str], frozenset[str]]:
    d = phrase_data()["healthy"]
    leads = "|".join(re.escape(x) for x in sorted(d["leads"], key=len, reverse=True))
    return re.compile(rf"^\s*(?:{leads})\b[\s,]*", re.I), frozenset(d["people"])


def _healthy(text: str, start: str) -> ir.Node | None:
    """"Healthy male and female subjects aged 18 to 50": no recorded condition a person would weigh against being
    healthy (ir.Judged of any condition: none -> met, any -> review, no list -> unknown), and the rest read on
    its own; None when the sentence does not open so or its rest does not compile (phrases.toml [healthy])."""
    lead, people = _healthy_lead()
    m = lead.match(text)
    if m is None:
        return None
    healthy = ir.Not(ir.Judged("not healthy", ir.Condition(vocab.ANY_CONDITION, ir.Window(0))))
    rest = text[m.end():].strip(" .;,")
    if not rest or all(w in people for w in rest.lower().split()):
        return healthy
    node = _compile_sentence(rest, "inclusion", start, frozenset())
    return None if not ir.is_executable(node) else _all([healthy, node])


# Words that say how far the trial's own cancer has gone ("Stage IV disease", "recurrent or progressive
# disease"); a bare "disease" after them means that cancer. Other words before "disease" ("serious",
# "chronic", "active", "measurable", "residual", "no evidence of") name something else or its opposite.
_DISEASE_STATE = re.compile(
    r"(?:stage [0i]?[iv]{0,3}[abc]?\d?|metastatic|(?:locally )?recurrent|relapsed|refractory|progressive|"
    r"(?:locally )?advanced|unresectable|inoperable|persistent)")
_STAGE_PART = re.compile(r"[iv]{1,3}[abc]?\d?")


def _disease_state(words: str) -> bool:
    """Every word of a JUDGED token says how far a cancer has gone ("stage iia, iib, or iii")."""
    parts = [p for p in re.split(r"\s*(?:,|/|\bor\b|\band\b)\s*", words.lower()) if p]
    staged = bool(parts) and parts[0].startswith("stage ")
    return bool(parts) and all(_DISEASE_STATE.fullmatch(p) or staged and _STAGE_PART.fullmatch(p) for p in parts)


def _own_malignancies(own: frozenset[str]) -> bool:
    return all("malignancy" in vocab.ancestors(o) for o in own)


def _own_disease(toks: list[Token], own: frozenset[str], kind: str) -> list[Token]:
    """Among the inclusions of a cancer trial, "disease" right after words of stage or course
    ("metastatic", "stage IV", "relapsed or refractory") is the trial's own cancer(s): a CGROUP of ``own``.
    Only when the sentence names no condition but the trial's own (and more specific ones): "prior
    malignancy ... no recurrent disease" speaks of another cancer. Anything else is left as it is."""
    if kind != "inclusion" or not _own_malignancies(own) or not _names_only_own(toks, own):
        return toks
    out = list(toks)
    for i, t in enumerate(toks):
        if t.type == "WORD" and str(t).lower() == "disease" and i > 0 and toks[i - 1].type == "JUDGED" \
                and all(_disease_state(str(q.value)) for q in _quals_before(toks, i)) \
                and not (i + 1 < len(toks) and toks[i + 1].type == "WORD"):
            out[i] = Token("CGROUP", tuple(sorted(own)), start_pos=t.start_pos, end_pos=t.end_pos)
    return out


_COPIES = "copies/mL"


def _viral_loads(toks: list[Token], own: frozenset[str]) -> list[Token]:
    """A count of virus copies is the HIV RNA (viral load) where the virus is certain: "HIV levels of at least 1,000
    copies/ml", "a viral load (level of HIV in the blood) of ...", or a bare "viral load of ..." in a trial whose own
    conditions are all HIV infection (``own``, known by compile_sentence's retry). Anything else is left as it is."""
    if not any(t.type == "UNIT" and t.value == _COPIES for t in toks):
        return toks
    hiv_trial = bool(own) and all("hiv_infection" in vocab.ancestors(o) for o in own)
    out: list[Token] = []
    i = 0
    while i < len(toks):
        t = toks[i]
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        hiv_inside = nxt is not None and nxt.type == "LPAR" and i + 3 < len(toks) and toks[i + 3].type == "RPAR" \
            and toks[i + 2].type == "QTEST" and toks[i + 2].value == "hiv_antibody"
        rest = toks[i + 4:] if hiv_inside else toks[i + 1:]
        counted = bool(rest) and rest[0].type in ("CMP", "BETWEEN", "NUMBER") and \
            next((u.value for u in rest if u.type == "UNIT"), None) == _COPIES
        if counted and (t.type == "QTEST" and t.value == "hiv_antibody"
                        or t.type == "TESTWORD" and str(t.value).lower() == "viral load" and (hiv_inside or hiv_trial)):
            out.append(Token("QUANTITY", "hiv_rna", start_pos=t.start_pos, end_pos=t.end_pos))
            i += 4 if hiv_inside else 1
            continue
        out.append(t)
        i += 1
    return out


def _quals_before(toks: list[Token], i: int) -> list[Token]:
    """The JUDGED tokens of the run of qualifiers ending right before ``toks[i]`` ("serious, progressive")."""
    out = []
    while i > 0 and toks[i - 1].type in ("JUDGED", "COMMA", "OR", "AND"):
        i -= 1
        if toks[i].type == "JUDGED":
            out.append(toks[i])
    return out


def _names_only_own(toks: list[Token], own: frozenset[str]) -> bool:
    """No condition in ``toks`` but the trial's own ones and those more specific ("metastatic colorectal cancer")."""
    return not any(t.type == "CGROUP" or t.type == "CONDITION" and not (
        t.value in own or any(o in vocab.ancestors(t.value) for o in own)) for t in toks)


def _tokens(text: str) -> list[Token]:
    try:
        return tokenize(text)[0]
    except ScreeningError:
        return []


def _own_disease_judged(node: ir.Node, own: frozenset[str]) -> bool:
    """The retried reading holds the trial's own conditions only as qualified facts (ir.Judged)."""
    if isinstance(node, ir.Review):
        return False

    def ok(n: ir.Node, judged: bool) -> bool:
        if isinstance(n, ir.Condition) and n.concept in own:
            return judged
        return all(ok(c, judged or isinstance(n, ir.Judged)) for c in ir.children(n))
    return ok(node, False)


_NOTHING = "nothing to check in this text"


@lru_cache(maxsize=65536)
def _compile_sentence(text: str, kind: str, start: str, own: frozenset[str]) -> ir.Node:
    try:
        toks, norm = tokenize(text)
    except ScreeningError as exc:
        return ir.Review(text, f"cannot read: {exc.message}")
    if not toks:
        return ir.Review(text, _NOTHING)
    if own:
        toks = _own_disease(toks, own, kind)
    toks = _viral_loads(toks, own)
    if norm.lstrip().startswith("for ") and not (toks[0].type in ("SEX", "POPULATION") and _reproductive(toks)):
        # "for acromegaly": whom the items around it are for, not a demand ("for women of childbearing potential,
        # negative pregnancy test" is one: start_repro)
        return ir.Review(text, "a fragment: 'for ...' says whom or what other criteria are for")
    if any(t.type == "WORD" for t in toks) or text.count("(") != text.count(")"):
        return _as_statement(text, kind) or _attestation_tail(text, kind, start, own) or ir.Review(
            text, _review_reason(toks, text))
    if kind == "inclusion" and all(t.type in ("DRUG", "PROCEDURE", "COMMA", "OR", "AND") for t in toks):
        # a bare "Chemotherapy" among the inclusion criteria is a sub-heading far more often than a demand
        return ir.Review(text, "a bare treatment name among the inclusion criteria: a heading, or a requirement?")
    try:
        start = _start_for(toks, start)
        try:
            tree = _parse_reproductive(toks, start)
        except LarkError:
            if start not in ("start", "start_if", "start_stable") or len(toks) < 4 or _indication(toks) or kind != "inclusion" \
                    or sum(t.type in _STATEMENT_HEADS for t in toks) < 2:
                raise  # among the exclusions "A with B" split into statements would exclude on A alone
            tree = _measure_run(toks) or parse_tokens(toks, "run")  # statements run together
            if _joined_by_with(tree, norm):
                return ir.Review(text, "'with' or 'requiring' may tie what follows to the statement before it: one statement or two?")
        node = CriteriaTransformer(kind, own).transform(tree)
        if _age_subject().search(text) and any(isinstance(n, ir.Measure) and n.quantity == "age" for n in ir.walk(node)) \
                and not (isinstance(node, ir.Measure)):
            return ir.Review(text, "an age that says whom the demand is for ('Subjects aged 18 or over must have ...'): "
                                   "for them only, or a demand too?")
        if _both_sexes(node):  # "Male of female aged 20 years or more": a typo no patient could meet
            return ir.Review(text, "asks for both sexes at once: 'or' mistyped?")
        if kind == "inclusion" and _demands_any_illness(node):  # "Serious disease" among the inclusions
            return ir.Review(text, "an illness of any kind required: a heading, the trial's own disease, or an exclusion?")
        return node
    except VisitError as exc:
        orig = exc.orig_exc
        if isinstance(orig, (Uncompilable, ScreeningError, ValueError)):
            return ir.Review(text, str(orig.message if isinstance(orig, ScreeningError) else orig))
        raise
    except LarkError:
        return _as_statement(text, kind) or _attestation_tail(text, kind, start, own) or ir.Review(
            text, _review_reason(toks, text))


def _parse_reproductive(toks: list[Token], start: str) -> Tree:
    """`start`, and when it fails on a sentence that names pregnancy, lactation, sterility or menopause,
    `start_repro` (statements said of a group; its own start symbol keeps their readings out of every other parse)."""
    try:
        return parse_tokens(toks, start)
    except LarkError:
        if start not in ("start", "start_if") or not _reproductive(toks):
            raise
        return parse_tokens(toks, "start_repro")


def _reproductive(toks: list[Token]) -> bool:
    return any(t.type in ("PREGNANT", "LACTATING", "STERILE") or t.type == "QTEST" and t.value == "pregnancy_test"
               or t.type == "ATTEST" and t.value[0] == "contraception"
               or t.type == "CONDITION" and t.value == "postmenopausal"
               or t.type == "POPULATION" and _childbearing(t) for t in toks)


# where a contraception statement may close a sentence of other demands: "..., and must use adequate birth control"
# among the inclusions (both demanded), "..., or women unwilling to use contraception" among the exclusions
_TAIL_SPLIT = {"inclusion": re.compile(r"\s*(?:,\s*and\b|;|\band\b)\s*", re.I),
               "exclusion": re.compile(r"\s*(?:,\s*or\b|;|,|\bor\b)\s*", re.I)}
_CONTRACEPTION = frozenset({"contraception", "contraceptive", "contraceptives", "birth"})


def _attestation_tail(text: str, kind: str, start: str, own: frozenset[str]) -> ir.Node | None:
    """"Not pregnant or nursing and willing to use contraception": a sentence of facts closed by a contraception
    statement, joined by "and" or a comma (among the exclusions "or"). The statement is read by its closed word
    lists (``screening.statements``) from the longest tail that is one; the rest must compile on its own, with
    nothing left for review. Anything else: None."""
    if start != "start" or _CONTRACEPTION.isdisjoint(statements.words_of(text)):
        return None
    for m in _TAIL_SPLIT[kind].finditer(text):
        head, tail = text[:m.start()].strip(), text[m.end():].strip()
        if not head or not tail:
            continue
        try:
            stated = statements.attestation_statement(tail, kind)
        except ValueError:
            return None
        if stated is None:
            continue
        if (stated.item if isinstance(stated, ir.Not) else stated) != ir.Attestation("contraception"):
            return None
        stated = _with_group(stated, tail)
        first = _compile_sentence(head, kind, start, own)
        if kind == "inclusion" and isinstance(first, ir.AnyOf) and re.search(r"\bor\b", head, re.I):
            return None  # "postmenopausal or sterile and using contraception": which does "and" join?
        if not ir.is_executable(first) or isinstance(first, ir.Permitted) or any(
                isinstance(n, ir.Review) or isinstance(n, ir.Attestation) and n.name != "childbearing_potential"
                for n in ir.walk(first)):  # facts, then the statement
            return None
        return _all([first, stated]) if kind == "inclusion" else _any([first, stated])
    return None


def _as_statement(text: str, kind: str) -> ir.Node | None:
    """A sentence the grammar cannot read may still be a permission or a person's statement
    (``screening.statements``); None when it is neither."""
    subject = statements.permission_subject(text)
    if subject is not None:
        try:
            toks, _ = tokenize(subject)
        except ScreeningError:
            return None
        return ir.Permitted(text) if statements.is_plain_subject(toks) else None
    try:
        node = statements.attestation_statement(text, kind)
    except ValueError as exc:
        return ir.Review(text, str(exc))
    return None if node is None else _with_group(node, text)


def compile_text(text: str, kind: str, start: str = "start", own: frozenset[str] = frozenset(),
                 own_disease: bool = True) -> ir.Node:
    """An item's own text -> IR. Sentences that compile are combined; one that does not becomes a
    review part, unless some sentence could change the meaning of the rest (then the whole item)."""
    sentences = split_sentences(text)
    if not sentences:
        return ir.Review(text, "empty item")
    # "Prior malignancy allowed if treated. No recurrent disease.": "disease" may be the other cancer
    own_known = own_disease
    own_disease = own_disease and (len(sentences) == 1 or _names_only_own(_tokens(text), own))
    nodes = [compile_sentence(s, kind, start, own, own_disease, own_known) for _, s in sentences]
    if len(nodes) > 1:  # "See Disease Characteristics At least 4 weeks since ...": a pointer holds nothing to check
        nodes = [n for n in nodes if not _says_nothing(n)] or nodes
    if len(nodes) == 1:
        return nodes[0]
    reviews = [n for n in nodes if isinstance(n, ir.Review)]
    if reviews and (len(reviews) == len(nodes) or _has_modifier(text)):
        return ir.Review(text, "; ".join(dict.fromkeys(r.reason for r in reviews)))
    demands = [n for n in nodes if not isinstance(n, ir.Permitted)]
    if any(isinstance(n, ir.Permitted) and not _permission_apart(n, demands) for n in nodes):
        # "No prior chemotherapy. Prior hydroxyurea allowed.": the permission is an exception to the rest
        return ir.Review(text, "a permission beside other demands may be an exception to them")
    if any(_OTHER_SIDE[kind].search(s) for _, s in sentences[1:]):
        # "Pregnant or breastfeeding. Women ... must have a negative pregnancy test." under the
        # exclusions: the second sentence is a requirement, and any() would exclude on it
        return ir.Review(text, f"the item mixes {kind} criteria with sentences of the other kind")
    return _all(nodes) if kind == "inclusion" else _any(nodes)


def _demands_any_illness(node: ir.Node, negated: bool = False) -> bool:
    """The generic illness (vocab.ANY_CONDITION) asked for, not ruled out."""
    if isinstance(node, ir.Condition):
        return node.concept == vocab.ANY_CONDITION and not negated
    return any(_demands_any_illness(c, negated != isinstance(node, ir.Not)) for c in ir.children(node))


@lru_cache(maxsize=1)
def _age_subject() -> re.Pattern[str]:
    return re.compile(phrase_data()["age_subject"]["pattern"], re.I)


def _both_sexes(node: ir.Node) -> bool:
    return any(isinstance(n, ir.All) and len({c.value for c in n.items if isinstance(c, ir.Sex)}) > 1
               for n in ir.walk(node))


def _says_nothing(node: ir.Node) -> bool:
    return isinstance(node, ir.Review) and node.reason == _NOTHING


_FACTS = (ir.Condition, ir.Medication, ir.Procedure, ir.Immunization, ir.Allergy)


def _permission_apart(permission: ir.Permitted, demands: list[ir.Node]) -> bool:
    """A permission that cannot be an exception to the demands beside it: nothing it allows is something
    they forbid or ask about ("Concurrent epoetin alfa allowed. No concurrent chemotherapy"), or it allows
    what was before and they speak of now ("Prior radiotherapy allowed No concurrent radiotherapy")."""
    subject = statements.permission_subject(permission.text) or ""
    toks = _tokens(subject)
    allowed = {str(t.value) for t in toks if t.type in ("DRUG", "PROCEDURE", "CONDITION", "VACCINE")}
    if not allowed or any(t.type in ("WORD", "CGROUP") for t in toks):
        return False
    before = toks[0].type == "PRIOR" and not any(t.type == "USE" and str(t) != "therapy" for t in toks)
    for demand in demands:
        for fact in ir.walk(demand):
            if not isinstance(fact, _FACTS):
                continue
            if any(_overlap(a, fact.concept) for a in allowed) \
                    and not (before and getattr(fact, "window", None) == ir.Window(0)):
                return False
    return True


@lru_cache(maxsize=4096)
def _overlap(a: str, b: str) -> bool:
    """One concept under the other, or a listed concept under both ("hormonal therapy" and "chemotherapy"
    share estramustine)."""
    if a == b or a in vocab.ancestors(b) or b in vocab.ancestors(a):
        return True
    return any(a in up and b in up for up in map(vocab.ancestors, vocab.concepts()))


_OTHER_SIDE = {
    "exclusion": re.compile(r"\b(must|should|required|requires?|need to|needs to|has to|have to|will be)\b", re.I),
    "inclusion": re.compile(r"\b(excluded|exclude|not eligible|ineligible|not allowed|not permitted|prohibited)\b", re.I),
}


def _has_modifier(text: str) -> bool:
    words = set(re.findall(r"[a-z]+", text.lower()))
    return not words.isdisjoint(lexicon().modifiers)


def compile_trial(trial: Trial) -> ir.CompiledTrial:
    """Every source item becomes a criterion; nothing is dropped (see ``screening.assemble``)."""
    from .assemble import compile_trial as assemble_trial
    return assemble_trial(trial)


def source_hash(trial: Trial) -> str:
    """What a rules file is checked against: the criteria text and structured fields."""
    from .assemble import source_hash as hash_of
    return hash_of(trial)


def compile_any(trial: Any) -> ir.CompiledTrial:
    """A CompiledTrial, Trial, rules file or trial file path -> CompiledTrial."""
    if isinstance(trial, ir.CompiledTrial):
        return trial
    if isinstance(trial, Trial):
        return compile_trial(trial)
    path = os.fspath(trial)
    if path.endswith(".rules"):
        from .rules import load_rules
        return load_rules(path)
    from .ingest import load_trial
    return compile_trial(load_trial(path))
