"""Who is outside a reproductive group (women of childbearing potential, fertile patients, men whose partners ...):
the record facts that put a patient outside it, for pregnancy tests and contraception statements alike.
"""
from __future__ import annotations

import re
from functools import lru_cache

from lark import Token

from .. import ir
from ..lexer import phrase_data
from .helpers import Uncompilable, _all, _any, _flat


# Childbearing potential: the record facts that put a woman outside it are ir.NOT_CHILDBEARING. A man is outside
# the group. With none of these the record cannot tell, and a demand made of the group alone is unknown unless it
# is met.
_NOT_CHILDBEARING = ir.NOT_CHILDBEARING


_WOMEN_ONLY = frozenset({"postmenopausal", "sterilization", "hysterectomy", "bilateral_oophorectomy", "tubal_ligation"})


@lru_cache(maxsize=1)
def _population_words() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(childbearing, men, women) words of phrases.toml [population]."""
    d = phrase_data()["population"]
    return frozenset(d["childbearing_words"]), frozenset(d["men_words"]), frozenset(d["women_words"])


def _childbearing(population: Token) -> bool:
    """"Women of childbearing potential", "fertile patients": the group, not men (phrases.toml [population])."""
    text = str(population.value if isinstance(population.value, str) else population).lower()
    words = set(re.findall(r"[a-z]+", text))
    childbearing, men, _ = _population_words()
    return not words.isdisjoint(childbearing) and words.isdisjoint(men)


def _contraception_group(text: str) -> ir.Node | None:
    """Who is outside the group a contraception demand names, or None when it names none. "Women of
    childbearing potential", "WOCBP": men, and women the record shows outside it (_NOT_CHILDBEARING); "fertile
    patients", "men and women of reproductive potential": women the record shows outside it (a man's fertility
    no record tells); "women" alone: men; "men" alone: women; "sexually active ...": also whoever the record
    says is not (`attestations.sexually_active` false)."""
    if re.search(r"\bsexually\s+active\b", text, re.I):
        # "sexually active subjects (male and female)": whoever the record says is not sexually active is outside too
        rest = _contraception_group(re.sub(r"\bsexually\s+active\b", " ", text, flags=re.I))
        inactive = ir.Not(ir.Attestation("sexually_active"))
        return inactive if rest is None else _any(_flat([inactive, rest], ir.AnyOf))
    order = re.findall(r"[a-z]+", text.lower())
    words = set(order)
    childbearing_words, men_words, women_words = _population_words()
    women, men = not words.isdisjoint(women_words), not words.isdisjoint(men_words)
    if not words.isdisjoint(("partner", "partners")):  # "Men whose partners are of childbearing potential": the men
        first = next((w for w in order if w in women_words or w in men_words), None)
        return None if first is None else ir.Sex("female") if first in men_words else ir.Sex("male")
    if not words.isdisjoint(childbearing_words):
        if men and not women:  # "fertile men"
            return ir.Sex("female")
        if women and not men:  # "women of childbearing potential"
            return _any([ir.Sex("male"), *_NOT_CHILDBEARING])
        return _all([ir.Sex("female"), _any(list(_NOT_CHILDBEARING))])  # "fertile patients"
    if women != men:
        return ir.Sex("male") if women else ir.Sex("female")
    return None


def _with_group(node: ir.Node, text: str) -> ir.Node:
    """The contraception attestations in ``node`` hold for whoever is outside the group ``text`` names:
    any(outside, attestation(contraception)); negated where the sentence negates it."""
    outside = _contraception_group(text)
    if outside is None:
        return node
    stated = ir.Attestation("contraception")

    def rebuild(n: ir.Node) -> ir.Node:
        if n == stated:
            return _any(_flat([outside, stated], ir.AnyOf))
        if isinstance(n, ir.Not):
            return ir.Not(rebuild(n.item))
        if isinstance(n, (ir.AnyOf, ir.All)):
            return type(n)(tuple(rebuild(i) for i in n.items))
        return n
    return rebuild(node)


def _outside_group(toks: list[Token]) -> ir.Node:
    """Who is outside "women", "if female of childbearing potential", "fertile patients": a man, and for
    childbearing potential a woman the record shows outside it (_NOT_CHILDBEARING)."""
    sexes = {t.value for t in toks if t.type == "SEX"}
    populations = [t for t in toks if t.type == "POPULATION"]
    if sexes - {"female"} or any(not _childbearing(p) for p in populations):
        raise Uncompilable("a reproductive demand of a group that is not women (of childbearing potential)")
    if not populations:
        return ir.Sex("male")
    return _any([ir.Sex("male"), *_NOT_CHILDBEARING])

