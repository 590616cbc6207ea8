"""Checks of measurements and test results (a mixin of the Builder): a threshold against the newest recent-enough
value or every value in a window, at the precision it was reported with; a value beyond a lab's reporting limit; a
limit relative to the reference range; a lower bound proved by another quantity; a grade no record lists; a test
result, and what a condition or a patient who cannot conceive says of it."""
from __future__ import annotations

from typing import Callable

from .. import ir, units
from ..patient import Obs, Patient
from .dates import Context, _age_signs, window_start
from .outcome import (AT_LIMIT, MET, NOT_MET, UNKNOWN, Check, Outcome, _AtLimit, _Joined, _LazyAge, _NEAR_OPS,
                      _OP_TEXT, _OPS, _at_limit, _window_text, cannot_conceive, censored_holds)
from .extremes import extreme_check
from .records import graded_by_conditions, lower_bounds, observations_of, ungraded


class MeasureChecks:
    """``_build_Measure`` and ``_build_TestResult`` for the Builder."""

    # --- measurements --------------------------------------------------------------------------

    def _build_Measure(self, node: ir.Measure) -> Check:
        cmp = _NEAR_OPS[node.op]
        threshold = node.value
        q = units.get_quantity(node.quantity)
        name = q.name
        ref = node.unit if node.unit in ("ULN", "LLN") else None
        wanted = f"{_OP_TEXT[node.op]} {units.format_quantity(threshold, node.unit)}"
        if node.quantity == "age":
            months = threshold * 12
            whole_months = round(months) if abs(months - round(months)) < 1e-6 else None
            # "age <= 65" may mean exact age or completed years (through the day before the 66th
            # birthday); both readings must agree. They always do for >= and <.
            completed = threshold == int(threshold) and node.op in ("<=", ">", "==")
            op_cmp = _OPS[node.op]

            def check_age(p: Patient, c: Context) -> Outcome:
                signs = _age_signs(p, c.as_of, threshold, whole_months, completed)
                if signs is None:
                    if p.birth_date is None and p.age is None:
                        return Outcome(UNKNOWN, "no birth date or age in the record")
                    return Outcome(UNKNOWN, "the record's birth date or age is after the screening date")
                held = {op_cmp(x, 0) for x in signs}
                a = _LazyAge(p, c)
                evidence = ("birth_date" if p.birth_date else "age",)
                if len(held) > 1:  # an age in whole years, a 29 February birthday, exact vs completed years
                    return Outcome(UNKNOWN, "age about {:.1f} years: cannot tell whether it is {}", (a, wanted), evidence)
                ok = held == {True}
                return Outcome(MET if ok else NOT_MET, "age {:.2f} years {} {}", (a, "is" if ok else "is not", wanted),
                               evidence)
            return check_age
        period = node.period and node.window is not None
        max_age = q.max_age_days
        wtext = _window_text(node.window)

        def reference(o: Obs) -> float | None:
            """The reference limit a threshold "x ULN" multiplies, in the value's own unit (no rounding between them)."""
            return o.uln if ref == "ULN" else o.lln

        def compare(o: Obs) -> bool | None | _AtLimit:
            if o.value is None:
                if o.bound is None:
                    return None
                limit = 1.0 if ref is None else reference(o)
                return None if limit is None else censored_holds(o.bound_op, o.bound, node.op, threshold * limit)  # type: ignore[arg-type]
            if ref is None:
                if o.step is not None and abs(o.value - threshold) <= o.scale * o.step and _at_limit(o, threshold):  # type: ignore[operator]
                    return AT_LIMIT
                return cmp(o.value, threshold)
            limit = reference(o)
            return None if limit is None else cmp(o.value, threshold * limit)

        def at_limit(o: Obs) -> Outcome:
            shown = units.format_quantity(units.from_canonical(o.value, q.unit, node.quantity), q.unit)  # type: ignore[arg-type]
            return Outcome(UNKNOWN, "{} (= {}) is at the limit {} to the precision it was reported with: "
                           "cannot tell which side", (o.summary, shown, wanted), (o.path,))

        if node.extreme is not None:  # "Nadir CD4 count > 200": one side from the values, the other from a stated nadir
            return extreme_check(node, compare, wanted, at_limit, observations_of)

        def check(p: Patient, c: Context) -> Outcome:
            series = observations_of(p, node.quantity, c)
            if period:  # "at any time during the preceding 3 months": every value in it counts
                lo = window_start(c, node.window)  # type: ignore[arg-type]
                inside = [o for o in series if o.day is not None and lo <= o.day <= c.day]
                # an undated value may lie in the window: it can neither prove nor rule it out
                undated = [o for o in series if o.day is None and o.value is not None]
                if not inside:
                    if undated:
                        return Outcome(UNKNOWN, "{}: undated, may or may not be{}", (undated[0].summary, wtext),
                                       tuple(o.path for o in undated))
                    return Outcome(UNKNOWN, "no {} in the record{}", (name, wtext))
                results = [(o, compare(o)) for o in inside]
                hits = [o for o, r in results if r is True]
                if hits:
                    return Outcome(MET, "{} {}", (hits[0].summary, wanted), (hits[0].path,))
                near = [o for o, r in results if r is AT_LIMIT]
                if near:
                    return at_limit(near[0])
                if any(r is None for _, r in results):
                    return Outcome(UNKNOWN, "{}: no reference range to compare with {}", (name, wanted),
                                   tuple(o.path for o in inside))
                if undated:
                    return Outcome(UNKNOWN, "no dated {}{} is {}; {} is undated", (name, wtext, wanted,
                                   undated[0].summary), tuple(o.path for o in inside + undated))
                return Outcome(NOT_MET, "no {}{} is {} ({})", (name, wtext, wanted, _Joined(inside)),
                               tuple(o.path for o in inside))
            fresh_from = window_start(c, node.window) if node.window is not None else None
            for o in series:  # newest first
                if o.day is None or o.day > c.day:
                    continue
                if fresh_from is not None and o.day < fresh_from:  # "Hb >= 8 g/dL within 14 days": the newest in it
                    return Outcome(UNKNOWN, "newest {} ({}) is not{}", (name, o.summary, wtext), (o.path,))
                if fresh_from is None and max_age is not None and c.day - o.day > max_age:
                    return Outcome(UNKNOWN, "newest {} ({}) is older than {} days", (name, o.summary, max_age), (o.path,))
                r = compare(o)
                same_day = [x for x in series if x.day == o.day and x is not o]
                if same_day and any(compare(x) != r for x in same_day):  # two readings that day: which one holds?
                    return Outcome(UNKNOWN, "values of {} on the same day disagree about {}: {}",
                                   (name, wanted, _Joined([o, *same_day])), tuple(x.path for x in (o, *same_day)))
                if r is None:
                    if o.bound is not None and (ref is None or reference(o) is not None):
                        return Outcome(UNKNOWN, "{}: beyond the limit the lab reports: cannot tell whether it is {}",
                                       (o.summary, wanted), (o.path,))
                    why = "no value" if o.value is None and o.bound is None else "no reference range recorded"
                    return Outcome(UNKNOWN, "{}: {} to compare with {}", (o.summary, why, wanted), (o.path,))
                if r is AT_LIMIT:
                    return at_limit(o)
                if fresh_from is not None and (undated := [x for x in series if x.day is None and x.value is not None
                                                           and compare(x) != r]):
                    return Outcome(UNKNOWN, "{} {} {}, but {} is undated and may be newer", (o.summary, "is" if r else
                                   "is not", wanted, undated[0].summary), (o.path, undated[0].path))
                return Outcome(MET if r else NOT_MET, "{} {} {}", (o.summary, "is" if r else "is not", wanted), (o.path,))
            if series and fresh_from is not None and series[-1].day is None and series[-1].value is not None:
                return Outcome(UNKNOWN, "{}: undated, may or may not be{}", (series[-1].summary, wtext), (series[-1].path,))
            if series and fresh_from is None and max_age is None and series[-1].day is None:  # never stale: undated will do
                o = series[-1]
                r = compare(o)
                if r is AT_LIMIT:
                    return at_limit(o)
                if r is not None:
                    return Outcome(MET if r else NOT_MET, "{} {} {}", (o.summary, "is" if r else "is not", wanted), (o.path,))
            return Outcome(UNKNOWN, "no {} in the record", (name,))
        bounds = lower_bounds().get(node.quantity, ()) if node.op in (">=", ">") and ref is None and not node.window else ()
        check = self._bounded_below(check, node.quantity, bounds, compare, wanted) if bounds else check
        graded, below = graded_by_conditions().get(node.quantity, (frozenset(), None))
        if below is not None and ref is None and not node.window and (
                node.op == ">=" and threshold >= below or node.op == ">" and threshold >= below - 1):
            return self._ungraded(check, node.quantity, graded, wanted)
        return check

    @staticmethod
    def _ungraded(own: Check, own_key: str, graded: frozenset[str], wanted: str) -> Check:
        """"NYHA class >= 2" with no NYHA class recorded: a complete conditions list, all recognised, with no heart
        disease shows none (record_values.toml [graded_by_conditions])."""
        name = units.get_quantity(own_key).name

        def check(p: Patient, c: Context) -> Outcome:
            out = own(p, c)
            if out.verdict != UNKNOWN or any(o.value is not None for o in p.observations.get(own_key, ())):
                return out
            if ungraded(p, graded):
                return Outcome(NOT_MET, "no {} {}: the conditions list names no disease it grades", (name, wanted))
            return out
        return check

    @staticmethod
    def _bounded_below(own: Check, own_key: str, bounds: tuple[str, ...] | list[str],
                       compare: Callable[[Obs], object], wanted: str) -> Check:
        """"Granulocytes >= 1500/uL" with no granulocyte count: an ANC that meets it proves it (granulocytes hold the
        neutrophils); one that does not proves nothing."""
        def check(p: Patient, c: Context) -> Outcome:
            out = own(p, c)
            if out.verdict != UNKNOWN or any(o.value is not None for o in p.observations.get(own_key, ())):
                return out
            for key in bounds:
                max_age = units.get_quantity(key).max_age_days
                series = [o for o in observations_of(p, key, c) if o.day is not None and o.day <= c.day]
                if not series or (max_age is not None and c.day - series[0].day > max_age):
                    continue
                day = [o for o in series if o.day == series[0].day]
                if all(compare(o) is True for o in day):
                    return Outcome(MET, "{} {}, and the {} holds it", (day[0].summary, wanted, units.get_quantity(own_key).name),
                                   tuple(o.path for o in day))
            return out
        return check

    def _build_TestResult(self, node: ir.TestResult) -> Check:
        tested = self._test_result(node)
        if node.analyte == "pregnancy_test":
            # no result, and a patient who cannot be pregnant (a man, or a woman the record puts outside childbearing
            # potential): no positive test is possible, and a demanded negative one is what she would have
            verdict, label = (NOT_MET, "no positive pregnancy test possible") if node.result == "positive" \
                else (MET, "cannot be pregnant, so no pregnancy test is needed")

            def no_pregnancy(p: Patient, c: Context) -> Outcome:
                o = tested(p, c)
                if o.verdict != UNKNOWN:
                    return o
                why = cannot_conceive(p, c, outside)
                return o if why is None else Outcome(verdict, label + ": {}", (why[0],), why[1])
            outside = self._outside_childbearing()  # type: ignore[attr-defined]
            return no_pregnancy
        shows = units.get_quantity(node.analyte).shows
        if shows is None:
            return tested
        want = MET if node.result == "positive" else NOT_MET

        def check(p: Patient, c: Context) -> Outcome:
            """No result in the record, but the condition the test shows is going on: the test would be positive."""
            o = tested(p, c)
            if o.verdict != UNKNOWN or not p.conditions:
                return o
            present = [e for e in p.conditions if e.keys is not None and shows in e.keys and e.ongoing
                       and (e.start is None or e.start <= c.day)]
            if present:
                return Outcome(want, "{} (so the test is positive)", (_Joined(present),), tuple(e.path for e in present))
            return o
        return check

    def _test_result(self, node: ir.TestResult) -> Check:
        q = units.get_quantity(node.analyte)
        name, want = q.name, node.result
        window_days = node.window.days if node.window else q.max_age_days
        limit_text = _window_text(node.window) if node.window else (f" within {q.max_age_days} days" if q.max_age_days else "")

        def check(p: Patient, c: Context) -> Outcome:
            for o in p.observations.get(node.analyte, ()):
                if o.day is None or o.day > c.day:
                    continue
                if window_days is not None and c.day - o.day > window_days:
                    break
                if o.result is None:
                    return Outcome(UNKNOWN, "{}: no result recorded", (o.summary,), (o.path,))
                same_day = [x for x in p.observations[node.analyte] if x.day == o.day and x is not o]
                if any(x.result != o.result for x in same_day):
                    return Outcome(UNKNOWN, "results of {} on the same day disagree: {}", (name, _Joined([o, *same_day])),
                                   tuple(x.path for x in (o, *same_day)))
                return Outcome(MET if o.result == want else NOT_MET, "{}", (o.summary,), (o.path,))
            return Outcome(UNKNOWN, "no {} result in the record{}", (name, limit_text))
        return check
