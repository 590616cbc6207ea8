"""How long a condition or a drug has lasted, said with time words the lexer does not otherwise know (session 10,
timing10): "Crohn's disease of at least 3 months duration", "diabetes duration > 5 years", "duration of T1D >= 1 year",
"time since diagnosis of T1DM >= 5 years", "asthma for a period of at least 3 months", "> 3 months cumulative therapy
with antiretrovirals". Each becomes the lexer's LASTING "for" between the condition (or drug) and the comparison of
time, the shape grammars/criteria.lark reads as conditions_lasting (ir.Judged on the condition ever: a person weighs
when it began) or medications_lasting (ir.Duration, taken that long in all and at a stretch). The words around the
duration are checked in the sentence text: anything else between them leaves the item as it was (review)."""
from __future__ import annotations

import re

from lark import Token

_HEADS = frozenset({"CONDITION", "CGROUP"})
_LASTS = _HEADS | {"DRUG"}
_TIME = ["CMP", "NUMBER", "TIMEUNIT"]


def _between(text: str, a: Token, b: Token, pattern: str) -> bool:
    """The words between tokens ``a`` and ``b`` (lower case, spaces collapsed) are all of ``pattern``."""
    gap = " ".join(text[a.end_pos:b.start_pos].lower().split())
    return re.fullmatch(pattern, gap) is not None


def _word(t: Token, *words: str) -> bool:
    return t.type == "WORD" and str(t.value).lower() in words


def _lasting(at: Token) -> Token:
    return Token("LASTING", "for", start_pos=at.start_pos, end_pos=at.end_pos)


def _kinds(toks: list[Token], i: int, n: int) -> list[str]:
    return [t.type for t in toks[i:i + n]]


def condition_durations(toks: list[Token], text: str) -> list[Token]:
    """The duration shapes above rewritten to HEAD LASTING CMP NUMBER TIMEUNIT (see the module docstring)."""
    out: list[Token] = []
    i = 0
    while i < len(toks):
        t = toks[i]
        nxt = toks[i + 1:i + 6]
        # "asthma for a period of at least 3 months", "zidovudine for a period of >= 6 months"
        if t.type in _LASTS and len(nxt) >= 4 and _word(nxt[0], "period") and _kinds(nxt, 1, 3) == _TIME \
                and _between(text, t, nxt[0], r"for (a|the)") and _between(text, nxt[0], nxt[1], r"(of)?"):
            out.extend([t, _lasting(nxt[0])])
            i += 2
            continue
        # "diabetes duration > 5 years", "Diabetes-duration > 5 years", "diabetes duration of at least 1 year"
        if t.type in _HEADS and len(nxt) >= 4 and _word(nxt[0], "duration") and _kinds(nxt, 1, 3) == _TIME \
                and _between(text, t, nxt[0], r"-?") and _between(text, nxt[0], nxt[1], r"(of|is|for)?"):
            out.extend([t, _lasting(nxt[0])])
            i += 2
            continue
        # "diabetes duration for 5 years or less": the comparison after the period, put before it
        if t.type in _HEADS and len(nxt) >= 4 and _word(nxt[0], "duration") \
                and _kinds(nxt, 1, 3) == ["NUMBER", "TIMEUNIT", "POSTCMP"] \
                and _between(text, t, nxt[0], r"-?") and _between(text, nxt[0], nxt[1], r"(of|is|for)?"):
            post = nxt[3]
            out.extend([t, _lasting(nxt[0]), Token("CMP", post.value, start_pos=post.start_pos, end_pos=post.end_pos),
                        nxt[1], nxt[2]])
            i += 5
            continue
        # "Crohn's disease of at least 3 months duration", "CMV retinitis of no more than 4 months duration"
        if t.type in _HEADS and len(nxt) >= 4 and _kinds(nxt, 0, 3) == _TIME and _word(nxt[3], "duration") \
                and _between(text, t, nxt[0], r"(of|for|lasting)?") and _between(text, nxt[2], nxt[3], r"('|’|'s|’s|in)?"):
            out.extend([t, _lasting(nxt[3]), *nxt[:3]])
            i += 5
            continue
        # "schizophrenia with a minimum duration of 1 year"
        if t.type in _HEADS and len(nxt) >= 4 and nxt[0].type == "CMP" and _word(nxt[1], "duration") \
                and _kinds(nxt, 2, 2) == ["NUMBER", "TIMEUNIT"] and _between(text, t, nxt[0], r"with( a)?") \
                and _between(text, nxt[0], nxt[1], r"") and _between(text, nxt[1], nxt[2], r"of"):
            out.extend([t, _lasting(nxt[1]), nxt[0], nxt[2], nxt[3]])
            i += 5
            continue
        # "duration of T1D >= 1 year", "a duration of type 1 diabetes of more than 5 yrs", "time since diagnosis of
        # T1DM >= 5 years": opening the sentence
        lead = 1 if _word(t, "duration") else 2 if _word(t, "time") and nxt[:1] and nxt[0].type == "SINCE" else 0
        if not out and lead and len(toks) >= i + lead + 4 and toks[i + lead].type in _HEADS \
                and _kinds(toks, i + lead + 1, 3) == _TIME \
                and _between(text, toks[i + lead - 1], toks[i + lead], r"of" if lead == 1 else r"(diagnosis of|onset of)?") \
                and _between(text, toks[i + lead], toks[i + lead + 1], r"(of|is)?"):
            head = toks[i + lead]
            out.extend([head, _lasting(t)])
            i += lead + 1
            continue
        # "> 3 months cumulative therapy with antiretrovirals", "At least six months of prior cumulative ZDV therapy":
        # the total, which a duration of use compares in all and at a stretch (ir.Duration: both readings must agree)
        if _word(t, "cumulative") and len(out) >= 3 and [x.type for x in out[-3:]] == _TIME \
                or _word(t, "cumulative") and len(out) >= 4 and [x.type for x in out[-4:]] == [*_TIME, "PRIOR"]:
            if nxt and nxt[0].type in ("USE", "DRUG", "PRIOR"):
                i += 1
                continue
        out.append(t)
        i += 1
    return out
