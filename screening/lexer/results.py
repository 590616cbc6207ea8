"""Test results and antibody tests written in short: "HBsAg+", "HIV +" (a positive result written as a plus sign
after the test's name), and the antibody test of an infection named around "antibodies": "hepatitis C virus (HCV)
antibodies", "antibodies to human immunodeficiency virus (HIV)" (phrases.toml [antibody_tests]). Run after the
restatements in parentheses collapsed (passes._collapse)."""
from __future__ import annotations

import re

from lark import Token

from .lexicon import phrase_data

_ANTIBODY_WORDS = frozenset({"antibody", "antibodies", "ab", "abs"})
_TO_WORDS = frozenset({"to", "against"})
# between an infection's name and "antibodies": spaces, or a restatement the lexer dropped or kept ("hepatitis C
# (HCV) antibodies", "human immunodeficiency virus (HIV) antibodies")
_RESTATED = re.compile(r"[\s)\]]*(\([^()]{1,20}\))?[\s)\]]*")


def _plus_positive(toks: list[Token]) -> list[Token]:
    """"HBsAg+", "HIV +": a plus sign right after a qualitative test's name (at most one space) is a positive result.
    Not before a number or a slash ("HIV 1+2", "HBsAg +/-"), and not after a measurement ("CD4+ count": a cell
    marker; "2+ proteinuria": a grade)."""
    out = list(toks)
    for i in range(1, len(out)):
        t, before = out[i], out[i - 1]
        after = out[i + 1] if i + 1 < len(out) else None
        if t.type == "WORD" and t.value == "+" and before.type == "QTEST" and t.start_pos - before.end_pos <= 1 \
                and not (after is not None and (after.type in ("NUMBER", "OR", "TO") or after.value in ("-", "/"))):
            out[i] = Token("POS", "+", start_pos=t.start_pos, end_pos=t.end_pos)
    return out


def _tested(t: Token) -> str | None:
    """The antibody test of an infection (CONDITION) or an antibody test named already (QTEST), else None."""
    table: dict[str, str] = phrase_data()["antibody_tests"]
    if t.type == "CONDITION" and isinstance(t.value, str):
        return table.get(t.value)
    if t.type == "QTEST" and t.value in table.values():
        return str(t.value)
    return None


def _antibody_tests(toks: list[Token], text: str) -> list[Token]:
    """"hepatitis C (HCV) antibodies" and "antibodies to HIV": the antibody test of that infection. Only infections
    with one antibody test (phrases.toml [antibody_tests]): "hepatitis B antibodies" may be anti-HBs (immunity) or
    anti-HBc (exposure), so it stays unknown wording. Between the name and "antibodies" only spaces or a restatement
    in parentheses ("(HCV) antibodies")."""
    out: list[Token] = []
    i = 0
    while i < len(toks):
        t = toks[i]
        after = toks[i + 1] if i + 1 < len(toks) else None
        if after is not None and after.type == "WORD" and str(after.value).lower() in _ANTIBODY_WORDS \
                and _RESTATED.fullmatch(text[t.end_pos:after.start_pos]) and (test := _tested(t)):
            out.append(Token("QTEST", test, start_pos=t.start_pos, end_pos=after.end_pos))
            i += 2
            continue
        if t.type == "WORD" and str(t.value).lower() in _ANTIBODY_WORDS and i + 2 < len(toks) \
                and str(toks[i + 1].value).lower() in _TO_WORDS and (test := _tested(toks[i + 2])):
            out.append(Token("QTEST", test, start_pos=t.start_pos, end_pos=toks[i + 2].end_pos))
            i += 3
            continue
        out.append(t)
        i += 1
    return out
