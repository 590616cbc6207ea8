"""Sentences that say what is allowed or required: "No concurrent chemotherapy is allowed", "Prior nephrectomy
required", "Measurable disease not required", "One prior chemotherapy regimen allowed", "Concurrent corticosteroids
allowed if on stable dose for at least 6 weeks".

A bare permission ("Prior radiotherapy allowed") asks nothing and is read by ``screening.statements``. Here the verb
says how the rest of the sentence is meant, and the rest is read by the grammar like any other sentence:

- "No X allowed", "X is not allowed": the demand "No X" (among the exclusions: excluded when X holds);
- "No more than 2 prior regimens allowed", "One prior regimen allowed": a bound on the count (at most that many);
- "X allowed if (or: but must be) on a stable dose for N weeks": only those who take X must have taken it at one dose
  that long (the ``stable`` rules of grammars/criteria.lark);
- "X required" among the inclusions: the demand X; "X not required": nothing asked (ir.Permitted).

Anything else, or a rest that does not compile with nothing left for review, gives None: the sentence keeps the
review it had. Which words make the verb are data (data/phrases.toml [permission_verbs]).
"""
from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from lark import Token

from .. import ir, statements
from ..errors import ScreeningError
from ..lexer import phrase_alternation, phrase_data, tokenize
from .helpers import _therapy_counts

Compile = Callable[[str, str], ir.Node]  # (sentence, kind) -> IR, with the caller's start symbol and own conditions


@lru_cache(maxsize=1)
def _verbs() -> dict[str, re.Pattern[str]]:
    d = phrase_data()["permission_verbs"]
    aux = phrase_alternation(d["auxiliaries"])
    verb = phrase_alternation([*d["allowed"], *d["required"]])
    return {
        # "is not allowed", "will be permitted", "required": the verb with what leads it (one space-separated phrase)
        "verb": re.compile(rf"\s*,?\s*\b(?:(?:{aux})\s+)?(?P<neg>not\s+)?(?P<verb>{verb})\b\s*,?\s*", re.I),
        "allowed": re.compile(rf"^(?:{phrase_alternation(d['allowed'])})$", re.I),
        # words before "required" that make it a past participle ("has required steroids", "or required transfusions")
        "past": re.compile(rf"\b(?:{phrase_alternation(d['required_past'])})\s*$", re.I),
        # what may join a permission to a stable-dose demand after it ("allowed, but must be on stable dose ...")
        "stable_join": re.compile(rf"^[(,\s]*(?:(?:{phrase_alternation(d['stable_joins'])})\s+)?(?:if\s+)?", re.I),
    }


# what "X not required" may name and still ask nothing: a treatment, an illness or a test
_NOT_REQUIRED = frozenset({"DRUG", "PROCEDURE", "VACCINE", "CONDITION", "CGROUP", "QTEST", "HISTORY", "PRIOR", "USE",
                           "PROCUSE", "SETTING", "ROUTE", "SYSTEMIC", "COMMA", "OR", "AND"})
_STABLE_TAIL = frozenset({"STABLE", "CMP", "NUMBER", "TIMEUNIT", "LASTING", "PRIOR", "ANCHOR", "IFCOND", "USE"})


def _tokens(text: str) -> list[Token] | None:
    try:
        return tokenize(text)[0]
    except ScreeningError:
        return None


def permission_demand(text: str, kind: str, compile_sentence: Compile) -> ir.Node | None:
    """The demand a sentence with "allowed", "permitted" or "required" makes, or None (see the module)."""
    v = _verbs()
    matches = list(v["verb"].finditer(text))
    if not matches:
        return None
    verbs = {(m["verb"].lower().split()[-1], bool(m["neg"])) for m in matches}
    if len(verbs) != 1:
        return None  # "X allowed; Y not allowed", "X allowed, Y required": read apart, not here
    verb, negated = verbs.pop()
    if any(text[:m.start()].count("(") != text[:m.start()].count(")") or not text[:m.start()].strip(" ,;:")
           for m in matches):
        return None  # "(topical allowed)", "Hemoglobin >= 10 g/dL (less than 8.5 allowed if ...)", "Allowed: X"
    if v["allowed"].match(verb):
        return _allowed(text, matches, negated, kind, compile_sentence)
    return _required(text, matches, negated, kind, compile_sentence)


