""""Other" and "second" before a drug or condition: what they are other than decides the reading.

- "Dicumarol, warfarin, and other anticoagulants": a list closed by its class, every named member under it. The
  list is the class (the members are in it): the word is dropped.
- "Other active malignancy within 3 years", "History of other malignancy", "Second primary cancer other than
  Kaposi's sarcoma": at the head of the sentence, before a condition, the word says "other than the trial's own
  conditions" (``helpers._other_than``); the sentence is read without it and the transformer makes the trial's own
  conditions exceptions (or sends it to review when it cannot name them).
- "Other concurrent chemotherapy", "Concurrent treatment with any other anti-cancer therapy": a treatment now, other
  than the study's own, which has not begun at screening (as "no other concurrent chemotherapy"): the word is
  dropped (``other_now``) when every treatment the sentence compiles to is one now; a treatment the protocol names
  in another item ("must continue GnRH analogues") may be the one it is other than: ``trial_checks`` sends such a
  rule to review.
- "Other antiviral agents", "At least 4 weeks since other prior chemotherapy": other than the study's drug, or
  than drugs of items before: unknowable, the word stays and the item goes to review.
"""
from __future__ import annotations

import re

from lark import Token

from .. import ir, vocab
from ..lexer import phrase_data

#: the words: "other" (than the trial's own conditions), "second" (a second malignancy: one besides the trial's own),
#: "another" ("History of another malignancy within 2 years": one besides the trial's own, read as "other")
OTHER_WORDS = frozenset({"other", "second", "another"})
#: the words that close a list by its class ("warfarin and other anticoagulants", "steroids and another immunosuppressant")
_LIST_WORDS = frozenset({"other", "another"})

# what may stand before a leading "other": "History of other malignancy", "No active second primary malignancy",
# "Concurrent, active second malignancy", "History or having other ...", "No concurrent therapy for any other malignancy"
# (a judged "therapy for": its condition is the one the word is said of; not "radiotherapy for", whose condition is
# only words of a qualifier)
_HEAD_LEADS = frozenset({"NEG", "HISTORY", "PRIOR", "USE", "COMMA", "OR", "TREATFOR"})
# words between "other" and the condition: "other invasive malignancy", "second primary cancer"
_QUALIFIERS = frozenset({"JUDGED", "USE"})
_LIST_SEPS = frozenset({"COMMA", "AND", "OR"})
# after "no other": "no other prior malignancy", "no other history of malignancy"
_NEG_SKIP = _QUALIFIERS | {"HISTORY", "PRIOR", "OR"}


def other_words(toks: list[Token], kind: str) -> tuple[list[Token], str, bool]:
    """The tokens with each WORD "other"/"second" read where its shape says what it is other than; which word
    said "other than the trial's own conditions" ("" when none did); and whether every negation that says it
    ("no other") stands right before a condition ("no other invasive malignancy", not "no other drug therapy for
    the cancer"). A word read neither way stays a WORD. Among the inclusions a leading word is read after a negation
    only: "Other myelodysplastic syndromes" there is one of several diagnoses allowed, not a demand on its own."""
    out: list[Token] = []
    said, skip = "", -1
    for i, t in enumerate(toks):
        if i == skip:
            continue
        word = str(t.value).lower() if t.type == "WORD" else ""
        if word not in OTHER_WORDS:
            out.append(t)
            continue
        start = _list_start(toks, i) if word in _LIST_WORDS else None
        if start is not None:  # "warfarin and other anticoagulants": the class alone, from the list's first word
            del out[len(out) - (i - start):]
            head = toks[i + 1]
            out.append(Token(head.type, head.value, start_pos=toks[start].start_pos, end_pos=head.end_pos))
            skip = i + 1
            continue
        if not said and _heads_condition(toks, i) and (kind == "exclusion" or any(x.type == "NEG" for x in toks[:i])):
            said = word
            continue
        out.append(t)
    heads = all(_heads_condition(toks, i, _NEG_SKIP) for i, t in enumerate(toks)
                if t.type == "NEG" and OTHER_WORDS & set(str(t.value).lower().split()))
    return out, said, heads


