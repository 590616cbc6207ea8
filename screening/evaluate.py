"""Evaluate compiled rules against a patient: Kleene three-valued logic plus ``review``.

Each IR node is turned once into a closure (``_build_<Node>``), with its operator, thresholds,
display names and window lengths bound at build time; evaluating a patient is then plain number
and set comparisons. Reasons are kept as (template, args) and formatted only when read.

Longer than the other modules on purpose: one builder per IR node kind, each with the record semantics
it needs (windows, courses, stale values, tests that show conditions) beside it.
"""
from __future__ import annotations

import calendar
import datetime as dt
import operator
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, Callable

from . import ir, units, vocab
from .patient import Entry, Obs, Patient, medication_use, parse_patient, record_routes, record_values, route_members

MET, NOT_MET, UNKNOWN, REVIEW = "met", "not_met", "unknown", "review"
ELIGIBLE, INELIGIBLE, NEEDS_REVIEW = "eligible", "ineligible", "needs_review"
_OPS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq}
_OP_TEXT = {"<": "<", "<=": "≤", ">": ">", ">=": "≥", "==": "="}
# Comparisons of converted quantities (a value against a multiple of its reference limit, a dose in
# prednisone equivalents per kilogram) carry binary noise: 1.5 × 0.3 mg/dL is not exactly 0.45 mg/dL.
# Values within a relative 1e-9 of each other are equal (records and thresholds carry <= 12 digits).
_REL = 1e-9


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= _REL * max(abs(a), abs(b))


_NEAR_OPS: dict[str, Callable[[float, float], bool]] = {
    "<": lambda a, b: a < b and not _close(a, b), "<=": lambda a, b: a <= b or _close(a, b),
    ">": lambda a, b: a > b and not _close(a, b), ">=": lambda a, b: a >= b or _close(a, b),
    "==": lambda a, b: a == b or _close(a, b)}
class _AtLimit:
    """A value that, read to the precision it was reported with, may lie on either side of a limit written in
    another unit: creatinine "221 µmol/L" is 220.5-221.5 µmol/L, and "< 2.5 mg/dL" is < 221.05 µmol/L."""


AT_LIMIT = _AtLimit()


def _at_limit(o: Obs, limit: float) -> bool:
    """The limit, in the unit the value was reported in, is no value that unit's step can show, and lies
    within half a step of the reported value. (A limit the step can show is compared exactly: "2.5 mg/dL"
    against "< 2.5 mg/dL" is not below it; so is any limit against a value written to seven or more significant
    digits, which no lab reports: a converted or computed number.)"""
    steps = limit / o.scale / o.step  # type: ignore[operator]
    if abs(steps - round(steps)) <= 1e-6 * max(1.0, abs(steps)):
        return False
    # strictly inside half a step: "0.3" (0.25-0.35) against ">= 0.25" is decided, its lowest reading is the limit
    return abs(o.value / o.scale / o.step - steps) < 0.5 - 1e-9  # type: ignore[operator, operator]


_NOW = ir.Window(0)
_NEGATE = {MET: NOT_MET, NOT_MET: MET, UNKNOWN: UNKNOWN, REVIEW: REVIEW}


class Outcome:
    """A verdict with a lazily formatted reason and the record entries it used.

    Combined outcomes keep their parts and build reason and evidence only when read, so a cohort
    screened for status alone never formats a string.
    """

    __slots__ = ("verdict", "template", "args", "_evidence", "parts")

    def __init__(self, verdict: str, template: str, args: tuple[Any, ...] = (), evidence: tuple[str, ...] = (),
                 parts: list["Outcome"] | None = None):
        self.verdict = verdict
        self.template = template
        self.args = args
        self._evidence = evidence
        self.parts = parts

    @property
    def reason(self) -> str:
        if self.parts is not None and not self.args:
            return "; ".join(o.reason for o in self.parts)
        return self.template.format(*(a.reason if isinstance(a, _Reasons) else a for a in self.args)) \
            if self.args else self.template

    @property
    def evidence(self) -> tuple[str, ...]:
        return _ev(self.parts) if self.parts is not None else self._evidence

    def __repr__(self) -> str:
        return f"Outcome({self.verdict!r}, {self.reason!r})"


class _Joined:
    """The summaries of record entries, joined when a reason is read."""

    __slots__ = ("entries",)

    def __init__(self, entries: list[Any]) -> None:
        self.entries = entries

    def __format__(self, spec: str) -> str:
        return ", ".join(e.summary for e in self.entries)


class _LazyAge:
    """The age shown in a reason, computed when the reason is read."""

    __slots__ = ("p", "c")

    def __init__(self, p: Patient, c: "Context") -> None:
        self.p, self.c = p, c

    def __format__(self, spec: str) -> str:
        return format(age_years(self.p, self.c) or 0.0, spec)


class _Reasons:
    """The reasons of several outcomes, joined when a reason is read."""

    __slots__ = ("outs",)

    def __init__(self, outs: list[Outcome]) -> None:
        self.outs = outs

    @property
    def reason(self) -> str:
        return "; ".join(o.reason for o in self.outs)


@dataclass(frozen=True, slots=True)
class Context:
    """The screening date, as a date and as an ordinal."""

    as_of: dt.date
    day: int


Check = Callable[[Patient, Context], Outcome]


def window_start(c: Context, w: ir.Window) -> float:
    """First day (ordinal) of a look-back window: calendar months and years ("within 6 months" of
    2026-01-15 starts on 2025-07-15), days and weeks counted as days."""
    return _calendar_start(c.day, w.amount, w.unit)


