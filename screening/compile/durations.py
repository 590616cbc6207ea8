"""How long a condition has lasted, or how recent it is, read from a time written after it (the lexer's LASTING "for":
"type 2 diabetes for at least 1 year", "RA of at least 6 months duration", "HIV infection < 6 months", "No myocardial
infarction <6 months"). The readings, by the comparison and the kind of condition:

- at least / more than a time, of a lasting condition: present now and begun that long before (ir.Condition.lasting);
- at most / less than, of a lasting condition: begun within that time (ir.Condition.diagnosed with the window);
- at most / less than, of an acute event (a myocardial infarction, a stroke, unstable angina): it happened within that
  time (a look-back window, as "within 6 months" is);
- anything else (at least a time after an event; "malignancy < 5 years", a look-back or a diagnosis?): None, and the
  caller keeps the cautious reading (ir.Judged on the condition ever).

Negated ("no type 2 diabetes for at least 1 year": free of it that long, or not had it that long?) only the event's
window stands: the caller keeps the cautious reading of the others (CriteriaTransformer._not)."""
from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

from .. import ir, vocab
from ..patient import event_days, is_event
from ..patient.entries import _procedure_courses


@lru_cache(maxsize=1)
def _tables() -> tuple[frozenset[str], frozenset[str]]:
    data = _procedure_courses()["duration_events"]
    return frozenset(data["keys"]), frozenset(data["lookback"])


def _event(concept: str) -> bool:
    leaves = frozenset({concept})
    return is_event(leaves) or event_days(leaves) is not None or not _tables()[0].isdisjoint(vocab.ancestors(concept))


def _lookback(concept: str) -> bool:
    return not _tables()[1].isdisjoint(vocab.ancestors(concept))


def lasting_reading(node: ir.Node, op: str, amount: float, unit: str) -> tuple[ir.Node, bool] | None:
    """``node`` (the conditions read, ever) as lasting ``op amount unit``, and whether the reading is a look-back window
    after events (which a negation keeps); None when a condition in it has no clear reading."""
    leaves = [n for n in ir.walk(node) if not ir.children(n)]
    if not leaves or not all(isinstance(n, ir.Condition) and n.window is None and not n.diagnosed and n.lasting is None
                             for n in leaves):
        return None
    events = {_event(n.concept) for n in leaves}  # type: ignore[attr-defined]
    if len(events) != 1:
        return None  # "diabetes or stroke for less than 1 year": two readings in one
    event = events.pop()
    window = ir.Window(amount, unit)
    if op in (">=", ">"):
        if event:
            return None  # "stroke > 6 months": since it happened, or how long it lasted?
        duration = ir.Duration(op, amount, unit)
        return ir.map_leaves(node, lambda n: replace(n, lasting=duration)), False
    if event:
        return ir.map_leaves(node, lambda n: replace(n, window=window)), True
    if any(_lookback(n.concept) for n in leaves):  # type: ignore[attr-defined]
        return None
    return ir.map_leaves(node, lambda n: replace(n, window=window, diagnosed=True)), False
