"""A bare "viral load of ..." is the HIV RNA only in a trial whose own conditions are all HIV infection
(compile_sentence with ``own``): tests/cases/phrases/viral_load.json lists the rules with and without the trial's
conditions, the sentences that stay in review and probe patients. Also: items that state no limit ("Any age") are
headings with nothing to check."""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from screening import ir
from screening.compile import compile_text, compile_trial
from screening.ingest import load_trial
from screening.rules import format_rule, parse_rule
from screening.segment import split_criteria

from trial_text import screen_rule

_DATA = json.loads((Path(__file__).parent / "cases" / "phrases" / "viral_load.json").read_text("utf-8"))
_OWN = frozenset(_DATA["own"])


def _cases(section: str) -> list[Any]:
    return [pytest.param(c, id=c["text"][:40]) for c in _DATA[section]]


@pytest.mark.parametrize("case", _cases("compiles_with_own"))
def test_viral_load_in_an_hiv_trial_is_the_hiv_rna(case: dict[str, str]) -> None:
    node = compile_text(case["text"], case["kind"], own=_OWN)
    assert format_rule(node) == case["rule"]
    assert parse_rule(format_rule(node)) == node
    assert not ir.is_executable(compile_text(case["text"], case["kind"])), "without the trial's conditions: which virus?"


@pytest.mark.parametrize("case", _cases("review_with_own"))
def test_viral_load_stays_in_review(case: dict[str, Any]) -> None:
    assert not ir.is_executable(compile_text(case["text"], case["kind"], own=frozenset(case["own"]))), case["why"]


@pytest.mark.parametrize("case", _cases("probes_with_own"))
def test_probe_patient_in_an_hiv_trial(case: dict[str, Any]) -> None:
    rule = compile_text(case["text"], case["kind"], own=_OWN)
    assert screen_rule(rule, case["kind"], case["text"], case["patient"]).verdict == case["verdict"], case["why"]


_SEEDS = sorted((Path(__file__).resolve().parent.parent / "seeds").glob("*.txt"))


@pytest.mark.parametrize("text", ["Any age", "Age", "age.", "Any status"])
def test_an_item_that_sets_no_limit_is_a_heading(text: str) -> None:
    trial = load_trial(_SEEDS[0])  # any trial object to carry items
    source = f"Inclusion Criteria:\n - {text}\n - Platelets >= 100,000/mm3\n"
    compiled = compile_trial(replace(trial, criteria_text=source, items=split_criteria(source)))
    item = next(c for c in compiled.criteria if c.text.rstrip(".") == text.rstrip("."))
    assert item.role == "header" and isinstance(item.rule, ir.Review)

