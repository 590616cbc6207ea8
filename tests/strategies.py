"""Hypothesis strategies for rule trees and compiled trials, drawn from the real vocabularies.

Every tree these generate is valid IR that the rules language can express: names come from
``screening.units.quantities()`` and ``screening.vocab.concepts()``, values are in canonical units.
Reuse them in any test that needs arbitrary rules (``from strategies import rule_trees``).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

from hypothesis import strategies as st

from screening import units, vocab
from screening.errors import UnitError
from screening.patient import route_names
from screening.ir import (FLAGS, KINDS, OPS, WINDOW_BOUNDS, WINDOW_UNITS, All, AnyOf, AtLeast, Attestation, CompiledTrial,
                          Allergy, Condition, Criterion, Dose, Flag, Immunization, Judged, Measure, Medication, Node, Not,
                          Procedure, Review, Sex, StudyParticipation, TestResult, Window)

#: dose units the IR docstring names; only those ``dose_to_canonical`` keeps as they are are used
DOSE_UNITS: tuple[str, ...] = ("mg", "mg/d", "mg/kg", "mg/kg/d", "mg/m2", "mg/m2/d", "IU", "IU/d", "IU/kg",
                                "g/d", "[IU]/d")


def _values(table: Any) -> list[Any]:
    return list(table.values()) if isinstance(table, Mapping) else list(table)


@cache
def _quantities() -> tuple[Any, ...]:
    return tuple(sorted(_values(units.quantities()), key=lambda q: q.key))


@cache
def _concepts(*categories: str) -> tuple[str, ...]:
    return tuple(sorted(c.key for c in _values(vocab.concepts()) if c.category in categories))


@cache
def _dose_units() -> tuple[str, ...]:
    def canonical(unit: str) -> bool:
        try:
            return units.dose_to_canonical(1.0, unit)[1] == unit
        except UnitError:
            return False
    return tuple(u for u in DOSE_UNITS if canonical(u))


def _keys(keys: Iterable[str]) -> st.SearchStrategy[str]:
    pool = tuple(keys)
    if not pool:
        raise RuntimeError("the vocabulary is empty; cannot draw keys")
    return st.sampled_from(pool)


finite = st.floats(allow_nan=False, allow_infinity=False)
amounts = st.one_of(st.integers(0, 120).map(float), st.floats(0, 1e6, allow_nan=False, allow_infinity=False))
#: windows of any unit, including ``now`` (0 days) and zero-length windows of other units
windows = st.builds(Window, amounts, st.sampled_from(sorted(WINDOW_UNITS)))
optional_windows = st.none() | windows | st.just(Window(0, "day"))
#: windows of an event (drug, condition, procedure, vaccine, study), which may also be bounded ("28 days or 5 half-lives,
#: whichever is longer": at least 28 days)
event_windows = optional_windows | st.builds(Window, amounts.filter(lambda a: a > 0), st.sampled_from(sorted(WINDOW_UNITS)),
                                             st.sampled_from(WINDOW_BOUNDS))
#: free text as found in criteria: quotes, backslashes, newlines, tabs, any non-surrogate unicode
texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60) | st.sampled_from(
    ['He said "no"', "back\\slash", "two\nlines", "tab\there", "≥ 3 × ULN", "µmol/L", "", " spaced "])


@st.composite
def measures(draw: st.DrawFn) -> Node:
    """A lab, vital, score or age threshold, or a qualitative result, as the quantity's kind allows."""
    q = draw(st.sampled_from(_quantities()))
    window = draw(optional_windows)
    if q.kind == "qualitative":
        return TestResult(q.key, draw(st.sampled_from(("positive", "negative"))), window)
    ops = sorted(OPS) if q.kind == "ordinal" or q.unit == "1" else sorted(OPS - {"=="})
    unit = draw(st.sampled_from((q.unit, q.unit, "ULN", "LLN"))) if q.kind == "numeric" else q.unit
    if unit in ("ULN", "LLN"):
        value = draw(st.floats(0, 100, allow_nan=False))
    else:  # a plausible value: the parser refuses implausible ones as unit mistakes
        value = draw(st.floats(q.min if q.min is not None else -1e6, q.max if q.max is not None else 1e6,
                               allow_nan=False, allow_infinity=False))
    return Measure(q.key, draw(st.sampled_from(ops)), value, unit, window)


