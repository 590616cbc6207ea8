""""Another" read as "other", "disease free of X for N years", and the reasons a sentence about the study itself stays
in review (session 11, vocab11a): tests/cases/phrases/vocab11a.json. Its "compiles", "review" and "probes" run in
test_phrase_cases.py; here the sections that need the trial's own conditions ("own") and the review reasons."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from screening import ir
from screening.compile import compile_text
from screening.rules import format_rule, parse_rule

from trial_text import screen_rule

_DATA = json.loads((Path(__file__).parent / "cases" / "phrases" / "vocab11a.json").read_text("utf-8"))


def _cases(section: str) -> list[Any]:
    return [pytest.param(c, id=f"{','.join(c.get('own', []))}:{c['text'][:40]}") for c in _DATA[section]]


def _compile(case: dict[str, Any]) -> ir.Node:
    return compile_text(case["text"], case["kind"], own=frozenset(case.get("own", ())))


@pytest.mark.parametrize("case", _cases("compiles_with_own"))
def test_another_is_other_than_the_trials_own(case: dict[str, Any]) -> None:
    node = _compile(case)
    assert format_rule(node) == case["rule"]
    assert parse_rule(format_rule(node)) == node
    assert not ir.is_executable(compile_text(case["text"], case["kind"])), "without own 'another' names nothing"


@pytest.mark.parametrize("case", _cases("probes_with_own"))
def test_probe_patient_gets_the_expected_verdict(case: dict[str, Any]) -> None:
    rule = _compile(case)
    result = screen_rule(rule, case["kind"], case["text"], case["patient"])
    assert result.verdict == case["verdict"], (case.get("why", ""), result.reason)


@pytest.mark.parametrize("case", _cases("reasons"))
def test_study_sentence_stays_in_review_with_its_reason(case: dict[str, Any]) -> None:
    node = _compile(case)
    assert isinstance(node, ir.Review) and node.reason == case["reason"], node
