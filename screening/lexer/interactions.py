"""Enzyme and transporter names as trials write them ("cytochrome P450 (CYP) 3A", "CYP 3A4/5", "P4503A",
"P-glycoprotein (P-gp)"): one word, the one the interaction classes of drugs.toml are named with ("cyp3a4", "pgp"),
so "strong cytochrome P450 3A4 (CYP3A4) inhibitors" reads as "strong cyp3a4 inhibitors". The spellings are data
(phrases.toml [enzyme_names]): a run of raw words whose letters, joined, are one of them."""
from __future__ import annotations

from functools import lru_cache

from .lexicon import phrase_data
from .tokens import Raw


@lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    return {spelling: name for name, spellings in phrase_data()["enzyme_names"].items() for spelling in spellings}


def enzyme_names(raws: list[Raw]) -> list[Raw]:
    """Each longest run of up to 9 raws spelling an enzyme (phrases.toml [enzyme_names]) as its one word; a
    parenthesised restatement right after it ("(CYP3A4)") is dropped with it."""
    names = _names()
    out: list[Raw] = []
    i = 0
    while i < len(raws):
        hit = None
        joined = ""
        for j in range(i, min(i + 9, len(raws))):
            joined += raws[j].text
            if joined in names:
                hit = (j + 1, names[joined])
        if hit is None:
            out.append(raws[i])
            i += 1
            continue
        j, name = hit
        if j + 2 < len(raws) and raws[j].text == "(" and names.get(raws[j + 1].text) == name and raws[j + 2].text == ")":
            j += 3
        out.append(Raw("word", name, raws[i].start, raws[j - 1].end))
        i = j
    return out
