"""The criteria lexer: eligibility text -> tokens of grammars/criteria.lark.

Longest-match over phrase tables (``data/phrases.toml``) and the vocabularies; numbers take their
unit, ULN multiple or titer with them, converted later by the grammar's transformer. A word that
matches nothing becomes WORD, which the grammar rejects: unknown wording goes to review.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, NamedTuple

from lark import Token

from . import cancers, units, vocab
from .errors import ScreeningError
from .patient import medication_use, route_name

_RAW = re.compile(r"""
 (?P<titer>(?<![\d.])1\s*:\s*\d+(?:,\d{3})*)
|(?P<num>\d+(?:,\d{3})+(?:\.\d+)?|\d*\.\d+|\d+)
|(?P<cmp>>=|<=|=>|=<|>|<|=)
|(?P<word>[a-z][a-z0-9']*)
|(?P<punct>[(),;:\[\]/+\-%])
""", re.VERBOSE)

_NEW_CLAUSE = frozenset({"be", "have", "must", "is", "are", "will", "should", "can", "not", "agree", "live",
                         "reside", "undergo", "provide", "has"})
_STAGE = re.compile(r"(?:i{1,3}|iv|v|[0-4])[a-c]?\d?")
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6}
_SPLIT_CMP = re.compile(r"=\s*or\s*([<>])|([<>])\s+=(?!\s*or\b)|([<>])=\s*to\b(?=\s*[\d.])")
_CMP_SYMBOL = {">=": ">=", "=>": ">=", "<=": "<=", "=<": "<=", ">": ">", "<": "<"}
_TRANSLATE = str.maketrans({"≥": ">=", "≤": "<=", "≧": ">=", "≦": "<=", "×": " x ", "µ": "u", "μ": "u", "–": "-",
                            "—": "-", "’": "'", "‘": "'", "＞": ">", "＜": "<", "⩾": ">=", "⩽": "<=", "²": "2", "³": "3",
                            "\u00a0": " ", "*": "*"})


def normalize_text(text: str) -> str:
    """Lower-case, comparators and micro signs in one spelling, markdown escapes removed."""
    text = text.replace("\\", "").replace("> or =", ">=").replace("< or =", "<=").replace(">/=", ">=").replace("</=", "<=")
    text = _SPLIT_CMP.sub(lambda m: (m.group(1) or m.group(2) or m.group(3)) + "=", text)  # "= or >", "> =", ">= to"
    return text.translate(_TRANSLATE).lower()


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


def phrase_key(phrase: str) -> tuple[str, ...]:
    """Words of a phrase as the lexer sees them (hyphens between words dropped)."""
    return tuple(m.group() for m in _RAW.finditer(normalize_text(phrase)) if m.group() not in ("-",))


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
                "procedure": "PROCEDURE"}[c.category]
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
    simple = [("window", "WINDOW"), ("prior", "PRIOR"), ("history", "HISTORY"), ("negation", "NEG"),
              ("positive", "POS"), ("negative", "NEGRES"), ("high_dose", "HIGHDOSE"), ("use", "USE"),
              ("procedure_use", "PROCUSE"), ("age", "AGE"), ("age_tail", "AGETAIL"), ("pregnant", "PREGNANT"),
              ("lactating", "LACTATING"), ("such_as", "SUCHAS"), ("except", "EXCEPT"), ("and", "AND"), ("or", "OR"),
              ("between", "BETWEEN"), ("at_least_of", "ATLEASTOF"), ("test_word", "TESTWORD"),
              ("decreased", "DECREASED"), ("elevated", "ELEVATED"), ("normal", "NORMAL"), ("since", "SINCE"),
              ("negated_history", "NEGHIST"), ("negative_tail", "NEGTAIL"),
              ("recovered", "RECOVERED"), ("sterile", "STERILE")]
    for section, kind in simple:
        add(d[section]["phrases"], kind)
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
        anchors=frozenset(phrase_key(p) for p in d["anchors"]["phrases"]),
        anchor_tails=frozenset(phrase_key(p) for p in d["anchor_tails"]["phrases"]),
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


@dataclass(frozen=True, slots=True)
class Raw:
    kind: str
    text: str
    start: int
    end: int


def raw_tokens(text: str) -> list[Raw]:
    out = [Raw(m.lastgroup or "", m.group(), m.start(), m.end()) for m in _RAW.finditer(text)]
    # a hyphen joining two words is part of the word ("anti-dsDNA"): drop it
    # a hyphen joining a word or a number to a word is part of it ("anti-dsDNA", "2.5-times", "5-year")
    # and so is one joining a name to its number ("HIV-1", "IL-2", "COVID-19")
    return [r for i, r in enumerate(out)
            if not (r.text == "-" and 0 < i < len(out) - 1 and out[i - 1].end == r.start and out[i + 1].start == r.end
                    and (out[i - 1].kind in ("word", "num") and out[i + 1].kind == "word"
                         or out[i - 1].kind == "word" and out[i + 1].kind == "num"))]


class ActiveToken(Token):
    """A condition after the dropped word "active" ("active tuberculosis infection"): latent forms do not count."""

    __slots__ = ()


def _phrase_token(raws: list[Raw], i: int, kind: str, value: Any, end: int) -> Token:
    """The token of the phrase starting at ``raws[i]``; a condition after the dropped word "active" is an
    ActiveToken (its latent forms do not count)."""
    active = kind in ("CONDITION", "CGROUP") and (i > 0 and raws[i - 1].text == "active" or raws[i].text == "active")
    return (ActiveToken if active else Token)(kind, value, start_pos=raws[i].start, end_pos=end)


def _tok(kind: str, value: Any, r: Raw) -> Token:
    return Token(kind, value, start_pos=r.start, end_pos=r.end)


_GENOTYPE_JOINS = frozenset({"or", ",", "and", "/", "-", "to"})


def _genotypes(raws: list[Raw], i: int, toks: list[Token]) -> int | None:
    """"HCV genotype 1 or 4", "hepatitis C, genotype 1", "hepatitis C virus (HCV) genotype 1a infection": after a
    hepatitis C condition, its genotypes are a qualifier a person weighs (ir.Judged: no hepatitis C, not met; with
    it, review): the lexer puts a JUDGED token before the condition. Records seldom state a genotype, and a
    genotype is no kind of chronic or acute hepatitis C. Returns the index after them, or None."""
    kinds = [t.type for t in toks[-4:]]
    at = -4 if kinds == ["CONDITION", "LPAR", "CONDITION", "RPAR"] \
        and str(toks[-2].value) in vocab.ancestors(str(toks[-4].value)) \
        else -2 if kinds[-2:] == ["CONDITION", "COMMA"] else -1
    if len(toks) < -at or toks[at].type != "CONDITION" or "hepatitis_c" not in vocab.ancestors(str(toks[at].value)):
        return None
    words, j, n = ["genotype"], i + 1, len(raws)
    while j < n and raws[j].kind == "num" and raws[j].text.isdigit():
        words.append(raws[j].text)
        j += 1
        if j < n and raws[j].start == raws[j - 1].end and re.fullmatch("[a-e]", raws[j].text):  # "1a", "1b"
            words[-1] += raws[j].text
            j += 1
        if j + 1 < n and raws[j].text in _GENOTYPE_JOINS and raws[j + 1].kind == "num":
            words.append(raws[j].text)
            j += 1
        elif j + 2 < n and raws[j].text == "," and raws[j + 1].text in ("or", "and") and raws[j + 2].kind == "num":
            words.extend((raws[j].text, raws[j + 1].text))
            j += 2
    if len(words) < 2 or raws[j - 1].kind not in ("num", "word") or (j < n and raws[j].start == raws[j - 1].end
                                                                      and raws[j].kind in ("word", "num")):
        return None
    end = raws[j - 1].end
    if j < n and raws[j].text in ("infection", "infections"):
        end, j = raws[j].end, j + 1
    head = toks[at]
    del toks[at:]
    qualifier = " ".join(words).replace(" ,", ",").replace(" - ", "-").replace(" / ", "/")
    toks.append(Token("JUDGED", qualifier, start_pos=head.start_pos, end_pos=head.start_pos))  # read before it
    toks.append(type(head)("CONDITION", head.value, start_pos=head.start_pos, end_pos=end))
    return j


class LexError(ScreeningError):
    """Text the lexer cannot turn into tokens the grammar accepts (never shown to users as a crash)."""


def tokenize(text: str) -> tuple[list[Token], str]:
    """Tokens of one normalized sentence, and the sentence text they index into. Cached: a sentence is read
    by the compiler, by heading rules and by the coverage report; the list is the caller's own copy."""
    toks, norm = _tokenize(text)
    return list(toks), norm


@lru_cache(maxsize=65536)
def _tokenize(text: str) -> tuple[tuple[Token, ...], str]:
    toks, norm = _read(text)
    return tuple(toks), norm


def _read(text: str) -> tuple[list[Token], str]:
    lx = lexicon()
    text = normalize_text(text)
    raws = raw_tokens(text)
    toks: list[Token] = []
    i, n = 0, len(raws)
    choice = _segment(raws, lx)
    shared = _coordinated_heads(raws, choice, lx)
    swallow, attested = False, NOTHING_ATTESTED
    while i < n:
        r = raws[i]
        if swallow:  # after an attestation: the rest only says what is attested to
            if r.text == "and" and i + 1 < n and raws[i + 1].text in _NEW_CLAUSE:
                swallow = False  # "... sign an informed consent and be geographically accessible": a new demand
                continue
            hit = _match(raws, i, lx)
            if hit and hit[1][0] == "ATTEST":
                toks.append(Token("AND", "and", start_pos=r.start, end_pos=r.start))
                j, (kind, value) = hit
                toks.append(_tok(kind, value, r))
                attested = _attested(value[0])
                i = j
                continue
            if hit and hit[1][0] in ("DRUG", "PROCEDURE") and attested.names:
                i = hit[0]  # "comply with the IL-2 treatment regimen": the treatment complied with
                continue
            if _says_what_is_attested(r, attested):
                i += 1
                continue
            swallow = False  # a word the attestation cannot hold begins another statement: read, never dropped
        if r.text == "or" and (end := _half_lives_at(raws, i, lx)):  # "or 5 half-lives": see _bound_windows
            toks.append(Token("HALFLIVES", text[r.start:raws[end - 1].end], start_pos=r.start, end_pos=raws[end - 1].end))
            i = end
            continue
        if i in shared:  # "liver, kidney or heart failure": "liver" names "liver failure"
            j, key = shared[i]
            toks.append(_phrase_token(raws, i, "CONDITION", key, raws[j - 1].end))
            i = j
            continue
        if r.text == "genotype" and (genotyped := _genotypes(raws, i, toks)) is not None:
            i = genotyped  # "HCV genotype 1 or 4": a genotype a person weighs
            continue
        if r.kind == "titer":
            toks.append(_tok("TITER", float(r.text.split(":")[1].replace(",", "")), r))
            i += 1
            continue
        if r.kind == "num" and toks and toks[-1].type == "CMP" and (joined := _joined_number(raws, i)) is not None:
            value, j = joined  # "< 8,5 %", "<= 100 000/uL": one threshold written the European way
            toks.append(Token("NUMBER", value, start_pos=r.start, end_pos=raws[j - 1].end))
            i = _after_number(raws, j, text, toks, lx)
            continue
        if r.kind == "num" or (r.kind == "word" and r.text in lx.numbers and not choice[i]):
            value = float(r.text.replace(",", "")) if r.kind == "num" else float(lx.numbers[r.text])
            toks.append(_tok("NUMBER", value, r))
            i = _after_number(raws, i + 1, text, toks, lx)
            continue
        if r.kind == "cmp":
            toks.append(_tok("EQ" if r.text == "=" else "CMP", _CMP_SYMBOL.get(r.text, "=="), r))
            i += 1
            continue
        if r.kind == "punct":
            kind = {"(": "LPAR", "[": "LPAR", ")": "RPAR", "]": "RPAR", ",": "COMMA", ":": "COLON", "-": "TO",
                    "/": "OR", "+": "WORD", "%": "WORD", ";": "COMMA"}.get(r.text, "WORD")
            toks.append(_tok(kind, r.text, r))
            i += 1
            continue
        # "stage IIIB or IV non-small cell lung cancer": a stage the record seldom states (ir.Judged)
        if r.text == "stage" and i + 1 < n and _STAGE.fullmatch(raws[i + 1].text) and not (toks and toks[-1].type == "QUANTITY"):
            j = i + 2
            while j < n:
                if raws[j].start == raws[j - 1].end + 1 and _STAGE.fullmatch(raws[j].text):  # "III-IV": hyphen dropped
                    j += 1
                elif j + 1 < n and raws[j].text in ("or", ",", "-", "to", "and", "/") and _STAGE.fullmatch(raws[j + 1].text):
                    j += 2
                elif j + 2 < n and raws[j].text == "," and raws[j + 1].text in ("or", "and") \
                        and _STAGE.fullmatch(raws[j + 2].text):  # "stage IIB, IIIA, or IIIB"
                    j += 3
                else:
                    break
            toks.append(Token("JUDGED", text[r.start:raws[j - 1].end], start_pos=r.start, end_pos=raws[j - 1].end))
            i = j
            continue
        # ordinal lead: "class III", "grade 3"
        lead = next((len(k) for k in sorted(lx.ordinal_leads, key=len, reverse=True)
                     if tuple(x.text for x in raws[i:i + len(k)]) == k), 0)
        if lead and i + lead < n and (raws[i + lead].text in _ROMAN or raws[i + lead].kind == "num"):
            nxt = raws[i + lead]
            value = Ordinal(_ROMAN.get(nxt.text) or nxt.text)
            toks.append(_tok("NUMBER", value, nxt))
            i += lead + 1
            # "class II-IV", "grade 3 or 4", "class III or IV": the following numerals are of the same scale
            while i < n:
                if raws[i].text in _ROMAN and raws[i].start == raws[i - 1].end + 1:  # "II-IV": hyphen dropped
                    toks.append(_tok("TO", "-", raws[i]))
                    toks.append(_tok("NUMBER", Ordinal(_ROMAN[raws[i].text]), raws[i]))
                    i += 1
                elif i + 1 < n and raws[i].text in ("-", "to", "or", ",", "and") and raws[i + 1].text in _ROMAN:
                    toks.append(_tok("TO" if raws[i].text in ("-", "to") else "OR" if raws[i].text == "or" else
                                     "COMMA" if raws[i].text == "," else "AND", raws[i].text, raws[i]))
                    toks.append(_tok("NUMBER", Ordinal(_ROMAN[raws[i + 1].text]), raws[i + 1]))
                    i += 2
                else:
                    break
            continue
        if r.text in ("of", "from", "preceding") and toks and toks[-1].type == "TIMEUNIT":
            anchor: list[Token] = []
            j = _anchor(raws, i + 1, lx, anchor)
            if anchor:  # "within 4 weeks of study entry": counted back from the screening date
                toks.append(_tok("PRIOR", r.text, r))
                toks.extend(anchor)
                i = j
                continue
        if r.kind == "word" and r.text in lx.time_units and len(toks) > 2 and toks[-1].type == "RPAR" \
                and toks[-2].type == "NUMBER" and toks[-3].type == "LPAR":
            toks.append(_tok("TIMEUNIT", lx.time_units[r.text], r))  # "seven (7) days"
            i += 1
            continue
        if r.kind == "word" and r.text in lx.time_units and toks and toks[-1].type == "WINDOW":
            toks.append(_tok("TIMEUNIT", lx.time_units[r.text], r))  # "within the past month"
            i += 1
            continue
        if not choice[i] and r.text in _route_text()["before_drug_only"] and _before_drug(raws, i + 1, choice, lx):
            toks.append(_tok("ROUTE", route_name(r.text), r))  # "IV antibiotics"; "stage IV" is a numeral
            i += 1
            continue
        if r.kind == "word":
            cancer = cancers.cancer_at(raws, i, lx)
            if cancer is not None and cancers.cancer_wins(raws, i, choice, lx, cancer):
                j, sites = cancer
                toks.extend(cancers.cancer_tokens(sites, r.start, raws[j - 1].end))
                i = j
                continue
        if r.kind == "word" and not choice[i] and cancers.TNM.fullmatch(r.text):
            j, letters = cancers.tnm_at(raws, i)
            staged = len(toks) > 1 and toks[-1].type == "LPAR" and toks[-2].type == "JUDGED" \
                and str(toks[-2].value).startswith("stage") and j < n and raws[j].text == ")"
            if staged:  # "stage IIIA (T1-3, N2)": one qualifier
                toks.pop()
                stage = toks.pop()
                toks.append(Token("JUDGED", f"{stage.value} ({text[r.start:raws[j - 1].end]})",
                                  start_pos=stage.start_pos, end_pos=raws[j].end))
                i = j + 1
                continue
            if len(letters) > 1:  # "T1, N0-2, M0"; a lone "T3" may be a thyroid hormone or an MRI sequence
                toks.append(Token("JUDGED", text[r.start:raws[j - 1].end], start_pos=r.start, end_pos=raws[j - 1].end))
                i = j
                continue
        if not choice[i] and r.text in _drug_nouns() and toks and toks[-1].type == "DRUG" and i > 0 \
                and toks[-1].end_pos == raws[i - 1].end:
            # "anticoagulant medications": the noun adds nothing to the drug just before it
            last = toks.pop()
            toks.append(Token("DRUG", last.value, start_pos=last.start_pos, end_pos=r.end))
            i += 1
            continue
        if not choice[i] and r.text in phrase_data()["other_than_trial"]["words"] and _this_trial_other(raws, i + 1, choice, lx):
            i += 1  # "since other prior investigational drugs": at screening none of this trial's were given
            continue
        if not choice[i]:
            if r.text in _ROMAN and len(r.text) > 1 and toks and toks[-1].type in ("QUANTITY", "TO", "OR", "COMMA"):
                toks.append(_tok("NUMBER", Ordinal(_ROMAN[r.text]), r))  # "NYHA class III", "III or IV"
            elif r.text in _ROMAN and toks and toks[-1].type == "NUMBER" and r.start == raws[i - 1].end + 1:
                toks.append(_tok("TO", "-", r))  # "II-IV" (the hyphen was dropped between words)
                toks.append(_tok("NUMBER", Ordinal(_ROMAN[r.text]), r))
            else:
                toks.append(_tok("WORD", r.text, r))
            i += 1
            continue
        j = i + choice[i]
        kind, value = lx.phrases[tuple(x.text for x in raws[i:j])]
        if kind == "NEGHIST":  # "no prior X": negation of the history of X
            toks.append(Token("NEG", "no", start_pos=r.start, end_pos=r.end))
            toks.append(Token("HISTORY", "prior", start_pos=r.start, end_pos=raws[j - 1].end))
        elif kind == "NEG" and j - i > 1 and raws[j - 1].text in ("concurrent", "current") \
                and _next_kind(raws, j, choice, lx) not in ("HISTORY", "PRIOR", "NEGHIST"):
            # "no concurrent radiotherapy": the negation and the time frame (now) it carries
            toks.append(Token("NEG", text[r.start:raws[j - 2].end], start_pos=r.start, end_pos=raws[j - 2].end))
            toks.append(_tok("USE", raws[j - 1].text, raws[j - 1]))
        elif kind == "FILLER" and j == i + 1 and r.text == "for" and _treatment_before(toks) \
                and _next_kind(raws, j, choice, lx) not in ("CMP", "NUMBER", None) and not (j < n and raws[j].kind == "num"):
            # "chemotherapy for melanoma": what a treatment is for is part of the statement (a duration,
            # "for 6 months", is not); dropped, "X for either Y or Z" would read as "X or Y or Z"
            toks.append(Token("FOR", "for", start_pos=r.start, end_pos=r.end))
        elif kind == "FILLER" and j == i + 1 and r.text == "for" and _drug_before(toks) \
                and (_next_kind(raws, j, choice, lx) == "CMP" or j < n and raws[j].kind == "cmp" and raws[j].text != "="):
            # "zidovudine for more than 6 months": how long it was taken (ir.Duration), not how long ago
            toks.append(Token("LASTING", "for", start_pos=r.start, end_pos=r.end))
        elif kind != "FILLER":
            toks.append(_phrase_token(raws, i, kind, value if value is not None else text[r.start:raws[j - 1].end],
                                         raws[j - 1].end))
        if kind == "PRIOR":
            j = _anchor(raws, j, lx, toks)
        if kind == "STUDY":  # "participation in another trial with an investigational drug": still a study
            j = _tail(raws, j, lx.study_tails, toks)
        if kind == "ATTEST":
            swallow, attested = True, _attested(value[0])
        i = j
    toks = _metastatic_sites(_infection_with(_generic_illness(_bound_windows(_settings_after(toks))), text))
    collapsed = _collapse(toks, text)
    while len(collapsed) < len(toks):  # "SGPT (alanine aminotransferase [ALT])": the inner repeat first
        toks, collapsed = collapsed, _collapse(collapsed, text)
    # "colon cancer that is metastatic": the qualifier before the cancer (after "X (X)" restatements collapse)
    return _above_normal(_pressure_pairs(_baseline_values(_value_anchors(cancers.qualified(collapsed, text))), text)), text


class AttestedWords(NamedTuple):
    """What may follow an attestation phrase of one topic (screening.statements.attested_words)."""

    words: frozenset[str]
    numbers: bool  # "for 3 months after the last dose"
    names: bool  # drug and procedure names: "comply with the IL-2 treatment regimen"


NOTHING_ATTESTED = AttestedWords(frozenset(), False, False)


@lru_cache(maxsize=None)
def _attested(topic: str) -> AttestedWords:
    from .statements import attested_words  # statements reads criteria with this lexer
    return attested_words(topic)


def _says_what_is_attested(r: Raw, attested: AttestedWords) -> bool:
    """A raw token after an attestation phrase that only says what is attested to (screening.statements lists)."""
    if r.kind == "word":
        return all(w in attested.words for w in r.text.split("'") if w)
    return r.kind == "punct" or (attested.numbers and r.kind == "num")


def _half_lives_at(raws: list[Raw], i: int, lx: Lexicon) -> int:
    """End of "or [within] <number> <half-lives noun> [<owner>]" at ``raws[i]`` (0: none there)."""
    j = i + 1 + (i + 1 < len(raws) and raws[i + 1].text == "within")
    if j >= len(raws) or not (raws[j].kind == "num" or raws[j].text in lx.numbers):
        return 0
    j += 1
    for size in range(min(8, len(raws) - j), 0, -1):
        if tuple(r.text for r in raws[j:j + size]) in lx.half_lives:
            return j + size
    return 0


def _bound_windows(toks: list[Token]) -> list[Token]:
    """"within 28 days or 5 half-lives (whichever is longer) prior to X" -> WINDOW NUMBER TIMEUNIT BOUND PRIOR ANCHOR.

    The alternative may stand before or after the anchor, in parentheses or between commas. Without a "whichever"
    phrase (or with no window before it) it stays an unknown word: which of the two periods is meant?"""
    out = list(toks)
    while (h := next((k for k, t in enumerate(out) if t.type == "HALFLIVES"), None)) is not None:
        folded = _fold_half_lives(out, h)
        if folded is None:
            out[h] = Token("WORD", "half-lives", start_pos=out[h].start_pos, end_pos=out[h].end_pos)
        else:
            out = folded
    return [Token("WORD", "whichever", start_pos=t.start_pos, end_pos=t.end_pos) if t.type == "WHICHEVER" else t
            for t in out]


def _fold_half_lives(toks: list[Token], h: int) -> list[Token] | None:
    def at(k: int, *kinds: str) -> bool:
        return 0 <= k < len(toks) and toks[k].type in kinds

    p = h - 1
    opened = at(p, "LPAR")
    if at(p, "LPAR", "COMMA"):
        p -= 1
    anchor: list[Token] = []
    if at(p, "ANCHOR") and at(p - 1, "PRIOR"):
        anchor, p = toks[p - 1:p + 1], p - 2
    if not (at(p, "TIMEUNIT") and at(p - 1, "NUMBER")):
        return None
    q = h + 1
    if at(q, "COMMA"):
        q += 1
    if not anchor and at(q, "PRIOR") and at(q + 1, "ANCHOR"):
        anchor, q = toks[q:q + 2], q + 2
        if at(q, "COMMA"):
            q += 1
    if at(q, "LPAR") and at(q + 1, "WHICHEVER"):
        opened, q = True, q + 1
    if not at(q, "WHICHEVER"):
        return None
    which = toks[q]
    q += 1
    if opened:
        if not at(q, "RPAR"):
            return None
        q += 1
    if not anchor and at(q + at(q, "COMMA"), "PRIOR") and at(q + at(q, "COMMA") + 1, "ANCHOR"):
        q += at(q, "COMMA")
        anchor, q = toks[q:q + 2], q + 2
    bound = Token("BOUND", which.value, start_pos=toks[h].start_pos, end_pos=which.end_pos)
    return [*toks[:p + 1], bound, *anchor, *toks[q:]]


@lru_cache(maxsize=1)
def _generic_words() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """phrases.toml [generic_illness]: the weak nouns, and the qualifiers and time words that make them generic."""
    g = phrase_data()["generic_illness"]
    return frozenset(g["weak"]), frozenset(g["qualifiers"]), frozenset(g["times"])


def _generic_illness(toks: list[Token]) -> list[Token]:
    """"Serious concurrent disease": a weak noun ("disease", "condition") right after qualifiers and time words
    that all speak of illness in general is a GENERIC token; after any other word ("measurable disease", "stage IV
    disease") it stays a WORD. A WORD "other" right before a generic illness ("any other serious illness") is
    dropped: any condition goes to a person anyway."""
    weak, quals, times = _generic_words()
    out: list[Token] = []
    for t in toks:
        if t.type == "WORD" and str(t.value).lower() in weak:
            lead = []
            for x in reversed(out):
                if x.type not in ("JUDGED", "USE", "COMMA", "OR", "AND"):
                    break
                lead.append(x)
            words = [x for x in lead if x.type in ("JUDGED", "USE")]
            if words and all(str(x.value).lower() in (quals if x.type == "JUDGED" else times) for x in words) \
                    and lead[0].type in ("JUDGED", "USE"):
                t = Token("GENERIC", t.value, start_pos=t.start_pos, end_pos=t.end_pos)
        out.append(t)
    kept: list[Token] = []
    for i, t in enumerate(out):
        if t.type == "WORD" and str(t.value).lower() == "other":
            j = i + 1
            while j < len(out) and out[j].type in ("JUDGED", "USE"):
                j += 1
            if j < len(out) and out[j].type == "GENERIC":
                continue
        kept.append(t)
    return kept


@lru_cache(maxsize=1)
def _drug_nouns() -> frozenset[str]:
    return frozenset(phrase_data()["setting"]["drug_nouns"])


def _treatment_before(toks: list[Token]) -> bool:
    """A drug or procedure just before, perhaps with an opening parenthesis: "antibiotics (for ...)"."""
    if toks and toks[-1].type == "LPAR":
        toks = toks[:-1]
    return bool(toks) and (toks[-1].type in ("DRUG", "PROCEDURE") or
                           toks[-1].type == "QUANTITY" and toks[-1].value in phrase_data()["therapy_counts"]["quantities"])


def _drug_before(toks: list[Token]) -> bool:
    """A drug just before, perhaps with its abbreviation in parentheses: "zidovudine (AZT)"."""
    types = [t.type for t in toks[-4:]]
    return types[-1:] == ["DRUG"] or types == ["DRUG", "LPAR", "DRUG", "RPAR"]


def _before_drug(raws: list[Raw], j: int, choice: list[int], lx: Lexicon) -> bool:
    """A drug follows, perhaps after other routes ("IV or oral antibiotics", "IV bolus of steroids")."""
    while j < len(raws):
        if raws[j].kind == "punct" and raws[j].text in ("/", ","):
            j += 1
            continue
        if not choice[j]:
            return raws[j].text in _route_text()["before_drug_only"]
        kind = lx.phrases[tuple(x.text for x in raws[j:j + choice[j]])][0]
        if kind == "DRUG":
            return True
        if kind not in ("FILLER", "ROUTE", "OR", "SYSTEMIC"):
            return False
        j += choice[j]
    return False


def _this_trial_other(raws: list[Raw], j: int, choice: list[int], lx: Lexicon) -> bool:
    """"other" before investigational agents or studies ("other prior investigational drugs") means other than this
    trial's, of which a patient at screening has had none: the word adds nothing (phrases.toml [other_than_trial])."""
    while j < len(raws) and choice[j]:
        kind, value = lx.phrases[tuple(x.text for x in raws[j:j + choice[j]])]
        if kind not in ("FILLER", "PRIOR", "HISTORY", "USE"):
            return kind == "STUDY" or (kind == "DRUG" and value in phrase_data()["other_than_trial"]["drugs"])
        j += choice[j]
    return False


def _next_kind(raws: list[Raw], j: int, choice: list[int], lx: Lexicon) -> str | None:
    """The kind of the next phrase from raw token ``j`` on that is not a filler word."""
    while j < len(raws) and choice[j]:
        kind = lx.phrases[tuple(x.text for x in raws[j:j + choice[j]])][0]
        if kind != "FILLER":
            return kind
        j += choice[j]
    return None


def _segment(raws: list[Raw], lx: Lexicon) -> list[int]:
    """Phrase boundaries that leave the fewest unknown words, then the fewest phrases.

    Greedy longest match would read "except in situ carcinoma" as EXCEPT("except in") + "situ"...;
    this picks EXCEPT("except") + CONDITION("in situ carcinoma ..."). Returns, per raw token, the
    length of the phrase starting there (0: none).
    """
    n = len(raws)
    cost = [0.0] * (n + 1)
    choice = [0] * (n + 1)
    for i in range(n - 1, -1, -1):
        if raws[i].kind != "word":
            cost[i] = cost[i + 1]
            continue
        best, take = (0.0 if raws[i].text in lx.numbers else 1.0) + cost[i + 1], 0
        words: list[str] = []
        for j in range(i, min(n, i + lx.longest)):
            words.append(raws[j].text)
            if tuple(words) in lx.phrases and 0.01 + cost[j + 1] <= best:
                best, take = 0.01 + cost[j + 1], j - i + 1
        cost[i], choice[i] = best, take
    return choice


_LIST_SEPS = (("and", "/", "or"), (",", "and", "/", "or"), (",", "or", "other"), ("or", "other"), (",", "or"),
              (",", "and"), ("and", "or"), ("or",), ("and",), ("nor",), ("/",), (",",))


def _coordinated_heads(raws: list[Raw], choice: list[int], lx: Lexicon) -> dict[int, tuple[int, str]]:
    """Modifiers sharing the head noun of the condition after them: in "chronic liver, kidney or heart
    dysfunction" "liver" and "kidney" name "liver dysfunction" and "kidney dysfunction". Returns, per raw
    token that starts such a modifier, where it ends and the condition it names. Only words the segmentation
    leaves unknown are read so, and a list is read so only back to the first modifier whose phrase with the
    head is not a known condition. A list of two needs a conjunction or a slash ("liver or kidney failure");
    commas alone make a list from three members on ("hepatic, renal, pulmonary disease")."""
    covered: set[int] = set()
    i, n = 0, len(raws)
    while i < n:
        covered.update(range(i, i + choice[i]))
        i += choice[i] or 1
    out: dict[int, tuple[int, str]] = {}
    i = 0
    while i < n:
        size = choice[i]
        if not size:
            i += 1
            continue
        key = tuple(r.text for r in raws[i:i + size])
        if lx.phrases[key][0] == "CONDITION":
            for h in range(1, size):
                found = _modifiers(raws, i, key[size - h:], covered, lx)
                if found:
                    out.update(found)
                    break
        i += size
    return out


def _modifiers(raws: list[Raw], end: int, head: tuple[str, ...], covered: set[int],
               lx: Lexicon) -> dict[int, tuple[int, str]]:
    """The modifiers before raw token ``end`` that each make a known condition with ``head``."""
    found: dict[int, tuple[int, str]] = {}
    commas = False
    while True:
        sep = next((s for s in _LIST_SEPS if tuple(r.text for r in raws[max(0, end - len(s)):end]) == s), None)
        if sep is None:
            break
        commas = commas or (not found and sep == (",",))
        stop = end - len(sep)
        hit = None
        for start in range(stop - 1, max(-1, stop - 4), -1):
            if raws[start].kind != "word" or start in covered:
                break
            hit = lx.phrases.get((*(r.text for r in raws[start:stop]), *head))
            if hit is not None and hit[0] == "CONDITION":
                break
        if hit is None or hit[0] != "CONDITION":
            break
        found[start] = (stop, hit[1])
        end = start
    return {} if commas and len(found) < 2 else found


def _match(raws: list[Raw], i: int, lx: Lexicon, exclude_single: bool = False) -> tuple[int, tuple[str, Any]] | None:
    words: list[str] = []
    best = None
    for j in range(i, min(len(raws), i + lx.longest)):
        words.append(raws[j].text)
        hit = lx.phrases.get(tuple(words))
        if hit is not None:
            best = (j + 1, hit)
    return best


def _anchor(raws: list[Raw], i: int, lx: Lexicon, toks: list[Token]) -> int:
    for size in range(min(8, len(raws) - i), 0, -1):
        words = tuple(r.text for r in raws[i:i + size])
        if words in lx.anchors or (words[0] == "the" and words[1:] in lx.anchors):
            end = i + size
            if end < len(raws) and raws[end].text == "of":  # "the first dose of ibrutinib": the study's drug
                hit = _match(raws, end + 1, lx)
                if hit and hit[1][0] == "DRUG":
                    end = hit[0]
                elif hit is None and words[-1] == "dose" and end + 1 < len(raws) and raws[end + 1].kind == "word" \
                        and (end + 2 == len(raws) or raws[end + 2].kind == "punct"):
                    end += 2  # "the first dose of ensartinib": a study drug no vocabulary names yet is still its own
            toks.append(Token("ANCHOR", " ".join(r.text for r in raws[i:end]), start_pos=raws[i].start,
                              end_pos=raws[end - 1].end))
            return _tail(raws, end, lx.anchor_tails, toks)
    return i


def _tail(raws: list[Raw], i: int, tails: frozenset[tuple[str, ...]], toks: list[Token]) -> int:
    """Words at ``raws[i]`` that only restate the token before them ("screening or during the study"): folded into it."""
    for size in range(min(12, len(raws) - i), 0, -1):
        if tuple(r.text for r in raws[i:i + size]) in tails:
            last = toks[-1]
            toks[-1] = Token(last.type, last.value, start_pos=last.start_pos, end_pos=raws[i + size - 1].end)
            return i + size
    return i


_DECIMAL_PART = re.compile(r"\d{1,2}")
_THOUSANDS_GROUP = re.compile(r"\d{3}")


def _joined_number(raws: list[Raw], i: int) -> tuple[float, int] | None:
    """A threshold written the European way right after a comparator: a decimal comma ("<= 8,5 %", ">= 5,6 mmol/L":
    one or two digits on both sides, nothing between them) or thousands set apart by single spaces ("<= 100 000/uL",
    "> 1 500/mm3": groups of exactly three digits). The value and where it ends; None for anything else ("0, 1 or 2",
    "100,00/mm3" stay as they are)."""
    r = raws[i]
    if i + 2 < len(raws) and _DECIMAL_PART.fullmatch(r.text) and raws[i + 1].text == "," \
            and raws[i + 1].start == r.end and raws[i + 2].start == raws[i + 1].end and _DECIMAL_PART.fullmatch(raws[i + 2].text) \
            and not (i + 3 < len(raws) and raws[i + 3].text == "," and raws[i + 3].start == raws[i + 2].end):
        return float(f"{r.text}.{raws[i + 2].text}"), i + 3
    if not re.fullmatch(r"\d{1,3}", r.text):
        return None
    value, j = float(r.text), i + 1
    while j < len(raws) and raws[j].kind == "num" and raws[j].start == raws[j - 1].end + 1 \
            and _THOUSANDS_GROUP.fullmatch(raws[j].text):
        value, j = value * 1000 + float(raws[j].text), j + 1
    if j == i + 1 or j < len(raws) and raws[j].kind == "word" and _unit_at(" ".join(x.text for x in raws[j:j + 4]), 0,
                                                                          lexicon())[0] is None:
        return None  # "> 18 100 patients": a word that is no unit after it, two numbers
    return value, j


def _after_number(raws: list[Raw], i: int, text: str, toks: list[Token], lx: Lexicon) -> int:
    """What follows a number: 'N' (x ULN), a ULN phrase, a time unit, or a clinical unit."""
    prev_end = raws[i - 1].end
    if i < len(raws) and raws[i].text == "n" and raws[i].start == prev_end:
        toks.append(_tok("ULN", "ULN", raws[i]))
        return i + 1
    if i < len(raws) and raws[i].start == prev_end and raws[i].text.startswith("x") and (raws[i].text[1:],) in lx.uln:
        toks.append(_tok("ULN", "ULN", raws[i]))  # "2xULN"
        return i + 1
    for size in range(min(12, len(raws) - i), 0, -1):
        words = tuple(r.text for r in raws[i:i + size])
        if words in lx.uln and words != ("n",):
            toks.append(Token("ULN", "ULN", start_pos=raws[i].start, end_pos=raws[i + size - 1].end))
            return i + size
    if i < len(raws) and raws[i].text in lx.time_units:
        toks.append(_tok("TIMEUNIT", lx.time_units[raws[i].text], raws[i]))
        return i + 1
    unit, end = _unit_at(text, prev_end, lx)
    if unit is None:
        return i
    again = _RESTATED_UNIT.match(text, end)
    if again:  # "kilograms per square meter (kg/m2)": the same unit again in parentheses
        try:
            if units.normalize_unit(again.group(1)) == unit:
                end = again.end()
        except ScreeningError:
            pass
    toks.append(Token("UNIT", unit, start_pos=prev_end, end_pos=end))
    while i < len(raws) and raws[i].start < end:
        i += 1
    return i


_PIECE = re.compile(r"\S+")
_RESTATED_UNIT = re.compile(r"\s*[(\[]\s*([^()\[\]\s]+)\s*[)\]]")


def _unit_at(text: str, pos: int, lx: Lexicon) -> tuple[str | None, int]:
    """The longest clinical unit starting at ``pos`` (at most four space-separated pieces)."""
    pieces = []
    for m in _PIECE.finditer(text, pos):
        if len(pieces) == 4 or m.start() - (pieces[-1][1] if pieces else pos) > 2:
            break
        piece = m.group()
        dash = re.search(r"-(?=[\d.])", piece)  # "50%-100%": the unit ends at the range dash
        if dash:
            piece = piece[:dash.start()] + " "
        stripped = piece.rstrip(",;.)]: ")
        while stripped.count("(") > stripped.count(")") and stripped.endswith("("):
            stripped = stripped[:-1]
        if stripped.count("(") > stripped.count(")") and piece[len(stripped):].startswith(")"):
            stripped += ")"  # "/mm(3)": the parenthesis belongs to the unit
        pieces.append((stripped, m.start() + len(stripped)))
        if stripped != piece:
            break
    for k in range(len(pieces), 0, -1):
        cand = " ".join(p for p, _ in pieces[:k])
        if not cand or not all(_unitlike(p, lx) for p, _ in pieces[:k]):
            continue
        for variant in (cand.replace(" ", ""), cand):
            try:
                return units.normalize_unit(variant), pieces[k - 1][1]
            except ScreeningError:
                continue
    return None, pos


def _unitlike(piece: str, lx: Lexicon) -> bool:
    if piece in lx.unit_words or piece == "x":
        return True
    return bool(re.search(r"[/^*%\d]", piece)) and bool(re.fullmatch(r"[a-z0-9/^*%.()\-]+", piece))


def _generic_scales(toks: list[Token]) -> list[Token]:
    """"ECOG performance status", "Performance status: Karnofsky 80-100%": a generic scale word next to a
    named scale ("performance status" = ECOG only when no other scale is named) gives way to it."""
    out: list[Token] = []
    i = 0
    while i < len(toks):
        t = toks[i]
        if t.type == "QGROUP" and len(t.value) == 1:
            before = next((x for x in reversed(out) if x.type not in ("LPAR", "RPAR")), None)
            j = i + 1 + (i + 1 < len(toks) and toks[i + 1].type in ("COLON", "TO"))
            if before is not None and before.type in ("QUANTITY", "QGROUP") and out[-1].type in ("QUANTITY", "QGROUP", "RPAR"):
                i += 1
                continue
            if j < len(toks) and toks[j].type in ("QUANTITY", "QGROUP"):
                i = j
                continue
            # "Performance status 0-2 on the ECOG scale", "Performance status =< 2 Zubrod": the scale named at the end
            tail = 2 if len(toks) >= 2 and toks[-2].type == "USE" and str(toks[-2].value).lower() == "on" else 1
            if i + 1 < len(toks) - tail and toks[-1].type in ("QUANTITY", "QGROUP") \
                    and (toks[-1].type == "QUANTITY" or toks[-1].value == t.value) \
                    and not any(x.type in ("QUANTITY", "QGROUP") for x in toks[i + 1:-tail]):
                toks = [*toks[:i], toks[-1], *toks[i + 1:-tail]]
                continue
            # "Performance status (PS) <= 2 (ECOG scale)": the scale named in parentheses at the end
            if i + 1 < len(toks) and len(toks) >= 3 and toks[-3].type == "LPAR" and toks[-2].type == "QUANTITY" \
                    and toks[-1].type == "RPAR" and i < len(toks) - 3 \
                    and not any(x.type in ("QUANTITY", "QGROUP") for x in toks[i + 1:-3]):
                toks = [*toks[:i], toks[-2], *toks[i + 1:-3]]
                continue
        out.append(t)
        i += 1
    return out


_LIMITS = {"ULN": "upper", "ULNBARE": "upper", "LLNBARE": "lower"}


def _restates(before: Token, inside: Token) -> bool:
    """The token in parentheses names again what precedes it: "systemic lupus erythematosus (SLE)",
    "seven (7) days", "1.5 x upper limit of normal (ULN)", "lower limit of normal (LLN)"."""
    if inside.type == before.type and inside.value == before.value:
        return True
    if before.type == "NORMAL" and inside.type in ("NORMAL", "ULNBARE"):
        return True  # "within normal limits (WNL)", "within normal institutional limits (ULN)"
    return before.type in _LIMITS and _LIMITS.get(inside.type) == _LIMITS[before.type]


_SETTING_RUN = frozenset({"DRUG", "COMMA", "OR", "AND", "LPAR", "RPAR"})


def _settings_after(toks: list[Token]) -> list[Token]:
    """"Ketoconazole, acyclovir, or nystatin for prophylaxis": a setting said after a list of drugs is read before
    it, as "prophylactic ketoconazole, ..." (phrases.toml [setting] after). After anything else it is an unknown word."""
    if not any(t.type == "SETTINGAFTER" for t in toks):
        return toks
    out: list[Token] = []
    for t in toks:
        if t.type != "SETTINGAFTER":
            out.append(t)
            continue
        k = len(out)
        while k > 0 and out[k - 1].type in _SETTING_RUN:
            k -= 1
        while k < len(out) and out[k].type != "DRUG":  # the run begins at its first drug
            k += 1
        if k == len(out) or out[-1].type not in ("DRUG", "RPAR") or (k > 0 and out[k - 1].type in ("SETTING", "SYSTEMIC", "ROUTE")):
            out.append(Token("WORD", str(t.value), start_pos=t.start_pos, end_pos=t.end_pos))
            continue
        words = str(t.value).split()
        out.insert(k, Token("SETTING", " ".join(words[1:]), start_pos=t.start_pos, end_pos=t.end_pos))
    return out


def _infection_with(toks: list[Token], text: str) -> list[Token]:
    """"infection with HIV, hepatitis B or hepatitis C": the infections named after "with" (a test named there, the
    infection it shows)."""
    toks = list(toks)
    out: list[Token] = []
    for i, t in enumerate(toks):
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        if t.type == "CONDITION" and t.value == "infection" and nxt is not None and nxt.type == "JUDGED" \
                and str(nxt.value).startswith("genotype") and text[t.end_pos:nxt.start_pos].strip() == "with":
            continue  # "infection with HCV genotype 2 or 3" (see _genotypes)
        if t.type == "CONDITION" and t.value == "infection" and nxt is not None \
                and text[t.end_pos:nxt.start_pos].strip() == "with":
            shown = units.get_quantity(nxt.value).shows if nxt.type == "QTEST" else nxt.value if nxt.type == "CONDITION" else None
            if shown and "infection" in vocab.ancestors(shown):
                if nxt.type == "QTEST":
                    toks[i + 1] = Token("CONDITION", shown, start_pos=nxt.start_pos, end_pos=nxt.end_pos)
                continue
        out.append(t)
    return out


_RESULTS = frozenset({"POS", "NEGRES", "TESTWORD"})


def _test_of(before: Token, inside: Token) -> bool:
    """A condition restated by the test that shows it: "human immunodeficiency virus (HIV)"."""
    return before.type == "CONDITION" and inside.type == "QTEST" and units.get_quantity(inside.value).shows == before.value


def _metastatic_sites(toks: list[Token]) -> list[Token]:
    """"Metastatic brain or meningeal tumors": metastases to those sites (phrases.toml [metastatic_sites]), read only
    when every tumour named is in the table; otherwise the lead stays a judged qualifier ("metastatic breast
    cancer" is that cancer, spread)."""
    table = phrase_data()["metastatic_sites"]
    out: list[Token] = []
    for t in toks:
        lead = out[-1] if out else None
        if lead is not None and lead.type == "JUDGED" and str(lead.value).lower() in table["leads"] \
                and t.type in ("CONDITION", "CGROUP"):
            keys = (t.value,) if t.type == "CONDITION" else tuple(t.value)
            if all(isinstance(k, str) and k in table for k in keys):
                mapped = tuple(table[k] for k in keys)
                out[-1] = Token("CONDITION" if len(mapped) == 1 else "CGROUP", mapped[0] if len(mapped) == 1 else mapped,
                                start_pos=lead.start_pos, end_pos=t.end_pos)
                continue
        out.append(t)
    return out


_VALUE = ("NUMBER", "UNIT", "ULN", "ULNBARE", "LLNBARE")


def _value_anchors(toks: list[Token]) -> list[Token]:
    """"HbA1c <= 10.5% before randomization", "fasting glucose > 270 mg/dL before treatment start": a measurement's
    threshold followed by an anchor is the value at screening (every anchor is the screening date); the anchor is
    dropped. Only right after "<quantity> [:] <comparator> <value> [and <comparator> <value>]": a dose or a time
    ("prednisone > 10 mg before randomization", "at least 4 weeks prior to entry") keeps it."""
    out = list(toks)
    k = 0
    while k < len(out) - 1:
        if out[k].type == "PRIOR" and out[k + 1].type == "ANCHOR":
            j = k - 1
            while j >= 0 and out[j].type in _VALUE:
                j -= 1
            while j >= 0 and out[j].type == "CMP" and out[j + 1].type == "NUMBER" and j + 1 < k:
                if j >= 2 and out[j - 1].type in ("AND", "COMMA") and out[j - 2].type in _VALUE:
                    j -= 2
                    while j >= 0 and out[j].type in _VALUE:
                        j -= 1
                    continue
                j -= 1
                break
            else:
                k += 1
                continue
            if j >= 0 and out[j].type == "COLON":
                j -= 1
            if j >= 0 and out[j].type in ("QUANTITY", "QGROUP") and out[j + 1].type in ("CMP", "COLON"):
                del out[k:k + 2]
                continue
        k += 1
    return out


def _above_normal(toks: list[Token]) -> list[Token]:
    """"for patients with creatinine levels above institutional normal": above the normal range is above its upper
    limit (ULNBARE). Only after a comparator that points up: "below institutional normal" is the lower limit."""
    out: list[Token] = []
    k = 0
    while k < len(toks):
        t = toks[k]
        if t.type == "CMP" and t.value in (">", ">=") and [x.type for x in toks[k + 1:k + 3]] == ["WORD", "NORMAL"] \
                and str(toks[k + 1]).lower() == "institutional" and str(toks[k + 2]).lower() == "normal":
            out += [t, Token("ULNBARE", "institutional normal", start_pos=toks[k + 1].start_pos, end_pos=toks[k + 2].end_pos)]
            k += 3
            continue
        out.append(t)
        k += 1
    return out


_BP = ("systolic_bp", "diastolic_bp")


def _pressure_pairs(toks: list[Token], text: str) -> list[Token]:
    """"Blood pressure > 160/100 mmHg", "BP <= 145/90": systolic and diastolic, each with its own number. The noun
    becomes the pair (QGROUP) and the slash PAIRSEP only before such a pair: "blood pressure > 150 mmHg" names no
    reading of one number for both, and stays in review."""
    out: list[Token] = []
    k = 0
    while k < len(toks):
        t = toks[k]
        out.append(t)
        k += 1
        if t.type != "WORD" or not (str(t).lower() == "bp" or str(t).lower() == "pressure"
                                    and text[:t.start_pos].rstrip().lower().endswith("blood")):
            continue
        j = k
        if [x.type for x in toks[j:j + 3]] == ["LPAR", "WORD", "RPAR"] and str(toks[j + 1]).lower() == "bp":
            j += 3  # "blood pressure (BP)"
        colon = toks[j:j + 1] if j < len(toks) and toks[j].type == "COLON" else []
        j += len(colon)
        if [x.type for x in toks[j:j + 4]] == ["CMP", "NUMBER", "OR", "NUMBER"] and str(toks[j + 2]) == "/":
            out[-1] = Token("QGROUP", _BP, start_pos=t.start_pos, end_pos=toks[j - 1].end_pos)
            out.extend([*colon, toks[j], toks[j + 1], Token("PAIRSEP", "/", start_pos=toks[j + 2].start_pos,
                                                            end_pos=toks[j + 2].end_pos)])
            k = j + 3
    return out


_BASELINE_WORDS = frozenset({"baseline", "screening"})


def _baseline_values(toks: list[Token]) -> list[Token]:
    """"Baseline creatinine >= 1.0 mg/dL", "Screening FEV1 > 80% of predicted": the value at screening, which is the
    one a measurement reads; the word is dropped right before a quantity only."""
    return [t for k, t in enumerate(toks) if not (
        t.type == "WORD" and str(t).lower() in _BASELINE_WORDS and k + 1 < len(toks)
        and toks[k + 1].type in ("QUANTITY", "QGROUP"))]


def _measure_restated(before: Token, toks: list[Token], i: int) -> int:
    """Where the names of the measurement ``before`` ends when ``toks[i:]`` names it again: "AST/SGOT", "Aspartate
    aminotransferase (AST, SGOT)", "ECOG PS (performance status)", "Fasting triglycerides (TG)" (the fasting value is the
    named one), "Performance status (Karnofsky scale)" (a generic scale word and the scale it is); 0 when it does not."""
    def same(x: Token) -> bool:
        if before.type == "QGROUP":
            return len(before.value) == 1 and x.type == "QUANTITY"
        return x.type == "QUANTITY" and before.value in (x.value, f"fasting_{x.value}") \
            or x.type == "QGROUP" and x.value == (before.value,)
    if toks[i].type == "OR" and i + 1 < len(toks) and before.type == "QUANTITY" and toks[i + 1].type == "QUANTITY" \
            and toks[i + 1].value == before.value:
        return i + 2
    if toks[i].type != "LPAR":
        return 0
    j = i + 1
    while j < len(toks) and toks[j].type in ("QUANTITY", "QGROUP") and same(toks[j]):
        j += 1
        if j < len(toks) and toks[j].type in ("OR", "COMMA") and j + 1 < len(toks) and toks[j + 1].type in ("QUANTITY", "QGROUP"):
            j += 1
    if j == i + 1 or j >= len(toks) or toks[j].type != "RPAR" or before.type == "QGROUP" and j != i + 2:
        return 0
    return j + 1


_THERAPY_HEADS = frozenset({"therapy", "therapies", "treatment", "treatments"})
_NOW_WORDS = frozenset({"active", "current", "ongoing", "currently"})


def _dangling_after_negation(out: list[Token], t: Token, nxt: Token | None, text: str) -> bool:
    """"No active or uncontrolled infection" ("no active" is the negation), "No ongoing or active infection"
    ("ongoing", "active" dropped): an "or" or comma left between the leading negation and the qualifier or
    condition, its first member a dropped word meaning "now". "No or minimal pain" (nothing dropped) keeps its "or"."""
    if len(out) != 1 or out[0].type != "NEG" or t.type not in ("OR", "COMMA") or nxt is None \
            or nxt.type not in ("JUDGED", "CONDITION", "CGROUP", "SYSTEMIC"):
        return False
    if nxt.type == "JUDGED" and str(nxt.value).lower().startswith("recent"):
        return False  # "No active or recent bleeding": a time of its own, not a qualifier of now
    dropped = text[out[0].end_pos:t.start_pos].lower().split()
    if dropped:  # "No preexisting or uncontrolled diabetes": a dropped word naming another kind stays unread
        return set(dropped) <= _NOW_WORDS
    return str(out[0].value).split()[-1].lower() in _NOW_WORDS


def _collapse(toks: list[Token], text: str = "") -> list[Token]:
    """'systemic lupus erythematosus (SLE)': a concept repeated in parentheses is one concept."""
    toks = _generic_scales(toks)
    out: list[Token] = []
    i = 0
    reach = -1  # where the text read so far ends (past a restatement in parentheses)
    while i < len(toks):
        t = toks[i]
        if out and out[-1].type in ("QUANTITY", "QGROUP") and (end := _measure_restated(out[-1], toks, i)):
            if out[-1].type == "QGROUP":  # "Performance status (Karnofsky scale)": the scale named
                out[-1] = toks[i + 1]
            reach = toks[end - 1].end_pos
            i = end
            continue
        if out and t.type == "LPAR" and i + 2 < len(toks) and toks[i + 2].type == "RPAR" and _restates(out[-1], toks[i + 1]):
            reach = toks[i + 2].end_pos
            i += 3
            continue
        if out and t.type == "LPAR" and i + 2 < len(toks) and toks[i + 2].type == "RPAR" \
                and _test_of(out[-1], toks[i + 1]):
            # "human immunodeficiency virus (HIV)": the infection and the test that shows it; after or before a result
            # ("(HIV) positive", "positive serology for HBsAg or ... (HIV)") the test, else the infection
            if (i + 3 < len(toks) and toks[i + 3].type in _RESULTS) or any(x.type in _RESULTS for x in out):
                out[-1] = toks[i + 1]
            reach = toks[i + 2].end_pos
            i += 3
            continue
        if out and t.type == out[-1].type and t.type in ("CONDITION", "PROCEDURE") and t.value != out[-1].value \
                and t.start_pos - max(reach, out[-1].end_pos) <= 1 and t.value in vocab.ancestors(out[-1].value):
            # "prior CABG operation", "HIV (HIV) infection": a generic head noun right after what it names
            i += 1
            continue
        if _dangling_after_negation(out, t, toks[i + 1] if i + 1 < len(toks) else None, text):
            i += 1  # "No active or uncontrolled infection", "No ongoing or active infection": the first word dropped
            continue
        if t.type == "USE" and str(t.value).lower() in _THERAPY_HEADS and out and out[-1].type == "DRUG" \
                and t.start_pos - out[-1].end_pos <= 1:
            i += 1  # "prior bisphosphonate therapy", "anti-androgen treatment": the head noun of the drug named
            continue
        if t.type == "LPAR" and i + 1 < len(toks) and toks[i + 1].type == "RPAR":  # emptied by dropped fillers
            i += 2
            continue
        if out and (t.type == out[-1].type == "COMMA" or t.type == out[-1].type == "CMP" and t.value == out[-1].value):
            i += 1  # "18-32 kg/m2, inclusive, and": the filler between two commas; "less than < 70": said twice
            continue
        if t.type == "WINDOW" and str(t.value).lower() == "within" and out and out[-1].type in ("QUANTITY", "QGROUP") \
                and i + 1 < len(toks) and (toks[i + 1].type in ("ULNBARE", "NORMAL")
                                           or toks[i + 1].type == "NUMBER" and i + 2 < len(toks) and toks[i + 2].type == "ULN"):
            # "creatinine within ULN", "within 1.5 times ULN": at most that; "bilirubin within normal laboratory values"
            if toks[i + 1].type != "NORMAL":
                out.append(Token("CMP", "<=", start_pos=t.start_pos, end_pos=t.end_pos))
            i += 1
            continue
        if t.type == "TESTWORD" and out and out[-1].type == "QUANTITY" and i + 1 < len(toks) and toks[i + 1].type == "CMP":
            i += 1  # "Karnofsky status >= 70%", "PSA test result exceeds 4.0": the measured value
            continue
        if out and t.type == out[-1].type and t.type in ("QUANTITY", "QTEST", "CONDITION", "DRUG", "VACCINE", "PROCEDURE") \
                and t.value == out[-1].value:
            i += 1
            continue
        if out and t.type == out[-1].type == "CONDITION" and isinstance(t.value, str) and isinstance(out[-1].value, str) \
                and t.value != out[-1].value and t.value in vocab.ancestors(out[-1].value):
            i += 1  # "active hepatitis B infection": the head noun names again the kind of what precedes it
            continue
        out.append(t)
        i += 1
    while out and out[-1].type in ("COMMA", "COLON", "AND", "OR"):  # left by dropped filler words
        out.pop()
    while out and out[0].type in ("COMMA", "COLON"):
        out.pop(0)
    return out
