"""An item's text cut into sentences: abbreviations kept whole, statements run together without a stop split where a
new one certainly begins, NCI section labels dropped or lent as the object of a statement that names none.
"""
from __future__ import annotations

import re
from functools import lru_cache

from .. import ir, vocab
from ..lexer import phrase_data
from .helpers import _therapy_counts
from .own_disease import _tokens


# what each of several run-together statements names (a sentence with fewer than two cannot be several)
_STATEMENT_HEADS = frozenset({"QUANTITY", "QGROUP", "QTEST", "CONDITION", "CGROUP", "DXCRIT", "GENERIC", "DRUG",
                              "PROCEDURE", "PROCUSE", "VACCINE", "ALLERGY", "STUDY", "PREGNANT", "LACTATING", "SEX",
                              "AGE", "AGETAIL", "POSTCMP", "ATTEST", "STERILE"})


_ABBREVIATION = re.compile(r"(?<![\w.])(?:i\.e|e\.g)$", re.IGNORECASE)  # "i.e." and "e.g." end no sentence


@lru_cache(maxsize=1)
def _species_after() -> re.Pattern[str]:
    """A species after its genus's initial (phrases.toml [genus_initial]): "E. coli" is one name, not two sentences."""
    species = "|".join(re.escape(w) for w in phrase_data()["genus_initial"]["species"])
    return re.compile(rf" (?:{species})\b", re.IGNORECASE)


def _genus_initial(text: str, i: int) -> bool:
    """The period at i closes a lone letter ("E.") and a listed species follows."""
    return i >= 1 and text[i - 1].isalpha() and (i == 1 or not (text[i - 2].isalnum() or text[i - 2] == ".")) and bool(
        _species_after().match(text, i + 1))


def split_sentences(text: str) -> list[tuple[int, str]]:
    """Sentences of an item at parenthesis depth 0, with their offsets."""
    out, start, depth = [], 0, 0
    for i, ch in enumerate(text):
        depth += ch in "([" and 1 or 0
        depth -= ch in ")]" and 1 or 0
        if depth <= 0 and ch in ".;" and (i + 1 == len(text) or text[i + 1] == " ") and not (
                ch == "." and i > 0 and text[i - 1].isdigit() and i + 1 < len(text) and text[i + 1:i + 2].isdigit()) and not (
                ch == "." and i + 1 < len(text) and _ABBREVIATION.search(text, 0, i)) and not (  # "i.e. SBP >= 160"
                ch == "." and _genus_initial(text, i)):  # "E. coli-derived proteins"
            out.append((start, text[start:i]))
            start = i + 1
    out.append((start, text[start:]))
    out = [_unlabelled(*piece) for s, t in out for part in _unmarked(s, t) for piece in _run_together(*part)]
    return [(s + len(t) - len(t.lstrip()), t.strip(" .;:")) for s, t in out if t.strip(" .;:")]


@lru_cache(maxsize=1)
def _run_together_start() -> re.Pattern[str]:
    d = phrase_data()["run_together"]
    starts = "|".join(re.escape(w) for w in sorted(d["starts"], key=len, reverse=True))
    never = "|".join(re.escape(w) for w in d["never_before"])
    # after a lower-case word, a digit or a bracket, or after a capital that ends a name or unit ("mitomycin C",
    # "2.0 mg/dL", "by EKG"), but never after a capitalised conjunction ("... OR No androgen independence": alternatives)
    return re.compile(rf"(?:(?<=[a-z0-9)%\]])|(?<=[A-Z])(?<!\bOR)(?<!\bAND)(?<!\bNOR)) "
                      rf"(?=(?:{starts}) (?!(?i:{never})\b)[A-Za-z0-9(])")


def _run_together(start: int, text: str) -> list[tuple[int, str]]:
    """One sentence, or the statements an old NCI page ran together in it (phrases.toml [run_together])."""
    words = text.split()
    if not words or sum(w[:1].isupper() and w[1:2].islower() for w in words) > 0.4 * len(words):
        return [(start, text)]  # title case ("Any Medical Condition Which ..."): capitals say nothing (acronyms aside)
    cuts = [m.start() for m in _run_together_start().finditer(text)]
    bounds = [0, *cuts, len(text)]
    return [(start + a, text[a:b]) for a, b in zip(bounds, bounds[1:])]


# "No plasmapheresis in the last 2 months --Patient Characteristics--": an old NCI page's section marker
_MARKER = re.compile(r"\s*--\s*[A-Z][A-Za-z/ ]{2,40}?\s*--\s*")


