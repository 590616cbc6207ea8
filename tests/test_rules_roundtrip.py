"""The rule language round-trips: every tree prints to text that parses back to the same tree."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from screening import units, vocab
from screening.ir import (All, AnyOf, AtLeast, Attestation, CompiledTrial, Condition, Criterion, Dose, Flag,
                          Measure, Medication, Node, Not, Review, StudyParticipation, Window)
from screening.rules import (WIDTH, Drift, check_drift, dump_rules, format_rule, load_rules, loads_rules,
                             parse_rule)
from strategies import compiled_trials, rule_trees

SLOW = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# Canonical texts: parsing then printing gives each back unchanged (sqlglot's validate_identity).
IDENTITY = [
    "platelet_count < 100 10^9/L",
    "hemoglobin <= 90 g/L within 3 months",
    "alt > 3 ULN",
    "age >= 18 year",
    "ecog <= 1",
    "ecog == 2",
    "inr > 1.5",
    "ana_titer >= 1:160",
    "anti_dsdna is positive",
    "hiv_antibody is negative within 3 months",
    "condition(malignancy, within 5 years, except [carcinoma_in_situ_of_cervix, basal_cell_carcinoma])",
    "condition(tuberculosis, now)",
    "medication(glucocorticoid, within 1 month, dose > 0.5 mg/kg/d)",
    "medication(rituximab)",
    "medication(prednisone, now, dose >= 20 mg/d)",
    "study(within 3 months)",
    "study(within at least 30 days)",
    "medication(investigational_agent, within at most 14 days)",
    "study",
    "sex is female",
    "pregnant",
    "lactating",
    "attestation(informed_consent)",
    'attestation("able to swallow tablets")',
    'review("Inability to comply with IL-2 treatment regimen", "needs a person\'s judgement")',
    'review("He said \\"no\\"\\nthen left \\\\ µ ≥", "")',
    "all(age >= 18 year, sex is female)",
    "any(pregnant, lactating)",
    "at_least(2, pregnant, lactating, sex is female)",
    "not pregnant",
    "not any(pregnant, lactating)",
    "all(\n  condition(malignancy, within 5 years, except [carcinoma_in_situ_of_cervix, basal_cell_carcinoma]),"
    "\n  hemoglobin <= 90 g/L within 3 months\n)",
]


@pytest.mark.parametrize("text", IDENTITY)
def test_identity(text: str) -> None:
    assert format_rule(parse_rule(text)) == text


def _first(category: str) -> str:
    return sorted(k for k, c in vocab.concepts().items() if c.category == category)[0]


def test_procedures_and_immunizations_round_trip() -> None:
    for text in (f"procedure({_first('procedure')})", f"procedure({_first('procedure')}, within 2 weeks)",
                 f"immunization({_first('vaccine')}, within 3 months)", f"immunization({_first('vaccine')})"):
        assert format_rule(parse_rule(text)) == text


@pytest.mark.parametrize("written, canonical", [
    ("(pregnant)", "pregnant"),
    ("all( pregnant ,\n\tlactating , )", "all(pregnant, lactating)"),
    ("pregnant  # a comment", "pregnant"),
    ("condition(malignancy, within 1 years)", "condition(malignancy, within 1 year)"),
    ("condition(malignancy, within 2 year)", "condition(malignancy, within 2 years)"),
    ("condition(malignancy, within 6.0 months)", "condition(malignancy, within 6 months)"),
    ("age >= 18.0 year", "age >= 18 year"),
    ("age >= 18year", "age >= 18 year"),
    ("ana_titer >= 160 titer", "ana_titer >= 1:160"),
    ("medication(prednisone, dose > 1 g/d)", "medication(prednisone, dose > 1000 mg/d)"),
    ("not not pregnant", "not not pregnant"),
])
def test_equivalent_spellings_print_canonically(written: str, canonical: str) -> None:
    assert format_rule(parse_rule(written)) == canonical
    assert parse_rule(written) == parse_rule(canonical)


def test_units_are_converted_to_the_canonical_unit() -> None:
    q = units.get_quantity("hemoglobin")
    expected = units.to_canonical(9, "g/dL", "hemoglobin")
    node = parse_rule("hemoglobin < 9 g/dL")
    assert node == Measure("hemoglobin", "<", expected, q.unit)
    assert format_rule(node) == "hemoglobin < 9 g/dL"  # shown in the unit it was written in
    assert parse_rule(format_rule(node)) == node == parse_rule(f"hemoglobin < {expected!r} {q.unit}")
    platelets = units.get_quantity("platelet_count")
    assert parse_rule("platelet_count < 100000 /uL") == Measure(
        "platelet_count", "<", units.to_canonical(100000, "/uL", "platelet_count"), platelets.unit)


def test_reference_multiples_keep_their_factor() -> None:
    assert parse_rule("alt > 2.5 ULN") == Measure("alt", ">", 2.5, "ULN")
    assert parse_rule("neutrophil_count < 1 LLN") == Measure("neutrophil_count", "<", 1, "LLN")


@pytest.mark.parametrize("value, text", [(100.0, "100"), (0.5, "0.5"), (1e-05, "1e-05"), (2.5e-7, "2.5e-07"),
                                         (0.1 + 0.2, "0.30000000000000004"), (1e22, "1e+22")])
def test_numbers_print_in_shortest_exact_form(value: float, text: str) -> None:
    node = Medication("prednisone", None, Dose(">", value, "mg/d"))
    assert format_rule(node) == f"medication(prednisone, dose > {text} mg/d)"
    assert parse_rule(format_rule(node)) == node


@pytest.mark.parametrize("window, text", [
    (Window(6, "month"), "within 6 months"), (Window(1, "year"), "within 1 year"),
    (Window(0, "day"), "now"), (Window(0, "week"), "within 0 weeks"), (Window(1.5, "hour"), "within 1.5 hours"),
    (Window(10, "day"), "within 10 days"), (Window(2, "week"), "within 2 weeks"),
    (Window(28, "day", "at_least"), "within at least 28 days"), (Window(1, "month", "at_most"), "within at most 1 month")])
def test_windows_print_with_their_own_amount_and_unit(window: Window, text: str) -> None:
    node = StudyParticipation(window)
    assert format_rule(node) == f"study({text})"
    assert parse_rule(f"study({text})").window == window  # type: ignore[attr-defined]


def test_short_trees_stay_on_one_line_and_long_ones_are_laid_out() -> None:
    short = All((Flag("pregnant"), Flag("lactating")))
    assert "\n" not in format_rule(short)
    long = AnyOf((Condition("malignancy", Window(5, "year"), ("carcinoma_in_situ_of_cervix",)),
                  AtLeast(1, (Measure("hemoglobin", "<", 90, "g/L", Window(3, "month")),
                              Measure("platelet_count", "<", 100, "10^9/L"))),
                  Not(Review("x" * 30, "y" * 30))))
    text = format_rule(long)
    assert text.splitlines()[0] == "any("
    assert text.splitlines()[-1] == ")"
    assert all(len(line) <= WIDTH for line in text.splitlines())  # a single leaf longer than WIDTH would not
    assert "  at_least(1, hemoglobin < 90 g/L within 3 months, platelet_count < 100 10^9/L)," in text
    assert parse_rule(text) == long


def test_spans_point_into_the_rule_text() -> None:
    text = "all(pregnant,\n    hemoglobin < 90 g/L)"
    node = parse_rule(text)
    assert isinstance(node, All) and node.span is not None
    assert text[node.span.start:node.span.end] == text
    spans = [item.span for item in node.items]
    assert [text[s.start:s.end] for s in spans if s] == ["pregnant", "hemoglobin < 90 g/L"]


def test_no_vocabulary_key_is_a_keyword_of_the_language() -> None:
    keywords = {"all", "any", "at_least", "not", "is", "sex", "pregnant", "lactating", "condition", "except",
                "medication", "dose", "procedure", "immunization", "study", "attestation", "review", "within",
                "now"}
    assert not keywords & set(units.quantities())
    assert not keywords & set(vocab.concepts())


@settings(SLOW, max_examples=400)
@given(rule_trees())
def test_generated_trees_round_trip(tree: Node) -> None:
    text = format_rule(tree)
    back = parse_rule(text)
    assert back == tree
    assert format_rule(back) == text  # printing is idempotent


@settings(SLOW, max_examples=150)
@given(rule_trees(max_leaves=20))
def test_narrow_layouts_round_trip(tree: Node) -> None:
    text = format_rule(tree, width=24)
    assert parse_rule(text) == tree


@settings(SLOW, max_examples=150)
@given(compiled_trials())
def test_generated_trials_round_trip_through_rules_files(trial: CompiledTrial) -> None:
    text = dump_rules(trial)
    back = loads_rules(text, "generated.rules")
    assert back == trial
    assert dump_rules(back) == text


EXAMPLE = CompiledTrial(
    trial_id="NCT04077684", title="Low-dose IL-2 in SLE", source="seeds/000_4901371cd5114e8a.txt",
    source_hash="4d" * 32, criteria=(
        Criterion("inc-3", "inclusion",
                  "Background treatment failed to control flares or to permit prednisone tapering",
                  Review("Background treatment failed to control flares or to permit prednisone tapering",
                         "needs a person's judgement")),
        Criterion("exc-1", "exclusion", "Severe anemia:", Review("Severe anemia:", "a header"), role="header"),
        Criterion("exc-1.1", "exclusion", "Hb=9 g/dl",
                  Review("Hb=9 g/dl", "'=' on a continuous measurement: the comparator was probably lost"),
                  role="part", parent="exc-1"),
        Criterion("exc-2", "exclusion", "Malignancy within 5 years, except\ncarcinoma in situ of the cervix",
                  Condition("malignancy", Window(5, "year"), ("carcinoma_in_situ_of_cervix",))),
        Criterion("age", "inclusion", "", Measure("age", ">=", 18, "year")),
        Criterion("exc-2.1", "exclusion", "Skin cancer", Condition("basal_cell_carcinoma"), parent="exc-2"),
    ))


def test_rules_file_layout() -> None:
    text = dump_rules(EXAMPLE)
    assert "source-sha256: " + "4d" * 32 + "\n" in text
    assert ("\n[inc-3] inclusion\n"
            "# Background treatment failed to control flares or to permit prednisone tapering\n"
            'review("Background treatment failed to control flares or to permit prednisone tapering", '
            '"needs a person\'s judgement")\n') in text
    assert "\n[exc-1] exclusion header\n# Severe anemia:\n" in text
    assert ("\n[exc-1.1] exclusion part of exc-1\n# Hb=9 g/dl\n"
            'review("Hb=9 g/dl", "\'=\' on a continuous measurement: the comparator was probably lost")\n') in text
    assert ("\n[exc-2] exclusion\n# Malignancy within 5 years, except\n# carcinoma in situ of the cervix\n"
            "condition(malignancy, within 5 years, except [carcinoma_in_situ_of_cervix])\n") in text
    assert "\n[age] inclusion\nage >= 18 year\n" in text
    assert text.endswith("\n[exc-2.1] exclusion under exc-2\n# Skin cancer\ncondition(basal_cell_carcinoma)\n")


def test_rules_file_round_trips_from_disk(tmp_path: Path) -> None:
    path = tmp_path / "NCT04077684.rules"
    path.write_text(dump_rules(EXAMPLE, source="trials/NCT04077684.txt"), encoding="utf-8")
    back = load_rules(path)
    assert back.criteria == EXAMPLE.criteria
    assert back.source == "trials/NCT04077684.txt"
    assert back == replace(EXAMPLE, source="trials/NCT04077684.txt")


def test_coordinator_edits_and_comments_are_read() -> None:
    text = dump_rules(EXAMPLE).replace(
        "age >= 18 year\n",
        "\n# checked with the PI on 2024-05-02\n# adults only\nall(\n  age >= 18 year,  # adults\n"
        "  age <= 75 year\n)\n")
    back = loads_rules(text, "edited.rules")
    age = next(c for c in back.criteria if c.id == "age")
    assert age.text == ""  # only '#' lines right under the block line are source text
    assert age.rule == All((Measure("age", ">=", 18, "year"), Measure("age", "<=", 75, "year")))
    assert age.rule.span is not None
    assert text[age.rule.span.start:age.rule.span.end].startswith("all(\n  age >= 18 year")


def test_crlf_files_load() -> None:
    assert loads_rules(dump_rules(EXAMPLE).replace("\n", "\r\n"), "windows.rules") == EXAMPLE


def test_drift() -> None:
    assert check_drift(EXAMPLE, EXAMPLE) == []
    fresh = CompiledTrial(EXAMPLE.trial_id, EXAMPLE.title, EXAMPLE.source, "00" * 32, (
        EXAMPLE.criteria[0],
        Criterion("exc-2", "exclusion", EXAMPLE.criteria[3].text, Condition("malignancy", Window(3, "year"))),
        EXAMPLE.criteria[4],
        Criterion("exc-3", "exclusion", "Pregnancy", Flag("pregnant")),
    ))
    drifts = check_drift(EXAMPLE, fresh)
    assert [(d.criterion_id, d.kind) for d in drifts] == [
        (None, "source-changed"), ("exc-1", "missing"), ("exc-1.1", "missing"), ("exc-2", "rule-differs"),
        ("exc-2.1", "missing"), ("exc-3", "added")]
    assert "within 5 years" in drifts[3].message and "within 3 years" in drifts[3].message
    assert all(isinstance(d, Drift) for d in drifts)
    turned = replace(EXAMPLE, criteria=(replace(EXAMPLE.criteria[0], kind="exclusion"), *EXAMPLE.criteria[1:]))
    assert [(d.criterion_id, d.kind) for d in check_drift(EXAMPLE, turned)] == [("inc-3", "rule-differs")]


def test_drift_ignores_spans_and_layout() -> None:
    reloaded = loads_rules(dump_rules(EXAMPLE, source="elsewhere"), "x.rules")
    assert check_drift(EXAMPLE, reloaded) == []
    assert Attestation("x", span=None) == parse_rule("attestation(x)")
