"""The parse tree -> IR transformer: one method per rule of grammars/criteria.lark, spread over rule families
(measures, events, states); the structural rules (statements, lists, and/or) are here.
"""
from __future__ import annotations

import re
from typing import Any

from lark import Token, Transformer, v_args

from .. import ir
from ..lexer import lexicon, phrase_data
from .helpers import Uncompilable, _Value, _all, _any, _attested, _leaves, _measures_only, _other_than, _prohibitions
from .age_shapes import AgeShapeRules
from .excluded_lists import AND_MAY_MEAN_OR
from .events import EventRules
from .judgement import JudgementRules
from .measures import MeasureRules
from .since import SinceRules
from .qualitative import QualitativeTestRules
from .medications import MedicationRules
from .reproductive_groups import _WOMEN_ONLY
from .states import StateRules
from .therapy_counts import TherapyCountRules
from .condition_groups import ConditionGroupRules
from .within_more import WithinMoreRules
from .shown_by import ShownByRules


_EVENTS = (ir.Medication, ir.Condition, ir.Procedure, ir.StudyParticipation, ir.Immunization, ir.Allergy)


def _positive_event(node: ir.Node) -> bool:
    """A demand to have (had) a treatment, illness, procedure or study, with no negation in it."""
    if isinstance(node, _EVENTS):
        return True
    if isinstance(node, ir.Judged):
        return _positive_event(node.item)
    return isinstance(node, (ir.AnyOf, ir.All)) and all(_positive_event(n) for n in node.items)