@lru_cache(maxsize=4096)
def _calendar_start(day: int, amount: float, unit: str) -> float:
    if unit in ("month", "year") and amount == int(amount):
        months = int(amount) * (12 if unit == "year" else 1)
        d = dt.date.fromordinal(day)
        y, m = divmod(d.year * 12 + d.month - 1 - months, 12)
        month = m + 1
        dim = (dt.date(y + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
        return dt.date(y, month, min(d.day, dim)).toordinal()
    return day - amount * ir.WINDOW_UNITS[unit]


def _window_text(w: ir.Window | None) -> str:
    if w is None:
        return ""
    if w.amount == 0:
        return " now"
    bound = f"{w.bound.replace('_', ' ')} " if w.bound else ""
    return f" within {bound}{w.amount:g} {w.unit}{'' if w.amount == 1 else 's'}"


def _concept_name(key: str) -> str:
    try:
        return vocab.get_concept(key).name
    except Exception:  # noqa: BLE001 - a name for display only
        return key.replace("_", " ")


def age_years(p: Patient, ctx: Context) -> float | None:
    """Exact age: completed years plus the fraction of the current year of life."""
    if p.birth_date is not None:
        b, d = p.birth_date, ctx.as_of
        years = d.year - b.year - ((d.month, d.day) < (b.month, b.day))
        last = _anniversary(b, b.year + years)
        nxt = _anniversary(b, b.year + years + 1)
        return years + (d - last).days / (nxt - last).days
    if p.age is not None:
        if p.as_of is not None:
            return p.age + (ctx.as_of - p.as_of).days / 365.25
        return p.age
    return None


def _sign(x: float) -> int:
    return 0 if abs(x) <= 1e-9 else (1 if x > 0 else -1)


def _add_months(d: dt.date, months: int) -> tuple[dt.date, ...]:
    """``d`` plus whole calendar months; a day the target month lacks (29 February in a common year,
    the 31st) gives both readings: the month's last day and the next month's first."""
    y, m = divmod(d.year * 12 + d.month - 1 + months, 12)
    try:
        return (dt.date(y, m + 1, d.day),)
    except ValueError:
        first_next = dt.date(y + (m + 1) // 12, (m + 1) % 12 + 1, 1)
        return (first_next - dt.timedelta(days=1), first_next)


def _birth_signs(b: dt.date, d: dt.date, years: float, whole_months: int | None) -> set[int]:
    """Possible signs of (age on ``d`` - ``years``) for birth date ``b``: by the calendar when the
    threshold is a whole number of months (18 months is reached on the 18-month anniversary)."""
    if whole_months is None:
        years_done = d.year - b.year - ((d.month, d.day) < (b.month, b.day))
        last, nxt = _anniversary(b, b.year + years_done), _anniversary(b, b.year + years_done + 1)
        return {_sign(years_done + (d - last).days / (nxt - last).days - years)}
    # calendar months from b's month to d's month; the anniversary falls on b's day of the month
    months = (d.year - b.year) * 12 + d.month - b.month
    if months < whole_months:
        return {-1}
    if months == whole_months:
        if b.day <= 28 or b.day <= calendar.monthrange(d.year, d.month)[1]:
            return {(d.day > b.day) - (d.day < b.day)}
        last = calendar.monthrange(d.year, d.month)[1]  # no such day: the last day or the next first
        return {-1} if d.day < last else {-1, 0}
    if months == whole_months + 1 and d.day == 1 and b.day > 28:
        prev = d - dt.timedelta(days=1)
        if b.day > prev.day:
            return {0, 1}
    return {1}


def _age_signs(p: Patient, d: dt.date, years: float, whole_months: int | None,
               completed: bool) -> set[int] | None:
    """Every sign (age - threshold) may have on ``d`` given the record: a birth date is exact; an age
    in whole years is completed years on the record's date (so a range of birth dates); a
    fractional age is exact. With ``completed`` the completed-years reading counts too. None when the
    record has no age or puts the birth after ``d``."""
    if p.birth_date is not None:
        births: tuple[dt.date, ...] = (p.birth_date,)
    elif p.age is not None and p.age == int(p.age):
        on = p.as_of or d
        n = int(p.age)
        latest = _add_months(on, -12 * n)[0]                       # turned n on the record's date
        earliest = _add_months(on, -12 * (n + 1))[0] + dt.timedelta(days=1)  # turns n + 1 the day after
        births = (earliest, latest)
    elif p.age is not None:
        a = p.age + ((d - p.as_of).days / 365.25 if p.as_of is not None else 0.0)
        if a < 0:
            return None
        out = {_sign(a - years)}
        if completed:
            out.add(_sign(int(a) - years))
        return out
    else:
        return None
    if births[0] > d:
        return None
    out: set[int] = set()
    for b in births:
        if b > d:  # the youngest reading is not born yet: younger than any threshold
            out.add(-1)
            continue
        out |= _birth_signs(b, d, years, whole_months)
        if completed:  # completed years n: below t before the t-th birthday, above from the (t+1)-th
            for s_t in _birth_signs(b, d, years, whole_months):
                for s_next in _birth_signs(b, d, years + 1, None if whole_months is None else whole_months + 12):
                    out.add(-1 if s_t < 0 else 1 if s_next >= 0 else 0)
    if len(births) > 1 and out:
        out = set(range(min(out), max(out) + 1))
    return out


def _anniversary(b: dt.date, year: int) -> dt.date:
    try:
        return b.replace(year=year)
    except ValueError:  # 29 February
        return dt.date(year, 3, 1)


def _combine_undecided(outcomes: list[Outcome]) -> str:
    return REVIEW if any(o.verdict == REVIEW for o in outcomes) else UNKNOWN


class Builder:
    """Turns IR nodes into closures; dispatch by node class, resolved once per node. ``kind`` is the kind
    (inclusion/exclusion) of the criterion being built: a permission is neutral for it."""

    kind: str = "inclusion"

    def build(self, node: ir.Node) -> Check:
        return getattr(self, "_build_" + type(node).__name__)(node)

    # --- logic ---------------------------------------------------------------------------------

    def _build_All(self, node: ir.All) -> Check:
        return self._junction(node.items, decisive=NOT_MET, passing=MET)

    def _build_AnyOf(self, node: ir.AnyOf) -> Check:
        return self._junction(node.items, decisive=MET, passing=NOT_MET)

    def _junction(self, items: tuple[ir.Node, ...], decisive: str, passing: str) -> Check:
        """Kleene AND (one not_met decides) and OR (one met decides) are the same shape, mirrored."""
        parts = tuple(self.build(n) for n in items)

        def check(p: Patient, c: Context) -> Outcome:
            outs = [f(p, c) for f in parts]
            hits = [o for o in outs if o.verdict == decisive]
            if hits:
                return Outcome(decisive, "", parts=hits)
            open_ = [o for o in outs if o.verdict != passing]
            if open_:
                return Outcome(_combine_undecided(open_), "", parts=open_)
            return Outcome(passing, "", parts=outs)
        return check

    def _build_AtLeast(self, node: ir.AtLeast) -> Check:
        parts = tuple(self.build(n) for n in node.items)
        n = node.n

        def check(p: Patient, c: Context) -> Outcome:
            outs = [f(p, c) for f in parts]
            hits = [o for o in outs if o.verdict == MET]
            open_ = [o for o in outs if o.verdict in (UNKNOWN, REVIEW)]
            if len(hits) >= n:
                return Outcome(MET, "{} of {} hold (at least {} needed): {}",
                               (len(hits), len(outs), n, _Reasons(hits)), parts=hits)
            if len(hits) + len(open_) < n:
                return Outcome(NOT_MET, "only {} of {} hold (at least {} needed)", (len(hits), len(outs), n), parts=outs)
            return Outcome(_combine_undecided(open_), "{} of {} hold, {} undecided (at least {} needed): {}",
                           (len(hits), len(outs), len(open_), n, _Reasons(open_)), parts=open_)
        return check

    def _build_Not(self, node: ir.Not) -> Check:
        inner = self.build(node.item)

        def check(p: Patient, c: Context) -> Outcome:
            o = inner(p, c)
            return Outcome(_NEGATE[o.verdict], o.template, o.args, o._evidence, o.parts)
        return check

    def _build_Judged(self, node: ir.Judged) -> Check:
        inner = self.build(node.item)
        qualifier = node.qualifier

        def check(p: Patient, c: Context) -> Outcome:
            o = inner(p, c)
            if o.verdict != MET:  # without the fact the qualified statement cannot hold
                return o
            return Outcome(REVIEW, "{}; whether that is '{}' needs a person", (_Reasons([o]), qualifier), parts=[o])
        return check

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
        window_days = node.window.days if node.window else None
        max_age = q.max_age_days
        wtext = _window_text(node.window)

        def compare(o: Obs) -> bool | None | _AtLimit:
            if o.value is None:
                return None
            if ref is None:
                if o.step is not None and abs(o.value - threshold) <= o.scale * o.step and _at_limit(o, threshold):  # type: ignore[operator]
                    return AT_LIMIT
                return cmp(o.value, threshold)
            limit = o.uln if ref == "ULN" else o.lln  # in the value's own unit: no rounding between them
            return None if limit is None else cmp(o.value, threshold * limit)

        def at_limit(o: Obs) -> Outcome:
            shown = units.format_quantity(units.from_canonical(o.value, q.unit, node.quantity), q.unit)  # type: ignore[arg-type]
            return Outcome(UNKNOWN, "{} (= {}) is at the limit {} to the precision it was reported with: "
                           "cannot tell which side", (o.summary, shown, wanted), (o.path,))

        def check(p: Patient, c: Context) -> Outcome:
            series = observations_of(p, node.quantity, c)
            if window_days is not None:
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
            for o in series:  # newest first
                if o.day is None or o.day > c.day:
                    continue
                if max_age is not None and c.day - o.day > max_age:
                    return Outcome(UNKNOWN, "newest {} ({}) is older than {} days", (name, o.summary, max_age), (o.path,))
                r = compare(o)
                if r is None:
                    why = "no value" if o.value is None else "no reference range recorded"
                    return Outcome(UNKNOWN, "{}: {} to compare with {}", (o.summary, why, wanted), (o.path,))
                if r is AT_LIMIT:
                    return at_limit(o)
                return Outcome(MET if r else NOT_MET, "{} {} {}", (o.summary, "is" if r else "is not", wanted), (o.path,))
            if series and max_age is None and series[-1].day is None:  # never stale: an undated value will do
                o = series[-1]
                r = compare(o)
                if r is AT_LIMIT:
                    return at_limit(o)
                if r is not None:
                    return Outcome(MET if r else NOT_MET, "{} {} {}", (o.summary, "is" if r else "is not", wanted), (o.path,))
            return Outcome(UNKNOWN, "no {} in the record", (name,))
        return check

    def _build_TestResult(self, node: ir.TestResult) -> Check:
        tested = self._test_result(node)
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
                return Outcome(MET if o.result == want else NOT_MET, "{}", (o.summary,), (o.path,))
            return Outcome(UNKNOWN, "no {} result in the record{}", (name, limit_text))
        return check

    # --- events --------------------------------------------------------------------------------

    def _entry_check(self, field: str, concept: str | None, window: ir.Window | None,
                     exceptions: tuple[str, ...] = (), kind: str = "", systemic: bool = False,
                     route: str | None = None, local_maybe: bool = True
                     ) -> Callable[[Patient, Context], tuple[list[Entry], list[Entry], Outcome | None]]:
        """Shared matching for conditions, medications, procedures, immunizations and studies.

        Returns (matching entries, entries that might match, a ready 'absent' outcome or None). With a
        ``route``, an entry by another route does not match, and one with no route (or a route no
        spelling names) may.
        """
        routes = route_members(route) if route else frozenset()
        known_routes = record_routes()
        exc = frozenset(exceptions)
        days = window.days if window is not None else None
        now_only = window is not None and window.amount == 0
        label = ("systemic " if systemic else f"{route.replace('_', '-')} " if route else "") + (
            _concept_name(concept) if concept else "participation in another study") + (
            " other than " + " or ".join(_concept_name(x) for x in exceptions) if exc and field == "medications" else ""
        ) + _window_text(window)
        # a class question ("any biologic", "a live vaccine") cannot be answered "no" from an entry
        # whose class we do not know; an entry that is broader than the concept asked about
        # ("tuberculosis" when the criterion says "active tuberculosis") may or may not be it
        is_class = concept is not None and _is_class(concept) and not _closed_class(concept)
        stems = _class_stems(concept) if concept else ()
        broader = (vocab.ancestors(concept) - {concept}) if concept and not concept.startswith("drug:") else frozenset()
        # an entry broader than an exception ("skin cancer" when basal cell carcinoma is excepted)
        # may be the excepted thing itself: it can neither prove nor rule out the criterion
        exc_broader = frozenset().union(*(vocab.ancestors(x) - {x} for x in exc)) if exc else frozenset()
        # "serious concurrent illness": every condition is one, recognised or not (whether an unrecognised one is
        # an excepted one, the person who weighs the illness sees)
        every = concept == vocab.ANY_CONDITION

        def inside(e: Entry, c: Context) -> bool | None:
            if e.start is not None and e.start > c.day:
                return False  # began after the screening date
            if days is None:
                return True
            if now_only:
                if e.ongoing or (e.end is not None and e.end >= c.day):
                    return True
                if field == "procedures":  # one date: a course (radiotherapy, dialysis) begun before may still run
                    over = e.course_days
                    return None if over is None or e.end is None or c.day - e.end <= over else False
                # "resolved" on a later record date, no end date: it may still have been present
                return None if e.end is None and e.over_by is not None and e.over_by > c.day else False
            if not e.dated:
                return None  # happened, but when? a look-back window cannot tell
            lo = window_start(c, window)  # type: ignore[arg-type]
            start = e.start if e.start is not None else e.end
            end = c.day if e.ongoing else e.end
            if end is None and field == "conditions" and e.course_days is not None and e.start is not None:
                end = e.start + e.course_days  # an acute event (a myocardial infarction) is over within its course
            if start is None and end is None:
                return None
            if end is None:  # ended, date unknown: present in the window if it began inside it
                if start is not None and lo <= start <= c.day:
                    return True
                return None if (start is not None and start <= c.day) else False
            return end >= lo and (start is None or start <= c.day)

        # "within 28 days or 5 half-lives, whichever is longer": an entry older than 28 days may still lie within
        # 5 half-lives, which the record cannot tell; "... whichever is shorter": one inside 14 days may not
        def at_least(e: Entry, c: Context) -> bool | None:
            w = inside(e, c)
            return None if w is False and (e.start is None or e.start <= c.day) else w

        def at_most(e: Entry, c: Context) -> bool | None:
            w = inside(e, c)
            return None if w else w

        bound = window.bound if window is not None else None
        in_window = at_least if bound == "at_least" else at_most if bound == "at_most" else inside

        def match(p: Patient, c: Context) -> tuple[list[Entry], list[Entry], Outcome | None]:
            entries = getattr(p, field)
            if entries is None:
                return [], [], Outcome(UNKNOWN, "the record has no {} list", (field,))
            hits: list[Entry] = []
            maybe: list[Entry] = []
            for e in entries:
                if systemic and e.systemic is False:
                    continue  # a cream or an inhaler when only a systemic route counts
                if e.keys is None:  # unrecognised: it may be anything (for any condition: it is one)
                    if not every:
                        if in_window(e, c) is not False:
                            maybe.append(e)
                        continue
                elif not every and concept is not None and concept not in e.keys:
                    # a drug whose classes we do not know, a "-mab" we could not place, or an entry
                    # less specific than the concept may be one
                    if ((is_class and not e.classified) or concept in e.maybe_classes
                            or (stems and not e.classified and any(k.endswith(stems) for k in e.keys))
                            or (broader and not broader.isdisjoint(e.leaves))) and in_window(e, c) is not False:
                        maybe.append(e)
                    continue
                if exc and e.keys is not None and not exc.isdisjoint(e.keys) and not (
                        field == "medications" and concept is not None and any(
                            concept in vocab.ancestors(x) and exc.isdisjoint(vocab.ancestors(x)) for x in e.leaves)):
                    continue  # an excepted drug; a combination with an ingredient of the class besides it still counts
                if exc_broader and not exc_broader.isdisjoint(e.leaves):
                    if in_window(e, c) is not False:
                        maybe.append(e)
                    continue
                w = in_window(e, c)
                if routes and w is not False and e.route not in routes:
                    if e.route is None or e.route not in known_routes:
                        maybe.append(e)  # no route recorded (or one we cannot read): it may be that one
                    continue
                if w and systemic and e.systemic is None:
                    maybe.append(e)  # a lozenge or a "swish and swallow": systemic or not depends on the drug
                elif w and local_maybe and field == "medications" and not systemic and not routes and e.systemic is False:
                    maybe.append(e)  # "no concurrent steroids" and a nasal spray: whether the protocol means it, a person
                elif w:
                    hits.append(e)
                elif w is None:
                    maybe.append(e)
            if hits or maybe:
                return hits, maybe, None
            return [], [], Outcome(NOT_MET, "no record of {}", (label,))
        match.label = label  # type: ignore[attr-defined]
        return match

    def _simple_event(self, field: str, concept: str | None, window: ir.Window | None,
                      exceptions: tuple[str, ...] = (), systemic: bool = False, route: str | None = None) -> Check:
        match = self._entry_check(field, concept, window, exceptions, systemic=systemic, route=route)
        label = match.label  # type: ignore[attr-defined]
        why = ("cannot rule out {}: {} may be one (unrecognised, less specific or undated, or in the part of the period "
               "that depends on the drug's half-life)" if window is not None and window.bound else
               "cannot rule out {}: {} may be one (unrecognised, less specific, undated or by a route we cannot place)"
               if systemic else "cannot rule out {}: {} may be one (unrecognised, less specific or undated)")

        def check(p: Patient, c: Context) -> Outcome:
            hits, maybe, absent = match(p, c)
            if absent is not None:
                return absent
            if hits:
                return Outcome(MET, "{}: {}", (label, _Joined(hits)), tuple(e.path for e in hits))
            return Outcome(UNKNOWN, why, (label, _Joined(maybe)), tuple(e.path for e in maybe))
        return check

    def _build_Condition(self, node: ir.Condition) -> Check:
        listed = self._simple_event("conditions", node.concept, node.window, node.exceptions)
        if node.concept in _unlisted_states() and not node.exceptions:
            return self._unlisted_state(node, listed)
        if node.concept in _states_from_procedures() and not node.exceptions:
            return self._state_from_procedure(node, listed)
        test = _shown_by().get(node.concept)
        if test is None or node.exceptions:
            return listed
        q, name = units.get_quantity(test), _concept_name(node.concept)
        now_only = node.window is not None and node.window.amount == 0

        def check(p: Patient, c: Context) -> Outcome:
            """"HBV infection (HBsAg positive)": a positive test proves what the conditions list left out; a
            positive one older than the window may still hold, unless a later negative says it ended."""
            o = listed(p, c)
            if o.verdict == MET:
                return o
            series = [x for x in p.observations.get(test, ()) if x.day is not None and x.day <= c.day]
            if not any(x.result == "positive" for x in series):
                return o
            newest = next((x for x in series if x.result is not None), None)
            if node.window is None:
                proof = next(x for x in series if x.result == "positive")
            elif now_only:
                fresh = q.max_age_days is None or c.day - newest.day <= q.max_age_days  # type: ignore[union-attr]
                proof = newest if newest is not None and newest.result == "positive" and fresh else None
            else:
                lo = window_start(c, node.window)
                proof = next((x for x in series if x.result == "positive" and x.day >= lo), None)
            if proof is not None:
                return Outcome(MET, "{}", (proof.summary,), (proof.path,))
            if o.verdict == NOT_MET and not (newest is not None and newest.result == "negative"):
                last = next(x for x in series if x.result == "positive")
                return Outcome(UNKNOWN, "{}: is {} still present{}?", (last.summary, name, _window_text(node.window)),
                               (last.path,))
            return o
        return check

    def _state_from_procedure(self, node: ir.Condition, listed: Check) -> Check:
        """"Had a lung transplant": the recipient status, or the operation among the procedures
        (record_values.toml [states_from_procedures]); with a look-back window, an operation inside it."""
        by = frozenset(_states_from_procedures()[node.concept])
        window = node.window if node.window is not None and node.window.amount > 0 else None

        def check(p: Patient, c: Context) -> Outcome:
            o = listed(p, c)
            if o.verdict == MET:
                return o
            done = _procedures_done(p, by, c, window_start(c, window) if window is not None else None)
            if done:
                return Outcome(MET, "{}", (_Joined(done),), tuple(e.path for e in done))
            undated = [e for e in _procedures_done(p, by, c) if e.start is None] if window is not None else []
            if undated and o.verdict == NOT_MET:  # it happened, but when?
                return Outcome(UNKNOWN, "{}: undated, may or may not be{}", (_Joined(undated), _window_text(window)),
                               tuple(e.path for e in undated))
            return o
        return check

    def _unlisted_state(self, node: ir.Condition, listed: Check) -> Check:
        """"Postmenopausal": a state few problem lists carry (record_values.toml [unlisted_states]); a procedure
        may show it, and no entry for it is no proof of its absence."""
        state = _unlisted_states()[node.concept]
        by, against = frozenset(state.get("shown_by", ())), state.get("ruled_out_by")
        name = _concept_name(node.concept)

        def check(p: Patient, c: Context) -> Outcome:
            o = listed(p, c)
            if o.verdict == MET:
                return o
            if against and p.attestations and p.attestations.get(against) is True:
                return Outcome(NOT_MET, "attested: {} (so not {})", (against.replace("_", " "), name.lower()),
                               (f"attestations.{against}",))
            done = _procedures_done(p, by, c)
            if done:
                return Outcome(MET, "{} (so {})", (_Joined(done), name.lower()), tuple(e.path for e in done))
            if o.verdict == NOT_MET:
                return Outcome(UNKNOWN, "{}: seldom recorded as a condition, so no record of it does not rule it out",
                               (name,))
            return o
        return check

    def _build_Allergy(self, node: ir.Allergy) -> Check:
        now = self._simple_event("allergies", node.concept, _NOW)
        ever = self._simple_event("allergies", node.concept, None)

        def check(p: Patient, c: Context) -> Outcome:
            o = now(p, c)
            if o.verdict == NOT_MET and (past := ever(p, c)).verdict == MET:
                # "history of allergy to aspirin" counts a resolved one, "known allergy" may not: a person's call
                return Outcome(REVIEW, "recorded as resolved or inactive: {}", (past.reason,), past.evidence)
            return o
        return check

    def _build_Procedure(self, node: ir.Procedure) -> Check:
        return self._simple_event("procedures", node.concept, node.window)

    def _build_Immunization(self, node: ir.Immunization) -> Check:
        return self._simple_event("immunizations", node.concept, node.window)

    def _build_StudyParticipation(self, node: ir.StudyParticipation) -> Check:
        return self._simple_event("studies", None, node.window)

    def _build_Medication(self, node: ir.Medication) -> Check:
        if node.stable is not None:
            return self._stable_medication(node)
        if node.duration is not None:
            return self._medication_duration(node, node.duration)
        if node.dose is None:
            taken = self._simple_event("medications", node.concept, node.window, node.exceptions, systemic=node.systemic,
                                       route=node.route)
            if node.concept not in _study_drugs():
                return taken
            studied = self._simple_event("studies", None, node.window)

            def check(p: Patient, c: Context) -> Outcome:
                """"An investigational drug within 30 days": a study the patient was in then may have given one that
                the medications list does not name."""
                o = taken(p, c)
                if o.verdict != NOT_MET:
                    return o
                s = studied(p, c)
                if s.verdict == MET:
                    return Outcome(UNKNOWN, "{}; in a study then ({}): an investigational drug the list does not name?",
                                   (o.reason, s.reason), s.evidence)
                return o
            return check
        match = self._entry_check("medications", node.concept, node.window, node.exceptions, systemic=node.systemic,
                                  route=node.route, local_maybe=False)  # a cream adds nothing to a dose threshold
        label = match.label  # type: ignore[attr-defined]
        dose = node.dose
        cmp = _NEAR_OPS[dose.op]
        upward = dose.op in (">", ">=")
        wanted = f"dose {_OP_TEXT[dose.op]} {units.format_quantity(dose.value, dose.unit)}"
        per_kg = "/kg" in dose.unit
        base_unit = dose.unit.replace("/kg", "")
        steroid_class = node.concept == "glucocorticoid"

        def dose_of(e: Entry, p: Patient, c: Context) -> float | None:
            if e.dose is None or e.dose_unit is None:
                return None
            if e.dose_unit.replace("/kg", "") != base_unit:
                return None
            value = e.dose
            if steroid_class:  # a class dose is in prednisone equivalents: unknown without a factor
                if e.prednisone_factor is None:
                    return None
                value *= e.prednisone_factor
            if per_kg == ("/kg" in e.dose_unit):
                return value
            weight = _latest_weight(p, c)
            if weight is None:
                return None
            return value / weight if per_kg else value * weight

        def check(p: Patient, c: Context) -> Outcome:
            hits, maybe, absent = match(p, c)
            if absent is not None:
                return absent
            undecided = list(maybe)
            known: list[tuple[Entry, float]] = []
            for e in hits:
                if e.systemic is False and node.route is None:
                    continue  # a cream or an inhaler does not count towards a systemic dose
                if e.systemic is None and node.route is None:
                    undecided.append(e)  # a route we cannot place: does it count towards the dose?
                    continue
                d = dose_of(e, p, c)
                if d is None or (steroid_class and (spread := _factor_spread(e.prednisone_factor)) > 0  # type: ignore[arg-type]
                                 and spread * d >= abs(d - dose.value)):
                    undecided.append(e)  # no dose, or one whose rounded equivalence factor could tip it
                else:
                    known.append((e, d))
            single = [(e, d) for e, d in known if cmp(d, dose.value)]
            # entries of the same drug or class taken at the same time add up (prednisone 5 mg and
            # prednisolone 5 mg are 10 mg prednisone equivalents a day)
            total = _max_concurrent(known, c) if len(known) > 1 else None
            if single and (upward or ((total is None or cmp(total, dose.value)) and not undecided)):
                e, d = single[0]
                return Outcome(MET, "{}: {} ({} {})", (label, e.summary, units.format_quantity(d, dose.unit), wanted),
                               (e.path,))
            if total is not None and (single or (upward and cmp(total, dose.value))):
                return Outcome(UNKNOWN, "cannot tell whether {} with {}: {} taken together come to {}",
                               (label, wanted, _Joined([e for e, _ in known]), units.format_quantity(total, dose.unit)),
                               tuple(e.path for e, _ in known))
            if undecided:
                return Outcome(UNKNOWN, "cannot tell whether {} with {}: {} (dose, weight or drug unknown)",
                               (label, wanted, _Joined(undecided)), tuple(e.path for e in undecided))
            return Outcome(NOT_MET, "{} but not at {}: {}", (label, wanted, _Joined(hits)),
                           tuple(e.path for e in hits))
        return check

    def _medication_duration(self, node: ir.Medication, d: ir.Duration) -> Check:
        """"More than 3 months of prior antiretroviral therapy": the days the drug was taken (in the window), in all
        and in the longest stretch. Decided only when both readings agree and no entry of unknown length or identity
        could change it; within a day of the limit (are the first and last days both counted?), or within a few days of a
        period counted in months or years (calendar lengths vary), unknown."""
        match = self._entry_check("medications", node.concept, node.window, node.exceptions, systemic=node.systemic,
                                  route=node.route)
        label = match.label  # type: ignore[attr-defined]
        need, holds, upward = d.days, _OPS[d.op], d.op in (">", ">=")
        slack = 3.0 if d.unit in ("month", "year") else 1.0  # whether the first and last day both count, unsaid
        wanted = f"{label} taken for {_OP_TEXT[d.op]} {_num_text(d.amount)} {d.unit}{'' if d.amount == 1 else 's'}"
        window = node.window

        def check(p: Patient, c: Context) -> Outcome:
            hits, maybe, absent = match(p, c)
            if absent is not None and absent.verdict != NOT_MET:
                return absent  # no medications list
            lo = window_start(c, window) if window is not None else None
            spans: list[tuple[float, float]] = []
            unsure = bool(maybe)
            for e in hits:
                end = c.day if e.ongoing else e.end
                if e.start is None or end is None:
                    unsure = True  # taken, for how long?
                    continue
                start, end = (e.start if lo is None else max(e.start, lo)), min(end, c.day)
                if end >= start:
                    spans.append((start, end))
            stretches: list[list[float]] = []
            for start, end in sorted(spans):
                if stretches and start <= stretches[-1][1] + 1:
                    stretches[-1][1] = max(stretches[-1][1], end)
                else:
                    stretches.append([start, end])
            days = [end - start + 1 for start, end in stretches]
            total, longest = sum(days), max(days, default=0)
            near = any(abs(x - need) <= slack for x in (total, longest))
            ev = tuple(e.path for e in hits + maybe)
            if not near:
                if upward and holds(longest, need) or not upward and not holds(longest, need):
                    # a stretch that long already decides both readings, whatever else the record holds
                    return Outcome(MET if upward else NOT_MET, "{}: {:g} days at a stretch", (wanted, longest), ev)
                if not unsure and holds(total, need) == holds(longest, need):
                    return Outcome(MET if holds(total, need) else NOT_MET, "{}: {:g} days in all", (wanted, total), ev)
            return Outcome(UNKNOWN, "{}: {:g} days in all, {:g} at a stretch, and entries of unknown length or identity, "
                                    "or a total near the limit", (wanted, total, longest), ev)
        return check

    def _stable_medication(self, node: ir.Medication) -> Check:
        """"A stable dose of X for at least N weeks": each record entry is one drug at one dose from its start
        to its end, so the dose was stable over the period when every entry of X overlapping it belongs to a
        run of entries of the same drug at the same dose that covers the whole period up to the screening
        date. An entry that begins or ends inside the period (without such a run) is a change: not_met.
        An entry with no start, or two entries of one drug with no dose, cannot tell: unknown."""
        period: ir.Window = node.stable  # type: ignore[assignment]
        match = self._entry_check("medications", node.concept, period, systemic=node.systemic, route=node.route)
        name = match.label.removesuffix(_window_text(period))  # type: ignore[attr-defined]
        wanted = f"{name} now, at one dose for at least {_num_text(period.amount)} {period.unit}" + (
            "" if period.amount == 1 else "s")

        def check(p: Patient, c: Context) -> Outcome:
            hits, maybe, absent = match(p, c)
            if absent is not None:
                return absent if absent.verdict != NOT_MET else Outcome(NOT_MET, "no record of {}", (wanted,))
            lo = window_start(c, period)
            undecided = list(maybe) + [e for e in hits if e.start is None]
            runs: dict[tuple[Any, ...], list[Entry]] = {}
            for e in hits:
                if e.start is not None:
                    runs.setdefault((e.leaves, e.dose, e.dose_unit), []).append(e)
            changed: list[Entry] = []
            for (_, dose, _), run in runs.items():
                if dose is None and len(run) > 1:
                    undecided.extend(run)  # two entries of one drug with no dose: changed or not?
                    continue
                cover = lo
                for e in sorted(run, key=lambda x: x.start):  # type: ignore[arg-type, return-value]
                    if e.start > cover + 1:  # type: ignore[operator]
                        break
                    cover = max(cover, c.day if e.ongoing else e.end)  # type: ignore[type-var]
                if min(e.start for e in run) > lo or cover < c.day:  # type: ignore[type-var]
                    changed.extend(run)
            if changed:
                return Outcome(NOT_MET, "not {}: {} began or ended within the period", (wanted, _Joined(changed)),
                               tuple(e.path for e in changed))
            if undecided:
                return Outcome(UNKNOWN, "cannot tell whether {}: {} (start, dose or drug unknown)",
                               (wanted, _Joined(undecided)), tuple(e.path for e in undecided))
            if not runs:
                return Outcome(NOT_MET, "no record of {}", (wanted,))
            return Outcome(MET, "{}: {}", (wanted, _Joined(hits)), tuple(e.path for e in hits))
        return check

    # --- demographics and statements -----------------------------------------------------------

    def _build_Sex(self, node: ir.Sex) -> Check:
        want = node.value

        def check(p: Patient, c: Context) -> Outcome:
            if p.sex not in ("female", "male"):
                return Outcome(UNKNOWN, "sex not recorded" if p.sex is None else "recorded sex is {}", (p.sex,) if p.sex else ())
            return Outcome(MET if p.sex == want else NOT_MET, "sex {}", (p.sex,), ("sex",))
        return check

    def _build_Flag(self, node: ir.Flag) -> Check:
        name = node.name

        def check(p: Patient, c: Context) -> Outcome:
            value = getattr(p, name)
            if value is None:
                if p.sex == "male":
                    return Outcome(NOT_MET, "not {}: recorded sex is male", (name,), ("sex",))
                return Outcome(UNKNOWN, "the record does not say whether the patient is {}", (name,))
            return Outcome(MET if value else NOT_MET, "{}{}", ("" if value else "not ", name), (name,))
        return check

    def _build_Attestation(self, node: ir.Attestation) -> Check:
        name = node.name
        label = name.replace("_", " ")
        evidence = (f"attestations.{name}",)

        def check(p: Patient, c: Context) -> Outcome:
            if p.attestations is None or name not in p.attestations:
                return Outcome(UNKNOWN, "no attestation '{}' in the record", (name,))
            value = p.attestations[name]
            return Outcome(MET if value else NOT_MET, "attested: {}{}", ("" if value else "not ", label),
                           evidence)
        return check

    def _build_Permitted(self, node: ir.Permitted) -> Check:
        # neutral for the criterion's own junction: all() among the inclusions, any() among the exclusions
        outcome = Outcome(MET if self.kind == "inclusion" else NOT_MET, "permits, asks nothing: {}", (node.text,))
        return lambda p, c: outcome

    def _build_Review(self, node: ir.Review) -> Check:
        outcome = Outcome(REVIEW, node.reason)
        return lambda p, c: outcome


@lru_cache(maxsize=1)
def _study_drugs() -> frozenset[str]:
    """Drug concepts a study gives without the medications list naming them (medication_use.toml [study_drugs])."""
    return frozenset(medication_use()["study_drugs"]["concepts"])


@lru_cache(maxsize=1)
def _states_from_procedures() -> dict[str, list[str]]:
    return dict(record_values()["states_from_procedures"])


@lru_cache(maxsize=1)
def _unlisted_states() -> dict[str, dict[str, Any]]:
    """States a problem list seldom carries, and the procedures that show them (record_values.toml)."""
    return dict(record_values()["unlisted_states"])


@lru_cache(maxsize=1)
def _shown_by() -> dict[str, str]:
    """condition -> the qualitative test whose positive result shows it (quantities.toml ``shows``)."""
    return {q.shows: q.key for q in units.quantities().values() if q.shows}


def _num_text(x: float) -> str:
    return f"{x:g}"


def _closed_class(concept: str) -> bool:
    """A class whose recognised non-members are certainly not in it (complete list or INN stem)."""
    rules = _class_rules()
    return concept in rules["complete"] or concept in rules.get("stems", {})


def _class_stems(concept: str) -> tuple[str, ...]:
    return tuple(_class_rules().get("stems", {}).get(concept, ()))


@lru_cache(maxsize=1)
def _class_rules() -> dict[str, Any]:
    from .patient import medication_use
    return medication_use()["class_rules"]


def _is_class(concept: str) -> bool:
    try:
        c = vocab.get_concept(concept)
    except Exception:  # noqa: BLE001 - an unknown key is validated when rules compile
        return False
    return c.category == "drug_class" or concept in ("live_vaccine", "non_live_vaccine")


@lru_cache(maxsize=256)
def _factor_spread(factor: float) -> float:
    """How far (relative) a prednisone-equivalence factor may be from the true one. Exact when it is
    5 mg prednisone over a round dose (methylprednisolone 4 mg: 1.25); else rounded in its last
    stated digit (dexamethasone 0.75 mg: 6.67 for 6.666..., so +-0.005)."""
    equivalent = 5.0 / factor
    if abs(equivalent - round(equivalent, 2)) <= 1e-9 * equivalent:
        return 0.0
    text = repr(factor)
    decimals = len(text.split(".")[1]) if "." in text and "e" not in text else 0
    return 0.5 * 10.0 ** -decimals / factor


def _max_concurrent(known: list[tuple[Entry, float]], c: Context) -> float:
    """The largest sum of doses of entries that may have been taken on the same day (an unknown
    start or end may overlap anything)."""
    inf = float("inf")
    spans = [(-inf if e.start is None else e.start, c.day if e.ongoing else inf if e.end is None else e.end, d)
             for e, d in known]
    return max(sum(d for s, t, d in spans if s <= day <= t) for day, _, _ in spans)


def _procedures_done(p: Patient, by: frozenset[str], c: Context, since: int | None = None) -> list[Entry]:
    """The record's procedures of a kind in ``by`` done by the screening date (from ``since`` on, when given: an
    undated one then cannot be placed, while with no window it says the procedure happened)."""
    return [e for e in p.procedures or () if e.keys and not by.isdisjoint(e.keys)
            and (e.start <= c.day and (since is None or e.start >= since) if e.start is not None else since is None)]


def observations_of(p: Patient, key: str, c: Context) -> tuple[Obs, ...]:
    """The record's values of ``key``, newest first; a top-level weight or height the record does not date
    (no `as_of`) is the patient's value at the screening date."""
    series = p.observations.get(key, ())
    if series and series[0].current:
        return tuple(replace(o, day=c.day) if o.current else o for o in series)
    return series


def _latest_weight(p: Patient, c: Context) -> float | None:
    max_age = units.get_quantity("body_weight").max_age_days
    for o in observations_of(p, "body_weight", c):
        if o.day is None or o.day > c.day:
            continue
        if max_age is not None and c.day - o.day > max_age:
            return None
        return o.value
    return None


def _ev(outs: list[Outcome]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for o in outs:
        for e in o.evidence:
            seen[e] = None
    return tuple(seen)


# ---------------------------------------------------------------------------------------------
# Trial-level screening
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CriterionResult:
    criterion: ir.Criterion
    verdict: str
    reason: str
    evidence: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Screening:
    trial_id: str
    patient_id: str
    as_of: dt.date
    status: str
    results: tuple[CriterionResult, ...]
    note: str = ""


class Screener:
    """A compiled trial with its checks built: screen many patients with it."""

    def __init__(self, trial: ir.CompiledTrial) -> None:
        self.trial = trial
        builder, checks = Builder(), []
        for c in trial.criteria:
            builder.kind = c.kind
            checks.append((c, builder.build(c.rule)))
        self.checks = tuple(checks)
        # (verdict that makes the patient ineligible, verdict that lets them stay eligible, check)
        self._counted = tuple((NOT_MET, MET, f) if c.kind == "inclusion" else (MET, NOT_MET, f)
                              for c, f in self.checks if c.role == "criterion")
        self._can_be_eligible = not trial.note and bool(self._counted)

    def __getstate__(self) -> ir.CompiledTrial:
        return self.trial

    def __setstate__(self, trial: ir.CompiledTrial) -> None:
        self.__init__(trial)  # type: ignore[misc]

    def status(self, patient: Patient, as_of: dt.date | None = None) -> str:
        """Only the trial-level status: the fast path for cohorts (no reasons formatted; stops at the
        first criterion that makes the patient ineligible)."""
        ctx = _context(patient, as_of)
        decided = True
        for fails_on, ok_on, f in self._counted:
            verdict = f(patient, ctx).verdict
            if verdict == fails_on:
                return INELIGIBLE
            decided = decided and verdict == ok_on
        return ELIGIBLE if decided and self._can_be_eligible else NEEDS_REVIEW

    def screen(self, patient: Patient, as_of: dt.date | None = None) -> Screening:
        ctx = _context(patient, as_of)
        results = []
        for crit, f in self.checks:
            if crit.role == "header":
                results.append(CriterionResult(crit, REVIEW if isinstance(crit.rule, ir.Review) else f(patient, ctx).verdict,
                                               "introduces the sub-items below", ()))
                continue
            o = f(patient, ctx)
            results.append(CriterionResult(crit, o.verdict, o.reason, o.evidence))
        status = _status(self.trial, [(r.criterion, r.verdict) for r in results])
        return Screening(self.trial.trial_id, patient.id, ctx.as_of, status, tuple(results), self.trial.note)


def _context(patient: Patient, as_of: dt.date | None) -> Context:
    d = as_of or patient.as_of or dt.date.today()
    return Context(d, d.toordinal())


def _status(trial: ir.CompiledTrial, verdicts: list[tuple[ir.Criterion, str]]) -> str:
    counted = [(c, v) for c, v in verdicts if c.role == "criterion"]
    if any((c.kind == "inclusion" and v == NOT_MET) or (c.kind == "exclusion" and v == MET) for c, v in counted):
        return INELIGIBLE
    if trial.note or not counted:
        return NEEDS_REVIEW
    if all((c.kind == "inclusion" and v == MET) or (c.kind == "exclusion" and v == NOT_MET) for c, v in counted):
        return ELIGIBLE
    return NEEDS_REVIEW


@lru_cache(maxsize=64)
def prepare(trial: ir.CompiledTrial) -> Screener:
    """The cached Screener of a compiled trial."""
    return Screener(trial)


def screen(trial: Any, patient: Any, *, as_of: dt.date | str | None = None) -> Screening:
    """Screen one patient against one trial.

    ``trial``: a CompiledTrial, a Trial, or a path to a trial page / CT.gov file / rules file.
    ``patient``: a Patient, a dict decoded from JSON, or a path to a patient JSON file.
    """
    from .compile import compile_any
    from .patient import load_patient

    compiled = compile_any(trial)
    if isinstance(patient, dict):
        patient = parse_patient(patient)
    elif not isinstance(patient, Patient):
        patient = load_patient(patient)
    if isinstance(as_of, str):
        as_of = dt.date.fromisoformat(as_of)
    return prepare(compiled).screen(patient, as_of)
