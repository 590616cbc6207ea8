"""Token passes for measurement sentences whose every word is known but whose token sequence no grammar rule reads
(session 11, combo11a). Each pass rewrites one recurring shape into one the grammar already reads, and only when
the rewritten sentence means exactly what the text says; anything else is left for review."""
from __future__ import annotations

from lark import Token

from .tokens import rewrite_runs

_MARROW = "bone_marrow_involvement"


def measure_shapes(toks: list[Token], text: str) -> list[Token]:
    """All passes of this module, in order."""
    toks = _doubled_comparator(_leading_and(_enumerator(_leading_dash(toks, text), text), text))
    toks = _normal_by_method(_method_in(_current_value(_immune_globulin_given(_powers_of_ten(toks, text)))))
    return _fev1_of_fvc(_uln_or_normal(_doubled_between(_marrow_exemption(toks))))


def _opens(text: str, tok: Token) -> bool:
    """Nothing but punctuation and spaces before ``tok`` in the sentence."""
    return not any(ch.isalnum() for ch in text[:tok.start_pos or 0])


def _leading_dash(toks: list[Token], text: str) -> list[Token]:
    """"-Known LVEF < 50%": a bullet dash before the sentence's first word is no range ("to")."""
    if len(toks) > 1 and toks[0].type == "TO" and toks[0].value == "-" and _opens(text, toks[0]):
        return toks[1:]
    return toks


def _enumerator(toks: list[Token], text: str) -> list[Token]:
    """"[4] Have a body mass index > 35 kg/m2", "(2) ...": an item number before the sentence's first word."""
    if len(toks) > 3 and [t.type for t in toks[:3]] == ["LPAR", "NUMBER", "RPAR"] and _opens(text, toks[0]) \
            and float(toks[1].value) == int(toks[1].value) and 0 < float(toks[1].value) <= 50:
        return toks[3:]
    return toks


def _current_value(toks: list[Token]) -> list[Token]:
    """"current CD4 count < 200 cells/mm3": a measurement's current value is the one a threshold is read against
    anyway (the latest). Only "current" right before a measurement and its comparator."""
    out: list[Token] = []
    for i, t in enumerate(toks):
        if t.type == "USE" and str(t.value).lower() == "current" and i + 2 < len(toks) \
                and toks[i + 1].type in ("QUANTITY", "QGROUP") and toks[i + 2].type == "CMP":
            continue
        out.append(t)
    return out


def _method_in(toks: list[Token]) -> list[Token]:
    """"ejection fraction > 40% in echocardiography", "QTcF >= 480 msec on screening EKG": "in"/"on" before the way
    a value is obtained, after the value, says the method (as "by" does)."""
    out: list[Token] = []
    for i, t in enumerate(toks):
        if t.type == "WINDOW" and str(t.value).lower() in ("in", "on") and 0 < i < len(toks) - 1 \
                and toks[i + 1].type == "METHOD" and toks[i - 1].type in ("UNIT", "NUMBER", "ULN", "ULNBARE"):
            continue
        out.append(t)
    return out


_GIVEN_BEFORE = frozenset({"ALLERGY", "ROUTE", "USE"})
_NOT_GIVEN_AFTER = frozenset({"CMP", "POSTCMP", "NUMBER", "NORMAL", "BETWEEN", "ABNORMALITY", "ELEVATED", "DECREASED",
                              "TESTWORD", "LPAR"})


def _immune_globulin_given(toks: list[Token]) -> list[Token]:
    """"Intramuscular immunoglobulin within the past 60 days", "hypersensitivity to immunoglobulin", "a blood
    transfusion or immunoglobulins within 90 days": immune globulin given (the drug class), not the serum level the
    same word names elsewhere ("immunoglobulin levels normal"). Only where a treatment is meant: after an allergy,
    a route or a word of use, before a time window, or listed after a transfusion or a drug; never before a value."""
    out = list(toks)
    for i, t in enumerate(toks):
        if t.type != "QUANTITY" or t.value != "immunoglobulin":
            continue
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        if nxt is not None and nxt.type in _NOT_GIVEN_AFTER:
            continue
        prev = toks[i - 1] if i else None
        listed = i >= 2 and prev is not None and prev.type in ("OR", "COMMA", "AND") \
            and toks[i - 2].type in ("PROCEDURE", "DRUG")
        windowed = nxt is not None and nxt.type == "WINDOW" and i + 2 < len(toks) and toks[i + 2].type == "NUMBER"
        if (prev is not None and prev.type in _GIVEN_BEFORE) or listed or windowed:
            out[i] = Token("DRUG", "immune_globulin", start_pos=t.start_pos, end_pos=t.end_pos)
    return out


def _leading_and(toks: list[Token], text: str) -> list[Token]:
    """"...; and a total body weight > 40 kg": a sentence that opens with "and" before a measurement is one more
    demand of the list the item belongs to (the item's sentences are all required anyway). Only "and": a leading
    "or" makes an alternative, and dropping it would change the meaning. Only the sentence's first word: "Serum
    total and direct bilirubin" (a word the lexer dropped before "and") is no leading "and"."""
    if len(toks) > 2 and toks[0].type == "AND" and toks[1].type in ("QUANTITY", "QGROUP") \
            and _opens(text, toks[0]):
        return toks[1:]
    return toks


