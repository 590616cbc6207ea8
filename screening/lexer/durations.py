"""How long a condition or a drug has lasted, said with time words the lexer does not otherwise know (session 10,
timing10): "Crohn's disease of at least 3 months duration", "diabetes duration > 5 years", "duration of T1D >= 1 year",
"time since diagnosis of T1DM >= 5 years", "asthma for a period of at least 3 months", "> 3 months cumulative therapy
with antiretrovirals". Each becomes the lexer's LASTING "for" between the condition (or drug) and the comparison of
time, the shape grammars/criteria.lark reads as conditions_lasting (compile/durations.py: since when it is present,
or how recent; session 13 added a bare time ending the sentence, "HIV infection < 6 months") or medications_lasting (ir.Duration, taken that long in all and at a stretch). The words around the
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


_BARE_LEAD = r"(no )?((a|an|the|known|documented|confirmed|established|clinical|existing) )*(diagnosis of |diagnosed with )?"
_BARE_GAP = r"-?|of|for|\((as )?diagnosed clinically\)( of)?"


def _bare_time(toks: list[Token], i: int, text: str) -> bool:
    """CONDITION (CMP NUMBER TIMEUNIT | LPAR CMP NUMBER TIMEUNIT RPAR) ending the sentence, with only "no" (NEG) and
    "a known diagnosis of" before it: how long it has lasted or how recent it was (compile/durations.py decides)."""
    if not (i == 0 or i == 1 and toks[0].type == "NEG"):
        return False
    rest = [t.type for t in toks[i + 1:]]
    if rest == _TIME:
        last = toks[-1]
    elif rest == ["LPAR", *_TIME, "RPAR"]:
        last = toks[-1]
    else:
        return False
    unit, amount = toks[i + (3 if rest[0] == "CMP" else 4)], toks[i + (2 if rest[0] == "CMP" else 3)]
    if unit.value == "year" and float(amount.value) >= 12 and _between(text, toks[i], toks[i + 1], r"-?"):
        return False  # "Asthma >= 12 years": the patient's age, perhaps (how long is said "of", "for")
    gap = " ".join(text[:toks[i].start_pos].lower().split())
    return re.fullmatch(_BARE_LEAD, gap + " " if gap else "") is not None \
        and _between(text, toks[i], toks[i + 1], _BARE_GAP) and re.fullmatch(r"[\s.;,]*", text[last.end_pos:]) is not None


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
        # "HIV infection < 6 months", "Diagnosis of rheumatoid arthritis of less than 5 years", "Chronic HCV infection
        # (>= 6 months)", "No unstable angina pectoris <6 months": a bare time after the condition, the whole sentence
        if t.type in _HEADS and _bare_time(toks, i, text):
            k = 2 if nxt[0].type == "LPAR" else 1
            out.extend([t, _lasting(nxt[0]), *toks[i + k:i + k + 3]])
            i = len(toks)
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
