"""Prior therapy (tests/cases/prior_therapy.json): counts of prior regimens and lines, 'since prior X (and
recovered)', 'no concurrent X'. Each case's compiled rule, its round trip, and the verdicts its probes assert."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from screening import ir, units
from screening.compile import compile_text
from screening.evaluate import Builder, Context
from screening.lexer import phrase_data
from screening.patient import parse_patient
from screening.rules import format_rule, parse_rule

CASES = json.loads((Path(__file__).parent / "cases" / "prior_therapy.json").read_text("utf-8"))


def _verdict(rule: ir.Node, probe: dict) -> str:
    day = dt.date.fromisoformat(probe["as_of"])
    return Builder().build(rule)(parse_patient(probe["record"]), Context(day, day.toordinal())).verdict


@pytest.mark.parametrize("case", CASES["compiles"], ids=lambda c: c["text"][:50])
def test_prior_therapy_compiles_to_what_it_means(case: dict) -> None:
    node = compile_text(case["text"], case["kind"])
    assert format_rule(node) == case["rule"]
    assert parse_rule(format_rule(node)) == node
    for i, probe in enumerate(case["probes"]):
        assert _verdict(node, probe) == probe["verdict"], f"probe {i}"


@pytest.mark.parametrize("case", CASES["review"], ids=lambda c: c["text"][:50])
def test_prior_therapy_that_says_more_stays_in_review(case: dict) -> None:
    assert isinstance(compile_text(case["text"], case["kind"]), ir.Review), case["why"]


def test_therapy_counts_are_plain_numbers_never_merged() -> None:
    """Each kind of count is its own quantity, with no synonym shared between them."""
    keys = phrase_data()["therapy_counts"]["quantities"]
    seen: dict[str, str] = {}
    for k in keys:
        q = units.get_quantity(k)
        assert (q.unit, q.kind, q.min) == ("1", "numeric", 0)
        for s in (q.name, *q.synonyms):
            assert seen.setdefault(s, k) == k, f"{s!r} names both {seen[s]} and {k}"
    chemo = units.get_quantity("prior_chemotherapy_regimens").synonyms
    assert all("chemo" in s for s in chemo)
    assert not any("chemo" in s for k in keys if k != "prior_chemotherapy_regimens"
                   for s in units.get_quantity(k).synonyms)
    assert all("systemic" in s for s in units.get_quantity("prior_systemic_therapy_lines").synonyms)
