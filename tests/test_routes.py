"""Medication routes and stable doses (ir.Medication.route / .stable): what the text compiles to, and the
verdicts probe patients get. A route the record does not give is never a confident "no"."""
from __future__ import annotations

import pytest

from screening import ir
from screening.compile import compile_text
from screening.evaluate import screen
from screening.patient import parse_patient
from screening.rules import format_rule, parse_rule

AS_OF = "2026-01-15"

COMPILES = [
    ("exclusion", "Oral corticosteroids within 4 weeks", "medication(glucocorticoid, route oral, within 4 weeks)"),
    ("exclusion", "Intravenous acyclovir.", "medication(acyclovir, route intravenous, now)"),
    ("exclusion", "IV or oral antibiotics within 2 weeks",
     "any(medication(antibiotic, route intravenous, within 2 weeks), medication(antibiotic, route oral, within 2 weeks))"),
    ("inclusion", "No concurrent topical or systemic steroids",
     "not any(medication(glucocorticoid, route topical, now), medication(glucocorticoid systemic, now))"),
    ("exclusion", "Infection requiring parenteral antibiotics",
     'judged("requiring parenteral antibiotic", condition(infection, now))'),
    ("inclusion", "Stable dose of methotrexate for at least 8 weeks prior to randomization",
     "medication(methotrexate, now, stable 8 weeks)"),
    ("inclusion", "If currently on methotrexate treatment, a stable dose for at least 8 weeks prior to randomization",
     "any(not medication(methotrexate, now), medication(methotrexate, now, stable 8 weeks))"),
    ("inclusion", "Patients on corticosteroids must be on stable doses for 2 weeks prior to enrollment.",
     "any(not medication(glucocorticoid, now), medication(glucocorticoid, now, stable 2 weeks))"),
    ("exclusion", "Phenytoin (unless on stable dose for 8 weeks prior to study entry).",
     "not any(not medication(phenytoin, now), medication(phenytoin, now, stable 8 weeks))"),
    ("exclusion", "Stage IV breast cancer", 'judged("stage iv", condition(breast_cancer, now))'),  # IV the numeral
    ("inclusion", "NYHA class III or IV heart failure", "all(nyha_class >= 3, nyha_class <= 4)"),
]

REVIEW = [
    ("exclusion", "Oral corticosteroids or methotrexate within 4 weeks"),  # does "oral" cover methotrexate?
    ("exclusion", "On a stable dose of thyroid hormone replacement therapy for <6 weeks"),
    ("exclusion", "Stable dose of methotrexate for at least 8 weeks"),  # excluded when stable?
    ("inclusion", "Cimetidine if on a stable dose."),  # stable for how long?
]


@pytest.mark.parametrize("kind, text, rule", COMPILES, ids=[c[1][:40] for c in COMPILES])
def test_compiles_to_what_it_means(kind: str, text: str, rule: str) -> None:
    node = compile_text(text, kind)
    assert node == parse_rule(rule), format_rule(node)
    assert parse_rule(format_rule(node)) == node


@pytest.mark.parametrize("kind, text", REVIEW, ids=[c[1][:40] for c in REVIEW])
def test_what_cannot_be_read_exactly_stays_in_review(kind: str, text: str) -> None:
    assert not ir.is_executable(compile_text(text, kind))


def _verdict(rule: str, meds: list[dict] | None) -> str:
    crit = ir.Criterion("inc-1", "inclusion", "x", parse_rule(rule))
    record: dict = {"id": "p"} if meds is None else {"id": "p", "medications": meds}
    return screen(ir.CompiledTrial("T", "t", "test", "", (crit,)), parse_patient(record), as_of=AS_OF).results[0].verdict


PRED = {"name": "prednisone", "start": "2025-06-01"}


@pytest.mark.parametrize("meds, verdict", [
    ([{**PRED, "route": "oral"}], "met"),
    ([{**PRED, "route": "PO"}], "met"),                       # the record's spelling, normalised at load
    ([{**PRED, "route": "by mouth"}], "met"),
    ([{**PRED, "route": "inhaled"}], "not_met"),              # another route does not match
    ([{**PRED, "route": "IV"}], "not_met"),
    ([PRED], "unknown"),                                      # no route recorded: may be oral
    ([{**PRED, "route": "nasogastric tube"}], "unknown"),     # a route we cannot place
    ([{**PRED, "route": "topical"}, {"name": "budesonide", "start": "2025-06-01", "route": "oral"}], "met"),  # H02AB16
    ([{"name": "methotrexate", "start": "2025-06-01", "route": "oral"}], "not_met"),
    ([], "not_met"),
    (None, "unknown"),
])
def test_oral_corticosteroids(meds: list[dict] | None, verdict: str) -> None:
    assert _verdict("medication(glucocorticoid, route oral, now)", meds) == verdict


