"""Whom a trial's items are for: sections and headings that split the criteria by group ("Inclusion criteria for
Cohorts B and C only:", "Patients" beside "Healthy Volunteers", "For Renally Impaired Subjects (Cohort 1)"), and the
heading word lists of data/phrases.toml that tell them (and the assembler) apart.
"""
from __future__ import annotations

import re
from functools import lru_cache

from .lexer import phrase_alternation, phrase_data
from .segment import section_groups
from .trial import SourceItem, Trial


@lru_cache(maxsize=1)
def heading_words() -> dict[str, re.Pattern[str]]:
    """The heading word lists of data/phrases.toml as patterns (negating ones anchor at the start)."""
    table = phrase_data()["headings"]

    def pattern(name: str, words: list[str]) -> str:
        if name == "excepting":  # at the end: "except:", "except adequately treated:"
            # ("except for nondisease-related conditions, e.g.:" too)
            # ("Prior malignancy, unless free of it for 5 years. Subjects may enter earlier if they have received
            # curative treatment for the following:": what follows "unless" and ends on the list names the exceptions)
            return (r"\b(?:" + phrase_alternation(words) + r")\b[\w\s,'/.-]{0,40}:\s*$"
                    r"|\bunless\b[^:]{0,200}\bthe\s+following\s*:\s*$")
        if name == "list_intro":  # at the very end, or a colon
            return r":\s*$|\b(?:" + phrase_alternation(words) + r")\W*$"
        if name == "examples":  # "Relapsed solid tumors, including:" (an inclusion heading whose items are examples)
            return r"\b(?:" + phrase_alternation(words) + r")\b[^:]*:\s*$"
        return (r"^\W*(?:" if name in ("negating", "required") else r"\b(?:") + phrase_alternation(words) + r")\b"
    return {name: re.compile(pattern(name, words), re.I) for name, words in table.items()}


# "All Subjects:" over items laid out flat among cohort headings: what follows holds for every cohort
_ALL_GROUPS = re.compile(r"^\W*(?:for\s+)?all\s+(?:subjects|participants|patients|volunteers|cohorts|groups)\b[^.]{0,30}:?\s*$",
                         re.I)


def population_cohorts(items: tuple[SourceItem, ...]) -> frozenset[str]:
    """Items of a section split by population, one part for healthy volunteers: the ids of the sibling headings
    over them ("Patients (with a PID)" / "Healthy Adult Volunteers", each with its items below it), or of every item
    of the section when the headings are laid out flat among the items (the items before "Healthy Adult Volunteers"
    are for the patients: which apply to the patient in hand a person says)."""
    cohort = heading_words()["population_cohort"]
    headings = [it for it in items if it.children and len(it.text.split()) <= 20]
    if len(headings) >= 2 and any(cohort.search(h.text) for h in headings):
        return frozenset(h.id for h in headings if not _ALL_GROUPS.match(h.text))
    split = {it.kind for n, it in enumerate(items) if not it.children and len(it.text.split()) <= 6
             and cohort.search(it.text) and any(before.kind == it.kind for before in items[:n])}
    out, shared = set(), False
    for it in items:
        if it.kind not in split:
            continue
        if _ALL_GROUPS.match(it.text):
            shared = True  # "All Subjects:": what follows holds for every cohort, up to the next heading
        elif it.text.rstrip().endswith(":") and len(it.text.split()) <= 12 or cohort.search(it.text) and len(
                it.text.split()) <= 6:
            shared = False
        if not shared:
            out.add(it.id)
    return frozenset(out)




#: a section header's qualifier that names no group: "Key Inclusion Criteria include:", "(most important)"
_NO_GROUP = re.compile(r"^(?:includes?(?: the following)?|are|is|most important|abbreviated|screening|in protocol|)$", re.I)
_EVERY_GROUP = re.compile(r"\b(?:all|both|every|each)\b", re.I)
_GROUP_ONLY = re.compile(r"\bonly\b|\bages?\s+\d", re.I)


def section_cohorts(trial: Trial) -> dict[str, str]:
    """Top-level item id -> why its section is for one group only. A section header names whom its items are for
    ("Inclusion criteria for Cohorts B and C only:", "Exclusion Criteria - Controls", "for Caregivers"); the segmenter
    keeps no item for it, so the items after its position are its. Such a section is for one group when the page names
    two groups or more, or has a section "for all ..." beside it, or the header says "only", a cohort or part, an age
    band or another person; a page whose one qualified header names everyone it screens ("for patients") is plain."""
    found = [(start, q) for start, q in section_groups(trial.criteria_text) if not _NO_GROUP.match(q)]
    if not found:
        return {}
    named = {re.sub(r"^for\s+", "", q.lower()) for _, q in found if not _EVERY_GROUP.search(q)}
    beside_all = len(named) >= 2 or any(_EVERY_GROUP.search(q) for _, q in found)
    words = heading_words()
    why: dict[int, str] = {}
    for start, q in found:
        if _EVERY_GROUP.search(q):
            continue
        other = words["other_person"].search(q)
        if other:
            why[start] = f"about the {other.group(0).lower()}, not the patient (section '{q}')"
        elif beside_all or _GROUP_ONLY.search(q) or words["cohort"].search(q):
            why[start] = f"for one group of the study only ('{q}'): which applies to the patient?"
    if not why:
        return {}
    starts = sorted(start for start, _ in section_groups(trial.criteria_text))  # every header ends the one before it
    out = {}
    for item in trial.items:
        header = max((s for s in starts if s < item.span.start), default=None)
        if header in why:
            out[item.id] = why[header]
    return out


def cohort_line(text: str) -> bool:
    """"For Renally Impaired Subjects (Cohort 1)" laid out as an item with no colon: a heading for one cohort."""
    return bool(re.match(r"^\W*for\b", text, re.I)) and bool(heading_words()["cohort"].search(text))
