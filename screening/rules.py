"""The canonical rule language: compiled rules as text a research coordinator reads, corrects and keeps.

``format_rule``/``parse_rule`` print and read one rule (grammar: ``grammars/rules.lark``);
``dump_rules``/``load_rules`` write and read a whole trial as a rules file; ``check_drift`` says what
changed between a reviewed rules file and a fresh compile of the same trial.
"""
from __future__ import annotations

import difflib
import hashlib
import json
import math
import re
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Callable, Literal

from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken, VisitError
from lark.tree import Meta

from . import units, vocab
from .patient import route_names
from .errors import CriteriaSyntaxError, ScreeningError, UnitError, VocabularyError
from .ir import (KINDS, LEAF_TYPES, LOGIC_TYPES, All, Allergy, AnyOf, AtLeast, Attestation, CompiledTrial, Condition, Judged,
                 Criterion, Dose, Duration, Flag, Immunization, Measure, Medication, Node, Not, Permitted, Procedure, Review, Sex,
                 Span, StudyParticipation, TestResult, Window)

__all__ = ["format_rule", "parse_rule", "dump_rules", "load_rules", "loads_rules", "check_drift", "Drift", "rule_hash", "stamp_rules", "accept_rules",
           "RuleUnitError", "RuleVocabularyError", "FORMAT_VERSION"]

FORMAT_VERSION = 1
WIDTH = 88  # a rule longer than this is laid out over several lines
INDENT = "  "
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_UNIT = re.compile(r'[^\s,()#"]+')
_DIMENSIONLESS = ("", "1")


class RuleUnitError(CriteriaSyntaxError, UnitError):
    """A unit problem in rules text: catchable as ``UnitError``, and says where like a syntax error."""


class RuleVocabularyError(CriteriaSyntaxError, VocabularyError):
    """An unknown or misplaced name in rules text: catchable as ``VocabularyError``, with its position."""


# --- printing ------------------------------------------------------------------------------------

def _num(x: float) -> str:
    """Shortest text that reads back as exactly the same float (``100``, ``0.5``, ``1e-05``)."""
    if not math.isfinite(x):
        raise ValueError(f"{x!r} cannot be written in a rule")
    text = repr(float(x))
    return text[:-2] if text.endswith(".0") else text


def _window(w: Window) -> str:
    if w.amount == 0 and w.unit == "day":
        return "now"
    bound = f"{w.bound.replace('_', ' ')} " if w.bound else ""
    return f"within {bound}{_num(w.amount)} {w.unit}{'' if w.amount == 1 else 's'}"


def _unit(unit: str) -> str:
    if not _UNIT.fullmatch(unit):
        raise ValueError(f"unit {unit!r} cannot be written in a rule (no spaces, commas, quotes or parentheses)")
    return unit


def _shown(node: Measure) -> str | None:
    """The threshold in the unit it was written in, when that reads back to exactly the same value."""
    unit = node.shown_unit or node.unit
    try:
        exact = units.from_canonical(node.value, unit, node.quantity)
        for digits in (10, 12):  # the shortest spelling that reads back to the same value
            number = float(f"{exact:.{digits}g}")
            if units.to_canonical(number, unit, node.quantity) == node.value:
                return f"{_num(number)} {_unit(unit)}"
    except ScreeningError:
        return None
    return None


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


