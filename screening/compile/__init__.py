"""Compile criteria text into rule trees (IR) with grammars/criteria.lark.

One ``CriteriaTransformer`` (``transformer``, with its rule families in ``measures``, ``events`` and
``states``) turns a parse tree into IR nodes, converting quantities to canonical units as it goes;
``parsing`` holds the Earley parser. This module reads sentences, items and trials: whatever does not
parse, or parses into something ambiguous, becomes a ``Review`` node carrying its text and the reason:
nothing in the source is dropped.
"""
from __future__ import annotations

import os
import re
from functools import lru_cache
from typing import Any

from lark import Token, Tree
from lark.exceptions import LarkError, VisitError

from .. import ir, statements, vocab
from ..errors import ScreeningError
from ..lexer import lexicon, phrase_data, phrase_key, tokenize
from ..trial import Trial
from .helpers import GROUP_ATTESTATIONS, Uncompilable, _all, _any, _therapy_counts
from .parsing import criteria_parser, parse_tokens
from .reproductive_groups import _childbearing, _with_group
from .transformer import CriteriaTransformer

__all__ = ["CriteriaTransformer", "Uncompilable", "compile_any", "compile_sentence", "compile_text", "compile_trial",
           "criteria_parser", "label_therapy", "source_hash", "split_sentences"]


_ABBREVIATION = re.compile(r"(?<![\w.])(?:i\.e|e\.g)$", re.IGNORECASE)  # "i.e." and "e.g." end no sentence


def split_sentences(text: str) -> list[tuple[int, str]]:
    """Sentences of an item at parenthesis depth 0, with their offsets."""
    out, start, depth = [], 0, 0
    for i, ch in enumerate(text):
        depth += ch in "([" and 1 or 0
        depth -= ch in ")]" and 1 or 0
        if depth <= 0 and ch in ".;" and (i + 1 == len(text) or text[i + 1] == " ") and not (
                ch == "." and i > 0 and text[i - 1].isdigit() and i + 1 < len(text) and text[i + 1:i + 2].isdigit()) and not (
                ch == "." and i + 1 < len(text) and _ABBREVIATION.search(text, 0, i)):  # "hypertension, i.e. SBP >= 160"
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
    node = _compile_sentence(_GENERIC_THERAPY.sub(phrase, rest, count=1), kind, start, frozenset())
    leaves = list(ir.walk(node))
    named = [n.concept for n in leaves if isinstance(n, (ir.Medication, ir.Procedure))]
    if not ir.is_executable(node) or not named or any(
            c != concept and concept not in vocab.ancestors(c) for c in named):
        return None
    return node


# what each of several run-together statements names (a sentence with fewer than two cannot be several)
_STATEMENT_HEADS = frozenset({"QUANTITY", "QGROUP", "QTEST", "CONDITION", "CGROUP", "DXCRIT", "GENERIC", "DRUG",
                              "PROCEDURE", "PROCUSE", "VACCINE", "ALLERGY", "STUDY", "PREGNANT", "LACTATING", "SEX",
                              "AGE", "AGETAIL", "POSTCMP", "ATTEST", "STERILE"})


_VALUE_ENDS = frozenset({"UNIT", "ULN", "NUMBER", "NORMAL", "RPAR", "ULNBARE", "LLNBARE", "POSTCMP", "TITER"})


def _measure_run(toks: list[Token]) -> Tree | None:
    """"ANC >= 1500/mm3 platelets >= 100,000/mm3": measurements run together, cut before each quantity that
    follows a value, each part read as a sentence of its own (parses of recurring shapes are reused); the tree
    the "run" rule would give. None when a part does not read alone: the full "run" parse decides then (it
    costs more: every cut is a reading to try)."""
    cuts = [i for i in range(1, len(toks)) if toks[i].type in ("QUANTITY", "QGROUP") and toks[i - 1].type in _VALUE_ENDS]
    if not cuts:
        return None
    bounds = [0, *cuts, len(toks)]
    statements = []
    for a, b in zip(bounds, bounds[1:]):
        try:
            part = parse_tokens(toks[a:b], _start_for(toks[a:b], "start"))
        except LarkError:
            return None
        if any(isinstance(c, Token) and c.type == "NEGTAIL" for c in part.children):
            return None
        statements.append(Tree("statement", list(part.children)))
    return Tree("run", statements)


