"""Organ-system words at trial level: a bare NCI sub-header ("Hepatic" alone on its line, its items below it) is the
heading of those items, as "Hepatic:" is, and a bare therapy label lends its therapy to them; in a trial whose own
conditions are all cancers, "CNS involvement", "CNS disease" and "liver involvement" are the cancer in that organ
(phrases.toml [own_involvement]); in any other trial they stay in review. Sentence-level cases: cases/phrases/organ_words.json."""
from __future__ import annotations

from typing import Any

import pytest

from screening import ir
from screening.compile import compile_trial
from screening.evaluate import screen
from screening.patient import parse_patient
from screening.rules import format_rule
from screening.segment import split_criteria
from screening.trial import Trial

NCI_BARE = """
        DISEASE CHARACTERISTICS:

          -  Histologically confirmed non-Hodgkin's lymphoma

        PATIENT CHARACTERISTICS:

        Hepatic

          -  Bilirubin no greater than 2.0 mg/dL

        Renal

          -  Creatinine no greater than 2.0 mg/dL

        Other

          -  No CNS involvement

        PRIOR CONCURRENT THERAPY:

        Chemotherapy

          -  No prior therapy

        Cardiovascular
"""

MARKDOWN = "PATIENT CHARACTERISTICS:\n\nHematopoietic\n\n* Platelet count at least 100,000/mm^3\n* WBC at least 3,000/mm^3\n\nPulmonary\n"


def _trial(text: str, conditions: tuple[str, ...]) -> ir.CompiledTrial:
    return compile_trial(Trial("T1", "probe", "test", "test", conditions=conditions, criteria_text=text,
                               items=split_criteria(text)))


def _by_id(trial: ir.CompiledTrial) -> dict[str, ir.Criterion]:
    return {c.id: c for c in trial.criteria}


def test_bare_nci_label_heads_the_items_below_it() -> None:
    items = split_criteria(NCI_BARE)
    assert [(it.text, [c.text for c in it.children]) for it in items] == [
        ("Histologically confirmed non-Hodgkin's lymphoma", []),
        ("Hepatic", ["Bilirubin no greater than 2.0 mg/dL"]),
        ("Renal", ["Creatinine no greater than 2.0 mg/dL"]),
        ("Other", ["No CNS involvement"]),
        ("Chemotherapy", ["No prior therapy"]),
        ("Cardiovascular", []),  # alone at the end: no items to head, it stays an item
    ]


def test_bare_label_in_markdown_layout_heads_its_bullets() -> None:
    items = split_criteria(MARKDOWN)
    assert [(it.text, len(it.children)) for it in items] == [("Hematopoietic", 2), ("Pulmonary", 0)]


def test_bare_label_outside_nci_sections_is_an_item() -> None:
    text = "Inclusion Criteria:\n\nRenal\n\n  -  Creatinine no greater than 2.0 mg/dL\n"
    assert [(it.text, len(it.children)) for it in split_criteria(text)] == [
        ("Renal", 0), ("Creatinine no greater than 2.0 mg/dL", 0)]


def test_bare_labels_compile_as_headers_and_lend_their_therapy() -> None:
    by_id = _by_id(_trial(NCI_BARE, ("Lymphoma",)))
    got = {i: (c.role, format_rule(c.rule)) for i, c in by_id.items() if i.startswith("inc")}
    assert got["inc-2"][0] == "header" and got["inc-3"][0] == "header"
    assert got["inc-2.1"] == ("criterion", "total_bilirubin <= 2 mg/dL")
    assert got["inc-5.1"] == ("criterion", "not medication(chemotherapy)")
    assert got["inc-4.1"] == ("criterion", "not condition(cns_involvement, now)")
    assert got["inc-6"] == ("criterion", 'review("Cardiovascular", "wording the grammar does not cover (\'cardiovascular\')")')


@pytest.mark.parametrize(("text", "kind", "conditions", "rule"), [
    ("No CNS involvement", "inclusion", ("Lymphoma",), "not condition(cns_involvement, now)"),
    ("No known CNS disease", "inclusion", ("Chronic Lymphocytic Leukemia",), "not condition(cns_involvement, now)"),
    ("Involvement of the CNS.", "exclusion", ("Non-Hodgkin's Lymphoma",), "condition(cns_involvement, now)"),
    ("Uncontrolled CNS disease", "exclusion", ("Lymphoma",), 'judged("uncontrolled", condition(cns_involvement, now))'),
    ("Liver involvement", "exclusion", ("Breast Cancer",), "condition(liver_involvement, now)"),
])
def test_cancer_trial_reads_organ_involvement_as_its_cancer(text: str, kind: str, conditions: tuple[str, ...],
                                                           rule: str) -> None:
    section = "Inclusion Criteria:" if kind == "inclusion" else "Exclusion Criteria:"
    (c,) = [c for c in _trial(f"{section}\n\n- {text}\n", conditions).criteria if c.role == "criterion"]
    assert format_rule(c.rule) == rule


@pytest.mark.parametrize(("text", "conditions"), [
    ("No CNS involvement", ("Guillain-Barre Syndrome",)),  # the syndrome's own CNS involvement
    ("No CNS involvement", ("Lymphoma", "Graft vs Host Disease")),  # not a cancer trial only
    ("Liver involvement", ("Sarcoidosis",)),
    ("No active CNS disease (e.g., seizures)", ("Breast Cancer",)),  # names more than the cancer
    ("Clinically significant CNS disease", ("HIV Infections",)),
])
def test_organ_involvement_stays_in_review_outside_cancer_trials(text: str, conditions: tuple[str, ...]) -> None:
    (c,) = [c for c in _trial(f"Exclusion Criteria:\n\n- {text}\n", conditions).criteria if c.role == "criterion"]
    assert not ir.is_executable(c.rule)


@pytest.mark.parametrize(("record", "verdict"), [
    ({"conditions": [{"name": "lymphoma", "status": "active"}]}, "met"),
    ({"conditions": [{"name": "lymphoma", "status": "active"}, {"name": "brain metastases", "status": "active"}]},
     "not_met"),
    ({"conditions": [{"name": "lymphoma", "status": "active"},
                     {"name": "leptomeningeal metastases", "status": "active"}]}, "not_met"),
])
def test_probe_patients_no_cns_involvement(record: dict[str, Any], verdict: str) -> None:
    trial = _trial("Inclusion Criteria:\n\n- No CNS involvement\n", ("Lymphoma",))
    result = screen(trial, parse_patient({"id": "p", "as_of": "2026-11-24", **record}))
    (r,) = [r for r in result.results if r.criterion.role == "criterion"]
    assert r.verdict == verdict
