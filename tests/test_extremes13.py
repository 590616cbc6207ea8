"""A heading's window handed to the items below it (screening/headings.without_heading_window): an age or sex is not
measured in a window (age at screening), a nadir is the lowest ever, a weight or BMI takes the window as how recent its
value must be; anything else that compiles only without the window stays in review."""
from __future__ import annotations

from screening.rules import format_rule

from trial_text import compile_text_as_trial, screen_text

PAGE = """Inclusion Criteria:

The following criteria must be met within 28 days prior to the baseline visit:

  - Age between 18 to 50 years, inclusive
  - Body Mass Index (BMI) of 16 to 35 kg/m2, inclusive
  - Nadir CD4 count >200 cells/mm3
  - Sarcoidosis, inclusive

Exclusion Criteria:

  - Pregnant
"""


def _rules() -> dict[str, str]:
    return {c.text: format_rule(c.rule) for c in compile_text_as_trial(PAGE).criteria}


def test_age_ignores_the_window_and_bmi_takes_it_as_recency() -> None:
    rules = _rules()
    assert rules["Age between 18 to 50 years, inclusive"] == "all(age >= 18 year, age < 51 year)"
    assert rules["Body Mass Index (BMI) of 16 to 35 kg/m2, inclusive"] == \
        "all(bmi >= 16 kg/m2 within 28 days, bmi <= 35 kg/m2 within 28 days)"
    assert rules["Nadir CD4 count >200 cells/mm3"] == "lowest cd4_count > 200 cells/mm3"
    assert rules["Sarcoidosis, inclusive"].startswith("review(")  # a condition: what would the window mean?


def test_verdicts_both_sides_and_units() -> None:
    def obs(name: str, value: float, unit: str, date: str) -> dict:
        return {"name": name, "value": value, "unit": unit, "date": date}
    young_slim = screen_text(PAGE, {"birth_date": "1990-01-01", "observations": [
        obs("BMI", 22, "kg/m2", "2026-11-10"), obs("CD4 count", 0.15, "10^9/L", "2019-01-01")]})
    assert young_slim["Age between 18 to 50 years, inclusive"] == "met"
    assert young_slim["Body Mass Index (BMI) of 16 to 35 kg/m2, inclusive"] == "met"
    assert young_slim["Nadir CD4 count >200 cells/mm3"] == "not_met"  # 150/uL once, years ago
    old_heavy = screen_text(PAGE, {"birth_date": "1960-01-01", "observations": [
        obs("Body weight", 130, "kg", "2026-11-10"), obs("Body height", 170, "cm", "2020-01-01"),
        obs("CD4 count", 600, "cells/uL", "2026-11-10")]})
    assert old_heavy["Age between 18 to 50 years, inclusive"] == "not_met"
    assert old_heavy["Body Mass Index (BMI) of 16 to 35 kg/m2, inclusive"] == "not_met"  # 45 kg/m2 from weight and height
    assert old_heavy["Nadir CD4 count >200 cells/mm3"] == "unknown"  # the nadir may be lower
    stale = screen_text(PAGE, {"birth_date": "1990-01-01", "observations": [obs("BMI", 22, "kg/m2", "2026-09-01")]})
    assert stale["Body Mass Index (BMI) of 16 to 35 kg/m2, inclusive"] == "unknown"  # older than the heading's 28 days
