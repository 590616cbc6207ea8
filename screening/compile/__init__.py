"""Compile criteria text into rule trees (IR) with grammars/criteria.lark.

One ``CriteriaTransformer`` (``transformer``, with its rule families in ``measures``, ``events`` and
``states``) turns a parse tree into IR nodes, converting quantities to canonical units as it goes;
``parsing`` holds the Earley parser. This module reads sentences, items and trials: whatever does not
parse, or parses into something ambiguous, becomes a ``Review`` node carrying its text and the reason:
nothing in the source is dropped.
"""
from __future__ import annotations

import os
import re
from functools import lru_cache
from typing import Any

from lark import Token, Tree
from lark.exceptions import LarkError, VisitError

from .. import ir, statements, vocab
from ..errors import ScreeningError
from ..lexer import lexicon, phrase_data, tokenize
from ..trial import Trial
from .other import OTHER_TREATMENT, all_now, other_now, other_reason, other_words
from .disease_words import disease_free, staged_purpose
from .study_words import study_reason
from .reasons import without_reason
from .judgement import this_trial_before
from .timing import later_reason
from .rewrites import (below_upper_limit, diagnosed_in_window, lead_over_list, narrower_named_before,
                       restricted_members_excepted, shared_measure_window,
                       cancer_therapy_with_radiotherapy)
from .except_lists import except_lists
from .condition_grades import condition_grades
from .devices import investigational_devices, with_devices
from .helpers import GROUP_ATTESTATIONS, Uncompilable, _all, _any
from .guardians import below_age_consent
from .own_disease import (_DISEASE_ONLY, _graded_disease, _healthy, _marrow_extent, _names_only_own, _own_disease,
                          _own_disease_judged, _own_involvement, _own_malignancies, _tokens, _viral_loads, involvement_named)
from .parsing import criteria_parser, parse_tokens
from .permissions import permission_demand
from .allowances import allowance_demand, permits_after_wait
from .reproductive_groups import _childbearing, _with_group
from .sites import _THIS_CANCER, for_this_cancer, radiation_sites, unless_progression
from .sentences import _STATEMENT_HEADS, _under_label, label_therapy, split_sentences
from .run_together import _indication, _joining_word, _measure_run, _start_for
from .transformer import CriteriaTransformer
from .wrong_list import wrong_list

__all__ = ["CriteriaTransformer", "Uncompilable", "compile_any", "compile_sentence", "compile_text", "compile_trial",
           "criteria_parser", "label_therapy", "source_hash", "split_sentences"]


def _review_reason(toks: list[Token], text: str) -> str:
    if text.count("(") != text.count(")") or text.lstrip().startswith((")", ",")):
        return "fragment: unbalanced parentheses, the text was probably mangled"
    if any(t.type == "EQ" for t in toks):
        return "'=' on a continuous measurement: the comparator (≤ or ≥) was probably lost"
    words = list(dict.fromkeys(str(t) for t in toks if t.type == "WORD"))
    if words and (other := other_reason(toks)):
        return other
    if words and (study := study_reason(toks, text)):  # "allergy to the study drugs", "during the study"
        return study
    if words:
        shown = ", ".join(f"'{w}'" for w in words[:6])
        later = later_reason(text)  # "during and for 4 weeks after study": a time after screening
        return f"{later} ({shown})" if later else f"wording the grammar does not cover ({shown})"
    return "the grammar does not cover this combination of phrases"


