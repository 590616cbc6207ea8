"""'for this cancer' / 'for this malignancy' names the trial's own cancer(s) (compile.sites.for_this_cancer): what a
treatment was for stays a person's call (ir.Judged); a trial of other conditions keeps it in review."""
from __future__ import annotations

import pytest

from screening import ir
from screening.compile import compile_text
from screening.rules import format_rule

from trial_text import screen_rule

_NSCLC = frozenset({"non_small_cell_lung_cancer"})


@pytest.mark.parametrize(("text", "kind", "own", "rule"), [
    ("No prior radiotherapy for this malignancy", "inclusion", _NSCLC,
     'not judged("for non small cell lung cancer", procedure(radiotherapy))'),
    ("No prior chemotherapy for this disease", "inclusion", frozenset({"breast_cancer", "melanoma"}),
     'not judged("for breast cancer or melanoma", medication(chemotherapy))'),
    ("No other concurrent anticancer agents or therapies for this cancer.", "inclusion", _NSCLC,
     # "therapies" takes in a radiotherapy (compile.rewrites.cancer_therapy_with_radiotherapy)
     'not judged("for non small cell lung cancer", any(\n'
     '  medication(antineoplastic_agent, now),\n  procedure(radiotherapy, now)\n))'),
])
def test_this_cancer_is_the_trials_own(text: str, kind: str, own: frozenset[str], rule: str) -> None:
    assert format_rule(compile_text(text, kind, own=own)) == rule


@pytest.mark.parametrize("own", [frozenset(), frozenset({"hypertension"}), frozenset({"non_small_cell_lung_cancer", "hypertension"})])
def test_this_cancer_stays_in_review_outside_a_cancer_trial(own: frozenset[str]) -> None:
    assert not ir.is_executable(compile_text("No prior radiotherapy for this malignancy", "inclusion", own=own))


@pytest.mark.parametrize(("procedures", "verdict"), [([], "met"), ([{"name": "radiotherapy", "date": "2025-01-01"}], "review")])
def test_probe_for_this_cancer(procedures: list[dict[str, str]], verdict: str) -> None:
    text = "No prior radiotherapy for this malignancy"
    rule = compile_text(text, "inclusion", own=_NSCLC)
    assert screen_rule(rule, "inclusion", text, {"id": "p", "as_of": "2026-11-24", "procedures": procedures}).verdict \
        == verdict
