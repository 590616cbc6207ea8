"""Semantics of single rules against small hand-written records: never a wrong confident verdict.

Each case is (rule in the rules language, record fragment, screening date, expected verdict). When
the data cannot decide (missing, stale, undated, less specific, ambiguous) the answer is ``unknown``.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from screening.evaluate import Builder, Context
from screening.patient import parse_patient
from screening.rules import parse_rule

AS_OF = dt.date(2026, 1, 15)


def verdict(rule: str, record: dict[str, Any], as_of: dt.date = AS_OF) -> str:
    check = Builder().build(parse_rule(rule))
    return check(parse_patient({"id": "p", **record}), Context(as_of, as_of.toordinal())).verdict


def meds(*entries: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"medications": list(entries), **extra}


def conds(*entries: dict[str, Any]) -> dict[str, Any]:
    return {"conditions": list(entries)}


def obs(*entries: dict[str, Any]) -> dict[str, Any]:
    return {"observations": list(entries)}


def case(rule: str, record: dict[str, Any], expected: str, as_of: dt.date = AS_OF, id: str = "") -> Any:
    return pytest.param(rule, record, as_of, expected, id=id or None)


MALIGNANCY_EXCEPT = "condition(malignancy, within 5 years, except [carcinoma_in_situ_of_cervix, basal_cell_carcinoma])"

CASES = [
    # --- drug classes: a drug the NER library knows and our tables do not list ----------------------
    case("medication(immunosuppressant, now)", meds({"name": "atorvastatin"}), "unknown",
         id="unlisted-drug-with-stem-class-vs-open-class"),
    case("medication(immunosuppressant, now)", meds({"name": "omeprazole"}), "unknown",
         id="unlisted-drug-vs-open-class"),
    case("medication(statin, now)", meds({"name": "atorvastatin"}), "met", id="unlisted-drug-in-its-stem-class"),
    case("medication(monoclonal_antibody, now)", meds({"name": "teprotumumab"}), "met", id="unlisted-mab"),
    case("medication(monoclonal_antibody, now)", meds({"name": "levothyroxine"}), "not_met",
         id="unlisted-drug-vs-stem-class"),
    case("medication(glucocorticoid, now)", meds({"name": "levothyroxine"}), "not_met",
         id="unlisted-drug-vs-complete-class"),
    case("medication(immunosuppressant, now)", meds({"name": "hydroxychloroquine"}), "not_met",
         id="listed-drug-outside-open-class"),
    # --- condition exceptions ------------------------------------------------------------------------
    case(MALIGNANCY_EXCEPT, conds({"name": "skin cancer", "onset": "2024-01-01"}), "unknown",
         id="entry-broader-than-an-exception"),
    case(MALIGNANCY_EXCEPT, conds({"name": "carcinoma in situ", "onset": "2024-01-01"}), "unknown",
         id="in-situ-broader-than-cervix-in-situ"),
    case(MALIGNANCY_EXCEPT, conds({"name": "BCC", "onset": "2024-01-01"}), "not_met", id="only-excepted"),
    case(MALIGNANCY_EXCEPT, conds({"name": "BCC", "onset": "2024-01-01"}, {"name": "breast cancer", "onset": "2024-01-01"}),
         "met", id="excepted-and-not-excepted"),
    case(MALIGNANCY_EXCEPT, conds({"name": "skin cancer", "onset": "2024-01-01"}, {"name": "melanoma", "onset": "2024-01-01"}),
         "met", id="broader-and-not-excepted"),
]


@pytest.mark.parametrize("rule,record,as_of,expected", CASES)
def test_verdict(rule: str, record: dict[str, Any], as_of: dt.date, expected: str) -> None:
    assert verdict(rule, record, as_of) == expected
