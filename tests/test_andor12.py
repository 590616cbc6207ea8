"""Plain lists joined by "and" under a heading that excludes or prohibits (compile/excluded_lists.py): each member is
excluded on its own (any), decided by the machine; the same list without such a heading, or with words that may tie
its members together, stays in review. Sentence-level cases (examples after "including", reasons after "because",
"both included"): tests/cases/phrases/andor12.json."""
from __future__ import annotations

from screening import ir
from screening.rules import format_rule

from trial_text import compile_text_as_trial, screen_text

_EXCLUDED = ("Exclusion Criteria:\nConcurrent Medication:\nExcluded:\n - Rifabutin and rifampin.\n"
             " - Erythromycin, clarithromycin, and azithromycin.\n - Aspirin combined with clopidogrel.\n"
             " - Both aspirin and clopidogrel.\n")
_PROHIBITED = ("Exclusion Criteria:\n - Patients meeting any of the following criteria will be excluded from enrollment in the study:\n"
               "   - Known human immunodeficiency virus, hepatitis B virus, and known or suspected active hepatitis C virus "
               "infection.\n")
_PLAIN = "Exclusion Criteria:\n - Rifabutin and rifampin.\n - Diabetes and hypertension.\n"


def _rules(text: str) -> dict[str, ir.Node]:
    return {c.text.rstrip("."): c.rule for c in compile_text_as_trial(text).criteria}


def test_a_plain_list_under_an_excluding_heading_is_any_of_its_members() -> None:
    rules = _rules(_EXCLUDED)
    assert format_rule(rules["Rifabutin and rifampin"]) == "any(medication(rifabutin, now), medication(rifampin, now))"
    assert format_rule(rules["Erythromycin, clarithromycin, and azithromycin"]) == (
        "any(\n  medication(erythromycin, now),\n  medication(clarithromycin, now),\n  medication(azithromycin, now)\n)")


def test_words_that_may_tie_the_members_keep_the_list_in_review() -> None:
    rules = _rules(_EXCLUDED)
    assert not ir.is_executable(rules["Aspirin combined with clopidogrel"])
    assert not ir.is_executable(rules["Both aspirin and clopidogrel"])


def test_without_an_excluding_heading_and_stays_in_review() -> None:
    """"Rituximab and cyclosporine" may be a regimen of both; "diabetes and hypertension" may ask for both at once."""
    rules = _rules(_PLAIN)
    assert isinstance(rules["Rifabutin and rifampin"], ir.Review)
    assert isinstance(rules["Diabetes and hypertension"], ir.Review)


def test_a_member_the_machine_cannot_check_stays_a_review_part() -> None:
    rule = _rules(_PROHIBITED)["Known human immunodeficiency virus, hepatitis B virus, and known or suspected active "
                               "hepatitis C virus infection"]
    assert not isinstance(rule, ir.Review) and any(isinstance(n, ir.Review) for n in ir.walk(rule))


def test_each_member_excludes_alone_and_none_gives_not_met() -> None:
    on = {"medications": [{"name": "rifampin", "start": "2026-10-01"}], "conditions": []}
    off = {"medications": [{"name": "acetaminophen", "start": "2026-10-01"}], "conditions": []}
    assert screen_text(_EXCLUDED, on)["Rifabutin and rifampin"] == "met"
    assert screen_text(_EXCLUDED, off)["Rifabutin and rifampin"] == "not_met"
    assert screen_text(_EXCLUDED, {"conditions": []})["Rifabutin and rifampin"] == "unknown"  # no medication list
