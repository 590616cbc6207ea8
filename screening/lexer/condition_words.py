"""Lexer passes that read words around a condition or a treatment the grammar would otherwise leave in review
(combo12): how a condition was shown ("myocardial infarction on EKG"), a qualifier shared by a condition with a
narrower kind of it ("severe or unstable angina") and an open "in the past" closing a sentence (ever).

Each returns the tokens unchanged when its case does not apply.
"""
from __future__ import annotations

from lark import Token

from .. import vocab
from .lexicon import phrase_data
from .matching import _drug_nouns
from .passes import _ever_after
from .tokens import ActiveToken, rewrite_runs

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
    is read as that phrase (passes._ever_after). "In the past 6 months" is a window and stays one."""
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
    ever = _ever_after([*toks[:-1], Token("EVER", str(w.value), start_pos=w.start_pos, end_pos=w.end_pos)])
    # where "at any time" would not be read either, the window stays (and the sentence in review, as before)
    return toks if any(t.type == "WORD" and t.start_pos == w.start_pos for t in ever) else ever


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

    def at(toks: list[Token], i: int) -> tuple[list[Token], int] | None:
        t = toks[i]
        if t.type == "JUDGED" and i + 2 < len(toks) and toks[i + 1].type == "OR" and toks[i + 2].type == "CONDITION" \
                and (i == 0 or toks[i - 1].type not in ("JUDGED", "USE", "SYSTEMIC")):
            c = toks[i + 2]
            head = _head_of(c, text) or _active_of(c, text[toks[i + 1].end_pos:c.start_pos])
            if head is not None:  # the narrower first, so that the qualifier is read of the head only
                return [c, toks[i + 1], t, Token("CONDITION", head, start_pos=c.start_pos, end_pos=c.end_pos)], 3
        return None
    return rewrite_runs(toks, at)


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


def _active_of(c: Token, between: str) -> str | None:
    """"chronic or active liver disease", "serious/active infection": "active" (``between`` "or" and the condition,
    dropped into an ActiveToken) is the other qualifier of the noun they share; the one before "or" is said of the
    plain condition."""
    if isinstance(c, ActiveToken) and between.strip().lower() == "active":
        return str(c.value)
    return None


#: what may stand before a condition a qualifier follows ("No history of hypertension that is not controlled")
_BEFORE_POSTPOSED = frozenset({"NEG", "HISTORY", "PRIOR", "USE", "PROCUSE", "JUDGED", "SUSPECTED"})
#: the words a relative clause opens with between a condition and its qualifier ("that is", "which are")
_RELATIVE = frozenset({"", "that is", "that are", "which is", "which are", "that has been", "that have been"})


def postposed_qualifier(toks: list[Token], text: str) -> list[Token]:
    """"Hypertension that is not well-controlled", "Patients who are HCV treatment-naive", "Active serious infections
    not controlled by antibiotics": a qualifier after a lone condition, ending the sentence, qualifies it as if written
    before it (ir.Judged); drugs after it ("by oral antibiotics") are part of the words a person weighs. A list of
    conditions, or anything else after the qualifier, is left as written (review)."""
    c = next((i for i in range(len(toks) - 1) if toks[i].type == "CONDITION" and toks[i + 1].type == "JUDGED"), None)
    if c is None or any(t.type not in _BEFORE_POSTPOSED for t in toks[:c]):
        return toks
    tail = toks[c + 2:]
    if tail and (tail[0].type not in ("DRUG", "ROUTE", "SYSTEMIC") or any(
            t.type not in ("DRUG", "ROUTE", "SYSTEMIC", "OR") for t in tail) or tail[-1].type != "DRUG"):
        return toks
    cond, qual = toks[c], toks[c + 1]
    if " ".join(text[cond.end_pos:qual.start_pos].lower().split()) not in _RELATIVE:
        return toks
    end = toks[-1].end_pos
    words = Token("JUDGED", " ".join(text[qual.start_pos:end].split()), start_pos=qual.start_pos, end_pos=end)
    return [*toks[:c], words, cond]


def _drug_noun_before_drug(toks: list[Token]) -> list[Token]:
    """A drug noun before a drug ("drugs [known to be] strong CYP3A4 inhibitors", "a medication [that is] a P-gp
    inhibitor": the words between are fillers) names the same drugs: one token."""
    nouns = _drug_nouns()

    def at(toks: list[Token], i: int) -> tuple[list[Token], int] | None:
        if toks[i].type == "WORD" and str(toks[i].value).lower() in nouns and i + 1 < len(toks) and toks[i + 1].type == "DRUG":
            return [Token("DRUG", toks[i + 1].value, start_pos=toks[i].start_pos, end_pos=toks[i + 1].end_pos)], 2
        return None
    return rewrite_runs(toks, at)


def drug_with_class(toks: list[Token]) -> list[Token]:
    """"Coumadin anticoagulant therapy", "macrolide antimicrobials", "BCG vaccines": a drug (or vaccine) written next to a class it belongs to names
    the drug (the class adds nothing); one token, spanning both. Two drugs neither of which is under the other
    ("antiretroviral protease inhibitor": some protease inhibitors are no antiretrovirals) stay, in review."""
    toks = _drug_noun_before_drug(toks)
    out: list[Token] = []
    for t in toks:
        prev = out[-1] if out else None
        if t.type == "SUCHAS":  # "CYP3A4 inhibitors such as a macrolide antibiotic": an example of the class before it,
            return toks         # not every macrolide: left as it was (in review)
        if prev is not None and prev.type == t.type and t.type in ("DRUG", "VACCINE") and isinstance(prev.value, str) and isinstance(t.value, str) \
                and prev.value != t.value:
            narrower = prev if t.value in vocab.ancestors(prev.value) else t if prev.value in vocab.ancestors(t.value) else None
            if narrower is not None:
                out[-1] = Token(t.type, narrower.value, start_pos=prev.start_pos, end_pos=t.end_pos)
                continue
        out.append(t)
    return out


_NOW_WORDS = frozenset({"currently", "current"})


def now_or_within(toks: list[Token]) -> list[Token]:
    """"Receiving investigational agents currently or within the 4 weeks prior to Day 1", "tobacco use currently or
    within 90 days": the window reaches to the screening date, so "now or within it" is the window; the "currently or"
    is dropped."""

    def at(toks: list[Token], i: int) -> tuple[list[Token], int] | None:
        t = toks[i]
        if t.type == "USE" and str(t.value).lower() in _NOW_WORDS and i + 2 < len(toks) and toks[i + 1].type == "OR" \
                and toks[i + 2].type == "WINDOW" and i + 3 < len(toks) and toks[i + 3].type == "NUMBER" and i > 0:
            return [], 2
        return None
    return rewrite_runs(toks, at)


_WINDOW_PARTS = ("WINDOW", "NUMBER", "TIMEUNIT", "BOUND", "PRIOR", "ANCHOR")
_DRUG_LIST = frozenset({"DRUG", "COMMA", "OR", "AND", "SYSTEMIC", "ROUTE"})


def window_before_drugs(toks: list[Token]) -> list[Token]:
    """"Treatment within 28 days of randomization with another investigational agent": the window said between the
    use word and the drugs it is about; moved after them, where the grammar reads a window. Only a sentence that is
    a use word, one window and a list of drugs."""
    at = 1 if toks and toks[0].type == "NEG" else 0
    if len(toks) < at + 5 or toks[at].type != "USE" or toks[at + 1].type != "WINDOW" or toks[at + 2].type != "NUMBER" \
            or toks[at + 3].type != "TIMEUNIT":
        return toks
    end = at + 4
    while end < len(toks) and toks[end].type in ("BOUND", "PRIOR", "ANCHOR"):
        end += 1
    rest = toks[end:]
    if not rest or rest[0].type not in ("DRUG", "SYSTEMIC", "ROUTE") or any(t.type not in _DRUG_LIST for t in rest):
        return toks
    return [*toks[:at + 1], *rest, *toks[at + 1:end]]


def needs_judged_use(toks: list[Token], text: str) -> list[Token]:
    """"Opportunistic infection requiring acute therapy", "infection requiring parenteral treatment": a need of treatment with words a person weighs, as
    "requiring treatment" (NEEDS, phrases.toml [requiring]) with them: one NEEDS token carrying the words. Only
    a plain treatment word after the qualifiers ("requiring chronic use of steroids" names a drug: not folded)."""

    def at(toks: list[Token], i: int) -> tuple[list[Token], int] | None:
        t = toks[i]
        j = i + 1
        while j < len(toks) and toks[j].type in ("JUDGED", "ROUTE"):  # "requiring parenteral treatment"
            j += 1
        if t.type == "REQUIRING" and j > i + 1 and j < len(toks) and toks[j].type == "USE" \
                and (j + 1 == len(toks) or toks[j + 1].type not in ("DRUG", "PROCEDURE", "ROUTE", "SYSTEMIC")):
            end = toks[j].end_pos
            return [Token("NEEDS", " ".join(text[t.start_pos:end].split()), start_pos=t.start_pos, end_pos=end)], j + 1 - i
        return None
    out = rewrite_runs(toks, at)
    if len(out) > 2 and out[-1].type == "NEEDS" and out[-2].type == "COMMA" \
            and sum(x.type == "CONDITION" for x in out[:-2]) == 1 and all(x.type in _ONE_CONDITION for x in out[:-2]):
        # "Active opportunistic infection, requiring acute treatment": one condition, so the need is said of it
        out = [*out[:-2], out[-1]]
    return out


#: what a sentence of one condition may hold before ", requiring ..."
_ONE_CONDITION = frozenset({"NEG", "HISTORY", "PRIOR", "JUDGED", "CONDITION", "USE"})


_AFTER_TO = frozenset({"HISTORY", "JUDGED", "CONDITION", "PROCUSE", "USE", "PRIOR"})


def infinitive_lead(toks: list[Token], text: str) -> list[Token]:
    """"To have uncontrolled narrow-angle glaucoma", "To have a history of alcohol abuse": an item that finishes its
    heading's sentence ("Subjects are excluded if they are found:") opens with "to have"; the "to" (read as TO, a
    range) says nothing and is dropped."""
    if len(toks) > 1 and toks[0].type == "TO" and toks[0].start_pos == 0 and toks[1].type in _AFTER_TO \
            and text[:3].lower() == "to ":
        return toks[1:]
    return toks
