"""What a heading says about the items under it ("Allowed:", "Excluded within 30 days prior to study entry:",
"Life expectancy:", "Adequate organ function as defined below:"), read once per heading into a ``HeadingContext``
that ``screening.assemble`` hands down to the items below it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

from . import ir, statements
from .cohorts import heading_words as _heading_words
from .compile import compile_text, label_therapy
from .compile.reproductive_groups import _contraception_group
from .lexer import phrase_data, tokenize
from .vocab import ancestors

#: a section label of the old NCI/ACTG layout: "Prior Medication:" rules the "Allowed:"/"Excluded:" lists after it
_SECTION = re.compile(r"^\W*(?P<prior>prior\s+)?(?:[\w-]+\s+){0,2}?(?:medications?|treatments?|therapy|therapies|conditions?)\s*:\s*$",
                      re.I)


_AGE_HEADING = re.compile(r"^\W*age\s*:?\s*$", re.I)
#: a heading naming an age band: "Under 65 years:", "Age 65-70 years:", "Patients aged 70 or older:"
_AGE_BAND = re.compile(r"^\W*(?:(?:patients|subjects|participants)\s+)?(?:age[sd]?\s*)?(?:under|over|below|above|younger than|"
                       r"older than|less than|greater than|[<>≤≥]=?)?\s*\d+(?:\s*(?:-|–|to)\s*\d+)?\s*(?:years?|yrs?)?"
                       r"(?:\s*(?:old|of age|and (?:older|over|above|younger|under)|or (?:older|more|over|above|younger|less|under)))?\s*:\s*$",
                       re.I)


@lru_cache(maxsize=1)
def _heading_subjects() -> dict[str, str]:
    return dict(phrase_data()["heading_subjects"])


def _excepting(text: str) -> bool:
    """A heading that states a demand and lists its exceptions below ("No second malignancy except:")."""
    return bool(_heading_words()["excepting"].search(text))


# "within 30 days prior to study entry", "in the past 6 months", "in the 8 weeks prior to Screening" (not "in the 3
# months after surgery": a period that does not end at screening)
_HEADING_WINDOW = re.compile(r"\b(?:within|(?:in|during) the (?:last|past|previous|preceding)|(?:in|during) the(?=\s+\d+\s+\w+"
                             r"\s+(?:prior to|before)\b))\s+(?:the\s+)?(?:last\s+|past\s+)?"
                             r"\d+\s+(?:hours?|days?|weeks?|months?|years?)(?:\s+(?:prior to|before|of)\s+[\w ]+)?", re.I)

# "... as demonstrated by the following <= 14 days prior to starting study drug:": a bound written as a comparator, read
# as "within 14 days prior to ..." (e2e review s13: labs 36 days old had decided); "prior to"/"before" must follow, so
# "< 18 months of age:" is no window
_HEADING_BOUND = re.compile(r"(?:≤|=<|<=|<|\bno more than|\bnot more than|\bless than)\s*(\d+)\s+(hours?|days?|weeks?|months?)"
                            r"(\s+(?:prior to|before)\b[\w ]*)", re.I)


def heading_window(text: str) -> str:
    """The time frame a heading gives its items, written as "within N <unit> ..." ("" when it gives none)."""
    if (m := _HEADING_WINDOW.search(text)) is not None:
        return m.group(0)
    if (m := _HEADING_BOUND.search(text)) is not None:
        return f"within {m.group(1)} {m.group(2)}{m.group(3)}".rstrip()
    return ""


#: quantities measured at a visit: a heading's window ("... within 28 days prior to the baseline visit:") is how recent
#: their value must be; age and height are not measured in a window (age at screening; height never goes stale)
_WINDOWED_BODY = frozenset({"bmi", "body_weight"})
_TIMELESS = frozenset({"age", "height"})


def _window_of(text: str) -> ir.Window | None:
    """The look-back a heading's window text names ("within 28 days prior to the baseline visit": 28 days)."""
    toks = tokenize(text)[0]
    number = next((t.value for t in toks if t.type == "NUMBER"), None)
    unit = next((t.value for t in toks if t.type == "TIMEUNIT"), None)
    if not toks or toks[0].type != "WINDOW" or number is None or unit not in ir.WINDOW_UNITS or number <= 0:
        return None
    return ir.Window(float(number), str(unit))


