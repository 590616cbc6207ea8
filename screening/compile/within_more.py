"""Transformer rules for a longer time frame for some drugs of a statement: "chemotherapy within 4 weeks (6 weeks for
nitrosoureas or mitomycin C)", "no chemotherapy or radiotherapy within the past 4 weeks (6 weeks for nitrosoureas)"
(grammars/criteria.lark `_medtail`, `_twin_o`; the parenthesis is `since_more`, as after "at least 4 weeks since").
Mixed into CriteriaTransformer before MedicationRules and MeasureRules: their `medications` and `therapies` read the
statement, and the drugs of the parenthesis are any of them within their own, longer, window."""
from __future__ import annotations

from typing import Any

from lark import Transformer, v_args

from .. import ir
from .helpers import Uncompilable, _Longer, _any, _leaves


def _within_more(parts: tuple[Any, ...], node: ir.Node, kind: str) -> ir.Node:
    """The statement's reading ``node``, or any drug of the parenthesis within its own window."""
    more = [p.node for p in parts if isinstance(p, _Longer)]
    if not more:
        return node
    window = next((p for p in parts if isinstance(p, ir.Window)), None)
    leaves = list(_leaves(node))
    if window is None or window.bound is not None or any(isinstance(n, ir.Judged) for n in ir.walk(node)):
        raise Uncompilable("a longer time frame for some drugs of a statement with no plain window of its own")
    if any(isinstance(m, ir.Medication) and (m.route or m.dose is not None) for m in leaves):
        # "intrathecal chemotherapy within 1 week (2 weeks for cytarabine)": by that route only, or any?
        raise Uncompilable("a longer time frame for some drugs of a statement said of one route or dose")
    longer: list[ir.Node] = []
    for n in more:  # since_more reads "none of them within their windows": here, any of them
        assert isinstance(n, ir.Not)
        for m in _leaves(n.item):
            assert isinstance(m, ir.Medication) and m.window is not None
            if m.window.days <= window.days:
                raise Uncompilable("a shorter time frame for some drugs: an exception the rule cannot state")
            longer.append(m)
    return _any([node, *longer])


@v_args(inline=True)
class WithinMoreRules(Transformer):  # type: ignore[type-arg]
    """Mixed into CriteriaTransformer (screening.compile.transformer), before the rules it wraps."""

    def medications(self, *parts: Any) -> ir.Node:
        node = super().medications(*(p for p in parts if not isinstance(p, _Longer)))  # type: ignore[misc]
        return _within_more(parts, node, self.kind)  # type: ignore[attr-defined]

    def therapies(self, *parts: Any) -> ir.Node:
        node = super().therapies(*(p for p in parts if not isinstance(p, _Longer)))  # type: ignore[misc]
        return _within_more(parts, node, self.kind)  # type: ignore[attr-defined]
