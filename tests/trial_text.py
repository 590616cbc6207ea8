"""Screening a probe patient against criteria text laid out as a page (``from trial_text import screen_text``):
for tests of headings and sections, which only a whole trial shows; and against one compiled rule
(``screen_rule``), for the phrase case files' probes."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from screening.compile import compile_trial
from screening.ir import CompiledTrial, Criterion, Node
from screening.evaluate import CriterionResult, screen
from screening.ingest import load_trial
from screening.patient import parse_patient
from screening.segment import split_criteria

SEEDS = sorted((Path(__file__).resolve().parent.parent / "seeds").glob("*.txt"))


def compile_text_as_trial(text: str) -> CompiledTrial:
    """``text`` as the criteria section of a trial (the first seed's other fields), compiled."""
    trial = load_trial(SEEDS[0])
    return compile_trial(replace(trial, criteria_text=text, items=split_criteria(text)))


def screen_text(text: str, record: dict) -> dict[str, str]:
    """Each criterion's verdict, by its text (without a final period), for ``record`` screened on 2026-11-24."""
    compiled = compile_text_as_trial(text)
    result = screen(compiled, parse_patient({"id": "p", "as_of": "2026-11-24", **record}))
    return {r.criterion.text.rstrip("."): r.verdict for r in result.results}


def screen_rule(rule: Node, kind: str, text: str, record: dict) -> CriterionResult:
    """``rule`` as the one criterion of a probe trial, screened for ``record`` (a patient JSON object)."""
    trial = CompiledTrial("T1", "probe", "test", "", (Criterion("c-1", kind, text, rule),))
    return screen(trial, parse_patient(record)).results[0]
