"""Transformer rules for events: conditions, allergies, procedures, vaccines, studies (one method per rule of
grammars/criteria.lark); medications and stable doses are in compile/medications.py."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from lark import Token, Transformer, v_args

from .. import ir, units, vocab
from ..lexer import ActiveToken, lexicon, phrase_data, phrase_key
from .durations import lasting_reading
from .helpers import (
    GENERIC_QUALIFIER, Uncompilable, _Ever, _concept_words, _JudgedExceptions, _Period, _SUSPICION, _Value, _age, _age_values, _all, _examples_joined,
    _any, _dose, _event_window, _generic, _generic_systemic, _latent_forms, _leaves, _purpose, _qualifier,
    _words_after, _recent_settled, _retime, _setting, _suspicion, _within_upto, _years)


@lru_cache(maxsize=256)
def _defining(concept: str) -> frozenset[str]:
    """The quantities whose measurement, in parentheses after the condition, defines it."""
    return frozenset(phrase_data()["defined_by"].get(concept, ())) | frozenset(
        q for c, q in lexicon().condition_quantities.items() if c == concept) | frozenset(
        q.key for q in units.quantities().values() if q.shows == concept)


@v_args(inline=True)
class EventRules(Transformer):  # type: ignore[type-arg]
    """Mixed into CriteriaTransformer (screening.compile.transformer)."""

    # --- events --------------------------------------------------------------------------------
    def cond(self, t: Token) -> ir.Node:
        active = isinstance(t, ActiveToken)
        node = ir.Condition(t.value, None, _latent_forms(t.value) if active else (),
                            active and not t.value.startswith("active_"))  # "active tuberculosis": its concept says it
        if active:
            self._active.add(id(node))
        return node

    def cond_marked(self, keys: tuple[str, ...], result: Token, t: Token) -> ir.Node:
        """"HER2-positive breast cancer", "HER2 negative breast cancer": the cancer, and the marker's result that the
        record holds as an observation of its tumour (quantities.toml: her2, egfr_mutation, cd20 ...). One marker
        only, and a qualitative one; the condition takes the list's time frame (helpers._retime)."""
        if len(keys) != 1 or units.get_quantity(keys[0]).kind != "qualitative":
            raise Uncompilable("a condition qualified by a measurement, not a test result")
        outcome = "positive" if result.type == "POS" else "negative"
        return ir.All((self.cond(t), ir.TestResult(keys[0], outcome)))

    def cond_judged(self, *parts: Token | None) -> ir.Node:
        t = next(p for p in parts if isinstance(p, Token) and p.type in ("CONDITION", "CGROUP"))
        keys = (t.value,) if t.type == "CONDITION" else t.value
        active = isinstance(t, ActiveToken)  # "active severe lupus nephritis": one in remission is not
        return ir.Judged(_qualifier(parts), _any([ir.Condition(k, active=active and not k.startswith("active_"))
                                                  for k in keys]))

    def cond_systemic(self, *parts: Token | None) -> ir.Node:
        """"Active systemic infection", "major systemic infections": the infection is checked, a person weighs whether
        it is systemic (and the words before it)."""
        node = self.cond_judged(*parts)
        assert isinstance(node, ir.Judged)
        words = [str(p.value) for p in parts if isinstance(p, Token) and p.type in ("JUDGED", "SYSTEMIC")]
        # "active systemic infection requiring parenteral antibiotic therapy": the need too
        needs = _qualifier(tuple(p for p in parts if not (isinstance(p, Token) and p.type == "JUDGED")))
        return ir.Judged(", ".join(x for x in (" ".join(words), needs) if x), node.item)

    def cond_judged_examples(self, *parts: Any) -> ir.Node:
        """"Uncontrolled metabolic disease (e.g., diabetes or hypothyroidism)", "serious infection such as sepsis":
        the qualifier is said of the examples too (a controlled diabetes is no uncontrolled metabolic disease), so a
        person weighs each; a record with none of them and no such disease shows none."""
        t = next(p for p in parts if isinstance(p, Token) and p.type == "CONDITION")
        _examples_joined(self.kind, parts)  # type: ignore[attr-defined]
        qualifier = _qualifier(parts)
        examples = _examples_of(t.value, [p for p in parts if isinstance(p, ir.Node)])
        node = _any([ir.Judged(qualifier, ir.Condition(t.value)),
                     *(e if isinstance(e, ir.Judged) else ir.Judged(qualifier, e) for e in examples)])
        self._examples_of[id(node)] = qualifier
        return node

    def cond_judged_now(self, *parts: Any) -> ir.Node:
        """"Uncontrolled intercurrent infection", "severe co-existing cardiac disease": a time word of now between
        the qualifiers and the condition."""
        uses = [str(t.value).lower() for t in parts if isinstance(t, Token) and t.type == "USE"]
        if any(u not in phrase_data()["current_state"]["phrases"] for u in uses):
            raise Uncompilable(f"'{uses[0]}' before a condition")
        node = self.cond_judged(*parts)
        self._now.add(id(node))
        return node

    def cond_generic(self, *parts: Any) -> ir.Node:
        """"Serious concurrent illness", "any significant medical condition (e.g. diabetes)": any condition the
        record carries, always weighed by a person (the words before it are the qualifier); the examples are
        conditions too and do not narrow it. A time word inside ("serious concurrent") means now."""
        toks = [p for p in parts if isinstance(p, Token)]
        uses = [str(t.value).lower() for t in toks if t.type == "USE"]
        if any(u not in phrase_data()["current_state"]["phrases"] for u in uses):
            raise Uncompilable(f"'{uses[0]}' before an illness")
        generic = next(t for t in toks if t.type == "GENERIC")
        judged = _qualifier(tuple(p for p in parts if not (isinstance(p, Token) and p.type in ("NEEDS", "REQUIRING"))))
        needs = _qualifier(tuple(p for p in parts if not (isinstance(p, Token) and p.type == "JUDGED")))
        kind = "systemic" if phrase_key(str(generic.value)) in _generic_systemic() else ""
        head = " ".join(x for x in (judged, *uses, kind) if x)
        node = ir.Judged(", ".join(x for x in (head, needs) if x) or GENERIC_QUALIFIER, ir.Condition(vocab.ANY_CONDITION))
        if uses:
            self._now.add(id(node))
        if any(t.type == "SUCHAS" for t in toks) and not any(t.type == "LPAR" for t in toks):
            self._open.add(id(node))  # "such as A, B or C ...": where do the examples end?
        return node

    def cond_suspected(self, lead: Token, t: Token) -> ir.Node:
        """"Known or suspected brain metastases": a recorded diagnosis meets it; a suspicion is in no record of
        diagnoses, so without one a person judges (never a confident not_met)."""
        keys = (t.value,) if t.type == "CONDITION" else t.value
        return _any([*(ir.Condition(k) for k in keys), _suspicion(keys)])

    def cond_suspected_history(self, lead: Token, *parts: Token) -> _Ever:
        """"Known or suspected history of drug abuse": a recorded diagnosis at any time (or in the window after it)
        meets it; a suspicion a person judges."""
        return _Ever(self.cond_suspected(lead, parts[-1]))

    def cond_group(self, t: Token) -> ir.Node:
        node = _any([ir.Condition(k, active=isinstance(t, ActiveToken)) for k in t.value])
        if isinstance(t, ActiveToken):
            self._active.add(id(node))
        return node

    def cond_diagnosed(self, dx: Token, t: Token, *_year: Token) -> "_Ever | ir.Node":
        """"Meets ACR criteria for SLE": ever diagnosed (classification and diagnostic criteria of a chronic disease
        count what was ever found); "meets criteria for alcohol dependence": a mental disorder's criteria describe an
        episode, and the present tense asks whether it is going on now."""
        episodic = "mental_disorder" in vocab.ancestors(t.value) and "classif" not in str(dx).lower()
        return ir.Condition(t.value) if episodic else _Ever(ir.Condition(t.value))

    def dose_cap(self, drug: Token, *parts: Token) -> ir.Node:
        return ir.Not(ir.Medication(drug.value, ir.Window(0), _dose(">", parts)))

    def cond_defined(self, t: Token, *parts: Any) -> ir.Node:
        """"Thrombocytopenia (platelets < 100,000/mm3)": the measurement says what the condition means, and alone
        decides; only of a quantity that defines it (phrases.toml [defined_by]), else review: "No hemolytic anemia
        (hematocrit < 30%)" is no low hematocrit of any cause (precision review s13)."""
        node = next(p for p in parts if isinstance(p, ir.Node))  # the definition decides
        measured = {n.quantity for n in ir.walk(node) if isinstance(n, ir.Measure)} | {
            n.analyte for n in ir.walk(node) if isinstance(n, ir.TestResult)}
        if not measured <= _defining(t.value):
            raise Uncompilable(f"a measurement in parentheses that does not define {_concept_words(t.value)}: "
                               "what it adds, a person weighs")
        self._defined.add(id(node))
        return node

    def cond_measured(self, *parts: Any) -> ir.Node:
        """"Uncontrolled diabetes (defined as HbA1c > 9%)", "severe hypertension defined as SBP > 180 or DBP > 110 mm Hg":
        the measurement says what the words mean, and alone decides (as cond_defined does): a value that meets it meets
        the criterion, one that does not fails it whatever the record's diagnoses, and no value is unknown. Only for words
        a measurement can define (phrases.toml [defined_qualifiers] measured); examples ("e.g. SBP > 160") stay in review:
        other cases may count too."""
        d = phrase_data()["defined_qualifiers"]
        toks = [p for p in parts if isinstance(p, Token)]
        at = next(i for i, t in enumerate(toks) if t.type == "CONDITION")
        measured = {phrase_key(w) for w in d["measured"]}
        if any(phrase_key(str(t)) not in measured for t in toks[:at] if t.type == "JUDGED"):
            raise Uncompilable("a qualifier that a measurement does not define")
        such = next((t for t in toks if t.type == "SUCHAS"), None)
        if such is not None and phrase_key(str(such)) not in {phrase_key(w) for w in d["definitions"]}:
            raise Uncompilable("examples of what the words mean: other cases may count too")
        nodes = [p for p in parts if isinstance(p, ir.Node)]
        if any(t.type == "AND" for t in toks[at:]) or len(nodes) > 1 and not any(t.type == "OR" for t in toks[at:]):
            raise Uncompilable("a definition by measurements joined by 'and' or commas: all of them, or any?")
        node = _any(nodes)
        self._defined.add(id(node))
        return node

    def def_measure(self, *parts: Any) -> ir.Node:
        """A measurement that defines a state: "AST or ALT > 3 x ULN" is either, as in an exclusion."""
        kind, self.kind = self.kind, "exclusion"
        try:
            return self.measures(*parts)
        finally:
            self.kind = kind

    def period(self, _l: Token, cmp: Token, number: Token, unit: Token, _r: Token) -> _Period:
        """"Recent myocardial infarction (less than 1 month)": how recent. conditions() accepts it only after "recent"."""
        if cmp.value not in ("<", "<="):
            raise Uncompilable("a time in parentheses that is no upper bound: how long ago, or how long it lasted?")
        return _Period(ir.Window(number.value, unit.value))

    def cond_examples(self, t: Token, *parts: Any) -> ir.Node:
        _examples_joined(self.kind, parts)  # type: ignore[attr-defined]
        return _any([ir.Condition(t.value)] + _examples_of(t.value, [p for p in parts if isinstance(p, ir.Node)]))

    def exception_judged(self, *parts: Token | None) -> _JudgedExceptions:
        toks = [t for t in parts if isinstance(t, Token) and t.type in ("CONDITION", "CGROUP", "JUDGED")]
        first = next(i for i, t in enumerate(toks) if t.type == "JUDGED")
        words = " or ".join(dict.fromkeys(str(t.value) for t in toks if t.type == "JUDGED"))
        return _JudgedExceptions(_excepted(toks), words, _excepted(toks[first:]))

    def exception(self, *parts: Token | None) -> tuple[str, ...]:
        return _excepted(parts)

    def age_two_bounds(self, *parts: Token) -> ir.Node:
        """"Age >= 18 and =< 70 years"."""
        cmps = [t for t in parts if isinstance(t, Token) and t.type == "CMP"]
        return _all([_age(c.value, years, whole) for c, (years, whole) in zip(cmps, _age_values(parts))])

    def age_either(self, c1: Token, n1: Token, *rest: Token) -> ir.Node:
        """"Age less than 18 or greater than 65": outside a range, so the lower limit must come with "<"."""
        parts = (c1, n1, *rest)
        cmps = [t.value for t in parts if isinstance(t, Token) and t.type == "CMP"]
        bounds = sorted(zip(_age_values(parts), cmps))
        if not (bounds[0][1] in ("<", "<=") and bounds[1][1] in (">", ">=") and bounds[0][0][0] <= bounds[1][0][0]):
            raise Uncompilable("'age A or B' that is not outside one range: 'and' meant?")
        return _any([_age(op, years, whole) for (years, whole), op in bounds])

    def age_range(self, node: ir.Node) -> ir.Node:  # its one alternative with no alias of its own: ages_between
        return node

    def ages_between(self, *parts: Token) -> ir.Node:
        """"between the ages of 18 and 65 years"."""
        return self.age_between(*parts)

    def age_lead_bound(self, cmp: Token, _age_tok: Token, number: Token, unit: Token | None = None) -> ir.Node:
        """"over the age of 18"."""
        return _age(cmp.value, _years(number.value, unit.value if unit else None), unit is None or unit.value == "year")

    def measures_lead(self, cmp: Token, keys: tuple[str, ...], value: _Value, *rest: Any) -> ir.Node:
        """"a minimum life expectancy of 12 weeks"."""
        return self.measures(keys, [(cmp.value, value)], *rest)

    def conditions(self, *parts: Any) -> ir.Node:
        first = next((p for p in parts if isinstance(p, Token)), None)
        if first is not None and first.type == "OR" and not first.start_pos:
            # "Or patients with a history of X": the rest of a list the previous item began (read alone it would
            # demand what was one choice of several)
            raise Uncompilable("a sentence that opens with 'or': the rest of a list")
        lead = next((p for p in parts if isinstance(p, Token) and p.type == "USE"), None)
        if lead is not None and str(lead.value).lower() not in phrase_data()["current_state"]["phrases"]:
            raise Uncompilable(f"'{lead}' before a condition")
        had = next((p for p in parts if isinstance(p, Token) and p.type == "PROCUSE"), None)
        if had is not None and str(had.value).lower() != "had":  # "undergone a myocardial infarction"?
            raise Uncompilable(f"'{had}' before a condition")
        history = had is not None or any(isinstance(p, Token) and p.type in ("HISTORY", "PRIOR") or isinstance(p, _Ever)
                                         for p in parts)
        parts = tuple(p.node if isinstance(p, _Ever) else p for p in parts)
        if history and any(id(p) in self._defined for p in parts):
            raise Uncompilable("a history of a condition its measurements define: measured when?")
        window = next((p for p in parts if isinstance(p, ir.Window)), next(
            (p.window for p in parts if isinstance(p, _Period)), None))
        recent = [str(p.value) for p in parts if isinstance(p, Token) and p.type == "JUDGED"]  # from the _recent lead
        if recent and (window is None or window.amount == 0):
            window = None  # "recent history of X", "current or recent X": ever had it, and a person weighs when
        if history and any(id(p) in self._now for p in parts):
            raise Uncompilable("a history of an illness said to be present now: ever, or now?")
        members = [p for p in parts if isinstance(p, ir.Node)]
        if history and any(id(p) in self._active for p in members[1:]):
            # "History of HIV infection or active hepatitis B or C": the later one now, or ever?
            raise Uncompilable("'active' on a later member of a history list: that one now, or ever?")
        # "a serious medical condition such as diabetes, heart failure, or other heart disease": what follows examples
        # not in parentheses are more examples, which the generic illness covers; a time frame or an exception after
        # them may be said of the last example only
        opened = next((i for i, p in enumerate(parts) if isinstance(p, ir.Node) and id(p) in self._open), None)
        if opened is not None and any(isinstance(p, (ir.Window, tuple, _JudgedExceptions)) for p in parts[opened:]):
            raise Uncompilable("examples not in parentheses: where does the list of examples end?")
        if opened is not None:
            parts = parts[:opened + 1]
        if window is None and not history and not recent:
            window = ir.Window(0)
        judged = [p for p in parts if isinstance(p, _JudgedExceptions)]
        exceptions = tuple(k for p in parts if isinstance(p, tuple) for k in p) + tuple(
            k for j in judged for k in j.concepts)
        nodes = [p for p in parts if isinstance(p, ir.Node)]
        if len(nodes) > 1 and isinstance(nodes[0], ir.AnyOf) \
                and getattr(nodes[0].items[-1], "reason", None) == _SUSPICION:
            # "known or suspected brain metastases or leptomeningeal disease": the suspicion covers the list
            keys = [n.concept for m in nodes for n in _leaves(m) if isinstance(n, ir.Condition)]
            nodes = [*nodes[0].items[:-1], *nodes[1:], _suspicion(keys)]
        if isinstance(nodes[0], ir.Judged) and len(nodes) > 1 and nodes[0].qualifier != GENERIC_QUALIFIER:
            # "uncontrolled hypertension or diabetes": the words may qualify the whole list; read so,
            # the machine still decides every patient who has none of them
            q = nodes[0].qualifier
            nodes = [ir.Judged(q, n.item) if _generic(n) and n.qualifier == GENERIC_QUALIFIER else
                     n if isinstance(n, ir.Judged) else ir.Judged(q, n) for n in nodes]
        if len(nodes) > 1 and (q := self._examples_of.get(id(nodes[0]))) is not None:
            # "Clinically significant cardiac disease, including symptoms of ischemia, CHF, or arrhythmia": the list
            # after "including" goes on past the first example, and the qualifier with it (precision review s9)
            nodes = [nodes[0], *(n if isinstance(n, ir.Judged) else ir.Judged(q, n) for n in nodes[1:])]
        nodes = _recent_settled(parts, nodes, recent, window)
        written = exceptions
        if any(isinstance(n, ir.Condition) and n.exceptions for m in nodes for n in ir.walk(m)):
            # "active bacterial or mycobacterial infection": "active" holds for the whole list (not for a
            # generic illness beside it: "active infection or other serious illness")
            exceptions += tuple(k for m in nodes for n in ir.walk(m) if isinstance(n, ir.Condition)
                                for k in _latent_forms(n.concept))
        # "... except adequately treated basal cell carcinoma": with only an excepted one, a person weighs the words
        again = [ir.Judged(j.qualifier, _any([ir.Condition(k, window) for k in j.judged])) for j in judged]
        out = _any([_retime(p, window, written if _generic(p) else exceptions) for p in nodes] + again)
        if recent and window is None:
            out = ir.Judged(" or ".join([*(str(t.value) for t in parts if isinstance(t, Token) and t.type == "USE"),
                                         *recent]), out)
        if opened is not None:
            self._open.add(id(out))
        return out

    def conditions_lasting(self, *parts: Any) -> ir.Node:
        """"Diagnosed with type 2 diabetes for at least 90 days", "no other malignancy for at least 3 years": how long
        it has lasted (since its onset) or, negated, how long there has been none (a look-back window). Read as
        compile/durations.py says; where it cannot, the condition at some time is necessary: without it, not met; with
        it, when it began or ended is a person's call (ir.Judged on the condition ever)."""
        at = next(i for i, p in enumerate(parts) if isinstance(p, Token) and p.type == "LASTING")
        cmp, number, unit = (next(t for t in parts[at:] if isinstance(t, Token) and t.type == k)
                             for k in ("CMP", "NUMBER", "TIMEUNIT"))
        if cmp.value not in _LASTING_WORDS:
            raise Uncompilable(f"a condition for '{cmp}' a time")
        rest = tuple(p for p in parts[:at] if not (isinstance(p, Token) and p.type in ("HISTORY", "PRIOR")))
        rest += tuple(p for p in parts[at:] if not isinstance(p, Token))  # the exceptions
        node = self.conditions(Token("HISTORY", "history of"), *rest)
        if any(isinstance(c, ir.Condition) and c.concept == "postmenopausal" for c in ir.walk(node)):
            # "postmenopausal for at least 1 year" says who cannot conceive (see reproductive.json): left to review
            raise Uncompilable("how long postmenopausal: a statement of childbearing potential")
        n = float(number.value)
        qualifier = f"for {_LASTING_WORDS[cmp.value]} {n:g} {unit.value}{'' if n == 1 else 's'}"
        judged = ir.Judged(qualifier, node)
        read = lasting_reading(node, str(cmp.value), n, str(unit.value))
        if read is None:
            return judged
        out, window = read
        if not window:  # negated, it may say how long there has been none: the cautious reading then (_not)
            self._lasting[id(out)] = (out, judged)
        return out

    def conditions_unless(self, *parts: Any) -> ir.Node:
        """"(No) congestive heart failure unless ejection fraction at least 40%": the condition with the measurement
        not so (negated: none, or the measurement so)."""
        measure = parts[-1]
        node = _all([self.conditions(*parts[:-2]), ir.Not(measure)])
        self._joint.add(id(node))
        return node

    def allergies(self, *parts: Any) -> ir.Node:
        """"Known hypersensitivity to X or its excipients", "penicillin allergy": the record's allergies list. A
        qualifier before the allergy ("severe allergic reaction to X") or an anaphylaxis a person weighs: the
        record's allergy entries name the substance, seldom how bad the reaction was (ir.Judged)."""
        at = next(i for i, p in enumerate(parts) if isinstance(p, Token) and p.type in ("ALLERGY", "ALLERGYTAIL"))
        lead = parts[at]
        if lead.value == "contraindication":
            raise Uncompilable("a contraindication is a clinician's call, not only an allergy")
        after = parts[at + 1] if at + 1 < len(parts) else None
        if isinstance(after, Token) and after.type == "OR" and str(after).lower() != "either":
            raise Uncompilable("an allergy to, or what?")
        # in the text's order: a drug (a tree), "X allergy" and "(or other Y)" (DRUG), a food or excipient (SUBSTANCE)
        concepts = [c for p in parts for c in (
            [m.concept for m in _leaves(p)] if isinstance(p, ir.Node) else  # type: ignore[attr-defined]
            [str(p.value)] if isinstance(p, Token) and p.type in ("DRUG", "SUBSTANCE") else [])]
        if any(isinstance(p, ir.Judged) for p in parts):
            raise Uncompilable("an allergy to a drug in a setting ('adjuvant'): what is it to?")
        if "investigational_agent" in concepts:
            raise Uncompilable("an allergy to the study drug: the drug is named elsewhere in the protocol")
        # "allergy to penicillin" is to the penicillins: a drug that names a class ("penicillin_class") means it
        named = {k: f"{k}_class" for k in concepts if f"{k}_class" in vocab.get_concept(k).parents}
        nodes: list[ir.Node] = [ir.Allergy(named.get(k, k)) for k in concepts]
        tails = {p.value for p in parts if isinstance(p, Token) and p.type in ("EXCIPIENTS", "COMPONENTSOF")}
        if tails - {"similar", "study"}:  # "or its excipients" (the token's value is its text)
            # the drug's other ingredients: no vocabulary links them to the drug, so any allergy at all may be one
            # (a person checks), and a record with none rules them out
            nodes.append(ir.Judged("its excipients", ir.Allergy(vocab.ANY_SUBSTANCE)))
        if "similar" in tails or lead.value == "similar":  # which compounds are like the drug: a person's call
            nodes.append(ir.Judged("compounds of similar composition", ir.Allergy(vocab.ANY_SUBSTANCE)))
        if "study" in tails:
            nodes.append(ir.Review("other agents used in the study", "the study's agents are named elsewhere in the protocol"))
        if "intoleran" in str(lead.value).lower():  # "intolerance to zidovudine": its toxicity, seldom an allergy entry
            nodes.append(_intolerance([named.get(k, k) for k in concepts]))
        qualifier = _qualifier(tuple(p for p in parts[:at] if not (isinstance(p, Token) and p.type not in ("JUDGED", "COMMA", "OR", "AND"))))
        qualifier = " ".join(w for w in (qualifier, "anaphylaxis" if lead.value == "anaphylaxis" else "") if w)
        return ir.Judged(qualifier, _any(nodes)) if qualifier else _any(nodes)

    @staticmethod
    def check_allergy_list(nodes: list[ir.Node]) -> None:
        """A list with an allergy to a drug and a condition that names an allergic reaction ("anaphylaxis, severe
        allergic reaction to codeine"): is the reaction to that drug too, or of any cause? (phrases.toml [allergy])"""
        leaves = [x for n in nodes for x in _leaves(n)]
        reactions = phrase_data()["allergy"]["reactions"]
        if any(isinstance(x, ir.Allergy) for x in leaves) and any(
                isinstance(x, ir.Condition) and x.concept in reactions for x in leaves):
            raise Uncompilable("an allergic reaction beside an allergy to a drug: to that drug too, or of any cause?")

    def immunizations(self, *parts: Any) -> ir.Node:
        window = _event_window(parts)
        return _any([ir.Immunization(t.value, window) for t in parts if isinstance(t, Token) and t.type == "VACCINE"])

    def procedures(self, *parts: Any) -> ir.Node:
        window = _event_window(parts, now=True)
        return _any([_retime(p, window, ()) for p in parts if isinstance(p, ir.Node)])

    def procedures_for(self, *parts: Any) -> ir.Node:
        at = next(i for i, p in enumerate(parts) if isinstance(p, Token) and p.type == "FOR")
        if any(isinstance(p, Token) and p.type == "JUDGED" for p in parts[at:]):
            # "No prior radiotherapy for recurrent or metastatic disease": the words as written after "for"
            return ir.Judged(_words_after(parts[at:]), self.procedures(
                *parts[:at], *(p for p in parts[at:] if isinstance(p, ir.Window))))
        rest = [p for p in parts if not (isinstance(p, Token) and p.type in ("CONDITION", "FOR", "OR", "AND"))]
        return ir.Judged(_purpose(parts), self.procedures(*rest))  # type: ignore[arg-type]

    def procedures_upto(self, *parts: Token | None) -> ir.Node:
        """"Radiation therapy =< 4 weeks (prior to registration)" among the exclusions: done within the last 4 weeks
        (helpers._within_upto; "mechanical ventilation for at least 48 h" is how long)."""
        toks = [t for t in parts if t is not None]
        proc = next(t for t in toks if t.type == "PROCEDURE")
        lead, window = _within_upto(toks, [proc], "procedure", self.kind,
                                    frozenset({"HISTORY", "PRIOR", "USE", "PROCUSE", "REQUIRING"}))
        return self.procedures(*lead, ir.Procedure(proc.value), window)

    def conditions_on(self, *parts: Any) -> ir.Node:
        """"HIV-positive patients on combination antiretroviral therapy", "diabetes treated with insulin": a patient with
        the condition who takes the drug (negated, "no HIV-positive patients receiving ART": not both)."""
        at = next(i for i, p in enumerate(parts) if isinstance(p, Token) and p.type == "USE")
        if any(isinstance(p, Token) and p.type in ("HISTORY", "PRIOR") for p in parts[:at]):
            raise Uncompilable("a history of a condition treated with a drug: treated when?")
        node = _all([self.conditions(*parts[:at]), self.medications(*parts[at:])])
        self._joint.add(id(node))
        return node

    def treated(self, *parts: Any) -> ir.Node:
        """"Prior therapy for lymphoma": only a patient who has (had) lymphoma can have been treated for it."""
        lead = next(t for t in parts if isinstance(t, Token) and t.type == "TREATFOR")
        window = next((p for p in parts if isinstance(p, ir.Window)), None)
        past = any(isinstance(t, Token) and (t.type in ("HISTORY", "PRIOR") or
                                             t.type == "USE" and str(t).lower() not in lexicon().present_use)
                   for t in parts) or not set(str(lead.value).split()).isdisjoint(phrase_data()["indication"]["past_words"])
        if window is None and not past:
            window = ir.Window(0)
        conds = [ir.Condition(k, window) for t in parts if isinstance(t, Token) and t.type in ("CONDITION", "CGROUP")
                 for k in ((t.value,) if t.type == "CONDITION" else t.value)]
        words = [str(t.value) for t in parts if isinstance(t, Token) and t.type in ("JUDGED", "TREATFOR")]
        return ir.Judged(" ".join(dict.fromkeys(words)), _any(conds))

    def proc(self, t: Token) -> ir.Node:
        return ir.Procedure(t.value)

    def proc_examples(self, *parts: Token) -> ir.Node:
        return _any([ir.Procedure(t.value) for t in parts if isinstance(t, Token) and t.type == "PROCEDURE"])

    def since_cond(self, t: Token) -> ir.Node:
        keys = (t.value,) if t.type == "CONDITION" else t.value
        return _any([ir.Condition(k) for k in keys])

    def since_study(self, _t: Token) -> ir.Node:
        return ir.StudyParticipation()

    def proc_setting(self, *parts: Token) -> ir.Node:
        return ir.Judged(_setting(parts), ir.Procedure(parts[-1].value))

    def proc_extent(self, *parts: Token | None) -> ir.Node:
        """"No prior radiotherapy to more than 25% of bone marrow": no record says how much of the marrow a
        radiotherapy reached, so a person judges it; a patient who never had radiotherapy has none (ir.Judged).
        Only an upper share ("more than", "at least") of a radiotherapy: "less than 25%" reads as a permission."""
        toks = [t for t in parts if isinstance(t, Token)]
        proc = next(t for t in toks if t.type == "PROCEDURE")
        cmp, number, unit = (next(t for t in toks if t.type == k) for k in ("CMP", "NUMBER", "UNIT"))
        if proc.value != "radiotherapy" and "radiotherapy" not in vocab.ancestors(proc.value):
            raise Uncompilable("a share of the bone marrow reached by something other than radiotherapy")
        if unit.value != "%" or cmp.value not in (">", ">=") or not 0 < float(number.value) < 100:
            raise Uncompilable("a share of the bone marrow that is not 'more than N%'")
        words = {">": "more than", ">=": "at least"}[cmp.value]
        return ir.Judged(f"to {words} {float(number.value):g}% of the bone marrow", ir.Procedure(proc.value))

    def proc_site(self, *parts: Token | None) -> ir.Node:
        """"No prior radiotherapy to the thorax": no record says where a radiotherapy was given, so a person judges
        it; a patient who never had radiotherapy had none there (ir.Judged). Words before it ("extensive",
        "palliative") join the qualifier."""
        toks = [t for t in parts if isinstance(t, Token)]
        proc = next(t for t in toks if t.type == "PROCEDURE")
        site = next(t for t in toks if t.type == "SITE")
        before = _setting(parts) if any(t.type == "SETTING" for t in toks) else _qualifier(parts) if any(
            t.type == "JUDGED" for t in toks) else ""
        return ir.Judged(f"{before} to {site.value}".strip(), ir.Procedure(proc.value))

    def proc_judged(self, *parts: Token | None) -> ir.Node:
        t = next(p for p in parts if isinstance(p, Token) and p.type == "PROCEDURE")
        return ir.Judged(_qualifier(parts), ir.Procedure(t.value))

    def study(self, *parts: Any) -> ir.Node:
        if any(isinstance(p, ir.Judged) for p in parts):
            raise Uncompilable("a study or a drug in a setting ('adjuvant'): not read together")
        window = next((p for p in parts if isinstance(p, ir.Window)), None)
        lead = str(next(p for p in parts if isinstance(p, Token) and p.type == "STUDY"))
        past = window is None and any(lead.startswith(w) for w in phrase_data()["study_template"]["past"])
        drugs = [ir.Medication(m.concept, window if window is not None else ir.Window(0), systemic=m.systemic,  # type: ignore[attr-defined]
                               route=m.route)  # type: ignore[attr-defined]
                 for p in parts if isinstance(p, ir.Node) for m in _leaves(p)]
        if past and drugs:
            raise Uncompilable("a past study and a drug with no time frame: taken when?")
        # "participated in another trial": ever; "participation in another trial": now
        return _any([ir.StudyParticipation(None if past else window if window is not None else ir.Window(0)), *drugs])

    def window(self, *parts: Token) -> ir.Window:
        number = next(p for p in parts if p.type == "NUMBER")
        unit = next(p for p in parts if p.type == "TIMEUNIT")
        bound = next((p.value for p in parts if p.type == "BOUND"), None)  # "or 5 half-lives, whichever is longer"
        lead = next((str(p.value).lower() for p in parts if p.type == "WINDOW"), "")
        return ir.Window(number.value, unit.value, bound, period=lead in _period_leads())

    def window_one(self, *parts: Token) -> ir.Window:
        return ir.Window(1, next(p for p in parts if p.type == "TIMEUNIT").value)


