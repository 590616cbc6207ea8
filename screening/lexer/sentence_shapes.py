"""Sentence shapes read by small lexer rewrites (session 11, combo11e), each on a whole sentence, each into a shape
grammars/criteria.lark already reads; anything else leaves the item as it was (review).

diagnosed_ago: when a condition was diagnosed, dated back from the screening date: "Diagnosis of Still's disease more
than 6 months prior to randomization", "Type 1 diabetes mellitus diagnosed > 5 years previously", "Diagnosed with type 2
diabetes mellitus 90 days or more prior to the day of screening". The time dates the diagnosis (its onset), not an
episode: the condition has lasted that long (conditions_lasting, read as compile/durations.py says). One condition and the dated comparison, with "diagnosis of"/"diagnosed
with" before the condition or "diagnosed" right after it. A bound above ("Diagnosis of diabetes < 1 year prior to
enrollment") is diagnosed within that time (compile/durations.py, session 13). "History of malignancy < 5 years prior"
(a look-back window) is not read here.

age_at_consent, any_of_following, drug_used_for: see each function."""
from __future__ import annotations

import re

from lark import Token

_DIAGNOSED_LEAD = re.compile(r"(?:(?:a|the|confirmed|documented|established)\s+)?(?:diagnosis\s+of|diagnosed\s+with)\s*",
                             re.I)
_DIAGNOSED_AFTER = re.compile(r"(?:was\s+|being\s+|first\s+)?diagnosed", re.I)
_AGO = frozenset({"previously", "ago", "earlier", "before"})


def _gap(text: str, a: int, b: int) -> str:
    return " ".join(text[a:b].split())


def diagnosed_ago(toks: list[Token], text: str) -> list[Token]:
    """CONDITION (CMP NUMBER TIMEUNIT | NUMBER TIMEUNIT POSTCMP) (PRIOR ANCHOR? | HISTORY 'previously'), the whole
    sentence, said of a diagnosis, rewritten to CONDITION LASTING CMP NUMBER TIMEUNIT (PRIOR ANCHOR?)."""
    kinds = [t.type for t in toks]
    if len(toks) < 5 or kinds[0] != "CONDITION":
        return toks
    head = toks[0]
    if kinds[1:4] == ["CMP", "NUMBER", "TIMEUNIT"]:
        cmp, number, unit, rest = toks[1], toks[2], toks[3], toks[4:]
    elif kinds[1:4] == ["NUMBER", "TIMEUNIT", "POSTCMP"]:
        post = toks[3]
        cmp = Token("CMP", post.value, start_pos=post.start_pos, end_pos=post.end_pos)
        number, unit, rest = toks[1], toks[2], toks[4:]
    else:
        return toks
    if [t.type for t in rest] not in (["PRIOR"], ["PRIOR", "ANCHOR"]) and not (
            len(rest) == 1 and rest[0].type == "HISTORY" and str(rest[0].value).lower() in _AGO):
        return toks
    before = _gap(text, 0, head.start_pos)
    after = _gap(text, head.end_pos, toks[1].start_pos)
    lead = _DIAGNOSED_LEAD.fullmatch(before) is not None and after == ""
    trailing = before == "" and _DIAGNOSED_AFTER.fullmatch(after) is not None
    if not (lead or trailing):
        return toks
    tail = [t for t in rest if t.type != "HISTORY"]
    lasting = Token("LASTING", "for", start_pos=head.end_pos, end_pos=head.end_pos)
    return [head, lasting, cmp, number, unit, *tail]


_AT_CONSENT = re.compile(r"(?:old\s+)?at\s+the\s+time\s+of\s+signing\s+(?:the\s+|an\s+)?(?:written\s+)?informed\s+consent"
                         r"(?:\s+form|\s+document)?\s*[.;]?", re.I)


def age_at_consent(toks: list[Token], text: str) -> list[Token]:
    """"At least 18 years at the time of signing the informed consent form": a bare number of years whose tail dates
    it to the consent is the patient's age then (the screening date), as "18 years of age" is. Only the whole
    sentence CMP NUMBER TIMEUNIT(year) with that tail; the AGETAIL token the lexer gives "of age" is added."""
    if [t.type for t in toks] != ["CMP", "NUMBER", "TIMEUNIT"] or toks[2].value != "year":
        return toks
    if _AT_CONSENT.fullmatch(text[toks[2].end_pos:].strip()) is None:
        return toks
    end = toks[2].end_pos
    return [*toks, Token("AGETAIL", "of age", start_pos=end, end_pos=end)]


def any_of_following(toks: list[Token], text: str) -> list[Token]:
    """"Any of the following: myocardial infarction, stroke or transient ischaemic attack within the past 180 days":
    "any of" opening the sentence before a colon is "at least one of" (the at_least rule: any of the members, a
    closing window said of each). Only when the sentence opens with the word "any" and the colon follows; "any of
    the following within 6 months" (a heading) is left as it was."""
    if len(toks) < 3 or toks[0].type != "ATLEASTOF" or toks[1].type != "COLON" \
            or " ".join(text[:toks[0].start_pos].split()).lower() != "any":
        return toks
    at = toks[0].start_pos
    return [Token("CMP", ">=", start_pos=0, end_pos=at), Token("NUMBER", 1.0, start_pos=at, end_pos=at), *toks]


_USED_FOR_GAPS = frozenset({"", "for", "for a total of", "for total of", "a total of", "total of"})


def drug_used_for(toks: list[Token], text: str) -> list[Token]:
    """"Statin use for at least six months", "Zidovudine therapy for = or > 13 months", "on L-dopa treatment for
    total of over 6 months": a drug, the word for its use and a lower bound on how long, the whole sentence, is how
    long it was taken (the lexer's LASTING "for" the grammar reads as medications_lasting, ir.Duration). Only "at
    least"/"more than" (a bound below: "use < 6 months" leaves open whether none at all counts), and only "for" (or
    "for a total of") between the use word and the comparison, nothing after the period ("statin use for at least
    six months at the time of screening" asks of a current course: review, as "on X for > 6 months" is)."""
    kinds = [t.type for t in toks]
    lead = 1 if kinds[:1] == ["USE"] else 0
    if kinds[lead:] != ["DRUG", "USE", "CMP", "NUMBER", "TIMEUNIT"] and \
            kinds[lead:] != ["DRUG", "TREATFOR", "CMP", "NUMBER", "TIMEUNIT"]:
        return toks
    use, cmp = toks[lead + 1], toks[lead + 2]
    if cmp.value not in (">=", ">") or re.fullmatch(r"[\s.;,]*", text[toks[-1].end_pos:]) is None:
        return toks  # "... at the time of screening": a current course, or in all? (review)
    gap = " ".join(text[use.end_pos:cmp.start_pos].split())
    if use.type == "USE" and not gap.lower().startswith("for") or use.type == "TREATFOR" and not str(
            use.value).lower().endswith(" for") or gap.lower() not in _USED_FOR_GAPS:
        return toks
    lasting = Token("LASTING", "for", start_pos=use.start_pos, end_pos=use.end_pos)
    return [*toks[:lead + 1], lasting, *toks[lead + 2:]]