def _start_for(toks: list[Token], start: str) -> str:
    """The start symbol a sentence (or one statement of a run) is parsed with: "start" gives way to a gated one
    when the tokens hold what only that one reads."""
    if start == "start" and any(t.type in ("STABLE", "STABLEOF") for t in toks):
        return "start_stable"  # a stable-dose demand
    if start == "start" and (any(t.type in ("IFCOND", "UNLESS") for t in toks) or any(
            t.type in ("AGETAIL", "SEX") for t in toks) and any(t.type in ("QUANTITY", "QGROUP") for t in toks)):
        return "start_if"  # a relaxed or exempted threshold, or one for an age group or a sex
    return start


def _joined_by_with(tree: Tree, norm: str) -> bool:
    """"No NYHA class III heart disease with uncontrolled coronary artery disease": "with" (a dropped filler)
    between two run-together statements qualifies the first, it does not start a second one."""
    ends, leads = [], []
    for statement in tree.children:
        toks = sorted((t for t in statement.scan_values(lambda v: isinstance(v, Token)) if t.end_pos is not None),
                      key=lambda t: t.start_pos)
        if toks:
            ends.append((toks[0].start_pos, max(t.end_pos for t in toks)))
            leads.append(toks[0].type)
    # "No active infection requiring oral or intravenous antibiotics": a participle goes with what precedes it
    return any(lead in ("REQUIRING", "NEEDS") for lead in leads[1:]) or any(
        re.search(r"\bwith\b", norm[a_end:b_start]) for (_, a_end), (b_start, _) in zip(ends, ends[1:]))


def _indication(toks: list[Token]) -> bool:
    """"Chemotherapy for breast cancer": a treatment followed by what it treats. Run-together
    statements must not split it into "had chemotherapy" and "has breast cancer" (nor "2 prior regimens of
    chemotherapy" into a count and a drug, nor "chemotherapy (6 weeks for X) for melanoma patients")."""
    counts = _therapy_counts()
    if any(a.type == "QUANTITY" and a.value in counts and b.type in ("DRUG", "PROCEDURE", "CONDITION", "CGROUP", "USE")
           for a, b in zip(toks, toks[1:])):
        return True
    opened: list[Token | None] = []
    for i, t in enumerate(toks):
        if t.type == "LPAR":
            opened.append(toks[i - 1] if i else None)
        elif t.type == "RPAR" and opened:
            before = opened.pop()
            if before is not None and before.type in ("DRUG", "PROCEDURE") and i + 1 < len(toks) \
                    and toks[i + 1].type in ("CONDITION", "CGROUP"):
                return True
    return any(a.type in ("DRUG", "PROCEDURE", "USE", "FOR", "TREATFOR") and b.type in ("CONDITION", "CGROUP") or
               a.type == "FOR" or
               a.type in ("CONDITION", "CGROUP") and b.type in ("USE", "PROCUSE")  # "seizures requiring drugs"
               for a, b in zip(toks, toks[1:]))


def _review_reason(toks: list[Token], text: str) -> str:
    if text.count("(") != text.count(")") or text.lstrip().startswith((")", ",")):
        return "fragment: unbalanced parentheses, the text was probably mangled"
    if any(t.type == "EQ" for t in toks):
        return "'=' on a continuous measurement: the comparator (≤ or ≥) was probably lost"
    words = list(dict.fromkeys(str(t) for t in toks if t.type == "WORD"))
    if words:
        shown = ", ".join(f"'{w}'" for w in words[:6])
        return f"wording the grammar does not cover ({shown})"
    return "the grammar does not cover this combination of phrases"


