"""Checks of demographics and statements (sex, pregnant, lactating, attestations), mixed into
``evaluate.builder.Builder``: what the record says of the patient as a person, and what a recent test or a procedure
says when it leaves a statement out."""
from __future__ import annotations

from .. import ir
from ..patient import Patient
from .dates import Context
from .outcome import MET, NOT_MET, UNKNOWN, Check, Outcome, _Reasons, can_conceive, cannot_conceive
from .records import _flags_shown_by_tests


class StatementChecks:
    """``_build_Sex``, ``_build_Flag`` and ``_build_Attestation``; ``self.build`` is the Builder's."""


    def _build_Sex(self, node: ir.Sex) -> Check:
        want = node.value

        def check(p: Patient, c: Context) -> Outcome:
            if p.sex not in ("female", "male"):
                return Outcome(UNKNOWN, "sex not recorded" if p.sex is None else "recorded sex is {}", (p.sex,) if p.sex else ())
            return Outcome(MET if p.sex == want else NOT_MET, "sex {}", (p.sex,), ("sex",))
        return check

    def _build_Flag(self, node: ir.Flag) -> Check:
        name = node.name
        outside = self._outside_childbearing() if name == "pregnant" else None
        shown = _flags_shown_by_tests().get(name)
        # "pregnant" left out and a negative pregnancy test this week: not pregnant (record_values.toml)
        test = self.build(ir.TestResult(shown["test"], shown["result"], ir.Window(shown["days"]))) if shown else None

        def check(p: Patient, c: Context) -> Outcome:
            value = getattr(p, name)
            if value is None:
                if (why := cannot_conceive(p, c, outside)) is not None:
                    return Outcome(NOT_MET, "not {}: {}", (name, why[0]), why[1])
                if test is not None and (seen := test(p, c)).verdict == MET:
                    return Outcome(NOT_MET if shown["result"] == "negative" else MET, "{}: {}",  # type: ignore[index]
                                   ("not " + name if shown["result"] == "negative" else name, _Reasons([seen])),  # type: ignore[index]
                                   seen.evidence)
                return Outcome(UNKNOWN, "the record does not say whether the patient is {}", (name,))
            return Outcome(MET if value else NOT_MET, "{}{}", ("" if value else "not ", name), (name,))
        return check

    def _outside_childbearing(self) -> Check:
        """Met when the record puts a woman outside childbearing potential (ir.NOT_CHILDBEARING, the facts
        contraception groups are read with): she is not pregnant and has no positive pregnancy test."""
        return self.build(ir.AnyOf(ir.NOT_CHILDBEARING))

    def _build_Attestation(self, node: ir.Attestation) -> Check:
        name = node.name
        label = name.replace("_", " ")
        evidence = (f"attestations.{name}",)
        # a plan to become pregnant (or to breast-feed) no man makes, nor, to become pregnant, a woman the record puts
        # outside childbearing potential (precision review s9: every man was left unknown)
        outside = self._outside_childbearing() if name == "pregnancy_plans" else None
        womens = name in ir.WOMENS_PLANS
        shown_by_pregnancy = name == "childbearing_potential"  # a pregnancy shows it, whatever else is missing

        def check(p: Patient, c: Context) -> Outcome:
            if p.attestations is None or name not in p.attestations:
                if womens and (why := cannot_conceive(p, c, outside)) is not None:
                    return Outcome(NOT_MET, "no {}: {}", (label, why[0]), why[1])
                if shown_by_pregnancy and (proof := can_conceive(p, c)) is not None:
                    return Outcome(MET, "{} (so of childbearing potential)", (proof[0],), proof[1])
                return Outcome(UNKNOWN, "no attestation '{}' in the record", (name,))
            value = p.attestations[name]
            return Outcome(MET if value else NOT_MET, "attested: {}{}", ("" if value else "not ", label),
                           evidence)
        return check
