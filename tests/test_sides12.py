"""Demands filed among the exclusions, at trial level (compile/wrong_list.py): a healthy patient is sent to a person
(needs_review), never ruled out, when an exclusion item is one every healthy patient meets; and when most exclusion
items are such demands (the section headings were swapped or lost), the rest of the section goes to review too.
Sentence-level cases: tests/cases/phrases/sides12.json."""
from __future__ import annotations

from screening import ir
from screening.compile import compile_trial
from screening.compile.wrong_list import SECTION
from screening.evaluate import screen
from screening.patient import parse_patient
from screening.segment import split_criteria
from screening.trial import Trial

_HEALTHY = {"id": "p", "as_of": "2026-11-24", "sex": "male", "birth_date": "1970-01-01", "conditions": [],
            "medications": [], "observations": [
                {"name": "total bilirubin", "value": 0.6, "unit": "mg/dL", "date": "2026-11-20"},
                {"name": "serum creatinine", "value": 0.9, "unit": "mg/dL", "date": "2026-11-20"},
                {"name": "platelet count", "value": 250000, "unit": "/uL", "date": "2026-11-20"},
                {"name": "absolute neutrophil count", "value": 4000, "unit": "/uL", "date": "2026-11-20"},
                {"name": "hemoglobin", "value": 14.5, "unit": "g/dL", "date": "2026-11-20"}]}

# NCT00469937's layout: the demands under the exclusion heading
_SWAPPED = ("Inclusion Criteria:\n- Age 18 years or older\n"
            "Exclusion Criteria:\n- Platelet count > 100,000/mm^3\n- ANC > 1,500/mm^3\n- Hemoglobin ≥ 10 g/dL\n"
            "- Creatinine < 1.5 mg/dL\n- Bilirubin < 1.5 mg/dL\n- Negative pregnancy test\n- Chronic atrial fibrillation\n")
# one demand pasted among real exclusions (NCT01042704)
_ONE = ("Inclusion Criteria:\n- Age 18 years or older\n"
        "Exclusion Criteria:\n- Chronic atrial fibrillation\n- Prior allogeneic stem cell transplant\n"
        "- Must have a platelet count >75,000.\n- Hemoglobin < 9 g/dL\n")


def _compiled(text: str) -> ir.CompiledTrial:
    return compile_trial(Trial("T1", "probe", "test", "test", criteria_text=text, items=split_criteria(text)))


def _status(text: str) -> str:
    return screen(_compiled(text), parse_patient(_HEALTHY)).status


def test_swapped_section_sends_a_healthy_patient_to_review() -> None:
    assert _status(_SWAPPED) == "needs_review"


def test_swapped_section_takes_the_rest_of_the_section_to_review() -> None:
    rules = {c.text: c.rule for c in _compiled(_SWAPPED).criteria}
    assert rules["Chronic atrial fibrillation"] == ir.Review("Chronic atrial fibrillation", SECTION)
    assert ir.is_executable(rules["Age 18 years or older"])  # the inclusions are not touched


def test_one_demand_among_real_exclusions_goes_alone() -> None:
    rules = {c.text: c.rule for c in _compiled(_ONE).criteria}
    assert isinstance(rules["Must have a platelet count >75,000."], ir.Review)
    assert rules["Hemoglobin < 9 g/dL"] == ir.Measure("hemoglobin", "<", 90.0, "g/L", shown_unit="g/dL")
    assert not isinstance(rules["Chronic atrial fibrillation"], ir.Review)
    assert _status(_ONE) != "ineligible"


def test_without_the_rule_a_healthy_patient_would_be_ruled_out() -> None:
    """The probe can fail: the same thresholds read as exclusions exclude the healthy patient."""
    from screening.compile.wrong_list import healthy_meets
    rules = [c.rule for c in _compiled(_SWAPPED.replace("Exclusion", "Inclusion")).criteria if c.kind == "inclusion"]
    assert sum(healthy_meets(r) is True for r in rules) >= 5