class _Printer:
    """Canonical text of a rule tree: one ``_print_<Class>`` per node type, dispatched through a table.

    ``level`` is the indentation depth of a multi-line layout, or None to force one line; ``extra`` is
    what else shares the current line (a ``not`` before, a comma after), so laid-out lines fit ``width``.
    """

    def __init__(self, width: int = WIDTH) -> None:
        self.width = width
        self.extra = 0

    def print(self, node: Node, level: int | None = 0) -> str:
        try:
            method = _PRINTERS[type(node)]
        except KeyError:
            raise TypeError(f"cannot print a {type(node).__name__}") from None
        return method(self, node, level)

    def _group(self, head: str, args: list[str], parts: tuple[Node, ...], level: int | None) -> str:
        flat = f"{head}({', '.join([*args, *(self.print(p, None) for p in parts)])})"
        if level is None or len(INDENT) * level + self.extra + len(flat) <= self.width:
            return flat
        lines, saved, self.extra = [f"{head}(" + " ".join(f"{a}," for a in args)], self.extra, 1
        lines += [INDENT * (level + 1) + self.print(p, level + 1) + "," for p in parts]
        self.extra = saved
        lines[-1] = lines[-1][:-1]
        return "\n".join([*lines, INDENT * level + ")"])

    def _call(self, head: str, *args: str | None) -> str:
        return f"{head}({', '.join(a for a in args if a)})"

    def _print_All(self, node: All, level: int | None) -> str:
        return self._group("all", [], node.items, level)

    def _print_AnyOf(self, node: AnyOf, level: int | None) -> str:
        return self._group("any", [], node.items, level)

    def _print_AtLeast(self, node: AtLeast, level: int | None) -> str:
        return self._group("at_least", [str(node.n)], node.items, level)

    def _print_Not(self, node: Not, level: int | None) -> str:
        self.extra += 4
        text = "not " + self.print(node.item, level)
        self.extra -= 4
        return text

    def _print_Judged(self, node: Judged, level: int | None) -> str:
        head = f"judged({_quote(node.qualifier)}, "
        self.extra += len(head) + 1
        text = head + self.print(node.item, level) + ")"
        self.extra -= len(head) + 1
        return text

    def _print_Measure(self, node: Measure, level: int | None) -> str:
        if node.unit == "titer" and node.value > 0:
            value = f"1:{_num(node.value)}"
        elif node.shown_unit and node.shown_unit != node.unit and (shown := _shown(node)) is not None:
            value = shown
        else:
            value = _num(node.value) + ("" if node.unit in _DIMENSIONLESS else " " + _unit(node.unit))
        window = f" {_window(node.window)}" if node.window else ""
        return f"{node.quantity} {node.op} {value}{window}"

    def _print_TestResult(self, node: TestResult, level: int | None) -> str:
        return f"{node.analyte} is {node.result}" + (f" {_window(node.window)}" if node.window else "")

    def _print_Condition(self, node: Condition, level: int | None) -> str:
        exceptions = f"except [{', '.join(node.exceptions)}]" if node.exceptions else None
        return self._call("condition", node.concept, node.window and _window(node.window), exceptions)

    def _print_Medication(self, node: Medication, level: int | None) -> str:
        d = node.dose
        dose = d and f"dose {d.op} {_num(d.value)} {_unit(d.unit)}"
        name = node.concept + (" systemic" if node.systemic else "")
        route = node.route and f"route {node.route}"
        stable = node.stable and f"stable {_num(node.stable.amount)} {node.stable.unit}{'' if node.stable.amount == 1 else 's'}"
        exceptions = f"except [{', '.join(node.exceptions)}]" if node.exceptions else None
        t = node.duration
        duration = t and f"for {t.op} {_num(t.amount)} {t.unit}{'' if t.amount == 1 else 's'}"
        return self._call("medication", name, route, node.window and _window(node.window), dose, stable, exceptions,
                          duration)

    def _print_Allergy(self, node: Allergy, level: int | None) -> str:
        return self._call("allergy", node.concept)

    def _print_Procedure(self, node: Procedure | Immunization, level: int | None) -> str:
        return self._call(node.key, node.concept, node.window and _window(node.window))

    _print_Immunization = _print_Procedure

    def _print_StudyParticipation(self, node: StudyParticipation, level: int | None) -> str:
        return f"study({_window(node.window)})" if node.window else "study"

    def _print_Sex(self, node: Sex, level: int | None) -> str:
        return f"sex is {node.value}"

    def _print_Flag(self, node: Flag, level: int | None) -> str:
        return node.name

    def _print_Attestation(self, node: Attestation, level: int | None) -> str:
        return self._call("attestation", node.name if _NAME.fullmatch(node.name) else _quote(node.name))

    def _print_Permitted(self, node: Permitted, level: int | None) -> str:
        return f"permitted({_quote(node.text)})"

    def _print_Review(self, node: Review, level: int | None) -> str:
        return f"review({_quote(node.text)}, {_quote(node.reason)})"


_PRINTERS: dict[type[Node], Callable[[_Printer, Node, int | None], str]] = {
    cls: getattr(_Printer, f"_print_{cls.__name__}") for cls in (*LOGIC_TYPES, *LEAF_TYPES)}


def format_rule(node: Node, *, width: int = WIDTH) -> str:
    """Canonical text of a rule: one line when it fits in ``width``, else one part per indented line."""
    return _Printer(width).print(node)


# --- parsing -------------------------------------------------------------------------------------

@cache
def _parser() -> Lark:
    return Lark.open_from_package("screening.grammars", "rules.lark", parser="lalr", propagate_positions=True)


@dataclass(frozen=True, slots=True)
class _Where:
    """The text being parsed and where it sits in its file, so errors and spans point at the real place."""

    text: str
    source: str | None
    line_offset: int = 0
    char_offset: int = 0

    def error(self, pos: int, message: str, *, cls: type[CriteriaSyntaxError] = CriteriaSyntaxError,
              suggestion: str | None = None, expected: tuple[str, ...] = (), context: str | None = None,
              ) -> CriteriaSyntaxError:
        line = self.text.count("\n", 0, pos) + 1
        column = pos - (self.text.rfind("\n", 0, pos) + 1) + 1
        return cls(message, line=line + self.line_offset, column=column, source=self.source,
                   context=context if context is not None else _context(self.text, pos),
                   expected=expected, suggestion=suggestion)


def _context(text: str, pos: int, span: int = 40) -> str:
    """The caret snippet, laid out as ``UnexpectedInput.get_context`` does."""
    before = text[max(pos - span, 0):pos].rsplit("\n", 1)[-1]
    after = text[pos:pos + span].split("\n", 1)[0]
    return before + after + "\n" + " " * len(before.expandtabs()) + "^\n"


def _fails(f: Callable[..., object], *args: object) -> bool:
    try:
        f(*args)
    except UnitError:
        return True
    return False


def _did_you_mean(suggestion: str | None) -> str | None:
    if suggestion and _NAME.fullmatch(suggestion):
        return f"did you mean '{suggestion}'?"
    return suggestion


