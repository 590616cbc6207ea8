"""Concept vocabularies: conditions, drugs and drug classes, vaccines, procedures.

The concepts are data (``screening/data/*.toml``, built from SNOMED CT, ICD-10-CM, RxNorm, ATC, MeSH);
this module loads them once, checks them, and maps a patient record entry (a name and/or a code) to
the set of concept keys it *is*. An entry the vocabularies do not know resolves to ``None``
(unrecognised), never to an empty set: "not that concept" is only said about things we recognise.
"""
from __future__ import annotations

import difflib
import html
import importlib.util
import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from .errors import VocabularyError

__all__ = ["ANY_CONDITION", "ANY_SUBSTANCE", "Concept", "concepts", "get_concept", "ancestors", "resolve", "prednisone_equivalent_factor",
           "is_live_vaccine", "normalize"]

CATEGORIES: tuple[str, ...] = ("condition", "drug", "drug_class", "vaccine", "procedure")
#: record category -> concept categories its names are looked up in
RECORD_CATEGORIES: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "condition": ("condition",), "drug": ("drug", "drug_class"), "vaccine": ("vaccine",),
    "procedure": ("procedure",)})
#: code systems a bare code may belong to, per record category (a code may also be written "SYSTEM:code")
CODE_SYSTEMS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "condition": ("ICD10CM", "SNOMED"), "drug": ("RXNORM", "ATC", "MESH"),
    "vaccine": ("CVX", "SNOMED", "ATC"), "procedure": ("SNOMED", "ICD10PCS", "CPT")})
FILES: tuple[str, ...] = ("conditions.toml", "cancers.toml", "drugs.toml", "vaccines.toml", "procedures.toml")
#: tables of a vocabulary file that are not concepts: how criteria compose cancer names (cancers.toml)
TABLES: Mapping[str, tuple[str, ...]] = MappingProxyType({"cancers.toml": ("confirmation", "histologies", "sites", "qualifiers")})
#: the condition every record condition is, recognised or not: what "serious concurrent illness" names
#: (conditions.toml; matched against every entry by screening/evaluate/, read in criteria only through
#: phrases.toml [generic_illness])
ANY_CONDITION = "any_condition"
#: the substance every allergy entry is an allergy to (drugs.toml): what "or its excipients" can only be checked against
ANY_SUBSTANCE = "any_substance"
_FIELDS = frozenset({"name", "synonyms", "codes", "parents", "maybe_parents", "prednisone_equivalent", "stems",
                     "mesh_tree", "heads", "leads"})
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
    _check_graph(table, origin)
    return _index(table, extra, origin)


@lru_cache(maxsize=None)
def tables(file: str) -> Mapping[str, Any]:
    """The non-concept tables of a vocabulary file (``TABLES``), read once."""
    data = _read(file)
    return MappingProxyType({name: data.get(name, {}) for name in TABLES.get(file, ())})


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
    for c in table.values():
        group = "drug" if c.category == "drug_class" else c.category
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
    atc.sort(key=lambda item: -len(item[0]))
    return _Vocab(MappingProxyType(dict(table)), MappingProxyType({g: MappingProxyType(d) for g, d in names.items()}),
                  MappingProxyType({k: frozenset(v) for k, v in codes.items()}), tuple(ranges), tuple(atc),
                  MappingProxyType(factors), tuple(stems), tuple(trees), MappingProxyType(heads), tuple(leads),
                  MappingProxyType(maybe_parents))


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


# ---------------------------------------------------------------- by code

@lru_cache(maxsize=4096)
def _resolve_code(category: str, code: str) -> frozenset[str] | None:
    system, _, value = code.rpartition("|") if "|" in code else code.rpartition(":")
    systems = (_system(system),) if system else CODE_SYSTEMS[category]
    value = value.strip().upper()
    allowed = set(RECORD_CATEGORIES[category])
    found: set[str] = set()
    for s in systems:
        keys = _icd_keys(value) if s == "ICD10CM" else _atc_keys(value) if s == "ATC" else \
            _vocab().codes.get((s, _code_key(s, value)), frozenset())
        found |= {k for k in keys if _vocab().concepts[k].category in allowed}
    return _closure(found) if found else None


