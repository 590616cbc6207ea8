"""Which quantity an observation's name or LOINC code reports: names as lab systems write them (LOINC long names,
inverted "Glucose, fasting", method parts, parentheticals read rather than dropped). Split from units.py (size).
"""
from __future__ import annotations

import re
from functools import cache, lru_cache

from .units import QuantityDef, quantities


def _norm_name(text: str) -> str:
    """Case, space and punctuation blind, but % stays: 'Lymphocytes %' is not the count."""
    return re.sub(r"[^0-9a-z%]+", "", text.casefold().replace("µ", "u").replace("μ", "u"))


_LOOSE_DROP = re.compile(r"\[[^\]]*\]|\((?![^)]*%)[^)]*\)|\bby\b.*$|\b(?:in|of|or|and|the|serum|plasma|blood|"
                         r"whole|bld|ser|plas|level|levels|value|result|concentration|conc|measurement)\b")


def _loose(text: str, keep_parenthesized: bool = False) -> str:
    """A lab system's long name with its specimen, method and property words dropped (and what it puts in
    parentheses, unless ``keep_parenthesized``: then only the brackets go)."""
    if keep_parenthesized:
        text = _PARENTHESIZED.sub(r" \1 ", text)
    return _norm_name(_LOOSE_DROP.sub(" ", text.casefold()))


#: a parenthetical that is not a percentage sign ("Lymphocytes (%)" is the percentage, not the count)
_PARENTHESIZED = re.compile(r"\(([^()%]*)\)")
#: words a parenthetical may hold and still leave the name the quantity before it: where or how the value was
#: measured in words that name no other test ("Creatinine clearance (calculated)"); "(urine)" names another test
_SAME_TEST_WORDS = frozenset("""serum plasma blood whole bld ser plas level levels value result concentration conc
    measurement in of or and the calculated measured automated quantitative quant auto manual calc
    dcct ngsp ifcc""".split())  # the standardization an HbA1c is reported in: its unit (% or mmol/mol) says which


@cache
def _name_index() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """Names as written (exact), loosely (specimen and parenthesized words dropped), and loosely with what the
    name puts in parentheses kept."""
    exact: dict[str, str] = {}
    loose: dict[str, str | None] = {}
    kept: dict[str, str | None] = {}
    for q in quantities().values():
        for text in (q.key, q.name, *q.synonyms):
            exact.setdefault(_norm_name(text), q.key)
            for index, lk in ((loose, _loose(text)), (kept, _loose(text, keep_parenthesized=True))):
                if lk:
                    index[lk] = q.key if index.get(lk, q.key) == q.key else None
    return (exact, {k: v for k, v in loose.items() if v is not None},
            {k: v for k, v in kept.items() if v is not None})


def _by_name(text: str) -> str | None:
    """The quantity a name written as it is names, by its words or loosely; a parenthetical is read, not dropped."""
    exact, loose, kept = _name_index()
    if key := exact.get(_norm_name(text)):
        return key
    inner = _PARENTHESIZED.findall(text)
    if not inner:
        return loose.get(_loose(text))
    # "CD3+CD4+ (T4 helper) cells [#/volume] in Blood": a name listed with its parenthetical; "Performance status
    # (ECOG)": the parenthetical names the kind, read before the rest ("ECOG performance status")
    outside = _PARENTHESIZED.sub(" ", text)
    for form in (text, " ".join(inner) + " " + outside):
        if key := exact.get(_norm_name(form)) or kept.get(_loose(form, keep_parenthesized=True)):
            return key
    # "Hemoglobin (Hgb)", "ALT (SGPT)": a parenthetical naming the same quantity, or saying only how it was
    # measured, leaves the name outside it; one naming another quantity or anything else ("Creatinine (urine)",
    # "eGFR (Cockcroft-Gault)") leaves it unread
    key = exact.get(_norm_name(outside)) or loose.get(_loose(outside))
    if key is None:
        return None
    for part in inner:
        said = exact.get(_norm_name(part)) or loose.get(_loose(part))
        if said != key and not (said is None and set(re.findall(r"[a-z0-9]+", part.casefold())) <= _SAME_TEST_WORDS):
            return None
    return key


@cache
def _code_index() -> dict[str, str]:
    return {code: q.key for q in quantities().values() for code in q.loinc}


#: a part of a lab system's name ("<analyte>, <specimen>, <method>") saying how the value was obtained, not what it is
#: of: "hCG, serum, quantitative" is the serum hCG ("qualitative" and "direct" stay: they name another test)
_METHOD_PARTS = frozenset({"quantitative", "quant", "automated"})


def _lis_name(name: str) -> str | None:
    """A lab system's comma-ordered name less its method parts, read as given and back to front."""
    parts = [p.strip() for p in name.split(",")]
    kept = [p for p in parts if _norm_name(p) not in _METHOD_PARTS]
    if len(parts) < 2 or not kept or len(kept) == len(parts):
        return None
    return next((k for form in (" ".join(kept), " ".join(reversed(kept))) if (k := _by_name(form))), None)


@lru_cache(maxsize=4096)
def find_quantity(name: str | None, code: str | None = None) -> QuantityDef | None:
    """The quantity an observation reports, by LOINC code or by name; None when unrecognized
    (or when its code and its name name two different quantities)."""
    by_code = by_name = None
    if code:
        by_code = _code_index().get(re.sub(r"^(?:https?://loinc\.org\||loinc:)", "", code.strip(), flags=re.I))
    if name:
        # "Glucose, fasting", "Cholesterol, HDL": lab systems' inverted names, read back to front
        inverted = " ".join(part.strip() for part in reversed(name.split(","))) if "," in name else None
        by_name = _by_name(name) or (inverted and _by_name(inverted)) or _lis_name(name)
    if by_code and by_name and by_code != by_name:
        return None
    key = by_code or by_name
    return quantities()[key] if key else None
