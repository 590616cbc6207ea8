"""Checks over a trial's whole list of criteria, once each item has compiled on its own: a permission beside a
ban, a condition of the trial's own kind held against the patient, a diagnosis on a page with no headings. Each
needs the other criteria of the trial, which no single item's compile sees; kept apart from assemble.py, which
walks the items."""

from __future__ import annotations

import re
from dataclasses import replace

from . import ir, statements, vocab
from .compile import compile_text, split_sentences
from .compile.helpers import _all, _any
from .errors import ScreeningError
from .lexer import phrase_data, tokenize


def _permissions_beside_bans(criteria: list[ir.Criterion]) -> list[ir.Criterion]:
    """"No concurrent analgesics other than morphine" beside "Concurrent NSAIDs allowed" (same parent, same side):
    the permission is an exception the ban does not name, so the ban goes to review (an NSAID made a patient
    ineligible). A permission of something the ban's class does not take in changes nothing.

    A permission a person must weigh ("Prior adjuvant chemotherapy allowed", "Prior radiotherapy allowed provided
    ...") is such an exception to a ban of the same treatment too: "No prior chemotherapy" beside it would exclude the
    patient it lets in (nci12 report s12). A permission of prior use bears on a ban of any prior use only (not on "No
    concurrent X" nor on "At least 4 weeks since prior X": it says X may have happened, not that it may be recent); a
    permission by a local route leaves a ban of systemic use alone."""
    permitted: dict[tuple[str | None, str], set[str]] = {}
    weighed: dict[tuple[str | None, str], set[tuple[str, bool, bool]]] = {}  # (concept, of prior use, by a route)
    for c in criteria:
        if isinstance(c.rule, ir.Permitted):
            subject = statements.permission_subject(c.text)
            if subject:
                node = compile_text(subject, c.kind)
                permitted.setdefault((c.parent, c.kind), set()).update(
                    n.concept for n in ir.walk(node) if isinstance(n, ir.Medication))
        elif isinstance(c.rule, ir.Review) and (subject := statements.permission_subject(c.text) or (
                (m := _ALLOWED.search(c.text)) and c.text[:m.start()].strip())):
            prior = bool(_PRIOR.match(subject))
            weighed.setdefault((c.parent, c.kind), set()).update(
                (n.concept, prior, getattr(n, "route", None) is not None)
                for n in ir.walk(compile_text(subject, c.kind)) if isinstance(n, _TREATMENTS))
    if not permitted and not weighed:
        return criteria
    out = []
    for c in criteria:
        allowed = permitted.get((c.parent, c.kind), set())
        banned = _treatments(c.rule)
        clash = next((a for n in banned for a in sorted(allowed) if isinstance(n, ir.Medication) and a != n.concept
                      and n.concept in vocab.ancestors(a) and a not in n.exceptions), None) or next(
            (a for n in banned for a, prior, routed in sorted(weighed.get((c.parent, c.kind), ())) if n.concept in vocab.ancestors(a)
             and a not in getattr(n, "exceptions", ()) and not (prior and n.window is not None)
             and not (routed and getattr(n, "systemic", False))), None)
        if clash is not None:
            c = replace(c, rule=ir.Review(c.text, f"a permission beside it ('{clash.replace('_', ' ')}' allowed) may be "
                                                  "an exception it does not name"))
        out.append(c)
    return out


_TREATMENTS = (ir.Medication, ir.Procedure)


def _treatments(rule: ir.Node) -> list[ir.Node]:
    """The treatments a rule decides on by machine (under judged(...) a person weighs them: "and recovered")."""
    if isinstance(rule, _TREATMENTS):
        return [rule]
    return [] if isinstance(rule, ir.Judged) else [n for child in ir.children(rule) for n in _treatments(child)]


_ALLOWED = re.compile(r"\b(?:allowed|permitted)\b", re.I)
_PRIOR = re.compile(r"\s*(?:prior|previous)\b", re.I)


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


# "Lymphomas are also eligible", "Patients with asymptomatic brain metastases are eligible", "may be enrolled"
_WIDENING = re.compile(r"\b(?:is|are)\s+(?:also\s+)?eligible\b|\bmay\s+(?:also\s+)?be\s+(?:enrolled|included|eligible)\b|"
                       r"\bare\s+also\s+(?:allowed|permitted|included)\b", re.I)
