"""Statements run together in one sentence ("ANC >= 1500/mm3 platelets >= 100,000/mm3", "Not pregnant Fertile
patients must use contraception"): where the grammar's "run" reading may split a sentence that fails to parse
whole, and where it must not (a treatment and what it treats, a word that ties one statement to the next). With
the start symbol each statement is parsed with. Kept apart from compile/__init__.py, which reads whole sentences.
"""

from __future__ import annotations

import re

from lark import Token, Tree
from lark.exceptions import LarkError

from .helpers import _therapy_counts
from .parsing import parse_tokens


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
    if start == "start" and any(t.type == "OPINION" for t in toks):
        return "start_opinion"  # the investigator weighs the statement (compile.judgement)
    if start == "start" and any(t.type in ("STABLE", "STABLEOF") for t in toks):
        return "start_stable"  # a stable-dose demand
    if start == "start" and (any(t.type in ("IFCOND", "UNLESS") for t in toks) or any(
            t.type in ("AGETAIL", "SEX") for t in toks) and any(t.type in ("QUANTITY", "QGROUP") for t in toks)):
        return "start_if"  # a relaxed or exempted threshold, or one for an age group or a sex
    return start


def _joining_word(tree: Tree, norm: str) -> str | None:
    """"No NYHA class III heart disease with uncontrolled coronary artery disease", "No prior biopsy of measurable
    lesion": a word the lexer dropped ("with", "of") between two run-together statements qualifies the first, it
    does not start a second one. The word, or None when the statements only abut ("Not pregnant Fertile patients
    must use contraception")."""
    ends, leads = [], []
    for statement in tree.children:
        toks = sorted((t for t in statement.scan_values(lambda v: isinstance(v, Token)) if t.end_pos is not None),
                      key=lambda t: t.start_pos)
        if toks:
            ends.append((toks[0].start_pos, max(t.end_pos for t in toks)))
            leads.append(toks[0].type)
    # "No active infection requiring oral or intravenous antibiotics": a participle goes with what precedes it
    if any(lead in ("REQUIRING", "NEEDS") for lead in leads[1:]):
        return "requiring"
    for (_, a_end), (b_start, _) in zip(ends, ends[1:]):
        gap = norm[a_end:b_start]
        if re.search(r"\bwith\b", gap, re.I):
            return "with"
        if m := _JOINING.fullmatch(gap):
            return m[1].lower()
    return None


# a preposition alone between two statements ties the second to the first: "biopsy of measurable lesion", "asthma
# for one year or greater" (a duration, not an age), "pregnant for more than 32 weeks". ("with" anywhere between
# them does; other words only alone, with an article: "criteria of the American College of Rheumatology for" is
# filler around a diagnosis)
_JOINING = re.compile(r"\W*\b(of|on|in|at|from|for|into|involving|including)\b(?:\s+(?:the|a|an)\b)?\W*", re.I)


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
