"""The phrase tables the lexer matches: data/phrases.toml and the vocabularies, read once into one Lexicon
(longest-match keys by their first word).
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any


from .. import cancers, units, vocab
from ..patient import medication_use
from .tokens import _RAW, normalize_text


def _allergy_leads(d: dict[str, Any]) -> list[str]:
    """"<lead> <noun> [or <noun>] <prep>" and "<lead> <a>, <b> or <c> <prep>": the ways criteria name an allergy."""
    nouns, listing = d["nouns"], d["listing_nouns"]
    heads = list(nouns)
    heads += [f"{a} {sep} {b}" for a in nouns for b in nouns if a != b for sep in ("or", "and/or", "/", ",")]
    heads += [f"{a}, {b}{comma} {sep} {c}" for a in listing for b in listing for c in listing if len({a, b, c}) == 3
              for comma in ("", ",") for sep in ("or",)]
    return [f"{lead} {h} {p}".strip() for lead in d["leads"] for h in heads for p in d["preps"]]


def _anaphylaxis_leads(d: dict[str, Any]) -> list[str]:
    """"<lead> <severe noun> <prep>" ("history of anaphylaxis to"): an allergy whose severity a person weighs."""
    return [f"{lead} {n} {p}".strip() for lead in d["leads"] for n in d["severe_nouns"] for p in d["preps"]]


def _similar_leads(d: dict[str, Any]) -> list[str]:
    """"<lead> <reaction> <compounds of similar composition to>": the NCI template, an allergy to X or to a like compound."""
    return [f"{lead} {r} {o}".strip() for lead in d["leads"] for r in d["similar_reactions"] for o in d["similar_objects"]]


def _disease_methods(d: dict[str, Any]) -> list[str]:
    """Every "<lead> [the] <name> <version>" of phrases.toml [disease_methods], and its imaging phrases."""
    return [" ".join(w for w in (lead, art, name, version) if w) for lead in d["leads"] for art in d["articles"]
            for name in d["names"] for version in d["versions"]] + list(d["imaging"])


def _anchor_template(d: dict[str, list[str]]) -> list[str]:
    """phrases.toml [anchor_template]: "<lead> <article> <noun>", the start of this study however named."""
    return [" ".join(w for w in (lead, art, noun) if w) for lead in d["lead"] for art in d["article"] for noun in d["noun"]]


def phrase_key(phrase: str) -> tuple[str, ...]:
    """Words of a phrase as the lexer sees them (hyphens between words dropped, compounds joined)."""
    words = [m.group() for m in _RAW.finditer(normalize_text(phrase)) if m.group() not in ("-",)]
    joined = compound_words()
    for i in range(len(words) - 2, -1, -1):
        one = joined.get((words[i], words[i + 1]))
        if one:
            words[i:i + 2] = [one]
    return tuple(words)


@lru_cache(maxsize=1)
def compound_words() -> dict[tuple[str, str], str]:
    """phrases.toml [compound_words]: one word also written as two or hyphenated ("child-bearing"), keyed by its parts."""
    return {(a, b): one for one, parts in phrase_data()["compound_words"].items() for a, b in (p.split() for p in parts)}


class Ordinal(float):
    """A numeral read as a rank ("grade 3", "class III"): never a measured value with its unit left out."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Lexicon:
    """Every phrase the lexer knows, built once from the data files."""

    phrases: dict[tuple[str, ...], tuple[str, Any]]
    longest: int
    uln: frozenset[tuple[str, ...]]
    anchors: frozenset[tuple[str, ...]]
    #: words after an anchor or a study phrase that add nothing checkable ("or during the study", "with an investigational drug")
    anchor_tails: frozenset[tuple[str, ...]]
    #: "during the study or" before a window that ends on an anchor (phrases.toml [anchor_tails] before_window)
    plan_leads: frozenset[tuple[str, ...]]
    #: "at the time of", "on the day of" before an anchor (phrases.toml [anchor_tails] at_anchor)
    at_anchor: frozenset[tuple[str, ...]]
    study_tails: frozenset[tuple[str, ...]]
    #: "5 half-lives of the drug": what follows the number of a half-lives alternative
    half_lives: frozenset[tuple[str, ...]]
    unit_words: frozenset[str]
    time_units: dict[str, str]
    ordinal_leads: frozenset[tuple[str, ...]]
    numbers: dict[str, int]
    modifiers: frozenset[str]
    condition_tests: dict[str, str]
    condition_quantities: dict[str, str]
    present_use: frozenset[str]
    past_use: frozenset[str]
    cancers: cancers.Cancers


