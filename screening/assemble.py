"""Assemble a trial's criteria from its items: headings, "at least N of the following" groups,
alternatives joined by "or" across items, and the structured age and sex fields.

Each item's own text is compiled by ``screening.compile.compile_text``; this module decides what
the item is (a criterion, a heading, a part of its parent's rule) and what its heading says
about it ("Allowed:", "Excluded within 30 days prior to study entry:", "Life expectancy:").
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from functools import lru_cache

from . import ir, statements, units
from .compile import compile_sentence, compile_text
from .compile.excluded_lists import each_excluded
from .compile.helpers import _age, _all, _any
from .compile.wrong_list import swapped_section
from .compile.reproductive_groups import _NOT_CHILDBEARING, _contraception_group
from .lexer import lexicon, phrase_data, tokenize
from .cohorts import cohort_line as _cohort_line, heading_words as _heading_words, population_cohorts as _population_cohorts
from .cohorts import section_cohorts as _section_cohorts
from .headings import (_HEADING_WINDOW, _SECTION, HeadingContext, _excepting, _heading_context, restates_genus,
                       without_heading_window)
from .segment import has_sections, nci_label
from .trial import SourceItem, Trial
from .trial_checks import _others_named_elsewhere, _permissions_beside_bans, _review_own, _unheaded, _widenings
from .vocab.trial_conditions import own_conditions

_AT_LEAST = re.compile(r"\b(?:at least (?P<n>\d+|one|two|three|four|five)|(?P<more>more than (?:\d+|one|two|three))|"
                       r"(?P<ormore>\d+|one|two|three) or more|(?P<one>(?:only |any |exactly )?(?:one|1|either))(?= of\b))"
                       r"\b[^:]*?(?:following|below|criteria|eligible)", re.I)


@lru_cache(maxsize=1)
def _at_least_tail() -> frozenset[str]:
    return frozenset(phrase_data()["headings"]["at_least_tail"])


def _at_least_count(m: re.Match[str]) -> int:
    """'at least two' -> 2; 'more than one' -> 2; 'two or more' -> 2."""
    if m.re is _heading_words()["examples"] or m["one"]:
        return 1
    word = (m["n"] or m["ormore"] or m["more"].split()[-1]).lower()
    n = int(word) if word.isdigit() else lexicon().numbers[word]
    return n + 1 if m["more"] else n
_HEADER = re.compile(r"(following|below)\b[^:]*:\s*$|^\W*[\w\s/,&-]{0,40}:\s*$", re.I)


_SENTENCE_END = re.compile(r"(?<=[a-z0-9)]{3})\.\s+(?=[A-Z])")  # not "e.g. Warfarin", "St. John's wort"
_EXCEPTING_WHY = "a demand whose exceptions are the items below: a person weighs them"


def _said_of_all_therapy(rule: ir.Node) -> bool:
    """A person's statement about all prior therapy ("Recovered from prior therapy": statements.toml
    [topics.recovered_from_prior_therapy]): under an NCI label naming one therapy it is said of that therapy."""
    inner = rule.item if isinstance(rule, ir.Not) else rule
    return inner == ir.Attestation("recovered_from_prior_therapy")


def _label_says_nothing(text: str) -> bool:
    """"Chemotherapy: Not specified", "Hepatic: Not specified" as one item: an old NCI label with nothing under it."""
    label = nci_label(text)
    return label is not None and bool(_no_requirement().fullmatch(text[label:].strip(" .;:").lower()))


@lru_cache(maxsize=1)
def _no_requirement() -> re.Pattern[str]:
    """Items such as "Not specified" that state there is nothing to check."""
    return re.compile("|".join(re.escape(p) for p in phrase_data()["no_requirement"]["phrases"]))


def _is_subheading(text: str) -> bool:
    """An item with sub-items whose own text is a bare name ("Chemotherapy", "Cardiovascular"): a heading.
    "No prior chemotherapy" is a statement, not a name."""
    return len(text.split()) <= 3 and not re.search(r"[\d<>=≤≥]", text) and not _heading_words()["negating"].match(text)


def _is_label(text: str) -> bool:
    """A short heading with nothing to check: "Concurrent Medication:", "Hepatic:"."""
    return bool(re.fullmatch(r"\W*[\w\s/,&()'-]{0,60}:\s*", text)) and len(text.split()) <= 8


def _lists_thresholds(children: tuple[SourceItem, ...]) -> bool:
    """"Adequate organ function, including:" lists thresholds that all hold, not examples of which one will do."""
    return any(isinstance(n, (ir.Measure, ir.TestResult)) for child in children
               for n in ir.walk(compile_text(child.text, "inclusion")))


def _criteria_for(item: SourceItem, out: list[ir.Criterion], parent: str | None, role: str,
                  ctx: HeadingContext = HeadingContext()) -> None:
    text = item.text
    kind = ctx.kind or item.kind
    if ctx.permissive or ctx.about_other:
        why = "listed as allowed: it permits, it does not require" if ctx.permissive else ctx.about_other
        plain = ctx.permissive and not (ctx.limited or ctx.about_other or item.children) and \
            statements.is_listed_permission(text)
        rule = ir.Permitted(text) if plain else ir.Review(text, why)
        out.append(ir.Criterion(item.id, kind, text, rule, item.span, role, parent))
        for child in item.children:  # its own text may qualify them ("Allowed only with ...:", "such as:")
            _criteria_for(child, out, item.id, role, replace(ctx, limited=ctx.permissive))
        return
    if item.children and kind == "inclusion" and role != "part" and _lists_kinds(item, ctx):
        # "Diagnosis of advanced hepatobiliary carcinoma:" over "Gall bladder carcinoma", "Cholangiocarcinoma", ...:
        # kinds of the diagnosis, of which a patient has one, not demands each patient meets
        out.append(ir.Criterion(item.id, kind, text, ir.Review(text, _KINDS_WHY), item.span, role, parent))
        for child in item.children:
            _criteria_for(child, out, item.id, "part", ctx)
        return
    if item.children:
        m = _AT_LEAST.search(text)
        examples = _heading_words()["examples"]
        if m is None and kind == "inclusion" and examples.search(text):
            # a heading that defines, qualifies or negates keeps its own reading
            here = _heading_context(text, ctx, kind)
            if (here.kind or "inclusion") == "inclusion" and not (here.permissive or here.about_other or here.qualifier
                                                                  or here.negating or _lists_thresholds(item.children)):
                m = examples.search(text)  # its items are alternatives: one of them, and a person
        if m and role != "part":
            n = _at_least_count(m)
            parts: list[ir.Criterion] = []
            for child in item.children:
                _criteria_for(child, parts, item.id, "part", ctx)
            members = tuple(c.rule for c in parts if c.parent == item.id)
            own = text[:m.start()].strip()
            own_tokens = [t for t in tokenize(own)[0] if t.type not in ("POS", "COLON")] if own else []
            if own_tokens and m.re is _AT_LEAST and restates_genus(own, members):
                own_tokens = []  # "Malignant glioma of one of the following types:" over kinds of glioma
            if not own_tokens and m.re is _AT_LEAST:  # "... which has not responded to chemotherapy:" qualifies them all
                own_tokens = [w for w in re.findall(r"[a-z]+", text[m.end():].lower()) if w not in _at_least_tail()]
            why = "a demand with examples of it below: a person weighs the heading" if m.re is examples \
                else "the sentence around 'at least N of the following' needs a person"
            rule: ir.Node = ir.Review(text, why) \
                if own_tokens else (ir.AtLeast(n, members) if 1 <= n <= len(members) else
                                    ir.Review(text, f"'at least {n}' of {len(members)} sub-items"))
            out.append(ir.Criterion(item.id, kind, text, rule, item.span, role, parent))
            out.extend(parts)
            return
        if _HEADER.search(text) or (text.rstrip().endswith(":") and len(text.split()) <= 12) or _is_subheading(text):
            if _excepting(text):  # the heading is the demand: it counts, and a person weighs its exceptions
                out.append(ir.Criterion(item.id, kind, text, ir.Review(text, _EXCEPTING_WHY), item.span, role, parent))
            else:
                out.append(ir.Criterion(item.id, kind, text, ir.Review(text, "heading of the sub-items below"),
                                        item.span, "header", parent))
            _siblings(item.children, out, item.id, role, _heading_context(text, ctx, kind))
            return
    elif _is_label(text) or _no_requirement().fullmatch(text.strip(" .;:").lower()) or _label_says_nothing(text):
        out.append(ir.Criterion(item.id, kind, text, ir.Review(text, "a heading with nothing to check"),
                                item.span, "header", parent))
        return
    own = _ENDS_WITH_AND.sub("", text).strip() or text  # "...> 130 mg/dl; and": the list goes on, each item holds
    if ctx.excluded and kind == "exclusion":  # "Rifabutin and rifampin." under "Excluded:": either (compile.excluded_lists)
        own = each_excluded(own, lambda s: compile_sentence(s, kind, ctx.start, ctx.own))
    # the heading's time frame closes each sentence ("Nitroglycerin. Digitoxin." under "Excluded within 4 weeks:")
    source = _SENTENCE_END.sub(f" {ctx.window}. ", own.rstrip(' .;')) + f" {ctx.window}" if ctx.window else own
    if ctx.prior and ctx.undated and not _TIMED.search(source):
        out.append(ir.Criterion(item.id, kind, text, ir.Review(text, ctx.undated), item.span, role, parent))
        _siblings(item.children, out, item.id, role, _under_statement(text, ctx))
        return
    if ctx.prior and not _TIMED.search(source):
        source = f"Prior {source}"  # "Prior Treatment: Excluded: Chemotherapy."
    rule = compile_text(source, kind, ctx.start, ctx.own, ctx.own_all)
    if ctx.window and isinstance(rule, ir.Review) and source != own and (handed := without_heading_window(
            compile_text(own, kind, ctx.start, ctx.own, ctx.own_all), ctx.window)) is not None:
        rule = handed  # "Age between 18 to 50 years, inclusive" under "... within 28 days prior to the baseline visit:"
    if ctx.history and not _TIMED.search(source) and any(
            isinstance(n, ir.Condition) and n.window is not None and n.window.amount == 0 for n in ir.walk(rule)):
        # "History of any of the following: Panic disorder": a history too, not the disorder now
        ever = compile_text(f"History of {source}", kind, ctx.start, ctx.own, ctx.own_all)
        rule = ever if ir.is_executable(ever) else ir.Review(text, "under a heading that asks for a history: ever, "
                                                                   "or now?")
    if ctx.start != "start" and isinstance(rule, ir.Review):  # not a dose cap after all: read it as a criterion
        rule = compile_text(source, kind, own=ctx.own, own_disease=ctx.own_all)
    if isinstance(rule, ir.Review) and ctx.subject:  # "More than 2 months" under "Life expectancy:"
        # lower case: "Life expectancy At least 2 months" would read as two run-together statements
        joined = source[:1].lower() + source[1:] if source[1:2].islower() else source
        with_subject = compile_text(f"{ctx.subject} {joined}", kind, own=ctx.own, own_disease=ctx.own_all)
        if not isinstance(with_subject, ir.Review):
            rule = with_subject
    if (isinstance(rule, ir.Review) or _said_of_all_therapy(rule)) and ctx.label and source == text:
        # "No prior therapy" under "Chemotherapy:"; "Recovered from prior therapy" under it: from chemotherapy
        labelled = compile_text(f"{ctx.label}: {text}", kind, ctx.start, ctx.own, ctx.own_all)
        if ir.is_executable(labelled):
            rule = labelled
    if isinstance(rule, ir.Review) and source != text:
        rule = ir.Review(text, rule.reason)
    if ctx.negating and any(isinstance(n, ir.Not) for n in ir.walk(rule)):
        # "At least 4 months since transplantation" under "No ...:": negated twice, read either way
        rule = ir.Review(text, "a negated item under a heading that negates: which way does it go?")
    if ctx.qualifier and not isinstance(rule, ir.Review):
        rule = ir.Judged(f"{ctx.qualifier} (the heading)", rule) if not any(
            isinstance(n, ir.Not) for n in ir.walk(rule)) else \
            ir.Review(text, f"the heading qualifies it ('{ctx.qualifier}'): a person judges")
    if ctx.exempted and ir.is_executable(rule):  # "(unless impairment due to tumor)" in the heading: a person weighs it
        exemption = ir.Review(ctx.exempted.strip("()"), "the heading exempts some patients: does it apply to this one?")
        rule = _any([rule, exemption]) if kind == "inclusion" else _all([rule, ir.Not(exemption)])
    if ctx.group and not isinstance(rule, ir.Review) and not _womens_states_only(rule) and (
            outside := _contraception_group(ctx.group)) is not None:
        # "or are sexually active and not using birth control" under "Women who are": a man is outside it
        rule = _all([ir.Not(outside), rule]) if kind == "exclusion" else _any([outside, rule])
    if ctx.under_statement and not _measures_tests_or_statements(rule):
        rule = ir.Review(text, ctx.under_statement)
    if ctx.adequate and kind == "inclusion" and (high := _reversed_ceiling(rule)) is not None:
        rule = ir.Review(text, f"asks {units.get_quantity(high.quantity).name} to be {high.op} a limit under a heading of "
                               "adequate function: the comparator was probably reversed (<= meant)")
    out.append(ir.Criterion(item.id, kind, text, rule, item.span, role, parent))
    _siblings(item.children, out, item.id, role, _under_statement(text, ctx))


def _reversed_ceiling(rule: ir.Node) -> ir.Measure | None:
    """A demand that a value whose only abnormal side is high (quantities.toml ``normal = "upper"``: bilirubin, ALT,
    creatinine) be above a limit, counting the negations around it; None when there is none."""
    return next((n for n, negated in ir.polar_walk(rule) if isinstance(n, ir.Measure)
                 and n.op in (("<=", "<") if negated else (">=", ">"))
                 and units.get_quantity(n.quantity).normal == "upper"), None)


def _under_statement(text: str, ctx: HeadingContext) -> HeadingContext:
    """What a criterion's own text says about its sub-items. A statement that introduces a list ("No history of
    the following:", "..., including", "except") rules them as a heading does. One that lists nothing ("Not
    pregnant or nursing", "All patients must have failed IL-2, be ineligible for ...") does not turn its
    sub-items into exclusions: a threshold, test or statement below it is a further demand of the same kind;
    anything else there may be one more thing excluded, which a person tells."""
    here = _heading_context(text, HeadingContext(kind=ctx.kind, own=ctx.own, own_all=ctx.own_all))
    if _heading_words()["list_intro"].search(text) or (here.kind, here.negating) == (ctx.kind, False):
        return here
    return replace(here, kind=ctx.kind, negating=False,
                   under_statement="under a statement that negates or excludes: one more demand, or one more thing excluded?")


def _measures_tests_or_statements(rule: ir.Node) -> bool:
    """Nothing but thresholds, test results and attestations (and/or/not over them)."""
    return all(isinstance(n, (ir.Measure, ir.TestResult, ir.Attestation, ir.Sex, ir.Flag, ir.AnyOf, ir.All, ir.Not))
               or n in _NOT_CHILDBEARING for n in ir.walk(rule))  # a test demanded of women who can bear children


def _structured(trial: Trial) -> list[ir.Criterion]:
    out = []
    ages: list[ir.Node] = []
    if trial.min_age_years is not None and trial.min_age_years > 0:
        ages.append(ir.Measure("age", ">=", trial.min_age_years, "year"))
    if trial.max_age_years is not None:
        ages.append(_age("<=", trial.max_age_years, trial.max_age_years >= 1))
    if ages:
        text = "; ".join(filter(None, [
            f"minimum age {trial.min_age_years:g} years" if trial.min_age_years else "",
            f"maximum age {trial.max_age_years:g} years" if trial.max_age_years is not None else ""]))
        out.append(ir.Criterion("age", "inclusion", text, _all(ages)))
    if trial.sex in ("female", "male"):
        out.append(ir.Criterion("sex", "inclusion", f"sex: {trial.sex}", ir.Sex(trial.sex)))
    return out


def source_hash(trial: Trial) -> str:
    """What a rules file is checked against: the criteria text and structured fields."""
    basis = "\n".join([trial.criteria_text or "", repr(trial.min_age_years), repr(trial.max_age_years), repr(trial.sex)]
                      + ([repr(trial.conditions)] if trial.conditions else []))  # they decide what "other" means
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()[:16]


_TIMED = re.compile(r"\b(?:within|since|current(?:ly)?|concurrent|concomitant|ongoing|now|active|present|existing|recent|"
                    r"prior|previous(?:ly)?|past|"
                    r"last|history|before|during|days?|weeks?|months?|years?)\b", re.I)

_ENDS_WITH_OR = re.compile(r"\b(?:or|OR|Or)\s*[,;:]?\s*$")
_ENDS_WITH_AND = re.compile(r"[,;]?\s*\b(?:and|AND|And)\s*[,;:]?\s*$")


def _sentence_before_list(item: SourceItem, out: list[ir.Criterion], parent: str | None, role: str, ctx: HeadingContext,
                          outer: HeadingContext, what: str) -> HeadingContext:
    """A sentence ending in ':' laid out flat before its list is a criterion of its own; the items after it, up to the
    next heading or section, may be what it lists (``what``): they go to a person (the context they are read in)."""
    _criteria_for(item, out, parent, role, ctx)
    return replace(outer, about_other=f"listed after a sentence ending in ':' that may say what they are ({what}): "
                                      "where its list ends needs a person")


def _siblings(items: tuple[SourceItem, ...], out: list[ir.Criterion], parent: str | None, role: str,
              ctx: HeadingContext = HeadingContext()) -> None:
    """Items in order; an item ending in "OR" is one alternative with the items after it. A heading laid
    out as an item of its own ("Excluded within 12 weeks of study entry:") governs the items after it, up
    to the next such heading."""
    i = 0
    outer = ctx
    cohorts = _population_cohorts(items)
    reach_kind = None  # the section of a long sentence ending in ':' whose flat list may follow (below)
    dated = False  # an "Excluded within N weeks:" list with its items below it came before, in this section
    while i < len(items):
        item = items[i]
        if i and item.kind != items[i - 1].kind:  # the exclusions begin: no heading of the inclusions reaches them
            outer = replace(outer, prior=False)
            ctx = outer
            dated = False
        if reach_kind is not None and (item.kind != reach_kind or item.text.rstrip().endswith(":")):
            ctx, reach_kind = outer, None  # its list ends at the next section or the next heading-like item
        section = _SECTION.match(item.text) if not item.children else None
        if section:  # a new section label: its "prior" reaches the lists after it, up to the next label
            outer = replace(outer, prior=bool(section["prior"]))
            ctx = outer  # and ends the reach of the "Allowed:" or "Excluded:" before it
            dated = False
        if ctx.prior and item.children and item.text.rstrip().endswith(":") and \
                _heading_words()["excluded"].search(item.text):
            if _HEADING_WINDOW.search(item.text):
                dated = True
            elif dated:
                _criteria_for(item, out, parent, role, replace(ctx, undated=_UNDATED_WHY))
                i += 1
                continue
            elif _holds_dated_list(item):
                # "Excluded:" with "Excluded within 1 month of study entry:" laid out among its items: a bare line
                # after it ("Interferons." set apart by a stray indent) may still be of the dated list
                _criteria_for(item, out, parent, role, ctx)
                dated = True
                i += 1
                continue
        elif ctx.prior and dated and not item.children and not item.text.rstrip().endswith(":") and _names_treatment(item):
            _criteria_for(item, out, parent, role, replace(ctx, undated=_APART_WHY))  # (precision review s9)
            i += 1
            continue
        if not item.children and i + 1 < len(items) and (item.text.rstrip().endswith(":") or _cohort_line(item.text)) \
                and not _AT_LEAST.search(item.text) and len(item.text.split()) <= 12:
            here = _heading_context(item.text, outer, item.kind)
            if here.window != outer.window and ir.is_executable(
                    compile_text(item.text.rstrip(" :"), item.kind, own=outer.own, own_disease=outer.own_all)):
                # "History of alcohol/drug abuse or dependence within 12 months of the study:": a criterion whose own
                # list follows, not a heading whose window reaches the rest of the section
                ctx = _sentence_before_list(item, out, parent, role, ctx, outer, "its definitions, its cases")
                reach_kind = item.kind
                i += 1
                continue
            if (here.kind, here.window, here.permissive, here.about_other) != (outer.kind, outer.window,
                                                                               outer.permissive, outer.about_other):
                excepting = _excepting(item.text)
                out.append(ir.Criterion(item.id, here.kind or item.kind, item.text,
                                        ir.Review(item.text, _EXCEPTING_WHY if excepting else "heading of the items after it"),
                                        item.span, role if excepting else "header", parent))
                ctx = here
                i += 1
                continue
            if ctx.permissive:  # "Consult the monitor for the following:" laid out flat under "Allowed:": is it
                ctx = replace(ctx, limited=True)  # still a list of permissions, or a demand? A person checks
        if not item.children and item.text.rstrip().endswith(":") and i + 1 < len(items) \
                and not _AT_LEAST.search(item.text) and len(item.text.split()) > 12:
            # "..., although THE FOLLOWING CURRENT ACUTE MEDICAL CONDITIONS ARE NOT ALLOWED:" laid out flat before
            # its list: a sentence too long to be a heading, which may still say what the items after it are
            here = _heading_context(item.text, outer)
            if (here.kind or item.kind, here.permissive, here.about_other, here.negating) != (
                    outer.kind or item.kind, outer.permissive, outer.about_other, outer.negating):
                ctx = _sentence_before_list(item, out, parent, role, ctx, outer, "excluded, allowed")
                reach_kind = item.kind
                i += 1
                continue
        if item.children and item.text.rstrip().endswith(":"):
            ctx = outer  # a heading with sub-items of its own ends the reach of a heading laid out as an item
            # ... but not that of a section label ("Prior Medication:") above it
        if not item.children and item.text.rstrip().endswith(":") and _AT_LEAST.search(item.text) and i + 1 < len(items):
            # "Have at least one of the following:" with its members laid out as the next items: where the
            # alternatives end is not marked, so the group goes to a person (the items are shown as its parts)
            # (never past the section: the exclusions after "at least 1 of the following:" are exclusions)
            end = next((k for k in range(i + 1, len(items)) if items[k].kind != item.kind), len(items))
            group: list[ir.Criterion] = []
            _criteria_for(SourceItem(item.id, item.kind, item.text, item.span, tuple(items[i + 1:end])), group, parent,
                          role, ctx)
            why = "'at least N of the following' with its alternatives laid out as the items after it: where they end needs a person"
            out.append(replace(group[0], rule=ir.Review(item.text, why)))
            out.extend(group[1:])
            i = end
            continue
        if item.id in cohorts:
            _criteria_for(item, out, parent, role, replace(ctx, about_other=(
                "for one cohort of the study only (patients or healthy volunteers): which applies to the patient?")))
            i += 1
            continue
        j = i
        while j + 1 < len(items) and _ENDS_WITH_OR.search(items[j].text) and not items[j].children:
            j += 1
        if j == i and i and _continues_examples(items[i - 1], items[i], ctx):
            _criteria_for(items[i], out, parent, role, replace(ctx, about_other=(
                "may be one more of the examples the item before it lists ('e.g.: ...'), not a demand of its own")))
        elif j == i:
            _criteria_for(items[i], out, parent, role, ctx)
        else:
            head = items[i]
            parts: list[ir.Criterion] = []
            for k in range(i, j + 1):
                item = items[k]
                text = _ENDS_WITH_OR.sub("", item.text).strip() or item.text
                _criteria_for(SourceItem(item.id, item.kind, text, item.span, item.children), parts,
                              head.id if k > i else parent, "part" if k > i else role, ctx)
            first = parts[0]
            alternatives = [c.rule for c in parts if c.id == head.id or c.parent == head.id and c.role == "part"]
            joined = ir.Criterion(first.id, first.kind, head.text, _any(alternatives), first.span, first.role,
                                  first.parent)
            out.append(joined)
            out.extend(c for c in parts[1:])
        i = j + 1


_APART_WHY = ("after a dated 'Excluded within ...:' list under a prior-medication heading, laid out apart from it: "
              "of that list (within its window), or excluded whenever taken?")


def _names_treatment(item: SourceItem) -> bool:
    """A drug or a procedure in the item's rule ("Interferons."), not a condition ("Alcohol or drug abuse.")."""
    return any(isinstance(n, (ir.Medication, ir.Procedure)) for n in ir.walk(compile_text(item.text, item.kind)))