_CONCEPT_CATEGORIES: dict[str, tuple[str, ...]] = {
    "condition": ("condition",), "medication": ("drug", "drug_class"),
    "procedure": ("procedure",), "immunization": ("vaccine",)}
_CONSTRUCT_FOR = {c: construct for construct, cats in _CONCEPT_CATEGORIES.items() for c in cats}


@v_args(inline=True, meta=True)
class _Builder(Transformer):  # type: ignore[type-arg]
    """Builds IR from the parse tree, one method per grammar rule; checks names and units as it goes."""

    def __init__(self, where: _Where) -> None:
        super().__init__()
        self.where = where

    def _span(self, meta: Meta) -> Span | None:
        if meta.empty:
            return None
        return Span(meta.start_pos + self.where.char_offset, meta.end_pos + self.where.char_offset)

    def _number(self, tok: Token) -> float:
        value = float(tok[2:] if tok.type == "TITER" else tok)
        if not math.isfinite(value):
            raise self.where.error(tok.start_pos, f"the number {tok} is too large")
        return value

    def _string(self, tok: Token) -> str:
        try:
            return str(json.loads(tok, strict=False))
        except json.JSONDecodeError as e:
            raise self.where.error(tok.start_pos + e.pos, "invalid escape in quoted text",
                                   suggestion='inside quotes write \\" for a quote, \\\\ for a backslash, '
                                              '\\n for a new line') from None

    def _parts(self, meta: Meta, head: str, parts: tuple[Node, ...]) -> tuple[Node, ...]:
        if len(parts) < 2:
            raise self.where.error(meta.start_pos, f"{head}(...) needs at least two parts",
                                   suggestion=f"a single rule needs no {head}(...): write it alone")
        return parts

    def _quantity(self, tok: Token) -> units.QuantityDef:
        try:
            return units.get_quantity(str(tok))
        except VocabularyError as e:
            raise self.where.error(tok.start_pos, f"unknown quantity '{tok}'", cls=RuleVocabularyError,
                                   suggestion=_did_you_mean(e.suggestion)) from None

    def _concept(self, tok: Token, construct: str) -> str:
        try:
            concept = vocab.get_concept(str(tok))
        except VocabularyError as e:
            raise self.where.error(tok.start_pos, f"unknown {construct} '{tok}'", cls=RuleVocabularyError,
                                   suggestion=_did_you_mean(e.suggestion)) from None
        if concept.category not in _CONCEPT_CATEGORIES[construct]:
            kind = concept.category.replace("_", " ")
            other = _CONSTRUCT_FOR.get(concept.category)
            raise self.where.error(tok.start_pos, f"'{concept.key}' is a {kind}, not a {construct}",
                                   cls=RuleVocabularyError,
                                   suggestion=other and f"write {other}({concept.key})")
        return str(concept.key)

    def _measured(self, q: units.QuantityDef, number: Token, unit: Token | None) -> tuple[float, str]:
        """The threshold in the quantity's canonical unit, range-checked; text in that unit is kept exactly."""
        value = self._number(number)
        if number.type == "TITER" or q.unit == "titer":
            written = self._titer(q, number, unit)
        elif unit is None and q.unit not in _DIMENSIONLESS:
            raise self.where.error(number.end_pos, f"{q.key} needs a unit after {number}", cls=RuleUnitError,
                                   suggestion=f"{q.key} is measured in {q.unit}: write '{number} {q.unit}'")
        else:
            written = q.unit if unit is None else str(unit)
        try:
            converted = units.to_canonical(value, written, q.key)
        except UnitError as e:
            raise self._unit_error(number, unit, q, e) from None
        reference = units.is_reference_multiple(written)
        if reference:
            return value, reference
        return (value if written == q.unit else converted), q.unit

    def _titer(self, q: units.QuantityDef, number: Token, unit: Token | None) -> str:
        """A titer is written as the dilution 1:N and kept as N."""
        if q.unit != "titer":
            raise self.where.error(number.start_pos, f"{number} is a titer, but {q.key} is measured in "
                                   f"{q.unit or 'plain numbers'}", cls=RuleUnitError)
        if not (number.type == "TITER" and unit is None or unit == "titer"):
            raise self.where.error((unit or number).start_pos, f"{q.key} is a titer", cls=RuleUnitError,
                                   suggestion="write it as a dilution, such as 1:160")
        return "titer"

    def _unit_error(self, number: Token, unit: Token | None, q: units.QuantityDef,
                    e: UnitError) -> CriteriaSyntaxError:
        """Point at the unit when it is the problem, else at the value (a plausible-range failure)."""
        text = q.unit if unit is None else str(unit)
        wrong_unit = unit is not None and _fails(units.from_canonical, 1.0, text, q.key)
        hint = e.suggestion
        if wrong_unit and not _fails(units.dose_to_canonical, 1.0, text):
            hint = f"'{text}' is a dose unit; {q.key} is measured in {q.unit}"
        err = self.where.error((unit if wrong_unit and unit else number).start_pos, e.message,
                               cls=RuleUnitError, suggestion=hint)
        err.unit = text  # type: ignore[attr-defined]
        return err

    # one method per grammar rule
    def all_of(self, meta: Meta, *parts: Node) -> Node:
        return All(self._parts(meta, "all", parts), span=self._span(meta))

    def any_of(self, meta: Meta, *parts: Node) -> Node:
        return AnyOf(self._parts(meta, "any", parts), span=self._span(meta))

    def at_least(self, meta: Meta, count: Token, *parts: Node) -> Node:
        n = int(count)
        if not 1 <= n <= len(parts):
            raise self.where.error(count.start_pos, f"at_least({n}, ...) lists {len(parts)} "
                                   f"part{'s' if len(parts) != 1 else ''}",
                                   suggestion=f"the count must be between 1 and {len(parts)}")
        return AtLeast(n, parts, span=self._span(meta))

    def negation(self, meta: Meta, item: Node) -> Node:
        return Not(item, span=self._span(meta))

    def judged(self, meta: Meta, qualifier: Token, item: Node) -> Node:
        text = self._string(qualifier)
        if not text.strip():
            raise self.where.error(qualifier.start_pos, "judged(...) needs the words a person must weigh",
                                   suggestion='e.g. judged("uncontrolled", condition(hypertension))')
        return Judged(text, item, span=self._span(meta))

    def measure(self, meta: Meta, name: Token, op: Token, number: Token, unit: Token | None,
                window: Window | None) -> Node:
        q = self._quantity(name)
        if q.kind == "qualitative":
            raise self.where.error(op.start_pos, f"{q.key} is a qualitative test: it is read as positive "
                                   "or negative, not compared with a number",
                                   suggestion=f"write '{q.key} is positive' or '{q.key} is negative'")
        if op == "==" and q.kind != "ordinal" and q.unit != "1":
            raise self.where.error(op.start_pos, f"'==' is only for scores and grades; {q.key} is measured "
                                   "on a continuous scale", suggestion="use <=, >= or both inside all(...)")
        value, canonical = self._measured(q, number, unit)
        shown = units.normalize_unit(str(unit)) if unit is not None and canonical == q.unit else None
        return Measure(q.key, str(op), value, canonical, window, shown if shown != canonical else None,
                       span=self._span(meta))

    def test(self, meta: Meta, name: Token, result: Token, window: Window | None) -> Node:
        q = self._quantity(name)
        if q.kind != "qualitative":
            raise self.where.error(result.start_pos, f"{q.key} is measured as a number, not read as "
                                   f"{result}", suggestion=f"compare it with a threshold, such as "
                                   f"'{q.key} > ...{' ' + q.unit if q.unit not in _DIMENSIONLESS else ''}'")
        return TestResult(q.key, str(result), window, span=self._span(meta))

    def sex(self, meta: Meta, value: Token) -> Node:
        return Sex(str(value), span=self._span(meta))

    def flag(self, meta: Meta, name: Token) -> Node:
        return Flag(str(name), span=self._span(meta))

    def condition(self, meta: Meta, name: Token, window: Window | None,
                  exceptions: tuple[str, ...] | None) -> Node:
        return Condition(self._concept(name, "condition"), window, exceptions or (), span=self._span(meta))

    def exceptions(self, meta: Meta, *names: Token) -> tuple[str, ...]:
        return tuple(self._concept(n, "condition") for n in names)

    def medication(self, meta: Meta, name: Token, systemic: Token | None, route: str | None, window: Window | None,
                   dose: Dose | None, stable: Window | None, exceptions: tuple[str, ...] | None,
                   duration: Duration | None) -> Node:
        concept = self._concept(name, "medication")
        try:
            return Medication(concept, window, dose, systemic is not None, route, stable, exceptions or (), duration,
                              span=self._span(meta))
        except ValueError as e:
            raise self.where.error(name.start_pos, str(e)) from None

    def duration(self, meta: Meta, op: Token, amount: Token, unit: Token) -> Duration:
        try:
            return Duration(str(op), self._number(amount), str(unit).removesuffix("s"))
        except ValueError as e:
            raise self.where.error(op.start_pos, str(e)) from None

    def drug_exceptions(self, meta: Meta, *names: Token) -> tuple[str, ...]:
        return tuple(self._concept(n, "medication") for n in names)

    def route(self, meta: Meta, name: Token) -> str:
        if str(name) not in route_names():
            raise self.where.error(name.start_pos, f"'{name}' is not a route",
                                   suggestion="one of " + ", ".join(sorted(route_names())))
        return str(name)

    def stable(self, meta: Meta, amount: Token, unit: Token) -> Window:
        return Window(self._number(amount), str(unit).removesuffix("s"))

    def dose(self, meta: Meta, op: Token, number: Token, unit: Token) -> Dose:
        value = self._number(number)
        try:
            converted, canonical = units.dose_to_canonical(value, str(unit))
        except UnitError as e:
            err = self.where.error(unit.start_pos, e.message, cls=RuleUnitError,
                                   suggestion=e.suggestion or "a dose is written like 20 mg/d or 0.5 mg/kg/d")
            err.unit = str(unit)  # type: ignore[attr-defined]
            raise err from None
        return Dose(str(op), value if str(unit) == canonical else converted, canonical)

    def allergy(self, meta: Meta, name: Token) -> Node:
        return Allergy(self._concept(name, "medication"), span=self._span(meta))

    def procedure(self, meta: Meta, name: Token, window: Window | None) -> Node:
        return Procedure(self._concept(name, "procedure"), window, span=self._span(meta))

    def immunization(self, meta: Meta, name: Token, window: Window | None) -> Node:
        return Immunization(self._concept(name, "immunization"), window, span=self._span(meta))

    def study(self, meta: Meta, window: Window | None) -> Node:
        return StudyParticipation(window, span=self._span(meta))

    def attestation(self, meta: Meta, name: Token) -> Node:
        text = self._string(name) if name.type == "ESCAPED_STRING" else str(name)
        return Attestation(text, span=self._span(meta))

    def permitted(self, meta: Meta, text: Token) -> Node:
        return Permitted(self._string(text), span=self._span(meta))

    def review(self, meta: Meta, text: Token, reason: Token) -> Node:
        return Review(self._string(text), self._string(reason), span=self._span(meta))

    def within(self, meta: Meta, amount: Token, unit: Token) -> Window:
        return Window(self._number(amount), str(unit).removesuffix("s"))

    def within_bounded(self, meta: Meta, bound: Token, amount: Token, unit: Token) -> Window:
        return Window(self._number(amount), str(unit).removesuffix("s"), str(bound).replace(" ", "_"))

    def now(self, meta: Meta) -> Window:
        return Window(0, "day")


