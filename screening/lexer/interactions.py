"""Enzyme and transporter names as trials write them ("cytochrome P450 (CYP) 3A", "CYP 3A4/5", "P4503A",
"P-glycoprotein (P-gp)"): one word, the one the interaction classes of drugs.toml are named with ("cyp3a4", "pgp"),
so "strong cytochrome P450 3A4 (CYP3A4) inhibitors" reads as "strong cyp3a4 inhibitors". The spellings are data
(phrases.toml [enzyme_names]): a run of raw words whose letters, joined, are one of them. Then a strength and
an enzyme shared by two nouns or enzymes ("strong inhibitors or inducers of CYP3A4") are written out on each, so each
reads as its class (phrases.toml [interaction_shapes])."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Mapping

from .lexicon import phrase_data
from .tokens import Raw, rewrite_runs


@lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    return {spelling: name for name, spellings in phrase_data()["enzyme_names"].items() for spelling in spellings}


def enzyme_names(raws: list[Raw]) -> list[Raw]:
    """Each longest run of up to 12 raws spelling an enzyme (phrases.toml [enzyme_names]) as its one word; a
    parenthesised restatement right after it ("(CYP3A4)") is dropped with it."""
    return rewrite_runs(raws, _enzyme_run)


def _enzyme_run(raws: list[Raw], i: int) -> tuple[list[Raw], int] | None:
    names = _names()
    hit = None
    joined = ""
    for j in range(i, min(i + 12, len(raws))):
        joined += raws[j].text
        if joined in names:
            hit = (j + 1, names[joined])
    if hit is None:
        return None
    j, name = hit
    if j + 2 < len(raws) and raws[j].text == "(" and names.get(raws[j + 1].text) == name and raws[j + 2].text == ")":
        j += 3
    return [Raw("word", name, raws[i].start, raws[j - 1].end)], j - i


@dataclass(frozen=True, slots=True)
class _Shapes:
    """phrases.toml [interaction_shapes], read once."""

    strengths: Mapping[str, str]
    strength_links: tuple[tuple[str, ...], ...]
    nouns: Mapping[str, str]
    links: tuple[tuple[str, ...], ...]
    leads: tuple[tuple[str, ...], ...]
    tails: frozenset[str]
    neighbours: frozenset[str]
    enzymes: frozenset[str]


def _longest_first(seqs: list[list[str]]) -> tuple[tuple[str, ...], ...]:
    return tuple(sorted((tuple(s) for s in seqs), key=len, reverse=True))


@lru_cache(maxsize=1)
def _shapes() -> _Shapes:
    d = phrase_data()["interaction_shapes"]
    return _Shapes(d["strengths"], _longest_first(d["strength_links"]), d["nouns"], _longest_first(d["links"]),
                   _longest_first(d["enzyme_leads"]), frozenset(d["enzyme_tails"]), frozenset(d["neighbours"]),
                   frozenset(_names().values()))


def _seq_at(raws: list[Raw], i: int, seqs: tuple[tuple[str, ...], ...]) -> tuple[str, ...]:
    """The longest of ``seqs`` written at ``raws[i]`` (empty: none)."""
    return next((s for s in seqs if tuple(r.text for r in raws[i:i + len(s)]) == s), ())


def _strength(raws: list[Raw], i: int, sh: _Shapes) -> tuple[frozenset[str], int]:
    """Strengths said at ``raws[i]`` ("strong", "moderate or strong", "strong/potent") and where they end."""
    if i >= len(raws) or raws[i].text not in sh.strengths:
        return frozenset(), i
    said, j = {sh.strengths[raws[i].text]}, i + 1
    while (link := _seq_at(raws, j, sh.strength_links)) and j + len(link) < len(raws) \
            and raws[j + len(link)].text in sh.strengths:
        said.add(sh.strengths[raws[j + len(link)].text])
        j += len(link) + 1
    return frozenset(said), j


def _noun_end(raws: list[Raw], k: int, sh: _Shapes) -> int:
    """End of a noun at ``raws[k]`` with the examples in parentheses right after it ("inhibitor (eg, ketoconazole)")."""
    if k >= len(raws) or raws[k].text not in sh.nouns:
        return 0
    if k + 1 < len(raws) and raws[k + 1].text == "(":
        depth = 0
        for m in range(k + 1, min(len(raws), k + 60)):
            depth += {"(": 1, ")": -1}.get(raws[m].text, 0)
            if depth == 0:
                return m + 1
    return k + 1


def _listed(raws: list[Raw], i: int, end_of: Callable[[int], int], sh: _Shapes) -> tuple[list[tuple[int, int]], int, bool]:
    """Items joined by links from ``raws[i]`` (spans), where the list ends, and whether a link is "and" alone."""
    items: list[tuple[int, int]] = []
    j, ands = i, False
    while (end := end_of(j)):
        items.append((j, end))
        j = end
        link = _seq_at(raws, j, sh.links)
        if not link or not end_of(j + len(link)):
            break
        ands |= "and" in link and "or" not in link
        j += len(link)
    return items, j, ands


def _beside_neighbour(raws: list[Raw], i: int, j: int, sh: _Shapes) -> bool:
    """Whether a word across a link before ``i`` or after ``j`` may share the run's strength or enzyme."""
    def near(w: str) -> bool:
        return w in sh.neighbours or w.startswith("cyp") or w in sh.nouns or w in sh.enzymes or w in sh.strengths
    link_words = {w for link in sh.links for w in link}
    k = i - 1
    if k >= 0 and raws[k].text in link_words:
        while k >= 0 and raws[k].text in link_words:
            k -= 1
        if k >= 0 and near(raws[k].text):
            return True
    k = j
    if k < len(raws) and raws[k].text in link_words:
        while k < len(raws) and raws[k].text in link_words:
            k += 1
        if k < len(raws) and near(raws[k].text):
            return True
    return False


