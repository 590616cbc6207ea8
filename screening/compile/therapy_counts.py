"""Counts of prior therapy said of one purpose ("no more than 2 prior chemotherapy regimens for metastatic disease")
or said to include a setting ("no more than 2 prior chemotherapy regimens (including adjuvant therapy)").

A record carries the count of every prior regimen (quantities.toml, counts of prior therapy), never the count for
one purpose; but the regimens for a purpose are some of them, so their count is at most the record's. "No more than
N for X" then holds whenever the whole count does, and "at least N for X" fails whenever the whole count does; the
other way round, which of the regimens were for X is a person's call (ir.Judged).
"""
from __future__ import annotations

from typing import Any

from lark import Token, Transformer, v_args

from .. import ir
from .helpers import Uncompilable, _purpose, _therapy_counts

# the comparison that fails exactly when the given one holds
# settings of a line of therapy ("including adjuvant therapy"); not "prophylactic" or "palliative"
_COUNTED_SETTINGS = frozenset({"adjuvant", "neoadjuvant", "neo-adjuvant", "maintenance"})
_NEGATED = {"<": ">=", "<=": ">", ">": "<=", ">=": "<"}


@v_args(inline=True)
class TherapyCountRules(Transformer):  # type: ignore[type-arg]
    """Transformer methods for counts of prior therapy restricted to a purpose (grammars/criteria.lark
    therapy_count)."""

    def _count_parts(self, parts: tuple[Any, ...]) -> tuple[str, str, Any]:
        keys = [k for p in parts if isinstance(p, tuple) for k in p]
        comparison = next(p for p in parts if isinstance(p, list))
        if len(keys) != 1 or keys[0] not in _therapy_counts() or len(comparison) != 1:
            raise Uncompilable("a count of one kind of prior therapy, compared once")
        (op, value), = comparison
        if op not in _NEGATED or value.kind != "plain":
            raise Uncompilable("a count compared with a plain number")
        return keys[0], op, value

    def therapy_count_for(self, *parts: Any) -> ir.Node:
        """"No more than 2 prior chemotherapy regimens for metastatic disease": the whole count within the limit
        decides (met); over it, a person counts the regimens for that purpose. "At least 1 prior regimen for
        metastatic disease": a whole count below the limit decides (not met); at or above it, a person counts."""
        key, op, value = self._count_parts(parts)
        purpose = _purpose(parts)
        if not purpose:
            raise Uncompilable("a count of therapy for no named purpose")
        qualifier = f"counting only regimens {purpose}"
        if op in ("<", "<="):  # an upper limit: only a whole count over it needs a person
            return ir.Not(ir.Judged(qualifier, self._measure(key, _NEGATED[op], value, None)))  # type: ignore[attr-defined]
        return ir.Judged(qualifier, self._measure(key, op, value, None))  # type: ignore[attr-defined]

    def therapy_count_all(self, *parts: Any) -> ir.Node:
        """"No more than 2 prior chemotherapy regimens (including adjuvant therapy)": the setting named is counted
        too, so the whole count, as the record carries it."""
        if not all(str(p).lower() in _COUNTED_SETTINGS for p in parts if isinstance(p, Token) and p.type == "SETTING"):
            raise Uncompilable("'including' a setting that is no line of therapy")
        key, op, value = self._count_parts(parts)
        return self._measure(key, op, value, None)  # type: ignore[attr-defined]
