"""Lexer passes that read words around a condition or a treatment the grammar would otherwise leave in review
(combo12): how a condition was shown ("myocardial infarction on EKG"), a qualifier shared by a condition with a
narrower kind of it ("severe or unstable angina") and an open "in the past" closing a sentence (ever).

Each returns the tokens unchanged when its case does not apply.
"""
from __future__ import annotations

from lark import Token

from .. import vocab
from .lexicon import phrase_data

#: tokens a condition list may hold before the method that showed it
_CONDITION_LIST = frozenset({"CONDITION", "CGROUP", "COMMA", "OR", "AND", "JUDGED", "HISTORY", "PRIOR", "NEG", "USE",
                             "SUSPECTED"})


def shown_by(toks: list[Token], text: str) -> list[Token]:
    """"No evidence of CAD on EKG", "No uncontrolled brain metastases by CT scan": a condition as a test showed it,
    narrower than the condition (a person weighs whether the test showed it). The METHOD closing a sentence of
    conditions becomes SHOWNBY, carrying its words; a method next to a measurement ("LVEF >= 50% by MUGA") or a test
    ("measurable disease per RECIST") is left alone."""
    if len(toks) < 2 or toks[-1].type != "METHOD" or toks[-2].type not in ("CONDITION", "CGROUP"):
        return toks
    if any(t.type not in _CONDITION_LIST for t in toks[:-1]):
        return toks
    m = toks[-1]
    words = text[m.start_pos:m.end_pos].strip()
    return [*toks[:-1], Token("SHOWNBY", words, start_pos=m.start_pos, end_pos=m.end_pos)]


def past_as_ever(toks: list[Token], text: str) -> list[Token]:
    """"Treatment with any monoclonal antibody in the past", "Have received IL-2 in the past": an open "in the past"
    (no amount of time after it) closing a sentence says ever, as "at any time" does (phrases.toml [ever]); it
    becomes that token for passes._ever_after to read. "In the past 6 months" is a window and stays one."""
    if not toks or toks[-1].type != "WINDOW":
        return toks
    w = toks[-1]
    if " ".join(text[w.start_pos:w.end_pos].lower().split()) != "in the past":
        return toks
    uses = [i for i, t in enumerate(toks) if t.type == "USE"]
    if len(uses) == 1 and _tenseless(str(toks[uses[0]].value)):
        # "Treatment with X in the past": a use word with no tense of its own takes the past from it (a history)
        u = toks[uses[0]]
        return [*toks[:uses[0]], Token("HISTORY", str(u.value), start_pos=u.start_pos, end_pos=u.end_pos),
                *toks[uses[0] + 1:-1]]
    return [*toks[:-1], Token("EVER", str(w.value), start_pos=w.start_pos, end_pos=w.end_pos)]


def _tenseless(word: str) -> bool:
    """A USE word that says neither now nor before ("treatment with", "exposure to"; not "current use of", "received")."""
    d = phrase_data()
    w = " ".join(word.lower().split())
    return w not in d["present_use"]["phrases"] and w not in d["past_use"]["phrases"] \
        and w not in d["current_state"]["phrases"]


def shared_qualifier(toks: list[Token], text: str) -> list[Token]:
    """"Severe or unstable angina", "serious or non-healing wound": a qualifier and a narrower condition joined by
    "or" before the noun they share. When the condition's last words name a condition it is a kind of (unstable
    angina under angina), the qualifier is said of that one: "unstable angina or severe angina". Otherwise (no such
    head, "advanced or metastatic disease") the tokens stay, in review."""
    if any(t.type == "WINDOW" for t in toks) and any(t.type in ("PROCEDURE", "DRUG") for t in toks):
        # "History of MI, severe/unstable angina, or revascularization within 6 months": the grammar gives the window
        # to the treatment only, the conditions ever; whether it is said of all stays a person's call
        return toks
    out: list[Token] = []
    i = 0
    while i < len(toks):
        t = toks[i]
        if t.type == "JUDGED" and i + 2 < len(toks) and toks[i + 1].type == "OR" and toks[i + 2].type == "CONDITION" \
                and (i == 0 or toks[i - 1].type not in ("JUDGED", "USE", "SYSTEMIC")):
            c = toks[i + 2]
            head = _head_of(c, text)
            if head is not None:  # the narrower first, so that the qualifier is read of the head only
                out += [c, toks[i + 1], t, Token("CONDITION", head, start_pos=c.start_pos, end_pos=c.end_pos)]
                i += 3
                continue
        out.append(t)
        i += 1
    return out


def _head_of(c: Token, text: str) -> str | None:
    """The condition named by the words after the first of ``c``'s ("angina" of "unstable angina"), when ``c`` is a
    kind of it in the vocabulary; else None."""
    words = text[c.start_pos:c.end_pos].split(maxsplit=1)
    if len(words) < 2:
        return None
    from . import tokenize  # the rest read as a sentence of its own (cached); imported here: this module is part of it
    rest = words[1]
    toks, _ = tokenize(rest)
    if len(toks) != 1 or toks[0].type != "CONDITION":
        return None
    key = str(toks[0].value)
    if key == c.value or key not in vocab.ancestors(str(c.value)):
        return None
    return key


def drug_with_class(toks: list[Token]) -> list[Token]:
    """"Coumadin anticoagulant therapy", "macrolide antimicrobials": a drug written next to a class it belongs to names
    the drug (the class adds nothing); one token, spanning both. Two drugs neither of which is under the other
    ("antiretroviral protease inhibitor": some protease inhibitors are no antiretrovirals) stay, in review."""
    out: list[Token] = []
    for t in toks:
        prev = out[-1] if out else None
        if prev is not None and prev.type == t.type == "DRUG" and isinstance(prev.value, str) and isinstance(t.value, str) \
                and prev.value != t.value:
            narrower = prev if t.value in vocab.ancestors(prev.value) else t if prev.value in vocab.ancestors(t.value) else None
            if narrower is not None:
                out[-1] = Token("DRUG", narrower.value, start_pos=prev.start_pos, end_pos=t.end_pos)
                continue
        out.append(t)
    return out


_NOW_WORDS = frozenset({"currently", "current"})


def now_or_within(toks: list[Token]) -> list[Token]:
    """"Receiving investigational agents currently or within the 4 weeks prior to Day 1", "tobacco use currently or
    within 90 days": the window reaches to the screening date, so "now or within it" is the window; the "currently or"
    is dropped."""
    out: list[Token] = []
    i = 0
    while i < len(toks):
        t = toks[i]
        if t.type == "USE" and str(t.value).lower() in _NOW_WORDS and i + 2 < len(toks) and toks[i + 1].type == "OR" \
                and toks[i + 2].type == "WINDOW" and i + 3 < len(toks) and toks[i + 3].type == "NUMBER" and out:
            i += 2
            continue
        out.append(t)
        i += 1
    return out
