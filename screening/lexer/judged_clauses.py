"""A clause closing a sentence that says what a person weighs of the fact before it ("Active drug or alcohol abuse that
would interfere with study compliance", "Significant cardiac disease that, in the opinion of the investigator, would
make the patient unsuitable for the trial"): one OPINION token, so the fact compiles and the clause stays a judged part
(grammars/criteria.lark start_opinion, screening/compile/judgement.py). The clause only narrows the fact: a record
without the fact decides the statement, one with it goes to a person.

Only when every word of the clause is on the closed lists of data/phrases.toml [judged_clause]: a word outside them
(a condition, "other", "any", a time) may start another statement, which the clause must not swallow.
"""
from __future__ import annotations

import re
from functools import lru_cache

from lark import Token

from .lexicon import phrase_data

# tokens a clause may not follow: it would qualify nothing ("X, or that would ...")
_NO_HEAD = frozenset({"COMMA", "OR", "AND", "LPAR", "NEG", "OPINION"})
# the relative words that open a clause; a second one may open a second clause about another fact ("X that would
# interfere with the study or drug therapy that would ...")
_RELATIVE = frozenset({"that", "which", "who"})
_WORD = re.compile(r"[a-z]+")


@lru_cache(maxsize=1)
def _lists() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    d = phrase_data()["judged_clause"]
    leads, verbs = frozenset(d["leads"]), frozenset(d["verbs"]) | frozenset(d["weighed"])
    return leads, verbs, leads | verbs | frozenset(d["words"])


def says_harm(qualifier: str) -> bool:
    """Whether a judged clause says the fact would harm the study or the patient ("that would interfere with
    compliance"), which only an exclusion (or a negated inclusion) asks about."""
    return not frozenset(phrase_data()["judged_clause"]["verbs"]).isdisjoint(_WORD.findall(qualifier.lower()))


def _clause(text: str) -> bool:
    """Whether ``text`` (from the end of the fact to the end of the sentence) is one judged clause."""
    leads, verbs, words = _lists()
    ws = _WORD.findall(text.lower())
    return bool(ws) and ws[0] in leads and not verbs.isdisjoint(ws) and words.issuperset(ws) \
        and sum(w in _RELATIVE for w in ws) <= 1


def judged_clauses(toks: list[Token], text: str) -> list[Token]:
    """The tokens after the fact, up to the end of the sentence, as one OPINION token carrying the clause's words (in
    parentheses: LPAR OPINION RPAR). A clause the lexicon already reads as one OPINION phrase is left as it is."""
    for i in range(1, len(toks)):
        if toks[i - 1].type in _NO_HEAD:
            continue
        start = toks[i - 1].end_pos
        rest = toks[i:]
        if any(t.end_pos is None or t.end_pos <= start for t in rest):
            continue  # a token the lexer added without words of its own ("drug allergy": DRUG any_substance) is the fact's
        tail = text[start:].strip().rstrip(".;").strip()
        if not _clause(tail):
            continue
        if sum(t.type == "OPINION" for t in rest) == len([t for t in rest if t.type not in ("COMMA", "LPAR", "RPAR")]) == 1:
            return toks  # "that would preclude study": the lexicon's phrase
        inner = tail
        if tail.startswith("("):
            if not tail.endswith(")") or rest[0].type != "LPAR" or rest[-1].type != "RPAR":
                return toks
            inner = tail[1:-1]
        if "(" in inner or ")" in inner:
            return toks
        words = " ".join(inner.strip(" ,").lower().split())
        opinion = Token("OPINION", words, start_pos=rest[0].start_pos, end_pos=rest[-1].end_pos)
        if inner is tail:
            return [*toks[:i], opinion]
        return [*toks[:i], rest[0], opinion, rest[-1]]
    return toks