def _holds_dated_list(item: SourceItem) -> bool:
    """An item with, among its sub-items, an "Excluded within N weeks ...:" heading of its own."""
    excluded = _heading_words()["excluded"]
    return any(c.text.rstrip().endswith(":") and excluded.search(c.text) and _HEADING_WINDOW.search(c.text)
               or _holds_dated_list(c) for c in item.children)


_UNDATED_WHY = ("an undated 'excluded' list after a dated one under a prior-medication heading: during the study, "
                "or ever? A person reads the time frame")
_KINDS_WHY = "the items below may be kinds of the diagnosis it names: one of them, or each? A person reads the list"
#: words of a heading that names kinds of a diagnosis ("Histologic subtypes:", "Following etiologies eligible:",
#: "the following diseases are the likely candidates", "Grade III or IV disease:")
_KIND_WORDS = re.compile(r"\b(?:sub)?types?\b|\bhistolog|\bdiagnos|\bsubsets?\b|\bvariants?\b|\betiolog|\beligible\b|"
                         r"\bcandidates?\b|\bdiseases?\b|\bdisorders?\b", re.I)


def _lists_kinds(item: SourceItem, ctx: HeadingContext) -> bool:
    """An item naming a diagnosis (or its types) whose sub-items are each a bare diagnosis and nothing more."""
    if len(item.children) < 2 or any(c.children for c in item.children):
        return False
    words, toks = _heading_words(), tokenize(item.text)[0]
    if _AT_LEAST.search(item.text):
        return False  # "Diagnosis of one of the following neoplastic diseases:" says how many: an at_least rule
    if _excepting(item.text) or words["negating"].match(item.text) or words["examples"].search(item.text) or any(
            t.type in ("NEG", "EXCEPT") for t in toks):
        return False  # "No second malignancy except:" lists exceptions, "... including:" examples (handled apart)
    if not (_KIND_WORDS.search(item.text) or any(t.type in ("CONDITION", "CGROUP") for t in toks)):
        return False
    rules = [compile_text(c.text, "inclusion", own=ctx.own, own_disease=ctx.own_all) for c in item.children]
    plain = [r for r in rules if isinstance(r.item if isinstance(r, ir.Judged) else r, ir.Condition)
             and not getattr(r.item if isinstance(r, ir.Judged) else r, "exceptions", ())]
    return len(plain) >= 2 and all(isinstance(r, ir.Review) for r in rules if r not in plain)


