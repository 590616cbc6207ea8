"""What a record shows beyond its own lists: values at the screening date, states shown by procedures, the
drug classes whose non-members are certain, and dose arithmetic. Data-driven (record_values.toml,
medication_use.toml) and read once."""
from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from typing import Any

from .. import units, vocab
from ..patient import Entry, Obs, Patient, medication_use, record_values
from .dates import Context


@lru_cache(maxsize=4096)
def name_words(concept: str) -> tuple[frozenset[str], ...]:
    """The words of each name of a condition concept: a record condition whose name holds all of one set may be it
    ("corneal ulcer" for "ulcer": our concepts' codes are no complete definitions); none for the condition of every
    entry."""
    if concept == vocab.ANY_CONDITION:
        return ()
    c = vocab.get_concept(concept)
    return tuple({frozenset(vocab.normalize(n).split()) for n in (c.name, *c.synonyms)} - {frozenset()})


@lru_cache(maxsize=1)
def _study_drugs() -> frozenset[str]:
    """Drug concepts a study gives without the medications list naming them (medication_use.toml [study_drugs])."""
    return frozenset(medication_use()["study_drugs"]["concepts"])


@lru_cache(maxsize=1)
def _in_situ_of() -> dict[str, frozenset[str]]:
    """A site's cancer -> the carcinomas in situ of the site (cancers.toml [sites] in_situ)."""
    return {s["cancer"]: frozenset(s["in_situ"]) for s in vocab.tables("cancers.toml")["sites"].values() if "in_situ" in s}


def in_situ_of(cancers: frozenset[str]) -> frozenset[str]:
    """The carcinomas in situ of the organ of any of ``cancers`` (or of a cancer they are under): an exception of a
    breast cancer may or may not take in a ductal carcinoma in situ."""
    table = _in_situ_of()
    return frozenset(k for x in cancers for a in vocab.ancestors(x) for k in table.get(a, ()))


@lru_cache(maxsize=1)
def _states_from_procedures() -> dict[str, list[str]]:
    return dict(record_values()["states_from_procedures"])


@lru_cache(maxsize=1)
def _flags_shown_by_tests() -> dict[str, dict[str, Any]]:
    """Yes/no statements a recent test answers when the record leaves them out (record_values.toml)."""
    return dict(record_values()["flags_shown_by_tests"])


@lru_cache(maxsize=1)
def _unlisted_states() -> dict[str, dict[str, Any]]:
    """States a problem list seldom carries, and the procedures that show them (record_values.toml)."""
    return dict(record_values()["unlisted_states"])


@lru_cache(maxsize=1)
def _procedures_ruled_out() -> dict[str, str]:
    """procedure -> the attestation that, true, rules it out when no procedures list is kept (record_values.toml)."""
    return dict(record_values()["procedures_ruled_out"])


@lru_cache(maxsize=1)
def _shown_by() -> dict[str, str]:
    """condition -> the qualitative test whose positive result shows it (quantities.toml ``shows``)."""
    return {q.shows: q.key for q in units.quantities().values() if q.shows}


@lru_cache(maxsize=1)
def lower_bounds() -> dict[str, list[str]]:
    """quantity -> quantities whose value is never above it (record_values.toml [lower_bounds]: ANC <= granulocytes)."""
    return dict(record_values().get("lower_bounds", {}))


@lru_cache(maxsize=1)
def graded_by_conditions() -> dict[str, tuple[frozenset[str], float]]:
    """quantity -> (the conditions it grades, the least class one of them must show) (record_values.toml)."""
    return {k: (frozenset(v["conditions"]), float(v["below"]))
            for k, v in record_values().get("graded_by_conditions", {}).items()}


def ungraded(p: Patient, graded: frozenset[str]) -> bool:
    """The record's conditions list is present, every entry recognised and none is or may be in ``graded``."""
    return p.conditions is not None and all(
        e.keys is not None and graded.isdisjoint(e.maybe_classes)
        and all(graded.isdisjoint(vocab.possible_ancestors(k)) for k in e.keys) for e in p.conditions)


