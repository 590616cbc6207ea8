"""records12: record entries intake systems send that the vocabularies now read, and the near misses that must stay
unknown. A release or formulation suffix after a brand or generic ("Megace ES", "Cardizem CD") is the same
ingredient; letters that name another ingredient ("Lopressor HCT", "Sudafed PE", "Tylenol PM") are not suffixes.
An observation's parenthetical is read, not dropped: "Performance status (ECOG)" is the ECOG score, "Hemoglobin
(Hgb)" the hemoglobin, but "Creatinine (urine)" is no serum creatinine. A hip or knee arthroplasty is major surgery;
an autologous HSCT written out in full is no allogeneic one; a procedure's name with a second procedure after a comma
("Lumpectomy, radiation") is not read as its first one, one with a side after it ("..., right") is. Creon (pancrelipase) is a pancreatic enzyme, never
chemotherapy; whether "biologics" counts it (a BLA since 2020) stays open."""
from __future__ import annotations

from typing import Any

import pytest

from screening import units, vocab
from screening.compile import compile_text

from trial_text import screen_rule

AS_OF = "2026-11-24"


def _verdict(text: str, kind: str, **record: Any) -> str:
    rule = compile_text(text, kind)
    return screen_rule(rule, kind, text, {"id": "p", "as_of": AS_OF, **record}).verdict


def _meds(name: str) -> list[dict[str, str]]:
    return [{"name": name, "start": "2026-10-01"}]


def _obs(name: str, value: Any, unit: str | None = None) -> list[dict[str, Any]]:
    o: dict[str, Any] = {"name": name, "value": value, "date": "2026-11-20"}
    if unit:
        o["unit"] = unit
    return [o]


@pytest.mark.parametrize(("text", "name", "verdict"), [
    ("No concurrent megestrol", "Megace ES", "not_met"),       # ES: the same megestrol ("Megace" was read before)
    ("No concurrent megestrol", "Megace", "not_met"),
    ("No concurrent megestrol", "Tylenol ES", "met"),           # extra-strength acetaminophen, no megestrol
    ("Concurrent acetaminophen", "Tylenol ES", "met"),
    ("No concurrent beta blockers", "Toprol XL", "not_met"),
    ("No concurrent beta blockers", "Coreg CR", "not_met"),
    ("No concurrent bupropion", "Wellbutrin SR", "not_met"),
    ("No concurrent lamotrigine", "Lamictal ODT", "not_met"),
    ("No concurrent lamotrigine", "Lamictal CD", "not_met"),
    ("No concurrent opioids", "oxycodone IR", "not_met"),
    ("No concurrent beta blockers", "Cardizem CD", "unknown"),  # diltiazem: read, its class left open on purpose
    ("No concurrent megestrol", "Cardizem CD", "met"),          # ... but it is surely no megestrol
    ("No concurrent megestrol", "Megace XYZ", "unknown"),       # letters we do not list: unrecognised
    # letters that name another ingredient are no suffix: the product stays unrecognised
    ("No concurrent beta blockers", "Lopressor HCT", "unknown"),   # + hydrochlorothiazide
    ("No concurrent megestrol", "Lopressor HCT", "unknown"),
    ("Concurrent acetaminophen", "Tylenol PM", "unknown"),         # + diphenhydramine
    ("No concurrent megestrol", "Sudafed PE", "unknown"),          # phenylephrine, not Sudafed's pseudoephedrine
    # Creon: a pancreatic enzyme, known, in no class of ours
    ("No concurrent chemotherapy", "Creon", "met"),
    ("No concurrent chemotherapy", "Creon 36,000 units", "met"),
    ("No concurrent chemotherapy", "pancrelipase", "met"),
    ("Prior biologic therapy", "Creon", "unknown"),                # a BLA since 2020: whether "biologics" counts it
    ("No concurrent chemotherapy", "Creonix", "unknown"),
])
def test_medication_names(text: str, name: str, verdict: str) -> None:
    kind = "exclusion" if not text.startswith("No ") else "inclusion"
    assert _verdict(text, kind, medications=_meds(name)) == verdict


