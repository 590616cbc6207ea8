"""Concept vocabularies: conditions, drugs and drug classes, vaccines, procedures.

The concepts are data (``screening/data/*.toml``, built from SNOMED CT, ICD-10-CM, RxNorm, ATC, MeSH);
this module loads them once, checks them, and maps a patient record entry (a name and/or a code) to
the set of concept keys it *is*. An entry the vocabularies do not know resolves to ``None``
(unrecognised), never to an empty set: "not that concept" is only said about things we recognise.
"""
from __future__ import annotations

import difflib
import re
import tomllib
import unicodedata
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources
from types import MappingProxyType
from typing import Any, Mapping

from ..errors import VocabularyError

__all__ = ["ANY_CONDITION", "ANY_SUBSTANCE", "Concept", "concepts", "drug_member_substances", "get_concept", "ancestors", "resolve", "prednisone_equivalent_factor",
           "is_live_vaccine", "normalize", "interaction_maybe"]

CATEGORIES: tuple[str, ...] = ("condition", "drug", "drug_class", "vaccine", "procedure", "substance")
#: record category -> concept categories its names are looked up in
RECORD_CATEGORIES: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "condition": ("condition",), "drug": ("drug", "drug_class", "substance"), "vaccine": ("vaccine",),
    "procedure": ("procedure",)})
#: code systems a bare code may belong to, per record category (a code may also be written "SYSTEM:code")
CODE_SYSTEMS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "condition": ("ICD10CM", "SNOMED"), "drug": ("RXNORM", "ATC", "MESH", "UNII"),
    "vaccine": ("CVX", "SNOMED", "ATC"), "procedure": ("SNOMED", "ICD10PCS", "CPT")})
FILES: tuple[str, ...] = ("conditions.toml", "cancers.toml", "drugs.toml", "vaccines.toml", "procedures.toml",
                          "substances.toml")
#: tables of a vocabulary file that are not concepts: how criteria compose cancer names (cancers.toml), the regimens
#: a record names by acronym (drugs.toml)
TABLES: Mapping[str, tuple[str, ...]] = MappingProxyType({"cancers.toml": ("confirmation", "histologies", "sites", "qualifiers"),
                                                          "drugs.toml": ("regimens", "release_suffixes"),
                                                          "substances.toml": ("drug_members",)})
#: the condition every record condition is, recognised or not: what "serious concurrent illness" names
#: (conditions.toml; matched against every entry by screening/evaluate/, read in criteria only through
#: phrases.toml [generic_illness])
ANY_CONDITION = "any_condition"
#: the substance every allergy entry is an allergy to (drugs.toml): what "or its excipients" can only be checked against
ANY_SUBSTANCE = "any_substance"
_FIELDS = frozenset({"name", "synonyms", "codes", "parents", "maybe_parents", "prednisone_equivalent", "stems",
                     "mesh_tree", "heads", "leads", "stage_of"})
_KEY_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_ICD_RE = re.compile(r"^([A-Z][0-9][0-9A-Z])\.?([0-9A-Z]{0,4})$")


@dataclass(frozen=True, slots=True)
class Concept:
    """One concept: a key, what it is called, its codes and its direct is-a parents."""

    key: str
    category: str
    name: str
    synonyms: tuple[str, ...]
    codes: tuple[tuple[str, str], ...]
    parents: tuple[str, ...]


# ---------------------------------------------------------------- normalisation

_SPELLING = (("haem", "hem"), ("anaem", "anem"), ("aemia", "emia"), ("oedem", "edem"), ("oesoph", "esoph"),
             ("tumour", "tumor"), ("ischaem", "ischem"), ("paed", "ped"), ("diarrhoea", "diarrhea"),
             ("coeliac", "celiac"), ("oestr", "estr"), ("foet", "fet"), ("sulph", "sulf"), ("tumours", "tumors"),
             ("ciclosporin", "cyclosporine"), ("aluminium", "aluminum"), ("orrhoea", "orrhea"))
_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4"}


def normalize(text: str) -> str:
    """Fold case, accents, punctuation, spacing and British spelling so equal phrases compare equal."""
    t = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    t = re.sub(r"['\u2019`]", "", t)
    t = re.sub(r"[^a-z0-9]+", " ", t).strip()
    for brit, amer in _SPELLING:
        t = t.replace(brit, amer)
    t = re.sub(r"\b(type|grade|stage|class) (iv|iii|ii|i)\b", lambda m: f"{m[1]} {_ROMAN[m[2]]}", t)
    t = re.sub(r"\b(non|anti) (?=[a-z0-9])", r"\1", t)      # non-melanoma = nonmelanoma, anti-PD-1 = antipd1
    t = re.sub(r"(?<=[a-z]) (?=\d)", "", t)                # covid 19 = covid19, il-2 = il2
    return t


