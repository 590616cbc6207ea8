"""Session-13 lead fixes that only a whole trial shows."""
from __future__ import annotations

import json
from pathlib import Path

from screening import ir, load_trial
from screening.compile import compile_trial
from screening.rules import format_rule

from trial_text import compile_text_as_trial, screen_text

_FULLWIDTH = ("Inclusion Criteria:\n\n- Body mass index (BMI) 20-40 Kg/m2；\n\nExclusion Criteria:\n\n"
              "- History or evidence of any of the following conditions prior to screening：\n"
              "  - Myocardial infarction\n  - Stroke\n")


def _study(criteria: str) -> dict:
    return {"protocolSection": {"identificationModule": {"nctId": "NCT00000013", "briefTitle": "Probe"},
                                "eligibilityModule": {"eligibilityCriteria": criteria}}}


def test_fullwidth_punctuation_reads_as_ascii(tmp_path: Path) -> None:
    """East Asian registrations type '：' and '；': a heading still heads its list, and an item keeps its unit."""
    path = tmp_path / "study.json"
    path.write_text(json.dumps(_study(_FULLWIDTH)), "utf-8")
    trial = load_trial(path)
    assert [item.text for item in trial.items][:2] == ["Body mass index (BMI) 20-40 Kg/m2;",
                                                      "History or evidence of any of the following conditions prior to screening:"]
    rules = {c.id: c.rule for c in compile_trial(trial).criteria}
    assert format_rule(rules["inc-1"]) == "all(bmi >= 20 kg/m2, bmi <= 40 kg/m2)"
    assert isinstance(rules["exc-1"], ir.Review) and ir.is_executable(rules["exc-1.1"])


_HISTORY_OR_EVIDENCE = """Exclusion Criteria:

- History or evidence of any of the following conditions prior to screening:
  - Myocardial infarction
  - Stroke
"""


def test_history_or_evidence_heading_makes_its_items_a_history() -> None:
    """An infarction in 2015, resolved, is a history of one: it had been read as "now" and not_met."""
    old_infarction = {"conditions": [{"name": "myocardial infarction", "onset": "2015-03-01", "end": "2015-04-01",
                                      "status": "resolved"}]}
    verdicts = screen_text(_HISTORY_OR_EVIDENCE, old_infarction)
    assert verdicts["Myocardial infarction"] == "met"
    assert verdicts["Stroke"] == "not_met"


_GENUS = """Inclusion Criteria:

- Histologically proven {genus} of one of the following types:
  - Glioblastoma multiforme
  - Anaplastic astrocytoma
"""


def test_heading_that_names_the_kind_of_its_items_is_one_of_them() -> None:
    """The diagnosis before "one of the following types" is the genus of each item: it demands nothing more."""
    glioblastoma = {"conditions": [{"name": "glioblastoma", "onset": "2026-09-01", "status": "active"}]}
    meningioma = {"conditions": [{"name": "meningioma", "onset": "2026-09-01", "status": "active"}]}
    heading = "Histologically proven malignant glioma of one of the following types:"
    assert screen_text(_GENUS.format(genus="malignant glioma"), glioblastoma)[heading.rstrip(".")] == "met"
    assert screen_text(_GENUS.format(genus="malignant glioma"), meningioma)[heading] == "not_met"
    recurrent = _GENUS.format(genus="recurrent malignant glioma")
    assert screen_text(recurrent, glioblastoma)[heading.replace("malignant", "recurrent malignant")] == "review"


_WIDENED = """Inclusion Criteria:

- Histologically proven solid tumor.
- Lymphomas (Hodgkin or non-Hodgkin) are also eligible.
- Patients with treated brain metastases are eligible.

Exclusion Criteria:

- Brain metastases
"""


def _with(*names: str) -> dict:
    return {"conditions": [{"name": name, "status": "active"} for name in names]}


def test_an_inclusion_that_lets_more_in_keeps_a_demand_from_deciding_alone() -> None:
    """"Lymphomas are also eligible" beside "solid tumor": a lymphoma patient may be let in (it had been ineligible);
    a ban of brain metastases beside "treated brain metastases are eligible" goes to a person for those who have them.
    Patients the widening does not name are decided as before."""
    lymphoma = screen_text(_WIDENED, _with("diffuse large B-cell lymphoma"))
    assert lymphoma["Histologically proven solid tumor"] == "review"
    assert screen_text(_WIDENED, _with("breast cancer"))["Histologically proven solid tumor"] == "met"
    assert screen_text(_WIDENED, _with("asthma"))["Histologically proven solid tumor"] == "not_met"
    assert screen_text(_WIDENED, _with("breast cancer", "brain metastases"))["Brain metastases"] == "review"
    assert screen_text(_WIDENED, _with("breast cancer"))["Brain metastases"] == "not_met"


