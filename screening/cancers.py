"""Cancer names that criteria compose: "<histology> of the <site>", "<site adjective> <histology>", the
confirmation leads ("histologically or cytologically confirmed") and TNM groups ("T1-3, N2").

The words are data (``data/cancers.toml``); the lexer (``screening.lexer``) calls these helpers where a
phrase may start and turns what they find into CONDITION, JUDGED, OR and COMMA tokens. ``lx`` below is the
lexer's ``Lexicon`` (its ``phrases`` table and its ``cancers`` tables).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from lark import Token

from . import vocab

if TYPE_CHECKING:
    from .lexer import Lexicon, Raw

def confirmation_leads(d: dict[str, Any]) -> list[str]:
    """"histologically or cytologically confirmed", "histological and/or cytological confirmation of": the
    leads of data/cancers.toml [confirmation], read as the plain diagnosis (see that file's header)."""
    def joined(words: list[str]) -> list[str]:
        return words + [f"{a} {j} {b}".replace(" , ", ", ").replace(" / ", "/") for a in words for b in words if a != b
                        for j in d["joins"]]
    return ([f"{a} {v}" for a in joined(d["adverbs"]) for v in d["verbs"]]
            + [f"{a} {n}" for a in joined(d["adjectives"]) for n in d["nouns"]] + list(d["phrases"]))


@dataclass(frozen=True, slots=True)
class Cancers:
    """data/cancers.toml [histologies] and [sites] as phrase keys: what "<histology> of the <site>" and
    "<site adjective> <histology>" are made of."""

    histologies: dict[tuple[str, ...], str]        # form -> label ("" names no histology)
    nouns: dict[tuple[str, ...], str]              # site noun -> the site ([sites.<name>])
    adjectives: dict[tuple[str, ...], str]         # site adjective -> the site
    site_cancer: dict[str, str]                    # site -> its cancer concept
    site_nouns: dict[str, tuple[tuple[str, ...], ...]]  # site -> its nouns
    longest: int


_SITE_LINKS = (("of", "the"), ("of",), ("arising", "in", "the"), ("arising", "from", "the"), ("arising", "in"))
_SITE_SEPS = ((",", "or"), ("or",), (",",), ("and/or",), ("and", "/", "or"), ("/",))


def build(t: Any, phrase_key: Callable[[str], tuple[str, ...]]) -> Cancers:
    """The [histologies] and [sites] tables of data/cancers.toml as phrase keys (the lexer's ``phrase_key``)."""
    hist = {phrase_key(f): label for label, forms in t["histologies"].items() for f in forms}
    sites = t["sites"]
    nouns = {phrase_key(n): name for name, site in sites.items() for n in site["nouns"]}
    adjs = {phrase_key(a): name for name, site in sites.items() for a in site["adjectives"]}
    for site in sites.values():
        vocab.get_concept(site["cancer"])  # a site names a concept that exists
    return Cancers(hist, nouns, adjs, {name: site["cancer"] for name, site in sites.items()},
                   {name: tuple(phrase_key(n) for n in site["nouns"]) for name, site in sites.items()},
                   max(len(k) for k in (*hist, *nouns, *adjs)))


def _exact_at(lx: Lexicon, form: tuple[str, ...], name: str, label: str, named: tuple[str, ...] = ()) -> str | None:
    """The exact concept for a histology form at a site, by any of the site's names ("esophageal squamous cell
    carcinoma" = "squamous cell carcinoma of the esophagus")."""
    form = form[:form.index("(")] if "(" in form else form  # "transitional cell carcinoma (TCC)"
    cands = ([named] if named else []) + [(*form, *link, *noun) for noun in lx.cancers.site_nouns[name]
                                          for link in (("of", "the"), ("of",))]
    site = lx.cancers.site_cancer[name]
    return next((e for e in (_exact(lx, c, site, label) for c in cands) if e), None)


_FIRST_WORDS: dict[int, tuple[dict[tuple[str, ...], str], frozenset[str]]] = {}


def _longest(raws: list[Raw], i: int, table: dict[tuple[str, ...], str], longest: int) -> tuple[int, str] | None:
    kept = _FIRST_WORDS.get(id(table))
    if kept is None or kept[0] is not table:  # the words a phrase of the table can begin with, once per table
        kept = _FIRST_WORDS[id(table)] = (table, frozenset(k[0] for k in table))
    if i >= len(raws) or raws[i].text not in kept[1]:
        return None
    for size in range(min(longest, len(raws) - i), 0, -1):
        hit = table.get(tuple(r.text for r in raws[i:i + size]))
        if hit is not None:
            return i + size, hit
    return None


def _exact(lx: Lexicon, words: tuple[str, ...], site: str, label: str) -> str | None:
    """A concept that names this histology at this site (a child of the site's cancer), if the lexicon has one."""
    hit = lx.phrases.get(words)
    if hit is None or hit[0] != "CONDITION":
        return None
    if not label:
        return hit[1] if hit[1] == site or site in vocab.ancestors(hit[1]) else None
    return hit[1] if hit[1] != site and site in vocab.ancestors(hit[1]) else None


def cancer_at(raws: list[Raw], i: int, lx: Lexicon) -> tuple[int, list[tuple[str, str, str]]] | None:
    """"adenocarcinoma of the colon or rectum", "anal squamous cell carcinoma": the end and, per site, its
    (separator, histology label, concept): the exact concept, or the site's cancer to be weighed."""
    cx = lx.cancers
    if i and raws[i - 1].text == "non":  # "non-small cell carcinoma of the lung" is no small cell carcinoma
        return None
    adjs: list[tuple[str, int, int, str]] = []   # "ovarian epithelial, fallopian tube, or primary peritoneal cancer"
    j, sep = i, ""
    while (adj := _longest(raws, j, cx.adjectives, cx.longest)) is not None:
        adjs.append((sep, j, adj[0], adj[1]))
        j = adj[0]
        nxt = next((k for k in _SITE_SEPS if tuple(r.text for r in raws[j:j + len(k)]) == k), None)
        if nxt is None or _longest(raws, j + len(nxt), cx.adjectives, cx.longest) is None:
            break
        sep = "or" if "or" in nxt or "/" in nxt else ","
        j += len(nxt)
    if adjs:
        hist = _longest(raws, adjs[-1][2], cx.histologies, cx.longest)
        if hist is not None:
            form = tuple(r.text for r in raws[adjs[-1][2]:hist[0]])
            out = []
            for sep, a, b, site in adjs:
                exact = _exact_at(lx, form, site, hist[1], tuple(r.text for r in raws[a:b]) + form)
                out.append((sep, "" if exact else hist[1], exact or cx.site_cancer[site]))
            return hist[0], out
    hist = _longest(raws, i, cx.histologies, cx.longest)
    if hist is None:
        return None
    forms = [(tuple(r.text for r in raws[i:hist[0]]), hist[1])]
    j = hist[0]
    while j < len(raws) and raws[j].text == "or":  # "adenocarcinoma or mucinous adenocarcinoma of the colon"
        more = _longest(raws, j + 1, cx.histologies, cx.longest)
        if more is None:
            break
        forms.append((tuple(r.text for r in raws[j + 1:more[0]]), more[1]))
        j = more[0]
    link = next((k for k in _SITE_LINKS if tuple(r.text for r in raws[j:j + len(k)]) == k), None)
    if link is None:
        return None
    j += len(link)
    found: list[tuple[str, str]] = []
    sep = ""
    while True:
        if j < len(raws) and raws[j].text == "the" and found:
            j += 1
        noun = _longest(raws, j, cx.nouns, cx.longest)
        if noun is None:
            break
        found.append((sep, noun[1]))
        j = noun[0]
        nxt = next((k for k in _SITE_SEPS if tuple(r.text for r in raws[j:j + len(k)]) == k), None)
        if nxt is None or _longest(raws, j + len(nxt) + (j + len(nxt) < len(raws) and raws[j + len(nxt)].text == "the"),
                                   cx.nouns, cx.longest) is None:
            break
        sep = "or" if "or" in nxt or "/" in nxt else ","
        j += len(nxt)
    sites: list[tuple[str, str, str]] = []
    for n, (form, label) in enumerate(forms):
        for k, (sep, site) in enumerate(found):
            exact = _exact_at(lx, form, site, label)
            sites.append((sep if k else "or" if n else "", "" if exact else label, exact or cx.site_cancer[site]))
    return (j, sites) if sites else None


def cancer_tokens(sites: list[tuple[str, str, str]], start: int, end: int) -> list[Token]:
    out: list[Token] = []
    for sep, label, key in sites:
        if sep:
            out.append(Token("OR" if sep == "or" else "COMMA", sep, start_pos=start, end_pos=start))
        if label:
            out.append(Token("JUDGED", label, start_pos=start, end_pos=end))
        out.append(Token("CONDITION", key, start_pos=start, end_pos=end))
    return out


TNM = re.compile(r"(?:(?:yp|yc|c|p|r)?[tnm](?:x|is|[0-4])(?:[a-d][12]?|mi)?)+")
_TNM_SEPS = frozenset({",", "or", "and", "/"})


def tnm_at(raws: list[Raw], i: int) -> tuple[int, set[str]]:
    """"T1-3, N2", "T1, N0-2, M0", "T3N0M0": the end of a TNM group and the categories it names."""
    j, letters = i, set()
    while j < len(raws) and TNM.fullmatch(raws[j].text):
        letters |= set(re.findall(r"[tnm](?=x|is|[0-4])", re.sub(r"^(yp|yc|c|p|r)", "", raws[j].text)))
        j += 1
        while j < len(raws) and raws[j].start <= raws[j - 1].end + 1 and raws[j].kind in ("num", "word") \
                and (raws[j].kind == "num" or TNM.fullmatch(raws[j].text)):   # "T1-3", "T1-T3": hyphen dropped
            j += 1
        if j + 1 < len(raws) and raws[j].text in _TNM_SEPS and TNM.fullmatch(raws[j + 1].text):
            j += 1
    return j, letters


def cancer_wins(raws: list[Raw], i: int, choice: list[int], lx: Lexicon,
                 cancer: tuple[int, list[tuple[str, str, str]]]) -> bool:
    """The composed reading beats the phrase the segmenter chose, unless that phrase is as long and names
    another concept ("squamous cell carcinoma of the head and neck"); a synonym that makes a histology
    its site's cancer ("colon adenocarcinoma" = colon_cancer) does not hold in criteria."""
    if not choice[i]:
        return True
    length = choice[i]
    kind, value = lx.phrases[tuple(x.text for x in raws[i:i + length])]
    if i + length > cancer[0]:
        return False
    if i + length < cancer[0]:
        return True
    if kind != "CONDITION":
        return True
    mine = cancer[1]
    return not (len(mine) == 1 and not mine[0][1] and mine[0][2] == value) \
        and all(value in vocab.ancestors(key) for _, _, key in mine)


def qualifier_phrases(d: dict[str, Any]) -> list[str]:
    """"for which no standard therapy exists", "not amenable to curative surgery or radiotherapy": the phrases of
    data/cancers.toml [qualifiers], each one JUDGED token (a person weighs whether a cancer is still treatable)."""
    no_therapy = [" ".join(w for w in (lead, kind, noun, verb) if w) for lead in d["no_therapy_leads"]
                  for kind in d["no_therapy_kinds"] for noun in d["no_therapy_nouns"] for verb in d["no_therapy_verbs"]]
    return no_therapy + [f"{h} {o}" for h in d["heads"] for o in d["objects"]] + list(d["phrases"])


_JOINS = frozenset({"OR", "COMMA", "AND"})
_LIST = frozenset({"CONDITION", "JUDGED", "OR", "COMMA", "AND"})
_WITH = re.compile(r"\s*,?\s*with\s+")


def _is_cancer(t: Token) -> bool:
    return t.type == "CONDITION" and isinstance(t.value, str) and t.value != "metastatic_disease" \
        and "malignancy" in vocab.ancestors(t.value)


def _span(first: Token, last: Token, text: str) -> Token:
    return Token("JUDGED", text[first.start_pos:last.end_pos], start_pos=first.start_pos, end_pos=last.end_pos)


def _staged(toks: list[Token], text: str) -> list[Token]:
    """"metastatic (stage IV)", "stage III (unresectable)": a qualifier restated or narrowed in brackets is one."""
    out: list[Token] = []
    for t in toks:
        if t.type == "RPAR" and len(out) > 2 and out[-1].type == "JUDGED" and out[-2].type == "LPAR" \
                and out[-3].type == "JUDGED":
            first = out[-3]
            del out[-3:]
            out.append(_span(first, t, text))
            continue
        out.append(t)
    return out


_SPREAD = re.compile(r"metastatic\s+")


def _spread_split(toks: list[Token], text: str) -> list[Token]:
    """"unresectable or metastatic pancreatic cancer", "locally advanced, locally recurrent, or metastatic colorectal
    adenocarcinoma": the last of a list of qualifiers is no metastatic-cancer concept of its own (which would ask
    every patient for metastases); "metastatic" joins the qualifiers and the rest is read again ("pancreatic
    cancer"), kept only when it names the cancer the metastatic concept is a kind of."""
    from .lexer import tokenize  # the lexer calls this module: imported when first used

    out: list[Token] = []
    for n, t in enumerate(toks):
        lead = text[t.start_pos:t.end_pos]
        if t.type == "CONDITION" and len(out) > 1 and out[-1].type in ("OR", "COMMA", "AND") \
                and out[-2].type in ("JUDGED", "OR", "COMMA") and _SPREAD.match(lead) \
                and "metastatic_disease" in vocab.ancestors(t.value) and t.value != "metastatic_disease":
            cut = _SPREAD.match(lead).end()
            rest, _ = tokenize(lead[cut:])
            if rest and rest[-1].type == "CONDITION" and all(r.type == "JUDGED" for r in rest[:-1]) \
                    and rest[-1].value in vocab.ancestors(t.value) and _is_cancer(rest[-1]) \
                    and "metastatic_disease" not in vocab.ancestors(rest[-1].value):
                at = t.start_pos + cut
                out.append(Token("JUDGED", lead[:cut].strip(), start_pos=t.start_pos, end_pos=at - 1))
                out.extend(Token(r.type, r.value, start_pos=at + r.start_pos, end_pos=at + r.end_pos) for r in rest)
                continue
        out.append(t)
    return out


_ASSESSED = frozenset({"measurable_disease", "evaluable_disease"})
_BARE_OR_WITH = re.compile(r"\s*,?\s*(?:with\s+)?")


def _with_disease(toks: list[Token], text: str) -> list[Token]:
    """"metastatic melanoma with measurable disease", "colorectal cancer Measurable disease" (NCI items run together):
    the cancer and the measurable disease both asked, as if joined by "and"."""
    out: list[Token] = []
    for t in toks:
        if t.type == "QTEST" and out and _is_cancer(out[-1]) \
                and set(t.value if isinstance(t.value, tuple) else (t.value,)) <= _ASSESSED \
                and _BARE_OR_WITH.fullmatch(text[out[-1].end_pos:t.start_pos]):
            out.append(Token("AND", "and", start_pos=t.start_pos, end_pos=t.start_pos))
        out.append(t)
    return out


def qualified(toks: list[Token], text: str) -> list[Token]:
    """Qualifiers after a cancer at the end of a sentence qualify it: "colon cancer that is metastatic or
    unresectable", "solid tumour for which no standard therapy exists", "carcinoma of the head and neck, with
    recurrent or metastatic disease" read as if written before it (ir.Judged). When the cancer ends a list
    ("solid tumour or lymphoma that is metastatic") every cancer of the list is qualified; a list that names
    anything but cancers is left as written (review)."""
    toks = _with_disease(_spread_split(_located(_its_disease(_staged(toks, text), text)), text), text)
    if len(toks) < 2:
        return toks
    end = len(toks)
    after: list[Token] = []  # "... for which no effective therapy exists Measurable or evaluable disease"
    if toks[-1].type == "QTEST" and toks[-2].type == "JUDGED" \
            and set(toks[-1].value if isinstance(toks[-1].value, tuple) else (toks[-1].value,)) <= _ASSESSED:
        after = [Token("AND", "and", start_pos=toks[-1].start_pos, end_pos=toks[-1].start_pos), toks[-1]]
        toks = toks[:-1]
        end -= 1
    # "... with [recurrent or] metastatic disease": the spread of the cancer just named
    if toks[-1].type == "CONDITION" and toks[-1].value == "metastatic_disease":
        k = end - 1
        while k > 0 and toks[k - 1].type in ("JUDGED", "OR"):
            k -= 1
        c = k - 1 if k > 1 and toks[k - 1].type == "COMMA" else k
        if c > 0 and toks[k].type != "OR" and _is_cancer(toks[c - 1]) \
                and _WITH.fullmatch(text[toks[c - 1].end_pos:toks[k].start_pos]):
            k = c
            toks = [*toks[:k], _span(toks[k + (toks[k].type == "COMMA")], toks[-1], text)]
            end = len(toks)
    k = end
    while k > 0 and toks[k - 1].type in _LIST and toks[k - 1].type != "CONDITION":
        k -= 1
    c = k - 1  # the cancer the qualifiers follow
    while k < end and toks[k].type in _JOINS:  # "NSCLC, metastatic": the comma before the qualifiers
        k += 1
    if k == end or c < 0 or not _is_cancer(toks[c]) or toks[end - 1].type != "JUDGED":
        return toks + after
    if any(t.type in _JOINS and u.type in _JOINS for t, u in zip(toks[k:end], toks[k + 1:end])
           if not (t.type == "COMMA" and u.type in ("OR", "AND"))):
        return toks + after
    qualifier = _span(toks[k], toks[end - 1], text)
    m = c
    while m > 0 and toks[m - 1].type in _LIST:
        m -= 1
    head = toks[m:c + 1]
    while head and head[0].type in _JOINS:  # the list begins at its first qualifier or cancer
        m += 1
        head = head[1:]
    if any(t.type == "CONDITION" and not _is_cancer(t) for t in head):
        return toks + after
    out = toks[:m]
    for t in head:
        if t.type == "CONDITION":
            out.append(Token("JUDGED", qualifier.value, start_pos=qualifier.start_pos, end_pos=qualifier.end_pos))
        out.append(t)
    return out + after


_JUXTAPOSED = re.compile(r"\s*,?\s*")


def _its_disease(toks: list[Token], text: str) -> list[Token]:
    """"colorectal cancer Unresectable disease", "head and neck cancer, stage III or IV disease": qualifiers of
    "disease" right after a cancer (NCI items run together) speak of that cancer: one qualifier of it."""
    out: list[Token] = []
    for t in toks:
        if t.type == "WORD" and str(t.value).lower() == "disease":
            k = len(out)
            while k > 0 and out[k - 1].type in ("JUDGED", "OR", "COMMA"):
                k -= 1
            k += k < len(out) and out[k].type == "COMMA"  # "head and neck cancer, stage III or IV disease"
            c = k - 1 if k > 1 and out[k - 1].type == "COMMA" else k
            # juxtaposed only: "breast cancer with recurrent disease" may speak of another disease (own_disease.json)
            if k < len(out) and out[k].type == "JUDGED" and c > 0 and _is_cancer(out[c - 1]) \
                    and _JUXTAPOSED.fullmatch(text[out[c - 1].end_pos:out[k].start_pos]):
                out[k:] = [_span(out[k], t, text)]
                continue
        out.append(t)
    return out


def _located(toks: list[Token]) -> list[Token]:
    """"recurrent supratentorial glioblastoma", "intracranial primary malignant glioma": where in the body a named
    cancer lies ([qualifiers] locations) is weighed by a person; only before a cancer (through qualifiers and
    lists of them), elsewhere the word stays unknown."""
    words = _locations()
    out = list(toks)
    for n, t in enumerate(out):
        if t.type != "WORD" or str(t.value).lower() not in words:
            continue
        j = n + 1
        while j < len(out) and out[j].type in ("JUDGED", "OR", "COMMA"):
            j += 1
        if j < len(out) and _is_cancer(out[j]):
            out[n] = Token("JUDGED", str(t.value).lower(), start_pos=t.start_pos, end_pos=t.end_pos)
    return out


_LOCATIONS: list[frozenset[str]] = []


def _locations() -> frozenset[str]:
    if not _LOCATIONS:
        _LOCATIONS.append(frozenset(vocab.tables("cancers.toml")["qualifiers"]["locations"]))
    return _LOCATIONS[0]
