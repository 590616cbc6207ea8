"""A condition's toxicity grade ("peripheral neuropathy > grade 1", "grade 2 or greater diarrhea"): a record lists the
condition, seldom its grade, so the grade is a qualifier a person weighs (ir.Judged) around the condition as it is now.
"""
from __future__ import annotations

import re

from lark import Token

from ..lexer import Ordinal, lexicon
from ..lexer.tokens import rewrite_runs

_GRADE_WORD = re.compile(r"\b(?:grade|class)\s*$")
_GRADE_ONLY = re.compile(r"\bgrade\s*$")


def _or_worse(toks: list[Token], text: str) -> list[Token]:
    """"grade 2 or worse": the grade or a higher one ("or greater"). Only right after the word "grade" (a CTCAE
    grade rises as the toxicity worsens); "visual acuity 20/40 or worse", "class II heart failure or worse" stay."""
    def at(toks: list[Token], i: int) -> tuple[list[Token], int] | None:
        seq = toks[i:i + 3]
        if len(seq) == 3 and seq[0].type == "NUMBER" and seq[1].type == "OR" and seq[1].value == "or" \
                and seq[2].type == "WORD" and seq[2].value == "worse" and isinstance(seq[0].value, Ordinal) \
                and _GRADE_ONLY.search(text.lower(), 0, seq[0].start_pos):
            return [seq[0], Token("POSTCMP", ">=", start_pos=seq[1].start_pos, end_pos=seq[2].end_pos)], 3
        return None
    return rewrite_runs(toks, at)


def _bracketed_grade(toks: list[Token], text: str) -> list[Token]:
    """"Peripheral neuropathy (grade 2 or greater)": the grade in brackets after its condition, read as written without
    them. Only a whole bracket of "grade N or higher" right after a condition."""
    def at(toks: list[Token], i: int) -> tuple[list[Token], int] | None:
        seq = toks[i:i + 5]
        if tuple(t.type for t in seq) == ("CONDITION", "LPAR", "NUMBER", "POSTCMP", "RPAR") \
                and isinstance(seq[2].value, Ordinal) and _GRADE_ONLY.search(text.lower(), 0, seq[2].start_pos):
            return [seq[0], seq[2], seq[3]], 5
        return None
    return rewrite_runs(toks, at)


def _grade_compared(toks: list[Token]) -> list[Token]:
    """"Peripheral neuropathy grade >= 2": the word "grade" before a comparison of a whole number 0-5 after a condition,
    read as "peripheral neuropathy >= grade 2" (the numeral a rank, never a measured value)."""
    def at(toks: list[Token], i: int) -> tuple[list[Token], int] | None:
        seq = toks[i:i + 4]
        if tuple(t.type for t in seq) == ("CONDITION", "WORD", "CMP", "NUMBER") and str(seq[1].value).lower() == "grade" \
                and not isinstance(seq[3].value, Ordinal) and float(seq[3].value).is_integer() and 0 <= seq[3].value <= 5:
            number = Token("NUMBER", Ordinal(seq[3].value), start_pos=seq[3].start_pos, end_pos=seq[3].end_pos)
            return [seq[0], seq[2], number], 4
        return None
    return rewrite_runs(toks, at)


def condition_grades(toks: list[Token], text: str) -> list[Token]:
    """CONDITION CMP grade, grade POSTCMP CONDITION, CONDITION grade POSTCMP: the condition after the qualifier
    "grade N or higher" (JUDGED), which the grammar reads as "uncontrolled X". Only a condition no measurement grades
    (lexicon ``condition_quantities``: "heart failure NYHA class >= III" is the NYHA class) and only a grade
    threshold of "or higher" or "above" (a condition "below grade 2" may be absent, or present and mild). Not after a
    measurement ("NYHA class II or greater heart failure" is the class), nor after a list ("ascites or pleural
    effusion >= grade 2": of both, or of the last?)."""
    measured = lexicon().condition_quantities
    toks = _bracketed_grade(_or_worse(_grade_compared(toks), text), text)
    def at(toks: list[Token], i: int) -> tuple[list[Token], int] | None:
        seq = toks[i:i + 3]
        kinds = tuple(t.type for t in seq)
        if kinds == ("CONDITION", "CMP", "NUMBER"):
            cond, op, grade, said = seq[0], seq[1].value, seq[2].value, seq[1:]
        elif kinds == ("NUMBER", "POSTCMP", "CONDITION"):
            cond, op, grade, said = seq[2], seq[1].value, seq[0].value, seq[:2]
        elif kinds == ("CONDITION", "NUMBER", "POSTCMP"):
            cond, op, grade, said = seq[0], seq[2].value, seq[1].value, seq[1:]
        else:
            return None
        before = toks[i - 1].type if i else ""
        if not isinstance(grade, Ordinal) or cond.value in measured or op not in (">=", ">") \
                or before in ("QUANTITY", "QGROUP", "CMP") \
                or (kinds[0] == "CONDITION" and before in ("OR", "AND", "COMMA")):
            return None
        start = said[0].start_pos
        if (word := _GRADE_WORD.search(text, 0, start)) is not None:  # the NUMBER token holds the numeral only
            start = word.start()
        words = " ".join(text[start:said[-1].end_pos].split())  # "> grade 1", "grade 2 or greater"
        return [Token("JUDGED", words, start_pos=seq[0].start_pos, end_pos=seq[-1].end_pos),
                Token("CONDITION", cond.value, start_pos=cond.start_pos, end_pos=cond.end_pos)], 3
    return rewrite_runs(toks, at)
