"""Token rewrites before a sentence is parsed that depend on the trial: its own disease ("no other malignancy",
"disease" naming it), its healthy volunteers, viral loads of its virus, and a radiotherapy's share of the marrow.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Collection
from functools import lru_cache

from lark import Token

from .. import ir, vocab
from ..errors import ScreeningError
from ..lexer import phrase_data, phrase_key, tokenize
from .helpers import _all


_DISEASE_ONLY = "wording the grammar does not cover ('disease')"


@lru_cache(maxsize=1)
def _healthy_lead() -> tuple[re.Pattern[str], frozenset[str]]:
    d = phrase_data()["healthy"]
    leads = "|".join(re.escape(x) for x in sorted(d["leads"], key=len, reverse=True))
    return re.compile(rf"^\s*(?:{leads})\b[\s,]*", re.I), frozenset(d["people"])


def _healthy(text: str, start: str) -> ir.Node | None:
    """"Healthy male and female subjects aged 18 to 50": no recorded condition a person would weigh against being
    healthy (ir.Judged of any condition: none -> met, any -> review, no list -> unknown), and the rest read on
    its own; None when the sentence does not open so or its rest does not compile (phrases.toml [healthy])."""
    lead, people = _healthy_lead()
    m = lead.match(text)
    if m is None:
        return None
    healthy = ir.Not(ir.Judged("not healthy", ir.Condition(vocab.ANY_CONDITION, ir.Window(0))))
    rest = text[m.end():].strip(" .;,")
    if rest.lower() in phrase_data()["healthy"]["judged_by"]:  # "in good health as determined by the investigator"
        return healthy
    if not rest or all(w in people for w in rest.lower().split()):
        return healthy
    from . import _compile_sentence  # the sentence compiler reads the rest
    node = _compile_sentence(rest, "inclusion", start, frozenset())
    return None if not ir.is_executable(node) else _all([healthy, node])


# Words that say how far the trial's own cancer has gone ("Stage IV disease", "recurrent or progressive
# disease"); a bare "disease" after them means that cancer. Other words before "disease" ("serious",
# "chronic", "active", "measurable", "residual", "no evidence of") name something else or its opposite.
_DISEASE_STATE = re.compile(
    r"(?:stage [0i]?[iv]{0,3}[abc]?\d?|metastatic|(?:locally )?recurrent|relapsed|refractory|progressive|"
    r"(?:locally )?advanced|unresectable|inoperable|persistent|"
    # how the cancer was treated or can be ("previously untreated disease", "resectable disease"), its risk group
    # ("high-risk disease"), and the older WHO measure of its size ("bidimensionally measurable disease": RECIST's
    # "measurable disease" is a test of its own, quantities.toml)
    r"previously untreated|(?:potentially |borderline )?resectable|operable|localized|"
    r"(?:low|intermediate|high)[- ]risk|early[- ]stage|(?:limited|extensive)[- ]stage|bidimensionally measurable)")


_STAGE_PART = re.compile(r"[iv]{1,3}[abc]?\d?")


def _disease_state(words: str) -> bool:
    """Every word of a JUDGED token says how far a cancer has gone ("stage iia, iib, or iii")."""
    parts = [p for p in re.split(r"\s*(?:,|/|\bor\b|\band\b)\s*", words.lower()) if p]
    staged = bool(parts) and parts[0].startswith("stage ")
    return bool(parts) and all(_DISEASE_STATE.fullmatch(p) or staged and _STAGE_PART.fullmatch(p) for p in parts)


def _own_malignancies(own: frozenset[str]) -> bool:
    return all("malignancy" in vocab.ancestors(o) for o in own)


def _own_disease(toks: list[Token], own: frozenset[str], kind: str) -> list[Token]:
    """Among the inclusions of a cancer trial, "disease" right after words of stage or course
    ("metastatic", "stage IV", "relapsed or refractory") is the trial's own cancer(s): a CGROUP of ``own``.
    Only when the sentence names no condition but the trial's own (and more specific ones): "prior
    malignancy ... no recurrent disease" speaks of another cancer. Anything else is left as it is."""
    if kind != "inclusion" or not _own_malignancies(own) or not _names_only_own(toks, own):
        return toks
    out = list(toks)
    for i, t in enumerate(toks):
        if t.type == "WORD" and str(t).lower() == "disease" and i > 0 and toks[i - 1].type == "JUDGED" \
                and all(_disease_state(str(q.value)) for q in _quals_before(toks, i)) \
                and not (i + 1 < len(toks) and toks[i + 1].type == "WORD"):
            out[i] = Token("CGROUP", tuple(sorted(own)), start_pos=t.start_pos, end_pos=t.end_pos)
    return out


