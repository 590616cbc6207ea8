"""Permissions and limits that still demand something, beside the ones ``permissions`` reads:

- "Hemoglobin >= 10 g/dL (transfusion allowed)", "Hb at least 10 g/dl (may transfuse)": support given to reach a value.
  The record's value decides however it was reached, so the values alone are the demand (only when everything else
  in the sentence is a value);
- "Prior interferon therapy is allowed if administered >= 4 months ago", "Prior adjuvant chemotherapy allowed provided
  it was completed at least 6 months ago": no such treatment within that time (among the exclusions: excluded when
  there was one), read as "No prior interferon therapy within 4 months";
- "No active pneumonia (for HIV-positive patients only)": a demand of a group the record shows, met outside it (among
  the exclusions: excluded only inside it), as ``for_age`` and ``for_sex`` read theirs;
- "Patients will be ineligible if the WBC is less than 3,000", "Subjects will be excluded if they have a history of
  X": a prohibition, X (among the inclusions: not X);
- "Measurable disease (Phase 2 only)", "No concurrent anti-hypertensive medications (arm II only)": a demand of one part
  of the study. Which part the patient is in no record says: review, as under a cohort heading (screening/assemble.py).

Anything else gives None: the sentence keeps the review it had. The word lists are data (phrases.toml [allowances]).
"""
from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from .. import ir
from ..errors import ScreeningError
from ..lexer import phrase_alternation, phrase_data, tokenize
from .helpers import _all, _any
from .permissions import _as_kind

Compile = Callable[[str, str], ir.Node]  # (sentence, kind) -> IR, with the caller's start symbol and own conditions


@lru_cache(maxsize=1)
def _patterns() -> dict[str, re.Pattern[str]]:
    d = phrase_data()["allowances"]
    cmp = r"at\s+least|more\s+than|greater\s+than|no\s+less\s+than|a\s+minimum\s+of|over|>=|≥|>"
    return {
        "support": re.compile(rf"\b(?:{phrase_alternation(d['support'])})\b", re.I),
        "permit": re.compile(rf"\b(?:{phrase_alternation(d['permit'])})\b", re.I),
        "paren": re.compile(r"\s*\(([^()]*)\)"),
        "after_wait": re.compile(
            rf"^(?P<x>[^()]+?)\s*,?\s*(?:(?:is|are|will\s+be|may\s+be)\s+)?(?:also\s+)?(?:allowed|permitted|acceptable)"
            rf"\s*,?\s*(?:only\s+)?(?:if|provided(?:\s+that)?|as\s+long\s+as)\s+(?:(?:it|they|therapy|treatment)\s+)?"
            rf"(?:(?:was|were|has\s+been|have\s+been|is)\s+)?(?:{phrase_alternation(d['ended'])})\s+(?P<cmp>{cmp})\s*"
            rf"(?P<n>\d+)\s*(?P<unit>days?|weeks?|months?|years?)\b(?P<tail>[^()]*?)[\s.]*$", re.I),
        "only": re.compile(r"^(?P<d>[^()]+?)\s*\(\s*(?:(?:for|in)\s+)?(?:the\s+)?(?P<g>[^()]+?)\s+only\s*\)[\s.]*$"
                           r"|^(?P<d2>[^()]+?)\s*\(\s*only\s+(?:applicable\s+|applies\s+)?(?:for|to|in)\s+(?:the\s+)?"
                           r"(?P<g2>[^()]+?)\s*\)[\s.]*$", re.I),
        "cohort": re.compile(rf"^(?:{phrase_alternation(d['cohorts'])})\s+(?:[ivx]+|\d+[a-z]?|[a-z])\b", re.I),
        "excluded_if": re.compile(
            r"^(?:the\s+|a\s+)?(?:patients?|subjects?|participants?)\s+(?:will\s+(?:also\s+)?be|are|is|should\s+be|shall\s+be)"
            r"\s+(?:excluded|ineligible|not\s+eligible)(?:\s+from\s+(?:the|this)\s+(?:study|trial))?\s+if\s+"
            r"(?:(?:they|he/she|he\s+or\s+she|the\s+patient|the\s+subject)\s+(?:(?:have|has|are|is)\s+)?)?(?P<x>[^;:]+?)[\s.]*$",
            re.I),
        "people": re.compile(r"\s+(?:patients|participants|subjects|persons|people|individuals)$", re.I),
    }