def _cut(text: str, matches: list[re.Match[str]]) -> str:
    """The text less the verbs; "required of fertile women" less its "of" too (the group the demand is made of)."""
    out, last = [], 0
    for m in matches:
        out.append(text[last:m.start()])
        last = m.end()
        if of := re.match(r"\s*of\b", text[last:], re.I):
            last += of.end()
    out.append(text[last:])
    return " ".join(p.strip() for p in out if p.strip())


def _executable(node: ir.Node) -> bool:
    return ir.is_executable(node) and not any(isinstance(n, ir.Permitted) for n in ir.walk(node))


def _allowed(text: str, matches: list[re.Match[str]], negated: bool, kind: str, compile_sentence: Compile) -> ir.Node | None:
    if len(matches) != 1 or "other" in statements.words_of(text):
        return None  # "At least 4 weeks since prior mitotane No other prior chemotherapy allowed": other than what?
    m = matches[0]
    rest = _cut(text, matches)
    toks = _tokens(rest)
    if not toks:
        return None
    if negated or toks[0].type == "NEG":
        # "No concurrent chemotherapy is allowed", "Concurrent radiotherapy is not allowed": the demand "No X"
        if negated and toks[0].type == "NEG":
            return None  # "No X is not allowed": twice negated
        demand = f"No {rest[:1].lower()}{rest[1:]}" if negated else rest
        return _as_kind(compile_sentence(demand, "inclusion"), kind)
    if toks[0].type == "CMP" and toks[0].value in ("<=", "<") or toks[0].type == "NUMBER" and len(toks) > 1 \
            and toks[1].type == "QUANTITY" and toks[1].value in _therapy_counts():
        # "No more than 2 prior chemotherapy regimens allowed", "One prior chemotherapy regimen allowed": at most
        if m.end() != len(text) or not any(t.type == "QUANTITY" and t.value in _therapy_counts() for t in toks):
            return None
        bound = rest if toks[0].type == "CMP" else f"no more than {rest}"
        return _as_kind(compile_sentence(bound, "inclusion"), kind)
    # "Concurrent corticosteroids allowed if on stable dose for at least 6 weeks", "Corticosteroids allowed but must be
    # on stable dose for at least 1 week": those who take them must be on one dose that long
    head, tail = text[:m.start()].strip(), text[m.end():].strip()
    tail_toks = _tokens(tail) if tail else None
    if head and tail_toks and any(t.type == "STABLE" for t in tail_toks) \
            and all(t.type in _STABLE_TAIL | {"AND", "COMMA", "LPAR", "RPAR"} for t in tail_toks):
        condition = _verbs()["stable_join"].sub("", tail, count=1).rstrip(" )")
        node = compile_sentence(f"{head} if {condition}", kind)
        return node if _executable(node) and kind == "inclusion" else None
    return None


def _as_kind(node: ir.Node, kind: str) -> ir.Node | None:
    """The inclusion reading of "No X allowed" as the item's kind: among the exclusions, excluded when X holds."""
    if not _executable(node):
        return None
    if kind == "inclusion":
        return node
    if isinstance(node, ir.Not):
        return node.item
    if isinstance(node, ir.Measure) and node.op in ("<=", "<"):  # "No more than 2 prior regimens allowed"
        return ir.Not(node)
    return None


def _required(text: str, matches: list[re.Match[str]], negated: bool, kind: str, compile_sentence: Compile) -> ir.Node | None:
    if kind != "inclusion":
        return None  # "IVIG therapy required for HIV thrombocytopenia" among the exclusions: the patient needed it
    v = _verbs()
    for m in matches:
        if v["past"].search(text[:m.start()]) or not text[:m.start()].strip() or re.match(r"\s*to\b", text[m.end():], re.I):
            return None  # "has required treatment", "Required HIV-related transfusions", "are required to have"
    rest = _cut(text, matches)
    toks = _tokens(rest)
    if not toks or toks[0].type == "NEG":
        return None  # "No systemic steroid therapy required": the patient needs none, a person's call
    if negated:
        # "Measurable disease not required", "Laparotomy not required": nothing asked
        if len(matches) == 1 and matches[0].end() == len(text) and all(t.type in _NOT_REQUIRED for t in toks) and any(
                t.type in ("DRUG", "PROCEDURE", "VACCINE", "CONDITION", "CGROUP", "QTEST") for t in toks):
            return ir.Permitted(text)
        return None
    node = compile_sentence(rest, kind)
    return node if _executable(node) else None