def compile_sentence(text: str, kind: str, start: str = "start", own: frozenset[str] = frozenset(),
                     own_disease: bool = True, own_known: bool = True) -> ir.Node:
    """One sentence -> IR, or a Review node saying why not. The trial's own conditions (``own``) matter
    only to "no other X"; other sentences are compiled (and cached) without them. ``own_known`` False: some
    of the trial's conditions are unknown to the vocabularies (or known only by something broader), so
    "other" cannot name all of them."""
    node = _compile_sentence(text, kind, start, frozenset())
    if isinstance(node, ir.Review) and (head := without_reason(text)):
        # "... should be excluded from this clinical trial because of their poor prognosis": why, not what (reasons)
        stated = compile_sentence(head, kind, start, own, own_disease, own_known)
        if ir.is_executable(stated):
            return stated
    if kind == "inclusion" and isinstance(node, ir.Review) and (healthy := _healthy(text, start)) is not None:
        return healthy
    if own and isinstance(node, ir.Review) and node.reason.startswith("'other' condition"):
        if not own_known:  # "No other malignancy" in a primary peritoneal cancer trial: that cancer is no exception
            return ir.Review(text, "'other' than the trial's own conditions, which the vocabularies do not all know")
        return _compile_sentence(text, kind, start, own)
    if own and own_known and isinstance(node, ir.Review) and "viral load" in text.lower():
        # "Viral load of at least 1,000 copies/ml" in an HIV trial: the HIV RNA
        retried = _compile_sentence(text, kind, start, own)
        return retried if ir.is_executable(retried) else node
    if own and own_known and isinstance(node, ir.Review) and _THIS_CANCER.search(text) and _own_malignancies(own):
        # "No prior radiotherapy for this malignancy" in a cancer trial: for the trial's own cancer (compile.sites)
        retried = _compile_sentence(text, kind, start, own)
        return retried if ir.is_executable(retried) else node
    if own and own_known and isinstance(node, ir.Review) and _own_malignancies(own) and involvement_named(text):
        # "No CNS involvement", "Known CNS disease" in a cancer trial: the cancer in that organ (_own_involvement)
        retried = _compile_sentence(text, kind, start, own)
        if ir.is_executable(retried):
            return retried
    if own and own_disease and isinstance(node, ir.Review) and node.reason == _DISEASE_ONLY and _own_malignancies(own):
        # "Stage IV disease" in a colorectal cancer trial: the trial's own cancer at that stage
        retried = _compile_sentence(text, kind, start, own)
        return retried if _own_disease_judged(retried, own) else node
    return node


_NOTHING = "nothing to check in this text"