def _system(name: str) -> str:
    """Our name for a code system written as ``SNOMED-CT``, ``sct``, ``http://snomed.info/sct``, ``ICD-10-CM`` ..."""
    s = re.sub(r"[^A-Z0-9]", "", name.upper())
    for ours, marks in (("SNOMED", ("SNOMED", "SCT")), ("ICD10CM", ("ICD10",)), ("RXNORM", ("RXNORM",)),
                        ("CVX", ("CVX",)), ("ATC", ("ATC",)), ("MESH", ("MESH",))):
        if any(m in s for m in marks):
            return ours
    return s


def _icd_keys(code: str, valid: bool = False) -> set[str]:
    """ICD-10-CM: the code's own concepts and those of every ancestor code or block range holding it. ``valid``:
    the code comes from the code set itself and need not be checked."""
    m = _ICD_RE.match(code.replace(" ", ""))
    if not m:
        return set()
    if not valid:
        import simple_icd_10_cm as cm   # slow to import: only when a record's ICD code is first resolved
        if not cm.is_valid_item(m[1] + ("." + m[2] if m[2] else "")):
            return set()
    flat, vocab = m[1] + m[2], _vocab()
    found: set[str] = set()
    for n in range(3, len(flat) + 1):
        found |= vocab.codes.get(("ICD10CM", flat[:n]), frozenset())
    found |= {key for lo, hi, key in vocab.ranges if lo <= m[1] <= hi}
    return found


def _atc_keys(code: str) -> set[str]:
    """ATC: the drug with this exact code, else the classes whose ATC group is a prefix of it."""
    exact = _vocab().codes.get(("ATC", code), frozenset())
    if exact:
        return set(exact)
    return {key for prefix, key in _vocab().atc_classes if code.startswith(prefix) and len(code) > len(prefix)}


# ---------------------------------------------------------------- by name

_LEADS_DROPPED = ("personal history of ", "past history of ", "history of ", "hx of ", "h o ", "known ", "diagnosis of ",
                  "diagnosed ")
_MODIFIERS = frozenset({"chronic", "acute", "severe", "mild", "moderate", "active", "uncontrolled", "recurrent",
                        "relapsed", "refractory", "advanced", "stable", "confirmed", "documented", "primary",
                        "intermittent", "persistent", "palliative"})
_HEDGES = frozenset({"no", "not", "without", "benign", "suspected", "suspicion", "possible", "probable", "risk",
                     "screening", "family", "fhx", "precancerous", "premalignant", "rule", "negative", "denies",
                     "absent", "excluded", "query", "questionable", "borderline", "pre"})
_DOSE_WORDS = frozenset("""mg mcg ug g kg ml l iu units unit mg/kg tablet tablets tab tabs capsule capsules cap caps
    injection inj solution suspension oral po iv im sc sq subcutaneous intravenous intramuscular topical cream
    ointment gel patch er xr sr dr xl la cr ec extended delayed release daily bid tid qid qd prn weekly once twice
    dose doses per day film coated chewable syrup drops spray inhaler inhalation powder vial pen prefilled syringe implant
    extra strength forte low baby regular enteric odt disintegrating hfa eye ear ophthalmic otic nasal vaginal rectal
    suppository lotion transdermal dosepak dosepack""".split())