@lru_cache(maxsize=1)
def _period_leads() -> frozenset[str]:
    """Window leads that name a period (phrases.toml [window] period): "during the preceding 3 months"."""
    return frozenset(phrase_data()["window"]["period"])


_LASTING_WORDS = {">=": "at least", ">": "more than", "<=": "at most", "<": "less than"}  # "for at least 90 days"
def _examples_of(head: str, examples: list[ir.Node]) -> list[ir.Node]:
    """"Lung disease, such as COPD": examples count as named ("stroke including TIA" widens it). Of an infection,
    though, an example that is no infection names where it strikes: "CMV disease (e.g., retinitis, colitis)",
    "serious viral infection (eg. hepatitis)" mean that infection there, not every retinitis or hepatitis."""
    if head != "infection" and "infection" not in vocab.ancestors(head):
        return examples
    for node in examples:
        for n in ir.walk(node):
            if isinstance(n, ir.Condition) and n.concept != "infection" and "infection" not in vocab.ancestors(n.concept):
                raise Uncompilable(f"an example ({n.concept}) that is no infection, of {head}: that infection there, or any?")
    return examples


def _excepted(parts: Any) -> tuple[str, ...]:
    """The conditions an exception names, a group ("basal or squamous cell skin cancer") as each of its own."""
    out: list[str] = []
    for t in parts:
        if isinstance(t, Token) and t.type == "CONDITION":
            out.append(t.value)
        elif isinstance(t, Token) and t.type == "CGROUP":
            out.extend(t.value)
    return tuple(dict.fromkeys(out))


def _intolerance(concepts: list[str]) -> ir.Node:
    """"Intolerance to X": a drug's side effects, not always on an allergies list. Only one who took X can be
    intolerant of it, so a complete medication list without X rules it out (as it does "no prior X"); having taken it,
    whether it was tolerated a person checks. A food or excipient (lactose) is no medication: left to a person."""
    unrecorded = set(phrase_data()["allergy"]["intolerance_unrecorded"])
    drugs = [k for k in concepts if vocab.get_concept(k).category in ("drug", "drug_class")
             and unrecorded.isdisjoint(vocab.ancestors(k))]
    if not drugs or len(drugs) != len(concepts):
        return ir.Review("intolerance", "an intolerance (a drug's side effects) is not always on an allergies list: "
                                        "a person checks")
    return ir.Judged("intolerance", _any([ir.Medication(k) for k in drugs]))

