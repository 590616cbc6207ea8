"""Sentences that are statements a person makes, or permissions, rather than facts about the record.

The grammar reads facts ("platelets >= 100 x 10^9/L"). Eligibility sections also hold statements only a
person can make ("Patient or legal guardian willing to sign the informed consent form", "Any medical
condition that in the investigator's opinion would interfere with the study") and permissions that
demand nothing ("Prior radiotherapy allowed"). Their wording varies far more than facts do, so they are
recognised here by closed word lists (data/statements.toml) rather than by grammar rules: a sentence
becomes an attestation only when every word of it is on the lists, so any clinical word keeps it in
review. This runs only on sentences the grammar could not read.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from lark import Token

from . import ir
from .errors import ScreeningError
from .lexer import NOTHING_ATTESTED, AttestedWords, tokenize

_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class _Topic:
    name: str
    requires: tuple[frozenset[str], ...]
    allowed: frozenset[str]  # every word the topic's statements may hold: its own, the shared and the negative
    negative: frozenset[str]  # the shared negative words and the topic's own
    narrow: frozenset[str]
    broad: frozenset[str]
    numbers: bool
    positive_in_inclusion: bool
    joins: bool  # may be stated together with another topic in one sentence
    names: bool  # may name the treatment it is about ("comply with the IL-2 treatment regimen")
    phrase_only: bool = False  # read only as a lexer phrase: never a sentence from words; `allowed` = the words after it
    unless: re.Pattern[str] | None = None  # a sentence this finds is not the topic's ("patient or guardian ...")


@dataclass(frozen=True)
class _Lists:
    topics: tuple[_Topic, ...]
    endings: tuple[tuple[str, ...], ...]
    restricting: frozenset[str]


@lru_cache(maxsize=1)
def _lists() -> _Lists:
    d = tomllib.loads(resources.files("screening.data").joinpath("statements.toml").read_text("utf-8"))
    common, negative = frozenset(d["common"]["words"]), frozenset(d["negative"]["words"])
    topics = []
    for name, t in d["topics"].items():
        requires = tuple(frozenset(g) for g in t["requires"])
        own_negative = negative | frozenset(t.get("negative", ()))
        phrase_only = bool(t.get("phrase_only", False))
        allowed = frozenset(t["words"]) if phrase_only else (
            common | own_negative | frozenset(t["words"]) | frozenset().union(*requires))
        topics.append(_Topic(name, requires, allowed, own_negative, frozenset(t.get("narrow", ())),
                             frozenset(t.get("broad", ())), bool(t.get("numbers", False)),
                             t["inclusion_sign"] == "positive", bool(t.get("joins", True)),
                             bool(t.get("names", False)), phrase_only,
                             re.compile(t["unless"], re.I) if "unless" in t else None))
    endings = tuple(sorted((tuple(e.split()) for e in d["permission"]["endings"]), key=len, reverse=True))
    return _Lists(tuple(topics), endings, frozenset(d["permission"]["restricting"]))


def words_of(text: str) -> list[str]:
    """Lower-case words, split at spaces, hyphens and apostrophes."""
    return _WORD.findall(text.lower().replace("’", "'"))


def attested_words(topic: str) -> AttestedWords:
    """The words a statement of ``topic`` may hold, whether numbers and whether treatment names may stand
    among them: what may follow an attestation phrase and still only say what is attested to ("...
    contraception during and for 3 months after the study"). Any other word starts something else ("...
    contraception HIV positive allowed")."""
    found = next((t for t in _lists().topics if t.name == topic), None)
    return AttestedWords(found.allowed | found.narrow, found.numbers, found.names) if found else NOTHING_ATTESTED


def _covers(topics: list[_Topic], words: list[str]) -> bool:
    allowed = frozenset().union(*(t.allowed | t.narrow if t.narrow and not t.broad.isdisjoint(words) else t.allowed
                                  for t in topics))
    numbers = any(t.numbers for t in topics)
    return all(w in allowed or (numbers and w.isdigit()) for w in words)


def attestation_statement(text: str, kind: str) -> ir.Node | None:
    """The attestation a sentence states, or None when it is not (only) such a statement.

    Raises ValueError when it is one but filed on the wrong side ("willing to comply" among the
    exclusions would exclude the patients who comply)."""
    lists = _lists()
    words = words_of(text)
    if not words:
        return None
    present = set(words)
    candidates = [t for t in lists.topics if not t.phrase_only and all(not g.isdisjoint(present) for g in t.requires)
                  and not (t.unless and t.unless.search(text))]
    if not candidates:
        return None
    # one topic whose lists hold every word; else consent and compliance together
    # ("Must sign the informed consent and be willing to follow study procedures")
    chosen = next(([t] for t in candidates if _covers([t], words)), None)
    if chosen is None:
        joint = [t for t in candidates if t.positive_in_inclusion and t.joins]
        if len(joint) < 2 or not _covers(joint, words):
            return None
        chosen = joint
    negated = any(not present.isdisjoint(t.negative) for t in chosen)
    positive = {t.positive_in_inclusion for t in chosen}
    if len(positive) != 1:
        return None
    expected_negated = (kind == "inclusion") != positive.pop()
    if negated != expected_negated:
        side = "inclusions" if kind == "inclusion" else "exclusions"
        raise ValueError(f"a statement ({', '.join(t.name.replace('_', ' ') for t in chosen)}) whose sense "
                         f"does not fit the {side}: filed on the wrong side?")
    nodes: list[ir.Node] = [ir.Attestation(t.name) for t in chosen]
    if negated:
        nodes = [ir.Not(n) for n in nodes]
    if len(nodes) == 1:
        return nodes[0]
    # "unable to give consent or comply" excludes on either; "must consent and comply" needs both
    return ir.AnyOf(tuple(nodes)) if negated else ir.All(tuple(nodes))


def permission_subject(text: str) -> str | None:
    """The text before "allowed" when the sentence is a bare permission ("Prior surgery allowed"), else None.
    Only the subject's tokens decide (see ``is_plain_subject``); any restricting word rules it out."""
    lists = _lists()
    words = words_of(text)
    for ending in lists.endings:
        if tuple(words[-len(ending):]) == ending and len(words) > len(ending):
            if restricts(text):
                return None
            cut = _ending_start(text, ending)
            return text[:cut].strip(" ,:;") if cut is not None else None
    return None


def restricts(text: str) -> bool:
    """Words that may narrow a permission ("only", "if", "provided", "no more than") or any number."""
    words = words_of(text)
    return not _lists().restricting.isdisjoint(words) or any(w.isdigit() for w in words)


def is_listed_permission(text: str) -> bool:
    """An item under an "Allowed:" heading that names treatments or conditions and nothing narrower ("AZT.",
    "Prior radiotherapy"). One restricting word or any number ("for no longer than 3 months", "if stable")
    may hide a limit, so such an item is not one."""
    if not words_of(text) or restricts(text):
        return False
    try:
        toks, _ = tokenize(text)
    except ScreeningError:
        return False
    return is_plain_subject(toks)


def _ending_start(text: str, ending: tuple[str, ...]) -> int | None:
    m = re.search(r"\b" + r"\W+".join(map(re.escape, ending)) + r"\W*$", text, re.I)
    return m.start() if m else None


# a permission names treatments or conditions and nothing else: "Prior or concurrent chemotherapy allowed"
_PLAIN = frozenset({"DRUG", "PROCEDURE", "VACCINE", "CONDITION", "CGROUP", "STUDY", "HISTORY", "PRIOR", "USE",
                    "PROCUSE", "COMMA", "OR", "AND", "SYSTEMIC"})


def is_plain_subject(tokens: list[Token]) -> bool:
    """Tokens of a permission's subject that say what is allowed and nothing narrower."""
    return bool(tokens) and all(t.type in _PLAIN for t in tokens) and any(
        t.type in ("DRUG", "PROCEDURE", "VACCINE", "CONDITION", "CGROUP", "STUDY") for t in tokens)