def without_heading_window(rule: ir.Node, window: str) -> ir.Node | None:
    """An item under a windowed heading that compiles only without the window ("Age between 18 to 50 years, inclusive",
    "BMI of 16 to 35 kg/m2, inclusive" under "... within 28 days prior to the baseline visit:"): its rule with the window
    handed down where it means something, or None when the rule holds anything else. Age, sex and height are not
    measured in a window; a nadir or peak is the extreme ever (the window says when the screening labs were taken); a
    weight or BMI takes the window as how recent its value must be."""
    look_back = _window_of(window)

    def hand_down(n: ir.Node) -> ir.Node | None:
        if isinstance(n, ir.Sex):
            return n
        if isinstance(n, ir.Measure) and not n.period and n.window is None:
            if n.quantity in _TIMELESS or n.extreme is not None:
                return n
            if n.quantity in _WINDOWED_BODY and look_back is not None:
                return replace(n, window=look_back)
            return None
        if isinstance(n, (ir.All, ir.AnyOf)):
            items = [hand_down(x) for x in n.items]
            return None if any(x is None for x in items) else replace(n, items=tuple(items))  # type: ignore[arg-type]
        if isinstance(n, ir.Not):
            item = hand_down(n.item)
            return None if item is None else replace(n, item=item)
        return None
    return hand_down(rule)


@dataclass(frozen=True, slots=True)
class HeadingContext:
    """What a heading says about the items under it."""

    kind: str | None = None  # "Excluded:" under the inclusion criteria makes its items exclusions
    about_other: str = ""  # items under "Donors:" are about another person: a reason to review them
    start: str = "start"  # grammar start symbol: dose caps under "maximum doses allowed", ages under "Age:"
    window: str = ""  # "Excluded within 30 days prior to study entry:" gives each item that window
    permissive: bool = False  # items under "Allowed:" permit, they do not require
    limited: bool = False  # "Allowed for no more than 12 weeks:": each permission has a limit a person checks
    prior: bool = False  # under a "Prior Medication:" section a bare "Chemotherapy." means ever, not now
    subject: str = ""  # "Life expectancy:" names what "More than 2 months" below it is about
    qualifier: str = ""  # "Clinically significant cardiac disease:" qualifies each fact below it (ir.Judged)
    negating: bool = False  # "No ...:" made its items exclusions: an item that is itself negated is ambiguous
    # under a negated or excluding statement that lists nothing ("Not pregnant or nursing" over "Negative
    # pregnancy test"): a sub-item may be one more demand or one more thing excluded (see _under_statement)
    under_statement: str = ""
    own: frozenset[str] = frozenset()  # the trial's own conditions, most specific: what "no other X" is other than
    own_all: bool = False  # every one of the trial's conditions is known: "Stage IV disease" may name them
    # the old NCI label this heading is ("Chemotherapy:"), when it names one therapy kind: a statement right under it
    # may leave its object to it ("No prior therapy"; compile._under_label). Never inherited by deeper items
    label: str = ""
    # "Women who are", "Female participants who:": the group a short heading names; the items under it hold of the group
    # only (reproductive_groups._contraception_group says who is outside it)
    group: str = ""
    # under "Prior Medication:", an "Excluded:" list with no window after one with a window ("Excluded within 6 weeks
    # prior to study entry:" then "EXCLUDED IN ALL PATIENTS:"): read as ever, the dated list would say nothing, so an
    # item with no time of its own says neither ever nor when (concurrent use?): the reason it goes to a person
    undated: str = ""
    # "Adequate organ function as defined below:": an item asking a liver or kidney value to be above a limit lost or
    # reversed its comparator (_reversed_ceiling)
    adequate: bool = False
    # "History of any of the following:", "Patients with a history of meeting DSM-IV criteria for any:": an item under
    # it with no time of its own ("Panic disorder") is a history too, not a condition now (precision review s11)
    history: bool = False
    # "Excluded:", "The use of the following medications is prohibited:": each member of a plain list of drugs or
    # illnesses below it is excluded on its own ("Rifabutin and rifampin.": either; compile.excluded_lists)
    excluded: bool = False
    # "Laboratory tests (unless impairment due to organ involvement by tumor):": an exemption of every item below that
    # a person weighs (e2e review s13: an ANC of 800 had made the patient ineligible); the exemption's words
    exempted: str = ""


