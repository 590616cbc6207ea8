"""Transformer rule for a condition as a test showed it: "No evidence of CAD on EKG", "hemorrhagic stroke on CT scan"
(grammars/criteria.lark `cond_shown`; the lexer's SHOWNBY, screening/lexer/condition_words.py). Mixed into
CriteriaTransformer."""
from __future__ import annotations

from typing import Any

from lark import Token, Transformer, v_args

from .. import ir


@v_args(inline=True)
class ShownByRules(Transformer):  # type: ignore[type-arg]
    """Mixed into CriteriaTransformer (screening.compile.transformer)."""

    def cond_shown(self, node: Any, how: Token) -> ir.Node:
        """The condition, narrowed by how it was shown: a record has the diagnosis, not the test that found it, so a
        person weighs whether the test showed it (ir.Judged: without the condition the statement is decided)."""
        return ir.Judged(str(how.value), node)