def _unmarked(start: int, text: str) -> list[tuple[int, str]]:
    """The parts of a sentence around the section markers an old NCI page left in it ("--Prior/Concurrent
    Therapy--"): a marker ends a statement and says nothing itself."""
    out, at = [], 0
    for m in _MARKER.finditer(text):
        out.append((start + at, text[at:m.start()]))
        at = m.end()
    out.append((start + at, text[at:]))
    return out


@lru_cache(maxsize=1)
def _section_label() -> re.Pattern[str]:
    labels = "|".join(re.escape(w) for w in sorted(phrase_data()["run_together"]["labels"], key=len, reverse=True))
    return re.compile(rf"^\s*(?:{labels}):\s+(?=[A-Z])", re.I)


def _unlabelled(start: int, text: str) -> tuple[int, str]:
    """"Endocrine therapy: No concurrent immunosuppressive drugs": an old NCI page's section label before a
    statement that names its own subject says nothing more (phrases.toml [run_together] labels). The label stays
    where the statement may lean on it: a count of regimens ("Chemotherapy: No more than 1 prior regimen"), a
    "since" statement (the grammar checks its topic), or a statement that names no treatment or state of its own."""
    m = _section_label().match(text)
    if m is None:
        return start, text
    rest = text[m.end():]
    if rest.startswith("See "):  # "Chemotherapy: See Disease Characteristics": a pointer
        return start + m.end(), rest
    toks = _tokens(rest)
    counts = _therapy_counts()
    if not any(t.type in _STATEMENT_HEADS for t in toks) or any(
            t.type in ("SINCE", "WORD") or t.type == "QUANTITY" and t.value in counts for t in toks):
        return start, text
    return start + m.end(), rest


#: the object a statement under a therapy label leaves to the label ("Chemotherapy: No prior therapy")
_GENERIC_THERAPY = re.compile(r"\b(?:therapy|therapies|treatment|treatments)\b", re.I)


@lru_cache(maxsize=64)
def label_therapy(label: str) -> tuple[str, str] | None:
    """The one therapy kind an old NCI section label names, as (phrase, concept): "Chemotherapy" ->
    ("chemotherapy", "chemotherapy"), "Biologic therapy" -> ("biologic therapy", "biologic"); None for a label that
    is not one of phrases.toml [run_together] labels or names no single therapy ("Other")."""
    label = " ".join(label.split())
    if label.lower() not in {w.lower() for w in phrase_data()["run_together"]["labels"]}:
        return None
    toks = _tokens(label)
    if len(toks) != 1 or toks[0].type not in ("DRUG", "PROCEDURE"):
        return None
    return label.lower(), str(toks[0].value)


def _under_label(text: str, kind: str, start: str) -> ir.Node | None:
    """"Chemotherapy: No prior therapy", "Surgery: Recovered from prior therapy": on an old NCI page a statement
    under a label that names one therapy kind may leave its object to the label. Such a statement (no drug,
    procedure, condition or measure of its own, one bare "therapy"/"treatment", no "other") takes the label's
    therapy as its object; it is kept only when that reading compiles and names nothing but that therapy (or
    something under it). "Recovered from prior therapy" so becomes a person's call about that therapy ever given
    (ir.Judged, as "Recovered from prior chemotherapy"). None otherwise."""
    m = _section_label().match(text)
    if m is None or start != "start":
        return None
    therapy = label_therapy(text[:text.index(":")])
    rest = text[m.end():]
    if therapy is None or len(_GENERIC_THERAPY.findall(rest)) != 1 or re.search(r"\bother\b", rest, re.I):
        return None
    toks = _tokens(rest)
    if not toks or any(t.type in _STATEMENT_HEADS or t.type == "WORD" and not _GENERIC_THERAPY.fullmatch(str(t.value))
                       for t in toks):
        return None
    phrase, concept = therapy
    from . import _compile_sentence  # the sentence compiler reads the rewritten sentence
    node = _compile_sentence(_GENERIC_THERAPY.sub(phrase, rest, count=1), kind, start, frozenset())
    leaves = list(ir.walk(node))
    named = [n.concept for n in leaves if isinstance(n, (ir.Medication, ir.Procedure))]
    if not ir.is_executable(node) or not named or any(
            c != concept and concept not in vocab.ancestors(c) for c in named):
        return None
    return node

