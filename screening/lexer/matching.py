"""Reading phrases at a position: longest match with coordinated heads and modifiers ("hepatitis B or C"),
numbers with their units, windows and anchors, and the words an attestation may take.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, NamedTuple

from lark import Token

from .. import units, vocab
from ..errors import ScreeningError
from .lexicon import Lexicon, _route_text, lexicon, phrase_data
from .tokens import Raw, _tok


_GENOTYPE_JOINS = frozenset({"or", ",", "and", "/", "-", "to"})


def _genotypes(raws: list[Raw], i: int, toks: list[Token]) -> int | None:
    """"HCV genotype 1 or 4", "hepatitis C, genotype 1", "hepatitis C virus (HCV) genotype 1a infection": after a
    hepatitis C condition, its genotypes are a qualifier a person weighs (ir.Judged: no hepatitis C, not met; with
    it, review): the lexer puts a JUDGED token before the condition. Records seldom state a genotype, and a
    genotype is no kind of chronic or acute hepatitis C. Returns the index after them, or None."""
    kinds = [t.type for t in toks[-4:]]
    at = -4 if kinds == ["CONDITION", "LPAR", "CONDITION", "RPAR"] \
        and str(toks[-2].value) in vocab.ancestors(str(toks[-4].value)) \
        else -2 if kinds[-2:] == ["CONDITION", "COMMA"] else -1
    if len(toks) < -at or toks[at].type != "CONDITION" or "hepatitis_c" not in vocab.ancestors(str(toks[at].value)):
        return None
    words, j, n = ["genotype"], i + 1, len(raws)
    while j < n and raws[j].kind == "num" and raws[j].text.isdigit():
        words.append(raws[j].text)
        j += 1
        if j < n and raws[j].start == raws[j - 1].end and re.fullmatch("[a-e]", raws[j].text):  # "1a", "1b"
            words[-1] += raws[j].text
            j += 1
        if j + 1 < n and raws[j].text in _GENOTYPE_JOINS and raws[j + 1].kind == "num":
            words.append(raws[j].text)
            j += 1
        elif j + 2 < n and raws[j].text == "," and raws[j + 1].text in ("or", "and") and raws[j + 2].kind == "num":
            words.extend((raws[j].text, raws[j + 1].text))
            j += 2
    if len(words) < 2 or raws[j - 1].kind not in ("num", "word") or (j < n and raws[j].start == raws[j - 1].end
                                                                      and raws[j].kind in ("word", "num")):
        return None
    end = raws[j - 1].end
    if j < n and raws[j].text in ("infection", "infections"):
        end, j = raws[j].end, j + 1
    head = toks[at]
    del toks[at:]
    qualifier = " ".join(words).replace(" ,", ",").replace(" - ", "-").replace(" / ", "/")
    toks.append(Token("JUDGED", qualifier, start_pos=head.start_pos, end_pos=head.start_pos))  # read before it
    toks.append(type(head)("CONDITION", head.value, start_pos=head.start_pos, end_pos=end))
    return j


class AttestedWords(NamedTuple):
    """What may follow an attestation phrase of one topic (screening.statements.attested_words)."""

    words: frozenset[str]
    numbers: bool  # "for 3 months after the last dose"
    names: bool  # drug and procedure names: "comply with the IL-2 treatment regimen"


NOTHING_ATTESTED = AttestedWords(frozenset(), False, False)


@lru_cache(maxsize=None)
def _attested(topic: str) -> AttestedWords:
    from ..statements import attested_words  # statements reads criteria with this lexer
    return attested_words(topic)


def _says_what_is_attested(r: Raw, attested: AttestedWords) -> bool:
    """A raw token after an attestation phrase that only says what is attested to (screening.statements lists)."""
    if r.kind == "word":
        return all(w in attested.words for w in r.text.split("'") if w)
    return r.kind == "punct" or (attested.numbers and r.kind == "num")


def _half_lives_at(raws: list[Raw], i: int, lx: Lexicon) -> int:
    """End of "or [within] <number> <half-lives noun> [<owner>]" at ``raws[i]`` (0: none there)."""
    j = i + 1 + (i + 1 < len(raws) and raws[i + 1].text == "within")
    if j >= len(raws) or not (raws[j].kind == "num" or raws[j].text in lx.numbers):
        return 0
    j += 1
    for size in range(min(8, len(raws) - j), 0, -1):
        if tuple(r.text for r in raws[j:j + size]) in lx.half_lives:
            return j + size
    return 0


@lru_cache(maxsize=1)
def _drug_nouns() -> frozenset[str]:
    return frozenset(phrase_data()["setting"]["drug_nouns"])


@lru_cache(maxsize=1)
def _drug_properties() -> frozenset[tuple[str, ...]]:
    return frozenset(tuple(p.split()) for p in phrase_data()["setting"]["drug_properties"])


def _drug_allergy_end(raws: list[Raw], i: int, choice: list[int]) -> int:
    """"drug allergy", "medication hypersensitivity": an allergy to some drug (phrases.toml [allergy] any_drug_leads and
    tails). Returns the end of the tail, or 0. Only when no phrase of the lexicon starts at the lead."""
    allergy = phrase_data()["allergy"]
    if choice[i] or i + 1 >= len(raws) or raws[i].text not in allergy["any_drug_leads"]:
        return 0
    return i + 2 if raws[i + 1].text in allergy["tails"] else 0


def _drug_property_end(raws: list[Raw], i: int, choice: list[int]) -> int:
    """"nephrotoxic drugs", "psychotropic medications", "prohibited concomitant medications": a property of a drug
    (phrases.toml [setting] drug_properties) right before a drug noun (an optional "concomitant" between). Returns the
    end of the noun, or 0. Only when no phrase of the lexicon reaches past the property ("hormonal therapy" is a drug)."""
    for size in (3, 2, 1):
        j = i + size
        if j < len(raws) and choice[i] <= size and tuple(r.text for r in raws[i:j]) in _drug_properties():
            if raws[j].text in ("concomitant", "concurrent") and j + 1 < len(raws):
                j += 1
            return j + 1 if raws[j].text in _drug_nouns() else 0
    return 0


def _treatment_before(toks: list[Token]) -> bool:
    """A drug or procedure just before, perhaps with an opening parenthesis: "antibiotics (for ...)"."""
    if toks and toks[-1].type == "LPAR":
        toks = toks[:-1]
    return bool(toks) and (toks[-1].type in ("DRUG", "PROCEDURE") or
                           toks[-1].type == "QUANTITY" and toks[-1].value in phrase_data()["therapy_counts"]["quantities"])


def _drug_before(toks: list[Token]) -> bool:
    """A drug just before, perhaps with its abbreviation in parentheses: "zidovudine (AZT)"."""
    types = [t.type for t in toks[-4:]]
    return types[-1:] == ["DRUG"] or types == ["DRUG", "LPAR", "DRUG", "RPAR"]


def _condition_lasting(toks: list[Token], raws: list[Raw], j: int, choice: list[int], lx: Lexicon) -> bool:
    """"for" between a condition (perhaps with its abbreviation in parentheses) and a comparison of time: "type 2
    diabetes for at least 90 days", "rheumatoid arthritis (RA) for >= 3 months" (how long it has lasted)."""
    types = [t.type for t in toks[-4:]]
    if types[-2:] == ["LPAR", "RPAR"]:  # "type 2 diabetes (diagnosed clinically) for ...": only filler words inside
        types = [t.type for t in toks[-6:-2]]
    if not (types[-1:] in (["CONDITION"], ["CGROUP"]) or types == ["CONDITION", "LPAR", "CONDITION", "RPAR"]):
        return False
    k = j + 1 if j < len(raws) and raws[j].kind == "cmp" else j + choice[j] if j < len(raws) and choice[j] and \
        lx.phrases[tuple(x.text for x in raws[j:j + choice[j]])][0] == "CMP" else None
    return k is not None and k + 1 < len(raws) and raws[k].kind == "num" and \
        raws[k + 1].text in ("day", "days", "week", "weeks", "month", "months", "year", "years", "yrs", "yr", "wk", "wks")