def compile_sentence(text: str, kind: str, start: str = "start", own: frozenset[str] = frozenset(),
                     own_disease: bool = True, own_known: bool = True) -> ir.Node:
    """One sentence -> IR, or a Review node saying why not. The trial's own conditions (``own``) matter
    only to "no other X"; other sentences are compiled (and cached) without them. ``own_known`` False: some
    of the trial's conditions are unknown to the vocabularies (or known only by something broader), so
    "other" cannot name all of them."""
    node = _compile_sentence(text, kind, start, frozenset())
    if kind == "inclusion" and isinstance(node, ir.Review) and (healthy := _healthy(text, start)) is not None:
        return healthy
    if own and isinstance(node, ir.Review) and node.reason.startswith("'other' condition"):
        if not own_known:  # "No other malignancy" in a primary peritoneal cancer trial: that cancer is no exception
            return ir.Review(text, "'other' than the trial's own conditions, which the vocabularies do not all know")
        return _compile_sentence(text, kind, start, own)
    if own and own_known and isinstance(node, ir.Review) and "viral load" in text.lower():
        # "Viral load of at least 1,000 copies/ml" in an HIV trial: the HIV RNA
        retried = _compile_sentence(text, kind, start, own)
        return retried if ir.is_executable(retried) else node
    if own and own_disease and isinstance(node, ir.Review) and node.reason == _DISEASE_ONLY and _own_malignancies(own):
        # "Stage IV disease" in a colorectal cancer trial: the trial's own cancer at that stage
        retried = _compile_sentence(text, kind, start, own)
        return retried if _own_disease_judged(retried, own) else node
    return node


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
    if not rest or all(w in people for w in rest.lower().split()):
        return healthy
    node = _compile_sentence(rest, "inclusion", start, frozenset())
    return None if not ir.is_executable(node) else _all([healthy, node])


# Words that say how far the trial's own cancer has gone ("Stage IV disease", "recurrent or progressive
# disease"); a bare "disease" after them means that cancer. Other words before "disease" ("serious",
# "chronic", "active", "measurable", "residual", "no evidence of") name something else or its opposite.
_DISEASE_STATE = re.compile(
    r"(?:stage [0i]?[iv]{0,3}[abc]?\d?|metastatic|(?:locally )?recurrent|relapsed|refractory|progressive|"
    r"(?:locally )?advanced|unresectable|inoperable|persistent)")


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
    longest = max(map(len, words))
    out: list[Token] = []
    i = 0
    while i < len(toks):
        out.append(toks[i])
        if toks[i].type == "UNIT" and toks[i].value == "%":
            run = 0
            while i + 1 + run < len(toks) and toks[i + 1 + run].type == "WORD" and run < longest:
                run += 1
            size = next((n for n in range(run, 0, -1)
                         if tuple(str(t).lower() for t in toks[i + 1:i + 1 + n]) in words), 0)
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


_NOTHING = "nothing to check in this text"


@lru_cache(maxsize=65536)
def _compile_sentence(text: str, kind: str, start: str, own: frozenset[str]) -> ir.Node:
    if (labelled := _under_label(text, kind, start)) is not None:
        return labelled
    try:
        toks, norm = tokenize(text)
    except ScreeningError as exc:
        return ir.Review(text, f"cannot read: {exc.message}")
    if not toks:
        return ir.Review(text, _NOTHING)
    if own:
        toks = _own_disease(toks, own, kind)
    toks = _viral_loads(toks, own)
    toks = _marrow_extent(toks)
    if norm.lstrip().startswith("for ") and not (toks[0].type in ("SEX", "POPULATION") and _reproductive(toks)):
        # "for acromegaly": whom the items around it are for, not a demand ("for women of childbearing potential,
        # negative pregnancy test" is one: start_repro)
        return ir.Review(text, "a fragment: 'for ...' says whom or what other criteria are for")
    if any(t.type == "WORD" for t in toks) or text.count("(") != text.count(")"):
        return _as_statement(text, kind) or _attestation_tail(text, kind, start, own) or ir.Review(
            text, _review_reason(toks, text))
    if kind == "inclusion" and all(t.type in ("DRUG", "PROCEDURE", "COMMA", "OR", "AND") for t in toks):
        # a bare "Chemotherapy" among the inclusion criteria is a sub-heading far more often than a demand
        return ir.Review(text, "a bare treatment name among the inclusion criteria: a heading, or a requirement?")
    try:
        start = _start_for(toks, start)
        try:
            tree = _parse_reproductive(toks, start)
        except LarkError:
            if start not in ("start", "start_if", "start_stable") or len(toks) < 4 or _indication(toks) or kind != "inclusion" \
                    or sum(t.type in _STATEMENT_HEADS for t in toks) < 2:
                raise  # among the exclusions "A with B" split into statements would exclude on A alone
            tree = _measure_run(toks) or parse_tokens(toks, "run")  # statements run together
            if _joined_by_with(tree, norm):
                return ir.Review(text, "'with' or 'requiring' may tie what follows to the statement before it: one statement or two?")
        node = CriteriaTransformer(kind, own).transform(tree)
        if ir.Attestation("contraception") in ir.walk(node) and not any(
                isinstance(n, ir.Sex) or isinstance(n, ir.Attestation) and n.name in GROUP_ATTESTATIONS
                for n in ir.walk(node)):
            # "Adequate contraception required of all fertile patients": the group among the attested words
            node = _with_group(node, text)
        if _age_subject().search(text) and any(isinstance(n, ir.Measure) and n.quantity == "age" for n in ir.walk(node)) \
                and not (isinstance(node, ir.Measure)):
            return ir.Review(text, "an age that says whom the demand is for ('Subjects aged 18 or over must have ...'): "
                                   "for them only, or a demand too?")
        if _both_sexes(node):  # "Male of female aged 20 years or more": a typo no patient could meet
            return ir.Review(text, "asks for both sexes at once: 'or' mistyped?")
        if kind == "inclusion" and _demands_any_illness(node):  # "Serious disease" among the inclusions
            return ir.Review(text, "an illness of any kind required: a heading, the trial's own disease, or an exclusion?")
        return node
    except VisitError as exc:
        orig = exc.orig_exc
        if isinstance(orig, (Uncompilable, ScreeningError, ValueError)):
            return ir.Review(text, str(orig.message if isinstance(orig, ScreeningError) else orig))
        raise
    except LarkError:
        return _as_statement(text, kind) or _attestation_tail(text, kind, start, own) or _labelled(
            text, toks, kind, start, own) or ir.Review(text, _review_reason(toks, text))