def test_release_letters_are_data_and_exclude_ingredient_letters() -> None:
    words = set(vocab.tables("drugs.toml")["release_suffixes"]["words"])
    assert {"xr", "xl", "er", "sr", "cr", "cd", "la", "dr", "es", "odt"} <= words
    assert not words & {"hct", "hctz", "d", "pe", "pm", "dm", "plus"}


def test_whole_product_name_is_read_before_its_letters() -> None:
    # the NER package lists "Bicillin C-R" (benzathine + procaine penicillin): read whole, not as plain Bicillin
    keys = vocab.resolve("drug", "Bicillin C-R")
    assert keys is not None and "drug:procaine_benzylpenicillin" in keys
    assert vocab.resolve("drug", "Megace ES") == vocab.resolve("drug", "Megace")
    assert vocab.resolve("drug", "ES") is None


@pytest.mark.parametrize(("text", "obs", "verdict"), [
    ("ECOG performance status 0-2", _obs("Performance status (ECOG)", 1), "met"),
    ("ECOG performance status 0-2", _obs("Performance status (ECOG)", 3), "not_met"),
    ("ECOG performance status 0-2", _obs("Performance status", 1), "unknown"),          # which scale?
    ("ECOG performance status 0-2", _obs("Performance status (Zubrod-like)", 1), "unknown"),
    ("Karnofsky performance status >= 70%", _obs("Performance status (Karnofsky)", 80), "met"),
    ("Karnofsky performance status >= 70%", _obs("Performance status (ECOG)", 1), "unknown"),
    ("Hemoglobin >= 9 g/dL", _obs("Hemoglobin (Hgb)", 11.2, "g/dL"), "met"),
    ("Hemoglobin >= 9 g/dL", _obs("Hemoglobin (Hgb)", 8.1, "g/dL"), "not_met"),
    ("Platelets >= 100,000/mm3", _obs("Platelets (PLT)", 150, "10*3/uL"), "met"),
    ("Platelets >= 100,000/mm3", _obs("Platelets (PLT)", 60, "10*3/uL"), "not_met"),
    ("WBC >= 3,000/mm3", _obs("WBC (white blood cell count)", 6.2, "10*3/uL"), "met"),
    ("WBC >= 3,000/mm3", _obs("WBC (white blood cell count)", 2.1, "10*3/uL"), "not_met"),
    ("WBC >= 3,000/mm3", _obs("WBC (urine)", 1.0, "10*3/uL"), "unknown"),               # a urinalysis count
    ("Creatinine <= 1.5 mg/dL", _obs("Creatinine, serum", 0.9, "mg/dL"), "met"),
    ("Creatinine <= 1.5 mg/dL", _obs("Creatinine, serum", 2.0, "mg/dL"), "not_met"),
    ("Creatinine <= 1.5 mg/dL", _obs("Creatinine (serum)", 2.0, "mg/dL"), "not_met"),
    ("Creatinine <= 1.5 mg/dL", _obs("Creatinine (urine)", 80, "mg/dL"), "unknown"),    # no serum creatinine
    ("Creatinine <= 1.5 mg/dL", _obs("Creatinine, urine", 80, "mg/dL"), "unknown"),
    ("ALT <= 2.5 times ULN", [{**_obs("ALT (SGPT)", 30, "U/L")[0], "reference_range": {"high": 40}}], "met"),
    ("ALT <= 2.5 times ULN", [{**_obs("ALT (SGPT)", 130, "U/L")[0], "reference_range": {"high": 40}}], "not_met"),
    ("ALT <= 2.5 times ULN", [{**_obs("ALT (AST)", 30, "U/L")[0], "reference_range": {"high": 40}}], "unknown"),
    ("Creatinine clearance >= 60 mL/min", _obs("Creatinine clearance (Cockcroft-Gault)", 75, "mL/min"), "met"),
    ("Creatinine clearance >= 60 mL/min", _obs("Creatinine clearance (calculated)", 45, "mL/min"), "not_met"),
])
def test_observation_names(text: str, obs: list[dict[str, Any]], verdict: str) -> None:
    assert _verdict(text, "inclusion", observations=obs) == verdict


