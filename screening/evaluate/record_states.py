"""What a record shows of a condition or a procedure outside the list a criterion reads (a mixin of the Builder): a
state a lab value defines (hyperkalemia: a potassium above its range) that no problem list names, and an ongoing
procedure a condition entry states (dialysis dependence: dialysis now). Data-driven (record_values.toml
[lab_states], [procedures_from_states])."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from .. import ir, units
from ..patient import Obs, Patient, record_values
from .dates import Context, window_start
from .outcome import MET, NOT_MET, UNKNOWN, Check, Outcome, _NOW, _Reasons, _concept_name
from .records import observations_of


@lru_cache(maxsize=1)
def lab_states() -> dict[str, dict[str, str]]:
    """condition -> {quantity: "high" | "low"}: the side of the reference range a value showing it lies beyond."""
    return {k: dict(v) for k, v in record_values()["lab_states"].items()}


@lru_cache(maxsize=1)
def procedures_from_states() -> dict[str, dict[str, Any]]:
    """procedure -> {"shown_by": conditions that show it going on now, "maybe_by": conditions that may mean it}."""
    return dict(record_values()["procedures_from_states"])


def _beyond(x: Obs, side: str, healthy: Any) -> bool:
    """The value lies beyond the reference limit on ``side`` (the record's own limit, else the healthy interval)."""
    if x.value is None:
        return False
    fallback = healthy if isinstance(healthy, tuple) else (None, None)
    if side == "high":
        limit = x.uln if x.uln is not None else fallback[1]
        return limit is not None and x.value > limit
    limit = x.lln if x.lln is not None else fallback[0]
    return limit is not None and x.value < limit


class StateChecks:
    """``_lab_state`` and ``_procedure_from_state`` for the Builder (which provides ``_simple_event``)."""

    def _lab_state(self, node: ir.Condition, listed: Check) -> Check:
        """"Hyperkalemia" with no entry for it and a potassium above the range: the record may show it (unknown)."""
        sides = lab_states()[node.concept]
        window = node.window
        now_only = window is not None and window.amount == 0
        name = _concept_name(node.concept)

        def shown(p: Patient, c: Context) -> Obs | None:
            for key, side in sides.items():
                q = units.get_quantity(key)
                series = [x for x in observations_of(p, key, c) if x.day is not None and x.day <= c.day
                          and x.value is not None]
                if window is None:
                    seen = series
                elif now_only:  # the newest recent value: an older one beyond the range may have passed
                    seen = series[:1] if series and (q.max_age_days is None
                                                     or c.day - series[0].day <= q.max_age_days) else []
                else:
                    lo = window_start(c, window)
                    seen = [x for x in series if x.day >= lo]
                hit = next((x for x in seen if _beyond(x, side, q.healthy)), None)
                if hit is not None:
                    return hit
            return None

        def check(p: Patient, c: Context) -> Outcome:
            o = listed(p, c)
            if o.verdict != NOT_MET:
                return o
            x = shown(p, c)
            if x is None:
                return o
            return Outcome(UNKNOWN, "{}: beyond the reference range, which may be {} (seldom listed as a condition, so "
                           "no entry for it does not rule it out)", (x.summary, name.lower()), (x.path,))
        return check

    def _procedure_from_state(self, node: ir.Procedure, listed: Check) -> Check:
        """"Currently undergoing dialysis" and a "dialysis dependence" entry with no procedures list entry: the
        condition states the procedure going on (met), or may mean it (unknown). For a procedure now only."""
        row = procedures_from_states()[node.concept]
        sure = [self._simple_event("conditions", k, _NOW) for k in row.get("shown_by", ())]  # type: ignore[attr-defined]
        maybe = [self._simple_event("conditions", k, _NOW) for k in row.get("maybe_by", ())]  # type: ignore[attr-defined]
        name = _concept_name(node.concept).lower()

        def check(p: Patient, c: Context) -> Outcome:
            o = listed(p, c)
            if o.verdict == MET:
                return o
            for f in sure:  # only an entry that is one counts: an unrecognised one says nothing of a procedure
                if (s := f(p, c)).verdict == MET:
                    return Outcome(MET, "{} (so {} now)", (_Reasons([s]), name), s.evidence)
            if o.verdict != NOT_MET:
                return o
            for f in maybe:
                if (s := f(p, c)).verdict == MET:
                    return Outcome(UNKNOWN, "{}: may mean {} now", (_Reasons([s]), name), s.evidence)
            return o
        return check
