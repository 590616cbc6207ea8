"""Two small lexer passes over words a sentence drops before the grammar (helpers of ``passes._collapse``).

"Ongoing or active infection", "Patients with any active or uncontrolled infection": the first member of the "or"
is a dropped word meaning "now" (fillers: phrases.toml), so the "or" is left at the start of the sentence, where the
grammar reads it as the rest of a list another item began. "Cirrhosis with or without portal hypertension": the
second condition is neither demanded nor excluded, so the condition before it alone is meant.
"""
from __future__ import annotations

import re

from lark import Token

from .tokens import ActiveToken

#: dropped words that say "now" ("current" and "currently" are tokens of their own, not dropped)
_NOW = frozenset({"active", "ongoing"})
#: dropped words that may come before them ("Patients with any active or ...", "Has an ongoing or ...")
_LEAD = frozenset({"patients", "patient", "subjects", "subject", "participants", "participant", "with", "any", "has",
                   "have", "had", "an", "a", "the", "who"})
_AFTER_OR = frozenset({"JUDGED", "CONDITION", "CGROUP", "SYSTEMIC"})


def dangling_at_start(out: list[Token], t: Token, nxt: Token | None, text: str) -> bool:
    """The "or" at the start of "Ongoing or active infection", "Any active or uncontrolled infection": True when
    every word dropped before it is a filler and one at least means "now" (the qualifier after it, "uncontrolled",
    is then a narrower reading a person weighs; "Volunteers or patients with ..." keeps its "or")."""
    if out or t.type != "OR" or nxt is None or nxt.type not in _AFTER_OR:
        return False
    if nxt.type == "JUDGED" and str(nxt.value).lower().startswith("recent"):
        return False  # "Active or recent bleeding": a time of its own
    dropped = re.findall(r"[a-z]+", text[:t.start_pos].lower())
    return bool(dropped) and not _NOW.isdisjoint(dropped) and set(dropped) <= _NOW | _LEAD


def active_member(toks: list[Token], i: int, text: str) -> list[Token]:
    """"Any active or uncontrolled infection": the active condition the dropped word names, and the "or" before the
    qualified one (``toks[i]`` is the "or"); nothing when no qualifier stands between ("Ongoing or active
    infection" is one condition) or the sentence does not end on the condition."""
    j = i + 1
    while j < len(toks) and toks[j].type == "JUDGED":
        j += 1
    if j == i + 1 or j != len(toks) - 1 or toks[j].type != "CONDITION":
        return []  # anything after the condition ("requiring IV antibiotics") may be said of both members
    if not _NOW.isdisjoint(re.findall(r"[a-z]+", text[toks[i].end_pos:toks[i + 1].start_pos].lower())):
        return []  # "ongoing or active uncontrolled infection": "or" joins two words of now, the qualifier is both's
    c = toks[j]
    return [ActiveToken(c.type, c.value, start_pos=c.start_pos, end_pos=c.end_pos), toks[i]]


#: what may follow the condition said to be optional
_ENDS = frozenset({"COMMA", "OR", "AND", "RPAR", "WINDOW"})


def with_or_without(out: list[Token], toks: list[Token], i: int, text: str) -> int:
    """"Panic disorder with or without agoraphobia", "Symptomatic pulmonary embolism with or without symptomatic
    deep vein thrombosis": how many tokens from ``toks[i]`` (the "or") say the optional condition (0: none)."""
    if not out or out[-1].type != "CONDITION" or toks[i].type != "OR":
        return 0
    if text[out[-1].end_pos:toks[i].start_pos].strip().lower() != "with" or str(toks[i].value).lower() != "or":
        return 0
    j = i + 1
    if j >= len(toks) or toks[j].type != "NEG" or str(toks[j].value).lower() != "without":
        return 0
    j += 1
    while j < len(toks) and toks[j].type == "JUDGED":
        j += 1
    if j >= len(toks) or toks[j].type != "CONDITION":
        return 0
    j += 1
    if j < len(toks) and toks[j].type not in _ENDS:
        return 0
    return j - i


def upper_time_as_window(out: list[Token], toks: list[Token], i: int, text: str) -> Token | None:
    """"Myocardial infarction or unstable angina < or = 6 months prior to starting study drug", "History of malignancy
    <= 5 years prior to signing informed consent": at most that long before, said of a condition, is the look-back
    window "within 6 months prior to" (a WINDOW token in place of the comparison), else None. Not after "diagnosis"
    or "diagnosed" ("Diagnosis of diabetes < 1 year prior to enrollment" dates the onset, not the illness), nor after a
    qualifier with no history lead (tests/cases/phrases/combo9.json)."""
    t = toks[i]
    before = out[-1] if out else None
    if before is not None and before.type == "RPAR":  # "thromboembolic events (e.g. CVA, DVT) =< 12 months prior"
        opened = max((k for k, x in enumerate(out) if x.type == "LPAR"), default=0)
        before = out[opened - 1] if opened else None
    if t.type != "CMP" or t.value not in ("<", "<=") or before is None or before.type not in ("CONDITION", "CGROUP") \
            or i + 3 >= len(toks) or (toks[i + 1].type, toks[i + 2].type, toks[i + 3].type) != ("NUMBER", "TIMEUNIT", "PRIOR"):
        return None
    if "diagnos" in text[:t.start_pos].lower():
        return None
    if any(x.type == "JUDGED" for x in out) and not any(x.type in ("HISTORY", "PRIOR") for x in out):
        return None  # "uncontrolled diarrhea <30 days prior to ...": how long ago, or how long it lasted?
    return Token("WINDOW", "within", start_pos=t.start_pos, end_pos=t.end_pos)
