"""A trial's own conditions (CT.gov conditionsModule) as concept keys.

CT.gov lists conditions in NCI Thesaurus style: the disease with its stage, course, age group or treatment status in
front ("Recurrent Adult Acute Lymphoblastic Leukemia", "Stage IVA Colon Cancer", "Previously Treated Myelodysplastic
Syndromes") or its cytogenetic subtype after it ("Adult Acute Myeloid Leukemia With t(8;21)(q22;q22)"), and two
diseases joined by a slash ("Recurrent Mycosis Fungoides/Sezary Syndrome"). What a trial's own condition decides
("other malignancy" is another than it; "relapsed disease" is it relapsed) needs the disease only: the name less
those words resolves to the disease, which is broader than the name, never narrower. A patient record's entry is
never read this way (a staged cancer there keeps its stage: ``records._resolve_name``).

A vague name ("Unspecified Adult Solid Tumor, Protocol Specific", "Precancerous Condition") stays unresolved: none of
these words is stripped from inside it, and the name left must resolve on its own.
"""
from __future__ import annotations

import re
from functools import lru_cache

from . import _closure, _vocab, ancestors, get_concept, normalize, resolve

#: words in front of a disease's name that say its stage, course, age group or treatment status, not its kind
_QUALIFIER = re.compile(
    r"^\s*(?:recurrent|relapsed|refractory|previously[- ]treated|untreated|newly[- ]diagnosed|de\s+novo|adult|"
    r"childhood|pediatric|metastatic|advanced|locally[- ]advanced|platinum[- ](?:refractory|resistant|sensitive)|"
    r"progressive|stage\s+(?:[0-4]|i{1,3}|iv)[a-c]?\d?|"
    r"grade\s+(?:[1-3]|i{1,3})[a-c]?|and|or)(?:\s+|\s*[,/]\s*)", re.I)
#: a cytogenetic or FAB subtype after the disease's name: "... with t(8;21)(q22;q22)", "... with 11q23 (MLL)
#: abnormalities", "Acute Myeloblastic Leukemia Without Maturation (M1)"
_SUBTYPE = re.compile(r"\s+with(?:out)?\s+(?:(?:t|inv|del)\s*\(|\d+q\d+\b|maturation\b).*$|\s*\(m[0-7][ab]?\)\s*$"
                      r"|\s+ajcc\s+v\d+\s*$", re.I)  # "Stage IV Uterine Corpus Cancer AJCC v7": the staging edition


def _bare(name: str) -> str:
    """The name less leading stage/course/age/status words and a trailing cytogenetic subtype."""
    out = _SUBTYPE.sub("", name)
    while (m := _QUALIFIER.match(out)) and out[m.end():].strip():
        out = out[m.end():]
    return out.strip()


def _exact(name: str) -> frozenset[str] | None:
    """A part of a slash-joined name that is itself a listed name or synonym (never read by its last word)."""
    key = _vocab().names["condition"].get(normalize(_bare(name)))
    return _closure({key}) if key else None


@lru_cache(maxsize=4096)
def resolve_trial_condition(name: str) -> frozenset[str] | None:
    """The concept keys a trial's listed condition is (itself plus ancestors), or None when unknown. The name as
    written first; a reading of its bare disease replaces it only where it is more specific and agrees with it
    ("Recurrent Adult Acute Lymphoblastic Leukemia": malignancy by its last word, acute lymphoblastic leukemia bare)."""
    full = resolve("condition", name)
    bare = _bare(name)
    found = resolve("condition", bare) if bare.lower() != name.strip().lower() else None
    if found is None and "/" in bare and " " in bare:
        parts = [p for p in re.split(r"\s*/\s*", bare) if p]
        read = [_exact(p) for p in parts] if len(parts) > 1 and all(len(p.split()) > 1 for p in parts) else []
        if read and all(read):
            found = frozenset().union(*read)
    if found and (full is None or (full < found)):
        return found
    return full


def _most_specific(keys: frozenset[str]) -> frozenset[str]:
    return frozenset(k for k in keys if not any(k != o and k in ancestors(o) for o in keys))


#: classes too broad to stand for a trial's disease ("Neoplasms" beside "Breast Cancer": "the disease" is not any
#: malignancy, and "other malignancy" than which?)
_CLASSES = frozenset({"any_condition", "neoplasm", "malignancy", "solid_tumor", "hematologic_malignancy"})


def _guessed() -> frozenset[str]:
    """Concepts a name not listed is read as by its last word or leading phrase ("peritoneal cavity cancer" ->
    malignancy): such a reading is broader than the name."""
    v = _vocab()
    return frozenset(v.heads.values()) | frozenset(k for _, k in v.leads)


def _one_disease(key: str) -> bool:
    """A concept ICD-10-CM codes as one category or subcategory (acute myeloid leukemia C92.0, breast cancer C50), not
    a class of several (leukemia C91-C95, cardiovascular disease I00-I99): a listed name broader than another
    stands for the trial's disease only when it is one disease ("Leukemia" beside "Chronic Lymphocytic Leukemia" may
    be a heading; "other malignancy" than which, then?)."""
    icd = [code for system, code in get_concept(key).codes if system == "ICD10CM"]
    return len(icd) == 1 and "-" not in icd[0]


def own_conditions(names: tuple[str, ...]) -> tuple[frozenset[str], frozenset[str], bool]:
    """A trial's own conditions: every concept its listed names are (with everything broader), the ones "other X"
    excepts and "the disease" means, and whether those stand for every listed name.

    Those are the most specific concepts, when each name is one of them. When a listed name is broader than another
    ("Recurrent Adult Acute Myeloid Leukemia" beside "Adult Acute Promyelocytic Leukemia"; "Breast Cancer" beside
    "Metastatic Breast Cancer"), the most specific ones would leave it out: then the broadest names stand for all,
    provided each is one disease (``_one_disease``) read as itself, not guessed from its last word (a guess is
    broader than the name); otherwise such a trial's own conditions are not all known."""
    read = [resolve_trial_condition(n) or frozenset() for n in names]
    own = frozenset().union(*read) if read else frozenset()
    leaves = _most_specific(own)
    known = all(leaves & r for r in read)
    if known or not all(read):
        return own, leaves, known
    named = frozenset().union(*(_most_specific(r) for r in read))
    roots = frozenset(k for k in named if not any(k != o and o in ancestors(k) for o in named))
    table = _vocab().names["condition"]
    listed = {table.get(normalize(_bare(n))) for n in names}
    if any(k in _CLASSES or (k in _guessed() and k not in listed) or (k not in leaves and not _one_disease(k))
           for k in roots):
        return own, leaves, False
    return own, roots, True
