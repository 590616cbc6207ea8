"""Checks over a trial's whole list of criteria, once each item has compiled on its own: a permission beside a
ban, a condition of the trial's own kind held against the patient, a diagnosis on a page with no headings. Each
needs the other criteria of the trial, which no single item's compile sees; kept apart from assemble.py, which
walks the items."""

from __future__ import annotations

import re
from dataclasses import replace

from . import ir, statements, vocab
from .compile import compile_text
from .lexer import phrase_data


def _permissions_beside_bans(criteria: list[ir.Criterion]) -> list[ir.Criterion]:
    """"No concurrent analgesics other than morphine" beside "Concurrent NSAIDs allowed" (same parent, same side):
    the permission is an exception the ban does not name, so the ban goes to review (an NSAID made a patient
    ineligible). A permission of something the ban's class does not take in changes nothing."""
    permitted: dict[tuple[str | None, str], set[str]] = {}
    for c in criteria:
        if isinstance(c.rule, ir.Permitted):
            subject = statements.permission_subject(c.text)
            if subject:
                node = compile_text(subject, c.kind)
                permitted.setdefault((c.parent, c.kind), set()).update(
                    n.concept for n in ir.walk(node) if isinstance(n, ir.Medication))
    if not permitted:
        return criteria
    out = []
    for c in criteria:
        allowed = permitted.get((c.parent, c.kind), set())
        banned = [n for n in ir.walk(c.rule) if isinstance(n, ir.Medication)] if allowed else []
        clash = next((a for n in banned for a in allowed if a != n.concept and n.concept in vocab.ancestors(a)
                      and a not in n.exceptions), None)
        if clash is not None:
            c = replace(c, rule=ir.Review(c.text, f"a permission beside it ('{clash.replace('_', ' ')}' allowed) may be "
                                                  "an exception it does not name"))
        out.append(c)
    return out


def _excludes_own(rule: ir.Node, kind: str, own: frozenset[str], negated: bool = False) -> str | None:
    """A condition of the trial's own kind that the rule holds against the patient ("Any active malignancy"
    in a cancer trial): it means another one than the trial's, which no rule can say."""
    if isinstance(rule, ir.Condition):
        excluding = (kind == "exclusion") != negated
        if excluding and rule.concept in own and own.isdisjoint(rule.exceptions):
            return rule.concept
        return None
    for child in ir.children(rule):
        found = _excludes_own(child, kind, own, negated != isinstance(rule, ir.Not))
        if found:
            return found
    return None


def _review_own(criteria: list[ir.Criterion], own: frozenset[str], conditions: tuple[str, ...]) -> None:
    """Each criterion that holds a condition of the trial's own kind against the patient goes to review, in place."""
    for k, c in enumerate(criteria):
        concept = _excludes_own(c.rule, c.kind, own)
        if concept is not None:
            why = (f"'{concept.replace('_', ' ')}' takes in the trial's own condition "
                   f"({', '.join(conditions)}): another one than the trial's?")
            criteria[k] = replace(c, rule=ir.Review(c.text, why))


def _names_conditions_only(rule: ir.Node) -> bool:
    """A positive statement of diagnoses: conditions under and/or/judgements, no negation."""
    nodes = list(ir.walk(rule))
    return any(isinstance(n, ir.Condition) for n in nodes) and all(
        isinstance(n, (ir.Condition, ir.Judged, ir.AnyOf, ir.All)) for n in nodes)


def _unheaded(criteria: list[ir.Criterion]) -> list[ir.Criterion]:
    """A page with no inclusion/exclusion headings files every item as an inclusion. A diagnosis among them
    can be an exclusion ("Infective endocarditis" after "No unstable angina", "Uncontrolled or severe
    cardiovascular disease") or one of several patient groups ("Patients with hypertrophic cardiomyopathy."
    beside "Patients with microvascular angina."): a person reads those (phrases.toml [unheaded])."""
    leads = tuple(phrase_data()["unheaded"]["leads"])
    group = re.compile(phrase_data()["unheaded"]["group"], re.I)
    top = [c for c in criteria if c.kind == "inclusion" and c.parent is None and c.role == "criterion"]
    groups = [c for c in top if group.match(c.text)]
    out = []
    for c in criteria:
        if c in top and not isinstance(c.rule, ir.Review) and _names_conditions_only(c.rule):
            text = c.text.strip().lower()
            if len(groups) > 1 and c in groups:
                why = "one of several patient groups on a page with no inclusion/exclusion headings: any one, or all?"
            elif any(isinstance(n, ir.Judged) for n in ir.walk(c.rule)) or not text.startswith(leads):
                why = "a diagnosis on a page with no inclusion/exclusion headings: required, or excluded?"
            else:
                out.append(c)
                continue
            c = replace(c, rule=ir.Review(c.text, why))
        out.append(c)
    return out