#: store and maker names printed before a generic ("Bayer low dose aspirin", "Equate ibuprofen"): not part of the drug
_MAKERS = frozenset("bayer equate kirkland walgreens cvs rite aid up&up generic".split())
_NOT_THE_DRUG = _DOSE_WORDS | _MAKERS
#: inhaler devices printed after a product's name ("Advair Diskus", "Spiriva Respimat")
_DEVICES = frozenset({"diskus", "ellipta", "respimat", "handihaler", "turbuhaler", "flexhaler", "inhaler", "hfa"})
_NUMBERED = re.compile(r"#\s*\d|\bno\.?\s*\d\b", re.I)
_DOSE_RE = re.compile(r"(?<![a-z])\d[\d.,]*\s*(?:mg|mcg|ug|g|ml|l|iu|units?|%)?(?:\s*/\s*(?:kg|m2|day|d|dose|ml))*(?![a-z])")
_FORMULATION = frozenset("liposomal lipid complex implant pegylated conventional protein bound albumin".split())
_FREQ_RE = re.compile(r"q\d*[a-z]{0,2}|\d+x|x\d+|every|weeks?|months?|days?|hours?|monthly|nightly|hs|qhs")
_SALTS = frozenset("""hydrochloride hcl sulfate sodium potassium acetate phosphate succinate mesylate maleate
    citrate tartrate besylate hyclate fumarate bromide chloride dipropionate valerate propionate""".split())


def _variants(norm: str) -> list[str]:
    """Progressively less specific forms of a name that still denote a broader concept of the same thing."""
    out = [norm]
    for lead in _LEADS_DROPPED:
        if norm.startswith(lead):
            out.append(norm[len(lead):])
    words = out[-1].split()
    while words and words[0] in _MODIFIERS:
        words = words[1:]
        out.append(" ".join(words))
    last = out[-1]
    if re.search(r"[^su]s$", last) and len(last) > 4:
        out.append(last[:-1])
    return [v for v in out if v]


@lru_cache(maxsize=8192)
def _resolve_name(category: str, name: str) -> frozenset[str] | None:
    vocab, table = _vocab(), _vocab().names[category]
    # MeSH-style inverted names, as CT.gov lists conditions: "Leukoencephalopathy, Progressive Multifocal",
    # "Leukemia, Myeloid, Acute" read back to front; then the head before the first comma (broader)
    inverted = " ".join(part.strip() for part in reversed(name.split(","))) if "," in name else name
    # "Breast cancer stage II": the cancer, its stage left out (a criterion asking for a stage sees the entry as
    # less specific, never as proof of another stage)
    # (never stage IV: a metastatic cancer read as the plain cancer would deny its metastases)
    unstaged = re.sub(r"\bstage\s+(?:[0-3]|i{1,3})[a-c]?\d?\b", " ", name, flags=re.I)
    head, _, rest = name.partition(",")
    # the head alone is broader, but never one that leaves out the spread the rest names ("Colon cancer, metastatic":
    # read as a plain colon cancer it would deny the metastases; unresolved, it may be anything)
    spread = re.search(r"\b(?:metasta\w*|stage\s+(?:iv|4)|advanced|disseminated|spread)\b", rest, re.I)
    raw_forms = [name, re.sub(r"\([^)]*\)", " ", name), inverted, unstaged] + ([] if spread else [head])
    for form in dict.fromkeys(normalize(f) for f in raw_forms):
        for v in _variants(form):
            if v in table:
                return _closure({table[v]})
    norm = normalize(re.sub(r"\([^)]*\)", " ", name))
    if category == "drug":
        return _resolve_combination(name) or _resolve_drug(name, norm)
    if category == "condition" and not (set(norm.split()) & _HEDGES):
        code = next((c for f in dict.fromkeys(normalize(f) for f in (name, inverted)) if (c := _icd_titles().get(f))), None)
        keys = {k for k in _icd_keys(code, valid=True) if _vocab().concepts[k].category == "condition"} if code else set()
        if keys:  # "Malignant neoplasm of upper-outer quadrant of left female breast": read as its code (C50.412)
            return _closure(keys)
        if spread and _METASTATIC.search(rest) and (cancer := _resolve_name(category, head)) and "malignancy" in cancer:
            return _metastatic(cancer, broader=bool(re.fullmatch(r"\s*metastatic\s*", rest, re.I)))
        # "invasive lobular carcinoma of breast": the histology at its site, a leading qualifier left out (less specific)
        site = _cancer_at_site(norm) or _cancer_at_site(re.sub(r"^(?:invasive|infiltrating) ", "", norm))
        if site:
            return _closure({site})
        words = norm.split()
        if words and words[-1] in vocab.heads:
            return _closure({vocab.heads[words[-1]]})
        for lead, key in vocab.leads:
            if norm.startswith(lead) and vocab.concepts[key].category == "condition":
                return _closure({key})
    if category == "procedure":  # "radiotherapy to brain": a radiotherapy whatever the site
        return _resolve_procedure(norm)
    return None


