"""Dates of a screening: look-back windows on the calendar, and ages (exact, or in completed years, from a
birth date or from an age the record gives)."""
from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

from .. import ir
from ..patient import Patient


@dataclass(frozen=True, slots=True)
class Context:
    """The screening date, as a date and as an ordinal."""

    as_of: dt.date
    day: int



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
    if p.birth_date is not None:  # a birth month or year only: its first and last day
        births: tuple[dt.date, ...] = (p.birth_date,) if p.birth_last is None else (p.birth_date, p.birth_last)
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