def _before_drug(raws: list[Raw], j: int, choice: list[int], lx: Lexicon) -> bool:
    """A drug follows, perhaps after other routes ("IV or oral antibiotics", "IV bolus of steroids")."""
    while j < len(raws):
        if raws[j].kind == "punct" and raws[j].text in ("/", ","):
            j += 1
            continue
        if not choice[j]:
            return raws[j].text in _route_text()["before_drug_only"]
        kind = lx.phrases[tuple(x.text for x in raws[j:j + choice[j]])][0]
        if kind == "DRUG":
            return True
        if kind not in ("FILLER", "ROUTE", "OR", "SYSTEMIC"):
            return False
        j += choice[j]
    return False


def _this_trial_other(raws: list[Raw], j: int, choice: list[int], lx: Lexicon) -> bool:
    """"other" before investigational agents or studies ("other prior investigational drugs") means other than this
    trial's, of which a patient at screening has had none: the word adds nothing (phrases.toml [other_than_trial])."""
    while j < len(raws) and choice[j]:
        kind, value = lx.phrases[tuple(x.text for x in raws[j:j + choice[j]])]
        if kind not in ("FILLER", "PRIOR", "HISTORY", "USE"):
            return kind == "STUDY" or (kind == "DRUG" and value in phrase_data()["other_than_trial"]["drugs"])
        j += choice[j]
    return False