# Names of what the parser expected, in words a coordinator knows, most helpful first.
_EXPECTED_WORDS: dict[str, str] = {
    "COMP": "a comparator such as <, <=, >", "IS": "'is'", "NUMBER": "a number", "INT": "a whole number",
    "TITER": "a titer such as 1:160",
    "UNIT": "a unit such as g/L", "NAME": "a name such as platelet_count",
    "TIME_UNIT": "a time unit (days, weeks, months, years)", "RESULT": "'positive' or 'negative'",
    "SEX_VALUE": "'female' or 'male'", "ESCAPED_STRING": 'a "quoted text"', "WITHIN": "'within'",
    "NOW": "'now'", "EXCEPT": "'except'", "DOSE": "'dose'", "LPAR": "'('", "RPAR": "')'", "COMMA": "','",
    "LSQB": "'['", "RSQB": "']'", "$END": "the end of the rule"}
_RULE_STARTS = frozenset({"ALL", "ANY", "AT_LEAST", "NOT", "SEX", "PREGNANT", "LACTATING", "CONDITION",
                          "MEDICATION", "PROCEDURE", "IMMUNIZATION", "STUDY", "ATTESTATION", "REVIEW"})
_COMPARATOR_TYPOS = {"=>": ">=", "=<": "<=", "≥": ">=", "≤": "<=", "=": "==", "≠": "not ... ==", "!=": "not ... =="}


