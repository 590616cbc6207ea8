"""A regimen named by a drug in it: "gemcitabine-containing regimen", "anthracycline-based chemotherapy".

Having had a regimen that contains a drug is having had the drug, and the other way round (a drug given alone is a
regimen that contains it), so the words after the drug are dropped and the drug stands for the regimen. The heads
are data (phrases.toml [containing]); a following drug class counts as a head only when the drug is one of its
members ("gemcitabine-containing chemotherapy", not "trastuzumab-containing chemotherapy", whose chemotherapy may be
given without trastuzumab).
"""
from __future__ import annotations

from functools import lru_cache

from lark import Token

from .. import vocab
from .lexicon import phrase_data
from .tokens import rewrite_runs


@lru_cache(maxsize=1)
def _words() -> tuple[frozenset[str], frozenset[str]]:
    d = phrase_data()["containing"]
    return frozenset(d["words"]), frozenset(d["heads"])


def _adjacent(a: Token, b: Token) -> bool:
    return b.start_pos is not None and a.end_pos is not None and b.start_pos - a.end_pos <= 1


def containing_regimens(toks: list[Token]) -> list[Token]:
    """DRUG, "containing"/"based", then a head noun (or a class of the drug): the DRUG alone."""
    words, heads = _words()

    def at(toks: list[Token], i: int) -> tuple[list[Token], int] | None:
        t = toks[i]
        if t.type == "DRUG" and i + 2 < len(toks) and toks[i + 1].type == "WORD" \
                and str(toks[i + 1].value).lower() in words and _adjacent(t, toks[i + 1]) \
                and _adjacent(toks[i + 1], toks[i + 2]) and _is_head(t, toks[i + 2], heads):
            return [Token("DRUG", t.value, start_pos=t.start_pos, end_pos=toks[i + 2].end_pos)], 3
        return None
    return rewrite_runs(toks, at)


def _is_head(drug: Token, head: Token, heads: frozenset[str]) -> bool:
    if head.type in ("WORD", "USE"):
        return str(head.value).lower() in heads
    return head.type == "DRUG" and isinstance(head.value, str) and head.value in vocab.ancestors(str(drug.value)) \
        and head.value != drug.value
