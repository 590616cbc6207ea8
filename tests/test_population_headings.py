"""Headings that say whom the items under them are for: a sex group ("Women who are"), one of two populations
("Patients ..." / "Healthy Adult Volunteers"), and an "at least 1 of the following:" list that must end at its
section (precision review s8). Each case screens a probe patient against the compiled trial."""
from __future__ import annotations

import pytest

from screening import ir
from trial_text import compile_text_as_trial, screen_text


WOMEN = ("Inclusion Criteria:\n - Age 18 or older\nExclusion Criteria:\n - Women who are\n    - breast-feeding\n"
         "    - or are sexually active and are not using a medically acceptable method of birth control.\n")
COHORTS = ("Inclusion Criteria:\nPatients (with a primary immunodeficiency)\n 1. Hematocrit >= 25%\n"
           "Healthy Adult Volunteers\n 1. Hematocrit >= 38%\nExclusion Criteria:\n - Pregnancy\n")
SHARED = ("Inclusion Criteria:\nAll Subjects:\n - Body weight > 45 kg\nMatched Healthy Volunteers:\n - Hematocrit >= 38%\n"
          "Subjects with Hepatic Impairment:\n - Hematocrit >= 25%\n")
MUST_UNDER_EXCLUSIONS = ("Inclusion Criteria:\n - Age 18 or older\nExclusion Criteria:\n - Patients must have:\n"
                         "    - A clinical diagnosis of AIDS.\n - Co-existing conditions:\n"
                         "    - No close contact with the following high-risk individuals:\n"
                         "        - Children under age 5\n")
SPLIT_EXAMPLES = ("Inclusion Criteria:\n - No condition that would prevent compliance, e.g.: Alcoholism Drug addiction\n"
                  " - Psychiatric disease\n - No pregnant or nursing women\n")
EACH = ("Inclusion Criteria:\nEach Patient with Hepatic Impairment:\n - Hematocrit >= 25%\n"
        "Matched Healthy Volunteers:\n - Hematocrit >= 38%\n")
AT_LEAST = ("Inclusion Criteria:\n - Age 18 or older\n - Inflammation defined by at least 1 of the following criteria:\n"
            " - CRP >= 10 mg/dL\n - Ferritin > 500 ng/mL\nExclusion Criteria:\n - Pregnant or breastfeeding\n")

CASES = [
    (WOMEN, {"sex": "male", "attestations": {"sexually_active": True, "contraception": False}},
     "or are sexually active and are not using a medically acceptable method of birth control", "not_met",
     "a man is outside 'Women who are' (was met: the heading was dropped)"),
    (WOMEN, {"sex": "female", "attestations": {"sexually_active": True, "contraception": False}},
     "or are sexually active and are not using a medically acceptable method of birth control", "met",
     "a woman in the group who is not using contraception"),
    (WOMEN, {"sex": "female", "lactating": True}, "breast-feeding", "met", "women's own states need no group"),
    (COHORTS, {"sex": "female", "observations": [{"name": "hematocrit", "value": 30, "unit": "%", "date": "2026-11-20"}]},
     "Hematocrit >= 38%", "review", "the volunteers' limit is not the patients' (was not_met)"),
    (COHORTS, {"sex": "female", "pregnant": True}, "Pregnancy", "met", "the exclusions are no cohort's"),
    (SHARED, {"sex": "female", "weight": {"value": 40, "unit": "kg"}}, "Body weight > 45 kg", "not_met",
     "items under 'All Subjects:' hold for every cohort"),
    (SHARED, {"sex": "female", "observations": [{"name": "hematocrit", "value": 30, "unit": "%", "date": "2026-11-20"}]},
     "Hematocrit >= 38%", "review", "the volunteers' own limit"),
    (MUST_UNDER_EXCLUSIONS, {"sex": "male", "conditions": [{"name": "AIDS", "onset": "2020-01-01", "status": "active"}]},
     "A clinical diagnosis of AIDS", "met", "'Patients must have:' filed under the exclusions lists demands (was: excluded)"),
    (MUST_UNDER_EXCLUSIONS, {"sex": "male", "age": 71}, "Children under age 5", "review",
     "the contacts' ages, not the patient's (was not_met)"),
    (SPLIT_EXAMPLES, {"sex": "female", "conditions": []}, "Psychiatric disease", "review",
     "a bare diagnosis after an item listing examples may continue them (e2e review s8b: was not_met, ineligible)"),
    (EACH, {"sex": "female", "observations": [{"name": "hematocrit", "value": 30, "unit": "%", "date": "2026-11-20"}]},
     "Hematocrit >= 25%", "review", "'Each Patient with ...:' names one cohort, not all (a shadowed pattern had read it so)"),
    (AT_LEAST, {"sex": "female", "pregnant": True}, "Pregnant or breastfeeding", "met",
     "an exclusion after a flat 'at least 1 of the following:' list still excludes (was a part of the list)"),
]


@pytest.mark.parametrize("text,record,item,verdict,why", CASES, ids=[c[4][:40] for c in CASES])
def test_heading_says_whom_its_items_are_for(text: str, record: dict, item: str, verdict: str, why: str) -> None:
    assert screen_text(text, record)[item] == verdict, why