# an exemption in brackets inside a heading: "(unless ...)", "(except when ...)", "(excluding ...)"
_BRACKETED_EXEMPTION = re.compile(r"\((?:unless|except(?:\s+(?:for|when|if|in))?|excluding)\b[^()]*\)", re.I)


def _waives(exemption: str) -> bool:
    """"(unless otherwise noted)", "(except upon Sponsor approval)": a leave or a pointer, no exemption to weigh."""
    return bool(set(re.findall(r"[a-z]+", exemption.lower())) & set(phrase_data()["headings"]["waivers"]))


def _heading_context(text: str, outer: HeadingContext, section: str | None = None) -> HeadingContext:
    """What a heading makes of the items under it; ``section``: the kind of the section it stands in, when known."""
    words = _heading_words()
    start = "dose_cap" if words["dose_caps"].search(text) else "age_item" if _AGE_HEADING.match(text) else "start"
    excluded = words["excluded"].search(text)
    window = heading_window(text)
    toks = [t for t in tokenize(text)[0] if t.type != "COLON"]
    subject = text.rstrip(" :") if len(toks) == 1 and toks[0].type in ("QUANTITY", "QTEST") else \
        _heading_subjects().get(re.sub(r"\s+", " ", text.strip(" :").lower()), "")
    kind = "exclusion" if excluded else outer.kind
    other = words["other_person"].search(text)
    about_other = f"about the {other.group(0).lower()}, not the patient" if other else outer.about_other
    if words["consult"].search(text) and not about_other:  # "Consult with the monitor for the following:"
        about_other = "to discuss with the study team under its heading, not a criterion of its own"
    if words["conditional"].search(text) and not about_other:
        about_other = "says when the heading's demand applies, not a criterion of its own"
    if words["definition"].search(text) and not about_other:  # "Non-measurable lesions include:"
        about_other = "part of a definition under its heading, not a criterion of its own"
    if words["counted"].search(text) and re.search(r"\b(?:following|below)\b", text, re.I) and not about_other:
        about_other = "counted under its heading ('no more than N of the following'): a person counts"
    if _AGE_BAND.match(text) and not about_other:  # "Under 65 years:", "Age 65-70 years:": demands of that age group
        about_other = "for one age group only: does the patient's age put them in it?"
    cohort = words["cohort"].search(text)
    if cohort and not about_other:  # "Cohort 1 only:", "Part B:": the items hold for some patients only
        part = cohort.group(0).lower().strip()
        about_other = (f"for the {part} only" if re.search(r"study|procedure", part) else
                       f"for those having one procedure of the study only ('{part}')"
                       if re.search(r"undergoing|entering|^for\b", part) else
                       f"for one {part} of the study only") + ": which applies to the patient?"
    if not about_other and (group := _patient_group(text, outer.kind or section)):
        about_other = f"for one group of patients only ('{group}'): is the patient one of them?"
    if words["required"].search(text) and not excluded:  # "Required:" among the exclusions lists demands
        kind = "inclusion"
    judged = words["judgement"].search(text)
    # "No uncontrolled illness, including:" qualifies each item: the machine checks the fact, a person the words
    qualifier = judged.group(0).lower() if judged and not about_other else outer.qualifier
    negating = outer.negating
    if words["negating"].match(text) and not excluded:
        # "No other uncontrolled illness, including:" - each item below is something the patient must not have
        if (outer.kind or "inclusion") == "inclusion":
            kind, negating = "exclusion", True
        else:
            about_other = about_other or "under a heading that negates it"
    allows = bool(words["allowed"].search(text)) and not excluded and start == "start" or _excepting(text)
    section = _SECTION.match(text)  # "Prior Medication:" with its lists nested under it
    label = _therapy_label(text)
    return HeadingContext(label=label, kind=kind, start=start, window=window or outer.window,
                    permissive=allows or outer.permissive and not excluded,
                    limited=allows and statements.restricts(text) or outer.limited and not excluded, subject=subject,
                    about_other=about_other, qualifier=qualifier, negating=negating, own=outer.own,
                    own_all=outer.own_all, prior=bool(section["prior"]) if section else outer.prior,
                    group=text if len(text.split()) <= 6 and _contraception_group(text) is not None else outer.group,
                    undated=outer.undated if not window else "",
                    adequate=outer.adequate or bool(words["adequate_function"].search(text)) and not excluded,
                    history=outer.history or _HISTORY_HEADING.search(text) is not None,
                    excluded=kind == "exclusion" and not allows and (bool(excluded) or outer.excluded),
                    exempted=m.group(0) if (m := _BRACKETED_EXEMPTION.search(text)) and not _waives(m.group(0))
                    else outer.exempted)


