"""Turns IR nodes into closures (``_build_<Node>``), with operators, thresholds, display names and window
lengths bound at build time; evaluating a patient is then plain number and set comparisons."""
from __future__ import annotations

from typing import Callable

from .. import ir, units, vocab
from ..patient import Entry, Patient, event_fresh_days, event_longest_days, record_routes, route_members
from .dates import Context, window_start
from .measures import MeasureChecks
from .medications import MedicationChecks
from .record_states import StateChecks, lab_states, procedures_from_states
from .statements import StatementChecks
from .outcome import (MET, NOT_MET, REVIEW, UNKNOWN, Check, Outcome, _Joined, _NEGATE, _NOW, _Reasons, can_conceive,
                      _combine_undecided, _concept_name, _window_text)
from .records import (in_situ_of, name_words, secondary_only, _class_stems, _closed_class, _is_class,
                      _procedures_done, _procedures_ruled_out, _shown_by, _states_from_procedures, _unlisted_states,
                      spans_hold)


_LASTING_WORDS = {">=": "at least", ">": "more than"}

#: why an entry may be what a criterion asks about, by what makes the doubt
_MAYBE_BECAUSE = {
    "bound": "unrecognised, less specific or undated, or in the part of the period that depends on the drug's half-life",
    "systemic": "unrecognised, less specific, undated or by a route we cannot place",
    "procedures": "unrecognised, less specific, undated, dated to the month or year only, or a course begun before that "
                  "may still run",
    "conditions": "unrecognised, less specific, not saying its stage, in remission, undated or dated to the month or year "
                  "only",
    "allergies": "unrecognised, less specific, a reaction that may be a side effect rather than an allergy, or in a "
                 "class some protocols count it in",
    "other": "unrecognised, less specific, in remission, undated or dated to the month or year only",
}


