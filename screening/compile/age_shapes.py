"""Ages written in shapes the plainer age rules do not read (session 11, combo11a): "aged 2 to < 18 years" (an
open upper bound after a range word), "18 years < age < 50 years" (the age between two bounds, the first before
it; the bounds follow helpers._age: whole years, "<= 65" as "< 66")."""
from __future__ import annotations

from lark import Token, Transformer, v_args

from .. import ir
from .helpers import Uncompilable, _age, _age_values

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

