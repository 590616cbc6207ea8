"""Transformer rules for the time since a treatment ("at least 4 weeks since prior chemotherapy"; one method per
rule of grammars/criteria.lark; mixed into CriteriaTransformer)."""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from lark import Token, Transformer, v_args

from .. import ir, vocab
from ..lexer import phrase_data
from .helpers import Uncompilable, _Longer, _all, _any, _concept_words, _leaves, _purpose, _recovered_from, _timed


@v_args(inline=True)
class SinceRules(Transformer):  # type: ignore[type-arg]
    """Mixed into CriteriaTransformer (screening.compile.transformer)."""

    def since_prior(self, *parts: Any) -> ir.Node:
        toks = [p for p in parts if isinstance(p, Token)]
        cmp = next(t for t in toks if t.type == "CMP")
        topic = toks[:toks.index(cmp)]  # "Chemotherapy:" before the statement
        number, unit = (next(t for t in toks if t.type == k) for k in ("NUMBER", "TIMEUNIT"))
        window = ir.Window(number.value, unit.value)
        events = [p for p in parts if isinstance(p, ir.Node) and not isinstance(p, _Longer)]
        longer = [p.node for p in parts if isinstance(p, _Longer)]  # from since_more
        if any(id(n) in self._treated for n in events):
            return self._since_treated(parts, toks, cmp, window, events, longer)
        named = {m.concept for n in events for m in _leaves(n) if isinstance(m, (ir.Medication, ir.Procedure))}
        if longer and any(isinstance(m, ir.Medication) and m.route for n in events for m in _leaves(n)):
            # "since prior intrathecal chemotherapy (2 weeks for cytarabine)": by that route only, or any?
            raise Uncompilable("a longer wait for some drugs of a statement said of one route")
        if any(t.type in ("DRUG", "PROCEDURE") and not any(t.value in vocab.ancestors(k) for k in named) for t in topic):
            raise Uncompilable("the heading names another treatment than the statement")
        if any(t.type == "BETWEEN" and str(t).lower() != "from" for t in toks):
            raise Uncompilable("a time 'between' what?")
        now = [t for t in toks if t.type == "NEG"]  # "since prior and no concurrent X"
        if now and not any(t.type == "USE" and str(t).lower() in phrase_data()["current_state"]["phrases"] for t in toks):
            raise Uncompilable("'since prior and no ...': no what?")
        if any(isinstance(m, ir.Condition) for n in events for m in _leaves(n)) and (
                any(t.type in ("RECOVERED", "NEG") for t in toks) or longer or _purpose(parts) is not None):
            raise Uncompilable("'since' an illness with more beside it")
        # "at least 6 months since myocardial infarction": the illness (since_cond) dated in that window too
        nodes = [_timed(n, window) if not isinstance(n, (ir.Condition, ir.AnyOf)) or not all(
            isinstance(m, ir.Condition) for m in _leaves(n)) else _any([replace(m, window=window) for m in _leaves(n)])
                 for n in events]
        if (purpose := _purpose(parts)) is not None:  # "since prior biologic therapy for lymphoma"
            nodes = [ir.Judged(purpose, n) for n in nodes]
        recovered = next((t for t in toks if t.type == "RECOVERED"), None)
        if (waived := next((t for t in toks if t.type == "PROGRESSED"), None)) is not None:
            # ", unless evidence of disease progression": no record says it progressed, so a broken wait is a person's
            # call and a kept one meets the demand
            if cmp.value in ("<", "<=") or longer or now or any(
                    isinstance(m, ir.Condition) for n in events for m in _leaves(n)):
                raise Uncompilable("a wait waived on progression, with more beside it")
            nodes = [ir.Judged(str(waived.value), _any(nodes))]
        if cmp.value in (">", ">=") and self.kind == "exclusion":
            # "at least 4 weeks since prior chemotherapy" is a requirement: filed among the exclusions it would
            # exclude those who meet it
            raise Uncompilable("a requirement ('at least ... since') filed among the exclusions")
        if cmp.value in ("<", "<="):  # "no more than 6 weeks since prior surgery": some of it in that window
            if longer or recovered is not None or now:
                raise Uncompilable("'since' with an upper bound on the time and more beside it")
            return _any(nodes)
        if any(m.window is not None and m.window.days < window.days for n in longer for m in _leaves(n)
               if isinstance(m, ir.Medication)):
            raise Uncompilable("a shorter wait for some drugs of the class: an exception the rule cannot state")
        node = _all([ir.Not(_any(nodes)), *longer])
        if now and any(isinstance(m, ir.Procedure) for m in _leaves(node)):
            # a procedure has one date: a course begun before the window may still be going on
            node = _all([node, ir.Not(_any([_timed(n, ir.Window(0)) for n in events]))])
        if recovered is not None:  # "... and recovered": moot without the therapy, a person's call with it
            return _all([node, _recovered_from(_leaves(node), "not recovered from its toxicity")])
        return node

    def since_treated(self, lead: Token, *parts: Any) -> ir.Node:
        """"Since prior treatment for melanoma": only a patient who has (had) melanoma can have been treated for it."""
        keys = [k for t in parts if isinstance(t, Token) and t.type in ("CONDITION", "CGROUP")
                for k in ((t.value,) if t.type == "CONDITION" else t.value)]
        node = ir.Judged(str(lead.value), _any([ir.Condition(k) for k in keys]))
        self._treated.add(id(node))
        return node

    def _since_treated(self, parts: tuple[Any, ...], toks: list[Token], cmp: Token, window: ir.Window,
                       events: list[ir.Node], longer: list[ir.Node]) -> ir.Node:
        """"At least 30 days since prior treatment for melanoma": none in that window. The record names no such
        treatment: without the illness ever, none (decided); with it, when it was last treated a person checks."""
        if len(events) != 1 or longer or _purpose(parts) is not None or toks[0] is not cmp or any(
                t.type in ("RECOVERED", "NEG", "PROGRESSED", "BETWEEN") for t in toks):
            raise Uncompilable("'since' a treatment no vocabulary names, with more beside it")
        if cmp.value in (">", ">=") and self.kind == "exclusion":
            raise Uncompilable("a requirement ('at least ... since') filed among the exclusions")
        event = events[0]
        assert isinstance(event, ir.Judged)
        n = window.amount
        what = " or ".join(_concept_words(c.concept) for c in _leaves(event.item) if isinstance(c, ir.Condition))
        judged = ir.Judged(f"{event.qualifier.removesuffix(' for')} for {what} within {n:g} {window.unit}{'' if n == 1 else 's'}",
                           event.item)
        return judged if cmp.value in ("<", "<=") else ir.Not(judged)

    def since_more(self, *parts: Token | None) -> ir.Node:
        """"(6 weeks for nitrosoureas or mitomycin C; 8 weeks for suramin)": each wait for the drugs after it."""
        meds: list[ir.Node] = []
        window = None
        toks = [t for t in parts if isinstance(t, Token)]
        for i, t in enumerate(toks):
            if t.type == "NUMBER":
                window = ir.Window(t.value, toks[i + 1].value)
            elif t.type == "DRUG":
                meds.append(ir.Medication(t.value, window))
        return _Longer(ir.Not(_any(meds)))