class Builder(MeasureChecks, MedicationChecks, StateChecks, StatementChecks):
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

    # --- events --------------------------------------------------------------------------------

    def _entry_check(self, field: str, concept: str | None, window: ir.Window | None,
                     exceptions: tuple[str, ...] = (), kind: str = "", systemic: bool = False,
                     route: str | None = None, local_maybe: bool = True, active: bool = False,
                     diagnosed: bool = False, lasting: ir.Duration | None = None,
                     ) -> Callable[[Patient, Context], tuple[list[Entry], list[Entry], Outcome | None]]:
        """Shared matching for conditions, medications, procedures, immunizations and studies.

        Returns (matching entries, entries that might match, a ready 'absent' outcome or None). With a
        ``route``, an entry by another route does not match, and one with no route (or a route no
        spelling names) may. ``diagnosed``: the entry's onset must lie in the window (ir.Condition.diagnosed);
        ``lasting``: present now and begun that long before (ir.Condition.lasting).
        """
        routes = route_members(route) if route else frozenset()
        known_routes = record_routes()
        exc = frozenset(exceptions)
        days = window.days if window is not None else None
        now_only = window is not None and window.amount == 0
        label = ("systemic " if systemic else f"{route.replace('_', '-')} " if route else "") + (
            _concept_name(concept) if concept else "participation in another study") + (
            " other than " + " or ".join(_concept_name(x) for x in exceptions) if exc and field == "medications" else ""
        ) + (" diagnosed" if diagnosed and window is not None and window.amount else "") + _window_text(window) + (
            f" for {_LASTING_WORDS[lasting.op]} {lasting.amount:g} {lasting.unit}{'' if lasting.amount == 1 else 's'}"
            if lasting is not None else "")
        # a class question ("any biologic", "a live vaccine") cannot be answered "no" from an entry
        # whose class we do not know; an entry that is broader than the concept asked about
        # ("tuberculosis" when the criterion says "active tuberculosis") may or may not be it
        is_class = concept is not None and _is_class(concept) and not _closed_class(concept)
        stems = _class_stems(concept) if concept else ()
        broader = (vocab.possible_ancestors(concept) - {concept}) if concept and not concept.startswith("drug:") else frozenset()
        # an entry broader than an exception ("skin cancer" when basal cell carcinoma is excepted)
        # may be the excepted thing itself: it can neither prove nor rule out the criterion
        exc_broader = frozenset().union(*(vocab.ancestors(x) - {x} for x in exc)) if exc else frozenset()
        # "no other malignancy" in a breast cancer trial: a DCIS may be part of the excepted cancer's history, or not
        exc_in_situ = in_situ_of(exc) - exc if exc and field == "conditions" else frozenset()
        # "serious concurrent illness": every condition is one, recognised or not (whether an unrecognised one is
        # an excepted one, the person who weighs the illness sees)
        every = concept in (vocab.ANY_CONDITION, vocab.ANY_SUBSTANCE)
        # "brain metastases" and a "metastatic colorectal cancer" entry: a spread whose sites the entry does not say
        spread_site = field == "conditions" and concept is not None and concept != "metastatic_disease" and (
            "metastatic_disease" in vocab.ancestors(concept))
        fresh, longest = event_fresh_days(), event_longest_days()
        # "corneal ulcer" against "ulcer": a record condition named with every word of the concept's name may be one
        named = name_words(concept) if field == "conditions" and concept is not None else ()
        # "metastatic colorectal cancer" and a "colon cancer" entry: the record may not say the stage
        stage_bases = vocab.stage_bases(concept) if field == "conditions" and concept is not None else frozenset()

        def lasted(e: Entry, c: Context) -> bool | None:
            """Begun that long before the screening date (its onset), and present now; no onset: unknown."""
            assert lasting is not None
            if e.start is None:
                return None  # present, perhaps, but since when?
            since = c.day - lasting.days
            if e.spans and (spans_hold(e, c.day) or spans_hold(e, int(since))):
                return None  # "2025": begun before or after the day the answer turns on
            if e.start > c.day or not (e.start <= since if lasting.op == ">=" else e.start < since):
                return False  # begun too late
            if e.ongoing or (e.end is not None and e.end >= c.day):
                return True
            # over, or perhaps (resolved, in remission, an event with no status): "diagnosed more than 6 months ago"
            # holds of it still, "has had diabetes for at least 1 year" may not
            return None

        def inside(e: Entry, c: Context) -> bool | None:
            if lasting is not None:
                return lasted(e, c)
            if e.spans and _straddles(e, c):
                return None  # "2026-11": before or after the window's first day?
            if e.start is not None and e.start > c.day:
                return False  # began after the screening date
            if days is None:
                return True
            if diagnosed and not now_only:  # "diagnosed within 1 year": when it began, not whether it lasted
                return None if e.start is None else window_start(c, window) <= e.start  # type: ignore[arg-type]
            if now_only:
                if e.ongoing or (e.end is not None and e.end >= c.day):
                    return True
                if field == "conditions" and e.course_days is not None and e.start is not None and e.end is None:
                    return e.start + e.course_days >= c.day  # an acute event: still within its course?
                if e.dormant:  # "in remission": not active; has the disease? the wording decides (Entry.dormant)
                    return False if active else None
                if e.event:  # a stroke or a pneumonia with no status: going on in its first days, over after the longest
                    if e.start is None:
                        return None
                    return True if 0 <= c.day - e.start <= fresh else False if c.day - e.start > longest else None
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
            if end is None and e.acute and e.start is not None and e.start + longest < lo:
                return False  # a stroke or a pneumonia of 2019 (resolved or no status): over long before the window opened
            if start is None and end is None:
                return None
            if end is None:  # ended, date unknown: present in the window if it began inside it
                if start is not None and lo <= start <= c.day:
                    return True
                return None if (start is not None and start <= c.day) else False
            return end >= lo and (start is None or start <= c.day)

        def _straddles(e: Entry, c: Context) -> bool:
            """A date known to the month or year whose span holds a day the answer turns on (the screening date,
            the window's first day, either less the entry's course): the entry may lie on either side."""
            if days is None:
                points = [c.day]
            elif now_only:  # going on at the screening date: begun by then, and (an acute event) within its course
                points = [c.day] + ([c.day - e.course_days] if e.course_days else []) + (
                    [c.day - fresh, c.day - longest] if e.event else [])
            else:  # in the window: begun by the screening date, and ended (or its course) after the window opened
                lo = window_start(c, window)  # type: ignore[arg-type]
                points = [c.day, lo] + ([lo - e.course_days] if e.course_days else []) + ([lo - longest] if e.acute else [])
            return any(spans_hold(e, x) for x in points)

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
                            or (stems and not e.classified and any(
                                w.endswith(stems) for k in e.keys for w in k.removeprefix("drug:").split("_")))
                            or (broader and not broader.isdisjoint(e.leaves))
                            or (spread_site and "metastatic_disease" in e.keys and not secondary_only(e.leaves))
                            or (named and any(n <= e.words for n in named))
                            or (stage_bases and any(not stage_bases.isdisjoint(vocab.ancestors(x)) for x in e.leaves))
                            ) and in_window(e, c) is not False:
                        maybe.append(e)
                    continue
                if exc and e.keys is not None and not exc.isdisjoint(e.keys) and not (
                        field == "medications" and concept is not None and any(
                            concept in vocab.ancestors(x) and exc.isdisjoint(vocab.ancestors(x)) for x in e.leaves)):
                    continue  # an excepted drug; a combination with an ingredient of the class besides it still counts
                if (exc_broader and not exc_broader.isdisjoint(e.leaves)) or (
                        exc and field == "conditions" and secondary_only(e.leaves)) or (
                        exc_in_situ and not exc_in_situ.isdisjoint(e.keys)):
                    # broader than an exception, a metastasis whose primary may be the excepted cancer, or a carcinoma
                    # in situ of its organ
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
            if active and now_only and (quiet := [e for e in entries if e.dormant and e.keys and concept in e.keys]):
                # "active substance abuse" and a use disorder in sustained remission: on record, but not active
                return [], [], Outcome(NOT_MET, "{} not active now: {}", (label.removesuffix(" now"), _Joined(quiet)),
                                       tuple(e.path for e in quiet))
            return [], [], Outcome(NOT_MET, "no record of {}", (label,))
        match.label = label  # type: ignore[attr-defined]
        return match

    def _simple_event(self, field: str, concept: str | None, window: ir.Window | None,
                      exceptions: tuple[str, ...] = (), systemic: bool = False, route: str | None = None,
                      active: bool = False, diagnosed: bool = False, lasting: ir.Duration | None = None) -> Check:
        match = self._entry_check(field, concept, window, exceptions, systemic=systemic, route=route, active=active,
                                  diagnosed=diagnosed, lasting=lasting)
        label = match.label  # type: ignore[attr-defined]
        why = "cannot rule out {}: {} may be one (" + _MAYBE_BECAUSE[
            "bound" if window is not None and window.bound else "systemic" if systemic else
            field if field in _MAYBE_BECAUSE else "other"] + ")"

        def check(p: Patient, c: Context) -> Outcome:
            hits, maybe, absent = match(p, c)
            if absent is not None:
                return absent
            if hits:
                return Outcome(MET, "{}: {}", (label, _Joined(hits)), tuple(e.path for e in hits))
            return Outcome(UNKNOWN, why, (label, _Joined(maybe)), tuple(e.path for e in maybe))
        return check

    def _lasting_shown(self, node: ir.Condition, listed: Check, test: str) -> Check:
        """"HIV infection for at least 6 months", "HIV infection < 6 months" with no entry on the conditions list and a
        positive antibody test: the test shows the condition, not since when (unknown, not a 'no')."""
        name = _concept_name(node.concept)

        def check(p: Patient, c: Context) -> Outcome:
            o = listed(p, c)
            if o.verdict != NOT_MET:
                return o
            proof = next((x for x in p.observations.get(test, ()) if x.day is not None and x.day <= c.day
                          and x.result == "positive"), None)
            if proof is None:
                return o
            return Outcome(UNKNOWN, "{} shows {}, not since when", (proof.summary, name), (proof.path,))
        return check

    def _build_Condition(self, node: ir.Condition) -> Check:
        listed = self._simple_event("conditions", node.concept, node.window, node.exceptions, active=node.active,
                                    diagnosed=node.diagnosed, lasting=node.lasting)
        if (node.lasting is not None or node.diagnosed) and (shown := _shown_by().get(node.concept)) is not None:
            return self._lasting_shown(node, listed, shown)
        if node.diagnosed or node.lasting:  # a test, a procedure or a finding shows the condition, not when it began
            return listed
        if node.concept in _unlisted_states() and not node.exceptions:
            return self._unlisted_state(node, listed)
        if node.concept in _states_from_procedures() and not node.exceptions:
            return self._state_from_procedure(node, listed)
        if node.concept in lab_states() and not node.exceptions:
            return self._lab_state(node, listed)
        test = _shown_by().get(node.concept)
        if test is None and not node.exceptions:
            return self._narrower_than_shown(node, listed)
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
            undated = [e for e in _procedures_done(p, by, c) if e.start is None or e.spans] if window is not None else []
            if undated and o.verdict == NOT_MET:  # it happened, but when?
                return Outcome(UNKNOWN, "{}: undated, may or may not be{}", (_Joined(undated), _window_text(window)),
                               tuple(e.path for e in undated))
            return o
        return check

    def _narrower_than_shown(self, node: ir.Condition, listed: Check) -> Check:
        """"Active CMV disease" with a positive CMV DNA test and nothing listed: the test shows the infection, which
        may be that disease (unknown, never not_met)."""
        broader = next(((a, t) for a in sorted(vocab.ancestors(node.concept)) if a != node.concept
                        and (t := _shown_by().get(a)) is not None), None)
        if broader is None:
            return listed
        shown, test = broader
        name = _concept_name(node.concept)

        def check(p: Patient, c: Context) -> Outcome:
            o = listed(p, c)
            if o.verdict != NOT_MET:
                return o
            positive = [x for x in p.observations.get(test, ()) if x.result == "positive" and x.day is not None
                        and x.day <= c.day]
            if not positive:
                return o
            return Outcome(UNKNOWN, "{} shows {}, which may be {}", (positive[0].summary, _concept_name(shown).lower(),
                                                                     name.lower()), (positive[0].path,))
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
            if against and (proof := _ruling_out(p, c, against)) is not None:
                return Outcome(NOT_MET, "{} (so not {})", (proof[0], name.lower()), proof[1])
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
        listed = self._simple_event("procedures", node.concept, node.window)
        if node.concept in procedures_from_states() and node.window is not None and node.window.amount == 0:
            listed = self._procedure_from_state(node, listed)
        against = _procedures_ruled_out().get(node.concept)
        if against is None:
            return listed
        name = _concept_name(node.concept).lower()

        def check(p: Patient, c: Context) -> Outcome:
            o = listed(p, c)
            if o.verdict == UNKNOWN and p.procedures is None and (proof := _ruling_out(p, c, against)) is not None:
                return Outcome(NOT_MET, "{} (so no {})", (proof[0], name), proof[1])
            return o
        return check

    def _build_Immunization(self, node: ir.Immunization) -> Check:
        return self._simple_event("immunizations", node.concept, node.window)

    def _build_StudyParticipation(self, node: ir.StudyParticipation) -> Check:
        return self._simple_event("studies", None, node.window)
    def _build_Permitted(self, node: ir.Permitted) -> Check:
        # neutral for the criterion's own junction: all() among the inclusions, any() among the exclusions
        outcome = Outcome(MET if self.kind == "inclusion" else NOT_MET, "permits, asks nothing: {}", (node.text,))
        return lambda p, c: outcome

    def _build_Review(self, node: ir.Review) -> Check:
        outcome = Outcome(REVIEW, node.reason)
        return lambda p, c: outcome


def _ruling_out(p: Patient, c: Context, against: str) -> tuple[str, tuple[str, ...]] | None:
    """The record's proof that the statement ``against`` holds (record_values.toml ``ruled_out_by``): attested, or, for
    childbearing potential, shown by a pregnancy (evaluate.outcome.can_conceive)."""
    if against == "childbearing_potential":
        return can_conceive(p, c)
    if p.attestations and p.attestations.get(against) is True:
        return f"attested: {against.replace('_', ' ')}", (f"attestations.{against}",)
    return None
