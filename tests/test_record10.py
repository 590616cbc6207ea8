"""record10 guards: record spellings that must stay open (unknown) or read as they did, beside the probes of
tests/cases/phrases/record10.json. A regimen name is whole (a vaccine "PCV13" is no PCV chemotherapy); a class letter
of a regimen leaves its one drug open; a tumour named with its site is not the plain tumour when the name says it
spread; a drug given for nausea but filed elsewhere in ATC is a maybe-antiemetic."""
from __future__ import annotations

from typing import Any

import pytest

from screening import units, vocab
from screening.compile import compile_text

from trial_text import screen_rule


def _verdict(text: str, kind: str, **record: Any) -> str:
    rule = compile_text(text, kind)
    return screen_rule(rule, kind, text, {"id": "p", "as_of": "2026-11-24", **record}).verdict


def _meds(name: str) -> list[dict[str, str]]:
    return [{"name": name, "start": "2026-10-01"}]


@pytest.mark.parametrize(("text", "kind", "record", "verdict"), [
    ("No prior paclitaxel", "inclusion", {"medications": _meds("AC-T")}, "unknown"),       # T: a taxane, which one?
    ("No prior chemotherapy", "inclusion", {"medications": _meds("PCV13")}, "unknown"),    # no regimen (a vaccine)
    ("No prior chemotherapy", "inclusion", {"medications": _meds("ACT")}, "unknown"),      # no AC-T without its mark
    ("No concurrent antiemetics", "inclusion", {"medications": _meds("prochlorperazine")}, "unknown"),
    ("No antipsychotics", "inclusion", {"medications": _meds("Compazine")}, "unknown"),
    ("No concurrent immunomodulators", "inclusion", {"medications": _meds("allergy shots")}, "unknown"),
    # NCT00519636 exc-35: "Immunotherapy" compiles to cancer immunotherapy; in an allergy trial it means allergy shots
    ("Immunotherapy", "exclusion", {"medications": _meds("Allergen immunotherapy (ragweed extract) injection")},
     "unknown"),
    ("Major surgery within 4 weeks", "exclusion",
     {"procedures": [{"name": "Ommaya reservoir placement", "date": "2026-11-01"}]}, "unknown"),
    ("No history of metastatic disease", "inclusion",
     {"conditions": [{"name": "Melanoma of skin metastatic to liver", "status": "active"}]}, "unknown"),
])
def test_record_spelling_stays_open(text: str, kind: str, record: dict[str, Any], verdict: str) -> None:
    assert _verdict(text, kind, **record) == verdict


def test_regimen_is_exactly_its_members() -> None:
    keys = vocab.resolve("drug", "R-CHOP")
    assert keys is not None
    leaves = {k for k in keys if vocab.get_concept(k).category == "drug"}
    assert leaves == {"rituximab", "cyclophosphamide", "doxorubicin", "vincristine", "prednisone"}


def test_every_regimen_member_is_a_drug_concept() -> None:
    for key, regimen in vocab.tables("drugs.toml")["regimens"].items():
        assert regimen["names"] and len(regimen["members"]) >= 2, key
        for member in regimen["members"]:
            assert vocab.get_concept(member).category in ("drug", "drug_class"), (key, member)


def test_lis_method_part_only() -> None:
    assert units.find_quantity("hCG, serum, quantitative").key == "pregnancy_test"
    assert units.find_quantity("Bilirubin, direct").key == "direct_bilirubin"  # "direct" names another test
