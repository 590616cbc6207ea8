"""Reading a patient record's entry, by its code or its name, as the concept keys it is (see ``resolve``).

By code: SNOMED CT, ICD-10-CM (with its hierarchy), RxNorm, ATC, CVX. By name: the vocabularies' names and
synonyms, then the forms intake systems and CT.gov write (inverted, staged, qualified, ICD-10-CM titles, combination
products, brand names through the drug NER library). An entry nothing reads resolves to None (unrecognised).
"""
from __future__ import annotations

import html
import importlib.util
import re
from functools import lru_cache
from pathlib import Path

from . import RECORD_CATEGORIES, CODE_SYSTEMS, _ICD_RE, _vocab, _closure, ancestors, normalize, tables, _code_key
from .interactions import memberships


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
                        ("CVX", ("CVX",)), ("ATC", ("ATC",)), ("MESH", ("MESH",)), ("UNII", ("UNII",))):
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
_SIDE = re.compile(r"\b(?:right|left)(?:[- ]sided)?\b", re.I)
_HEDGES = frozenset({"no", "not", "without", "benign", "suspected", "suspicion", "possible", "probable", "risk",
                     "screening", "family", "fhx", "precancerous", "premalignant", "rule", "negative", "denies",
                     "absent", "excluded", "query", "questionable", "borderline", "pre"})
_FORM_WORDS = frozenset("""mg mcg ug g kg ml l iu units unit mg/kg tablet tablets tab tabs capsule capsules cap caps
    injection inj solution suspension oral po iv im sc sq subcutaneous intravenous intramuscular topical cream
    ointment gel patch extended delayed release daily bid tid qid qd prn weekly once twice
    dose doses per day film coated chewable syrup drops spray inhaler inhalation powder vial pen prefilled syringe implant
    extra strength forte low baby regular enteric disintegrating hfa eye ear ophthalmic otic nasal vaginal rectal
    suppository lotion transdermal dosepak dosepack pediatric paediatric childrens children's infant infants
    junior""".split())
#: release and formulation letters ("Toprol XL", "Megace ES", "Cardizem CD"): the same ingredient(s) as the name without
#: them (drugs.toml [release_suffixes]; HCT, D, PE, PM, DM name another ingredient and are not listed)
_RELEASE = frozenset(normalize(w) for w in tables("drugs.toml")["release_suffixes"]["words"])
_DOSE_WORDS = _FORM_WORDS | _RELEASE
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