_SAID = {frozenset({"strong"}): ("strong",), frozenset({"moderate"}): ("moderate",),
         frozenset({"moderate", "strong"}): ("moderate", "or", "strong"), frozenset(): ()}


def _shared_run(raws: list[Raw], i: int) -> tuple[list[Raw], int] | None:
    """"strong inhibitors or inducers of CYP3A4", "moderate or strong CYP3A inhibitors/inducers", "CYP3A4 or P-gp
    inhibitors" at ``raws[i]``: each noun with each enzyme and the strength, as the class names write them ("strong
    cyp3a4 inhibitors or strong cyp3a4 inducers"), and the run's length. None for anything else, for a weak strength,
    for enzymes joined by "and" alone, and beside a word that may share the strength or enzyme too."""
    sh = _shapes()
    n = len(raws)

    def enzyme_end(k: int) -> int:
        return k + 1 if k < n and raws[k].text in sh.enzymes else 0

    said, j = _strength(raws, i, sh)
    enzymes, j, enzymes_and = _listed(raws, j, enzyme_end, sh)
    if enzymes:  # "strong CYP3A4 inhibitors or inducers", "CYP3A4 strong inhibitors"
        if not said:
            said, j = _strength(raws, j, sh)
        nouns, j, _ = _listed(raws, j, lambda k: _noun_end(raws, k, sh), sh)
    else:  # "strong inhibitors or inducers of (the isoenzyme) CYP3A4 (enzymes)"
        nouns, j, _ = _listed(raws, j, lambda k: _noun_end(raws, k, sh), sh)
        if not nouns or j >= n or raws[j].text != "of":
            return None
        j += 1
        j += len(_seq_at(raws, j, sh.leads))
        enzymes, j, enzymes_and = _listed(raws, j, enzyme_end, sh)
        if j < n and raws[j].text in sh.tails:
            j += 1
    if not (enzymes and nouns) or enzymes_and or said not in _SAID or _beside_neighbour(raws, i, j, sh):
        return None
    out: list[Raw] = []
    for (a, b) in nouns:
        noun = raws[a]
        for e, _ in enzymes:
            if out:
                out.append(Raw("word", "or", noun.start, noun.start))
            words = [*_SAID[said], raws[e].text, sh.nouns[noun.text]]
            out += [Raw("word", w, raws[i].start if not out and k == 0 else noun.start, noun.end) for k, w in enumerate(words)]
        out += raws[a + 1:b]  # the examples in parentheses
    if nouns[-1][1] - nouns[-1][0] == 1:
        out[-1] = Raw("word", out[-1].text, out[-1].start, raws[j - 1].end)
    return out, j - i


def shared_interactions(raws: list[Raw]) -> list[Raw]:
    """Interaction classes written with two nouns or enzymes sharing strength and enzyme, one class each (see
    ``_shared_run``); the grammar reads "X or Y" as either."""
    return rewrite_runs(raws, _shared_run)
