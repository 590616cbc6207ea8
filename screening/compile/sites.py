"""Where a radiotherapy was given: "no prior radiotherapy to the thorax", "at least 4 weeks since prior radiotherapy to
measurable disease". The words after "<radiotherapy> to" that name a site (phrases.toml [radiation_sites]) become one
SITE token; the grammar reads ``PROCEDURE SITE`` as proc_site (ir.Judged: no record says the field). Also the waiver
of a "since" wait for a patient whose disease progressed (PROGRESSED, see unless_progression)."""
from __future__ import annotations

import re
from functools import lru_cache

from lark import Token

from .. import vocab
from ..lexer import phrase_data

_ARTICLE = r"(?:(?:the|a|an|any|all|his|her|their)\s+)?"


@lru_cache(maxsize=1)
def _site_pattern() -> re.Pattern[str]:
    sites = sorted(phrase_data()["radiation_sites"]["phrases"], key=len, reverse=True)
    return re.compile(r"\s*" + _ARTICLE + "(" + "|".join(re.escape(s) for s in sites) + r")\b", re.IGNORECASE)


def _is_radiotherapy(tok: Token) -> bool:
    return tok.type == "PROCEDURE" and (tok.value == "radiotherapy" or "radiotherapy" in vocab.ancestors(tok.value))


def _last_covered(toks: list[Token], i: int, end: int) -> int | None:
    """The index of the last token from ``toks[i]`` on that a phrase ending at ``end`` (a text offset) covers, when the
    phrase ends where that token ends; None when it ends inside a token."""
    last = i
    while last + 1 < len(toks) and toks[last + 1].start_pos is not None and toks[last + 1].start_pos < end:
        last += 1
    return last if toks[last].end_pos == end else None


def radiation_sites(toks: list[Token], norm: str) -> list[Token]:
    """"radiotherapy to the thorax": TO and the tokens of a site named right after it become one SITE token whose value
    is the site as written ("the thorax"). Only when the site's words end where a token ends; anything else is left as it
    is."""
    if not any(t.type == "TO" for t in toks) or not any(_is_radiotherapy(t) for t in toks):
        return toks
    out: list[Token] = []
    i = 0
    while i < len(toks):
        t = toks[i]
        if t.type == "TO" and out and _is_radiotherapy(out[-1]) and t.end_pos is not None:
            m = _site_pattern().match(norm, t.end_pos)
            if m and (last := _last_covered(toks, i, m.end())) is not None and last > i:
                out.append(Token("SITE", " ".join(m.group(0).lower().split()), start_pos=t.start_pos, end_pos=m.end()))
                i = last + 1
                continue
        out.append(t)
        i += 1
    return out


@lru_cache(maxsize=1)
def _progression_pattern() -> re.Pattern[str]:
    phrases = sorted(phrase_data()["unless_progression"]["phrases"], key=len, reverse=True)
    return re.compile("(" + "|".join(r"\s+".join(map(re.escape, p.split())) for p in phrases) + r")\b", re.IGNORECASE)


def unless_progression(toks: list[Token], norm: str) -> list[Token]:
    """"at least 6 weeks since prior chemotherapy, unless evidence of disease progression": after a SINCE token, the
    tokens of such a phrase (phrases.toml [unless_progression]) become one PROGRESSED token. Only when the phrase
    starts at an UNLESS token and ends where a token ends."""
    if not any(t.type == "UNLESS" for t in toks) or not any(t.type == "SINCE" for t in toks):
        return toks
    out: list[Token] = []
    i = 0
    while i < len(toks):
        t = toks[i]
        if t.type == "UNLESS" and any(x.type == "SINCE" for x in out) and t.start_pos is not None:
            m = _progression_pattern().match(norm, t.start_pos)
            if m and (last := _last_covered(toks, i, m.end())) is not None:
                out.append(Token("PROGRESSED", " ".join(m.group(1).lower().split()), start_pos=t.start_pos,
                                 end_pos=m.end()))
                i = last + 1
                continue
        out.append(t)
        i += 1
    return out


_THIS_CANCER = re.compile(r"\bfor\s+this\s+(?:cancer|malignancy|disease|tumou?r|neoplasm)\b", re.IGNORECASE)
_FOR_BEFORE = re.compile(r"\bfor\s+$", re.IGNORECASE)


def for_this_cancer(toks: list[Token], norm: str, own: frozenset[str]) -> list[Token]:
    """"No prior radiotherapy for this malignancy", "anticancer agents for this cancer": in a trial whose own
    conditions are all cancers (at most three), "this cancer" after "for" becomes the trial's own cancers as
    CONDITION tokens joined by OR, after a FOR token (what a treatment was for stays a person's call: see _purpose).
    Anything else, or a trial of other conditions, is left as it is."""
    if not own or len(own) > 3 or not all("malignancy" in vocab.ancestors(o) for o in own):
        return toks
    out: list[Token] = []
    i = 0
    while i < len(toks):
        t = toks[i]
        m = _THIS_CANCER.match(norm, norm.rfind("for", 0, t.start_pos)) if t.type == "WORD" and str(t).lower() == "this" \
            and t.start_pos is not None and _FOR_BEFORE.search(norm, 0, t.start_pos) else None
        if m is not None and (last := _last_covered(toks, i, m.end())) is not None:
            if not (out and out[-1].type in ("FOR", "TREATFOR")):
                out.append(Token("FOR", "for", start_pos=m.start(), end_pos=t.start_pos))
            for n, key in enumerate(sorted(own)):
                if n:
                    out.append(Token("OR", "or", start_pos=t.start_pos, end_pos=t.start_pos))
                out.append(Token("CONDITION", key, start_pos=t.start_pos, end_pos=m.end()))
            i = last + 1
            continue
        out.append(t)
        i += 1
    return out