def phrase_alternation(words: list[str]) -> str:
    """Phrases of a word list as one regex alternation, longest first, any run of spaces between their words."""
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(words, key=len, reverse=True))


@lru_cache(maxsize=1)
def phrase_data() -> dict[str, Any]:
    """data/phrases.toml, read once for the lexer and the heading rules of ``screening.assemble``."""
    return tomllib.loads(resources.files("screening.data").joinpath("phrases.toml").read_text("utf-8"))


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    d = phrase_data()
    table: dict[tuple[str, ...], tuple[str, Any]] = {}

    record_only = {phrase_key(p) for p in d["record_only"]["phrases"]}

    def add(phrases: list[str], kind: str, value: Any = None) -> None:
        for p in phrases:
            key = phrase_key(p)
            if key and key not in table and key not in record_only:
                table[key] = (kind, value)

    for key, phrases in d["attestation"].items():
        negated = key.startswith("not_")
        add(phrases, "ATTEST", (key.removeprefix("not_"), negated))
    for key, phrases in d["investigator_judgement"].items():  # "(as judged by the investigator)": screening/compile/judgement.py
        add(phrases, "OPINION", key)
    add(d["study"]["phrases"], "STUDY")
    add(d["blocking"]["phrases"], "WORD")
    add(d["population"]["phrases"], "POPULATION")
    for key, phrases in d["drug_phrases"].items():
        add(phrases, "DRUG", key)
    add(d["history_or_current"]["phrases"], "HISTORY")
    add(_anaphylaxis_leads(d["allergy"]), "ALLERGY", "anaphylaxis")  # before the generic leads: first one wins
    add(_similar_leads(d["allergy"]), "ALLERGY", "similar")
    add(d["allergy"]["study_tails"], "EXCIPIENTS", "study")
    add(d["allergy"]["similar_tails"], "EXCIPIENTS", "similar")
    add(d["allergy"]["phrases"], "ALLERGY")
    add(d["allergy"]["tails"], "ALLERGYTAIL")
    add(d["allergy"]["contraindication"], "ALLERGY", "contraindication")
    add(_allergy_leads(d["allergy"]), "ALLERGY")
    add(d["allergy"]["components"], "EXCIPIENTS")
    add(d["allergy"]["components_of"], "COMPONENTSOF")
    add(d["if_condition"]["phrases"], "IFCOND")
    add(d["unless"]["phrases"], "UNLESS")
    add(d["if_condition"]["present"], "PRESENT")
    add(d["suspected"]["phrases"], "SUSPECTED")
    add(d["systemic"]["phrases"], "SYSTEMIC")
    add(d["recovered_from"]["phrases"], "RECOVEREDFROM")
    add(d["indication"]["treatment_for"], "TREATFOR")
    add(d["indication"]["phrases"], "FOR")
    add(d["judged"]["both"], "FILLER")
    add(d["judged"]["phrases"], "JUDGED")
    add([*d["generic_illness"]["phrases"], *d["generic_illness"]["systemic"]], "GENERIC")
    add(d["setting"]["phrases"], "SETTING")
    add(d["setting"]["after"], "SETTINGAFTER")
    add(d["half_lives"]["longer"], "WHICHEVER", "at_least")
    add(d["half_lives"]["shorter"], "WHICHEVER", "at_most")
    r = d["requiring"]
    add([f"{lead} {obj}" for lead in r["leads"] for obj in r["objects"]], "NEEDS")
    add(r["leads"], "REQUIRING")
    add(r["without"], "NEEDS")
    t = d["study_template"]
    add([" ".join(w for w in (lead, art, kind, noun) if w) for lead in t["lead"] for art in t["article"]
         for kind in t["kind"] for noun in t["noun"]], "STUDY")
    for key, phrases in d["measure_methods"].items():
        add(phrases, "METHOD", key)
    for name, ks in d["test_groups"].items():
        add([name], "QTEST", tuple(ks))
    add(_disease_methods(d["disease_methods"]), "METHOD", tuple(d["disease_methods"]["tests"]))
    for name, ks in d["quantity_groups"].items():
        add([name], "QGROUP", tuple(ks))
    for name, ks in d["condition_groups"].items():
        add([name], "CGROUP", tuple(ks))
    add(d["diagnosis_criteria"]["phrases"], "DXCRIT")
    add(d["criteria_bodies"]["phrases"], "FILLER")
    # vocabularies: quantities, then concepts
    for q in units.quantities().values():
        if q.key == "age":  # ages have their own grammar (AGE ... years)
            continue
        kind = "QTEST" if q.kind == "qualitative" else "QUANTITY"  # tests and measurements read differently
        add([q.name, q.key.replace("_", " "), *q.synonyms], kind, q.key)
    # "history of stroke" names stroke in a record; in criteria text the lead is timing the grammar reads
    leads = {phrase_key(p) for p in (*d["history"]["phrases"], *d["prior"]["phrases"])}

    def timed(p: str) -> bool:
        key = phrase_key(p)
        return any(key[:k] in leads for k in range(1, len(key)))

    systemic = [phrase_key(p) for p in d["systemic"]["phrases"]]

    route_words = _route_words()
    routes = [phrase_key(w) for w in (*route_words, *_route_text()["before_drug_only"])]

    def routed(p: str, own: set[tuple[str, ...]]) -> bool:
        """"systemic corticosteroids", "oral corticosteroids": the route is read apart (ir.Medication.systemic,
        .route) when the rest names the same drug; "oral anticoagulants" is a class of its own and stays."""
        key = phrase_key(p)
        return any(key[:len(k)] == k and len(key) > len(k) for k in systemic) or any(
            key[:len(k)] == k and key[len(k):] in own for k in routes)

    for c in vocab.concepts().values():
        if c.key in (vocab.ANY_CONDITION, vocab.ANY_SUBSTANCE):  # named only through phrases, always weighed
            continue
        kind = {"condition": "CONDITION", "drug": "DRUG", "drug_class": "DRUG", "vaccine": "VACCINE",
                "procedure": "PROCEDURE", "substance": "SUBSTANCE"}[c.category]
        own = {phrase_key(p) for p in (c.name, *c.synonyms)}
        add([p for p in (c.name, *c.synonyms) if not timed(p) and not (kind == "DRUG" and routed(p, own))], kind, c.key)
    for word, name in route_words.items():  # "oral corticosteroids": ir.Medication.route
        add([word], "ROUTE", name)
    d_stable = medication_use()["stable_dose"]
    add(d_stable["of"], "STABLEOF")
    add(d_stable["bare"], "STABLE")
    for op, phrases in d["comparators"].items():
        add(phrases, "CMP", op)
    for op, phrases in d["postfix_comparators"].items():
        add(phrases, "POSTCMP", op)
    add([f"{lead} {noun}" for lead in d["replacement_doses"]["leads"] for noun in d["replacement_doses"]["nouns"]],
        "REPLDOSE")
    for op, phrases in d["age_comparators"].items():
        add(phrases, "AGECMP", op)
    simple = [("window", "WINDOW"), ("prior", "PRIOR"), ("history", "HISTORY"), ("negation", "NEG"),
              ("positive", "POS"), ("negative", "NEGRES"), ("high_dose", "HIGHDOSE"), ("use", "USE"),
              ("procedure_use", "PROCUSE"), ("age", "AGE"), ("age_tail", "AGETAIL"), ("pregnant", "PREGNANT"),
              ("lactating", "LACTATING"), ("such_as", "SUCHAS"), ("except", "EXCEPT"), ("and", "AND"), ("or", "OR"),
              ("between", "BETWEEN"), ("at_least_of", "ATLEASTOF"), ("test_word", "TESTWORD"),
              ("decreased", "DECREASED"), ("elevated", "ELEVATED"), ("abnormal", "ABNORMAL"), ("children", "CHILDREN"), ("ever", "EVER"), ("normal", "NORMAL"), ("since", "SINCE"),
              ("negated_history", "NEGHIST"), ("negative_tail", "NEGTAIL"),
              ("recovered", "RECOVERED"), ("sterile", "STERILE")]
    for section, kind in simple:
        add(d[section]["phrases"], kind)
    add(d["abnormal"]["nouns"], "ABNORMALITY")  # "liver function test abnormalities"
    for section, kind in (("pregnant", "PREGNANT"), ("lactating", "LACTATING")):  # "non-pregnant": NEG and the state
        add(d[section]["negated"], "NEGFLAG", kind)
    for sex, phrases in d["sex"].items():
        add(phrases, "SEX", sex)
    add(["to"], "TO")
    add(d["uln_bare"]["phrases"], "ULNBARE")
    add(_limits(d["uln"], ("", "the")), "ULNBARE")
    add([*d["lln_bare"]["phrases"], *_limits({**d["lln_bare"], "owners": d["uln"]["owners"]}, ("", "the"))], "LLNBARE")
    add(d["fillers"]["phrases"], "FILLER")
    add(cancers.confirmation_leads(vocab.tables("cancers.toml")["confirmation"]), "FILLER")
    add(cancers.qualifier_phrases(vocab.tables("cancers.toml")["qualifiers"]), "JUDGED")
    time_units = {w: unit for unit, words in d["time_units"].items() for w in words}
    return Lexicon(
        phrases=table, longest=max(len(k) for k in table),
        uln=frozenset(phrase_key(p) for p in (*d["uln"]["phrases"], *_limits(d["uln"], d["uln"]["multipliers"]))),
        anchors=frozenset(phrase_key(p) for p in (*d["anchors"]["phrases"], *_anchor_template(d["anchor_template"]))),
        anchor_tails=frozenset(phrase_key(p) for p in d["anchor_tails"]["phrases"]),
        plan_leads=frozenset(phrase_key(p) for p in d["anchor_tails"]["before_window"]),
        at_anchor=frozenset(phrase_key(p) for p in d["anchor_tails"]["at_anchor"]),
        study_tails=frozenset(phrase_key(p) for p in t["tail"] if p),
        half_lives=frozenset(phrase_key(f"{n} {o}") for n in d["half_lives"]["nouns"] for o in d["half_lives"]["owners"]),
        unit_words=frozenset(d["unit_words"]["words"]), time_units=time_units,
        ordinal_leads=frozenset(phrase_key(p) for p in d["ordinal_leads"]["phrases"]),
        numbers=dict(d["number_words"]), modifiers=frozenset(d["modifiers"]["phrases"]),
        condition_tests=dict(d["condition_tests"]), condition_quantities=dict(d["condition_quantities"]),
        present_use=frozenset(d["present_use"]["phrases"]), past_use=frozenset(d["past_use"]["phrases"]),
        cancers=cancers.build(vocab.tables("cancers.toml"), phrase_key),
    )


def _route_text() -> dict[str, Any]:
    return medication_use()["route_text"]


def _route_words() -> dict[str, str]:
    """Route spellings read in criteria text -> canonical route (the short record abbreviations left out)."""
    skip = {*_route_text()["record_only"], *_route_text()["before_drug_only"]}
    names = {w: name for name, words in medication_use()["route_names"].items() for w in words if w not in skip}
    names.update({g: g for g in medication_use()["route_groups"]})
    names.update(_route_text()["group_words"])
    return names


def _limits(table: dict[str, Any], leads: Any) -> list[str]:
    """Every "<lead> <limit> <owner>" of a reference-limit table ("1.5 times the institutional upper limit of
    normal for age"): the lists of phrases.toml [uln] and [lln_bare]."""
    return [" ".join(w for w in (lead, limit, owner) if w) for lead in leads for limit in table["limits"]
            for owner in table["owners"]]