# ---------------------------------------------------------------- loading

@dataclass(frozen=True, slots=True)
class _Vocab:
    concepts: Mapping[str, Concept]
    names: Mapping[str, Mapping[str, str]]            # record category -> normalized phrase -> key
    codes: Mapping[tuple[str, str], frozenset[str]]   # (system, code) -> keys
    ranges: tuple[tuple[str, str, str], ...]          # ICD-10-CM category ranges (lo, hi, key)
    atc_classes: tuple[tuple[str, str], ...]          # (ATC prefix, class key), longest first
    factors: Mapping[str, float]
    stems: tuple[tuple[str, str], ...]                # (USAN/INN stem suffix, class key)
    mesh_trees: tuple[tuple[str, str], ...]           # (MeSH tree prefix, class key)
    heads: Mapping[str, str]                          # last word of a condition name -> key
    leads: tuple[tuple[str, str], ...]                # leading phrase of a condition name -> key
    maybe_parents: Mapping[str, tuple[str, ...]]      # key -> classes some protocols count it in, others not
    stage_of: Mapping[str, tuple[str, ...]]           # key -> diseases it is a stage or state of


def _read(file: str) -> dict[str, Any]:
    text = resources.files("screening.data").joinpath(file).read_text(encoding="utf-8")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise VocabularyError(f"malformed vocabulary file: {exc}", source=file) from exc


def _codes(raw: Any, where: str, file: str) -> tuple[tuple[str, str], ...]:
    if not isinstance(raw, dict):
        raise VocabularyError(f"{where}: codes must be a table of SYSTEM = [codes]", source=file)
    out: list[tuple[str, str]] = []
    for system, values in raw.items():
        for value in [values] if isinstance(values, str) else values:
            out.append((system.upper(), str(value).strip().upper()))
    return tuple(out)


@lru_cache(maxsize=1)
def _vocab() -> _Vocab:
    """Load and check every vocabulary file once."""
    table: dict[str, Concept] = {}
    extra: dict[str, dict[str, Any]] = {}
    origin: dict[str, str] = {}
    for file in FILES:
        for category, entries in _read(file).items():
            if category in TABLES.get(file, ()):
                continue
            if category not in CATEGORIES:
                raise VocabularyError(f"unknown category [{category}]", source=file,
                                      suggestion=f"use one of {', '.join(CATEGORIES)}")
            for key, body in entries.items():
                where = f"[{category}.{key}]"
                if not _KEY_RE.match(key):
                    raise VocabularyError(f"{where}: key must be snake_case", source=file)
                if key in table:
                    raise VocabularyError(f"{where}: key already defined in {origin[key]}", source=file)
                unknown = set(body) - _FIELDS
                if unknown or "name" not in body:
                    raise VocabularyError(f"{where}: unknown fields {sorted(unknown)} or no name", source=file,
                                          suggestion=f"fields are {', '.join(sorted(_FIELDS))}")
                table[key] = Concept(key, category, body["name"],
                                     tuple(s.lower() for s in body.get("synonyms", ())),
                                     _codes(body.get("codes", {}), where, file), tuple(body.get("parents", ())))
                extra[key], origin[key] = body, file
    _add_interaction_classes(table)
    _check_graph(table, origin)
    return _index(table, extra, origin)


def _add_interaction_classes(table: dict[str, Concept]) -> None:
    """Drugs we list get the enzyme classes FDA's table puts them in (data/drug_interactions.toml), as parents."""
    from .interactions import memberships
    for key, classes in memberships()[0].items():
        unknown = sorted(c for c in classes if c not in table)
        if unknown:
            raise VocabularyError(f"{key}: unknown interaction classes {unknown}", source="drug_interactions.toml")
        c = table.get(key)
        if c is not None and c.category == "drug":
            table[key] = replace(c, parents=c.parents + tuple(sorted(classes - set(c.parents))))


def interaction_maybe(keys: frozenset[str]) -> frozenset[str]:
    """The enzyme classes a drug may be in (weak, boosted only, rated stronger by a second source)."""
    from .interactions import memberships
    maybe = memberships()[1]
    return frozenset().union(*(maybe.get(k.removeprefix("drug:"), frozenset()) for k in keys))


@lru_cache(maxsize=None)
def tables(file: str) -> Mapping[str, Any]:
    """The non-concept tables of a vocabulary file (``TABLES``), read once."""
    data = _read(file)
    return MappingProxyType({name: data.get(name, {}) for name in TABLES.get(file, ())})


