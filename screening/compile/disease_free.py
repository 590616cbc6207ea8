""""Disease-free of prior invasive malignancies for > 5 years", "Patients must be disease free of any prior
malignancies for >= 3 years": free of that disease through those years, the same demand as "No prior invasive
malignancy within the past 5 years" (read as that one is: the window the condition was present in). A token rewrite
before the sentence is parsed (session 11, vocab11a).

Only the sentence that opens so ("disease" then the negation "free of"), names a condition, and then says how long
with "for" and a lower bound ("for >= 5 years", "for at least 5 years", "for 5 years"): "disease-free for less than 2
years" or a "disease-free interval" (a time between two treatments) is left as it is, and keeps its unread word.
"""
from __future__ import annotations

from lark import Token

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