def _expected(names: set[str]) -> tuple[str, ...]:
    if _RULE_STARTS & names:
        names = (names - _RULE_STARTS - {"NAME", "LPAR"}) | {"A_RULE"}
    words = {"A_RULE": "a rule such as hemoglobin >= 90 g/L, condition(...) or all(...)", **_EXPECTED_WORDS}
    order = list(words)
    return tuple(words[n] if n in words else f"'{n.lower()}'"
                 for n in sorted(names, key=lambda n: order.index(n) if n in order else len(order)))


def _bare_name_hint(name: str) -> str | None:
    """What a name left without a comparison probably meant: a measurement or a concept."""
    try:
        q = units.get_quantity(name)
        unit = "" if q.unit in _DIMENSIONLESS else f" in {q.unit}"
        return (f"write '{name} is positive' or '{name} is negative'" if q.kind == "qualitative"
                else f"write a comparison: {name} <, <=, >= or > a value{unit}")
    except VocabularyError:
        pass
    try:
        construct = _CONSTRUCT_FOR.get(vocab.get_concept(name).category)
    except VocabularyError:
        return None
    return construct and f"write {construct}({name})"


def _syntax_error(e: UnexpectedInput, where: _Where) -> CriteriaSyntaxError:
    """A lark parse error in the coordinator's words: what was found, what would fit, how to fix it."""
    text = where.text
    if isinstance(e, UnexpectedToken):
        names, found = set(e.accepts or e.expected), str(e.token)
        at_end = e.token.type == "$END"
        pos = (len(text) if e.token.end_pos is None else e.token.end_pos) if at_end else e.token.start_pos
        message = ("the rule is empty" if not text.strip() else "the rule ends too early") if at_end \
            else f"unexpected '{found}'"
    else:
        assert isinstance(e, UnexpectedCharacters)
        names, pos, found, at_end = set(e.allowed or ()), e.pos_in_stream, text[e.pos_in_stream], False
        message = f"unexpected character '{found}'"
    err = where.error(pos, message, expected=_expected(names), context=None if at_end else e.get_context(text))
    bare = re.search(r"([A-Za-z_][A-Za-z0-9_]*)\s*$", text[:pos]) if names == {"COMP", "IS"} else None
    if found in _COMPARATOR_TYPOS:
        err.suggestion = f"write '{_COMPARATOR_TYPOS[found]}'"
    elif bare and (hint := _bare_name_hint(bare.group(1))):
        err.suggestion = hint
    elif found == '"':
        err.suggestion = 'a quoted text ends with " on the same line; write \\n for a new line inside it'
    elif at_end and "RPAR" in names:
        err.suggestion = "a '(' is not closed: add ')'"
    elif names == {"$END"}:
        err.suggestion = "a criterion has one rule: combine rules with all(...) or any(...)"
    return err