@lru_cache(maxsize=65536)
def _compile_sentence(text: str, kind: str, start: str, own: frozenset[str]) -> ir.Node:
    if (labelled := _under_label(text, kind, start)) is not None:
        return labelled
    try:
        toks, norm = tokenize(text)
    except ScreeningError as exc:
        return ir.Review(text, f"cannot read: {exc.message}")
    if not toks:
        return ir.Review(text, _NOTHING)
    if own:
        toks = _own_involvement(_own_disease(toks, own, kind), own)
    toks = _viral_loads(toks, own)
    toks = _graded_disease(toks)  # "NYHA class III or IV disease": heart disease
    toks = _marrow_extent(toks)
    toks = condition_grades(toks, norm)  # "peripheral neuropathy > grade 1": judged (compile.condition_grades)
    toks, device = investigational_devices(toks)  # "investigational drug or device" (compile.devices)
    toks = except_lists(toks)  # "except: X Y", "(except X and Y)": the members joined by 'or' (compile.except_lists)
    toks = radiation_sites(toks, norm)
    toks = unless_progression(toks, norm)
    toks = for_this_cancer(toks, norm, own)
    toks = staged_purpose(disease_free(toks))  # "disease free of X for 5 years", "for recurrent disease" (compile.disease_words)
    toks, other, heads = other_words(toks, kind)  # "Other active malignancy", "warfarin and other anticoagulants"
    unread = toks
    toks, other_treatment = other_now(toks)  # "Other concurrent chemotherapy": other than the study's own (compile.other)
    if norm.lstrip().startswith("for ") and not (toks[0].type in ("SEX", "POPULATION") and _reproductive(toks)):
        # "for acromegaly": whom the items around it are for, not a demand ("for women of childbearing potential,
        # negative pregnancy test" is one: start_repro)
        return ir.Review(text, "a fragment: 'for ...' says whom or what other criteria are for")
    if any(t.type == "WORD" for t in toks) or text.count("(") != text.count(")"):
        return _as_statement(text, kind) or _permission_demand(text, kind, start, own) \
            or _allowance_demand(text, kind, start, own) or _attestation_tail(text, kind, start, own) \
            or this_trial_before(text) \
            or below_age_consent(text, kind, lambda s, k: _compile_sentence(s, k, start, own)) \
            or ir.Review(text, _review_reason(unread, text))
    if kind == "inclusion" and all(t.type in ("DRUG", "PROCEDURE", "COMMA", "OR", "AND") for t in toks):
        # a bare "Chemotherapy" among the inclusion criteria is a sub-heading far more often than a demand
        return ir.Review(text, "a bare treatment name among the inclusion criteria: a heading, or a requirement?")
    try:
        start = _start_for(toks, start)
        if start == "start_opinion" and (stated := _as_statement(text, kind)) is not None:
            return stated  # "Any medical condition that would interfere with the study": the investigator's catch-all
        try:
            tree = _parse_reproductive(toks, start)
        except LarkError:
            if start not in ("start", "start_if", "start_stable") or len(toks) < 4 or _indication(toks) or kind != "inclusion" \
                    or sum(t.type in _STATEMENT_HEADS for t in toks) < 2:
                raise  # among the exclusions "A with B" split into statements would exclude on A alone
            tree = _measure_run(toks) or parse_tokens(toks, "run")  # statements run together
            if other:
                return ir.Review(text, f"'{other}' in statements run together: other than what?")
            if joined := _joining_word(tree, norm):
                return ir.Review(text, f"'{joined}' may tie what follows to the statement before it: one statement or two?")
        node = CriteriaTransformer(kind, own, other, heads).transform(tree)
        if other_treatment and not all_now(node):  # "Other anticancer therapy within 4 weeks": other than which?
            return ir.Review(text, OTHER_TREATMENT)
        if device:
            node = with_devices(node)
        if ir.Attestation("contraception") in ir.walk(node) and not any(
                isinstance(n, ir.Sex) or isinstance(n, ir.Attestation) and n.name in GROUP_ATTESTATIONS
                for n in ir.walk(node)):
            # "Adequate contraception required of all fertile patients": the group among the attested words
            node = _with_group(node, text)
        if _age_subject().search(text) and any(isinstance(n, ir.Measure) and n.quantity == "age" for n in ir.walk(node)) \
                and not (isinstance(node, ir.Measure)):
            return ir.Review(text, "an age that says whom the demand is for ('Subjects aged 18 or over must have ...'): "
                                   "for them only, or a demand too?")
        if _both_sexes(node):  # "Male of female aged 20 years or more": a typo no patient could meet
            return ir.Review(text, "asks for both sexes at once: 'or' mistyped?")
        if kind == "inclusion" and _demands_any_illness(node):  # "Serious disease" among the inclusions
            return ir.Review(text, "an illness of any kind required: a heading, the trial's own disease, or an exclusion?")
        if kind == "exclusion" and below_upper_limit(node):
            return ir.Review(text, "an exclusion of values below a multiple of the upper limit of normal: an exception "
                                   "another item makes, or a demand filed under the exclusions?")
        node = diagnosed_in_window(lead_over_list(restricted_members_excepted(node), toks), toks, norm)
        return cancer_therapy_with_radiotherapy(shared_measure_window(node), toks, norm)
    except VisitError as exc:
        orig = exc.orig_exc
        if isinstance(orig, (Uncompilable, ScreeningError, ValueError)):
            return ir.Review(text, str(orig.message if isinstance(orig, ScreeningError) else orig))
        raise
    except LarkError:
        return _as_statement(text, kind) or _attestation_tail(text, kind, start, own) or _labelled(
            text, toks, kind, start, own) or _allowance_demand(text, kind, _GATED_FROM.get(start, start), own) \
            or ir.Review(text, _review_reason(unread, text))


_LABEL_KINDS: dict[str, type[ir.Node]] = {"DRUG": ir.Medication, "CONDITION": ir.Condition, "PROCEDURE": ir.Procedure}
#: a state as the heading ("Pregnancy:"): what follows must name that state itself
_LABEL_FLAGS: dict[str, str] = {"PREGNANT": "pregnant", "LACTATING": "lactating"}


