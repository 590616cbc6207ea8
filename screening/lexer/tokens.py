"""Raw words and the token classes of the criteria lexer: text normalized once (comparators, units, dashes), split
into raw words with their spans, and the lark Tokens the grammar reads.
"""
from __future__ import annotations

import re
from functools import lru_cache
from dataclasses import dataclass
from typing import Any, Callable, TypeVar

from lark import Token

from ..errors import ScreeningError

T = TypeVar("T")


_RAW = re.compile(r"""
 (?P<titer>(?<![\d.])1\s*:\s*\d+(?:,\d{3})*)
|(?P<num>\d+(?:,\d{3})+(?:\.\d+)?|\d*\.\d+|\d+)
|(?P<cmp>>=|<=|=>|=<|>|<|=)
|(?P<word>[a-z][a-z0-9']*)
|(?P<punct>[(),;:\[\]/+\-%])
""", re.VERBOSE)


_NEW_CLAUSE = frozenset({"be", "have", "must", "is", "are", "will", "should", "can", "not", "agree", "live",
                         "reside", "undergo", "provide", "has"})


_STAGE = re.compile(r"(?:i{1,3}|iv|v|[0-4])[a-c]?\d?")


_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6}


_SPLIT_CMP = re.compile(r"=\s*or\s*([<>])|([<>])\s+=(?!\s*or\b)|([<>])=\s*to\b(?=\s*[\d.])")


_CMP_SYMBOL = {">=": ">=", "=>": ">=", "<=": "<=", "=<": "<=", ">": ">", "<": "<"}


_TRANSLATE = str.maketrans({"≥": ">=", "≤": "<=", "≧": ">=", "≦": "<=", "×": " x ", "µ": "u", "μ": "u", "–": "-",
                            "—": "-", "’": "'", "‘": "'", "＞": ">", "＜": "<", "⩾": ">=", "⩽": "<=", "²": "2", "³": "3",
                            "\u00a0": " ", "*": "*"})
_TRANSLATE |= {0xFF01 + i: 0x21 + i for i in range(0x5E) if 0xFF01 + i not in _TRANSLATE}  # fullwidth forms


def normalize_text(text: str) -> str:
    """Lower-case, comparators and micro signs in one spelling, markdown escapes removed."""
    text = text.replace("\\", "").replace("> or =", ">=").replace("< or =", "<=").replace(">/=", ">=").replace("</=", "<=")
    text = _SPLIT_CMP.sub(lambda m: (m.group(1) or m.group(2) or m.group(3)) + "=", text)  # "= or >", "> =", ">= to"
    return text.translate(_TRANSLATE).lower()


@dataclass(frozen=True, slots=True)
class Raw:
    kind: str
    text: str
    start: int
    end: int


def raw_tokens(text: str) -> list[Raw]:
    out = [Raw(m.lastgroup or "", m.group(), m.start(), m.end()) for m in _RAW.finditer(text)]
    # a hyphen joining two words is part of the word ("anti-dsDNA"): drop it
    # a hyphen joining a word or a number to a word is part of it ("anti-dsDNA", "2.5-times", "5-year")
    # and so is one joining a name to its number ("HIV-1", "IL-2", "COVID-19")
    return [r for i, r in enumerate(out)
            if not (r.text == "-" and 0 < i < len(out) - 1 and out[i - 1].end == r.start and out[i + 1].start == r.end
                    and (out[i - 1].kind in ("word", "num") and out[i + 1].kind == "word"
                         or out[i - 1].kind == "word" and out[i + 1].kind == "num"))]


class ActiveToken(Token):
    """A condition after the dropped word "active" ("active tuberculosis infection"): latent forms do not count."""

    __slots__ = ()


def _phrase_token(raws: list[Raw], i: int, kind: str, value: Any, end: int) -> Token:
    """The token of the phrase starting at ``raws[i]``; a condition after the dropped word "active", or after it and
    one-word qualifiers ("active severe lupus nephritis"), is an ActiveToken (its latent forms do not count)."""
    active = kind in ("CONDITION", "CGROUP") and (raws[i].text == "active" or _after_active(raws, i))
    return (ActiveToken if active else Token)(kind, value, start_pos=raws[i].start, end_pos=end)


def _after_active(raws: list[Raw], i: int) -> bool:
    """"active" right before ``raws[i]``, or before up to three one-word qualifiers of phrases.toml [judged]."""
    words = _one_word_qualifiers()
    for j in range(i - 1, max(i - 5, -1), -1):
        if raws[j].text == "active":
            return True
        if raws[j].text not in words:
            return False
    return False


@lru_cache(maxsize=1)
def _one_word_qualifiers() -> frozenset[str]:
    from .lexicon import phrase_data  # the lexicon builds on this module
    return frozenset(p for p in phrase_data()["judged"]["phrases"] if " " not in p and "-" not in p)


def rewrite_runs(toks: list[T], at: Callable[[list[T], int], tuple[list[T], int] | None]) -> list[T]:
    """``toks`` with each run of tokens that ``at(toks, i)`` recognises at ``i`` replaced: ``at`` gives the
    replacement and the run's length, or None to keep ``toks[i]`` as it is (the loop of a token pass, written once;
    raw words are rewritten the same way)."""
    out: list[T] = []
    i = 0
    while i < len(toks):
        hit = at(toks, i)
        if hit is None:
            out.append(toks[i])
            i += 1
        else:
            out += hit[0]
            i += hit[1]
    return out


def _tok(kind: str, value: Any, r: Raw) -> Token:
    return Token(kind, value, start_pos=r.start, end_pos=r.end)


class LexError(ScreeningError):
    """Text the lexer cannot turn into tokens the grammar accepts (never shown to users as a crash)."""

