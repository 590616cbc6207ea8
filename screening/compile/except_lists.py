"""Exception lists an old NCI page wrote one member a line: "No second malignancy within 5 years except: Nonmelanomatous
skin cancer Carcinoma in situ of the cervix" lost its line breaks, and "except curatively treated: Basal cell skin cancer
Cervical cancer" put the qualifier of every member before the colon. Read as the list it is ("except nonmelanomatous
skin cancer or carcinoma in situ of the cervix"; "except curatively treated basal cell skin cancer or curatively treated
cervical cancer"), which the grammar's `exception` and `exception_judged` then read. "(except basal and squamous cell
skin cancer and carcinoma in situ)": "and" between excepted conditions lists them too (each one excepted).
"""
from __future__ import annotations

from lark import Token

_MEMBER = frozenset({"CONDITION", "CGROUP"})
_SEPARATORS = frozenset({"COMMA", "OR", "AND"})


def except_lists(toks: list[Token]) -> list[Token]:
    """The tokens with an exception list after EXCEPT rewritten to members joined by OR, when the list runs to the
    end of the sentence (or to the closing parenthesis) and holds nothing but conditions, their qualifiers and
    separators; only when it was written with a colon, with "and", or with members side by side. Anything else is
    left as it is."""
    at = next((i for i, t in enumerate(toks) if t.type == "EXCEPT"), None)
    if at is None or sum(t.type == "EXCEPT" for t in toks) != 1:
        return toks
    i = at + 1
    while i < len(toks) and toks[i].type == "JUDGED":
        i += 1
    quals = toks[at + 1:i]
    colon = i < len(toks) and toks[i].type == "COLON"
    if quals and not colon:
        return toks  # "except adequately treated X and Y": the grammar reads it as written
    begin = i + 1 if colon else i
    end = begin
    while end < len(toks) and toks[end].type in (_MEMBER | _SEPARATORS | {"JUDGED"}):
        end += 1
    closing = end < len(toks) and toks[end].type == "RPAR"
    if end < len(toks) and not closing or closing and (colon or not any(t.type == "LPAR" for t in toks[:at])):
        return toks
    members = _members(toks[begin:end])
    if not members:
        return toks
    juxtaposed = len(members) > 1 and any(toks[k].type in _MEMBER and toks[k + 1].type in (_MEMBER | {"JUDGED"})
                                          for k in range(begin, end - 1))
    if not (colon or juxtaposed or any(t.type == "AND" for t in toks[begin:end])):
        return toks
    out = list(toks[:at + 1])
    for n, member in enumerate(members):
        if n:
            out.append(Token("OR", "or", start_pos=member[0].start_pos, end_pos=member[0].start_pos))
        out.extend(quals)
        out.extend(member)
    return out + list(toks[end:])


def _members(part: list[Token]) -> list[list[Token]] | None:
    """Each member (its qualifiers and one condition) of a run of members and separators ("X, or Y" has two); None
    when the run is not one (a separator first or last, a qualifier with no condition after it)."""
    members: list[list[Token]] = []
    current: list[Token] = []
    trailing = False
    for t in part:
        if t.type in _SEPARATORS:
            if current or not members:
                return None
            trailing = True
            continue
        current.append(t)
        trailing = False
        if t.type in _MEMBER:
            members.append(current)
            current = []
    if current or trailing or not members:
        return None
    return members