_WIDENING_SUBJECT = re.compile(r"^\W*(?:(?:patients|subjects|participants|those|women|men)\s+(?:with|who\s+have)\s+)?", re.I)


def _positive_conditions(rule: ir.Node) -> list[str]:
    """The conditions a rule demands by machine (not under a negation or a judgement)."""
    if isinstance(rule, ir.Condition):
        return [rule.concept]
    if isinstance(rule, (ir.Not, ir.Judged)):
        return []
    return [k for child in ir.children(rule) for k in _positive_conditions(child)]


def _widenings(criteria: list[ir.Criterion]) -> list[ir.Criterion]:
    """An inclusion in review that lets in more patients ("Lymphomas are also eligible" beside "Histologically proven
    solid tumor"; "Patients with treated brain metastases are eligible" beside the exclusion "Brain metastases"): a
    patient it names may be let in by it, so a diagnosis demand or ban of that family does not decide alone for them
    (e2e review s13: a lymphoma had made the patient ineligible). Kleene keeps the rest: the demand gains the widening
    as a judged alternative, the ban as a judged exception; a patient without the named condition is decided as
    before."""
    wide: list[tuple[str, frozenset[str]]] = []
    for c in criteria:
        if c.kind == "inclusion" and c.role == "criterion" and isinstance(c.rule, ir.Review) and (m := _WIDENING.search(c.text)):
            subject = _WIDENING_SUBJECT.sub("", c.text[:m.start()]).strip(" ,;")
            # the conditions it names, compiled or not ("Lymphomas (Hodgkin or non-Hodgkin)", "treated brain metastases")
            concepts = frozenset(t.value for t in tokenize(subject)[0] if t.type == "CONDITION") if subject else frozenset()
            if concepts:
                wide.append((c.id, concepts))
    if not wide:
        return criteria
    out = []
    for c in criteria:
        demanded = _positive_conditions(c.rule) if c.role == "criterion" else []
        named = [ir.Judged(f"also eligible ({ident})", _any_condition(related)) for ident, concepts in wide
                 if ident != c.id and (related := [w for w in sorted(concepts) if any(_kin(w, d, c.kind) for d in demanded)])]
        if named:
            c = replace(c, rule=_any([c.rule, *named]) if c.kind == "inclusion" else _all([c.rule, *map(ir.Not, named)]))
        out.append(c)
    return out


def _any_condition(concepts: list[str]) -> ir.Node:
    return _any([ir.Condition(k, ir.Window(0)) for k in concepts])


def _kin(widened: str, demanded: str, kind: str) -> bool:
    """An exclusion bans the widened condition or a broader one; an inclusion demands another kind of what the widened
    one is too (a solid tumour and a lymphoma are both malignancies), not the widened condition itself."""
    up = vocab.ancestors(widened)
    if kind == "exclusion":
        return demanded in up
    # "Patients with metastatic disease are eligible" beside "adenocarcinoma of the prostate" says which stage of it
    return demanded not in up and _SPREAD not in up and bool((vocab.ancestors(demanded) & up) - _ROOTS)


_ROOTS = frozenset({vocab.ANY_CONDITION})
_SPREAD = "metastatic_disease"


# "other" that a sentence leaves to the protocol ("other than AZT" names its exception; "AZT and other antiretrovirals"
# is the class, its members in the list)
_OTHER = re.compile(r"(?<!\band )(?<!\bor )(?<!, )\b(?:other|another)\b(?!\s+than\b)", re.I)
_KEPT_ON = re.compile(r"\b(?:continue|continues|continuing|continued|stable|current|currently|ongoing)\b", re.I)
_SEE = re.compile(r"\s*see\b", re.I)
#: words of a use past or planned, not one the patient is on: "failed conventional therapy", "requiring definitive
#: radiotherapy", "will benefit from single agent vinorelbine"
_PAST = re.compile(r"\b(?:prior|previous|previously|history|since|before|after|following|failed|failure|refractory|"
                   r"resistant|relapsed|progressed|intolerant|intolerance|requiring|require|requires|benefit|candidates?|"
                   r"planned|scheduled|offered|indicated|inappropriate|refusal)\b", re.I)
