"""Data-driven phrase tests: every tests/cases/phrases/*.json file lists sentences with the canonical rule they
must compile to, sentences that must stay in review (and why), and probe patients with the verdict a sentence
must give them."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from screening import ir
from screening.compile import compile_text
from screening.rules import format_rule, parse_rule

from trial_text import screen_rule

_FILES = sorted((Path(__file__).parent / "cases" / "phrases").glob("*.json"))


def _cases(section: str) -> list[Any]:
    return [pytest.param(case, id=f"{path.stem}:{case['text'][:40]}")
            for path in _FILES for case in json.loads(path.read_text("utf-8")).get(section, [])]


@pytest.mark.parametrize("case", _cases("compiles"))
def test_sentence_compiles_to_its_rule(case: dict[str, str]) -> None:
    node = compile_text(case["text"], case["kind"])
    assert format_rule(node) == case["rule"]
    assert parse_rule(format_rule(node)) == node


@pytest.mark.parametrize("case", _cases("review"))
def test_sentence_stays_in_review(case: dict[str, str]) -> None:
    assert not ir.is_executable(compile_text(case["text"], case["kind"])), case["why"]


@pytest.mark.parametrize("case", _cases("probes"))
def test_probe_patient_gets_the_expected_verdict(case: dict[str, Any]) -> None:
    rule = compile_text(case["text"], case["kind"])
    result = screen_rule(rule, case["kind"], case["text"], case["patient"])
    assert result.verdict == case["verdict"], (case.get("why", ""), result.reason)
