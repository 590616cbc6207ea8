"""Transformer rules for medications: drugs and their routes, settings and examples, doses, stable doses, windows
and durations of use, recovery from a treatment (one method per rule of grammars/criteria.lark)."""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from lark import Token, Transformer, v_args

from .. import ir, units, vocab
from ..errors import ScreeningError
from ..lexer import Ordinal, lexicon
from ..lexer.replacement import replacement_phrases
from .helpers import (CLASS_BEYOND_LISTED, Uncompilable, _all, _any, _dose, _drug_settings, _excepting, _examples_joined, _leaves, _purpose, _qualifier,
                      _recovered_from, _set, _setting, _within_upto, _words_after)


_DRUG_QUALIFIERS = frozenset({"chronic", "daily", "investigational", "experimental",
                              "high dose", "high-dose", "high doses", "high dose of", "high doses of"})  # lexer/passes.py _high_dose_judged  # words before a drug a person weighs (see MedicationRules.drug_judged)


def _daily(dose: ir.Dose, parts: tuple[Any, ...]) -> ir.Dose:
    """"Total daily insulin dose >= 1.4 IU/kg", "a daily dose of 20 mg": a dose word that says "daily" (phrases.toml
    [high_dose]) makes a dose with no time of its own a dose per day; one per day already is left as it is, one per
    other time ("daily dose 50 mg/week") cannot be read."""
    if dose.unit.endswith("/d") or not any(isinstance(p, Token) and p.type == "HIGHDOSE" and "daily" in str(p).lower()
                                           for p in parts):
        return dose
    try:
        value, unit = units.dose_to_canonical(dose.value, dose.unit + "/day")
    except ScreeningError:
        raise Uncompilable(f"a daily dose in {dose.unit}: per day, or per the time its unit names?") from None
    return ir.Dose(dose.op, value, unit)


def _is_class(key: str) -> bool:
    return not key.startswith("drug:") and vocab.get_concept(key).category == "drug_class"


