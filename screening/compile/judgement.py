"""Transformer rules for a statement the investigator weighs ("Active infection (in the opinion of the investigator)",
"No respiratory disease that would preclude study"): grammars/criteria.lark start_opinion, one method per rule."""
from __future__ import annotations

import re
from typing import Any

from lark import Token, Transformer, v_args

from .. import ir, vocab
from ..lexer import phrase_data
from ..lexer.judged_clauses import says_harm
from .helpers import Uncompilable

# what a record holds as a fact the investigator may weigh: a diagnosis, a treatment, a procedure, an allergy
_EVENTS = (ir.Condition, ir.Medication, ir.Procedure, ir.Allergy)


# the qualifiers of the lexicon's own phrases (phrases.toml [investigator_judgement]); any other is a clause
_PHRASES = frozenset(phrase_data()["investigator_judgement"])
_PRECLUDE = "that would preclude the study"  # the one of them that says a harm


def _events_only(node: ir.Node) -> bool:
    if isinstance(node, (ir.AnyOf, ir.All, ir.Judged)):
        return all(_events_only(c) for c in ir.children(node))
    return isinstance(node, _EVENTS)


@v_args(inline=True)
class JudgementRules(Transformer):  # type: ignore[type-arg]
    """Mixed into CriteriaTransformer (screening.compile.transformer)."""

    def start_opinion(self, *parts: Any) -> ir.Node:
        """The statement, weighed by the investigator (ir.Judged): with none of its facts in the record it does not
        hold; with one, a person decides. Only facts of the record's lists: a measurement ("life expectancy >= 6
        months in the opinion of the investigator") is the investigator's estimate, not a fact to weigh."""
        opinions = list(dict.fromkeys(str(p.value) for p in parts if isinstance(p, Token) and p.type == "OPINION"))
        body = next(p for p in parts if isinstance(p, ir.Node))
        qualifier = ", ".join(opinions)
        if isinstance(body, ir.Not) or not _events_only(body):
            raise Uncompilable(f"'{qualifier}' said of what is not a diagnosis, treatment, procedure or allergy")
        if qualifier not in _PHRASES and any(isinstance(n, ir.Condition) and n.concept == vocab.ANY_CONDITION
                                             for n in ir.walk(body)):
            # "Serious medical illness that would interfere with compliance": a clause read by the lexer
            # (lexer/judged_clauses.py) is no licence to read a generic head as any recorded condition
            raise Uncompilable(f"'{qualifier}' said of an illness the text does not name")
        if isinstance(body, ir.Judged):  # "clinically significant allergy ..., as judged by the investigator": both
            qualifier, body = f"{body.qualifier}, {qualifier}", body.item
        rest = tuple(p for p in parts if not (isinstance(p, ir.Node) or isinstance(p, Token) and p.type in (
            "OPINION", "COMMA", "LPAR", "RPAR")))
        node = self.start(*rest, ir.Judged(qualifier, body))
        if self.kind == "inclusion" and not isinstance(node, ir.Not) and any(
                o == _PRECLUDE or o not in _PHRASES and says_harm(o) for o in opinions):
            raise Uncompilable(f"'{qualifier}' says a harm, among the inclusions: an exclusion filed on the wrong side?")
        return node


# "Subjects who have previously been enrolled in this study", "Previous participation in this trial": the record's
# studies list names trials by their ids, and a criterion is compiled without its own trial's id
_THIS_TRIAL_BEFORE = re.compile(
    r"\b(?:previously|previous|prior|already|before|earlier)\b.{0,40}?\b(?:enrolled|enrollment|enrolment|randomi[sz]ed|"
    r"randomi[sz]ation|participat\w*|taken part|took part|included|treated)\b.{0,30}?\b(?:this|the present|the current) "
    r"(?:clinical )?(?:study|trial|protocol)\b"
    r"|\b(?:enrolled|enrollment|enrolment|randomi[sz]ed|participat\w*|been) in (?:this|the present|the current) "
    r"(?:clinical )?(?:study|trial|protocol) (?:before|previously)\b", re.I)


def this_trial_before(text: str) -> ir.Review | None:
    """A review saying why "enrolled in this study before" cannot be checked; None for any other sentence."""
    if _THIS_TRIAL_BEFORE.search(text):
        return ir.Review(text, "taking part in this trial before: the record's studies list holds trial ids, and "
                               "a criterion is compiled without its own trial's id")
    return None
