"""Modifiers sharing one head noun ("liver, kidney or heart failure"), and "known or suspected X".

The lexer reads each modifier with the head only when every phrase so made is a known condition; a qualifier
before the list stays a judged qualifier over every member; a suspicion never gives a confident not_met.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from screening import ir
from screening.compile import compile_text
from screening.evaluate import Builder, Context
from screening.lexer import tokenize
from screening.patient import parse_patient
from screening.rules import format_rule, parse_rule

AS_OF = dt.date(2026, 1, 15)


def concepts(text: str) -> list[str]:
    return [t.value for t in tokenize(text)[0] if t.type == "CONDITION"]


def verdict(text: str, kind: str, record: dict[str, Any]) -> str:
    check = Builder().build(compile_text(text, kind=kind))
    return check(parse_patient({"id": "p", **record}), Context(AS_OF, AS_OF.toordinal())).verdict


def has(*names: str) -> dict[str, Any]:
    return {"conditions": [{"name": n, "onset": "2020-01-01"} for n in names]}


@pytest.mark.parametrize("text,expected", [
    ("chronic liver, kidney, lung or heart dysfunction",
     ["hepatic_insufficiency", "renal_insufficiency", "pulmonary_dysfunction", "cardiac_dysfunction"]),
    ("hepatic, renal or cardiac insufficiency", ["hepatic_insufficiency", "renal_insufficiency", "heart_failure"]),
    ("cardiac, pulmonary or renal disease", ["heart_disease", "lung_disease", "kidney_disease"]),
    ("liver or kidney failure", ["hepatic_insufficiency", "renal_insufficiency"]),
    ("liver and/or kidney failure", ["hepatic_insufficiency", "renal_insufficiency"]),
    ("liver/kidney disease", ["liver_disease", "kidney_disease"]),
    ("breast, ovarian, or prostate cancer", ["breast_cancer", "ovarian_cancer", "prostate_cancer"]),
    ("small cell or non-small cell lung cancer", ["small_cell_lung_cancer", "non_small_cell_lung_cancer"]),
    ("heart or lung transplant", ["heart_transplant_recipient", "lung_transplant_recipient"]),
    # commas alone from three members on; "or other" keeps the head
    ("hepatic, renal, pulmonary disease", ["liver_disease", "kidney_disease", "lung_disease"]),
    ("alcohol or other substance abuse", ["alcohol_abuse", "substance_use_disorder"]),
    ("brain or other CNS metastases", ["brain_metastases", "cns_metastases"]),
])
def test_each_modifier_names_a_condition_with_the_head(text: str, expected: list[str]) -> None:
    assert concepts(text) == expected


@pytest.mark.parametrize("text,expected", [
    ("psychiatric or addictive disorder", []),  # "addictive disorder" is no known condition: nothing is expanded
    ("liver, kidney failure", ["renal_insufficiency"]),  # no conjunction before the last member
    ("cancer, kidney failure", ["malignancy", "renal_insufficiency"]),
    ("chronic lung or heart dysfunction", ["pulmonary_dysfunction", "cardiac_dysfunction"]),  # "chronic" stays apart
])
def test_no_expansion_unless_every_member_is_known(text: str, expected: list[str]) -> None:
    assert concepts(text) == expected


def test_a_member_before_the_list_that_is_its_own_condition_stays_so() -> None:
    # "fever" is a condition of its own; "liver" is read with "failure"
    assert concepts("fever, liver or kidney failure") == ["fever", "hepatic_insufficiency", "renal_insufficiency"]


def test_spans_point_at_each_modifier() -> None:
    toks, text = tokenize("hepatic, renal or cardiac insufficiency")
    spans = [text[t.start_pos:t.end_pos] for t in toks if t.type == "CONDITION"]
    assert spans == ["hepatic", "renal", "cardiac insufficiency"]


def test_a_qualifier_before_the_list_is_judged_over_every_member() -> None:
    node = compile_text("Severe chronic liver, kidney, lung or heart dysfunction", kind="exclusion")
    assert isinstance(node, ir.AnyOf) and len(node.items) == 4
    assert all(isinstance(n, ir.Judged) and n.qualifier == "severe chronic" for n in node.items)
    assert parse_rule(format_rule(node)) == node


@pytest.mark.parametrize("record,expected", [
    (has("hypertension"), "not_met"),  # none of the organs: the machine decides
    (has("chronic kidney disease"), "review"),  # present: a person weighs "severe"
    (has("respiratory failure"), "review"),  # a kind of pulmonary dysfunction
    ({"conditions": []}, "not_met"),
    ({}, "unknown"),
])
def test_judged_list_verdicts(record: dict[str, Any], expected: str) -> None:
    assert verdict("Severe chronic liver, kidney, lung or heart dysfunction", "exclusion", record) == expected


# --- known or suspected ---------------------------------------------------------------------------------------

def test_known_or_suspected_is_a_recorded_diagnosis_or_a_persons_call() -> None:
    node = compile_text("Known or suspected brain metastases", kind="exclusion")
    assert isinstance(node, ir.AnyOf)
    assert ir.Condition("brain_metastases", ir.Window(0)) in node.items
    assert any(isinstance(n, ir.Review) for n in node.items)
    assert parse_rule(format_rule(node)) == node


@pytest.mark.parametrize("text,kind,record,expected", [
    ("Known or suspected brain metastases", "exclusion", has("brain metastases"), "met"),
    ("Known or suspected brain metastases", "exclusion", has("hypertension"), "review"),  # never not_met
    ("Known or suspected brain metastases", "exclusion", {"conditions": []}, "review"),
    ("Known or suspected CNS involvement by malignancy", "exclusion", has("leptomeningeal metastases"), "met"),
    ("No known or suspected brain metastases", "inclusion", has("hypertension"), "review"),
    ("No known or suspected brain metastases", "inclusion", has("brain metastases"), "not_met"),
    # the suspicion covers every member of the list
    ("Known or suspected brain metastases or leptomeningeal disease", "exclusion", has("hypertension"), "review"),
    ("Suspected or confirmed hepatitis B or C infection", "exclusion", has("chronic hepatitis c"), "met"),
    ("Suspected or confirmed hepatitis B or C infection", "exclusion", has("asthma"), "review"),
])
def test_suspicion_verdicts(text: str, kind: str, record: dict[str, Any], expected: str) -> None:
    assert verdict(text, kind, record) == expected


def test_known_alone_is_the_condition() -> None:
    assert compile_text("Known brain metastases", kind="exclusion") == ir.Condition("brain_metastases", ir.Window(0))


# --- concepts the lists need --------------------------------------------------------------------------------

@pytest.mark.parametrize("text,kind,record,expected", [
    ("No CNS involvement by malignancy", "inclusion", has("brain metastases"), "not_met"),
    ("No CNS involvement by malignancy", "inclusion", has("CNS leukemia"), "not_met"),
    ("No CNS involvement by malignancy", "inclusion", has("hypertension"), "met"),
    ("Significant organ dysfunction", "exclusion", has("renal impairment"), "review"),
    ("Significant organ dysfunction", "exclusion", has("asthma"), "not_met"),
    ("Heart or lung transplant", "exclusion", has("kidney transplant"), "not_met"),
    ("Heart or lung transplant", "exclusion", has("heart transplant"), "met"),
    ("Organ transplant", "exclusion", has("kidney transplant"), "met"),
    ("No pain requiring opiates", "inclusion", has("low back pain"), "review"),
])
def test_new_concept_verdicts(text: str, kind: str, record: dict[str, Any], expected: str) -> None:
    assert verdict(text, kind, record) == expected


# --- signs whose cause is a person's call ----------------------------------------------------------------------

SLE_SIGNS = ("With at least one of the following manifestations: thrombocytopenia, disease-associated rash, mouth ulcer, "
             "non-infectious type of fever, active vasculitis, renal disorder(proteinuria>0.5g/day), neuropsychiatric SLE.")


@pytest.mark.parametrize("record,expected", [
    (has("mouth ulcers"), "met"),
    (has("rash"), "review"),  # is it disease-associated?
    (has("fever"), "review"),  # is it non-infectious?
    (has("hypertension"), "unknown"),  # no proteinuria value: the renal member cannot be decided
    ({"conditions": [{"name": "hypertension", "onset": "2020-01-01"}],
      "observations": [{"name": "proteinuria", "value": 0.1, "unit": "g/d", "date": "2026-01-10"}]}, "not_met"),
])
def test_at_least_one_sign_is_any_of_them(record: dict[str, Any], expected: str) -> None:
    assert verdict(SLE_SIGNS, "inclusion", record) == expected