@pytest.mark.parametrize("route, verdict", [("intravenous", "met"), ("IM", "met"), ("subcutaneous", "met"),
                                            ("parenteral", "met"), ("oral", "not_met"), (None, "unknown")])
def test_parenteral_covers_the_injected_routes(route: str | None, verdict: str) -> None:
    med = {"name": "ceftriaxone", "start": "2026-01-10"} | ({"route": route} if route else {})
    assert _verdict("medication(antibiotic, route parenteral, within 2 weeks)", [med]) == verdict


def test_a_dose_threshold_with_a_route_counts_that_route() -> None:
    inhaled = [{"name": "fluticasone", "start": "2025-06-01", "route": "inhaled", "dose": {"value": 1000, "unit": "ug"},
                "frequency": "bid"}]
    assert _verdict("medication(fluticasone, route inhaled, now, dose > 1 mg/d)", inhaled) == "met"
    assert _verdict("medication(fluticasone systemic, now, dose > 1 mg/d)", inhaled) == "not_met"


MTX = "medication(methotrexate, now, stable 8 weeks)"
IF_MTX = "any(not medication(methotrexate, now), medication(methotrexate, now, stable 8 weeks))"


def _mtx(start: str | None, dose: float | None = 15, end: str | None = None) -> dict:
    e: dict = {"name": "methotrexate"}
    if start:
        e["start"] = start
    if end:
        e["end"] = end
    if dose is not None:
        e["dose"] = {"value": dose, "unit": "mg"}
        e["frequency"] = "weekly"
    return e


@pytest.mark.parametrize("meds, demand, moot", [
    ([_mtx("2025-06-01")], "met", "met"),                                       # one dose since June
    ([_mtx("2026-01-01")], "not_met", "not_met"),                               # started 2 weeks ago
    ([_mtx("2025-06-01", 10, "2025-12-31"), _mtx("2026-01-01", 15)], "not_met", "not_met"),  # dose raised
    ([_mtx("2025-06-01", 15, "2025-10-31"), _mtx("2025-11-01", 15)], "met", "met"),  # renewed at the same dose
    ([_mtx("2025-06-01", None, "2025-12-31"), _mtx("2026-01-01", None)], "unknown", "unknown"),  # doses unknown
    ([_mtx(None)], "unknown", "unknown"),                                      # current, start unknown
    ([_mtx("2025-01-01", 15, "2025-06-01")], "not_met", "met"),                # stopped long ago: not on it now
    ([_mtx("2025-06-01", 15, "2026-01-05")], "not_met", "met"),                # stopped 10 days ago: not on it now
    ([], "not_met", "met"),                                                    # no methotrexate: moot if "if on"
    ([{"name": "unknown-local-drug-xyz", "start": "2025-06-01"}], "unknown", "unknown"),
    (None, "unknown", "unknown"),
])
def test_stable_dose(meds: list[dict] | None, demand: str, moot: str) -> None:
    assert _verdict(MTX, meds) == demand
    assert _verdict(IF_MTX, meds) == moot


def test_stable_dose_of_a_class_counts_every_member() -> None:
    steady = {"name": "prednisone", "start": "2025-06-01", "dose": {"value": 5, "unit": "mg"}}
    added = {"name": "dexamethasone", "start": "2026-01-10", "dose": {"value": 4, "unit": "mg"}}
    rule = "medication(glucocorticoid, now, stable 2 weeks)"
    assert _verdict(rule, [steady]) == "met"
    assert _verdict(rule, [steady, added]) == "not_met"


def test_rules_text_checks_routes() -> None:
    with pytest.raises(Exception, match="not a route"):
        parse_rule("medication(glucocorticoid, route sideways, now)")
    with pytest.raises(Exception, match="stable dose"):
        parse_rule("medication(glucocorticoid, within 4 weeks, stable 2 weeks)")