_GRADE_VALUES = frozenset({"NUMBER", "OR", "TO", "BETWEEN", "COMMA", "AND", "CMP"})


def _graded_disease(toks: list[Token]) -> list[Token]:
    """"No New York Heart Association class III or IV disease": a bare "disease" right after the grade of a scale that
    grades one kind of disease only (phrases.toml [graded_disease]: the NYHA class grades heart disease) is that
    disease, a CONDITION the measurement then reads as it reads "class III or IV heart disease". Anything else is
    left as it is."""
    graded = phrase_data()["graded_disease"]
    if not any(t.type == "QUANTITY" and t.value in graded for t in toks):
        return toks
    out = list(toks)
    for i, t in enumerate(toks):
        if t.type != "WORD" or str(t).lower() != "disease" or i == 0 or toks[i - 1].type != "NUMBER":
            continue
        j = i - 1
        while j > 0 and toks[j].type in _GRADE_VALUES:
            j -= 1
        if toks[j].type == "QUANTITY" and toks[j].value in graded:
            out[i] = Token("CONDITION", graded[toks[j].value], start_pos=t.start_pos, end_pos=t.end_pos)
    return out


_LINKS = frozenset({"of", "the"})  # dropped by the lexer as fillers: "involvement of the CNS" is two WORD tokens