def _next_kind(raws: list[Raw], j: int, choice: list[int], lx: Lexicon) -> str | None:
    """The kind of the next phrase from raw token ``j`` on that is not a filler word."""
    while j < len(raws) and choice[j]:
        kind = lx.phrases[tuple(x.text for x in raws[j:j + choice[j]])][0]
        if kind != "FILLER":
            return kind
        j += choice[j]
    return None


def _segment(raws: list[Raw], lx: Lexicon) -> list[int]:
    """Phrase boundaries that leave the fewest unknown words, then the fewest phrases.

    Greedy longest match would read "except in situ carcinoma" as EXCEPT("except in") + "situ"...;
    this picks EXCEPT("except") + CONDITION("in situ carcinoma ..."). Returns, per raw token, the
    length of the phrase starting there (0: none).
    """
    n = len(raws)
    cost = [0.0] * (n + 1)
    choice = [0] * (n + 1)
    for i in range(n - 1, -1, -1):
        if raws[i].kind != "word":
            cost[i] = cost[i + 1]
            continue
        best, take = (0.0 if raws[i].text in lx.numbers else 1.0) + cost[i + 1], 0
        words: list[str] = []
        for j in range(i, min(n, i + lx.longest)):
            words.append(raws[j].text)
            if tuple(words) in lx.phrases and 0.01 + cost[j + 1] <= best:
                best, take = 0.01 + cost[j + 1], j - i + 1
        cost[i], choice[i] = best, take
    return choice


_LEAD_KINDS = frozenset({"NORMAL", "ABNORMAL"})


def _groups_after_leads(raws: list[Raw], choice: list[int], lx: Lexicon) -> list[int]:
    """"Abnormal liver function tests", "normal liver function tests": the lead word and the group of measurements
    after it ("abnormal" + "liver function tests"), not the longer condition or filler phrase the lead opens
    ("abnormal liver function" + "tests") that ``_segment`` picks on a tie. Only where the group ends on a boundary
    of the first reading, so the phrases after it stay as they were. Returns ``choice``, changed in place."""
    n = len(raws)
    for i in range(n - 1):
        k = choice[i]
        if k < 2 or lx.phrases.get((raws[i].text,), ("",))[0] not in _LEAD_KINDS \
                or lx.phrases[tuple(r.text for r in raws[i:i + k])][0] not in ("CONDITION", "FILLER"):
            continue
        bounds, b = set(), i + k
        while b < n and len(bounds) < lx.longest:
            bounds.add(b)
            b += choice[b] or 1
        bounds.add(b)
        for m in range(min(n, i + 1 + lx.longest), i + k, -1):
            hit = lx.phrases.get(tuple(r.text for r in raws[i + 1:m]))
            if hit is not None and hit[0] == "QGROUP" and m in bounds:
                choice[i], choice[i + 1] = 1, m - i - 1
                break
    return choice