@pytest.mark.parametrize(("name", "key"), [
    ("Performance status (ECOG)", "ecog"), ("Hemoglobin (Hgb)", "hemoglobin"), ("Platelets (PLT)", "platelet_count"),
    ("WBC (white blood cell count)", "leukocyte_count"), ("Creatinine, serum", "creatinine"), ("ALT (SGPT)", "alt"),
    ("SGOT (AST)", "ast"), ("Glucose (fasting)", "fasting_glucose"),
    ("CD3+CD4+ (T4 helper) cells [#/volume] in Blood", "cd4_count"),
])
def test_parenthesized_names(name: str, key: str) -> None:
    found = units.find_quantity(name)
    assert found is not None and found.key == key


@pytest.mark.parametrize("name", ["Creatinine (urine)", "Albumin (urine)", "WBC (urine)", "eGFR (Cockcroft-Gault)",
                                  "Platelets (ALT)", "Performance status", "Lymphocytes (%)"])
def test_parenthetical_naming_another_test_is_unread(name: str) -> None:
    assert units.find_quantity(name) is None


def _proc(name: str, date: str = "2026-11-10") -> list[dict[str, str]]:
    return [{"name": name, "date": date}]


@pytest.mark.parametrize(("text", "kind", "procedures", "verdict"), [
    ("Major surgery within 4 weeks", "exclusion", _proc("Total hip arthroplasty"), "met"),
    ("Major surgery within 4 weeks", "exclusion", _proc("total knee replacement"), "met"),
    ("Major surgery within 4 weeks", "exclusion", _proc("Left total knee arthroplasty"), "met"),
    ("Major surgery within 4 weeks", "exclusion", _proc("Total hip arthroplasty", "2025-01-10"), "not_met"),
    ("Major surgery within 4 weeks", "exclusion", _proc("Hip resurfacing"), "unknown"),
    ("Major surgery within 4 weeks", "exclusion", _proc("Total hip arthroplasty, right"), "met"),   # side after
    ("Major surgery within 4 weeks", "exclusion", _proc("Arthroplasty, Replacement, Hip"), "met"),  # MeSH order
    # a comma joining a second procedure: not read as the first one (lumpectomy: some surgery; radiation: more)
    ("Prior radiotherapy", "exclusion", _proc("Lumpectomy, radiation", "2024-03-01"), "unknown"),
    ("Prior radiotherapy", "exclusion", _proc("Nephrectomy, radiation", "2024-03-01"), "unknown"),
    ("Prior radiotherapy", "exclusion", _proc("Nephrectomy, left", "2024-03-01"), "not_met"),
    ("Prior allogeneic stem cell transplantation", "exclusion",
     _proc("Autologous hematopoietic stem cell transplant", "2024-03-01"), "not_met"),
    ("Prior autologous stem cell transplantation", "exclusion",
     _proc("Autologous hematopoietic stem cell transplant", "2024-03-01"), "met"),
    ("Prior allogeneic stem cell transplantation", "exclusion",
     _proc("Allogeneic hematopoietic stem cell transplant", "2024-03-01"), "met"),
    ("Prior allogeneic stem cell transplantation", "exclusion",
     _proc("Hematopoietic stem cell transplant", "2024-03-01"), "unknown"),             # which kind?
])
def test_procedure_names(text: str, kind: str, procedures: list[dict[str, str]], verdict: str) -> None:
    assert _verdict(text, kind, procedures=procedures) == verdict
