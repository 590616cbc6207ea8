"""Why a criterion is there, said beside what it asks: "Patients with known brain metastases should be excluded from
this clinical trial because of their poor prognosis and because they often develop progressive neurologic
dysfunction ...", "Due to the risk of disease exacerbation, patients with porphyria are ineligible". The reason says
why, not what: the statement without it is the criterion, when it compiles on its own (compile.compile_sentence).

Only a reason that cannot narrow the statement is dropped: one after a verdict that closes the statement ("... are
excluded", "... are not eligible"), one before a statement that names its patients and ends in a verdict; neither
with a word that may narrow after all ("unless", "except", "if"). "Limited life expectancy because of disease other
than diabetes", "seropositive because of hepatitis B vaccine", "unable to walk because of paralysis", "requiring
anticoagulation due to the risk of stroke" say what (the cause is part of the demand): none of these shapes.
Data: phrases.toml [reason_tail].
"""
from __future__ import annotations

import re
from functools import lru_cache

from ..lexer import phrase_alternation, phrase_data


@lru_cache(maxsize=1)
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    data = phrase_data()["reason_tail"]
    verdicts = phrase_alternation([p for p in phrase_data()["negative_tail"]["phrases"]
                             if any(w in p for w in data["verdict_words"])])
    leads = phrase_alternation(data["leads"])
    after_verdict = re.compile(rf"\b(?:{verdicts})(?=\s*,?\s*(?:{leads})\b)", re.I)
    nouns = phrase_alternation(data["patient_nouns"])
    before = re.compile(rf"^\s*(?:{leads})\b[^,]*,\s*(?P<head>(?:[\w-]+\s+){{0,2}}(?:{nouns})\b.*\b(?:{verdicts}))\s*$",
                        re.I)
    return after_verdict, before


@lru_cache(maxsize=1)
def _narrowing() -> re.Pattern[str]:
    return re.compile(rf"\b(?:{phrase_alternation(phrase_data()['reason_tail']['narrowing'])})\b", re.I)


def without_reason(text: str) -> str | None:
    """The statement of ``text`` without the reason given for it, or None when it gives none (see the module). A
    reason with a word that may narrow the statement ("unless", "except", "if": phrases.toml) is no mere reason."""
    after_verdict, before = _patterns()
    head, reason = None, ""
    if (m := after_verdict.search(text)) is not None:
        head, reason = text[:m.end()], text[m.end():]
    elif (m := before.match(text)) is not None:
        head, reason = m["head"], text[:m.start("head")]
    if head is None or _narrowing().search(reason):
        return None
    return head.strip(" ,")
