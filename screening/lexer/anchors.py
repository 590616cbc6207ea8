"""Anchors and windows of the criteria lexer: the event a time frame is counted from ("prior to randomization",
"of study entry", "at screening", "Day 1"), and the words around it that only restate it (split from
matching.py by topic; the matching of phrases stays there).
"""
from __future__ import annotations

from lark import Token

from .lexicon import Lexicon
from .matching import _match, _tail
from .tokens import Raw


def _anchor(raws: list[Raw], i: int, lx: Lexicon, toks: list[Token]) -> int:
    end = _anchor_end(raws, i, lx)
    if end == i:
        return i
    if end < len(raws) and raws[end].text == "of":  # "the first dose of ibrutinib": the study's drug
        hit = _match(raws, end + 1, lx)
        if hit and hit[1][0] == "DRUG":
            end = hit[0]
        elif hit is None and raws[end - 1].text == "dose" and end + 1 < len(raws) and raws[end + 1].kind == "word" \
                and (end + 2 == len(raws) or raws[end + 2].kind == "punct"):
            end += 2  # "the first dose of ensartinib": a study drug no vocabulary names yet is still its own
    end = _other_anchor(raws, _anchor_restated(raws, end, lx), lx)
    toks.append(Token("ANCHOR", " ".join(r.text for r in raws[i:end]), start_pos=raws[i].start,
                      end_pos=raws[end - 1].end))
    return _tail(raws, end, lx.anchor_tails, toks)


def _anchor_end(raws: list[Raw], i: int, lx: Lexicon) -> int:
    """The index after the longest anchor phrase (phrases.toml [anchors], perhaps after "the") or study day before the
    first dose at ``raws[i]``, whichever is longer; ``i`` when none."""
    return max(_anchor_phrase_end(raws, i, lx), _study_day(raws, i), i)


def _anchor_phrase_end(raws: list[Raw], i: int, lx: Lexicon) -> int:
    """The index after the longest anchor phrase at ``raws[i]``, perhaps after "the"; ``i`` when none."""
    for size in range(min(8, len(raws) - i), 0, -1):
        words = tuple(r.text for r in raws[i:i + size])
        if words in lx.anchors or (words[0] == "the" and words[1:] in lx.anchors):
            return i + size
    return i


def _study_day(raws: list[Raw], i: int) -> int:
    """"Day -2", "Day -14", "study day -1": a day before the first dose (Day 1), in the study's start as Day 1 and Day 0
    are (phrases.toml [anchors]): the screening date. The index after it, or 0. Later days ("Day 28") are not."""
    if i < len(raws) and raws[i].text == "study":
        i += 1
    if i + 2 < len(raws) and raws[i].text == "day" and raws[i + 1].text == "-" and raws[i + 2].kind == "num" \
            and raws[i + 2].start == raws[i + 1].end and raws[i + 2].text.isdigit():
        return i + 3
    return 0


def _anchor_restated(raws: list[Raw], end: int, lx: Lexicon) -> int:
    """"at randomization (Day -1)", "within 12 months prior to Screening [Visit 1]": another name of the same start in
    brackets; the index after the closing bracket, or ``end`` when none follows the anchor."""
    if end + 2 < len(raws) and raws[end].text in ("(", "["):
        k = _anchor_end(raws, end + 1, lx)
        if k == end + 1 and raws[k].text == "visit" and raws[k + 1].kind == "num":
            k += 2  # "randomization (Visit 3)": the number the protocol gives the visit the anchor names
        if k > end + 1 and k < len(raws) and raws[k].text in (")", "]"):
            return k + 1
    return end


def _other_anchor(raws: list[Raw], end: int, lx: Lexicon) -> int:
    """"within 4 weeks prior to screening or randomisation": a second anchor joined to the first is the screening date
    as well; the index after it. Only one that ends the sentence or a clause ("or treatment with X" is not an anchor)."""
    if end + 1 < len(raws) and raws[end].text in ("or", "and", "and/or"):
        second = _anchor_end(raws, end + 1, lx)
        if second > end + 1:
            stop = _anchor_restated(raws, second, lx)
            if stop == len(raws) or raws[stop].text in (".", ",", ";", ")"):
                return stop
    return end


