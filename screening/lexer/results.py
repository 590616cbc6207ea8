"""Test results and antibody tests written in short: "HBsAg+", "HIV +" (a positive result written as a plus sign
after the test's name), and the antibody test of an infection named around "antibodies": "hepatitis C virus (HCV)
antibodies", "antibodies to human immunodeficiency virus (HIV)" (phrases.toml [antibody_tests]), and a protein
reading in pluses as the urine test strip's grade ("proteinuria >= 2+"). Run after the restatements in parentheses
collapsed (passes._collapse)."""
from __future__ import annotations

import re

from lark import Token

from .lexicon import Ordinal, phrase_data

_ANTIBODY_WORDS = frozenset({"antibody", "antibodies", "ab", "abs"})
_TO_WORDS = frozenset({"to", "against"})
# between an infection's name and "antibodies": spaces, or a restatement the lexer dropped or kept ("hepatitis C
# (HCV) antibodies", "human immunodeficiency virus (HIV) antibodies")
_RESTATED = re.compile(r"[\s)\]]*(\([^()]{1,20}\))?[\s)\]]*")
# after these the plus sign joins two names ("HIV + HCV co-infection", "HBsAg + HBV DNA") or two numbers ("HIV 1+2")
_NOT_AFTER_PLUS = frozenset({"NUMBER", "OR", "TO", "QTEST", "CONDITION", "CGROUP", "QUANTITY", "QGROUP", "DRUG"})


def _plus_positive(toks: list[Token]) -> list[Token]:
    """"HBsAg+", "HIV +": a plus sign right after a qualitative test's name (at most one space) is a positive result.
    Not before a number, a slash ("HIV 1+2", "HBsAg +/-") or another name ("HIV + HCV"), and not after a
    measurement ("CD4+ count": a cell marker; "2+ proteinuria": a grade)."""
    out = list(toks)
    for i in range(1, len(out)):
        t, before = out[i], out[i - 1]
        after = out[i + 1] if i + 1 < len(out) else None
        if t.type == "WORD" and t.value == "+" and before.type == "QTEST" and t.start_pos - before.end_pos <= 1 \
                and not (after is not None and (after.type in _NOT_AFTER_PLUS or after.value in ("-", "/"))):
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


_DIPSTICK = "urine_protein_dipstick"
_PROTEIN_WORDS = frozenset({"protein", "proteins"})


def _plus_grade(toks: list[Token], i: int) -> bool:
    """"2+", "3 +": a whole number 1-4 with a plus sign right after it (at most one space), not "4+3" (a sum)."""
    t = toks[i]
    if t.type != "NUMBER" or i + 1 >= len(toks) or type(t.value) is not float or t.value not in (1.0, 2.0, 3.0, 4.0):
        return False
    plus = toks[i + 1]
    after = toks[i + 2] if i + 2 < len(toks) else None
    return plus.type == "WORD" and plus.value == "+" and plus.start_pos - t.end_pos <= 1 \
        and not (after is not None and after.type in ("NUMBER", "OR", "TO"))


def _protein_named(t: Token) -> bool:
    return t.type == "QUANTITY" and t.value in ("proteinuria_24h", _DIPSTICK) \
        or t.type == "WORD" and str(t.value).lower() in _PROTEIN_WORDS


def _dipstick_grades(toks: list[Token]) -> list[Token]:
    """"Proteinuria >= 2+", "<= 1+ proteinuria", "Urinalysis <= 1+ protein": a protein reading in pluses is the urine
    test strip's (quantities.toml urine_protein_dipstick), its grade the number. Only with proteinuria or protein
    named right before (past a comparator or a comma) or right after the grade; any other "N+" stays unknown
    ("Age 16+ years")."""
    out = list(toks)
    i = 0
    while i < len(out):
        if not _plus_grade(out, i):
            i += 1
            continue
        k = i - 1
        while k >= 0 and out[k].type in ("CMP", "COMMA", "COLON"):
            k -= 1
        named = k if k >= 0 and _protein_named(out[k]) else None
        if named is None and i + 2 < len(out) and _protein_named(out[i + 2]):
            named = i + 2
        if named is None:
            i += 1
            continue
        q = out[named]
        out[named] = Token("QUANTITY", _DIPSTICK, start_pos=q.start_pos, end_pos=q.end_pos)
        out[i:i + 2] = [Token("NUMBER", Ordinal(out[i].value), start_pos=out[i].start_pos, end_pos=out[i + 1].end_pos)]
        i += 1
    return out