def _doubled_between(toks: list[Token]) -> list[Token]:
    """"age in the range from 18 to 90 years": two range words ("in the range", "from") say one range."""
    out: list[Token] = []
    for t in toks:
        if out and t.type == "BETWEEN" and out[-1].type == "BETWEEN":
            continue
        out.append(t)
    return out


def _uln_or_normal(toks: list[Token]) -> list[Token]:
    """"bilirubin <= 1.5 x ULN or within normal institutional limits": a value within the normal range is below its
    upper limit, so "or normal" adds nothing to a bound of at least 1 x ULN from above. Only after such an upper
    bound ("<", "<=") whose multiple is at least 1, and only where the sentence (or a list part) ends."""
    def at(toks: list[Token], k: int) -> tuple[list[Token], int] | None:
        if toks[k].type == "OR" and k + 1 < len(toks) and toks[k + 1].type == "NORMAL" and k >= 3 \
                and toks[k - 1].type == "ULN" and toks[k - 2].type == "NUMBER" and toks[k - 3].type == "CMP" \
                and toks[k - 3].value in ("<", "<=") and float(toks[k - 2].value) >= 1 \
                and (k + 2 == len(toks) or toks[k + 2].type in ("COMMA", "AND", "OR")):
            return [], 2
        return None
    return rewrite_runs(toks, at)


def _fev1_of_fvc(toks: list[Token]) -> list[Token]:
    """"FEV1 is greater than 55 percent of FVC": the FEV1/FVC ratio, not FEV1 as a percent of its predicted value."""
    out = list(toks)
    for i in range(len(out) - 4):
        a, c, n, u, b = out[i:i + 5]
        if a.type == "QUANTITY" and a.value == "fev1_percent_predicted" and c.type == "CMP" and n.type == "NUMBER" \
                and u.type == "UNIT" and u.value == "%" and b.type == "QUANTITY" and b.value == "fvc_percent_predicted":
            out[i] = Token("QUANTITY", "fev1_fvc_ratio", start_pos=a.start_pos, end_pos=a.end_pos)
            del out[i + 4]
            break
    return out


def _marrow_exemption(toks: list[Token]) -> list[Token]:
    """"(unless due to lymphoma bone marrow involvement)": the exemption is the marrow involvement (by the named
    disease). Read as marrow involvement alone: a person weighs whether it applies (compile exempted), so the
    broader reading only sends more records to review, never to a verdict."""
    out: list[Token] = []
    for i, t in enumerate(toks):
        if t.type == "CONDITION" and i >= 1 and toks[i - 1].type == "UNLESS" and i + 1 < len(toks) \
                and toks[i + 1].type == "CONDITION" and toks[i + 1].value == _MARROW:
            continue
        out.append(t)
    return out


def _powers_of_ten(toks: list[Token], text: str) -> list[Token]:
    """"HCV RNA >= 10^4 IU/mL": ten to a power is one number (10000), when "^" alone stands between the two and a unit
    follows ("x 10^9/L" is a unit of its own and never reaches here)."""
    def at(toks: list[Token], k: int) -> tuple[list[Token], int] | None:
        t = toks[k]
        if t.type == "NUMBER" and float(t.value) == 10 and k + 2 < len(toks) and toks[k + 1].type == "NUMBER" \
                and toks[k + 2].type == "UNIT" and t.end_pos is not None and toks[k + 1].start_pos is not None \
                and text[t.end_pos:toks[k + 1].start_pos].strip() == "^" \
                and float(toks[k + 1].value) == int(toks[k + 1].value) and 1 <= int(toks[k + 1].value) <= 12:
            power = int(toks[k + 1].value)
            return [Token("NUMBER", 10.0 ** power, start_pos=t.start_pos, end_pos=toks[k + 1].end_pos)], 2
        return None
    return rewrite_runs(toks, at)


def _normal_by_method(toks: list[Token]) -> list[Token]:
    """"LVEF normal by MUGA scan or echocardiography", "Normal QTc interval on EKG": the ways of obtaining a normal
    value (each a method of that very quantity) add nothing to "within the normal range", as they add nothing to a
    threshold (compile measures_method). Only where the methods end the sentence or a list part."""
    out = list(toks)
    for i in range(len(out) - 2):
        pair = [out[i].type, out[i + 1].type]
        if pair not in (["QUANTITY", "NORMAL"], ["NORMAL", "QUANTITY"]):
            continue
        key = out[i].value if out[i].type == "QUANTITY" else out[i + 1].value
        j = i + 2
        end = j
        while j < len(out) and out[j].type == "METHOD" and out[j].value == key:
            end = j + 1
            if j + 2 < len(out) and out[j + 1].type in ("OR", "AND", "COMMA") and out[j + 2].type == "METHOD":
                j += 2
            else:
                break
        if end > i + 2 and (end == len(out) or out[end].type in ("AND", "COMMA")):
            del out[i + 2:end]
            break
    return out


def _doubled_comparator(toks: list[Token]) -> list[Token]:
    """"A minimum life expectancy of at least 1 year", "Minimum IgM level > 2 times the upper limit of normal": a
    comparator word before the measurement that the one after it repeats (both pointing the same way)."""
    if len(toks) > 3 and toks[0].type == "CMP" and toks[1].type in ("QUANTITY", "QGROUP") and toks[2].type == "CMP" \
            and (toks[0].value in (">", ">=")) == (toks[2].value in (">", ">=")) \
            and {toks[0].value, toks[2].value} <= {"<", "<=", ">", ">="}:
        return toks[1:]
    return toks
