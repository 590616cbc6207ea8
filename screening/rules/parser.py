"""Rules read back from text (grammars/rules.lark): concepts, quantities and units bound and checked when read, errors
that name the line, column and what was expected.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, replace
from functools import cache
from typing import Callable

from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken, VisitError
from lark.tree import Meta

from .. import units, vocab
from ..errors import CriteriaSyntaxError, ScreeningError, UnitError, VocabularyError
from ..ir import (All, Allergy, AnyOf, AtLeast, Attestation, Condition, Judged, Dose, Duration, Flag, Immunization,
                  Measure, Medication, Node, Not, Permitted, Procedure, Review, Sex, Span, StudyParticipation,
                  TestResult, Window)
from ..patient import route_names
from .printer import RuleUnitError, RuleVocabularyError, _DIMENSIONLESS, _NAME


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
    "procedure": ("procedure",), "immunization": ("vaccine",),
    "allergy": ("substance", "drug", "drug_class")}  # an allergy is to a drug or to a substance (substances.toml)


_CONSTRUCT_FOR: dict[str, str] = {}
for _construct, _cats in _CONCEPT_CATEGORIES.items():  # a drug's construct is medication (the first that takes it)
    for _cat in _cats:
        _CONSTRUCT_FOR.setdefault(_cat, _construct)


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

    def measure_period(self, meta: Meta, name: Token, op: Token, number: Token, unit: Token | None,
                       window: Window) -> Node:
        if window.amount == 0:
            raise self.where.error(op.start_pos, "'any time' needs a look-back period longer than 0",
                                   suggestion="write 'any time within 3 months'")
        return replace(self.measure(meta, name, op, number, unit, window), period=True)  # type: ignore[arg-type]

    def measure_extreme(self, meta: Meta, extreme: Token, name: Token, op: Token, number: Token, unit: Token | None,
                        window: Window | None) -> Node:
        if op == "==":
            raise self.where.error(op.start_pos, f"'{extreme}' is compared with <, <=, > or >=, not ==")
        if window is not None and window.amount == 0:
            raise self.where.error(op.start_pos, f"'{extreme}' looks back over a period: not 'now'",
                                   suggestion="leave the window out (ever) or write 'within 1 year'")
        return replace(self.measure(meta, name, op, number, unit, window), extreme=str(extreme))  # type: ignore[arg-type]

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

    def condition(self, meta: Meta, active: Token | None, name: Token, diagnosed: Token | None, window: Window | None,
                  exceptions: tuple[str, ...] | None, lasting: Duration | None) -> Node:
        concept = self._concept(name, "condition")
        try:
            return Condition(concept, window, exceptions or (), active is not None,
                             diagnosed is not None and window is not None and window.amount > 0, lasting,
                             span=self._span(meta))
        except ValueError as e:
            raise self.where.error(name.start_pos, str(e)) from None

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
        return Allergy(self._concept(name, "allergy"), span=self._span(meta))

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

