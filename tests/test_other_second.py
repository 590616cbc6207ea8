""""Other" and "second" before a condition are other than the trial's own conditions (compile_text with ``own``):
tests/cases/phrases/other_second.json lists the rules, the sentences that stay in review and probe patients, each
with the trial's own conditions it is compiled with."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from screening import ir
from screening.compile import compile_text
from screening.rules import format_rule, parse_rule

from trial_text import screen_rule

_DATA = json.loads((Path(__file__).parent / "cases" / "phrases" / "other_second.json").read_text("utf-8"))


def _cases(section: str) -> list[Any]:
    return [pytest.param(c, id=f"{','.join(c['own'])}:{c['text'][:40]}") for c in _DATA[section]]


def _compile(case: dict[str, Any]) -> ir.Node:
    return compile_text(case["text"], case["kind"], own=frozenset(case["own"]), own_disease=case.get("own_known", True))


@pytest.mark.parametrize("case", _cases("compiles_with_own"))
def test_other_than_the_trials_own(case: dict[str, Any]) -> None:
    node = _compile(case)
    assert format_rule(node) == case["rule"]
    assert parse_rule(format_rule(node)) == node
    assert not ir.is_executable(compile_text(case["text"], case["kind"])), "without own 'other' names nothing"


@pytest.mark.parametrize("case", _cases("compiles_with_own"))
def test_not_when_the_vocabularies_miss_a_condition(case: dict[str, Any]) -> None:
    assert not ir.is_executable(compile_text(case["text"], case["kind"], own=frozenset(case["own"]), own_disease=False))


@pytest.mark.parametrize("case", _cases("review_with_own"))
def test_other_stays_in_review(case: dict[str, Any]) -> None:
    assert not ir.is_executable(_compile(case)), case["why"]


@pytest.mark.parametrize("case", _cases("probes_with_own"))
def test_probe_patient_gets_the_expected_verdict(case: dict[str, Any]) -> None:
    rule = _compile(case)
    result = screen_rule(rule, case["kind"], case["text"], case["patient"])
    assert result.verdict == case["verdict"], (case.get("why", ""), result.reason)
