"""Mistakes a research coordinator makes when editing a rules file, and what they are told.

Every case asserts the error type, the file line and column, the message and the hint: the error
must say where the mistake is and, when it can, how to fix it.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screening import units
from screening.errors import CriteriaSyntaxError, ScreeningError, UnitError, VocabularyError
from screening.ir import Node
from screening.rules import format_rule, load_rules, loads_rules, parse_rule
from strategies import rule_trees

HEADER = """\
# Eligibility rules for NCT00000001
format: 1
trial: NCT00000001
title: Example trial
source: example.txt
source-sha256: 00

[inc-1] inclusion
# Platelets at least 100 x 10^9/L
{rule}

[inc-2] inclusion
# Adults
age >= 18 year
"""
RULE_LINE = 10  # the line {rule} is on


def load_error(rule: str, *, template: str = HEADER) -> ScreeningError:
    with pytest.raises(ScreeningError) as info:
        loads_rules(template.replace("{rule}", rule), "trial.rules")
    return info.value


def test_the_template_itself_loads() -> None:
    trial = loads_rules(HEADER.replace("{rule}", "platelet_count >= 100 10^9/L"), "trial.rules")
    assert [c.id for c in trial.criteria] == ["inc-1", "inc-2"]


def check(err: ScreeningError, kind: type[Exception], line: int, column: int, message: str,
          hint: str | None = None) -> None:
    assert isinstance(err, kind), type(err)
    assert isinstance(err, CriteriaSyntaxError)  # every rules-file error says where
    assert (err.source, err.line, err.column) == ("trial.rules", line, column), str(err)
    assert message in err.message, err.message
    if hint is not None:
        assert err.suggestion is not None and hint in err.suggestion, err.suggestion
    assert f"trial.rules:{line}:{column}: " in str(err)
    assert err.context.endswith("^\n")


# --- names ---------------------------------------------------------------------------------------

def test_misspelled_quantity_suggests_the_right_one() -> None:
    err = load_error("platlet_count >= 100 10^9/L")
    check(err, VocabularyError, RULE_LINE, 1, "unknown quantity 'platlet_count'", "did you mean 'platelet_count'?")
    assert err.context == "platlet_count >= 100 10^9/L\n^\n"


def test_unknown_concept_suggests_close_keys() -> None:
    err = load_error("all(age >= 18 year, condition(systemic_lupus_erythematosis))")
    check(err, VocabularyError, RULE_LINE, 31, "unknown condition 'systemic_lupus_erythematosis'",
          "'systemic_lupus_erythematosus'")


def test_concept_in_the_wrong_construct_says_which_one_fits() -> None:
    err = load_error("medication(malignancy, within 5 years)")
    check(err, VocabularyError, RULE_LINE, 12, "'malignancy' is a condition, not a medication",
          "write condition(malignancy)")


def test_unknown_exception_concept() -> None:
    err = load_error("condition(malignancy, except [basal_cell_carcinomma])")
    check(err, VocabularyError, RULE_LINE, 31, "unknown condition 'basal_cell_carcinomma'", "basal_cell_carcinoma")


# --- units ---------------------------------------------------------------------------------------

def test_unknown_unit() -> None:
    err = load_error("hemoglobin >= 9 g/dk")
    check(err, UnitError, RULE_LINE, 17, "unknown unit 'g/dk'", "g/dL")


def test_unit_of_the_wrong_dimension_names_the_right_unit() -> None:
    canonical = units.get_quantity("hemoglobin").unit
    err = load_error("hemoglobin >= 0.5 mg/kg/d")
    check(err, UnitError, RULE_LINE, 19, "cannot convert 'mg/kg/d'",
          f"'mg/kg/d' is a dose unit; hemoglobin is measured in {canonical}")


def test_implausible_value_is_a_unit_mistake_pointed_at_the_number() -> None:
    err = load_error("all(age >= 18 year, hemoglobin >= 9 g/L)")
    check(err, UnitError, RULE_LINE, 35, "is not a plausible hemoglobin", "check the unit")


def test_missing_unit() -> None:
    err = load_error("hemoglobin >= 90")
    check(err, UnitError, RULE_LINE, 17, "hemoglobin needs a unit", f"{units.get_quantity('hemoglobin').unit}")


def test_dose_in_a_unit_that_is_not_a_dose() -> None:
    err = load_error("medication(prednisone, dose > 20 mg/dL)")
    check(err, UnitError, RULE_LINE, 34, "not a dose unit", "mg/d")


# --- syntax --------------------------------------------------------------------------------------

def test_missing_closing_parenthesis_points_after_the_last_part() -> None:
    err = load_error("all(\n  platelet_count >= 100 10^9/L,\n  age >= 18 year\n")
    check(err, CriteriaSyntaxError, RULE_LINE + 2, 17, "the rule ends too early", "add ')'")
    assert "')'" in err.expected  # type: ignore[attr-defined]


def test_missing_comparator() -> None:
    err = load_error("platelet_count 100 10^9/L")
    check(err, CriteriaSyntaxError, RULE_LINE, 16, "unexpected '100'",
          f"write a comparison: platelet_count <, <=, >= or > a value in {units.get_quantity('platelet_count').unit}")
    assert err.expected[0] == "a comparator such as <, <=, >"  # type: ignore[attr-defined]


def test_a_bare_concept_name_suggests_its_construct() -> None:
    err = load_error("tuberculosis")
    check(err, CriteriaSyntaxError, RULE_LINE, 13, "the rule ends too early", "write condition(tuberculosis)")


def test_missing_value() -> None:
    err = load_error("platelet_count >=")
    check(err, CriteriaSyntaxError, RULE_LINE, 18, "the rule ends too early")
    assert err.expected[0] == "a number"  # type: ignore[attr-defined]


@pytest.mark.parametrize("typo, fix", [("=>", ">="), ("≥", ">="), ("=", "==")])
def test_comparator_typos(typo: str, fix: str) -> None:
    err = load_error(f"platelet_count {typo} 100 10^9/L")
    check(err, CriteriaSyntaxError, RULE_LINE, 16, f"unexpected '{typo[0] if typo == '≥' else typo}'", f"'{fix}'")


def test_two_rules_without_all_or_any() -> None:
    err = load_error("pregnant lactating")
    check(err, CriteriaSyntaxError, RULE_LINE, 10, "unexpected 'lactating'", "all(...) or any(...)")


def test_misspelled_time_unit() -> None:
    err = load_error("condition(malignancy, within 5 yeras)")
    check(err, CriteriaSyntaxError, RULE_LINE, 32, "unexpected 'yeras'")
    assert "a time unit" in err.expected[0]  # type: ignore[attr-defined]


def test_bad_escape_in_review_text() -> None:
    err = load_error('review("C:\\path", "why")')
    check(err, CriteriaSyntaxError, RULE_LINE, 11, "invalid escape", '\\"')


# --- meaning -------------------------------------------------------------------------------------

def test_at_least_count_larger_than_its_parts() -> None:
    err = load_error("at_least(3, pregnant, lactating)")
    check(err, CriteriaSyntaxError, RULE_LINE, 10, "at_least(3, ...) lists 2 parts", "between 1 and 2")


def test_all_with_a_single_part() -> None:
    err = load_error("not all(pregnant)")
    check(err, CriteriaSyntaxError, RULE_LINE, 5, "all(...) needs at least two parts", "write it alone")


def test_is_positive_on_a_numeric_lab() -> None:
    err = load_error("hemoglobin is positive")
    check(err, CriteriaSyntaxError, RULE_LINE, 15, "hemoglobin is measured as a number", "hemoglobin > ")


def test_comparator_on_a_qualitative_test() -> None:
    err = load_error("hiv_antibody > 1")
    check(err, CriteriaSyntaxError, RULE_LINE, 14, "qualitative test", "'hiv_antibody is positive'")


def test_equality_on_a_continuous_measurement() -> None:
    err = load_error("hemoglobin == 90 g/L")
    check(err, CriteriaSyntaxError, RULE_LINE, 12, "'==' is only for scores", "<=, >=")


def test_negative_window() -> None:
    err = load_error("condition(malignancy, within -5 years)")
    check(err, CriteriaSyntaxError, RULE_LINE, 23, "must not be negative")


# --- blocks and header ---------------------------------------------------------------------------

def test_duplicated_criterion_id() -> None:
    err = load_error("pregnant", template=HEADER.replace("[inc-2]", "[inc-1]"))
    check(err, CriteriaSyntaxError, 12, 2, "duplicate criterion id 'inc-1'", "rename")


def test_block_with_no_rule() -> None:
    err = load_error("# (rule deleted by mistake)")
    check(err, CriteriaSyntaxError, 8, 1, "block [inc-1] has no rule", "review(")


def test_misspelled_kind_in_a_block_line() -> None:
    err = load_error("pregnant", template=HEADER.replace("[inc-2] inclusion", "[inc-2] inclsuion"))
    check(err, CriteriaSyntaxError, 12, 9, "expected 'inclusion' or 'exclusion'", "did you mean 'inclusion'?")


def test_part_of_an_unknown_parent() -> None:
    err = load_error("pregnant", template=HEADER.replace("[inc-2] inclusion", "[inc-2] inclusion part of inc-9"))
    check(err, CriteriaSyntaxError, 12, 27, "'inc-9' is not the id of any block", "did you mean 'inc-1'?")


def test_parent_word_must_fit_the_role() -> None:
    err = load_error("pregnant", template=HEADER.replace("[inc-2] inclusion", "[inc-2] inclusion of inc-1"))
    check(err, CriteriaSyntaxError, 12, 19, "unexpected 'of' in the block line", "inclusion under <parent id>")


def test_unknown_header_key() -> None:
    err = load_error("pregnant", template=HEADER.replace("title:", "titel:"))
    check(err, CriteriaSyntaxError, 4, 1, "expected 'key: value'", "did you mean 'title:'?")


def test_missing_format_line() -> None:
    err = load_error("pregnant", template=HEADER.replace("format: 1\n", ""))
    check(err, CriteriaSyntaxError, 7, 1, "lacks 'format:'", "format: 1")


# --- files ---------------------------------------------------------------------------------------

def test_errors_in_a_file_name_the_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "NCT00000001.rules"
    path.write_text(HEADER.replace("{rule}", "all(\n  pregnant,\n  platlet_count >= 100 10^9/L\n)"),
                    encoding="utf-8")
    with pytest.raises(VocabularyError) as info:
        load_rules(path)
    err = info.value
    assert isinstance(err, CriteriaSyntaxError)
    assert (err.line, err.column) == (RULE_LINE + 2, 3)
    assert str(err).startswith(f"{path}:{RULE_LINE + 2}:3: unknown quantity 'platlet_count'")
    assert "hint: did you mean 'platelet_count'?" in str(err)


def test_parse_rule_reports_lines_with_an_offset() -> None:
    with pytest.raises(CriteriaSyntaxError) as info:
        parse_rule("any(pregnant,\n    lactating,\n    sex is unknown)", source="x.rules", line_offset=40)
    assert (info.value.source, info.value.line, info.value.column) == ("x.rules", 43, 12)
    assert info.value.expected == ("'female' or 'male'",)


# --- robustness ----------------------------------------------------------------------------------

@settings(deadline=None, max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(rule_trees(), st.data())
def test_any_one_character_slip_gives_a_positioned_error_or_a_rule(tree: Node, data: st.DataObject) -> None:
    """Deleting, inserting or replacing one character never crashes: a rule, or an error that says where."""
    text = format_rule(tree)
    i = data.draw(st.integers(0, len(text)))
    slip = data.draw(st.sampled_from(list('()[],"#<>=:-. \n\\x0') + ["within", "now", "is"]))
    edit = data.draw(st.sampled_from(("delete", "insert", "replace")))
    text = {"delete": text[:i] + text[i + 1:], "insert": text[:i] + slip + text[i:],
            "replace": text[:i] + slip + text[i + 1:]}[edit]
    try:
        parse_rule(text, source="slip.rules")
    except CriteriaSyntaxError as e:
        assert e.line is not None and e.column is not None and e.column >= 1
        assert str(e).startswith(f"slip.rules:{e.line}:{e.column}: ")


@settings(deadline=None, max_examples=200)
@given(st.text(max_size=60))
def test_arbitrary_text_gives_a_positioned_error_or_a_rule(text: str) -> None:
    for attempt in (lambda: parse_rule(text), lambda: loads_rules(text, "x.rules"),
                    lambda: loads_rules("format: 1\ntrial: x\n[a] inclusion\n" + text, "x.rules")):
        try:
            attempt()
        except CriteriaSyntaxError as e:
            assert e.line is not None and e.column is not None and e.column >= 1


def test_unterminated_quote() -> None:
    err = load_error('review("Inability to comply", "needs a person)')
    check(err, CriteriaSyntaxError, RULE_LINE, 31, "unexpected character '\"'", "same line")
