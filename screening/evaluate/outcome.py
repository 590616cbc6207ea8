"""Verdicts with lazily formatted reasons, and the comparison operators checks bind when a trial is built."""
from __future__ import annotations

import operator
from typing import Any, Callable

from .. import ir, vocab
from ..patient import Obs, Patient
from .dates import Context, age_years

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


_FLIPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "=="}


def censored_holds(bound_op: str, bound: float, op: str, threshold: float) -> bool | None:
    """Whether "value `op` threshold" holds of a value reported only as beyond a bound ("<0.5": below the lab's
    reporting limit, ">1000"): True or False when every value the bound allows answers alike, else None.
    A value above a bound is the mirror image of one below it."""
    if bound_op in (">", ">="):
        return censored_holds(_FLIPPED[bound_op], -bound, _FLIPPED[op], -threshold)
    closed = bound_op == "<="  # the bound itself is possible
    below, at = bound < threshold and not _close(bound, threshold), _close(bound, threshold)
    if op in ("<", "<="):  # does every value up to the bound lie below the threshold?
        return True if below or (at and not (closed and op == "<")) else None
    if op in (">", ">="):  # does none?
        return False if below or (at and not (closed and op == ">=")) else None
    return False if below or (at and not closed) else None  # "==": the threshold lies beyond every value


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


Check = Callable[[Patient, Context], Outcome]


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


def _combine_undecided(outcomes: list[Outcome]) -> str:
    return REVIEW if any(o.verdict == REVIEW for o in outcomes) else UNKNOWN

def _num_text(x: float) -> str:
    return f"{x:g}"

def _ev(outs: list[Outcome]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for o in outs:
        for e in o.evidence:
            seen[e] = None
    return tuple(seen)


def can_conceive(p: Patient, c: Context) -> tuple[str, tuple[str, ...]] | None:
    """Why the record shows a woman can bear children (the attestation, or a pregnancy the record states), and the
    fields that say so; None when it does not. A woman pregnant now has had no hysterectomy and is not past
    menopause, whatever lists the record leaves out. A positive hCG alone is no proof: germ cell and trophoblastic
    tumours make it too."""
    if p.attestations and p.attestations.get("childbearing_potential") is True:
        return "attested: childbearing potential", ("attestations.childbearing_potential",)
    if p.pregnant is True:
        return "pregnant", ("pregnant",)
    return None


def cannot_conceive(p: Patient, c: Context, outside: Check | None) -> tuple[Any, tuple[str, ...]] | None:
    """Why the record rules out a pregnancy (with ``outside``, Builder._outside_childbearing, a woman's too), and the
    fields that say so; None when it does not."""
    if p.sex == "male":
        return "recorded sex is male", ("sex",)
    if outside is not None and (why := outside(p, c)).verdict == MET:
        return _Reasons([why]), why.evidence
    return None