_LIST_SEPS = (("and", "/", "or"), (",", "and", "/", "or"), (",", "or", "other"), ("or", "other"), (",", "or"),
              (",", "and"), ("and", "or"), ("or",), ("and",), ("nor",), ("/",), (",",))


def _coordinated_heads(raws: list[Raw], choice: list[int], lx: Lexicon) -> dict[int, tuple[int, str]]:
    """Modifiers sharing the head noun of the condition (or procedure) after them: in "chronic liver, kidney or heart
    dysfunction" "liver" and "kidney" name "liver dysfunction" and "kidney dysfunction". Returns, per raw
    token that starts such a modifier, where it ends and the condition (procedure) it names. Only words the segmentation
    leaves unknown are read so, and a list is read so only back to the first modifier whose phrase with the
    head is not a known condition. A list of two needs a conjunction or a slash ("liver or kidney failure");
    commas alone make a list from three members on ("hepatic, renal, pulmonary disease")."""
    covered: set[int] = set()
    i, n = 0, len(raws)
    while i < n:
        covered.update(range(i, i + choice[i]))
        i += choice[i] or 1
    out: dict[int, tuple[int, str]] = {}
    i = 0
    while i < n:
        size = choice[i]
        if not size:
            i += 1
            continue
        key = tuple(r.text for r in raws[i:i + size])
        if lx.phrases[key][0] in _SHARED_HEAD_KINDS:
            for h in range(1, size):
                found = _modifiers(raws, i, key[size - h:], covered, lx, lx.phrases[key][0])
                if found:
                    out.update(found)
                    break
        i += size
    return out


@lru_cache(maxsize=1)
def _dependence_heads() -> frozenset[str]:
    """Heads a drug's name may share with the condition after it (phrases.toml [dependence_heads])."""
    return frozenset(phrase_data()["dependence_heads"]["words"])


#: what a list of modifiers may share the head noun of: conditions ("liver or kidney failure") and procedures
#: ("hepatic or renal transplantation", "bone marrow or stem cell transplantation")
_SHARED_HEAD_KINDS = ("CONDITION", "PROCEDURE")


def _filler_modifier(raws: list[Raw], start: int, stop: int, lx: Lexicon) -> bool:
    """A word the lexer reads as filler alone may still share a head after it: "blood or blood product transfusion",
    "blood or platelet transfusions" ("blood" is filler in "blood glucose"): one word, just before the separator."""
    return start == stop - 1 and lx.phrases.get((raws[start].text,), ("",))[0] == "FILLER"


def _modifiers(raws: list[Raw], end: int, head: tuple[str, ...], covered: set[int],
               lx: Lexicon, kind: str = "CONDITION") -> dict[int, tuple[int, str]]:
    """The modifiers before raw token ``end`` that each make a known condition (procedure) with ``head``."""
    found: dict[int, tuple[int, str]] = {}
    commas = False
    while True:
        sep = next((s for s in _LIST_SEPS if tuple(r.text for r in raws[max(0, end - len(s)):end]) == s), None)
        if sep is None:
            break
        commas = commas or (not found and sep == (",",))
        stop = end - len(sep)
        hit = None
        for start in range(stop - 1, max(-1, stop - 4), -1):
            if raws[start].kind != "word" or start in covered and not (
                    start == stop - 1 and head[-1] in _dependence_heads() and lx.phrases.get((raws[start].text,), ("",))[0] == "DRUG"
                    or _filler_modifier(raws, start, stop, lx)):
                break  # a drug's name joins only a dependence head: "narcotic or alcohol addiction"
            hit = lx.phrases.get((*(r.text for r in raws[start:stop]), *head))
            if hit is not None and hit[0] == kind:
                break
        if hit is None or hit[0] != kind:
            break
        found[start] = (stop, hit[1])
        end = start
    return {} if commas and len(found) < 2 else found


