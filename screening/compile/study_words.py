"""Why a sentence whose unread words speak of the study itself stays in review (session 11, vocab11a).

- "Known hypersensitivity to the study drugs", "Allergy to study insulin", "History of sensitivity to any of the study
  medications": an allergy to the study's own drug, which the protocol names elsewhere (as "allergy to the study drug",
  compile.events allergies).
- "Anti-HIV agents other than study drugs": other than drugs the protocol names elsewhere.
- "Use of immunosuppressive medications during the study", "Pregnancy or breastfeeding during the study period": a
  time after the screening date, of which a record at screening holds no fact (what a patient intends to do is an
  attestation, asked of the patient). "prior to and during the study" is read before this (phrases.toml
  [anchor_tails]): the window already reaches the screening date.
"""
from __future__ import annotations

import re

from lark import Token

_STUDY = frozenset({"study", "trial"})
# the words that may follow "study" (or stand before "used in the study") in an allergy to the study's drugs
_DRUG_WORDS = frozenset({"drug", "drugs", "medication", "medications", "medicine", "medicines", "agent", "agents",
                         "product", "products", "treatment", "treatments", "therapy", "therapies", "used", "in",
                         "antibiotic", "antibiotics", "compound", "compounds", "vaccine", "vaccines"})
_DURING = re.compile(r"\b(?:during|throughout|for\s+the\s+duration\s+of)\s+(?:the\s+|this\s+)?(?:course\s+of\s+(?:the\s+)?)?"
                     r"(?:study|trial)\b", re.I)
_OTHER_THAN_STUDY = re.compile(r"\b(?:other\s+than|besides|except(?:\s+for)?)\s+(?:the\s+)?study\s+(?:drugs?|medications?|"
                               r"agents?|treatments?)\b", re.I)

ALLERGY_REASON = "an allergy to the study drug: the drug is named elsewhere in the protocol"
OTHER_THAN_REASON = "other than the study's drugs: the protocol names them elsewhere"
DURING_REASON = "what happens during the study lies after the screening date: not a record fact at screening"


def study_reason(toks: list[Token], text: str) -> str | None:
    """The reason a sentence whose only unread words speak of the study (its drug, its duration) stays in review;
    None for any other sentence."""
    words = [str(t.value).lower() for t in toks if t.type == "WORD"]
    if not words or not _STUDY & set(words):
        return None
    if _OTHER_THAN_STUDY.search(text) and set(words) <= _STUDY | _DRUG_WORDS:
        return OTHER_THAN_REASON
    if any(t.type == "ALLERGY" for t in toks) and set(words) <= _STUDY | _DRUG_WORDS:
        return ALLERGY_REASON
    if _DURING.search(text) and set(words) <= _STUDY | {"period", "course", "duration", "this"}:
        return DURING_REASON
    return None
