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


def _therapy(lines: str) -> dict[str, ir.Node]:
    text = "Inclusion Criteria:\n\nPrior/Concurrent Therapy:\n" + lines
    return {c.text.rstrip("."): c.rule for c in compile_text_as_trial(text).criteria}


def test_a_permission_a_person_weighs_is_an_exception_to_a_ban_beside_it() -> None:
    # "Prior adjuvant chemotherapy allowed" goes to a person; "No prior chemotherapy" beside it would exclude the
    # patient it lets in
    rules = _therapy("- No prior chemotherapy\n- Prior adjuvant chemotherapy allowed\n")
    assert isinstance(rules["No prior chemotherapy"], ir.Review)
    rules = _therapy("- No prior radiotherapy\n- Prior radiotherapy allowed provided not all lesions are irradiated\n")
    assert isinstance(rules["No prior radiotherapy"], ir.Review)


def test_a_permission_of_prior_use_leaves_current_use_and_waits_alone() -> None:
    rules = _therapy("- No concurrent chemotherapy\n- Prior adjuvant chemotherapy allowed\n"
                     "- At least 4 weeks since prior radiotherapy\n- Prior radiotherapy allowed except to cranium\n")
    assert not isinstance(rules["No concurrent chemotherapy"], ir.Review)
    assert not isinstance(rules["At least 4 weeks since prior radiotherapy"], ir.Review)


def test_a_permission_by_a_local_route_leaves_a_ban_of_systemic_use_alone() -> None:
    rules = _therapy("- No concurrent systemic steroids\n- Concurrent inhaled steroids allowed\n")
    assert not isinstance(rules["No concurrent systemic steroids"], ir.Review)
    rules = _therapy("- No concurrent steroids\n- Concurrent inhaled steroids allowed\n")
    assert isinstance(rules["No concurrent steroids"], ir.Review)


def test_items_for_the_subjects_having_one_procedure_go_to_a_person() -> None:
    text = ("Exclusion Criteria:\n\n- Exclusion criteria for subjects entering into the BAL and bronchial biopsy:\n"
            "  - Allergy to lidocaine.\n")
    allergic = {"allergies": [{"name": "lidocaine"}]}
    assert screen_text(text, allergic)["Allergy to lidocaine"] == "review"
