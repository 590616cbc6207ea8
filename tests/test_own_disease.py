"""A bare "disease" after words of stage, course, treatment, resectability or risk is the trial's own cancer
(compile_sentence with ``own``): tests/cases/phrases/own_disease*.json list, each with the trial's own conditions,
the rules, the sentences that stay in review and probe patients."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from screening import ir
from screening.compile import compile_text
from screening.rules import format_rule, parse_rule

from trial_text import screen_rule

_FILES = sorted((Path(__file__).parent / "cases" / "phrases").glob("own_disease*.json"))


def _cases(section: str) -> list[Any]:
    """Each case with its file's trial conditions under ``own``."""
    out = []
    for path in _FILES:
        data = json.loads(path.read_text("utf-8"))
        out += [pytest.param({**c, "own": frozenset(data["own"])}, id=f"{path.stem}:{c['text'][:40]}")
                for c in data[section]]
    return out


@pytest.mark.parametrize("case", _cases("compiles_with_own"))
def test_disease_is_the_trials_own(case: dict[str, Any]) -> None:
    node = compile_text(case["text"], case["kind"], own=case["own"])
    assert format_rule(node) == case["rule"]
    assert parse_rule(format_rule(node)) == node
    assert not ir.is_executable(compile_text(case["text"], case["kind"])), "without own it names nothing"


@pytest.mark.parametrize("case", _cases("review_with_own"))
def test_disease_stays_in_review(case: dict[str, Any]) -> None:
    assert not ir.is_executable(compile_text(case["text"], case["kind"], own=case["own"])), case["why"]


@pytest.mark.parametrize("case", [c for c in _cases("compiles_with_own")
                                  if "evidence" not in c.values[0]["text"].lower()])  # "no evidence of X": own path
def test_not_in_a_trial_of_another_kind(case: dict[str, Any]) -> None:
    """Only in cancer trials: in a Crohn's disease trial "progressive disease" is left to a person."""
    assert not ir.is_executable(compile_text(case["text"], case["kind"], own=frozenset({"crohn_disease"})))


@pytest.mark.parametrize("case", _cases("probes_with_own"))
def test_probe_patient_gets_the_expected_verdict(case: dict[str, Any]) -> None:
    rule = compile_text(case["text"], case["kind"], own=case["own"])
    result = screen_rule(rule, case["kind"], case["text"], case["patient"])
    assert result.verdict == case["verdict"], (case.get("why", ""), result.reason)