_EXAMPLES_RUN = re.compile(r"\b(?:e\.\s?g\.?|for example|such as|including)\s*:?[^.;]*$", re.I)


def _continues_examples(before: SourceItem, item: SourceItem, ctx: HeadingContext) -> bool:
    """A bare diagnosis laid out as an item right after one that ends listing examples ("No condition that would
    prevent compliance, e.g.: Alcoholism Drug addiction" / "Psychiatric disease"): the page's layout may have split
    the list, and a demand for the diagnosis would fail every patient without it."""
    if item.kind != "inclusion" or item.children or before.children or item.kind != before.kind or len(item.text.split()) > 4 or not (
            _EXAMPLES_RUN.search(before.text)):
        return False
    rule = compile_text(item.text, item.kind, own=ctx.own, own_disease=ctx.own_all)
    return isinstance(rule, ir.Condition)


def _womens_states_only(rule: ir.Node) -> bool:
    """A rule of pregnancy and lactation only: a group of women around it adds nothing."""
    return all(isinstance(n, (ir.Flag, ir.AnyOf, ir.All)) for n in ir.walk(rule))


def compile_trial(trial: Trial) -> ir.CompiledTrial:
    """Every source item becomes a criterion; nothing is dropped."""
    criteria = _structured(trial)
    # a condition the vocabularies do not know, or know only by something broader ("peritoneal cavity cancer" ->
    # cancer), may be the patient's: then a bare "disease" cannot be read as the most specific ones alone
    own, leaves, known = own_conditions(trial.conditions)
    top = HeadingContext(own=leaves, own_all=known)
    sections = _section_cohorts(trial)
    if not sections:
        _siblings(trial.items, criteria, None, "criterion", top)
    else:  # each run of items under one section header, those of a group's section for that group only
        i = 0
        while i < len(trial.items):
            why = sections.get(trial.items[i].id, "")
            j = i
            while j + 1 < len(trial.items) and sections.get(trial.items[j + 1].id, "") == why:
                j += 1
            _siblings(trial.items[i:j + 1], criteria, None, "criterion", replace(top, about_other=why) if why else top)
            i = j + 1
    if own:
        _review_own(criteria, own, trial.conditions)
    criteria = _widenings(swapped_section(_others_named_elsewhere(_permissions_beside_bans(criteria))))
    if trial.criteria_text and not has_sections(trial.criteria_text):
        criteria = _unheaded(criteria)
    note = ""
    if trial.criteria_text is None:
        note = "the trial page has no eligibility criteria section"
    elif not trial.items:
        note = "no criteria items could be read from the eligibility section"
    return ir.CompiledTrial(trial.id, trial.title, trial.source, source_hash(trial), tuple(criteria), note)