#: words of a cancer's name that say it has spread ("Colon cancer, metastatic", "..., stage IV")
_SPREAD_WORDS = r"metasta\w*|stage\s+(?:iv|4)|advanced|disseminated|spread"
_SPREAD = re.compile(rf"\b(?:{_SPREAD_WORDS})\b", re.I)


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
    spread = _SPREAD.search(rest)
    if category == "procedure" and rest and _another_procedure(rest):
        return None  # "Lumpectomy, radiation": two procedures, never read as the first one
    raw_forms = [name, re.sub(r"\([^)]*\)", " ", name), inverted, unstaged] + ([] if spread else [head])
    for form in dict.fromkeys(normalize(f) for f in raw_forms):
        for v in _variants(form):
            if v in table:
                return _closure({table[v]})
    norm = normalize(re.sub(r"\([^)]*\)", " ", unstaged))  # "... of breast, stage IIB": the histology at its site
    if category == "drug":
        return _resolve_regimen(name) or _resolve_combination(name) or _resolve_drug(name, norm)
    if category == "condition" and not (set(norm.split()) & _HEDGES):
        code = next((c for f in dict.fromkeys(normalize(f) for f in (name, inverted)) if (c := _icd_titles().get(f))), None)
        keys = {k for k in _icd_keys(code, valid=True) if _vocab().concepts[k].category == "condition"} if code else set()
        if keys:  # "Malignant neoplasm of upper-outer quadrant of left female breast": read as its code (C50.412)
            return _closure(keys)
        if spread and _METASTATIC.search(rest) and (cancer := _resolve_name(category, head)) and "malignancy" in cancer:
            return _metastatic(cancer, broader=bool(re.fullmatch(r"\s*metastatic\s*", rest, re.I)))
        # "lobular carcinoma of breast": the histology at its site
        site = _cancer_at_site(norm)
        if not site and (site := _cancer_at_site(re.sub(r"^(?:invasive|infiltrating) ", "", norm))):
            # "Invasive ductal carcinoma of breast": the site's invasive cancer where the vocabularies have one
            invasive = _vocab().names["condition"].get(normalize("invasive " + _vocab().concepts[site].name))
            site = invasive or site
        if site:
            return _closure({site})
        if (tumour := _tumour_at_site(norm)) is not None:
            return tumour
        words = norm.split()
        if words and words[-1] in vocab.heads and vocab.concepts[vocab.heads[words[-1]]].category == "condition":
            return _closure({vocab.heads[words[-1]]})  # (a procedure's head, "Liver biopsy", names no condition)
        for lead, key in vocab.leads:
            if norm.startswith(lead) and vocab.concepts[key].category == "condition":
                return _closure({key})
        if _SIDE.search(name):  # "Invasive ductal carcinoma of right breast": a side names a kind of what it qualifies
            return _resolve_name(category, _SIDE.sub(" ", name))
    if category == "procedure":  # "radiotherapy to brain": a radiotherapy whatever the site
        if rest and set(normalize(rest).split()) <= _PROCEDURE_EXTENTS:
            norm = normalize(re.sub(r"\([^)]*\)", " ", head))  # "Total hip arthroplasty, right"
        return _resolve_procedure(norm)
    return None


def _another_procedure(rest: str) -> bool:
    """Whether a part of a procedure's name after a comma names a procedure of its own ("..., radiation"), not a
    site or side ("..., left breast")."""
    return any(_resolve_name("procedure", part.strip()) is not None for part in rest.split(",") if part.strip())


#: leading words of a procedure name that leave it the same operation ("Radical nephrectomy", "Left nephrectomy")
_PROCEDURE_EXTENTS = frozenset({"radical", "total", "open", "left", "right", "bilateral", "unilateral"})
#: words of a procedure name that say it was not (or not yet) done
_PROCEDURE_HEDGES = _HEDGES | frozenset({"planned", "scheduled", "cancelled", "canceled", "declined", "deferred",
                                         "refused", "candidate", "evaluation", "consult", "consultation"})


#: words of a procedure done through an endoscope: its excision ("colonoscopy with polypectomy") is no clear surgery
_ENDOSCOPIC = frozenset({"endoscopy", "endoscopic", "colonoscopy", "colonoscopic", "cystoscopy", "cystoscopic",
                         "bronchoscopy", "bronchoscopic", "hysteroscopy", "hysteroscopic", "polypectomy", "transurethral",
                         "sigmoidoscopy", "egd", "ercp"})


_JOINED = re.compile(r"\b(?:and|with|plus|followed by)\b|[+/&,;]")


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
    if _JOINED.search(norm):
        return None  # "Lumpectomy and radiation", "mastectomy with sentinel node biopsy": more than one procedure
    for lead, key in vocab.leads:
        if norm.startswith(lead) and vocab.concepts[key].category == "procedure":
            return _closure({key})
    # "Core needle biopsy of left breast": the noun before "of" names the kind (a head of procedures.toml)
    head = norm.split(" of ", 1)[0].split()[-1:]
    if head and (key := vocab.heads.get(head[0])) is not None and vocab.concepts[key].category == "procedure":
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


#: words around a regimen's acronym on a medication list ("R-CHOP chemotherapy", "FOLFOX regimen x 6 cycles")
_REGIMEN_WORDS = frozenset({"regimen", "chemotherapy", "chemo", "immunochemotherapy", "chemoimmunotherapy", "protocol",
                            "cycle", "cycles", "course", "courses", "x"})