@st.composite
def medications(draw: st.DrawFn) -> Node:
    """A drug or class, with or without a window and a dose threshold in a canonical dose unit."""
    dose_units = _dose_units()
    dose = draw(st.none() | st.builds(Dose, st.sampled_from(sorted(OPS)), finite, st.sampled_from(dose_units))
                if dose_units else st.none())
    concept = draw(_keys(_concepts("drug", "drug_class")))
    if draw(st.integers(0, 4)) == 0:  # taken now at a stable dose for a period ("stable dose of X for 8 weeks")
        amount = draw(st.integers(1, 52))
        return Medication(concept, Window(0), None, False, draw(st.none() | st.sampled_from(sorted(route_names()))),
                          Window(amount, draw(st.sampled_from(["day", "week", "month"]))))
    systemic = draw(st.booleans())
    route = None if systemic else draw(st.none() | st.sampled_from(sorted(route_names())))
    return Medication(concept, draw(event_windows), dose, systemic, route)


@st.composite
def conditions(draw: st.DrawFn) -> Node:
    keys = _keys(_concepts("condition"))
    window = draw(event_windows)
    now = window is not None and window.amount == 0
    return Condition(draw(keys), window, tuple(draw(st.lists(keys, max_size=3))), now and draw(st.booleans()),
                     window is not None and not now and draw(st.booleans()))


def leaves() -> st.SearchStrategy[Node]:
    """Every leaf node type."""
    names = st.from_regex(r"[a-z][a-z0-9_]{0,20}", fullmatch=True)
    return st.one_of(
        measures(), conditions(), medications(),
        st.builds(Procedure, _keys(_concepts("procedure")), event_windows),
        st.builds(Allergy, _keys(_concepts("drug", "drug_class"))),
        st.builds(Immunization, _keys(_concepts("vaccine")), event_windows),
        st.builds(StudyParticipation, event_windows),
        st.builds(Sex, st.sampled_from(("female", "male"))),
        st.builds(Flag, st.sampled_from(sorted(FLAGS))),
        st.builds(Attestation, names | texts),
        st.builds(Review, texts, texts),
    )


def _logic(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    parts = st.lists(children, min_size=2, max_size=4).map(tuple)

    @st.composite
    def at_least(draw: st.DrawFn) -> Node:
        items = tuple(draw(st.lists(children, min_size=1, max_size=4)))
        return AtLeast(draw(st.integers(1, len(items))), items)

    qualifiers = texts.filter(lambda t: t.strip() != "")
    return st.one_of(st.builds(All, parts), st.builds(AnyOf, parts), at_least(), st.builds(Not, children),
                     st.builds(Judged, qualifiers, children))


def rule_trees(max_leaves: int = 12) -> st.SearchStrategy[Node]:
    """Arbitrary valid rule trees: every node type, nested logic, windows, doses, exceptions."""
    return st.recursive(leaves(), _logic, max_leaves=max_leaves)


#: criterion ids as the segmenter makes them (inc-3, exc-2.1) and as people name them (age)
criterion_ids = st.from_regex(r"(inc|exc)-[1-9][0-9]?(\.[1-9]){0,2}|[a-z][a-z_]{0,8}", fullmatch=True)
#: text found in a trial page: anything but carriage returns, which text files do not keep
line_texts = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r"), max_size=80)


@st.composite
def compiled_trials(draw: st.DrawFn, max_criteria: int = 6) -> CompiledTrial:
    """A compiled trial with unique criterion ids; headers and parts point at earlier criteria."""
    ids = draw(st.lists(criterion_ids, unique=True, max_size=max_criteria))
    criteria: list[Criterion] = []
    for i, cid in enumerate(ids):
        role = draw(st.sampled_from(("criterion", "criterion", "header", "part")))
        parent = draw(st.none() | st.sampled_from(ids[:i])) if i else None
        criteria.append(Criterion(cid, draw(st.sampled_from(KINDS)), draw(line_texts),
                                  draw(rule_trees(max_leaves=6)), role=role, parent=parent))
    return CompiledTrial(draw(line_texts), draw(line_texts), draw(line_texts),
                         draw(st.from_regex(r"[0-9a-f]{64}", fullmatch=True) | line_texts),
                         tuple(criteria), draw(line_texts))