@lru_cache(maxsize=1)
def drug_member_substances() -> frozenset[str]:
    """Substances a drug may be or be made of that no vocabulary tells (substances.toml [drug_members]: murine
    proteins, E. coli-derived proteins): an allergy to any drug may be an allergy to one of them."""
    return frozenset(tables("substances.toml")["drug_members"].get("substances", ()))


def _check_graph(table: Mapping[str, Concept], origin: Mapping[str, str]) -> None:
    for c in table.values():
        for p in c.parents:
            if p not in table:
                raise VocabularyError(f"{c.key}: unknown parent {p!r}", source=origin[c.key],
                                      suggestion=_suggest(p, table))
            if p == c.key:
                raise VocabularyError(f"{c.key} is its own parent", source=origin[c.key])
    state: dict[str, int] = {}

    def visit(key: str, path: tuple[str, ...]) -> None:
        if state.get(key) == 2:
            return
        if state.get(key) == 1:
            raise VocabularyError(f"is-a cycle: {' -> '.join(path + (key,))}", source=origin[key])
        state[key] = 1
        for p in table[key].parents:
            visit(p, path + (key,))
        state[key] = 2

    for key in table:
        visit(key, ())


def _index(table: Mapping[str, Concept], extra: Mapping[str, Mapping[str, Any]],
           origin: Mapping[str, str]) -> _Vocab:
    names: dict[str, dict[str, str]] = {group: {} for group in RECORD_CATEGORIES}
    codes: dict[tuple[str, str], set[str]] = {}
    ranges: list[tuple[str, str, str]] = []
    atc: list[tuple[str, str]] = []
    factors: dict[str, float] = {}
    stems: list[tuple[str, str]] = []
    trees: list[tuple[str, str]] = []
    heads: dict[str, str] = {}
    leads: list[tuple[str, str]] = []
    maybe_parents: dict[str, tuple[str, ...]] = {}
    stage_of: dict[str, tuple[str, ...]] = {}
    for c in table.values():
        group = "drug" if c.category in ("drug_class", "substance") else c.category
        for phrase in (c.name, c.key.replace("_", " "), *c.synonyms):
            norm = normalize(phrase)
            other = names[group].setdefault(norm, c.key)
            if other != c.key:
                raise VocabularyError(f"phrase {phrase!r} names both {other} and {c.key}", source=origin[c.key])
        for system, code in c.codes:
            if system == "ICD10CM" and "-" in code:
                lo, hi = code.split("-")
                ranges.append((lo, hi, c.key))
            else:
                codes.setdefault((system, _code_key(system, code)), set()).add(c.key)
            if system == "ATC" and c.category == "drug_class":
                atc.append((code, c.key))
        body = extra[c.key]
        if "prednisone_equivalent" in body:
            factors[c.key] = float(body["prednisone_equivalent"])
        stems += [(s.lstrip("-").lower(), c.key) for s in body.get("stems", ())]
        trees += [(t, c.key) for t in body.get("mesh_tree", ())]
        # a head "-ectomy" is a suffix of any word of the name (procedures), kept with its hyphen
        heads.update({("-" if h.startswith("-") else "") + normalize(h): c.key for h in body.get("heads", ())})
        leads += [(normalize(p) + " ", c.key) for p in body.get("leads", ())]
        if body.get("maybe_parents"):
            unknown = [k for k in body["maybe_parents"] if k not in table]
            if unknown:
                raise VocabularyError(f"{c.key}: unknown maybe_parents {unknown}", source=origin[c.key])
            maybe_parents[c.key] = tuple(body["maybe_parents"])
        if body.get("stage_of"):
            unknown = [k for k in body["stage_of"] if k not in table or k not in ancestors_in(table, c.key)]
            if unknown:
                raise VocabularyError(f"{c.key}: stage_of {unknown} unknown or not among its ancestors",
                                      source=origin[c.key])
            stage_of[c.key] = tuple(body["stage_of"])
    atc.sort(key=lambda item: -len(item[0]))
    return _Vocab(MappingProxyType(dict(table)), MappingProxyType({g: MappingProxyType(d) for g, d in names.items()}),
                  MappingProxyType({k: frozenset(v) for k, v in codes.items()}), tuple(ranges), tuple(atc),
                  MappingProxyType(factors), tuple(stems), tuple(trees), MappingProxyType(heads), tuple(leads),
                  MappingProxyType(maybe_parents), MappingProxyType(stage_of))


def ancestors_in(table: Mapping[str, Concept], key: str) -> frozenset[str]:
    """``ancestors`` while the vocabulary is being built."""
    out, todo = {key}, [key]
    while todo:
        for parent in table[todo.pop()].parents:
            if parent not in out:
                out.add(parent)
                todo.append(parent)
    return frozenset(out)


