"""Kleene three-valued logic (plus review) of the evaluator, as properties over generated trees."""
from __future__ import annotations

import datetime as dt

from hypothesis import given, settings, strategies as st

from screening import ir
from screening.evaluate import Builder, Context
from screening.patient import parse_patient

NAMES = ("a", "b", "c", "d")
AS_OF = dt.date(2026, 1, 15)
CTX = Context(AS_OF, AS_OF.toordinal())

leaves = st.one_of(st.sampled_from([ir.Attestation(n) for n in NAMES]),
                   st.just(ir.Review("needs a person", "judgement")))


def _extend(children: st.SearchStrategy[ir.Node]) -> st.SearchStrategy[ir.Node]:
    lists = st.lists(children, min_size=2, max_size=4).map(tuple)
    return st.one_of(lists.map(ir.All), lists.map(ir.AnyOf), children.map(ir.Not),
                     lists.flatmap(lambda xs: st.integers(1, len(xs)).map(lambda n: ir.AtLeast(n, xs))))


trees = st.recursive(leaves, _extend, max_leaves=10)
# an attestation is true, false or absent (unknown)
patients = st.dictionaries(st.sampled_from(NAMES), st.booleans()).map(
    lambda att: parse_patient({"id": "p", "attestations": att}))


def verdict(node: ir.Node, patient) -> str:  # type: ignore[no-untyped-def]
    return Builder().build(node)(patient, CTX).verdict


def reference(node: ir.Node, att: dict[str, bool]) -> str:
    """Textbook Kleene logic over {met, not_met, undecided}, with review winning among the undecided."""
    if isinstance(node, ir.Attestation):
        return {True: "met", False: "not_met"}.get(att.get(node.name), "unknown")  # type: ignore[arg-type]
    if isinstance(node, ir.Review):
        return "review"
    if isinstance(node, ir.Not):
        return {"met": "not_met", "not_met": "met"}.get(reference(node.item, att), reference(node.item, att))
    vs = [reference(n, att) for n in node.items]  # type: ignore[attr-defined]
    undecided = "review" if "review" in vs else "unknown"
    if isinstance(node, ir.All):
        return "not_met" if "not_met" in vs else "met" if all(v == "met" for v in vs) else undecided
    if isinstance(node, ir.AnyOf):
        return "met" if "met" in vs else "not_met" if all(v == "not_met" for v in vs) else undecided
    assert isinstance(node, ir.AtLeast)
    hits = vs.count("met")
    open_ = sum(v in ("unknown", "review") for v in vs)
    if hits >= node.n:
        return "met"
    if hits + open_ < node.n:
        return "not_met"
    return "review" if "review" in vs else "unknown"


@settings(max_examples=300, deadline=None)
@given(trees, patients)
def test_evaluator_matches_reference_kleene(tree: ir.Node, patient) -> None:  # type: ignore[no-untyped-def]
    assert verdict(tree, patient) == reference(tree, patient.attestations or {})


@settings(max_examples=200, deadline=None)
@given(trees, trees, patients)
def test_de_morgan(a: ir.Node, b: ir.Node, patient) -> None:  # type: ignore[no-untyped-def]
    assert verdict(ir.Not(ir.All((a, b))), patient) == verdict(ir.AnyOf((ir.Not(a), ir.Not(b))), patient)
    assert verdict(ir.Not(ir.AnyOf((a, b))), patient) == verdict(ir.All((ir.Not(a), ir.Not(b))), patient)


@settings(max_examples=200, deadline=None)
@given(trees, trees, patients)
def test_commutative_and_double_negation(a: ir.Node, b: ir.Node, patient) -> None:  # type: ignore[no-untyped-def]
    assert verdict(ir.All((a, b)), patient) == verdict(ir.All((b, a)), patient)
    assert verdict(ir.AnyOf((a, b)), patient) == verdict(ir.AnyOf((b, a)), patient)
    assert verdict(ir.Not(ir.Not(a)), patient) == verdict(a, patient)


@settings(max_examples=200, deadline=None)
@given(st.lists(trees, min_size=2, max_size=4), patients)
def test_at_least_bounds(items: list[ir.Node], patient) -> None:  # type: ignore[no-untyped-def]
    xs = tuple(items)
    assert verdict(ir.AtLeast(1, xs), patient) == verdict(ir.AnyOf(xs), patient)
    assert verdict(ir.AtLeast(len(xs), xs), patient) == verdict(ir.All(xs), patient)


def test_unknown_is_not_false() -> None:
    p = parse_patient({"id": "p", "attestations": {}})
    assert verdict(ir.Attestation("a"), p) == "unknown"
    assert verdict(ir.Not(ir.Attestation("a")), p) == "unknown"
    assert verdict(ir.All((ir.Attestation("a"), ir.Review("x", "y"))), p) == "review"
