"""Why a sentence with a time after the screening date stays in review (session 10, timing10).

"No radiotherapy during and for at least 4 weeks after study", "No concurrent chemotherapy during first 8 weeks of
study", "Patients must not be pregnant at the time of surgery" (a surgery to come), "aged 3 to 21 at diagnosis" (the age
on a date the record gives only through the birth date and the condition's onset): the time these name is not the
screening date, and a record at screening holds no fact of it. Such a sentence stays in review; the reason says why
(screening/compile/__init__.py _review_reason), the words the grammar did not read are named after it."""
from __future__ import annotations

import re

_UNIT = r"(?:hours?|days?|weeks?|months?|years?)"
_STUDY = r"(?:the\s+|this\s+)?(?:study|trial|protocol)"

#: (pattern over the sentence text, lower case; the reason)
_LATER = (
    (re.compile(rf"\b(?:after|following)\s+(?:the\s+)?(?:completion\s+of\s+|end\s+of\s+|last\s+dose\s+of\s+)?{_STUDY}\b"
                rf"|\bafter\s+(?:the\s+)?completion\s+of\b|\b{_UNIT}\s+(?:after|following)\s+(?:the\s+)?last\s+dose\b"),
     "a time after the study (or after its treatment) is not in a record at screening"),
    (re.compile(rf"\b(?:the\s+)?first\s+(?:\d+(?:\s*-\s*\d+)?|one|two|three|four|six|eight|twelve)\s+{_UNIT}\s+of\s+"
                rf"(?:{_STUDY}|(?:study\s+)?(?:treatment|therapy))\b"),
     "the first weeks of the study lie after the screening date: not a record fact at screening"),
    (re.compile(r"\bat\s+(?:the\s+)?time\s+of\s+(?:the\s+)?(?:surgery|operation|transplant(?:ation)?|resection)\b"),
     "at the time of a surgery or transplant (one to come, or done?): the record dates no such time at screening"),
    (re.compile(r"^\s*(?:age[ds]?\b|(?:<|>|≤|≥|<=|>=|less than|greater than|under|over)?\s*\d+\s*(?:-|to|and|or|years)\b)"
                r".*\bat\s+(?:the\s+)?(?:time\s+of\s+(?:the\s+)?)?(?:original\s+|initial\s+|first\s+)?diagnosis\b"),
     "an age at diagnosis: the age on the condition's onset date, which the rules do not yet compare"),
)


def later_reason(text: str) -> str | None:
    """The reason a sentence naming a time after screening (or an age at diagnosis) stays in review; None when it
    names none of them."""
    low = text.lower()
    return next((why for pattern, why in _LATER if pattern.search(low)), None)
