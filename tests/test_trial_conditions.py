"""A trial's own conditions as CT.gov lists them (screening/vocab/trial_conditions.py): NCI Thesaurus names with
stage, course, age and treatment-status words read as the disease; vague names left unknown; a listed name
broader than another standing for the trial's disease only when it is one disease. Probe patients screened on
whole trials show what "other malignancy" and "relapsed disease" then mean."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from screening import vocab
from screening.compile import compile_trial
from screening.evaluate import screen
from screening.ingest import load_trial
from screening.patient import parse_patient
from screening.segment import split_criteria
from screening.vocab.trial_conditions import own_conditions, resolve_trial_condition

_SEED = sorted((Path(__file__).resolve().parent.parent / "seeds").glob("*.txt"))[0]


def _specific(keys: frozenset[str] | None) -> set[str]:
    keys = keys or frozenset()
    return {k for k in keys if not any(k != o and k in vocab.ancestors(o) for o in keys)}


@pytest.mark.parametrize("name, keys", [
    ("Recurrent Adult Acute Lymphoblastic Leukemia", {"acute_lymphoblastic_leukemia"}),
    ("Untreated Adult Acute Myeloid Leukemia", {"acute_myeloid_leukemia"}),
    ("Adult Acute Myeloid Leukemia With t(8;21)(q22;q22)", {"acute_myeloid_leukemia"}),
    ("Adult Acute Myeloid Leukemia With 11q23 (MLL) Abnormalities", {"acute_myeloid_leukemia"}),
    ("Adult Acute Myeloblastic Leukemia Without Maturation (M1)", {"acute_myeloid_leukemia"}),
    ("Adult Erythroleukemia (M6a)", {"acute_erythroid_leukemia"}),
    ("Adult Acute Megakaryoblastic Leukemia (M7)", {"acute_megakaryoblastic_leukemia"}),
    ("Previously Treated Myelodysplastic Syndromes", {"myelodysplastic_syndrome"}),
    ("de Novo Myelodysplastic Syndromes", {"myelodysplastic_syndrome"}),
    ("Myelodysplastic/Myeloproliferative Diseases", {"mds_mpn"}),
    ("Stage IVA Colon Cancer", {"colon_cancer"}),
    ("Stage IV Uterine Corpus Cancer AJCC v7", {"endometrial_cancer"}),
    ("platinum-refractory ovarian carcinoma", {"ovarian_cancer"}),
    ("Recurrent Grade 1 Follicular Lymphoma", {"follicular_lymphoma"}),
    ("stage iv prostate cancer", {"prostate_cancer"}),
    ("hormone-resistant prostate cancer", {"castration_resistant_prostate_cancer"}),
    ("adult gliosarcoma", {"gliosarcoma"}),
    ("Recurrent Mycosis Fungoides/Sezary Syndrome", {"mycosis_fungoides", "sezary_syndrome"}),
    ("Extranodal Marginal Zone B-cell Lymphoma of Mucosa-associated Lymphoid Tissue", {"malt_lymphoma"}),
    ("mediastinal b-cell lymphoma", {"primary_mediastinal_b_cell_lymphoma"}),
    ("Primary Peritoneal Cavity Cancer", {"peritoneal_cancer"}),
    ("Brain and Central Nervous System Tumors", {"cns_tumor"}),
    ("Metastatic Breast Cancer", {"metastatic_breast_cancer"}),  # the name as written first, when it is known
])
def test_trial_condition_read_as_its_disease(name: str, keys: set[str]) -> None:
    assert _specific(resolve_trial_condition(name)) == keys


@pytest.mark.parametrize("name", ["Unspecified Adult Solid Tumor, Protocol Specific",
                                  "Unspecified Childhood Solid Tumor, Protocol Specific", "Precancerous Condition",
                                  "Healthy", "HIV Seronegativity", "Adult", "Recurrent"])
def test_vague_names_stay_unknown(name: str) -> None:
    assert resolve_trial_condition(name) is None


@pytest.mark.parametrize("name, keys", [
    ("Recurrent Adult T-cell Leukemia/Lymphoma", {"malignancy"}),  # "Lymphoma" alone is no part of the disease
    ("Cancer", {"malignancy"}),
])
def test_no_narrower_reading(name: str, keys: set[str]) -> None:
    assert _specific(resolve_trial_condition(name)) == keys


@pytest.mark.parametrize("names, own, known", [
    (("Recurrent Adult Acute Myeloid Leukemia", "Adult Acute Promyelocytic Leukemia (M3)"),
     {"acute_myeloid_leukemia"}, True),
    (("breast cancer", "recurrent breast cancer", "stage iv breast cancer"), {"breast_cancer"}, True),
    (("Breast Cancer", "Colon Cancer"), {"breast_cancer", "colon_cancer"}, True),
    # a class beside one of its members may be a heading: not known which the trial means
    (("chronic lymphocytic leukemia", "leukemia"), {"chronic_lymphocytic_leukemia"}, False),
    (("Cardiovascular Diseases", "Heart Failure"), {"heart_failure"}, False),
    (("Neoplasms", "Breast Cancer"), {"breast_cancer"}, False),
    (("Ovarian Cancer", "Peritoneal Cavity Cancer"), {"ovarian_cancer"}, False),  # a guess by its last word
    (("Breast Cancer", "Unspecified Adult Solid Tumor, Protocol Specific"), {"breast_cancer"}, False),
])
def test_own_conditions(names: tuple[str, ...], own: set[str], known: bool) -> None:
    _, leaves, is_known = own_conditions(names)
    assert (set(leaves), is_known) == (own, known)


def _screen(conditions: tuple[str, ...], text: str, record: dict) -> dict[str, str]:
    trial = load_trial(_SEED)
    compiled = compile_trial(replace(trial, conditions=conditions, criteria_text=text, items=split_criteria(text)))
    result = screen(compiled, parse_patient({"id": "p", "as_of": "2026-11-24", **record}))
    return {r.criterion.text.rstrip("."): r.verdict for r in result.results}


_AML = ("Recurrent Adult Acute Myeloid Leukemia", "Adult Acute Promyelocytic Leukemia (M3)",
        "Adult Acute Myeloid Leukemia With t(8;21)(q22;q22)")
_PAGE = "Inclusion Criteria:\n- Relapsed disease\n\nExclusion Criteria:\n- Other active malignancy\n"


def _cond(name: str) -> dict:
    return {"name": name, "onset": "2025-01-01", "status": "active"}


@pytest.mark.parametrize("conditions, record, verdicts", [
    # an AML trial listing a subtype: AML of any kind is the trial's own (the exclusion is not met), another active
    # cancer is not (met)
    (_AML, {"conditions": [_cond("acute myeloid leukemia")]},
     {"Relapsed disease": "review", "Other active malignancy": "not_met"}),
    (_AML, {"conditions": [_cond("acute myeloid leukemia"), _cond("breast cancer")]},
     {"Other active malignancy": "met"}),
    (_AML, {"conditions": [_cond("hypertension")]}, {"Relapsed disease": "not_met"}),
    # a leukemia class beside chronic lymphocytic leukemia: "other" than which stays with a person
    (("chronic lymphocytic leukemia", "leukemia"), {"conditions": [_cond("acute myeloid leukemia")]},
     {"Other active malignancy": "review"}),
])
def test_probe_patients(conditions: tuple[str, ...], record: dict, verdicts: dict[str, str]) -> None:
    got = _screen(conditions, _PAGE, record)
    assert {k: got[k] for k in verdicts} == verdicts, got