def _labelled(text: str, toks: list[Token], kind: str, start: str, own: frozenset[str]) -> ir.Node | None:
    """"Neuroleptics: pimozide", "Asthma: a current diagnosis of asthma", "Lung resection: lung volume reduction
    surgery within 12 months": the item's topic as a heading before a colon. What follows is read alone when it
    compiles and every drug, condition or procedure of the heading's kind it names is the heading's concept or
    under it, with one at least ("Aplastic anemia patients: LVEF >= 45%" demands of a subgroup: review). A dose in
    it stays in review ("itraconazole, fluconazole (doses > 200 mg/day)": said of one drug or all?). Else None."""
    colon = next((i for i, t in enumerate(toks) if t.type == "COLON"), None)
    if start != "start" or not colon or toks[colon - 1].type not in (*_LABEL_KINDS, *_LABEL_FLAGS) or any(
            t.type not in (*_LABEL_KINDS, *_LABEL_FLAGS, "OR", "AND", "COMMA") for t in toks[:colon]):
        return None
    cut = text.find(":")
    if cut < 0 or [t.type for t in tokenize(text[:cut])[0]] != [t.type for t in toks[:colon]]:
        return None
    node = _compile_sentence(text[cut + 1:], kind, start, own)
    leaves = list(ir.walk(node))
    if not ir.is_executable(node) or any(isinstance(n, ir.Medication) and n.dose is not None for n in leaves):
        return None
    for k, cls in _LABEL_KINDS.items():
        heads = {str(t.value) for t in toks[:colon] if t.type == k}
        named = [n.concept for n in leaves if type(n) is cls]  # type: ignore[attr-defined]
        if heads and (not named or any(heads.isdisjoint(vocab.ancestors(c)) for c in named)):
            return None
    for k, flag in _LABEL_FLAGS.items():  # "Pregnancy: Women who are pregnant or lactating ...": names it again
        if any(t.type == k for t in toks[:colon]) and ir.Flag(flag) not in leaves:
            return None
    return node


def _parse_reproductive(toks: list[Token], start: str) -> Tree:
    """`start`, and when it fails on a sentence that names pregnancy, lactation, sterility or menopause,
    `start_repro` (statements said of a group; its own start symbol keeps their readings out of every other parse)."""
    try:
        return parse_tokens(toks, start)
    except LarkError:
        if start not in ("start", "start_if") or not _reproductive(toks):
            raise
        return parse_tokens(toks, "start_repro")


def _reproductive(toks: list[Token]) -> bool:
    return any(t.type in ("PREGNANT", "LACTATING", "STERILE") or t.type == "QTEST" and t.value == "pregnancy_test"
               or t.type == "ATTEST" and t.value[0] == "contraception"
               or t.type == "CONDITION" and t.value == "postmenopausal"
               or t.type == "POPULATION" and _childbearing(t) for t in toks)


# where a contraception statement may close a sentence of other demands: "..., and must use adequate birth control"
# among the inclusions (both demanded), "..., or women unwilling to use contraception" among the exclusions
_TAIL_SPLIT = {"inclusion": re.compile(r"\s*(?:,\s*and\b|;|\band\b)\s*", re.I),
               "exclusion": re.compile(r"\s*(?:,\s*or\b|;|,|\bor\b)\s*", re.I)}


_CONTRACEPTION = frozenset({"contraception", "contraceptive", "contraceptives", "birth"})


def _attestation_tail(text: str, kind: str, start: str, own: frozenset[str]) -> ir.Node | None:
    """"Not pregnant or nursing and willing to use contraception": a sentence of facts closed by a contraception
    statement, joined by "and" or a comma (among the exclusions "or"). The statement is read by its closed word
    lists (``screening.statements``) from the longest tail that is one; the rest must compile on its own, with
    nothing left for review. Anything else: None."""
    if start != "start" or _CONTRACEPTION.isdisjoint(statements.words_of(text)):
        return None
    for m in _TAIL_SPLIT[kind].finditer(text):
        head, tail = text[:m.start()].strip(), text[m.end():].strip()
        if not head or not tail:
            continue
        try:
            stated = statements.attestation_statement(tail, kind)
        except ValueError:
            return None
        if stated is None:
            continue
        if (stated.item if isinstance(stated, ir.Not) else stated) != ir.Attestation("contraception"):
            return None
        # the group the statement is for: named in it, else at the head of the sentence ("If a female of child-bearing
        # age, currently pregnant or not using a form of birth control")
        stated = grouped if (grouped := _with_group(stated, tail)) != stated else _with_group(stated, head)
        first = _compile_sentence(head, kind, start, own)
        if kind == "inclusion" and isinstance(first, ir.AnyOf) and re.search(r"\bor\b", head, re.I):
            return None  # "postmenopausal or sterile and using contraception": which does "and" join?
        if not ir.is_executable(first) or isinstance(first, ir.Permitted) or any(
                isinstance(n, ir.Review) or isinstance(n, ir.Attestation) and n.name not in GROUP_ATTESTATIONS
                for n in ir.walk(first)):  # facts, then the statement
            return None
        return _all([first, stated]) if kind == "inclusion" else _any([first, stated])
    return None