_LABEL_KINDS: dict[str, type[ir.Node]] = {"DRUG": ir.Medication, "CONDITION": ir.Condition, "PROCEDURE": ir.Procedure}


def _labelled(text: str, toks: list[Token], kind: str, start: str, own: frozenset[str]) -> ir.Node | None:
    """"Neuroleptics: pimozide", "Asthma: a current diagnosis of asthma", "Lung resection: lung volume reduction
    surgery within 12 months": the item's topic as a heading before a colon. What follows is read alone when it
    compiles and every drug, condition or procedure of the heading's kind it names is the heading's concept or
    under it, with one at least ("Aplastic anemia patients: LVEF >= 45%" demands of a subgroup: review). A dose in
    it stays in review ("itraconazole, fluconazole (doses > 200 mg/day)": said of one drug or all?). Else None."""
    colon = next((i for i, t in enumerate(toks) if t.type == "COLON"), None)
    if start != "start" or not colon or toks[colon - 1].type not in _LABEL_KINDS or any(
            t.type not in (*_LABEL_KINDS, "OR", "AND", "COMMA") for t in toks[:colon]):
        return None
    cut = text.find(":")
    if cut < 0 or [t.type for t in tokenize(text[:cut])[0]] != [t.type for t in toks[:colon]]:
        return None
    node = _compile_sentence(text[cut + 1:], kind, start, own)
    leaves = list(ir.walk(node))
    if not ir.is_executable(node) or any(isinstance(n, ir.Medication) and n.dose is not None for n in leaves):
        return None
    for k, cls in _LABEL_KINDS.items():
        heads = {str(t.value) for t in toks[:colon] if t.type == k}
        named = [n.concept for n in leaves if type(n) is cls]  # type: ignore[attr-defined]
        if heads and (not named or any(heads.isdisjoint(vocab.ancestors(c)) for c in named)):
            return None
    return node


def _parse_reproductive(toks: list[Token], start: str) -> Tree:
    """`start`, and when it fails on a sentence that names pregnancy, lactation, sterility or menopause,
    `start_repro` (statements said of a group; its own start symbol keeps their readings out of every other parse)."""
    try:
        return parse_tokens(toks, start)
    except LarkError:
        if start not in ("start", "start_if") or not _reproductive(toks):
            raise
        return parse_tokens(toks, "start_repro")


def _reproductive(toks: list[Token]) -> bool:
    return any(t.type in ("PREGNANT", "LACTATING", "STERILE") or t.type == "QTEST" and t.value == "pregnancy_test"
               or t.type == "ATTEST" and t.value[0] == "contraception"
               or t.type == "CONDITION" and t.value == "postmenopausal"
               or t.type == "POPULATION" and _childbearing(t) for t in toks)


