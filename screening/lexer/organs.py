"""Lists of organs whose function a sentence demands before the values that define it ("Adequate bone marrow, renal,
and liver function (ANC >= 1500/uL, ...)", "Hepatic function: bilirubin <= 1.5 x ULN"): dropped as the single-organ
fillers are ("adequate renal function"). Data: phrases.toml [organ_functions]."""
from __future__ import annotations

from functools import lru_cache

from .lexicon import phrase_data, phrase_key
from .tokens import Raw

_Words = tuple[str, ...]


@lru_cache(maxsize=1)
def _table() -> tuple[frozenset[str], tuple[_Words, ...], tuple[_Words, ...], tuple[_Words, ...]]:
    d = phrase_data()["organ_functions"]

    def keys(words: list[str]) -> tuple[_Words, ...]:  # longest first: "bone marrow" before "marrow"
        return tuple(sorted({phrase_key(w) for w in words}, key=len, reverse=True))
    seps = tuple(sorted({tuple(w for w in phrase_key(s) if w) or (s,) for s in d["separators"]}, key=len, reverse=True))
    return frozenset(d["leads"]), keys(d["organs"]), seps, keys(d["heads"])


@lru_cache(maxsize=1)
def _first_words() -> frozenset[str]:
    leads, organs, _, _ = _table()
    return leads | {words[0] for words in organs}


def _at(raws: list[Raw], i: int, options: tuple[_Words, ...]) -> int:
    """Where the first of ``options`` that the words at ``i`` spell ends, or -1."""
    for words in options:
        if tuple(r.text for r in raws[i:i + len(words)]) == words:
            return i + len(words)
    return -1


def organ_function_end(raws: list[Raw], i: int) -> int:
    """The raw index after "<organ> [<sep> <organ>]... <head> :" starting at ``i``, or after "<lead> <organ> [<sep>
    <organ>]... <head>" when a number follows later in the sentence; 0 when the words at ``i`` are no such list, or
    no values follow it (alone, or inside a longer demand: "... and no active infection")."""
    leads, organs, seps, heads = _table()
    if raws[i].text not in _first_words():  # most words: no list starts here
        return 0
    lead = raws[i].text in leads
    k = i + 1 if lead else i
    k = _at(raws, k, organs)
    if k < 0:
        return 0
    while True:
        s = _at(raws, k, seps)
        nxt = _at(raws, s, organs) if s >= 0 else -1
        if nxt < 0:
            break
        k = nxt
    end = _at(raws, k, heads)
    if end < 0:
        return 0
    colon = end < len(raws) and raws[end].text == ":"
    if colon:  # a label of the values after it
        return end + 1
    if not lead:
        return 0
    # defined by the values that follow; alone it stays a judgement a person weighs, never dropped: a sentence run
    # together with it ("Adequate cardiac function No heart failure") would then be read as the whole demand
    return end if any(r.kind == "num" for r in raws[end:]) else 0