def allowance_demand(text: str, kind: str, compile_sentence: Compile) -> ir.Node | None:
    """The demand a permission or limit of the module's shapes makes, or None (see the module)."""
    return _support(text, kind, compile_sentence) or _after_wait(text, kind, compile_sentence) \
        or _only_for(text, kind, compile_sentence) or _excluded_if(text, kind, compile_sentence)


def permits_after_wait(sentence: str) -> bool:
    """"X allowed if administered >= 4 months ago": beside other sentences of its item it may be an exception to them
    ("No prior chemotherapy. Prior hydroxyurea allowed if stopped > 4 weeks ago"), so compile_text keeps such an item
    in review."""
    return bool(_patterns()["after_wait"].match(sentence))


def _clean(node: ir.Node) -> bool:
    return ir.is_executable(node) and not any(isinstance(n, (ir.Review, ir.Permitted)) for n in ir.walk(node))


def _support(text: str, kind: str, compile_sentence: Compile) -> ir.Node | None:
    p = _patterns()
    cut, rest, last = False, [], 0
    for m in p["paren"].finditer(text):
        inner = m.group(1)
        if p["support"].search(inner) and p["permit"].search(inner) and not re.search(
                r"\d|\b(?:if|unless|except|not|no|only|provided|when)\b", inner, re.I):
            rest.append(text[last:m.start()])
            last, cut = m.end(), True
    if not cut:
        return None
    rest.append(text[last:])
    node = compile_sentence(" ".join(s.strip() for s in rest if s.strip()), kind)
    # values only: a permission of support beside anything else may be an exception to it
    if not _clean(node) or not all(isinstance(n, (ir.Measure, ir.All, ir.AnyOf, ir.Not)) for n in ir.walk(node)):
        return None
    return node


def _after_wait(text: str, kind: str, compile_sentence: Compile) -> ir.Node | None:
    m = _patterns()["after_wait"].match(text)
    if not m:
        return None
    tail = re.sub(r"^\s*ago\b", "", m["tail"], flags=re.I).strip(" ,")
    if tail:  # "before the diagnosis of metastatic disease" counts from something else than the screening date
        try:
            toks = tokenize(tail)[0]
        except ScreeningError:
            return None
        if [t.type for t in toks] not in (["PRIOR", "ANCHOR"], ["PRIOR"]):
            return None
    x = re.sub(r"^(?:prior|previous|past)\s+", "", m["x"].strip(), flags=re.I)
    if re.search(r"\b(?:no|not|other)\b", x, re.I):
        return None
    demand = f"No prior {x} within {m['n']} {m['unit']}" + (f" {tail}" if tail else "")
    return _as_kind(compile_sentence(demand, "inclusion"), kind)


def _only_for(text: str, kind: str, compile_sentence: Compile) -> ir.Node | None:
    p = _patterns()
    m = p["only"].match(text)
    if not m:
        return None
    demand, group = (m["d"], m["g"]) if m["d"] else (m["d2"], m["g2"])
    if (part := p["cohort"].match(group.strip())) is not None:
        return ir.Review(text, f"for one {part.group(0).split()[0].lower()} of the study only: which applies to the patient?")
    who = compile_sentence(p["people"].sub("", group.strip()), "inclusion")
    if not isinstance(who, (ir.Condition, ir.TestResult)):
        return None  # "(inhalant only)", "(children only)": no group a record fact names
    node = compile_sentence(demand, kind)
    if not _clean(node):
        return None
    return _any([ir.Not(who), node]) if kind == "inclusion" else _all([who, node])


def _excluded_if(text: str, kind: str, compile_sentence: Compile) -> ir.Node | None:
    m = _patterns()["excluded_if"].match(text)
    if not m or re.search(r"\b(?:if|unless|except|they|he|she|their|his|her)\b", m["x"], re.I):
        return None
    node = compile_sentence(m["x"], "exclusion")
    if not _clean(node):
        return None
    return node if kind == "exclusion" else ir.Not(node)