# where a contraception statement may close a sentence of other demands: "..., and must use adequate birth control"
# among the inclusions (both demanded), "..., or women unwilling to use contraception" among the exclusions
_TAIL_SPLIT = {"inclusion": re.compile(r"\s*(?:,\s*and\b|;|\band\b)\s*", re.I),
               "exclusion": re.compile(r"\s*(?:,\s*or\b|;|,|\bor\b)\s*", re.I)}


_CONTRACEPTION = frozenset({"contraception", "contraceptive", "contraceptives", "birth"})


def _attestation_tail(text: str, kind: str, start: str, own: frozenset[str]) -> ir.Node | None:
    """"Not pregnant or nursing and willing to use contraception": a sentence of facts closed by a contraception
    statement, joined by "and" or a comma (among the exclusions "or"). The statement is read by its closed word
    lists (``screening.statements``) from the longest tail that is one; the rest must compile on its own, with
    nothing left for review. Anything else: None."""
    if start != "start" or _CONTRACEPTION.isdisjoint(statements.words_of(text)):
        return None
    for m in _TAIL_SPLIT[kind].finditer(text):
        head, tail = text[:m.start()].strip(), text[m.end():].strip()
        if not head or not tail:
            continue
        try:
            stated = statements.attestation_statement(tail, kind)
        except ValueError:
            return None
        if stated is None:
            continue
        if (stated.item if isinstance(stated, ir.Not) else stated) != ir.Attestation("contraception"):
            return None
        stated = _with_group(stated, tail)
        first = _compile_sentence(head, kind, start, own)
        if kind == "inclusion" and isinstance(first, ir.AnyOf) and re.search(r"\bor\b", head, re.I):
            return None  # "postmenopausal or sterile and using contraception": which does "and" join?
        if not ir.is_executable(first) or isinstance(first, ir.Permitted) or any(
                isinstance(n, ir.Review) or isinstance(n, ir.Attestation) and n.name not in GROUP_ATTESTATIONS
                for n in ir.walk(first)):  # facts, then the statement
            return None
        return _all([first, stated]) if kind == "inclusion" else _any([first, stated])
    return None


def _as_statement(text: str, kind: str) -> ir.Node | None:
    """A sentence the grammar cannot read may still be a permission or a person's statement
    (``screening.statements``); None when it is neither."""
    subject = statements.permission_subject(text)
    if subject is not None:
        try:
            toks, _ = tokenize(subject)
        except ScreeningError:
            return None
        return ir.Permitted(text) if statements.is_plain_subject(toks) else None
    try:
        node = statements.attestation_statement(text, kind)
    except ValueError as exc:
        return ir.Review(text, str(exc))
    return None if node is None else _with_group(node, text)


def compile_text(text: str, kind: str, start: str = "start", own: frozenset[str] = frozenset(),
                 own_disease: bool = True) -> ir.Node:
    """An item's own text -> IR. Sentences that compile are combined; one that does not becomes a
    review part, unless some sentence could change the meaning of the rest (then the whole item)."""
    sentences = split_sentences(text)
    if not sentences:
        return ir.Review(text, "empty item")
    # "Prior malignancy allowed if treated. No recurrent disease.": "disease" may be the other cancer
    own_known = own_disease
    own_disease = own_disease and (len(sentences) == 1 or _names_only_own(_tokens(text), own))
    nodes = [compile_sentence(s, kind, start, own, own_disease, own_known) for _, s in sentences]
    if len(nodes) > 1:  # "See Disease Characteristics At least 4 weeks since ...": a pointer holds nothing to check
        nodes = [n for n in nodes if not _says_nothing(n)] or nodes
    if len(nodes) == 1:
        return nodes[0]
    reviews = [n for n in nodes if isinstance(n, ir.Review)]
    if reviews and (len(reviews) == len(nodes) or _has_modifier(text)):
        return ir.Review(text, "; ".join(dict.fromkeys(r.reason for r in reviews)))
    demands = [n for n in nodes if not isinstance(n, ir.Permitted)]
    if any(isinstance(n, ir.Permitted) and not _permission_apart(n, demands) for n in nodes):
        # "No prior chemotherapy. Prior hydroxyurea allowed.": the permission is an exception to the rest
        return ir.Review(text, "a permission beside other demands may be an exception to them")
    if any(_OTHER_SIDE[kind].search(s) for _, s in sentences[1:]):
        # "Pregnant or breastfeeding. Women ... must have a negative pregnancy test." under the
        # exclusions: the second sentence is a requirement, and any() would exclude on it
        return ir.Review(text, f"the item mixes {kind} criteria with sentences of the other kind")
    return _all(nodes) if kind == "inclusion" else _any(nodes)


