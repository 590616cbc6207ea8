"""Shapes the plainer age and measurement rules do not read (session 11, combo11a): "aged 2 to < 18 years" (an
open upper bound after a range word), "18 years < age < 50 years" (the age between two bounds, the first before
it; the bounds follow helpers._age: whole years, "<= 65" as "< 66") and "LVEF >= 40% if history of congestive heart
failure" (a threshold for the patients with a condition only)."""
from __future__ import annotations

from typing import Any

from lark import Token, Transformer, v_args

from .. import ir
from .helpers import Uncompilable, _age, _age_values, _all, _any

# "18 < age": the comparator read from the age's side
_REVERSED = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}


@v_args(inline=True)
class AgeShapeRules(Transformer):  # type: ignore[type-arg]
    def age_range_open(self, *parts: Token) -> ir.Node:
        """"aged 2 to < 18 years": at least the first age, and below (or up to) the second."""
        (lo, _), (hi, whole) = _age_values(parts)
        cmp = next(t for t in parts if t.type == "CMP")
        if cmp.value not in ("<", "<=") or lo >= hi:
            raise Uncompilable("open age range does not run upwards")
        return ir.All((_age(">=", lo, True), _age(cmp.value, hi, whole)))

    def age_sandwich(self, *parts: Token) -> ir.Node:
        """"18 years < age < 50 years": the first comparator is read from the age's side ("18 < age" is "age > 18")."""
        (lo, lo_whole), (hi, whole) = _age_values(parts)
        first, second = [t.value for t in parts if t.type == "CMP"]
        if first not in ("<", "<=") or second not in ("<", "<=") or lo >= hi:
            raise Uncompilable("age bounds do not enclose a range")
        return ir.All((_age(_REVERSED[first], lo, lo_whole), _age(second, hi, whole)))

    def if_condition(self, *parts: Any) -> ir.Node:
        """A threshold for the patients with a condition ("if history of X": ever recorded; "if X": now): an
        inclusion is met without the condition or with the value; an exclusion holds with both."""
        hist = any(isinstance(t, Token) and t.type == "HISTORY" for t in parts)
        conds = _any([ir.Condition(t.value, None if hist else ir.Window(0))
                      for t in parts if isinstance(t, Token) and t.type == "CONDITION"])
        rest = [p for p in parts if not (isinstance(p, Token) and p.type in (
            "IFCOND", "HISTORY", "CONDITION", "PRESENT", "LPAR", "RPAR", "OR", "AND", "COMMA", "COLON"))]
        measure = self.measures(*rest)  # type: ignore[attr-defined]
        if self.kind == "inclusion":  # type: ignore[attr-defined]
            return _any([ir.Not(conds), measure])
        return _all([conds, measure])
