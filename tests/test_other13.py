"""A concurrent treatment "other" sets apart (compile.other.other_now, "no other concurrent X") goes to review when
another item of the trial names a treatment under it, which it may be other than (trial_checks._others_named_elsewhere)."""
from __future__ import annotations

from screening import ir

from trial_text import compile_text_as_trial, screen_text

_PAGE = """Inclusion Criteria:
- Castrate state by orchiectomy or gonadotropin-releasing hormone analogues for minimum of 1 year
- No other concurrent hormonal therapy
Exclusion Criteria:
- Other concurrent chemotherapy, immunotherapy, or radiotherapy
"""


def _rules() -> dict[str, ir.Node]:
    return {c.text.rstrip("."): c.rule for c in compile_text_as_trial(_PAGE).criteria}


def test_other_than_a_treatment_named_elsewhere_goes_to_review() -> None:
    rules = _rules()
    assert isinstance(rules["No other concurrent hormonal therapy"], ir.Review)
    assert "gnrh agonist" in rules["No other concurrent hormonal therapy"].reason


def test_other_than_the_study_own_stays_read() -> None:
    assert not isinstance(_rules()["Other concurrent chemotherapy, immunotherapy, or radiotherapy"], ir.Review)


def test_a_patient_on_the_asked_analog_is_not_excluded() -> None:
    record = {"conditions": [], "procedures": [],
              "medications": [{"name": "leuprolide", "start": "2024-01-01"}]}
    verdicts = screen_text(_PAGE, record)
    assert verdicts["No other concurrent hormonal therapy"] != "not_met"
    assert verdicts["Other concurrent chemotherapy, immunotherapy, or radiotherapy"] == "not_met"


_OWN = frozenset({"breast_cancer"})
_BREAST = {"name": "breast cancer", "onset": "2024-01-10", "status": "active"}
_COLON = {"name": "colon cancer", "onset": "2023-03-01", "status": "resolved", "end": "2023-09-01"}


def _verdict(text: str, kind: str, conditions: list[dict]) -> str:
    from screening.compile import compile_text
    from trial_text import screen_rule
    rule = compile_text(text, kind, own=_OWN)
    record = {"id": "o13", "as_of": "2024-06-01", "conditions": conditions}
    return screen_rule(rule, kind, text, record).verdict


def test_the_trials_own_cancer_alone_is_no_other_malignancy() -> None:
    """A breast cancer trial: its own cancer is excepted, a second cancer is not (both sides)."""
    assert _verdict("No other malignancy within 5 years", "inclusion", [_BREAST]) == "met"
    assert _verdict("No other malignancy within 5 years", "inclusion", [_BREAST, _COLON]) == "not_met"
    assert _verdict("Other malignancy within 5 years", "exclusion", [_BREAST]) == "not_met"
    assert _verdict("Other malignancy within 5 years", "exclusion", [_BREAST, _COLON]) == "met"


def test_other_malignancy_without_the_trials_conditions_stays_in_review() -> None:
    from screening.compile import compile_text
    assert isinstance(compile_text("No other malignancy within 5 years", "inclusion"), ir.Review)



_HIV_PAGE = """Exclusion Criteria:
- Any concurrent treatment with other protease inhibitors.
- Prior treatment with ritonavir.
- Indinavir 800 mg three times a day plus unspecified nucleosides for at least 3 months.
"""


def test_other_before_a_background_class_stays_in_review() -> None:
    """A page's headings may file "Included: Indinavir ..." among the exclusions (NCT00002223): "other protease
    inhibitors" is other than the regimen the patient is on (phrases.toml [other_than_trial] background)."""
    rules = {c.text.rstrip("."): c.rule for c in compile_text_as_trial(_HIV_PAGE).criteria}
    assert isinstance(rules["Any concurrent treatment with other protease inhibitors"], ir.Review)


_CANCER_PAGE = """Exclusion Criteria:
- Other concurrent chemotherapy, immunotherapy, or radiotherapy
- Prior treatment with docetaxel
- Known allergy to paclitaxel
"""


def test_bans_elsewhere_leave_the_reading() -> None:
    """A past use or an allergy names nothing the patient is on."""
    rules = {c.text.rstrip("."): c.rule for c in compile_text_as_trial(_CANCER_PAGE).criteria}
    assert not isinstance(rules["Other concurrent chemotherapy, immunotherapy, or radiotherapy"], ir.Review)