def _code_key(system: str, code: str) -> str:
    """The form a code is indexed under: ICD-10-CM without its dot, CVX without leading zeros."""
    if system == "ICD10CM":
        return code.replace(".", "")
    return code.lstrip("0") or "0" if system == "CVX" else code


def _suggest(key: str, pool: Mapping[str, object]) -> str | None:
    close = difflib.get_close_matches(key, list(pool), n=3)
    return f"did you mean {' or '.join(repr(k) for k in close)}?" if close else None


# ---------------------------------------------------------------- lookups

@lru_cache(maxsize=None)
def concepts(category: str | None = None) -> dict[str, Concept]:
    """All concepts, or those of one category, by key (loaded once; do not mutate)."""
    table = _vocab().concepts
    if category is None:
        return dict(table)
    if category not in CATEGORIES:
        raise VocabularyError(f"unknown concept category {category!r}", suggestion=_suggest(category, dict.fromkeys(CATEGORIES)))
    return {k: c for k, c in table.items() if c.category == category}


def get_concept(key: str) -> Concept:
    """The concept with this key; a VocabularyError naming the closest keys if there is none."""
    table = _vocab().concepts
    if key not in table:
        raise VocabularyError(f"unknown concept {key!r}", suggestion=_suggest(key, table))
    return table[key]


@lru_cache(maxsize=None)
def ancestors(key: str) -> frozenset[str]:
    """The key itself plus all its transitive is-a parents; a ``drug:<generic>`` key is its own only ancestor."""
    if key.startswith("drug:"):
        return frozenset({key})
    out = {key}
    for parent in get_concept(key).parents:
        out |= ancestors(parent)
    return frozenset(out)


def split_doubtful(keys: frozenset[str]) -> tuple[frozenset[str], frozenset[str]]:
    """A record entry's keys, and the classes it may or may not be in: hypertension is a circulatory disease by
    ICD-10-CM, and "no cardiovascular disease" in some protocols means it, in others not (``maybe_parents``).
    A class the entry reaches through a sure parent too stays sure; an ICD-10-CM chapter range holding its code
    does not make it sure (the chapter is the reading in doubt)."""
    table = _vocab().maybe_parents
    doubt = {a for k in keys for m in table.get(k, ()) for a in ancestors(m)}
    if not doubt:
        return keys, frozenset()
    sure = _closure(keys - doubt)
    return sure, frozenset(doubt - sure)


@lru_cache(maxsize=None)
def possible_ancestors(key: str) -> frozenset[str]:
    """Every class the concept is, or may be, in (its ancestors and those of its ``maybe_parents``)."""
    if key.startswith("drug:"):
        return frozenset({key})
    out = set(ancestors(key))
    for k in ancestors(key):
        for m in _vocab().maybe_parents.get(k, ()):
            out |= possible_ancestors(m)
    return frozenset(out)


@lru_cache(maxsize=None)
def stage_bases(key: str) -> frozenset[str]:
    """The diseases this concept is a stage or state of ("metastatic colorectal cancer" of colorectal cancer), taken
    through its ancestors too: a record entry of one of them, or of a kind of one ("colon cancer"), may not say the
    stage (``stage_of``), so it may be this concept."""
    if key.startswith("drug:"):
        return frozenset()
    return frozenset(b for k in ancestors(key) for b in _vocab().stage_of.get(k, ()))


def prednisone_equivalent_factor(drug_key: str) -> float | None:
    """Milligrams of prednisone equivalent to one milligram of this glucocorticoid; None if not one we know."""
    return _vocab().factors.get(drug_key)


def is_live_vaccine(key: str) -> bool:
    """Whether this vaccine concept is a live (attenuated) vaccine.

    False also for vaccines whose kind the name leaves open (``influenza_vaccine``); only an ancestor
    ``non_live_vaccine`` makes "not live" certain.
    """
    return "live_vaccine" in ancestors(key)


def resolve(category: str, name: str | None, code: str | None = None) -> frozenset[str] | None:
    """The concept keys a record entry IS (itself plus ancestors), or None when neither name nor code is known."""
    if category not in RECORD_CATEGORIES:
        raise VocabularyError(f"unknown record category {category!r}",
                              suggestion=f"use one of {', '.join(RECORD_CATEGORIES)}")
    found: set[str] = set()
    if code and code.strip():
        found |= _resolve_code(category, code.strip()) or frozenset()
    if name and name.strip():
        found |= _resolve_name(category, name.strip()) or frozenset()
    return frozenset(found) if found else None


def _closure(keys: set[str] | frozenset[str]) -> frozenset[str]:
    out: set[str] = set()
    for k in keys:
        out |= ancestors(k)
    return frozenset(out)


# the record readers use the tables above (imported last: they import this module's names)
from .records import _resolve_code, _resolve_name  # noqa: E402