# "History of any of the following:", "a history of meeting DSM-IV criteria for any:" (not a family history, which is
# about relatives: other_person); "History or evidence of any of the following:" too, whose items are ever as well
_HISTORY_HEADING = re.compile(r"(?<!family )\bhistory(?:\s*,?\s*(?:and/or|or|and)\s+(?:current\s+)?(?:evidence|presence|diagnosis))?\s+of\b", re.I)


# a heading that names one group of patients: a short noun phrase on a patient noun, with words before it ("NRTI
# experienced patients:") or a "with"/"who" phrase after it ("Patients with CNS metastases:"), ending in its colon;
# not one that goes on into its items ("Patients with the following are excluded:": phrases.toml [headings]
# not_a_patient_group; "Patients on:", "... due to:": _LEADS_ON), nor every patient ("All subjects:"), nor a sex or
# childbearing group (HeadingContext.group)
_LEADS_ON = re.compile(r"\b(?:to|of|with|on|by|for|from|receiving|following|who\s+are|who\s+have)\s*:\s*$", re.I)


@lru_cache(maxsize=1)
def _patient_group_pattern() -> re.Pattern[str]:
    nouns = "|".join(re.escape(n) for n in phrase_data()["headings"]["patient_group_nouns"])
    return re.compile(rf"^\W*(?:for\s+)?(?P<pre>(?:[\w\-/']+\s+){{1,4}})?(?:{nouns})"
                      rf"(?P<post>\s+(?:with|who\s+have|who\s+are|who\s+had|on|receiving)\s+[^:]{{3,60}})?\s*(?:only\s*)?:\s*$",
                      re.I)


def _patient_group(text: str, kind: str | None) -> str:
    """The group a heading names ("NRTI experienced patients:", "For patients with chronic heart failure:"), or "".
    Among the exclusions "Patients with pre-existing cardiac conditions:" introduces the conditions excluded (the items
    are kinds of it), so a "with" phrase names a group there only after "for"."""
    m = _patient_group_pattern().match(text)
    if not m or not (m["pre"] or m["post"]) or _heading_words()["not_a_patient_group"].search(text) \
            or _LEADS_ON.search(text) or _contraception_group(text) is not None:
        return ""
    if not m["pre"] and kind != "inclusion" and not re.match(r"\W*for\b", text, re.I):
        return ""
    return text.strip().rstrip(":").strip()


def _therapy_label(text: str) -> str:
    """"Chemotherapy:" -> "Chemotherapy": a heading that is nothing but an old NCI label naming one therapy kind (a bare
    "Chemotherapy" is one only as a heading of sub-items: screening/segment.py nests the list after it)."""
    m = re.fullmatch(r"\W*([A-Za-z][A-Za-z ]{2,30}?)\s*:?\s*", text)
    return " ".join(m.group(1).split()) if m and label_therapy(m.group(1)) else ""


# the words that join a diagnosis to its count: "malignant glioma of one of the following types", "AML with 1 of"
_GENUS_JOIN = re.compile(r"(?:[\s,]+(?:of|with|meeting|as|in|from|and|having|has|have))+\s*$", re.I)


def restates_genus(own: str, members: tuple[ir.Node, ...]) -> bool:
    """"Histologically proven malignant glioma of one of the following types:" over "Glioblastoma", "Anaplastic
    astrocytoma": the words before the count name a diagnosis that each item is a narrower kind of, so they demand
    nothing the items do not. A qualifier the items may lack ("recurrent", "active", an exception) is not plain."""
    genus = compile_text(_GENUS_JOIN.sub("", own), "inclusion")
    if not isinstance(genus, ir.Condition) or genus.exceptions or genus.active or genus.diagnosed or genus.lasting \
            or not members:
        return False

    def kind_of(rule: ir.Node) -> bool:
        rule = rule.item if isinstance(rule, ir.Judged) else rule
        return isinstance(rule, ir.Condition) and rule.concept != genus.concept and genus.concept in ancestors(rule.concept)
    return all(kind_of(member) for member in members)
