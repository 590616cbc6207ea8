"""Rules printed as canonical text: one rule per criterion, laid out to a width, quantities in the units a
coordinator reads, windows and doses as written; every printed rule parses back to the same tree.
"""
from __future__ import annotations

import json
import math
import re
from typing import Callable


from .. import units
from ..errors import CriteriaSyntaxError, ScreeningError, UnitError, VocabularyError
from ..ir import (LEAF_TYPES, LOGIC_TYPES, All, Allergy, AnyOf, AtLeast, Attestation, Condition, Judged, Flag,
                  Immunization, Measure, Medication, Node, Not, Permitted, Procedure, Review, Sex,
                  StudyParticipation, TestResult, Window)


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
        window = f" {'any time ' if node.period else ''}{_window(node.window)}" if node.window else ""
        return f"{node.extreme + ' ' if node.extreme else ''}{node.quantity} {node.op} {value}{window}"

    def _print_TestResult(self, node: TestResult, level: int | None) -> str:
        return f"{node.analyte} is {node.result}" + (f" {_window(node.window)}" if node.window else "")

    def _print_Condition(self, node: Condition, level: int | None) -> str:
        exceptions = f"except [{', '.join(node.exceptions)}]" if node.exceptions else None
        name = ("active " if node.active else "") + node.concept
        window = node.window and ("diagnosed " if node.diagnosed else "") + _window(node.window)
        t = node.lasting
        lasting = t and f"for {t.op} {_num(t.amount)} {t.unit}{'' if t.amount == 1 else 's'}"
        return self._call("condition", name, window, exceptions, lasting)

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

