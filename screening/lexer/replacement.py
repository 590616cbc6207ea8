"""Replacement doses after a drug: "systemic corticosteroids (other than physiologic replacement doses)", "steroids
in excess of physiologic replacement doses". What dose replaces what the body lacks is a person's call, so the phrase
becomes a qualifier a person weighs (JUDGED) before the drug: the drug taken is checked, the words go to review
only when it is (ir.Judged; see MedicationRules.drug_judged). Elsewhere the phrase is an unknown word."""
from __future__ import annotations

from functools import lru_cache

from lark import Token

from .lexicon import phrase_data


@lru_cache(maxsize=1)
def replacement_phrases() -> tuple[str, ...]:
    """Every "<lead> <noun>" of phrases.toml [replacement_doses], lower case."""
    d = phrase_data()["replacement_doses"]
    return tuple(f"{lead} {noun}" for lead in d["leads"] for noun in d["nouns"])


def replacement_after_drug(toks: list[Token]) -> list[Token]:
    """DRUG [COMMA] REPLDOSE and DRUG LPAR REPLDOSE RPAR -> JUDGED DRUG (the drug's SYSTEMIC kept before it); not
    when another drug follows in a list (is the phrase said of it too?)."""
    out = list(toks)
    while (k := next((i for i, t in enumerate(out) if t.type == "REPLDOSE"), None)) is not None:
        t = out[k]
        parens = k >= 1 and out[k - 1].type == "LPAR" and k + 1 < len(out) and out[k + 1].type == "RPAR"
        lo = k - 1 if parens or (k >= 1 and out[k - 1].type == "COMMA") else k
        hi = k + 2 if parens else k + 1
        d = lo - 1
        listed = hi < len(out) and out[hi].type in ("OR", "AND", "COMMA") and any(
            x.type == "DRUG" for x in out[hi + 1:hi + 3])  # "steroids above replacement doses or other agents": of which?
        if d < 0 or out[d].type != "DRUG" or listed:
            out[k] = Token("WORD", "replacement", start_pos=t.start_pos, end_pos=t.end_pos)
            continue
        at = d - 1 if d >= 1 and out[d - 1].type == "SYSTEMIC" else d
        judged = Token("JUDGED", str(t.value), start_pos=t.start_pos, end_pos=t.end_pos)
        out = [*out[:at], judged, *out[at:lo], *out[hi:]]
    return out
