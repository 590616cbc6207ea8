"""Lists of drugs or illnesses under a heading that excludes or prohibits ("Excluded:", "The use of the following
medications is prohibited:"): "Erythromycin, clarithromycin, and azithromycin.", "Rifabutin and rifampin.". Each
member of such a list is excluded on its own, so the "and" between them means any of them, not all at once.

Only a plain list is read so: nothing but drug and illness names (a "known or suspected" or "systemic" before one)
between commas, "and" and "or", every "and" of the sentence one of its separators. Any other word may tie members
together ("aspirin combined with clopidogrel", "both A and B", "HIV and hepatitis B co-infection", "HIV positive and
receiving antiretroviral therapy"): the sentence keeps its review. Without such a heading an exclusion's "A and B"
may be a combination (a regimen of both) and stays in review too.
"""
from __future__ import annotations

import re
from typing import Callable

from .. import ir
from ..errors import ScreeningError
from ..lexer import tokenize
from .sentences import split_sentences

#: the review reason a plain list joined by "and" gets among the exclusions (CriteriaTransformer.group_list)
AND_MAY_MEAN_OR = "'and' between exclusion conditions may mean 'or'"

_MEMBERS = frozenset({"DRUG", "CONDITION", "SUSPECTED", "SYSTEMIC"})
_SEPARATORS = frozenset({"COMMA", "AND", "OR"})
_AND = re.compile(r"\band\b", re.I)

CompileOne = Callable[[str], ir.Node]


def each_excluded(text: str, compile_one: CompileOne) -> str:
    """``text`` with the "and" of each plain list sentence read as "or" (see the module); the sentence is rewritten
    only when it went to review for that "and" alone and its "or" reading compiles (a member that cannot be checked,
    "known or suspected hepatitis C", stays a review part of it). ``compile_one`` compiles one
    sentence as an exclusion."""
    out = text
    for start, sentence in split_sentences(text):
        if text[start:start + len(sentence)] != sentence or not _plain_list(sentence):
            continue
        before = compile_one(sentence)
        if not (isinstance(before, ir.Review) and before.reason == AND_MAY_MEAN_OR):
            continue
        each = _AND.sub("or", sentence)
        if isinstance(compile_one(each), ir.Review):  # a member the machine cannot check stays a review part
            continue
        at = start + len(out) - len(text)  # earlier rewrites may have changed the length
        out = out[:at] + each + out[at + len(sentence):]
    return out


def _plain_list(sentence: str) -> bool:
    """Nothing but names between separators, and every "and" of the sentence one of the separators."""
    try:
        toks, _ = tokenize(sentence)
    except ScreeningError:
        return False
    types = [t.type for t in toks]
    if not types or not set(types) <= _MEMBERS | _SEPARATORS or "AND" not in types:
        return False
    return types.count("AND") == len(_AND.findall(sentence))
