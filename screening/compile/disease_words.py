"""Token rewrites of a bare "disease" whose meaning the sentence fixes (session 11, vocab11a).

"Disease-free of prior invasive malignancies for > 5 years", "Patients must be disease free of any prior
malignancies for >= 3 years": free of that disease through those years, the same demand as "No prior invasive
malignancy within the past 5 years" (read as that one is: the window the condition was present in). Only the sentence that opens so ("disease" then the negation "free of"), names a condition, and then says how long
with "for" and a lower bound ("for >= 5 years", "for at least 5 years", "for 5 years"): "disease-free for less than 2
years" or a "disease-free interval" (a time between two treatments) is left as it is, and keeps its unread word.

"No prior chemotherapy for advanced disease", "No more than 1 prior chemotherapy regimen for recurrent disease": what
a treatment was for, said by stage or course words ("recurrent", "stage III or IV") and "disease". The grammar reads
"for recurrent or metastatic disease" already (_for_stage: what it was for is a person's to weigh, ir.Judged); a bare
"disease" after such words is the same purpose, whichever disease it is, and is read as part of them.
"""
from __future__ import annotations

from lark import Token

from .own_disease import _disease_state

_LOWER = frozenset({">=", ">"})  # "for >= 5 years", "for more than 5 years": all of those years


def disease_free(toks: list[Token]) -> list[Token]:
    """The tokens with a leading "disease free of X for (at least) N <unit>" read as "no X within N <unit>": the
    WORD "disease" dropped, the negation kept, "for" and its comparator made one WINDOW. Anything else is returned
    as it is."""
    if len(toks) < 6 or toks[0].type != "WORD" or str(toks[0].value).lower() != "disease" \
            or toks[1].type != "NEG" or str(toks[1].value).lower() != "free of":
        return toks
    for i in range(2, len(toks) - 2):
        if toks[i].type != "LASTING" or toks[i - 1].type not in ("CONDITION", "CGROUP"):
            continue
        j = i + 1 if toks[i + 1].type == "CMP" and toks[i + 1].value in _LOWER else i
        if j + 2 < len(toks) and toks[j + 1].type == "NUMBER" and toks[j + 2].type == "TIMEUNIT" \
                and not any(t.type == "LASTING" for t in toks[j + 3:]):
            window = Token("WINDOW", "within", start_pos=toks[i].start_pos, end_pos=toks[j].end_pos)
            return [*toks[1:i], window, *toks[j + 1:]]
        return toks
    return toks


_TREATED = frozenset({"DRUG", "PROCEDURE", "QUANTITY", "USE"})  # what a "for" of a purpose may follow


def staged_purpose(toks: list[Token]) -> list[Token]:
    """The tokens with "for <stage or course words> disease" after a treatment (or a count of them) read as the
    stage words alone, the JUDGED token's words taking in "disease" ("for recurrent disease"); anything else is
    returned as it is."""
    out = list(toks)
    for i, t in enumerate(toks):
        if t.type != "WORD" or str(t.value).lower() != "disease" or i < 2 or toks[i - 1].type != "JUDGED" \
                or (i + 1 < len(toks) and toks[i + 1].type == "WORD"):
            continue
        j = i - 1
        while j > 0 and toks[j].type in ("JUDGED", "OR", "AND", "COMMA"):
            j -= 1
        quals = [q for q in toks[j + 1:i] if q.type == "JUDGED"]
        if toks[j].type != "FOR" or j == 0 or toks[j - 1].type not in _TREATED \
                or not all(_disease_state(str(q.value)) for q in quals):
            continue
        last = toks[i - 1]
        out[i - 1] = Token("JUDGED", f"{last.value} {t.value}", start_pos=last.start_pos, end_pos=t.end_pos)
        out[i] = None  # type: ignore[call-overload]
    return [t for t in out if t is not None]