def _match(raws: list[Raw], i: int, lx: Lexicon, exclude_single: bool = False) -> tuple[int, tuple[str, Any]] | None:
    words: list[str] = []
    best = None
    for j in range(i, min(len(raws), i + lx.longest)):
        words.append(raws[j].text)
        hit = lx.phrases.get(tuple(words))
        if hit is not None:
            best = (j + 1, hit)
    return best


def _tail(raws: list[Raw], i: int, tails: frozenset[tuple[str, ...]], toks: list[Token]) -> int:
    """Words at ``raws[i]`` that only restate the token before them ("screening or during the study"): folded into it."""
    for size in range(min(12, len(raws) - i), 0, -1):
        if tuple(r.text for r in raws[i:i + size]) in tails:
            last = toks[-1]
            toks[-1] = Token(last.type, last.value, start_pos=last.start_pos, end_pos=raws[i + size - 1].end)
            return i + size
    return i


_DECIMAL_PART = re.compile(r"\d{1,2}")


_THOUSANDS_GROUP = re.compile(r"\d{3}")


def _joined_number(raws: list[Raw], i: int) -> tuple[float, int] | None:
    """A threshold written the European way right after a comparator: a decimal comma ("<= 8,5 %", ">= 5,6 mmol/L":
    one or two digits on both sides, nothing between them) or thousands set apart by single spaces ("<= 100 000/uL",
    "> 1 500/mm3": groups of exactly three digits). The value and where it ends; None for anything else ("0, 1 or 2",
    "100,00/mm3" stay as they are)."""
    r = raws[i]
    if i + 2 < len(raws) and _DECIMAL_PART.fullmatch(r.text) and raws[i + 1].text == "," \
            and raws[i + 1].start == r.end and raws[i + 2].start == raws[i + 1].end and _DECIMAL_PART.fullmatch(raws[i + 2].text) \
            and not (i + 3 < len(raws) and raws[i + 3].text == "," and raws[i + 3].start == raws[i + 2].end):
        return float(f"{r.text}.{raws[i + 2].text}"), i + 3
    if not re.fullmatch(r"\d{1,3}", r.text):
        return None
    value, j = float(r.text), i + 1
    while j < len(raws) and raws[j].kind == "num" and raws[j].start == raws[j - 1].end + 1 \
            and _THOUSANDS_GROUP.fullmatch(raws[j].text):
        value, j = value * 1000 + float(raws[j].text), j + 1
    if j == i + 1 or j < len(raws) and raws[j].kind == "word" and _unit_at(" ".join(x.text for x in raws[j:j + 4]), 0,
                                                                          lexicon())[0] is None:
        return None  # "> 18 100 patients": a word that is no unit after it, two numbers
    return value, j


def _after_number(raws: list[Raw], i: int, text: str, toks: list[Token], lx: Lexicon) -> int:
    """What follows a number: 'N' (x ULN), a ULN phrase, a time unit, or a clinical unit."""
    prev_end = raws[i - 1].end
    if i < len(raws) and raws[i].text == "n" and raws[i].start == prev_end:
        toks.append(_tok("ULN", "ULN", raws[i]))
        return i + 1
    if i < len(raws) and raws[i].start == prev_end and raws[i].text.startswith("x") and (raws[i].text[1:],) in lx.uln:
        toks.append(_tok("ULN", "ULN", raws[i]))  # "2xULN"
        return i + 1
    for size in range(min(12, len(raws) - i), 0, -1):
        words = tuple(r.text for r in raws[i:i + size])
        if words in lx.uln and words != ("n",):
            toks.append(Token("ULN", "ULN", start_pos=raws[i].start, end_pos=raws[i + size - 1].end))
            return i + size
    if i < len(raws) and raws[i].text in lx.time_units:
        toks.append(_tok("TIMEUNIT", lx.time_units[raws[i].text], raws[i]))
        return i + 1
    unit, end = _unit_at(text, prev_end, lx)
    if unit is None:
        return i
    again = _RESTATED_UNIT.match(text, end)
    if again:  # "kilograms per square meter (kg/m2)": the same unit again in parentheses; "/microliters (uL)" names
        try:    # the volume a count is per
            if units.normalize_unit(again.group(1)) in (unit, unit.removeprefix("/")):
                end = again.end()
        except ScreeningError:
            pass
    toks.append(Token("UNIT", unit, start_pos=prev_end, end_pos=end))
    while i < len(raws) and raws[i].start < end:
        i += 1
    return i