def _as_statement(text: str, kind: str) -> ir.Node | None:
    """A sentence the grammar cannot read may still be a permission or a person's statement
    (``screening.statements``); None when it is neither."""
    subject = statements.permission_subject(text)
    if subject is not None:
        try:
            toks, _ = tokenize(subject)
        except ScreeningError:
            return None
        return ir.Permitted(text) if statements.is_plain_subject(toks) else None
    try:
        node = statements.attestation_statement(text, kind)
    except ValueError as exc:
        return ir.Review(text, str(exc))
    return None if node is None else _with_group(node, text)


def _permission_demand(text: str, kind: str, start: str, own: frozenset[str]) -> ir.Node | None:
    """"No X allowed", "X required", "X allowed if on a stable dose ...": see ``permissions``."""
    if start != "start":
        return None
    return permission_demand(text, kind, lambda s, k: _compile_sentence(s, k, start, own))


# the gated start symbols `_start_for` puts in the place of "start"
_GATED_FROM = {"start_if": "start", "start_stable": "start", "start_opinion": "start"}


def _allowance_demand(text: str, kind: str, start: str, own: frozenset[str]) -> ir.Node | None:
    """"Hemoglobin >= 10 g/dL (transfusion allowed)", "X allowed if completed > 6 months ago", "(for HIV-positive
    patients only)": see ``allowances``."""
    if start != "start":
        return None
    return allowance_demand(text, kind, lambda s, k: _compile_sentence(s, k, start, own))


def compile_text(text: str, kind: str, start: str = "start", own: frozenset[str] = frozenset(),
                 own_disease: bool = True) -> ir.Node:
    """An item's own text -> IR. Sentences that compile are combined; one that does not becomes a
    review part, unless some sentence could change the meaning of the rest (then the whole item). An
    exclusion every healthy patient meets is a demand in the wrong list: review (compile.wrong_list)."""
    node = _compile_text(text, kind, start, own, own_disease)
    return wrong_list(node, text) if kind == "exclusion" else node


def _compile_text(text: str, kind: str, start: str, own: frozenset[str], own_disease: bool) -> ir.Node:
    sentences = split_sentences(text)
    if not sentences:
        return ir.Review(text, "empty item")
    # "Prior malignancy allowed if treated. No recurrent disease.": "disease" may be the other cancer
    own_known = own_disease
    own_disease = own_disease and (len(sentences) == 1 or _names_only_own(_tokens(text), own))
    nodes = [compile_sentence(s, kind, start, own, own_disease, own_known) for _, s in sentences]
    if len(nodes) > 1:  # "See Disease Characteristics At least 4 weeks since ...": a pointer holds nothing to check
        nodes = [n for n in nodes if not _says_nothing(n)] or nodes
    if len(nodes) == 1:
        return nodes[0]
    reviews = [n for n in nodes if isinstance(n, ir.Review)]
    if reviews and (len(reviews) == len(nodes) or _has_modifier(text)):
        return ir.Review(text, "; ".join(dict.fromkeys(r.reason for r in reviews)))
    demands = [n for n in nodes if not isinstance(n, ir.Permitted)]
    if any(isinstance(n, ir.Permitted) and not _permission_apart(n, demands) for n in nodes) or any(
            permits_after_wait(s) for _, s in sentences):
        # "No prior chemotherapy. Prior hydroxyurea allowed.": the permission is an exception to the rest
        return ir.Review(text, "a permission beside other demands may be an exception to them")
    if any(_OTHER_SIDE[kind].search(s) for _, s in sentences[1:]):
        # "Pregnant or breastfeeding. Women ... must have a negative pregnancy test." under the
        # exclusions: the second sentence is a requirement, and any() would exclude on it
        return ir.Review(text, f"the item mixes {kind} criteria with sentences of the other kind")
    nodes = narrower_named_before(nodes)
    return _all(nodes) if kind == "inclusion" else _any(nodes)


