"""Evaluate compiled rules against a patient: Kleene three-valued logic plus ``review``.

Each IR node is turned once into a closure (builder.py, medications.py), with its operator, thresholds,
display names and window lengths bound at build time; evaluating a patient is then plain number and set
comparisons. Reasons are kept as (template, args) and formatted only when read (outcome.py). Dates and ages
are in dates.py, what a record shows beyond its own lists in records.py; this module screens whole trials.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .. import ir
from ..patient import Patient, parse_patient
from .builder import Builder
from .dates import Context, age_years, window_start
from .outcome import ELIGIBLE, INELIGIBLE, MET, NEEDS_REVIEW, NOT_MET, REVIEW, UNKNOWN, Check, Outcome
from .records import observations_of

__all__ = ["Builder", "Check", "Context", "CriterionResult", "ELIGIBLE", "INELIGIBLE", "MET", "NEEDS_REVIEW",
           "NOT_MET", "Outcome", "REVIEW", "Screener", "Screening", "UNKNOWN", "age_years", "observations_of",
           "prepare", "screen", "window_start"]




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
    from ..compile import compile_any
    from ..patient import load_patient

    compiled = compile_any(trial)
    if isinstance(patient, dict):
        patient = parse_patient(patient)
    elif not isinstance(patient, Patient):
        patient = load_patient(patient)
    if isinstance(as_of, str):
        as_of = dt.date.fromisoformat(as_of)
    return prepare(compiled).screen(patient, as_of)