def parse_rule(text: str, *, source: str | None = None, line_offset: int = 0) -> Node:
    """Parse rule text into IR; units become the quantity's canonical unit and every name is checked.

    ``line_offset`` is the number of lines before ``text`` in its file, so errors report the file's line.
    """
    return _parse(_Where(text, source, line_offset))


def _parse(where: _Where) -> Node:
    """Parse, then build IR; lark's errors and VisitError become positioned CriteriaSyntaxErrors."""
    try:
        tree = _parser().parse(where.text)
    except UnexpectedInput as e:
        raise _syntax_error(e, where) from None
    try:
        node = _Builder(where).transform(tree)
    except VisitError as e:
        if isinstance(e.orig_exc, ScreeningError):
            raise e.orig_exc from None
        if isinstance(e.orig_exc, ValueError) and isinstance(e.obj, Tree):
            pos = e.obj.meta.start_pos if not e.obj.meta.empty else 0
            raise where.error(pos, str(e.orig_exc)) from None
        raise
    assert isinstance(node, Node)
    return node


# --- rules files ---------------------------------------------------------------------------------

_HEADER = """\
# Eligibility rules for {trial_id}, in the screening rule language (format {version}).
# One block per criterion: a block line, the criterion's source text as '#' lines right under it,
# then its rule, e.g. all(age >= 18 year, hemoglobin >= 90 g/L within 3 months). Block lines:
#   [inc-1] inclusion                   a criterion of its own
#   [exc-2] exclusion header            a heading; its sub-items follow
#   [exc-2.1] exclusion part of exc-2   a sub-item folded into exc-2's rule
#   [inc-6.1] inclusion under inc-6     a sub-item with a verdict of its own
#   [inc-3] inclusion edited 1a2b3c4d5e6f   a rule a person corrected (the hash is of the compiled rule
#                                       it replaces; `screening check --stamp` writes it)
# Correct the rules; keep the ids and the source text. Any other line starting with '#' is a comment.
"""
_PARENT_WORD = {"part": "of", "header": "under", "criterion": "under"}  # a part is folded into its parent
_META_KEYS = ("format", "trial", "title", "source", "source-sha256", "note")
_BLOCK = re.compile(r"\[(?P<id>[^\[\]\s]+)\](?P<rest>.*)")


def _meta_value(value: str) -> str:
    """A header value as written: plain when that reads back exactly, else JSON-quoted."""
    if value and (value != value.strip() or value.startswith('"') or any(c < " " for c in value)):
        return _quote(value)
    return value


def _block_line(c: Criterion) -> str:
    """``inclusion``, ``exclusion header``, ``exclusion part of exc-1``, ``inclusion under inc-6``,
    followed by ``edited <hash>`` when a person corrected the compiled rule."""
    role = "" if c.role == "criterion" else f" {c.role}"
    line = f"{c.kind}{role}" + ("" if c.parent is None else f" {_PARENT_WORD[c.role]} {c.parent}")
    return line + (f" edited {c.edited_from}" if c.edited_from else "")


def rule_hash(node: Node) -> str:
    """A short stable hash of a rule's canonical text: what an ``edited`` block was corrected from.

    Review reasons are left out: a reworded reason is not a new reading of the criterion.
    """
    return hashlib.sha256(format_rule(_without_reasons(node), width=10**6).encode("utf-8")).hexdigest()[:12]


def _without_reasons(node: Node) -> Node:
    if isinstance(node, Review):
        return Review(node.text, "")
    if isinstance(node, Not):
        return Not(_without_reasons(node.item))
    if isinstance(node, Judged):
        return Judged(node.qualifier, _without_reasons(node.item))
    if isinstance(node, (All, AnyOf)):
        return type(node)(tuple(_without_reasons(n) for n in node.items))
    if isinstance(node, AtLeast):
        return AtLeast(node.n, tuple(_without_reasons(n) for n in node.items))
    return node


def dump_rules(trial: CompiledTrial, *, source: str = "") -> str:
    """The rules file of a compiled trial; ``source`` replaces ``trial.source`` in the header if given."""
    out = [_HEADER.format(trial_id=_meta_value(trial.trial_id), version=FORMAT_VERSION)]
    meta = {"format": str(FORMAT_VERSION), "trial": trial.trial_id, "title": trial.title,
            "source": source or trial.source, "source-sha256": trial.source_hash, "note": trial.note}
    for key, value in meta.items():
        if value or key != "note":
            out.append(f"{key}: {_meta_value(value)}".rstrip() + "\n")
    for c in trial.criteria:
        if not re.fullmatch(r"[^\[\]\s]+", c.id) or (c.parent is not None and not re.fullmatch(r"\S+", c.parent)):
            raise ValueError(f"criterion id {c.id!r} or its parent cannot be written in a rules file")
        out.append(f"\n[{c.id}] {_block_line(c)}\n")
        out.extend(f"# {line}\n" if line else "#\n" for line in (c.text.split("\n") if c.text else ()))
        out.append(format_rule(c.rule) + "\n")
    return "".join(out)


def load_rules(path: str | Path) -> CompiledTrial:
    """Read a rules file; errors name the file, line and column."""
    return loads_rules(Path(path).read_text(encoding="utf-8"), str(path))


