"""Transformer rules for qualitative tests: positive, negative, test amounts (one method per rule of
grammars/criteria.lark; mixed into CriteriaTransformer)."""
from __future__ import annotations

from typing import Any

from lark import Token, Transformer, v_args

from .. import ir, units
from ..lexer import ActiveToken, lexicon
from .helpers import Uncompilable, _TestedCondition, _Value, _flat, _all, _any, _concept_words, _method_keys
from .reproductive_groups import _childbearing, _outside_group


@v_args(inline=True)
class QualitativeTestRules(Transformer):  # type: ignore[type-arg]
    """Mixed into CriteriaTransformer (screening.compile.transformer)."""

    def _tests(self, parts: tuple[Any, ...], result: str) -> ir.Node:
        keys = [k for p in parts if isinstance(p, tuple) for k in p]
        window = next((p for p in parts if isinstance(p, ir.Window)), None)
        for method in (p for p in parts if isinstance(p, Token) and p.type == "METHOD"):
            if not set(keys) <= set(_method_keys(method)):
                raise Uncompilable(f"a method of assessing {' or '.join(_concept_words(k) for k in _method_keys(method))} "
                                   f"given for {' or '.join(_concept_words(k) for k in keys)}")
        nodes = []
        for k in keys:
            q = units.get_quantity(k)
            if q.kind != "qualitative":
                raise Uncompilable(f"'{result}' said of {q.name}, which is measured, not tested positive/negative")
            nodes.append(ir.TestResult(k, result, window))
        return _all(nodes) if result == "negative" else _any(nodes)

    def test_amount(self, *parts: Any) -> ir.Node:
        """"HCV RNA >= 10,000 IU/mL": above a positive amount, the test is positive. A negative test decides (not met);
        a positive one leaves the amount, which the record's result does not give, to a person."""
        keys = [k for p in parts if isinstance(p, tuple) for k in p]
        cmp = next(p for p in parts if isinstance(p, Token) and p.type == "CMP")
        v = next(p for p in parts if isinstance(p, _Value))
        if cmp.value not in (">", ">=") or v.kind != "plain" or v.number <= 0 or v.unit is None or v.unit in ir.WINDOW_UNITS:
            raise Uncompilable("an amount of a positive/negative test that a negative result does not rule out")
        node = self._tests(tuple(p for p in parts if isinstance(p, (tuple, ir.Window))), "positive")
        names = " or ".join(_concept_words(k) for k in keys)
        return ir.Judged(f"{names} {cmp.value} {v.number:g} {v.unit}", node)

    def tcondition(self, t: Token) -> _TestedCondition:
        if isinstance(t, ActiveToken):
            # "seropositive for HIV or active hepatitis C infection": a positive antibody shows exposure, not the
            # active infection the text names
            return _TestedCondition(ir.Condition(t.value, ir.Window(0), active=True))
        test = lexicon().condition_tests.get(t.value)
        if test is None:
            raise Uncompilable(f"no test is known that shows '{t}'")
        return _TestedCondition(_any([ir.TestResult(test, "positive"), ir.Condition(t.value, ir.Window(0))]))

    def positive(self, *parts: Any) -> ir.Node:
        if self.kind == "inclusion" and any(isinstance(p, Token) and p.type == "AND" for p in parts):
            raise Uncompilable("'positive for A and B' among the inclusions: both, or either?")
        named = [p.node for p in parts if isinstance(p, _TestedCondition)]
        if named and any(isinstance(p, ir.Window) for p in parts):
            raise Uncompilable("a time frame over tests and conditions: is the condition's within it too?")
        if named and not any(isinstance(p, tuple) for p in parts):  # "Positive test for HIV": conditions only
            if any(isinstance(n, ir.TestResult) and n.analyte == "hbsag" for m in named for n in ir.walk(m)):
                # "Positive serology for HBV" (tests/test_compile.py): a past infection is seropositive too
                raise Uncompilable("a positive test for hepatitis B: HBsAg, or anti-HBc (a past infection) too?")
            return named[0] if len(named) == 1 else _any(_flat(named, ir.AnyOf))
        node = self._tests(tuple(p for p in parts if not isinstance(p, _TestedCondition)), "positive")
        return _any(_flat([node, *named], ir.AnyOf)) if named else node

    def negative(self, *parts: Any) -> ir.Node:
        node = self._tests(parts, "negative")
        populations = [p for p in parts if isinstance(p, Token) and p.type == "POPULATION"]
        if self.kind == "inclusion" and populations and all(map(_childbearing, populations)) \
                and isinstance(node, ir.TestResult) and node.analyte == "pregnancy_test":
            # "Women of childbearing potential must have a negative pregnancy test": of them only (for_group)
            return _any([_outside_group(populations), node])
        if self.kind == "inclusion" and not populations and not any(isinstance(p, Token) and p.type == "SEX" for p in parts) \
                and isinstance(node, ir.TestResult) and node.analyte == "pregnancy_test":
            # a bare "Negative pregnancy test" is asked of women: a man is outside it (whether a woman past
            # childbearing is too, the text does not say)
            return _any([ir.Sex("male"), node])
        return node

    def negative_for(self, *parts: Any) -> ir.Node:
        tests = lexicon().condition_tests
        nodes: list[ir.Node] = []
        for t in parts:
            if isinstance(t, Token) and t.type in ("CONDITION", "CGROUP"):
                for key in (t.value,) if t.type == "CONDITION" else t.value:
                    if key not in tests:
                        raise Uncompilable(f"no test is known that shows '{t}' negative")
                    nodes.append(ir.TestResult(tests[key], "negative"))
        return _all(nodes)