#: leading words of a procedure name that leave it the same operation ("Radical nephrectomy", "Left nephrectomy")
_PROCEDURE_EXTENTS = frozenset({"radical", "total", "open", "left", "right", "bilateral", "unilateral"})
#: words of a procedure name that say it was not (or not yet) done
_PROCEDURE_HEDGES = _HEDGES | frozenset({"planned", "scheduled", "cancelled", "canceled", "declined", "deferred",
                                         "refused", "candidate", "evaluation", "consult", "consultation"})


#: words of a procedure done through an endoscope: its excision ("colonoscopy with polypectomy") is no clear surgery
_ENDOSCOPIC = frozenset({"endoscopy", "endoscopic", "colonoscopy", "colonoscopic", "cystoscopy", "cystoscopic",
                         "bronchoscopy", "bronchoscopic", "hysteroscopy", "hysteroscopic", "polypectomy", "transurethral",
                         "sigmoidoscopy", "egd", "ercp"})


def _resolve_procedure(norm: str) -> frozenset[str] | None:
    """A record's procedure name not listed: the same name less a side or extent word ("radical nephrectomy"), then
    a leading phrase ("radiotherapy to brain", "excision of ...") or a word suffix ("-ectomy") naming its kind."""
    vocab, table = _vocab(), _vocab().names["procedure"]
    words = norm.split()
    if set(words) & _PROCEDURE_HEDGES:
        return None
    rest = words
    while rest and rest[0] in _PROCEDURE_EXTENTS:
        rest = rest[1:]
        if (key := table.get(" ".join(rest))) is not None:
            return _closure({key})
    # "Stereotactic body radiotherapy to lung": a radiotherapy we know, whatever the site
    aimed = re.match(r"(.+?) (?:to|of) (?:the )?[a-z]", norm)
    if aimed and (key := table.get(aimed[1])) is not None and "radiotherapy" in ancestors(key):
        return _closure({key})
    if set(words) & _ENDOSCOPIC:
        return None  # an endoscopic polypectomy or resection: whether a protocol counts it as surgery, a person
    for lead, key in vocab.leads:
        if norm.startswith(lead) and vocab.concepts[key].category == "procedure":
            return _closure({key})
    for head, key in vocab.heads.items():
        if head.startswith("-") and vocab.concepts[key].category == "procedure" and any(
                w.endswith(head[1:]) for w in words):
            return _closure({key})
    return None


#: a spread named after the comma ("Carcinoma of breast, metastatic"), not denied ("non-metastatic")
_METASTATIC = re.compile(r"(?<![a-z])(?<!non-)(?<!non )metasta", re.I)