_EXEMPTED = """Inclusion Criteria:

- Laboratory tests (unless impairment due to respective organ involvement by tumor):
  - Absolute neutrophil count (ANC) greater than or equal to 1000/mm(3)
"""


def _anc(value: int) -> dict:
    return {"observations": [{"name": "ANC", "value": value, "unit": "/uL", "date": "2026-11-20"}]}


def test_an_exemption_in_brackets_in_a_heading_reaches_its_items() -> None:
    """The heading exempts impairment from the tumour: a low ANC goes to a person (it had been not_met, so the patient
    was ineligible; e2e review s13); a normal one still meets the demand."""
    item = "Absolute neutrophil count (ANC) greater than or equal to 1000/mm(3)"
    assert screen_text(_EXEMPTED, _anc(800))[item] == "review"
    assert screen_text(_EXEMPTED, _anc(1500))[item] == "met"


def test_an_active_condition_in_remission_names_the_entry() -> None:
    """"Active substance abuse" and a use disorder in sustained remission: not_met because of that entry, and the
    reason says so (it had said "no record of", though the record holds it)."""
    from screening.compile import compile_text
    from trial_text import screen_rule
    text = "Active substance abuse"
    record = {"id": "p", "as_of": "2026-01-15",
              "conditions": [{"name": "Alcohol use disorder", "status": "remission", "onset": "2015-01-01"}]}
    result = screen_rule(compile_text(text, "exclusion"), "exclusion", text, record)
    assert result.verdict == "not_met"
    assert "Alcohol use disorder" in result.reason and "no record" not in result.reason
    assert result.evidence == ("conditions[0]",)


_BOUND_HEADING = """Inclusion Criteria:

- Must have adequate organ function as demonstrated by the following ≤ 14 days prior to starting study drug:
  - Platelets >= 100,000/mm3

Exclusion Criteria:

- Excluded within 4 weeks of study entry:
  - Nitroglycerin. Digitoxin.
"""


def test_a_heading_window_written_as_a_comparator_and_each_sentence_under_a_window() -> None:
    """"≤ 14 days prior to starting study drug" is a window (labs 36 days old had decided: e2e review s13); a window
    closes every sentence of an item below it, not the last only (precision review s13: nitroglycerin stopped 14 days
    ago had been not_met for "Excluded within 4 weeks")."""
    old_labs = {"observations": [{"name": "platelets", "value": 200, "unit": "10^9/L", "date": "2026-10-19"}]}
    fresh_labs = {"observations": [{"name": "platelets", "value": 200, "unit": "10^9/L", "date": "2026-11-19"}]}
    assert screen_text(_BOUND_HEADING, old_labs)["Platelets >= 100,000/mm3"] == "unknown"
    assert screen_text(_BOUND_HEADING, fresh_labs)["Platelets >= 100,000/mm3"] == "met"
    stopped = {"medications": [{"name": "nitroglycerin", "start": "2025-01-01", "end": "2026-11-10"}]}
    assert screen_text(_BOUND_HEADING, stopped)["Nitroglycerin. Digitoxin"] == "met"
    assert screen_text(_BOUND_HEADING, {"medications": []})["Nitroglycerin. Digitoxin"] == "not_met"


def test_record_names_with_formulation_and_method_words() -> None:
    """Names intake systems send (e2e review s13): "Bactrim pediatric suspension" is the drug, "HbA1c (IFCC)" and
    "Platelets (auto)" are the lab; "Creatinine (urine)" stays another test."""
    from screening.units import find_quantity
    from screening.vocab import resolve
    assert "trimethoprim_sulfamethoxazole" in (resolve("drug", "Bactrim pediatric suspension") or ())
    assert "acetaminophen" in (resolve("drug", "Children's Tylenol") or ())
    assert [getattr(find_quantity(n), "key", None) for n in ("HbA1c (IFCC)", "HbA1c (DCCT)", "Platelets (auto)",
                                                             "Creatinine (urine)")] == ["hba1c", "hba1c", "platelet_count", None]


def test_a_drug_an_exception_allows_is_one_the_patient_may_be_on() -> None:
    """"other antineoplastic agents" beside an exclusion that excepts "<= 14 days of tamoxifen or NSAI ± goserelin":
    a patient nine days into goserelin is let in by the exception, so "other" than which goes to a person (precision
    review s13: it had been met, the patient excluded)."""
    text = ("Exclusion Criteria:\n\n- Patients who received any prior hormonal anti-cancer therapy for advanced breast "
            "cancer, except for ≤ 14 days of tamoxifen or NSAI ± goserelin for advanced breast cancer prior to "
            "randomization.\n- Patient is currently using other antineoplastic agents\n")
    rules = {c.id: c.rule for c in compile_text_as_trial(text).criteria}
    assert isinstance(rules["exc-2"], ir.Review) and "goserelin" in rules["exc-2"].reason