_COUNT_RE = re.compile(r"(?:x|c|cycles?|courses?)?\d+x?")


@lru_cache(maxsize=1)
def _regimens() -> dict[str, frozenset[str]]:
    """drugs.toml [regimens]: each acronym, normalized -> its member drugs (with their classes)."""
    return {normalize(n): _closure(set(r["members"])) for r in tables("drugs.toml")["regimens"].values()
            for n in r["names"]}


def _resolve_regimen(name: str) -> frozenset[str] | None:
    """A chemotherapy regimen named by its acronym ("R-CHOP", "mFOLFOX6 x 6 cycles"), or a combination product by
    its brand with a strength ("Percocet 5/325"): every member drug."""
    bare = re.sub(r"\([^)]*\)", " ", name)
    for form in (bare, _DOSE_RE.sub(" ", bare.lower())):  # the strength after: "Percocet 5/325 mg"
        words = normalize(form).split()
        kept = [w for w in words if w not in _REGIMEN_WORDS and w not in _DOSE_WORDS and not _COUNT_RE.fullmatch(w)]
        if kept and (members := _regimens().get(" ".join(kept))) is not None:
            return members
    return None


#: a name's part after "of" that says the tumour has spread or come back: not the plain tumour
_SPREAD_AFTER = re.compile(rf"\b(?:{_SPREAD_WORDS}|secondary|recurren\w*)\b", re.I)


def _tumour_at_site(norm: str) -> frozenset[str] | None:
    """"Pilocytic astrocytoma of cerebellum", "Glioblastoma multiforme of frontal lobe": a tumour we know (a
    neoplasm), named with where it lies, is that tumour (the site narrows it). Not when the rest says it spread."""
    head, sep, rest = norm.partition(" of ")
    if not sep or not rest or _SPREAD_AFTER.search(rest):
        return None
    table = _vocab().names["condition"]
    key = next((table[v] for v in _variants(head) if v in table), None)
    return _closure({key}) if key is not None and "neoplasm" in ancestors(key) else None


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
    # the name with its release letters first ("Bicillin C-R" is another product than "Bicillin"), then without
    kept = [w for w in normalize(clean).split() if w not in _FORM_WORDS and not _FREQ_RE.fullmatch(w)]
    words = [w for w in kept if w not in _RELEASE]
    bare = [w for w in words if w not in _SALTS] or words
    for form in (" ".join(kept), " ".join(words), " ".join(bare)):
        if form in table:
            return _closure({table[form]})
    with_letters = tuple(t for t in (t.strip(",;:[]") for t in clean.split()) if normalize(t)
                         and normalize(t) not in _FORM_WORDS | _MAKERS and not _FREQ_RE.fullmatch(normalize(t)))
    tokens = tuple(t for t in with_letters if normalize(t) not in _RELEASE)
    generics = _ner(with_letters) if with_letters != tokens else None
    generics = generics or (_ner(tokens) if tokens else None)
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
    # a stem ends a word of the name: "enfortumab vedotin" is a -mab (an antibody-drug conjugate)
    words = normalize(generic).replace("-", " ").split() or [""]
    hits = [(stem, key) for stem, key in vocab.stems
            if any(w.endswith(stem) and len(w) > len(stem) + 2 for w in words)]
    # the most specific stem wins: "-citinib" (JAK inhibitor) over "-tinib" (kinase inhibitor)
    classes = {key for stem, key in hits if not any(len(s) > len(stem) and s.endswith(stem) for s, _ in hits)}
    classes |= {key for prefix, key in vocab.mesh_trees if any(t.startswith(prefix) for t in trees)}
    key = normalize(generic).replace(" ", "_")
    classes |= memberships()[0].get(key, frozenset())  # FDA's interaction classes (data/drug_interactions.toml)
    return frozenset({"drug:" + key}) | _closure(classes)


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