def _list_start(toks: list[Token], i: int) -> int | None:
    """"A, B and other Z" with A and B under Z: the index of A. The list is the class (what follows it is said of
    the list as a whole either way)."""
    if i + 1 >= len(toks) or toks[i + 1].type not in ("DRUG", "CONDITION") or i == 0 or toks[i - 1].type not in _LIST_SEPS:
        return None
    head = toks[i + 1]
    klass, members = str(head.value), []
    j = i - 1
    while j >= 0 and toks[j].type in (*_LIST_SEPS, head.type):
        if toks[j].type == head.type:
            members.append(str(toks[j].value))
        j -= 1
    while toks[j + 1].type in _LIST_SEPS:  # "No active infection, or PCP and other opportunistic infections"
        j += 1
    if not members or any(m == klass or klass not in vocab.ancestors(m) for m in members):
        return None
    return j + 1


def _heads_condition(toks: list[Token], i: int, skip: frozenset[str] = _QUALIFIERS) -> bool:
    """"Other active malignancy", "History of other malignancy": the word heads the sentence (after a negation, a
    history or time word only) and a condition follows it (after qualifiers only). A negation that says it may
    stand anywhere ("Not HIV positive No other prior malignancy")."""
    if skip is _QUALIFIERS and any(t.type not in _HEAD_LEADS for t in toks[:i]):
        return False
    j = i + 1
    while j < len(toks) and toks[j].type in skip:
        j += 1
    return j < len(toks) and toks[j].type in ("CONDITION", "CGROUP")


def other_now(toks: list[Token]) -> tuple[list[Token], bool]:
    """The tokens without each "other"/"another" left right before a treatment ("other concurrent chemotherapy",
    "currently receiving other anti-cancer agents"), and whether one was dropped: the sentence then holds only if
    every treatment it names is one now (``all_now``), else it goes to review for the word. The sentence must say
    "concurrent" or "currently" itself: a bare "Other antiretroviral agents" among the exclusions is read as one now,
    yet it may be other than the regimen a patient is on and the study goes on giving."""
    if not any(_NOW.search(str(t.value)) for t in toks if t.type != "WORD"):
        return toks, False
    out = [t for i, t in enumerate(toks) if not _before_treatment(toks, i)]
    return out, len(out) < len(toks)


_NOW = re.compile(r"\b(?:concurrent|concurrently|currently)\b", re.I)


def _before_treatment(toks: list[Token], i: int) -> bool:
    if toks[i].type != "WORD" or str(toks[i].value).lower() not in _LIST_WORDS:
        return False
    j = i + 1
    while j < len(toks) and toks[j].type in ("USE", "JUDGED"):
        j += 1
    return j < len(toks) and toks[j].type in ("DRUG", "PROCEDURE")


def all_now(node: ir.Node) -> bool:
    """Every treatment of ``node`` is one now ("concurrent", "currently"): what "other" sets apart then is the study's
    own treatment, which has not begun at screening."""
    treatments = [n for n in ir.walk(node) if isinstance(n, (ir.Medication, ir.Procedure))]
    background = set(phrase_data()["other_than_trial"]["background"])  # "other protease inhibitors": a regimen kept on
    return bool(treatments) and all(n.window is not None and n.window.amount == 0 and not (
        background & ({n.concept} | vocab.ancestors(n.concept))) for n in treatments)


OTHER_TREATMENT = "'other' treatment than which? (the study's own, or one named in another item: a person reads it)"


def other_reason(toks: list[Token]) -> str | None:
    """Why a sentence whose only unread word is an "other" before a treatment stays in review ("Other antiviral
    agents", "At least 4 weeks since other prior chemotherapy"); None for any other sentence."""
    words = [i for i, t in enumerate(toks) if t.type == "WORD"]
    if not words or any(str(toks[i].value).lower() not in OTHER_WORDS for i in words):
        return None
    if all(any(t.type in ("DRUG", "PROCEDURE") for t in toks[i + 1:i + 3]) for i in words):
        return OTHER_TREATMENT
    return None