def loads_rules(text: str, source: str = "<rules>") -> CompiledTrial:
    """Parse rules-file text (see ``dump_rules``) back into the CompiledTrial it was written from."""
    return _RulesReader(text.replace("\r\n", "\n"), source).read()


class _RulesReader:
    """Reads a rules file line by line: header metadata, then blocks of header line, source text, rule."""

    def __init__(self, text: str, source: str) -> None:
        self.text, self.source = text, source
        self.lines = text.split("\n")
        self.starts = [0]
        for line in self.lines:
            self.starts.append(self.starts[-1] + len(line) + 1)

    def error(self, index: int, column: int, message: str, suggestion: str | None = None) -> CriteriaSyntaxError:
        return _Where(self.text, self.source).error(self.starts[index] + column - 1, message, suggestion=suggestion)

    def read(self) -> CompiledTrial:
        i, meta = 0, dict.fromkeys(_META_KEYS, "")
        seen: dict[str, int] = {}  # key -> line index
        while i < len(self.lines) and not self.lines[i].startswith("["):
            line = self.lines[i].strip()
            if line and not line.startswith("#"):
                key, colon, value = line.partition(":")
                key = key.strip()
                if not colon or key not in _META_KEYS:
                    close = difflib.get_close_matches(key, _META_KEYS, 1)
                    raise self.error(i, 1, f"expected 'key: value' with a key among {', '.join(_META_KEYS)}",
                                     suggestion=close and f"did you mean '{close[0]}:'?" or None)
                meta[key] = self._value(i, value.strip())
                seen[key] = i
            i += 1
        for key in ("format", "trial"):
            if key not in seen:
                raise self.error(min(i, len(self.lines) - 1), 1, f"the header lacks '{key}:'",
                                 suggestion=f"add a line such as '{key}: " +
                                 (f"{FORMAT_VERSION}'" if key == "format" else "NCT01234567'"))
        if meta["format"] != str(FORMAT_VERSION):
            raise self.error(seen["format"], 1, f"unsupported rules format {meta['format']!r}",
                             suggestion=f"this version reads format {FORMAT_VERSION}")
        criteria: list[Criterion] = []
        while i < len(self.lines):
            criterion, j = self._block(i)
            if any(c.id == criterion.id for c in criteria):
                raise self.error(i, 2, f"duplicate criterion id '{criterion.id}'",
                                 suggestion="every block needs its own id; rename one of them")
            criteria.append(criterion)
            i = j
        self._check_parents(criteria)
        return CompiledTrial(meta["trial"], meta["title"], meta["source"], meta["source-sha256"],
                             tuple(criteria), meta["note"])

    def _value(self, index: int, value: str) -> str:
        if not value.startswith('"'):
            return value
        try:
            return str(json.loads(value))
        except json.JSONDecodeError:
            raise self.error(index, self.lines[index].index('"') + 1, "malformed quoted value",
                             suggestion='a quoted value is JSON text: "like \\"this\\""') from None

    def _block(self, i: int) -> tuple[Criterion, int]:
        """One block starting at line ``i``; returns it and the index of the line after it."""
        header = self.lines[i].rstrip()
        m = _BLOCK.fullmatch(header)
        if not m:
            raise self.error(i, 1, "malformed block line", suggestion="write it as '[inc-1] inclusion'")
        cid = m["id"]
        words = [(w.group(), w.start() + 1) for w in re.compile(r"\S+").finditer(header, m.start("rest"))]
        edited = None
        if len(words) >= 3 and words[-2][0] == "edited":
            edited, words = words[-1][0], words[:-2]
        kind, role, parent = self._roles(i, words, len(header) + 1)
        j = i + 1
        text_lines: list[str] = []
        while j < len(self.lines) and self.lines[j].startswith("#"):
            text_lines.append(self.lines[j][1:].removeprefix(" "))
            j += 1
        start = j
        while j < len(self.lines) and not self.lines[j].startswith("["):
            j += 1
        chunk = "\n".join(self.lines[start:j])
        if not re.sub(r"#[^\n]*", "", chunk).strip():
            raise self.error(i, 1, f"block [{cid}] has no rule",
                             suggestion='write its rule under the source text, or review("...", "why") '
                                        "if a person must judge it")
        rule = _parse(_Where(chunk, self.source, start, self.starts[start]))
        return Criterion(cid, kind, "\n".join(text_lines), rule, role=role, parent=parent, edited_from=edited), j

    def _roles(self, i: int, words: list[tuple[str, int]], end: int) -> tuple[str, str, str | None]:
        """Kind, role and parent from the words after ``[id]``: ``exclusion part of exc-1``."""
        if not words or words[0][0] not in KINDS:
            word, col = words[0] if words else ("", end)
            close = difflib.get_close_matches(word, KINDS, 1)
            raise self.error(i, col, "expected 'inclusion' or 'exclusion' after the block id",
                             suggestion=close and f"did you mean '{close[0]}'?" or None)
        kind, role, parent = words[0][0], "criterion", None
        rest = words[1:]
        if rest and rest[0][0] in ("header", "part"):
            role, rest = rest[0][0], rest[1:]
        if rest and rest[0][0] == _PARENT_WORD[role] and len(rest) == 2:
            parent, rest = rest[1][0], []
        if rest:
            raise self.error(i, rest[0][1], f"unexpected '{rest[0][0]}' in the block line",
                             suggestion="write '[id] inclusion', '[id] exclusion header', "
                                        "'[id] exclusion part of <parent id>' or '[id] inclusion under <parent id>'")
        return kind, role, parent

    def _check_parents(self, criteria: list[Criterion]) -> None:
        ids = {c.id for c in criteria}
        for c in criteria:
            if c.parent is not None and c.parent not in ids:
                index = next(k for k, line in enumerate(self.lines) if line.startswith(f"[{c.id}]"))
                col = self.lines[index].rindex(c.parent) + 1
                close = difflib.get_close_matches(c.parent, sorted(ids - {c.id}), 1)
                raise self.error(index, col, f"'{c.parent}' is not the id of any block",
                                 suggestion=close and f"did you mean '{close[0]}'?" or None)