@v_args(inline=True)
class CriteriaTransformer(ShownByRules, WithinMoreRules, MeasureRules, SinceRules, QualitativeTestRules, EventRules, MedicationRules,
                          StateRules, JudgementRules, TherapyCountRules, ConditionGroupRules, AgeShapeRules,
                          Transformer):  # type: ignore[type-arg]
    """Parse tree -> IR. ``kind`` (inclusion/exclusion) decides what a bare comma list means."""

    def __init__(self, kind: str, own: frozenset[str] = frozenset(), other: str = "", heads: bool = False) -> None:
        super().__init__()
        self.kind = kind
        self.own = own  # the trial's own conditions (most specific): what "no other malignancy" is other than
        self.other = other  # "other" or "second" read before the sentence's condition (compile.other.other_words)
        self.heads = heads  # every "no other" stands right before a condition (compile.other.other_words)
        self._lists: dict[int, bool] = {}  # id of an inclusion's "A, B or C < x" node -> joined by "and"
        self._parenthesised: set[int] = set()  # ids of nodes read from "( body )"
        self._active: set[int] = set()  # ids of conditions read with a dropped "active" before them
        self._now: set[int] = set()  # ids of generic illnesses with a time word of now ("serious concurrent illness")
        self._examples_of: dict[int, str] = {}  # ids of "X such as A, B" readings -> the qualifier of X (events.conditions)
        self._open: set[int] = set()  # ids of generic illnesses (and their lists) ending in examples not in parentheses
        self._defined: set[int] = set()  # ids of conditions read as the measurements that define them
        # a threshold restated in another unit ("< 1.3 mg/dL (120 umol/L)"), by the id of its comparison: checked
        # to agree once the quantity is known (the comparison is held, so its id is not reused)
        self._restated: dict[int, tuple[list[Any], tuple[tuple[_Value, _Value], ...]]] = {}
        self._conditional: set[int] = set()  # ids of thresholds that hold only under a condition (if_measure)
        # ids of "X unless <measurement>", "X patients on Y" nodes: one statement of a patient, negated "not both"
        self._joint: set[int] = set()
        self._treated: set[int] = set()  # ids of "since prior treatment for X" items (since_treated)
        self._had = False  # a past tense ("had", "undergone") read before a drug (had_lead)
        # ids of conditions read as lasting a time (compile/durations.py) -> (the node, its cautious reading): negated
        # ("no diabetes for at least 1 year"), free of it that long or not had it that long? The cautious one then
        self._lasting: dict[int, tuple[ir.Node, ir.Node]] = {}

    # --- structure -----------------------------------------------------------------------------
    def statement(self, *parts: Any) -> ir.Node:
        body = self._other(parts, parts[-1])
        if len(parts) == 2 and not (self.kind == "exclusion" and str(parts[0]).lower() in _prohibitions()):
            return self._not(body)
        return body

    def _not(self, body: ir.Node) -> ir.Node:
        """"No AST, ALT or bilirubin > 5 x ULN" among the inclusions: none of them, not "not all of them"."""
        if id(body) in self._lasting:
            body = self._lasting[id(body)][1]
        elif any(id(n) in self._lasting for n in ir.walk(body)):
            raise Uncompilable("'no X for a time' in a list: free of it that long, or not had it that long?")
        if id(body) in self._conditional:  # "No SGOT > 1.5 x ULN if alkaline phosphatase > 2.5 x ULN"
            raise Uncompilable("a negated threshold with a condition: the negation is of the threshold, not the condition")
        if id(body) not in self._lists:
            return ir.Not(body)
        if self._lists[id(body)]:
            raise Uncompilable("'no A and B above a limit': both, or either?")
        return ir.Not(_any(list(body.items)))  # type: ignore[attr-defined]

    def run(self, *statements: ir.Node) -> ir.Node:
        for i, s in enumerate(statements):
            # "No uncontrolled hypertension (systolic at least 180)", "Ejection fraction >= 50% (for patients over
            # age 40)": what is in parentheses defines or limits the statement before it; only a threshold restated
            # on another scale ("ECOG <= 2 (Karnofsky >= 60%)") stands as one of its own
            if id(s) in self._parenthesised and not (i > 0 and _measures_only(s) and _measures_only(statements[i - 1])):
                raise Uncompilable("a statement in parentheses may define or limit the one before it")
            if i > 0 and self.kind == "inclusion" and _positive_event(s) and any(
                    isinstance(n, ir.Not) or isinstance(n, ir.Measure) and n.quantity != "age"
                    for n in ir.walk(statements[i - 1])):
                # "No concurrent antineoplastic biological response modifiers", "No estrogen within 24 hours of
                # amifostine", "Bilirubin no greater than 2.0 mg/dL history of Gilbert's": words of the statement
                # before (or its exception), not a treatment or illness the patient must have ("Women aged 40 or
                # more on corticosteroid therapy" demands both)
                raise Uncompilable("a treatment or illness run on after another statement: its own demand, or part of it?")
        if self.kind == "inclusion":
            _one_sex_each(list(statements))
        return _all(list(statements)) if self.kind == "inclusion" else _any(list(statements))

    def _other(self, parts: tuple[Any, ...], body: ir.Node) -> ir.Node:
        """"No other concurrent malignancy", "Other active malignancy" in a breast cancer trial: any malignancy but
        breast cancer. The word is in the negation, or was read before the condition (``self.other``)."""
        said = any(isinstance(p, Token) and p.type == "NEG" and re.search(r"\b(?:other|second)\b", str(p).lower())
                   for p in parts)
        if said and any(_other_treatment(n) for n in ir.walk(body)):
            # "No other prior chemotherapy" after "Prior adjuvant chemotherapy allowed": other than what was allowed
            raise Uncompilable("'other' treatment than which? (one the patient may have had, named elsewhere)")
        if not any(isinstance(n, ir.Condition) for n in ir.walk(body)):
            if self.other and not said:
                raise Uncompilable(f"'{self.other}' before a condition the rule does not hold as one")
            return body
        return _other_than(body, self.own, bool(self.other) or self.heads) if said or self.other else body

    def start(self, *parts: Any) -> ir.Node:
        body = self._other(parts, next(p for p in parts if isinstance(p, ir.Node)))
        negs = [str(p).lower() for p in parts if isinstance(p, Token) and p.type == "NEG"]
        negated = bool(negs)
        if self.kind == "exclusion" and negs and all(n in _prohibitions() for n in negs):
            negated = False  # "subjects may not be receiving X" among the exclusions: X excludes
        elif self.kind == "exclusion" and negs:
            # "Not pregnant" filed under the exclusions: excluded when pregnant, or when not? ("no measurable
            # disease" may mean what it says, "no history of X" usually does not)
            raise Uncompilable("a negated statement among the exclusions: excluded when it holds, or when it does not?")
        # "... is not permitted": in an inclusion a negation; in an exclusion it restates the exclusion
        if any(isinstance(p, Token) and p.type == "NEGTAIL" for p in parts) and self.kind == "inclusion":
            negated = not negated
        if negated and isinstance(body, ir.All) and len(body.items) > 1 and not all(_measures_only(i) for i in body.items) \
                and id(body) not in self._joint:
            # "No diabetes and hypertension", "No history of HIV infection and negative results for hepatitis B and C":
            # neither, not both, or the first only? ("not all" would hold for a positive hepatitis B test; review s7c)
            raise Uncompilable("a negation before statements joined by 'and': neither, not both, or the first only?")
        result = self._not(body) if negated else body
        if self.kind == "exclusion" and _attested(result):
            # "Willing to sign informed consent" filed among the exclusions would exclude those who consent
            raise Uncompilable("a requirement (an attestation) filed among the exclusions")
        if self.kind == "inclusion" and _attested(result, excluding=True):
            # "Planning to become pregnant" filed among the inclusions would admit only those who plan it
            raise Uncompilable("an exclusion (a plan stated) filed among the inclusions")
        if self.kind == "exclusion" and _attested(ir.Not(result), excluding=True):
            # "Not planning to become pregnant" filed among the exclusions would exclude those who do not plan it
            raise Uncompilable("a plan denied, filed among the exclusions")
        return result

    def start_if(self, *parts: Any) -> ir.Node:
        return self.start(*parts)

    def group_list_if(self, *parts: Any) -> ir.Node:
        return self.group_list(*parts)

    def start_stable(self, *parts: Any) -> ir.Node:
        return self.start(*parts)

    def group_list_stable(self, *parts: Any) -> ir.Node:
        return self.group_list(*parts)

    def group_list(self, *parts: Any) -> ir.Node:
        nodes = [p for p in parts if isinstance(p, ir.Node)]
        self.check_allergy_list(nodes)
        if any(id(n) in self._open for n in nodes[:-1]):
            raise Uncompilable("examples not in parentheses: where does the list of examples end?")
        last = {getattr(n, "window", None) for n in _leaves(nodes[-1])}
        if len(last) == 1 and (w := last.pop()) is not None and w.amount > 0 and any(
                getattr(n, "window", None) == ir.Window(0) or isinstance(n, ir.Condition) and n.window is None
                for m in nodes[:-1] for n in _leaves(m)):
            # "myocardial infarction, or revascularization within 6 months", "History of MI, unstable angina, or
            # coronary revascularization within 6 months": does the time frame cover the infarction too? Read
            # either way, some patient gets a wrong verdict
            raise Uncompilable("a time frame at the end of a list of different kinds: does it cover them all?")
        ends = {getattr(n, "window", None) for n in _leaves(nodes[-1])}
        if self._had and len(ends) == 1 and (e := next(iter(ends))) is not None and e.amount > 0 and any(
                isinstance(n, (ir.Medication, ir.Procedure)) and n.window is None and getattr(n, "duration", None) is None
                for m in nodes[:-1] for n in _leaves(m)):
            # "has had a dose of prednisone > 7.5 mg/day or has received corticosteroids within one month": read
            # apart, the first would be ever; the time frame may cover it too
            raise Uncompilable("a time frame at the end of a list after 'had': does it cover them all?")
        seps = {s for p in parts if isinstance(p, tuple) for s in p}
        if "and" in seps and "or" in seps:
            raise Uncompilable("mixes 'and' and 'or' without saying which binds tighter")
        if "or" in seps and "or" not in [p for p in parts if isinstance(p, tuple)][-1]:
            # "ANC > 1500, creatinine < 2.0 mg/dL or clearance > 40 mL/min, bilirubin < 2.0 mg/dL": the "or" joins its
            # neighbours, or the list?
            raise Uncompilable("an 'or' inside a comma list: does it join its neighbours or the whole list?")
        if "or" in seps:
            return _any(nodes)
        if "and" in seps and self.kind == "exclusion":
            raise Uncompilable(AND_MAY_MEAN_OR)  # under a heading that excludes, a plain list is any (excluded_lists)
        if self.kind == "inclusion":
            _one_sex_each(nodes)
        if any(isinstance(n, ir.TestResult) and n.result == "negative" for n in nodes) and any(
                isinstance(n, ir.TestResult) and n.result == "positive" or isinstance(n, ir.Condition)
                and n.concept in lexicon().condition_tests for m in nodes for n in _leaves(m)):
            # "Negative HIV and hepatitis B and C results": the result is said of every member, not of the first only
            raise Uncompilable("a negative result before a list of tests and infections: said of each of them?")
        return _all(nodes) if self.kind == "inclusion" else _any(nodes)

    def sep(self, *toks: Token) -> tuple[str, ...]:
        return tuple({"AND": "and", "OR": "or", "COMMA": "comma"}[t.type] for t in toks)

    def lsep(self, *toks: Token) -> None:
        return None  # list separators carry no meaning of their own; callers skip the None

    def group(self, *parts: Any) -> ir.Node:  # "( body )"
        node = next(p for p in parts if isinstance(p, ir.Node))
        self._parenthesised.add(id(node))
        return node


    def had_lead(self, t: Token) -> Token:
        """"have had chemotherapy", "had received rituximab", "has undergone chemotherapy": every PROCUSE word is a
        past tense (phrases.toml [procedure_use]); before a drug it says the drug was ever taken, as "prior" does."""
        self._had = True
        return Token.new_borrow_pos("HISTORY", t.value, t)


