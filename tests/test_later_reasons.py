"""A time after the screening date, or an age at diagnosis, keeps a sentence in review with a reason that says so
(screening/compile/timing.py later_reason); other sentences keep the plain reason (session 10, timing10)."""
from __future__ import annotations

import pytest

from screening import ir
from screening.compile import compile_text

_LATER = [
    ("No radiotherapy during and for at least 4 weeks after study", "after the study"),
    ("Fertile patients must use effective contraception before, during, and for ≥ 6 months after completion of study "
     "treatment", "after the study"),
    ("No concurrent immunotherapy during first 8 weeks of study", "first weeks of the study"),
    ("No other concurrent treatment for psoriasis for the first 2-4 months of study", "first weeks of the study"),
    ("Patients must not be pregnant at the time of surgery.", "time of a surgery"),
    ("Age: < or = 21 years of age at the time of original diagnosis", "age at diagnosis"),
    ("21 and under at diagnosis", "age at diagnosis"),
]


@pytest.mark.parametrize(("text", "said"), _LATER)
def test_a_later_time_is_the_reason(text: str, said: str) -> None:
    node = compile_text(text, "inclusion")
    assert isinstance(node, ir.Review) and said in node.reason, node


@pytest.mark.parametrize("text", ["Relapsed after standard chemotherapy", "Dialysis-dependence following nephrectomy",
                                  "AFP > 1000 ng/mL at diagnosis"])
def test_other_time_words_keep_the_plain_reason(text: str) -> None:
    node = compile_text(text, "inclusion")
    assert isinstance(node, ir.Review) and node.reason.startswith("wording the grammar does not cover"), node