# --- drift ---------------------------------------------------------------------------------------

DriftKind = Literal["source-changed", "rule-differs", "missing", "added"]


@dataclass(frozen=True, slots=True)
class Drift:
    """One difference between a reviewed rules file and a fresh compile of the same trial."""

    criterion_id: str | None
    kind: DriftKind
    message: str


def _verdict_shape(c: Criterion) -> tuple[object, ...]:
    """What decides a criterion's verdict: its rule (not a review's wording), kind, role and parent."""
    return _without_reasons(c.rule), c.kind, c.role, c.parent


def _one_line(c: Criterion) -> str:
    return f"{_block_line(c)}: {format_rule(c.rule, width=10**6)}"


def stamp_rules(text: str, reviewed: CompiledTrial, fresh: CompiledTrial) -> str:
    """Record a review in rules-file text: every rule that differs from the fresh compile becomes
    ``edited <hash>`` (a deliberate correction) and the header takes the fresh source hash."""
    fresh_by_id = {c.id: c for c in fresh.criteria}
    lines = text.split("\n")
    for k, line in enumerate(lines):
        m = _BLOCK.match(line)
        if m and m["id"] in fresh_by_id:
            old = next(c for c in reviewed.criteria if c.id == m["id"])
            new = fresh_by_id[m["id"]]
            edited = rule_hash(new.rule) if _without_reasons(old.rule) != _without_reasons(new.rule) else None
            lines[k] = f"[{old.id}] {_block_line(replace(old, edited_from=edited))}"
        elif line.startswith("source-sha256:"):
            lines[k] = f"source-sha256: {fresh.source_hash}"
    return "\n".join(lines)


def accept_rules(text: str, reviewed: CompiledTrial, fresh: CompiledTrial) -> str:
    """Take the compiler's new reading into rules-file text for every rule nobody corrected by hand
    (blocks without ``edited``); corrected rules, source lines and comments stay as they are."""
    fresh_by_id = {c.id: c for c in fresh.criteria}
    old_by_id = {c.id: c for c in reviewed.criteria}
    lines, out, k = text.split("\n"), [], 0
    while k < len(lines):
        line = lines[k]
        out.append(line)
        k += 1
        m = _BLOCK.match(line)
        old, new = (old_by_id.get(m["id"]), fresh_by_id.get(m["id"])) if m else (None, None)
        if old is None or new is None or old.edited_from is not None or _verdict_shape(old) == _verdict_shape(new):
            continue
        while k < len(lines) and lines[k].startswith("#"):  # the source text
            out.append(lines[k])
            k += 1
        while k < len(lines) and lines[k].strip() and not _BLOCK.match(lines[k]):  # the old rule
            k += 1
        out.append(format_rule(new.rule))
    return "\n".join(out)


def check_drift(reviewed: CompiledTrial, fresh: CompiledTrial) -> list[Drift]:
    """What a reviewer must look at again: a changed source, rules that differ, criteria gone or new."""
    drifts: list[Drift] = []
    if reviewed.source_hash != fresh.source_hash:
        drifts.append(Drift(None, "source-changed", "the trial's source text changed since the rules were "
                            f"reviewed (sha256 {reviewed.source_hash[:12]} -> {fresh.source_hash[:12]})"))
    old = {c.id: c for c in reviewed.criteria}
    new = {c.id: c for c in fresh.criteria}
    for cid, c in old.items():
        if cid not in new:
            drifts.append(Drift(cid, "missing", f"[{cid}] is in the reviewed rules but not in the fresh compile"))
        elif c.edited_from is not None:  # a person's correction stands while the compiler reads the same
            if rule_hash(new[cid].rule) != c.edited_from or _verdict_shape(new[cid])[1:] != _verdict_shape(c)[1:]:
                drifts.append(Drift(cid, "rule-differs", f"[{cid}] was corrected by hand, and the compiler now "
                                    f"reads the text differently: {_one_line(new[cid])}"))
        elif _verdict_shape(new[cid]) != _verdict_shape(c):
            drifts.append(Drift(cid, "rule-differs", f"[{cid}] reviewed: {_one_line(c)}\n"
                                f"[{cid}] fresh:    {_one_line(new[cid])}"))
    drifts += [Drift(cid, "added", f"[{cid}] is new in the fresh compile") for cid in new if cid not in old]
    return drifts