def _one_sex_each(nodes: list[ir.Node]) -> None:
    """"Men with LDL 125-189 mg/dL and HDL <= 44 mg/dL, and postmenopausal women with ...": statements of an inclusion
    list that each demand another sex are each sex's own demands, never all of them at once (which no one meets).
    Joined by "or" (any) they are right as read."""
    sexes = set()
    for m in nodes:
        for n in [m] if not isinstance(m, ir.All) else m.items:
            if isinstance(n, ir.Sex):
                sexes.add(n.value)
            elif isinstance(n, (ir.Condition, ir.Procedure)) and n.concept in _WOMEN_ONLY:  # "postmenopausal women"
                sexes.add("female")
    if len(sexes) > 1:
        raise Uncompilable("statements that each name another sex: each sex's own demands?")


def _other_treatment(node: ir.Node) -> bool:
    """A treatment taken before now that "other" sets apart from one named elsewhere; investigational agents are other
    than this trial's (of which a patient at screening has had none), and "no other concurrent X" is other than the
    study's own treatment, which has not begun."""
    # a procedure as a drug: "No other prior radiotherapy" beside "Prior radiotherapy for brain metastases allowed"
    return isinstance(node, (ir.Medication, ir.Procedure)) and (node.window is None or node.window.amount > 0) and (
        node.concept not in phrase_data()["other_than_trial"]["drugs"])
