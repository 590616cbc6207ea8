"""Token passes over measured values (split from passes.py by topic): the anchor of a value ("at screening"), "above
normal", blood pressure written as one pair, baseline values, and a measurement named twice ("hemoglobin (Hb)").
"""
from __future__ import annotations

from lark import Token


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
        if before.type == "QGROUP":  # "abnormal liver function tests (LFTs)": the group named again
            return len(before.value) == 1 and x.type == "QUANTITY" or x.type == "QGROUP" and x.value == before.value
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