def _demands_any_illness(node: ir.Node, negated: bool = False) -> bool:
    """The generic illness (vocab.ANY_CONDITION) asked for, not ruled out."""
    if isinstance(node, ir.Condition):
        return node.concept == vocab.ANY_CONDITION and not negated
    return any(_demands_any_illness(c, negated != isinstance(node, ir.Not)) for c in ir.children(node))


@lru_cache(maxsize=1)
def _age_subject() -> re.Pattern[str]:
    return re.compile(phrase_data()["age_subject"]["pattern"], re.I)


def _both_sexes(node: ir.Node) -> bool:
    return any(isinstance(n, ir.All) and len({c.value for c in n.items if isinstance(c, ir.Sex)}) > 1
               for n in ir.walk(node))


def _says_nothing(node: ir.Node) -> bool:
    return isinstance(node, ir.Review) and node.reason == _NOTHING


_FACTS = (ir.Condition, ir.Medication, ir.Procedure, ir.Immunization, ir.Allergy)


def _permission_apart(permission: ir.Permitted, demands: list[ir.Node]) -> bool:
    """A permission that cannot be an exception to the demands beside it: nothing it allows is something
    they forbid or ask about ("Concurrent epoetin alfa allowed. No concurrent chemotherapy"), or it allows
    what was before and they speak of now ("Prior radiotherapy allowed No concurrent radiotherapy")."""
    subject = statements.permission_subject(permission.text) or ""
    toks = _tokens(subject)
    allowed = {str(t.value) for t in toks if t.type in ("DRUG", "PROCEDURE", "CONDITION", "VACCINE")}
    if not allowed or any(t.type in ("WORD", "CGROUP") for t in toks):
        return False
    before = toks[0].type == "PRIOR" and not any(t.type == "USE" and str(t) != "therapy" for t in toks)
    for demand in demands:
        for fact in ir.walk(demand):
            if not isinstance(fact, _FACTS):
                continue
            if any(_overlap(a, fact.concept) for a in allowed) \
                    and not (before and getattr(fact, "window", None) == ir.Window(0)):
                return False
    return True


@lru_cache(maxsize=4096)
def _overlap(a: str, b: str) -> bool:
    """One concept under the other, or a listed concept under both ("hormonal therapy" and "chemotherapy"
    share estramustine)."""
    if a == b or a in vocab.ancestors(b) or b in vocab.ancestors(a):
        return True
    return any(a in up and b in up for up in map(vocab.ancestors, vocab.concepts()))


_OTHER_SIDE = {
    "exclusion": re.compile(r"\b(must|should|required|requires?|need to|needs to|has to|have to|will be)\b", re.I),
    "inclusion": re.compile(r"\b(excluded|exclude|not eligible|ineligible|not allowed|not permitted|prohibited)\b", re.I),
}


def _has_modifier(text: str) -> bool:
    words = set(re.findall(r"[a-z]+", text.lower()))
    return not words.isdisjoint(lexicon().modifiers)


def compile_trial(trial: Trial) -> ir.CompiledTrial:
    """Every source item becomes a criterion; nothing is dropped (see ``screening.assemble``)."""
    from ..assemble import compile_trial as assemble_trial
    return assemble_trial(trial)


def source_hash(trial: Trial) -> str:
    """What a rules file is checked against: the criteria text and structured fields."""
    from ..assemble import source_hash as hash_of
    return hash_of(trial)


def compile_any(trial: Any) -> ir.CompiledTrial:
    """A CompiledTrial, Trial, rules file or trial file path -> CompiledTrial."""
    if isinstance(trial, ir.CompiledTrial):
        return trial
    if isinstance(trial, Trial):
        return compile_trial(trial)
    path = os.fspath(trial)
    if path.endswith(".rules"):
        from ..rules import load_rules
        return load_rules(path)
    from ..ingest import load_trial
    return compile_trial(load_trial(path))