def _plan_before_window(raws: list[Raw], i: int, lx: Lexicon) -> int:
    """"Radiotherapy during the study or within 3 weeks prior to the first dose of study drug": the study lies after the
    screening date, beyond what a record at screening can show, as "or during the study" after an anchor (_tail). The
    index after "during the study or" when a window follows that counts back from an anchor; ``i`` otherwise."""
    for size in range(min(7, len(raws) - i), 2, -1):
        if tuple(r.text for r in raws[i:i + size]) in lx.plan_leads:
            break
    else:
        return i
    j = i + size
    hit = _match(raws, j, lx)
    if hit is None or hit[1][0] != "WINDOW" or hit[0] + 2 >= len(raws):
        return i
    k = hit[0]
    if not (raws[k].kind == "num" or raws[k].text in lx.numbers) or raws[k + 1].text not in lx.time_units:
        return i
    k += 2
    prior = _match(raws, k, lx)
    k = prior[0] if prior and prior[1][0] == "PRIOR" else k + 1 if raws[k].text in ("of", "from", "preceding") else -1
    return j if k > 0 and _anchor(raws, k, lx, []) > k else i


def _at_anchor(raws: list[Raw], i: int, lx: Lexicon) -> int:
    """"on the day of consenting to the study", "at the time of visit for screening": the screening date (every anchor
    is), which a rule reads as now; the index after the anchor, or ``i`` when no anchor follows the lead."""
    for size in range(min(5, len(raws) - i), 1, -1):
        if tuple(r.text for r in raws[i:i + size]) in lx.at_anchor:
            end = _anchor(raws, i + size, lx, [])
            return end if end > i + size else i
    return _at_anchor_clause(raws, i, lx)


#: "on treatment", "on study drug": being on a treatment, not a date
_ON_TREATMENT = frozenset({("treatment",), ("study",), ("study", "drug"), ("study", "medication"), ("study", "treatment"),
                           ("protocol", "treatment"), ("protocol", "therapy"), ("trial", "medication"), ("this", "study"),
                           ("this", "trial"), ("study", "participation"), ("dosing",)})


def _at_anchor_clause(raws: list[Raw], i: int, lx: Lexicon) -> int:
    """"at Screening or Day -2", "at randomization (Day -1)", "at screening or baseline.": a lone "at" or "on" before
    anchors that end the sentence or a clause is the screening date, as "at screening" (phrases.toml [fillers]); the
    index after them, or ``i``. Not before a word the anchor qualifies ("on baseline EKG")."""
    if raws[i].text not in ("at", "on") or i + 1 >= len(raws):
        return i
    end = _anchor(raws, i + 1, lx, [])
    first = i + 2 if raws[i + 1].text == "the" else i + 1
    words = tuple(r.text for r in raws[first:_anchor_end(raws, first, lx)])
    if end <= i + 1 or words in _ON_TREATMENT or not (end == len(raws) or raws[end].text in (".", ",", ";", ")")):
        return i
    return end


def _period_window(raws: list[Raw], i: int, lx: Lexicon) -> int:
    """"in the 2-month period prior to screening", "during the 30 day period prior to study entry", "in the week prior to
    screening": a window (``i`` a lead, "the" or "a", a number, a time unit, "period"; or "the" and one time unit) that
    counts back from an anchor; the index of the number (or of the lone unit), or ``i`` when this is not one (a period with no anchor, "in a 30-day period", is a rate or a span: left to review)."""
    if raws[i].text not in ("in", "during", "within", "over"):
        return i
    j = i + 1 + (i + 1 < len(raws) and raws[i + 1].text in ("the", "a"))
    if j + 2 < len(raws) and raws[j - 1].text == "the" and raws[j].text in ("week", "month", "year", "day") \
            and raws[j + 1].text != "period":
        k = j + 1  # "in the week prior to screening": within the one unit before it (as "within the past month")
    elif j + 3 >= len(raws) or not (raws[j].kind == "num" or raws[j].text in lx.numbers) \
            or raws[j + 1].text not in lx.time_units or raws[j + 2].text != "period":
        return i
    else:
        k = j + 3
    prior = _match(raws, k, lx)
    k = prior[0] if prior and prior[1][0] == "PRIOR" else k + 1 if raws[k].text in ("of", "before") else -1
    return j if k > 0 and _anchor(raws, k, lx, []) > k else i