def _metastatic(cancer: frozenset[str], broader: bool = False) -> frozenset[str]:
    """A cancer said to be metastatic: its metastatic concept where the vocabularies have one ("metastatic breast
    cancer"), else the cancer with metastatic disease. With ``broader`` (the name says "metastatic" and no more),
    else the metastatic concept of a broader cancer it is ("Clear cell renal cell carcinoma, metastatic": a
    metastatic renal cell carcinoma, though no "metastatic clear cell ..." is listed). A name that goes on ("...,
    metastatic to liver") keeps the plain metastatic disease, whose sites stay open."""
    vocab = _vocab()
    own = max(cancer, key=lambda k: len(ancestors(k)))
    key = vocab.names["condition"].get(normalize("metastatic " + vocab.concepts[own].name))
    if key:
        return _closure({key})
    found = {m for k in cancer if broader and k not in ("malignancy", "neoplasm", "solid_tumor")
             if (m := vocab.names["condition"].get(normalize("metastatic " + vocab.concepts[k].name))) is not None}
    return cancer | _closure(found | {"metastatic_disease"})


@lru_cache(maxsize=1)
def _icd_titles() -> dict[str, str]:
    """ICD-10-CM titles, normalized -> the code (the first, broadest, where titles repeat): problem lists write a
    diagnosis as its title. Read from simple_icd_10_cm's copy of the CDC tabular list, without importing the
    package (its import builds the whole classification and takes seconds)."""
    spec = importlib.util.find_spec("simple_icd_10_cm")
    folder = Path(spec.origin).parent / "data" if spec and spec.origin else None
    tabular = next(iter(sorted(folder.glob("icd10c-tabular-*.xml"))), None) if folder else None
    if tabular is None:
        return {}
    out: dict[str, str] = {}
    for code, title in re.findall(r"<name>([A-Z][0-9][0-9A-Z](?:\.[0-9A-Z]{1,4})?)</name>\s*<desc>([^<]*)</desc>",
                                  tabular.read_text(encoding="utf-8")):
        out.setdefault(normalize(html.unescape(title)), code)
    return out


#: what joins the ingredients of a combination product's name ("oxycodone/acetaminophen", "amlodipine and benazepril")
_COMBINED = re.compile(r"\s*(?:/|\+|&|\band\b|(?<=[a-z])-(?=[a-z]))\s*", re.I)


def _resolve_combination(name: str) -> frozenset[str] | None:
    """A product named by its ingredients: every one of them, when each is a drug we know (else None)."""
    bare = _DOSE_RE.sub(" ", re.sub(r"\([^)]*\)", " ", name.lower()))
    parts = [p for p in _COMBINED.split(bare) if set(normalize(p).split()) - _NOT_THE_DRUG]
    if len(parts) < 2:
        return None
    found = [_resolve_name("drug", p.strip()) for p in parts]
    return frozenset().union(*found) if all(found) else None


@lru_cache(maxsize=1)
def _cancer_names() -> tuple[tuple[str, ...], dict[str, str], dict[str, str]]:
    """cancers.toml as record names: histology forms (longest first), site nouns and adjectives -> the site's cancer."""
    t = tables("cancers.toml")
    hist = sorted({normalize(f) for forms in t["histologies"].values() for f in forms}, key=len, reverse=True)
    nouns = {normalize(n): s["cancer"] for s in t["sites"].values() for n in (*s["nouns"], *s.get("record_nouns", ()))}
    adjs = {normalize(a): s["cancer"] for s in t["sites"].values()
            for a in (*s["adjectives"], *s.get("record_adjectives", ()))}
    return tuple(hist), nouns, adjs


def _cancer_at_site(norm: str) -> str | None:
    """A record's "<histology> of [the] <site>" or "<site> <histology>" ("adenocarcinoma of sigmoid colon"): the
    site's cancer. ICD-10-CM files every histology that cancers.toml lists by its site, so the record's diagnosis is
    that site's cancer (a criterion naming the histology is composed separately, see cancers.toml)."""
    hist, nouns, adjs = _cancer_names()
    for h in hist:
        for link in (" of the ", " of "):
            if norm.startswith(h + link) and norm[len(h + link):] in nouns:
                return nouns[norm[len(h + link):]]
        if norm.endswith(" " + h) and norm[:-len(h) - 1] in adjs:
            return adjs[norm[:-len(h) - 1]]
    return None