def _content(words: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    return tuple(w for w in words if w not in _LINKS)


@lru_cache(maxsize=1)
def _involvement_words() -> dict[tuple[str, ...], str]:
    return {_content(phrase_key(p)): c for p, c in phrase_data()["own_involvement"].items()}


def involvement_named(text: str) -> bool:
    """Does the text hold one of phrases.toml [own_involvement] (a cheap test before a retry with the trial)?"""
    words = _content(phrase_key(text))
    return any(words[i:i + len(k)] == k for k in _involvement_words() for i in range(len(words) - len(k) + 1))


def _own_involvement(toks: list[Token], own: frozenset[str]) -> list[Token]:
    """In a cancer trial, "No CNS involvement", "Known CNS disease", "liver involvement": the unknown words of a
    phrases.toml [own_involvement] phrase become the CONDITION of the cancer in that organ (cns_involvement,
    liver_involvement). Only when the trial's own conditions are all cancers and the sentence names no condition
    but the trial's own ones ("No active CNS disease (e.g., seizures)" speaks of more than the cancer)."""
    if not _own_malignancies(own) or not _names_only_own(toks, own):
        return toks
    table = _involvement_words()
    out: list[Token] = []
    i = 0
    while i < len(toks):
        size = _word_run(toks, i, table, _words)
        if size:
            first, last = toks[i], toks[i + size - 1]
            concept = table[_words(toks[i:i + size])]
            out.append(Token("CONDITION", concept, start_pos=first.start_pos, end_pos=last.end_pos))
            i += size
            continue
        out.append(toks[i])
        i += 1
    return out


def _word_run(toks: list[Token], j: int, table: Collection[tuple[str, ...]],
              key: Callable[[list[Token]], tuple[str, ...]]) -> int:
    """How many WORD tokens from ``toks[j]`` on make the longest phrase of ``table`` (by ``key``); 0: none."""
    longest = max(map(len, table))
    run = 0
    while j + run < len(toks) and toks[j + run].type == "WORD" and run < longest:
        run += 1
    return next((n for n in range(run, 0, -1) if key(toks[j:j + n]) in table), 0)


def _words(toks: list[Token]) -> tuple[str, ...]:
    return _content([str(t).lower() for t in toks])


_COPIES = "copies/mL"


def _viral_loads(toks: list[Token], own: frozenset[str]) -> list[Token]:
    """A count of virus copies is the HIV RNA (viral load) where the virus is certain: "HIV levels of at least 1,000
    copies/ml", "a viral load (level of HIV in the blood) of ...", or a bare "viral load of ..." in a trial whose own
    conditions are all HIV infection (``own``, known by compile_sentence's retry). Anything else is left as it is."""
    if not any(t.type == "UNIT" and t.value == _COPIES for t in toks):
        return toks
    hiv_trial = bool(own) and all("hiv_infection" in vocab.ancestors(o) for o in own)
    out: list[Token] = []
    i = 0
    while i < len(toks):
        t = toks[i]
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        hiv_inside = nxt is not None and nxt.type == "LPAR" and i + 3 < len(toks) and toks[i + 3].type == "RPAR" \
            and toks[i + 2].type == "QTEST" and toks[i + 2].value == "hiv_antibody"
        rest = toks[i + 4:] if hiv_inside else toks[i + 1:]
        counted = bool(rest) and rest[0].type in ("CMP", "BETWEEN", "NUMBER") and \
            next((u.value for u in rest if u.type == "UNIT"), None) == _COPIES
        if counted and (t.type == "QTEST" and t.value == "hiv_antibody"
                        or t.type == "TESTWORD" and str(t.value).lower() == "viral load" and (hiv_inside or hiv_trial)):
            out.append(Token("QUANTITY", "hiv_rna", start_pos=t.start_pos, end_pos=t.end_pos))
            i += 4 if hiv_inside else 1
            continue
        out.append(t)
        i += 1
    return out


@lru_cache(maxsize=1)
def _marrow_words() -> frozenset[tuple[str, ...]]:
    return frozenset(phrase_key(p) for p in phrase_data()["marrow_extent"]["phrases"])


def _marrow_extent(toks: list[Token]) -> list[Token]:
    """"Radiotherapy to more than 25% of bone marrow": the unknown words right after a percentage that name the
    marrow (phrases.toml [marrow_extent]) become one MARROW token; anything else is left as it is."""
    if not any(t.type == "UNIT" and t.value == "%" for t in toks):
        return toks
    words = _marrow_words()
    out: list[Token] = []
    i = 0
    while i < len(toks):
        out.append(toks[i])
        if toks[i].type == "UNIT" and toks[i].value == "%":
            size = _word_run(toks, i + 1, words, lambda run: tuple(str(t).lower() for t in run))
            if size:
                first, last = toks[i + 1], toks[i + size]
                out.append(Token("MARROW", "bone marrow", start_pos=first.start_pos, end_pos=last.end_pos))
                i += size
        i += 1
    return out


def _quals_before(toks: list[Token], i: int) -> list[Token]:
    """The JUDGED tokens of the run of qualifiers ending right before ``toks[i]`` ("serious, progressive")."""
    out = []
    while i > 0 and toks[i - 1].type in ("JUDGED", "COMMA", "OR", "AND"):
        i -= 1
        if toks[i].type == "JUDGED":
            out.append(toks[i])
    return out


def _names_only_own(toks: list[Token], own: frozenset[str]) -> bool:
    """No condition in ``toks`` but the trial's own ones and those more specific ("metastatic colorectal cancer")."""
    return not any(t.type == "CGROUP" or t.type == "CONDITION" and not (
        t.value in own or any(o in vocab.ancestors(t.value) for o in own)) for t in toks)


def _tokens(text: str) -> list[Token]:
    try:
        return tokenize(text)[0]
    except ScreeningError:
        return []


def _own_disease_judged(node: ir.Node, own: frozenset[str]) -> bool:
    """The retried reading holds the trial's own conditions only as qualified facts (ir.Judged)."""
    if isinstance(node, ir.Review):
        return False

    def ok(n: ir.Node, judged: bool) -> bool:
        if isinstance(n, ir.Condition) and n.concept in own:
            return judged
        return all(ok(c, judged or isinstance(n, ir.Judged)) for c in ir.children(n))
    return ok(node, False)