_PIECE = re.compile(r"\S+")


_RESTATED_UNIT = re.compile(r"\s*[(\[]\s*([^()\[\]\s]+)\s*[)\]]")


def _unit_at(text: str, pos: int, lx: Lexicon) -> tuple[str | None, int]:
    """The longest clinical unit starting at ``pos`` (at most four space-separated pieces)."""
    pieces = []
    for m in _PIECE.finditer(text, pos):
        if len(pieces) == 4 or m.start() - (pieces[-1][1] if pieces else pos) > 2:
            break
        piece = m.group()
        dash = re.search(r"-(?=[\d.])", piece)  # "50%-100%": the unit ends at the range dash
        if dash:
            piece = piece[:dash.start()] + " "
        stripped = piece.rstrip(",;.)]: ")
        while stripped.count("(") > stripped.count(")") and stripped.endswith("("):
            stripped = stripped[:-1]
        if stripped.count("(") > stripped.count(")") and piece[len(stripped):].startswith(")"):
            stripped += ")"  # "/mm(3)": the parenthesis belongs to the unit
        pieces.append((stripped, m.start() + len(stripped)))
        if stripped != piece:
            break
    for k in range(len(pieces), 0, -1):
        cand = " ".join(p for p, _ in pieces[:k])
        if not cand or not all(_unitlike(p, lx) for p, _ in pieces[:k]):
            continue
        for variant in (cand.replace(" ", ""), cand):
            try:
                return units.normalize_unit(variant), pieces[k - 1][1]
            except ScreeningError:
                continue
    return None, pos


def _unitlike(piece: str, lx: Lexicon) -> bool:
    if piece in lx.unit_words or piece == "x":
        return True
    return bool(re.search(r"[/^*%\d]", piece)) and bool(re.fullmatch(r"[a-z0-9/^*%.()\-]+", piece))



#: what "N weeks after" may be counted from: a treatment or a condition the record dates (not the study, a visit or a
#: future step: "for at least 4 weeks after study", "28 days after the last dose" stay in review)
_SINCE_AFTER = frozenset({"DRUG", "PROCEDURE", "TREATFOR", "CONDITION", "CGROUP"})


def _since_after(toks: list[Token], raws: list[Raw], i: int, choice: list[int], lx: Lexicon) -> bool:
    """"greater than 12 weeks after treatment for acute rejection", "28 days or longer after any investigational agent":
    "after" as "since" (phrases.toml [since]: none in that window) when a bound period stands before it and a dated
    treatment or condition follows. "28 days or longer" becomes ">= 28 days" in ``toks``. True when "after" is SINCE."""
    if raws[i].text != "after" or _next_kind(raws, i + 1, choice, lx) not in _SINCE_AFTER:
        return False
    kinds = [t.type for t in toks[-5:]]
    if kinds[-3:] == ["CMP", "NUMBER", "TIMEUNIT"]:
        return True
    if kinds[-4:] == ["NUMBER", "TIMEUNIT", "OR", "WORD"] and str(toks[-1].value) in ("longer", "more") \
            and kinds[-5:-4] != ["CMP"]:
        number, unit = toks[-4], toks[-3]
        del toks[-4:]
        toks.extend([Token("CMP", ">=", start_pos=number.start_pos, end_pos=number.end_pos), number, unit])
        return True
    return False
