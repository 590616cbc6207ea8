"""The first pass of segment.py: the text cut into content lines, each without its indentation, with the
inclusion/exclusion/eligibility and old NCI section headers recognised (at a line's start or in its middle) and
cut off as header lines of their own. Kept apart from segment.py, which builds the item tree from these lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_CRIT = r"(?:criteria|criterion|requirements?|requirments?)"
#: an inclusion/exclusion/eligibility header at the start of a line (rest: ``:`` or end of line)
_HEADER = re.compile(
    r"[-*•]?[ \t]*(?:\*\*|__)?[ \t]*"
    r"(?:(?:key|main|primary|major|general|additional|other|specific|subject|study|patient)\s+"
    r"|(?P<gp>(?:(?!in(?:c)?lusion|ex(?:c)?lusion|eligib|criteri)(?-i:[A-Z][A-Za-z-]+)[ \t]+){1,2}))?"
    r"(?P<kw>in(?:c)?lusion\s*(?:/|\\|and|&|or)\s*ex(?:c)?lusion|in(?:c)?lusions?|ex(?:c)?lusion(?:s|ary)?"
    r"|eligibility|protocol\s+entry|entry|selection|criteria)"
    rf"(?P<crit>\s+{_CRIT})?"
    r"(?P<qual>\s*[-–(][^:：\n]{0,80}?|\s+(?:for|in|includes?|are|is)\b[^:：\n]{0,80}?)?"
    r"[ \t]*(?:\*\*|__)?[ \t]*(?:(?P<colon>[:：])(?:\*\*|__)?|$)", re.I)
#: the same header in the middle of a line, followed by a list marker (one-line criteria pages)
_MID_HEADER = re.compile(
    r"(?<=\S)[ \t]+(?=(?:Key |Main )?(?:Inclusion|Exclusion|INCLUSION|EXCLUSION) (?:Criteria|criteria|CRITERIA)"
    r"[ \t]*:[ \t]*(?:[-•*][ \t]|\d{1,2}[.)][ \t]))")
#: old NCI section headings: dropped, their items kept
_NCI_HEADING = re.compile(
    r"[ \t-]*(?:disease\s+characteristics|patient\s+characteristics|donor\s+characteristics"
    r"|prior\s*/?\s*concurrent\s+therapy)[ \t]*(?:--|:|$)", re.I)
_DECORATION = re.compile(r"[-=_*~#.\s]{3,}")


@dataclass(slots=True)
class _Line:
    """A line of content: ``[start, end)`` without indentation or trailing space."""

    start: int
    end: int
    indent: int
    blank_before: bool
    phys_len: int  # length of the physical line it sits on (for the hard-wrap test)
    header: str | None = None  # "inclusion" | "exclusion" | "neutral" | "nci" for header lines
    tail: bool = False  # not the first content of its physical line


def _strip(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e


def _lines(text: str) -> list[_Line]:
    """Cut the text into content lines; header lines carry their kind."""
    out: list[_Line] = []
    pos, blank = 0, False
    n = len(text)
    while pos <= n:
        nl = text.find("\n", pos)
        end = n if nl < 0 else nl
        s, e = _strip(text, pos, end)
        if s == e or _DECORATION.fullmatch(text, s, e):
            blank = True
        else:
            _split_line(text, s, e, s - pos, blank, e - pos, out)
            blank = False
        if nl < 0:
            break
        pos = nl + 1
    return out


#: words that make "<words> Inclusion Criteria" a sentence, not a group's header ("No eligibility criteria")
_NOT_GROUP = frozenset("no not see the these this any all meets meet meeting fulfil fulfils fulfill fulfills "
                       "refer please other per with without".split())
_VERBS = frozenset("include includes included are is were was be must will should may apply applies given "
                   "determined outlined satisfy have has can".split())


def _header_kind(text: str, s: int, e: int) -> tuple[str, int] | None:
    """(kind, end) of a header at ``s``: inclusion, exclusion, neutral (eligibility) or nci.

    A qualifier (``for donors``, ``(phase II)``, ``- Controls``) is part of the header only when it
    is short and not a sentence. A sentence (``Exclusion criteria for patients include:``) still
    switches the kind but stays text: the header then ends early (at ``s`` itself, or at the dash of
    ``INCLUSION CRITERIA - All patients must ...``).
    """
    m = _NCI_HEADING.match(text, s, e)
    if m:
        return "nci", m.end()
    m = _HEADER.match(text, s, e)
    if not m or not (m.group("crit") or not m.group("qual")):
        return None
    if m.group("gp") and (m.group("qual") or _NOT_GROUP.intersection(m.group("gp").lower().split())):
        return None
    kw = m.group("kw").lower()
    if kw == "criteria":  # a bare "Criteria:" line
        return ("neutral", m.end()) if not m.group("qual") and not m.group("gp") and kw[0] == "c" and \
            m.group("kw")[0] == "C" else None
    if not kw.startswith(("in", "ex")) or kw.count("lusion") > 1:
        kind = "neutral" if m.group("crit") else None
    else:
        kind = "inclusion" if kw.startswith("in") else "exclusion"
    if kind is None:
        return None
    end = m.end()
    qual = m.group("qual")
    if qual:
        words = qual.lower().replace("(", " ").replace(")", " ").split()
        if m.group("colon") and set(words) <= {"include", "includes", "are", "is", "the", "following"}:
            pass  # "Exclusion criteria include the following:" is just a header
        elif len(words) > 10 or _VERBS.intersection(words) or (not m.group("colon") and e - s > 60):
            # a sentence: switch the kind, but keep the sentence as an item
            lead = qual.lstrip()[0]
            end = m.start("qual") + (qual.index(lead) + 1 if lead in "-–" else 0) if lead in "-–(" else s
    return kind, end


def _split_line(text: str, s: int, e: int, indent: int, blank: bool, plen: int, out: list[_Line]) -> None:
    """Emit one physical line's content, cutting off headers at its start and in its middle."""
    tail, look = False, True
    while s < e:
        hdr = _header_kind(text, s, e) if look else None
        look = True
        if hdr is not None:
            out.append(_Line(s, hdr[1], indent, blank, plen, hdr[0], tail))
            look = hdr[1] > s  # a sentence header consumed nothing: its text is an item
            s, e = _strip(text, hdr[1], e)
            blank, tail = False, True
            continue
        if "riteria" in text[s + 1:e] or "RITERIA" in text[s + 1:e]:
            mid = _MID_HEADER.search(text, s + 1, e)
            if mid:
                out.append(_Line(s, _strip(text, s, mid.start())[1], indent, blank, plen, None, tail))
                s, blank, tail = _strip(text, mid.end(), e)[0], False, True
                continue
        out.append(_Line(s, e, indent, blank, plen, None, tail))
        return