#: tokens of an item that bans a treatment rather than names one the patient may be on: "No prior docetaxel",
#: "At least 4 weeks since prior chemotherapy", "Known allergy to paclitaxel"
_BANS = frozenset({"NEG", "NEGTAIL", "SINCE", "ALLERGY"})


def _others_named_elsewhere(criteria: list[ir.Criterion]) -> list[ir.Criterion]:
    """"No other concurrent hormonal therapy" beside "Castrate state by ... GnRH analogues" (a prostate cancer trial):
    "other" is read as other than the study's own treatment, which has not begun at screening (compile.other), unless
    another item names a treatment of that class the patient may be on: an inclusion that names it without banning it,
    or a permission of it; then a person reads it (a patient on the GnRH analog the protocol asks for had been
    excluded). "No prior docetaxel" or "At least 4 weeks since prior nitrosoureas" bans what it names: no such item."""
    others = [c for c in criteria if not isinstance(c.rule, ir.Review) and _OTHER.search(c.text) and _now_concepts(c.rule)]
    if not others:
        return criteria
    kept = [(c, _kept_treatments(c)) for c in criteria]
    out = []
    for c in criteria:
        if c in others:
            excepted = {e for n in ir.walk(c.rule) for e in getattr(n, "exceptions", ())}
            clash = next((a for k in sorted(_now_concepts(c.rule)) for o, found in kept  # sorted: one reason every run
                          if o.text not in c.text and c.text not in o.text
                          for a in sorted(found) if (a == k or k in vocab.ancestors(a))
                          and not any(e == a or e in vocab.ancestors(a) for e in excepted)), None)
            if clash is not None:
                c = replace(c, rule=ir.Review(c.text, f"'other' treatment than which? another item names "
                                                      f"'{clash.replace('_', ' ')}', which the patient may be on"))
        out.append(c)
    return out


def _now_concepts(rule: ir.Node) -> set[str]:
    """The treatments ``rule`` asks about now ("concurrent"), less the investigational agent (other than the study's
    own always: phrases.toml [other_than_trial])."""
    return {n.concept for n in ir.walk(rule) if isinstance(n, _TREATMENTS) and n.window is not None
            and n.window.amount == 0 and n.concept not in phrase_data()["other_than_trial"]["drugs"]}


def _kept_treatments(c: ir.Criterion) -> set[str]:
    """The treatments an item names that the patient may be on now, sentence by sentence: one it keeps on ("must
    continue on GnRH analogs", "current androgen deprivation"); or, where it speaks of no past use ("Prior chemotherapy
    allowed" says nothing of now), one it allows, or an inclusion's that it does not ban ("Castrate state by GnRH
    analogues"; not "No concurrent immunotherapy" beside "Concurrent epoetin alfa allowed"); and, in any item, one an
    "except ..." clause lets the patient have had ("... except for <= 14 days of tamoxifen"). An exclusion naming a
    drug bans it (lists of interacting drugs); one a page's headings misfiled ("Included: Indinavir 800 mg three
    times a day", NCT00002223) is why "other" before an antiviral is never read (compile.other.all_now)."""
    if c.role == "header" or _SEE.match(c.text):  # "Chemotherapy:", a heading; "See Chemotherapy", a pointer to one
        return set()
    return {k for _, sentence in split_sentences(c.text) for k in _kept_in(sentence, c)}


def _kept_in(text: str, c: ir.Criterion) -> set[str]:
    try:
        toks, _ = tokenize(text)
    except ScreeningError:  # a sentence the lexer refuses names nothing it can read
        return set()
    # "... except for <= 14 days of tamoxifen or NSAI with goserelin": what an exception lets the patient have had, they
    # may still be on (precision review s13: letrozole with goserelin begun 9 days ago met "other antineoplastic agents")
    cut = next((i for i, t in enumerate(toks) if t.type == "EXCEPT"), None)
    excepted = {str(t.value) for t in toks[cut + 1:] if t.type in ("DRUG", "PROCEDURE")} if cut is not None else set()
    if not _KEPT_ON.search(text) and (_PAST.search(text) or not (
            isinstance(c.rule, ir.Permitted) or _ALLOWED.search(text)
            or (c.kind == "inclusion" and not any(t.type in _BANS for t in toks)))):
        return excepted
    return {str(t.value) for t in toks if t.type in ("DRUG", "PROCEDURE")}