@lru_cache(maxsize=1024)
def secondary_only(leaves: frozenset[str]) -> bool:
    """A metastasis whose primary the entry does not name ("Secondary malignant neoplasm of lung", ICD-10-CM C78):
    the spread of some cancer, perhaps one a criterion excepts (the trial's own)."""
    generic = {"malignancy", "neoplasm", "solid_tumor"}
    return bool(leaves) and all("metastatic_disease" in vocab.ancestors(leaf) and not any(
        a not in generic and "malignancy" in vocab.ancestors(a) and "metastatic_disease" not in vocab.ancestors(a)
        for a in vocab.ancestors(leaf)) for leaf in leaves)


def _closed_class(concept: str) -> bool:
    """A class whose recognised non-members are certainly not in it (complete list or INN stem)."""
    rules = _class_rules()
    return concept in rules["complete"] or concept in rules.get("stems", {})


def _class_stems(concept: str) -> tuple[str, ...]:
    return tuple(_class_rules().get("stems", {}).get(concept, ()))


@lru_cache(maxsize=1)
def _class_rules() -> dict[str, Any]:
    return medication_use()["class_rules"]


def _is_class(concept: str) -> bool:
    try:
        c = vocab.get_concept(concept)
    except Exception:  # noqa: BLE001 - an unknown key is validated when rules compile
        return False
    return c.category == "drug_class" or concept in ("live_vaccine", "non_live_vaccine")


@lru_cache(maxsize=256)
def _factor_spread(factor: float) -> float:
    """How far (relative) a prednisone-equivalence factor may be from the true one. Exact when it is
    5 mg prednisone over a round dose (methylprednisolone 4 mg: 1.25); else rounded in its last
    stated digit (dexamethasone 0.75 mg: 6.67 for 6.666..., so +-0.005)."""
    equivalent = 5.0 / factor
    if abs(equivalent - round(equivalent, 2)) <= 1e-9 * equivalent:
        return 0.0
    text = repr(factor)
    decimals = len(text.split(".")[1]) if "." in text and "e" not in text else 0
    return 0.5 * 10.0 ** -decimals / factor


def _max_concurrent(known: list[tuple[Entry, float]], c: Context) -> float:
    """The largest sum of doses of entries that may have been taken on the same day (an unknown
    start or end may overlap anything)."""
    inf = float("inf")
    spans = [(-inf if e.start is None else e.start, c.day if e.ongoing else inf if e.end is None else e.end, d)
             for e, d in known]
    return max(sum(d for s, t, d in spans if s <= day <= t) for day, _, _ in spans)


def _procedures_done(p: Patient, by: frozenset[str], c: Context, since: int | None = None) -> list[Entry]:
    """The record's procedures of a kind in ``by`` done by the screening date (from ``since`` on, when given: an
    undated one then cannot be placed, while with no window it says the procedure happened)."""
    return [e for e in p.procedures or () if e.keys and not by.isdisjoint(e.keys)
            and (e.start <= c.day and (since is None or e.start >= since and not spans_hold(e, since))
                 if e.start is not None else since is None)]


def spans_hold(e: Entry, day: int) -> bool:
    """The entry has a date known only to the month or year whose span holds ``day`` (a day either side too: the
    answer turns on before or after it)."""
    return any(first - 1 <= day <= last + 1 for first, last in e.spans)


def observations_of(p: Patient, key: str, c: Context) -> tuple[Obs, ...]:
    """The record's values of ``key``, newest first; a top-level weight or height the record does not date
    (no `as_of`) is the patient's value at the screening date."""
    series = p.observations.get(key, ())
    if series and series[0].current:
        return tuple(replace(o, day=c.day) if o.current else o for o in series)
    return series


def _latest_weight(p: Patient, c: Context) -> float | None:
    max_age = units.get_quantity("body_weight").max_age_days
    for o in observations_of(p, "body_weight", c):
        if o.day is None or o.day > c.day:
            continue
        if max_age is not None and c.day - o.day > max_age:
            return None
        return o.value
    return None
