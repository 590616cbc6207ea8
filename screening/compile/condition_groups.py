"""Transformer rules for a group of conditions named with examples (grammars/criteria.lark cond_group_examples,
cond_group_judged_examples; mixed into CriteriaTransformer).

"Cardiovascular or cerebrovascular disease, such as cardiac valvulopathy, myocardial infarction or stroke": each
condition of the group and each example counts (examples widen, as after one condition: EventRules.cond_examples).
"Significant neurological or psychiatric disorders, including dementia and epilepsy": the qualifier is said of the
examples too, so a person weighs each (EventRules.cond_judged_examples). Examples joined by "and" name more examples,
not a demand of both.
"""
from __future__ import annotations

from typing import Any

from lark import Token, Transformer, v_args

from .. import ir
from .events import _examples_of
from .helpers import _TestedCondition, _any, _flat, _qualifier


def _group_parts(parts: tuple[Any, ...]) -> tuple[tuple[str, ...], list[ir.Node]]:
    group = next(p for p in parts if isinstance(p, Token) and p.type == "CGROUP")
    examples = [p for p in parts if isinstance(p, ir.Node)]
    for key in group.value:
        examples = _examples_of(key, examples)  # "bacterial or viral infections, including hepatitis": review
    return tuple(group.value), examples


@v_args(inline=True)
class ConditionGroupRules(Transformer):  # type: ignore[type-arg]
    """Mixed into CriteriaTransformer (screening.compile.transformer)."""

    def cond_group_examples(self, *parts: Any) -> ir.Node:
        keys, examples = _group_parts(parts)
        return _any(_flat([*(ir.Condition(k) for k in keys), *examples], ir.AnyOf))

    def cond_group_judged_examples(self, *parts: Any) -> ir.Node:
        keys, examples = _group_parts(parts)
        qualifier = _qualifier(parts)
        node = _any([ir.Judged(qualifier, _any([ir.Condition(k) for k in keys])),
                     *(e if isinstance(e, ir.Judged) else ir.Judged(qualifier, e) for e in examples)])
        self._examples_of[id(node)] = qualifier  # type: ignore[attr-defined]
        return node

    def tcgroup(self, t: Token) -> _TestedCondition:
        """"Positive test for HIV or hepatitis B or C virus": each condition of the group, by its test."""
        tested = [self.tcondition(Token("CONDITION", k)).node for k in t.value]  # type: ignore[attr-defined]
        return _TestedCondition(_any(_flat(tested, ir.AnyOf)))