def _demands_any_illness(node: ir.Node, negated: bool = False) -> bool:
    """The generic illness (vocab.ANY_CONDITION) asked for, not ruled out."""
    if isinstance(node, ir.Condition):
        return node.concept == vocab.ANY_CONDITION and not negated
    return any(_demands_any_illness(c, negated != isinstance(node, ir.Not)) for c in ir.children(node))


@lru_cache(maxsize=1)
def _age_subject() -> re.Pattern[str]:
    return re.compile(phrase_data()["age_subject"]["pattern"], re.I)


def _both_sexes(node: ir.Node) -> bool:
    return any(isinstance(n, ir.All) and len({c.value for c in n.items if isinstance(c, ir.Sex)}) > 1
               for n in ir.walk(node))


def _says_nothing(node: ir.Node) -> bool:
    return isinstance(node, ir.Review) and node.reason == _NOTHING


_FACTS = (ir.Condition, ir.Medication, ir.Procedure, ir.Immunization, ir.Allergy)


def _permission_apart(permission: ir.Permitted, demands: list[ir.Node]) -> bool:
    """A permission that cannot be an exception to the demands beside it: nothing it allows is something
    they forbid or ask about ("Concurrent epoetin alfa allowed. No concurrent chemotherapy"), or it allows
    what was before and they speak of now ("Prior radiotherapy allowed No concurrent radiotherapy")."""
    subject = statements.permission_subject(permission.text) or ""
    toks = _tokens(subject)
    allowed = {str(t.value) for t in toks if t.type in ("DRUG", "PROCEDURE", "CONDITION", "VACCINE")}
    if not allowed or any(t.type in ("WORD", "CGROUP") for t in toks):
        return False
    before = toks[0].type == "PRIOR" and not any(t.type == "USE" and str(t) != "therapy" for t in toks)
    for demand in demands:
        for fact in ir.walk(demand):
            if not isinstance(fact, _FACTS):
                continue
            if any(_overlap(a, fact.concept) for a in allowed) \
                    and not (before and getattr(fact, "window", None) == ir.Window(0)):
                return False
    return True


@lru_cache(maxsize=4096)
def _overlap(a: str, b: str) -> bool:
    """One concept under the other, or a listed concept under both ("hormonal therapy" and "chemotherapy"
    share estramustine)."""
    if a == b or a in vocab.ancestors(b) or b in vocab.ancestors(a):
        return True
    return any(a in up and b in up for up in map(vocab.ancestors, vocab.concepts()))


_OTHER_SIDE = {
    "exclusion": re.compile(r"\b(must|should|required|requires?|need to|needs to|has to|have to|will be)\b", re.I),
    "inclusion": re.compile(r"\b(excluded|exclude|not eligible|ineligible|not allowed|not permitted|prohibited)\b", re.I),
}


def _has_modifier(text: str) -> bool:
    words = set(re.findall(r"[a-z]+", text.lower()))
    return not words.isdisjoint(lexicon().modifiers)


def compile_trial(trial: Trial) -> ir.CompiledTrial:
    """Every source item becomes a criterion; nothing is dropped (see ``screening.assemble``)."""
    from ..assemble import compile_trial as assemble_trial
    return assemble_trial(trial)


def source_hash(trial: Trial) -> str:
    """What a rules file is checked against: the criteria text and structured fields."""
    from ..assemble import source_hash as hash_of
    return hash_of(trial)


def compile_any(trial: Any) -> ir.CompiledTrial:
    """A CompiledTrial, Trial, rules file or trial file path -> CompiledTrial."""
    if isinstance(trial, ir.CompiledTrial):
        return trial
    if isinstance(trial, Trial):
        return compile_trial(trial)
    path = os.fspath(trial)
    if path.endswith(".rules"):
        from ..rules import load_rules
        return load_rules(path)
    from ..ingest import load_trial
    return compile_trial(load_trial(path))

