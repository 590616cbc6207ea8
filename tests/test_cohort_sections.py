"""Headings that say whom items are for (precision review s8, W2/W5 and a helper note): a section header naming a
group ("Inclusion criteria for Cohorts B and C only:"), an undated "excluded" list after a dated one under
"Prior Medication:", and a threshold "for > 10 years of age". Each case screens a probe patient against the compiled
trial text, or checks what an item compiles to."""
from __future__ import annotations

import pytest

from screening.compile import compile_text
from screening.rules import format_rule
from trial_text import screen_text


def _tg(value: float) -> dict:
    return {"sex": "male", "birth_date": "1980-01-01",
            "observations": [{"name": "fasting triglycerides", "value": value, "unit": "mg/dL", "date": "2026-11-20"}]}


COHORTS = ("Inclusion Criteria for All Cohorts:\n\n  -  Body Mass Index (BMI) <= 35.0 kg/m2\n\n"
           "Inclusion criteria for Cohorts, A, D, and AA to DD only:\n\n  -  Fasting triglycerides (TG) >= 150 mg/dL\n\n"
           "Inclusion criteria for Cohorts B and C only:\n\n  -  Fasting TG 90 - 150 mg/dL\n\n"
           "Exclusion Criteria for All Cohorts:\n\n  -  Pregnancy\n")
# one qualified header naming everyone the trial screens: its items are plain demands
PATIENTS = ("Inclusion Criteria for Patients:\n\n  -  Fasting triglycerides (TG) >= 150 mg/dL\n\n"
            "Exclusion Criteria:\n\n  -  Pregnancy\n")
CONTROLS = ("INCLUSION CRITERIA:\n\n  -  Fasting triglycerides (TG) >= 150 mg/dL\n\n"
            "EXCLUSION CRITERIA FOR ALL SUBJECTS:\n\n  -  Pregnancy\n\n"
            "EXCLUSION CRITERIA FOR NORMAL CONTROLS:\n\n  -  Fasting triglycerides (TG) >= 200 mg/dL\n")
PRIOR = ("Inclusion Criteria:\n - Age 18 or older\nExclusion Criteria:\nPrior Medication:\n"
         "  - Excluded within 6 weeks prior to study entry:\n      - Chemotherapy.\n      - Corticosteroids.\n"
         "  - EXCLUDED IN ALL PATIENTS:\n      - Corticosteroids.\n      - Prior radiotherapy.\n"
         "  - EXCLUDED IN PART A ONLY:\n      - Interferon.\n")
# an undated list alone under "Prior Medication:" still means ever (unchanged)
PRIOR_ONLY = ("Inclusion Criteria:\n - Age 18 or older\nExclusion Criteria:\nPrior Medication:\n"
              "  - Excluded:\n      - Corticosteroids.\n")
BURST = {"sex": "male", "birth_date": "1970-01-01",
         "medications": [{"name": "prednisone", "start": "2019-02-01", "end": "2019-02-06"}]}

CASES = [
    (COHORTS, _tg(230), "Fasting TG 90 - 150 mg/dL", "review",
     "a cohort A candidate (TG 230) is not held to the cohort B/C range (was not_met: every patient failed one)"),
    (COHORTS, _tg(120), "Fasting triglycerides (TG) >= 150 mg/dL", "review",
     "a cohort B candidate (TG 120) is not held to the cohort A range (was not_met)"),
    (COHORTS, {"sex": "female", "pregnant": True}, "Pregnancy", "met", "a section 'for All Cohorts' is everyone's"),
    (PATIENTS, _tg(120), "Fasting triglycerides (TG) >= 150 mg/dL", "not_met",
     "a lone header 'for Patients' names everyone the trial screens"),
    (CONTROLS, _tg(250), "Fasting triglycerides (TG) >= 200 mg/dL", "review",
     "a section for normal controls beside one for all subjects is for the controls only (was met)"),
    (CONTROLS, {"sex": "female", "pregnant": True}, "Pregnancy", "met", "the section for all subjects still excludes"),
    (PRIOR, BURST, "Corticosteroids", "review",
     "the undated list after the dated one: a 2019 burst (was met: read as a lifetime ban)"),
    (PRIOR, {"sex": "male", "birth_date": "1970-01-01",
             "procedures": [{"name": "radiotherapy", "date": "2019-02-01"}]}, "Prior radiotherapy", "met",
     "an item that says its own time ('Prior') keeps it"),
    (PRIOR_ONLY, BURST, "Corticosteroids", "met", "an undated list alone under 'Prior Medication:' means ever"),
]


@pytest.mark.parametrize("text,record,item,verdict,why", CASES, ids=[c[4][:40] for c in CASES])
def test_section_says_whom_its_items_are_for(text: str, record: dict, item: str, verdict: str, why: str) -> None:
    assert screen_text(text, record)[item] == verdict, why


@pytest.mark.parametrize("text,kind,rule", [
    ("Karnofsky >= 50 for > 10 years of age", "inclusion", "any(not age > 10 year, karnofsky >= 50)"),
    ("Karnofsky >= 50 for > 10 years of age", "exclusion", "all(age > 10 year, karnofsky >= 50)"),
    ("Karnofsky performance status >= 60% for patients > 16 years of age", "inclusion",
     "any(not age > 16 year, karnofsky >= 60)"),
])
def test_for_an_age_group(text: str, kind: str, rule: str) -> None:
    """"for > 10 years of age" says whom the threshold is for (was all(karnofsky >= 50, age > 10 year): a 5-year-old
    failed it)."""
    assert format_rule(compile_text(text, kind)) == rule


@pytest.mark.parametrize("text", ["Karnofsky >= 50 for > 6 months", "Karnofsky >= 50 for > 10 years"])
def test_for_a_duration_is_no_age_group(text: str) -> None:
    assert "age" not in format_rule(compile_text(text, "inclusion"))


def test_child_outside_the_age_group_meets_it() -> None:
    text = "Inclusion Criteria:\n - Karnofsky >= 50 for > 10 years of age\nExclusion Criteria:\n - Pregnancy\n"
    child = {"sex": "male", "birth_date": "2021-06-01",
             "observations": [{"name": "Lansky", "value": 80, "date": "2026-11-20"}]}
    assert screen_text(text, child)["Karnofsky >= 50 for > 10 years of age"] == "met"