@v_args(inline=True)
class MedicationRules(Transformer):  # type: ignore[type-arg]
    """Mixed into CriteriaTransformer (screening.compile.transformer)."""

    def drug(self, t: Token) -> ir.Node:
        return ir.Medication(t.value)

    def drug_systemic(self, _s: Token, t: Token) -> ir.Node:
        return ir.Medication(t.value, systemic=True)

    def drug_route(self, route: Token, t: Token) -> ir.Node:
        return ir.Medication(t.value, route=route.value)

    def drug_setting(self, *parts: Any) -> ir.Node:
        """"Adjuvant chemotherapy", "prophylactic filgrastim": why it was given is no part of a record; the drug
        is checked and a person weighs the setting (ir.Judged)."""
        drugs = [ir.Medication(t.value) for t in parts if isinstance(t, Token) and t.type == "DRUG"]
        return ir.Judged(_setting(parts), _any(list(dict.fromkeys(drugs))))

    def drug_judged(self, *parts: Any) -> ir.Node:
        """"Chronic aspirin therapy", "chronic use of systemic steroids": the drug taken now is checked, a person
        weighs "chronic". Only the qualifiers of _DRUG_QUALIFIERS: "previously treated with X" is a time, not a
        quality, and "uncontrolled"/"serious" say nothing of a drug."""
        toks = [p for p in parts if isinstance(p, Token)]
        words = {str(t.value).lower() for t in toks if t.type == "JUDGED"}
        # "nephrotoxic drugs": the lexer reads a drug property only before a drug noun, as any medication (phrases.toml
        # [setting] drug_properties); the property is the person's call
        words -= set(replacement_phrases())  # "steroids other than physiologic replacement doses" (lexer/replacement.py)
        if not words <= _DRUG_QUALIFIERS and toks[-1].value != vocab.ANY_SUBSTANCE:
            raise Uncompilable(f"'{sorted(words - _DRUG_QUALIFIERS)[0]}' before a drug")
        use = [str(t.value).lower() for t in toks if t.type == "USE"]
        if any(u not in lexicon().present_use for u in use):
            raise Uncompilable(f"'{use[0]}' between a qualifier and a drug")
        drug = toks[-1]
        systemic = any(t.type == "SYSTEMIC" for t in toks)
        return ir.Judged(_qualifier(tuple(t for t in toks if t.type == "JUDGED")), ir.Medication(drug.value, systemic=systemic))

    def drug_routes(self, *parts: Any) -> ir.Node:
        """"oral or intravenous corticosteroids", "topical or systemic steroids": the drug by any of them."""
        t = parts[-1]
        return _any([ir.Medication(t.value, systemic=True) if r.type == "SYSTEMIC" else ir.Medication(t.value, route=r.value)
                     for r in parts[:-1] if isinstance(r, Token) and r.type in ("ROUTE", "SYSTEMIC")])


    # --- stable doses --------------------------------------------------------------------------
    def _stable_period(self, parts: tuple[Any, ...]) -> ir.Window:
        cmp = next((p for p in parts if isinstance(p, Token) and p.type == "CMP"), None)
        if cmp is not None and cmp.value not in (">=", ">"):
            raise Uncompilable("a stable dose for at most a time: an upper bound the rule cannot state")
        number = next(p for p in parts if isinstance(p, Token) and p.type == "NUMBER")
        unit = next(p for p in parts if isinstance(p, Token) and p.type == "TIMEUNIT")
        if isinstance(number.value, Ordinal) or number.value <= 0:
            raise Uncompilable("a stable dose needs a period")
        return ir.Window(number.value, unit.value)

    def _stable_drugs(self, parts: tuple[Any, ...]) -> list[ir.Medication]:
        meds = [m for p in parts if isinstance(p, ir.Node) for m in _leaves(p)]
        if not meds or not all(isinstance(m, ir.Medication) for m in meds):
            raise Uncompilable("a stable dose of what?")
        if any(isinstance(p, ir.Judged) for p in parts):
            raise Uncompilable("a stable dose of a drug given in a setting ('maintenance'): a person's call")
        return meds  # type: ignore[return-value]

    def _stable_moot(self, parts: tuple[Any, ...]) -> ir.Node:
        """Every drug named, if taken now, at a stable dose for the period; moot for one not taken."""
        period = self._stable_period(parts)
        meds = list(dict.fromkeys(self._stable_drugs(parts)))
        return _all([_any([ir.Not(replace(m, window=ir.Window(0))), replace(m, window=ir.Window(0), stable=period)])
                     for m in meds])

    def stable_demand(self, _lead: Token, *parts: Any) -> ir.Node:
        """"A stable dose of methotrexate for at least 8 weeks": methotrexate now, at one dose that long."""
        if self.kind == "exclusion":
            raise Uncompilable("a stable dose among the exclusions: excluded when stable, or when not?")
        period = self._stable_period(parts)
        return _any([replace(m, window=ir.Window(0), stable=period) for m in self._stable_drugs(parts)])

    def stable_if(self, *parts: Any) -> ir.Node:
        if self.kind == "exclusion":
            raise Uncompilable("'if on X, a stable dose' among the exclusions: excluded when stable, or when not?")
        at = next((i for i, p in enumerate(parts) if isinstance(p, Token) and p.type == "IFCOND"), len(parts))
        before = [p for p in parts[:at] if isinstance(p, ir.Node)]
        after = [p for p in parts[at:] if isinstance(p, ir.Node)]
        if before and after and ({m.concept for n in before for m in _leaves(n)}  # type: ignore[attr-defined]
                                 != {m.concept for n in after for m in _leaves(n)}):  # type: ignore[attr-defined]
            raise Uncompilable("a stable dose of one drug, if taking another")
        return self._stable_moot(tuple(p for p in parts if not isinstance(p, ir.Node)) + tuple(before or after))

    def stable_unless(self, *parts: Any) -> ir.Node:
        """"Phenytoin or carbamazepine (unless on a stable dose for 8 weeks)": excluded when taking one at a
        dose not stable that long."""
        if self.kind == "inclusion":
            raise Uncompilable("'X unless on a stable dose' among the inclusions: required, or allowed?")
        first = next(i for i, p in enumerate(parts) if isinstance(p, ir.Node))
        if any(isinstance(p, Token) and p.type in ("HISTORY", "PRIOR") for p in parts[:first]):
            raise Uncompilable("a past drug unless its dose is stable now")
        return ir.Not(self._stable_moot(parts))

    def drug_systemic_examples(self, *parts: Any) -> ir.Node:
        _examples_joined(self.kind, parts)  # type: ignore[attr-defined]
        return _any([ir.Medication(x.value, systemic=True) for x in parts if isinstance(x, Token) and x.type == "DRUG"])

    def drug_examples(self, t: Token, *parts: Any) -> ir.Node:
        _examples_joined(self.kind, parts)  # type: ignore[attr-defined]
        toks = [x for x in (t, *parts) if isinstance(x, Token)]  # "such as systemic corticosteroids": that example so
        meds: list[ir.Node] = [ir.Medication(x.value, systemic=i > 0 and toks[i - 1].type == "SYSTEMIC")
                               for i, x in enumerate(toks) if x.type == "DRUG"]
        if any(x.type == "LPAR" for x in toks) and not any(x.type == "SUCHAS" for x in toks) and len(meds) > 2 and \
                _is_class(meds[0].concept):  # type: ignore[attr-defined]
            # "immunomodulators (azathioprine, 6-MP or methotrexate)": members listed, a definition or examples? (not
            # "sargramostim (GM-CSF)", a drug and its class)
            meds[0] = ir.Judged(CLASS_BEYOND_LISTED, meds[0])
        return _any(meds)

    def dose(self, *parts: Token) -> ir.Dose:
        if isinstance(parts[-1], ir.Dose) or any(isinstance(p, ir.Dose) for p in parts):
            return next(p for p in parts if isinstance(p, ir.Dose))  # type: ignore[return-value]
        return _daily(_dose(next(p for p in parts if p.type == "CMP").value, parts), parts)

    def medications(self, *parts: Any) -> ir.Node:
        history = any(isinstance(p, Token) and (p.type in ("HISTORY", "PRIOR") or
                                                p.type == "USE" and str(p).lower() in lexicon().past_use)
                      for p in parts)  # "have received rituximab": ever
        window = next((p for p in parts if isinstance(p, ir.Window)), None)
        if window is None and not history:
            window = ir.Window(0)
        dose = next((p for p in parts if isinstance(p, ir.Dose)), None)
        if dose is not None:
            dose = _daily(dose, parts)  # "a total daily dose of insulin > 2 units/kg"
        meds = [m for p in parts if isinstance(p, ir.Node) for m in _leaves(p)]
        settings = _drug_settings(parts)  # "prior adjuvant chemotherapy": ir.Judged around that drug
        if meds and meds[0].systemic:  # type: ignore[attr-defined]  # "systemic steroids or tacrolimus": both
            meds = [m if m.route else ir.Medication(m.concept, m.window, m.dose, True) for m in meds]  # type: ignore[attr-defined]
        if meds and meds[0].route and any(m.route is None and not m.systemic for m in meds):  # type: ignore[attr-defined]
            raise Uncompilable("a route before a list of drugs: is it said of them all?")
        if dose is not None and len({m.concept for m in meds}) > 1:  # type: ignore[attr-defined]
            # "itraconazole, fluconazole (> 200 mg/day) or voriconazole": one drug's ceiling, or each one's?
            raise Uncompilable("a dose after a list of different drugs: is it said of each, or of the last?")
        again = [p.value for p in parts if isinstance(p, Token) and p.type == "DRUG"]  # after the dose
        if any(a != m.concept for a in again for m in meds):  # type: ignore[attr-defined]
            raise Uncompilable("the dose is stated for a different drug than the one named")
        if dose is not None and dose.op in ("<", "<=") and self.kind == "inclusion":
            # "corticosteroid less than 1.0 mg/kg/d" is a ceiling: not taking it at or above that dose
            above = ir.Dose({"<": ">=", "<=": ">"}[dose.op], dose.value, dose.unit)
            return ir.Not(_any([_set(ir.Medication(m.concept, window, above, m.systemic, m.route), settings, i)  # type: ignore[attr-defined]
                                for i, m in enumerate(meds)]))
        return _any([_set(ir.Medication(m.concept, window, dose, m.systemic, m.route), settings, i)  # type: ignore[attr-defined]
                     for i, m in enumerate(meds)])

    def medications_for(self, *parts: Any) -> ir.Node:
        """"No prior chemotherapy for melanoma": what a drug was for is seldom in a record; without the drug
        the statement is decided, with it a person checks the indication."""
        if any(isinstance(p, ir.Dose) for p in parts):
            raise Uncompilable("a dose and an indication together")
        at = next(i for i, p in enumerate(parts) if isinstance(p, Token) and p.type == "FOR")
        if any(isinstance(p, Token) and p.type == "JUDGED" for p in parts[at:]):
            # "for locally advanced or metastatic disease": the words as written after "for"
            purpose = _words_after(parts[at:])
            node = self.medications(*(p for p in parts[:at]), *(p for p in parts[at:] if isinstance(p, ir.Window)))
            return ir.Judged(purpose, node)
        node = self.medications(*(p for p in parts if not (isinstance(p, Token) and p.type == "CONDITION")))
        return ir.Judged(_purpose(parts), node)  # type: ignore[arg-type]

    def medications_except(self, *parts: Any) -> ir.Node:
        """"Antiretroviral agents other than zidovudine (AZT)": a drug of the class other than those. Each
        excepted drug must belong to a class of the list ("investigational drugs other than antiretrovirals"
        excepts no investigational drug the record can name: review)."""
        cut = next(i for i, p in enumerate(parts) if isinstance(p, Token) and p.type == "EXCEPT")
        excepted = tuple(dict.fromkeys(p.value for p in parts[cut:] if isinstance(p, Token) and p.type == "DRUG"))
        node = self.medications(*(p for p in parts[:cut] if not (isinstance(p, Token) and p.type in ("COMMA", "LPAR"))),
                                *(p for p in parts[cut:] if isinstance(p, ir.Window)))
        meds = [m for m in _leaves(node) if isinstance(m, ir.Medication)]
        if any(not any(m.concept in vocab.ancestors(x) and m.concept != x for m in meds) for x in excepted):
            raise Uncompilable("an exception that is not one of the drugs named before it")
        return _excepting(node, excepted)

    def medications_upto(self, *parts: Token | None) -> ir.Node:
        """"Chemotherapy =< 4 weeks" among the exclusions: given within the last 4 weeks (helpers._within_upto)."""
        toks = [t for t in parts if t is not None]
        drugs = [t for t in toks if t.type == "DRUG"]
        lead, window = _within_upto(toks, drugs, "drug", self.kind, frozenset({"HISTORY", "PRIOR", "USE", "REQUIRING"}))
        return self.medications(*lead, *(ir.Medication(d.value) for d in drugs), window)

    def medications_lasting(self, *parts: Any) -> ir.Node:
        """"Zidovudine (AZT) for more than 6 months", "no more than 2 weeks of prior protease inhibitors": taken that
        long (ir.Duration), ever. Said with "for" after the drug ("cabergoline for less than 12 months") it is said of
        one who took it; the duration first ("no more than 2 weeks of X") admits none. Taken now ("on X for at least
        7 days") asks for a current course, which the total does not tell: review."""
        toks = [p for p in parts if isinstance(p, Token)]
        cmp, number, unit = (next(t for t in toks if t.type == k) for k in ("CMP", "NUMBER", "TIMEUNIT"))
        lead = parts[:next(i for i, p in enumerate(parts) if isinstance(p, ir.Node))]  # not "NRTI therapy" after it
        if any(isinstance(t, Token) and t.type == "USE" and str(t).lower() in lexicon().present_use for t in lead):
            raise Uncompilable("taken now for a time: a current course, or in all?")
        meds = [m for p in parts if isinstance(p, ir.Node) for m in _leaves(p)]
        if len(meds) != 1 or type(meds[0]) is not ir.Medication:
            raise Uncompilable("how long of which drug?")  # "more than 6 weeks of A or B": each, or both together?
        if unit.value == "hour":
            raise Uncompilable("a duration in hours: a record dates a course by the day")
        last = parts[-1]  # "prior to study entry" ends the sentence; "3 months of prior X" does not
        if self.kind == "exclusion" and isinstance(last, Token) and last.type in ("PRIOR", "ANCHOR"):
            # "experimental therapy for >= 4 weeks prior to initiation": taken that long, or in the weeks before?
            raise Uncompilable("'for N weeks prior to' among the exclusions: a duration, or a time before?")
        duration = ir.Duration(cmp.value, number.value, unit.value)
        node = _any([replace(m, window=None, duration=duration) for m in meds])  # type: ignore[arg-type]
        if any(t.type == "LASTING" for t in toks) and cmp.value in ("<", "<="):
            node = _all([_any([replace(m, window=None) for m in meds]), node])  # type: ignore[arg-type]
        return node

    def recovery(self, *parts: Any) -> ir.Node:
        events = [ir.Medication(t.value) if t.type == "DRUG" else ir.Procedure(t.value)
                  for t in parts if isinstance(t, Token) and t.type in ("DRUG", "PROCEDURE")]
        return _recovered_from(events, "not recovered from its effects")

    def recovery_allowed(self, *parts: Any) -> ir.Node:
        """"Prior radiotherapy allowed and recovered": the permission asks nothing; whether the patient recovered
        from what was allowed is a person's call (moot without it). Only the words that say "allowed"."""
        tail = next(t for t in parts if isinstance(t, Token) and t.type == "RECOVERED")
        if not str(tail).lower().startswith("allowed"):
            raise Uncompilable("a treatment, then 'and recovered': required, or allowed?")
        if self.kind == "exclusion":
            raise Uncompilable("a permission with a demand filed among the exclusions")
        if any(isinstance(t, Token) and t.type == "USE" and str(t).lower() in lexicon().present_use for t in parts):
            raise Uncompilable("a treatment now, and recovered from it?")
        return self.recovery(*parts)