def _kinds(text: str) -> dict[str, tuple[str, str]]:
    """Each criterion's kind and the class of its rule, by its text."""
    return {c.text: (c.kind, type(c.rule).__name__) for c in compile_text_as_trial(text).criteria}


def test_a_heading_that_forbids_files_its_items_as_exclusions() -> None:
    """"Patients may not concurrently have any of the following conditions:" among the inclusions (precision review
    s9: "Seizure disorder" below it was demanded, and every patient without one failed)."""
    kinds = _kinds("Inclusion Criteria:\n - Age 18 or older\n - Patients may not concurrently have any of the following "
                   "conditions:\n    - Known CNS metastases\n    - Seizure disorder\nExclusion Criteria:\n - Pregnancy\n")
    assert kinds["Seizure disorder"] == ("exclusion", "Condition")
    assert kinds["Known CNS metastases"][0] == "exclusion"


def test_items_that_say_when_a_demand_applies_are_no_demands() -> None:
    """"Normal pulmonary function test (...) if any of the following is present:" (precision review s9)."""
    kinds = _kinds("Inclusion Criteria:\n - Age 18 or older\n - Normal pulmonary function test (FEV1 >= 75% of predicted "
                   "value) if any of the following is present:\n    - Symptoms of respiratory dysfunction\n"
                   "    - Prior chest radiotherapy\nExclusion Criteria:\n - Pregnancy\n")
    assert kinds["Symptoms of respiratory dysfunction"][1] == "Review"
    assert kinds["Prior chest radiotherapy"][1] == "Review"


def test_examples_after_except_e_g_are_the_allowed_exceptions() -> None:
    """"No concurrent hormonal therapy except for nondisease-related conditions, e.g.:" over "Insulin for diabetes"
    (precision review s9: the exceptions were read as exclusions)."""
    kinds = _kinds("Inclusion Criteria:\n - Age 18 or older\n - No concurrent hormonal therapy except for nondisease-related"
                   " conditions, e.g.:\n    - Insulin for diabetes\n    - Steroids for adrenal failure\n"
                   "Exclusion Criteria:\n - Pregnancy\n")
    assert kinds["Insulin for diabetes"][1] == "Review"
    assert kinds["No concurrent hormonal therapy except for nondisease-related conditions, e.g.:"][1] == "Review"


def test_a_treatment_set_apart_after_a_dated_list_is_not_read_as_ever() -> None:
    """A stray unindented line inside "Excluded within 1 month of study entry:" (NCT00000671) broke the nesting, and
    the items after it were read as excluded whenever taken (precision review s9: interferon in 2015 excluded)."""
    kinds = _kinds("Inclusion Criteria\n\n          -  Age 18 or older\n\n        Exclusion Criteria\n\n"
                   "        Prior Medication:\n\n        Excluded:\n\n          -  Ganciclovir.\n\n"
                   "          -  Excluded within 1 month of study entry:\n\n          -  Zidovudine.\n\n"
                   "        Interferons.\n\n          -  Immunomodulating drugs.\n\n"
                   "        Excluded within 3 months of study entry:\n\n          -  Ribavirin.\n\n"
                   "        Active alcohol or drug abuse.\n")
    assert kinds["Interferons."][1] == "Review" and kinds["Immunomodulating drugs."][1] == "Review"
    assert kinds["Ribavirin."] == ("exclusion", "Medication")  # its own dated heading
    assert kinds["Ganciclovir."] == ("exclusion", "Medication")  # "Excluded:" before the dated list: ever


_ADEQUATE = """Inclusion Criteria:

- Adequate laboratory parameters as evidenced by:
    - Total bilirubin >= 1.5 x upper limit of normal (ULN)
    - ALT and AST <= 2.5 x ULN
    - Serum creatinine within normal institutional limits
    - Hemoglobin >= 9 g/dL

Exclusion Criteria:

- Laboratory values:
    - ALT > 3 x ULN
"""


def test_a_ceiling_value_asked_to_be_high_under_an_adequate_heading_goes_to_review() -> None:
    """'Adequate ...: Total bilirubin >= 1.5 x ULN' lost or reversed its comparator: a person reads it. The same
    heading's sound limits stay executable, and an exclusion of high values is what it says."""
    rules = {c.text: c.rule for c in compile_text_as_trial(_ADEQUATE).criteria}
    assert isinstance(rules["Total bilirubin >= 1.5 x upper limit of normal (ULN)"], ir.Review)
    assert "reversed" in rules["Total bilirubin >= 1.5 x upper limit of normal (ULN)"].reason
    for sound in ("ALT and AST <= 2.5 x ULN", "Serum creatinine within normal institutional limits",
                  "Hemoglobin >= 9 g/dL", "ALT > 3 x ULN"):
        assert ir.is_executable(rules[sound]), sound
    verdicts = screen_text(_ADEQUATE, {"observations": [
        {"name": "ALT", "value": 20, "unit": "U/L", "date": "2026-11-20", "reference_range": {"high": 40}},
        {"name": "total bilirubin", "value": 0.5, "unit": "mg/dL", "date": "2026-11-20",
         "reference_range": {"low": 0.2, "high": 1.2}}]})
    assert verdicts["Total bilirubin >= 1.5 x upper limit of normal (ULN)"] == "review"
    assert verdicts["ALT > 3 x ULN"] == "not_met"
