"""Checks for medication criteria: use in a window (systemic, by route, with exceptions), doses (per day, per
kilogram, in prednisone equivalents), durations of use and stable doses. A mixin of the Builder."""
from __future__ import annotations

from typing import Any

from .. import ir, units
from ..patient import Entry, Patient
from .dates import Context, window_start
from .outcome import (MET, NOT_MET, UNKNOWN, Check, Outcome, _Joined, _NEAR_OPS, _OP_TEXT, _OPS, _num_text,
                      _window_text)
from .records import _factor_spread, _latest_weight, _max_concurrent, _study_drugs


class MedicationChecks:
    """Builders for ``ir.Medication``; ``_entry_check`` and ``_simple_event`` come from the Builder."""

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
                if s.verdict != NOT_MET:  # no studies list: a study may have given one
                    return Outcome(UNKNOWN, "{}, but the record has no studies list", (o.reason,), o.evidence)
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
                if e.start is None or end is None or e.spans:
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
            undecided = list(maybe) + [e for e in hits if e.start is None or e.spans]
            runs: dict[tuple[Any, ...], list[Entry]] = {}
            for e in hits:
                if e.start is not None and not e.spans:
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
