"""Old NCI therapy labels at trial level (tests/cases/phrases/nci_labels.json, section "trials"): a statement that
leaves its object to the label right above it ("Chemotherapy:" > "No prior therapy") takes the label's therapy;
"Not specified" under a label, or after it in one item, is a heading that asks nothing and is never counted. The
sentence-level cases of the same file run in test_phrase_cases.py."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from screening.compile import compile_trial
from screening.evaluate import screen
from screening.patient import parse_patient
from screening.rules import format_rule
from screening.segment import split_criteria
from screening.trial import Trial

_CASES = json.loads((Path(__file__).parent / "cases" / "phrases" / "nci_labels.json").read_text("utf-8"))["trials"]


def _compiled(case: dict[str, Any]) -> Any:
    text = case["criteria"]
    return compile_trial(Trial("T1", "probe", "test", "test", criteria_text=text, items=split_criteria(text)))


@pytest.mark.parametrize("case", _CASES, ids=[c["about"][:50] for c in _CASES])
def test_items_under_nci_labels_compile_to_their_rules(case: dict[str, Any]) -> None:
    by_id = {c.id: c for c in _compiled(case).criteria}
    for ident, (role, rule) in case["items"].items():
        assert (by_id[ident].role, format_rule(by_id[ident].rule)) == (role, rule), ident


@pytest.mark.parametrize("case", [c for c in _CASES if c["probes"]], ids=lambda c: c["about"][:50])
def test_probe_patients_under_nci_labels(case: dict[str, Any]) -> None:
    compiled = _compiled(case)
    for probe in case["probes"]:
        result = screen(compiled, parse_patient(probe["patient"]))
        verdicts = {r.criterion.id: r.verdict for r in result.results}
        assert {k: verdicts[k] for k in probe["verdicts"]} == probe["verdicts"], probe["why"]
        assert result.status == probe["status"], probe["why"]
