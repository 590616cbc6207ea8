"""Session-12 lead fixes that only a whole criteria section shows: a heading's time frame written "in the 8 weeks prior
to Screening", a heading whose words after "at least one of the following" qualify its items, and a heading that
says when its items apply ("If a patient is on full-dose anticoagulants, ...")."""
from __future__ import annotations

from trial_text import compile_text_as_trial, screen_text

from screening import ir

_MEDS = """Exclusion Criteria:

- Is currently taking or has taken any of the following medications in the 8 weeks prior to Screening:
  - Antiretroviral drugs
"""


def test_heading_time_frame_in_the_weeks_prior_to() -> None:
    stopped_4_weeks_ago = {"medications": [{"name": "tenofovir", "start": "2025-01-01", "end": "2026-10-27"}]}
    stopped_last_year = {"medications": [{"name": "tenofovir", "start": "2024-01-01", "end": "2025-06-01"}]}
    assert screen_text(_MEDS, stopped_4_weeks_ago)["Antiretroviral drugs"] == "met"
    assert screen_text(_MEDS, stopped_last_year)["Antiretroviral drugs"] == "not_met"


_QUALIFIED = """Inclusion Criteria:

- Patients must have one of the following diagnoses which has not responded or recurred following at least one prior chemotherapy regimen:
  - Glioblastoma
  - Anaplastic astrocytoma
"""

_PLAIN = _QUALIFIED.replace(" which has not responded or recurred following at least one prior chemotherapy regimen", "")


def _heading_rule(text: str) -> ir.Node:
    return next(c.rule for c in compile_text_as_trial(text).criteria if c.id == "inc-1")


def test_words_after_at_least_one_of_the_following_go_to_a_person() -> None:
    assert isinstance(_heading_rule(_QUALIFIED), ir.Review)
    assert isinstance(_heading_rule(_PLAIN), ir.AtLeast)
    untreated = {"conditions": [{"name": "glioblastoma", "onset": "2026-10-01"}], "medications": []}
    assert screen_text(_QUALIFIED, untreated)[_QUALIFIED.splitlines()[2][2:].rstrip(".")] == "review"


_CONDITIONAL = """Exclusion Criteria:

- If a patient is on full-dose anticoagulants, the following criteria should be met for enrollment:
  - Must have a platelet count >75,000.
"""


def test_items_under_a_heading_that_says_when_they_apply_go_to_a_person() -> None:
    no_anticoagulant = {"medications": [], "observations": [
        {"name": "platelet count", "value": 150, "unit": "10*9/L", "date": "2026-11-20"}]}
    assert screen_text(_CONDITIONAL, no_anticoagulant)["Must have a platelet count >75,000"] == "review"