def _resolve_drug(name: str, norm: str) -> frozenset[str] | None:
    """A drug name not in our table: strip dose and form words, then ask the drug NER library."""
    table = _vocab().names["drug"]
    if _NUMBERED.search(name):  # "Tylenol #3", "Tylenol No. 3": the number names another ingredient (codeine)
        return None
    clean = _DOSE_RE.sub(" ", re.sub(r"\([^)]*\)", " ", name.lower()))
    words = [w for w in normalize(clean).split() if w not in _DOSE_WORDS and not _FREQ_RE.fullmatch(w)]
    bare = [w for w in words if w not in _SALTS] or words
    for form in (" ".join(words), " ".join(bare)):
        if form in table:
            return _closure({table[form]})
    tokens = tuple(t for t in (t.strip(",;:[]") for t in clean.split())
                   if normalize(t) and normalize(t) not in _NOT_THE_DRUG and not _FREQ_RE.fullmatch(normalize(t)))
    generics = _ner(tokens) if tokens else None
    if not generics and any(normalize(t) in _DEVICES for t in tokens):  # "Advair Diskus": the product without its device
        plain = tuple(t for t in tokens if normalize(t) not in _DEVICES)
        generics = _ner(plain) if plain else None
    if not generics:
        return None
    found: set[str] = set()
    for generic, trees in generics:
        words = normalize(generic).split()
        core = [w for w in words if w not in _SALTS and w not in _DOSE_WORDS and w not in _FORMULATION] or words
        key = table.get(" ".join(words)) or table.get(" ".join(core))
        found |= _closure({key}) if key else _unknown_generic(" ".join(core), trees)
    return frozenset(found)


def _unknown_generic(generic: str, trees: tuple[str, ...]) -> frozenset[str]:
    """A generic the NER library knows and we do not list: ``drug:<generic>`` plus classes from stems/MeSH trees."""
    vocab = _vocab()
    word = normalize(generic).replace(" ", "")
    hits = [(stem, key) for stem, key in vocab.stems if word.endswith(stem) and len(word) > len(stem) + 2]
    # the most specific stem wins: "-citinib" (JAK inhibitor) over "-tinib" (kinase inhibitor)
    classes = {key for stem, key in hits if not any(len(s) > len(stem) and s.endswith(stem) for s, _ in hits)}
    classes |= {key for prefix, key in vocab.mesh_trees if any(t.startswith(prefix) for t in trees)}
    return frozenset({"drug:" + normalize(generic).replace(" ", "_")}) | _closure(classes)


@lru_cache(maxsize=4096)
def _ner(tokens: tuple[str, ...]) -> tuple[tuple[str, tuple[str, ...]], ...] | None:
    """Generic names (with MeSH tree numbers) the NER library finds, if its matches cover every non-salt token."""
    from drug_named_entity_recognition import find_drugs   # slow to import: only on a table miss
    matches = find_drugs(list(tokens))
    covered = {i for _, start, end in matches for i in range(start, end)}
    needed = {i for i, t in enumerate(tokens) if normalize(t) not in _SALTS}
    if not matches or not needed <= covered:
        return None
    out: dict[str, tuple[str, ...]] = {}
    for data, _, _ in matches:
        generic = re.sub(r"\s*\([^)]*\)", "", str(data.get("name", "")).lower())   # "paclitaxel (with albumin)"
        generic = re.sub(r"-[a-z]{4}$", "", generic)                                 # biologic suffix: anifrolumab-fnia
        combo = " and " in generic or "/" in generic                                  # "abacavir, lamivudine, and zidovudine"
        parts = re.split(r",\s*(?:and\s+)?|\s+and\s+|\s*/\s*", generic) if combo else [generic]
        for part in parts:
            if part.strip():
                out[part.strip()] = tuple(data.get("mesh_tree") or ())
    return tuple(out.items()) or None
