"""Split a trial's eligibility text into nested inclusion/exclusion items with exact source spans.

Registries lay criteria out in many ways (classic CT.gov indented dashes, markdown ``*`` bullets,
numbered/lettered/roman lists, old NCI ``PATIENT CHARACTERISTICS:`` sections, whole lists run
together on one line). One pass handles them all: the text is cut into *lines* (physical lines,
further cut at headers found mid-line), lines are grouped into *blocks* (a marker line plus its
wrapped continuation lines), blocks are placed in a tree by indentation, marker style and list
sequence, and finally each block is cut at *inline* markers (``1. a 2. b``, ``: - x; - y``,
``• a • b``, NCI sub-headers like ``Hepatic:``). Every non-blank character that is not a header or
a list marker ends up in exactly one item; an item's text is its pieces joined by single spaces
(runs of blanks inside a line, left where upstream tools flattened line breaks, become one space).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .ir import Span
from .segment_lines import _HEADER, _Line, _lines, _strip
from .trial import SourceItem

__all__ = ["split_criteria", "unescape_markdown", "section_groups"]

# --- patterns ----------------------------------------------------------------------------------

_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9, "x": 10,
          "xi": 11, "xii": 12, "xiii": 13, "xiv": 14, "xv": 15}
_BULLETS = "-–—*•●▪◦○·➢►■□"
_ORD = r"\(?(?:\d{1,2}|[A-Za-z]|[ivxIVX]{2,4})[.)]"
#: a list marker at the start of a line: bullet (maybe glued to a word, maybe followed by an ordinal)
_LINE_MARK = re.compile(
    rf"(?P<b>[{_BULLETS}])(?:[ \t]+|(?=[A-Za-z(]))(?:(?P<bo>{_ORD})[ \t]+)?"
    rf"|(?P<o>{_ORD})(?:[ \t]+|$)"
    r"|(?P<oo>o)[ \t]+(?=[A-Z])")
#: markers inside a line: ``2. Next``, ``2) x``, ``(2) x``, ``b) x``, ``(b) x``, ``• x``, ``: - x``
_INLINE_MARK = re.compile(
    r"(?<!\S)(?P<n>\d{1,2})(?P<nd>\.(?=\s+[^\sa-z])|\)(?=\s+\S))\s+"
    r"|(?<!\S)\((?P<pn>\d{1,2})\)\s+(?=\S)"
    r"|(?<!\S)(?P<r>i{1,3}|iv|vi{0,3}|ix|x)(?P<rd>[.)])\s+(?=\S)"
    r"|(?<!\S)(?P<a>[a-z])(?P<ad>[.)])\s+(?=\S)"
    r"|(?<!\S)\((?P<pa>[a-z])\)\s+(?=\S)"
    r"|(?<![^\W_])(?P<bul>[•●▪◦○])\s*(?=\S)"
    r"|(?:(?<=:)|;)\s*(?P<dash>[-–])\s+(?:(?P<dn>\d{1,2})(?P<dnd>[.)])\s+)?(?=\S)")
#: separators of flattened lists: `` - Next item`` mid-line, and headers inside such text
_FLAT_MARK = re.compile(
    r"(?<=\S)\s+(?P<hk>Inclusion|INCLUSION|Exclusion|EXCLUSION)\s+(?:Criteria|CRITERIA)[ \t]*:(?:\s*-\s+)?"
    r"|(?<=[^\s-])\s+-\s+(?=[A-Z])")
_NCI_LABELS = ("Age", "Sex", "Menopausal status", "Performance status", "Life expectancy",
               "Hematopoietic", "Hematologic", "Hepatic", "Renal", "Cardiovascular", "Pulmonary",
               "Neurologic", "Neurological", "Immunologic", "Gastrointestinal", "Psychiatric", "Other",
               "Biologic therapy", "Chemotherapy", "Endocrine therapy", "Radiotherapy", "Surgery",
               "Hormone receptor status", "Weight", "Nutrition")
#: NCI sub-headers (``Hepatic:``): first letter as written (or all caps), rest in any case
_LABEL = re.compile(
    r"(?<!\S)(?:" + "|".join(
        lab[0] + "(?i:" + r"\s+".join(re.escape(w) for w in lab[1:].split(" ")) + ")" for lab in _NCI_LABELS)
    + r")[ \t]*:")
#: an NCI sub-header laid out alone on its line with no colon ("Hepatic", then its items below it)
_BARE_LABEL = re.compile(
    "(?:" + "|".join(lab[0] + "(?i:" + r"\s+".join(re.escape(w) for w in lab[1:].split(" ")) + ")"
                     for lab in _NCI_LABELS) + ")")
_WORD = re.compile(r"\S*")
_UNESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!<>|~=^])")


def unescape_markdown(text: str) -> str:
    r"""Undo markdown escapes (``\>`` -> ``>``) that current CT.gov records carry."""
    return _UNESCAPE.sub(r"\1", text) if "\\" in text else text


# --- internal model ----------------------------------------------------------------------------

@dataclass(slots=True, eq=False)
class _Node:
    """An item being built: where it sits (indent, list style and position) and its text pieces."""

    kind: str
    indent: float
    style: str  # "plain", "label", "heading" (a bare NCI label), bullet char, or ordinal style ("num.", "(alpha)")
    ordinal: int = 0
    segs: list[tuple[int, int]] = field(default_factory=list)
    children: list["_Node"] = field(default_factory=list)
    colon: bool = False


def _ordinal(tok: str, stack: list[_Node]) -> tuple[str, int] | None:
    """Style and 1-based position of an ordinal marker like ``3.``, ``(b)``, ``iv)``, ``C.``."""
    pre = "(" if tok[0] == "(" else ""
    suf = tok[-1]
    core = tok[len(pre):-1]
    if core.isdigit():
        return f"{pre}num{suf}", int(core)
    low = core.lower()
    upper = core.isupper()
    alpha = (f"{pre}{'ALPHA' if upper else 'alpha'}{suf}", ord(low) - 96) if len(core) == 1 else None
    roman = (f"{pre}{'ROMAN' if upper else 'roman'}{suf}", _ROMAN[low]) if low in _ROMAN else None
    if alpha and roman:  # i, v, x: a letter when it continues a lettered list
        return alpha if any(e.style == alpha[0] and e.ordinal == alpha[1] - 1 for e in stack) else roman
    return alpha or roman


# --- the splitter ------------------------------------------------------------------------------

class _Splitter:
    """Builds the item tree for one text; state is the stack of open items."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = _lines(text)
        lens = [ln.phys_len for ln in self.lines]
        width = max(lens, default=0)
        #: hard-wrapped text (classic CT.gov, ~90 columns): a full line continues on the next one
        self.wrap = width if 60 <= width <= 110 else 0
        self.roots: list[_Node] = []
        self.stack: list[_Node] = []
        self.kind = "inclusion"
        self.nci = False
        #: "Inclusion Criteria: - a - b Exclusion Criteria: - c": lists flattened into running text
        self.flat = False
        self.block: _Node | None = None

    # placement ---------------------------------------------------------------------------------
    def _attach(self, node: _Node, parent: _Node | None) -> None:
        (parent.children if parent else self.roots).append(node)
        self.stack.append(node)

    def _place(self, node: _Node) -> None:
        """Put a block's node in the tree by indentation, marker style, list sequence and colons."""
        st, d = self.stack, node.indent
        while st and st[-1].indent > d:
            st.pop()
        marker = node.style not in ("plain", "label", "heading")
        while st and st[-1].indent == d:
            if not marker:
                st.pop()
                continue
            k = len(st) - 1
            while k >= 0 and st[k].indent == d and st[k].style != node.style:
                k -= 1
            if k >= 0 and st[k].indent == d:  # same list at this indentation: a sibling
                del st[k:]
                break
            if st[-1].colon:  # "... the following:" then a different marker: its sub-list
                break
            st.pop()
        if marker and node.ordinal > 1 and st and st[-1].indent < d:
            # deeper than it should be, but continues an open list: a sibling in that list
            k = next((k for k in range(len(st) - 1, -1, -1)
                      if st[k].style == node.style and st[k].ordinal == node.ordinal - 1), None)
            if k is not None:
                node.indent = st[k].indent
                del st[k:]
        while st and st[-1].style == "plain" and not st[-1].colon:
            st.pop()
        self._attach(node, st[-1] if st else None)

    # line-level markers ------------------------------------------------------------------------
    def _marker(self, ln: _Line, strict: bool) -> tuple[str, int, int] | None:
        """(style, ordinal, text start) of a list marker opening ``ln``; ``strict`` at wrap positions."""
        m = _LINE_MARK.match(self.text, ln.start, ln.end)
        if not m:
            return None
        tok = m.group("bo") or m.group("o")
        if tok is None:
            return (m.group("b") or "o"), 0, m.end()
        if tok[0] == "(" and tok[-1] != ")":
            return None
        sn = _ordinal(tok, self.stack)
        if sn is None:
            return None
        style, n = sn
        if strict and n != 1 and not any(e.style == style and e.ordinal == n - 1 for e in self.stack):
            return None
        return style, n, m.end()

    def _bare_label(self, ln: _Line, i: int) -> bool:
        """"Hepatic" alone on its line in an old NCI section, a list item right after it (as deep or deeper): the
        sub-header of the items below it, as "Hepatic:" is. Alone at the end of its list it stays an item."""
        if not self.nci or ln.tail or i >= len(self.lines) or not _BARE_LABEL.fullmatch(self.text, ln.start, ln.end):
            return False
        nx = self.lines[i]
        return nx.header is None and not nx.tail and nx.indent >= ln.indent and self._marker(nx, strict=False) is not None

    def _flattened(self, ln: _Line) -> bool:
        """Does the list after this header run on as `` - item - item`` (line breaks lost)?"""
        return len(_FLAT_MARK.findall(self.text, ln.start, ln.start + 2000)) >= 2

    def _full(self, prev: _Line, nxt: _Line) -> bool:
        """Was ``prev`` cut by hard wrapping (the next word would not have fitted)?"""
        if not self.wrap:
            return False
        word = _WORD.match(self.text, nxt.start)
        return prev.phys_len + 1 + (word.end() - word.start() if word else 0) >= self.wrap

    # main loop ---------------------------------------------------------------------------------
    def run(self) -> list[_Node]:
        lines, i = self.lines, 0
        while i < len(lines):
            ln = lines[i]
            i += 1
            if ln.header:
                self.stack.clear()
                if ln.header == "nci":
                    self.nci = True
                elif ln.header != "neutral":
                    self.kind, self.nci = ln.header, False
                continue
            mk = self._marker(ln, strict=False)
            if mk and mk[0] == "-" and ln.tail and not self.flat:
                self.flat = self._flattened(ln)
            if mk:
                style, n, start = mk
                node = _Node(self.kind, ln.indent, style, n)
            else:
                label = _LABEL.match(self.text, ln.start, ln.end) if self.nci else None
                style = "label" if label else "heading" if self._bare_label(ln, i) else "plain"
                node = _Node(self.kind, ln.indent, style)
                start = ln.start
            self._place(node)
            self.block = node
            segs = [(start, ln.end)] if start < ln.end else []
            prev, absorbed = ln, False
            while i < len(lines):
                nx = lines[i]
                if nx.blank_before:
                    break
                if nx.tail:  # rest of a physical line cut at a header
                    if not absorbed:
                        break
                else:
                    deeper = nx.indent > ln.indent
                    full = self._full(prev, nx)
                    if nx.header:  # a header word at a wrap position is just text
                        if not full or not (deeper or nx.header == "neutral" or self.text[nx.start].islower()):
                            break
                    elif segs and not (deeper or full):
                        break
                    elif self._marker(nx, strict=deeper or full):
                        break
                absorbed = nx.header is not None
                segs.append((nx.start, nx.end))
                prev = nx
                i += 1
            self._fill(node, segs)
        return self.roots

    # inline splitting --------------------------------------------------------------------------
    def _fill(self, node: _Node, segs: list[tuple[int, int]]) -> None:
        """Give ``node`` its text, cutting it at inline markers into siblings and children."""
        if not segs:
            return
        lo, hi = segs[0][0], segs[-1][1]
        cur, frm = node, lo
        if node.style == "heading":  # a bare "Hepatic": its items are the list after it
            self._give(node, segs, lo, hi)
            node.colon = True
            return
        if node.style == "label":  # "Hepatic: Bilirubin normal": the rest is the label's child
            m = _LABEL.match(self.text, lo, hi)
            assert m is not None
            node.segs, node.colon = [(lo, m.end())], True
            cur, frm = self._child(node, "plain", 0), m.end()
        cands = list(_INLINE_MARK.finditer(self.text, frm, hi))
        for extra, on in ((_LABEL, self.nci), (_FLAT_MARK, self.flat)):
            if on:
                cands = sorted(cands + list(extra.finditer(self.text, frm, hi)), key=lambda m: m.start())
        for k, m in enumerate(cands):
            if m.start() < frm or m.start() == lo:
                continue
            if m.re is _FLAT_MARK and m.group("hk"):  # a header inside flattened text
                self._give(cur, segs, frm, m.start())
                self.kind = "inclusion" if m.group("hk")[:2].lower() == "in" else "exclusion"
                self.stack.clear()
                cur, frm = _Node(self.kind, node.indent, "-"), m.end()
                self._attach(cur, None)
                continue
            new = self._inline(m, cands[k + 1:], cur, frm, segs)
            if new is not None:
                self._give(cur, segs, frm, m.start())
                cur, frm = new, m.end()
        self._give(cur, segs, frm, hi)

    def _give(self, node: _Node, segs: list[tuple[int, int]], a: int, b: int) -> None:
        """Append the parts of ``segs`` inside ``[a, b)`` to the node's text."""
        for s, e in segs:
            s, e = _strip(self.text, max(s, a), min(e, b))
            if s < e:
                node.segs.append((s, e))
        if node.segs:
            node.colon = self.text[node.segs[-1][1] - 1] == ":"

    def _sibling(self, k: int, style: str, n: int) -> _Node:
        """Close stack entry ``k`` and open the next item of its list."""
        st, sib = self.stack, self.stack[k]
        del st[k:]
        node = _Node(sib.kind, sib.indent, style, n)
        self._attach(node, st[-1] if st else None)
        return node

    def _child(self, parent: _Node, style: str, n: int) -> _Node:
        while self.stack and self.stack[-1] is not parent:
            self.stack.pop()
        node = _Node(parent.kind, parent.indent + 0.5, style, n)
        self._attach(node, parent)
        return node

    def _inline(self, m: re.Match[str], later: list[re.Match[str]], cur: _Node, frm: int,
                segs: list[tuple[int, int]]) -> _Node | None:
        """The node that text after inline marker ``m`` goes to, or None when ``m`` is just text."""
        st = self.stack
        if m.re is _LABEL:  # NCI sub-header: sibling of the previous one, else of the interrupted block
            k = next((k for k in range(len(st) - 1, -1, -1) if st[k].style == "label"), None)
            if k is None:
                k = next((k for k in range(len(st)) if st[k] is self.block), len(st) - 1)
            ref = st[k]
            del st[k:]
            while st and st[-1].style == "plain" and not st[-1].colon:
                st.pop()
            label = _Node(ref.kind, ref.indent, "label")
            self._give(label, segs, m.start(), m.end())
            self._attach(label, st[-1] if st else None)
            return self._child(label, "plain", 0)
        ordn = _inline_ordinal(m)
        if ordn:
            for style, n in ordn:
                for k in range(len(st) - 1, -1, -1):
                    if st[k].style == style and st[k].ordinal == n - 1:
                        return self._sibling(k, style, n)
            style, n = ordn[0]
            after_colon = m.group("dash") is not None or self.text[frm:m.start()].rstrip()[-1:] in (":", "")
            if n == 1 and after_colon and any((style, 2) in (_inline_ordinal(x) or ()) for x in later):
                return self._child(cur, style, 1)
            return None
        style = "-" if m.re is _FLAT_MARK else "i" + (m.group("bul") or "-")
        for k in range(len(st) - 1, -1, -1):
            if st[k].style == style:
                return self._sibling(k, style, 0)
        return self._child(cur, style, 0)


def _inline_ordinal(m: re.Match[str]) -> list[tuple[str, int]]:
    """Readings (style, position) of an inline ordinal marker; empty for bullets, dashes, labels."""
    if m.re is not _INLINE_MARK:
        return []
    g = m.group
    if g("n"):
        return [(f"num{g('nd')}", int(g("n")))]
    if g("dn"):
        return [(f"num{g('dnd')}", int(g("dn")))]
    if g("pn"):
        return [("(num)", int(g("pn")))]
    if g("r"):  # "i." is roman unless it continues a lettered list ("h) ... i) ...")
        r, d = g("r"), g("rd")
        return [(f"roman{d}", _ROMAN[r])] + ([(f"alpha{d}", ord(r) - 96)] if len(r) == 1 else [])
    if g("a"):
        return [(f"alpha{g('ad')}", ord(g("a")) - 96)]
    if g("pa"):
        return [("(alpha)", ord(g("pa")) - 96)]
    return []


# --- public ------------------------------------------------------------------------------------

def _items(text: str, nodes: list[_Node], prefix: str | None, counters: dict[str, int]) -> list[SourceItem]:
    """Freeze the node tree into SourceItems, numbering by position (``inc-2``, ``exc-1.3``)."""
    out: list[SourceItem] = []
    for node in nodes:
        if not node.segs:  # a bare marker: its children take its place
            out.extend(_items(text, node.children, prefix, counters))
            continue
        key = prefix or node.kind
        counters[key] = counters.get(key, 0) + 1
        ident = f"{prefix}.{counters[key]}" if prefix else f"{node.kind[:3]}-{counters[key]}"
        # wrapped lines joined by one space; runs of blanks inside a line too (lines flattened upstream)
        body = "".join((" " if k and s > node.segs[k - 1][1] else "")
                       + (" ".join(text[s:e].split()) if "  " in text[s:e] or "\t" in text[s:e] else text[s:e])
                       for k, (s, e) in enumerate(node.segs))
        kids = _items(text, node.children, ident, counters)
        out.append(SourceItem(ident, node.kind, unescape_markdown(body),
                              Span(node.segs[0][0], node.segs[-1][1]), tuple(kids)))
    return out


def split_criteria(text: str) -> tuple[SourceItem, ...]:
    """Split eligibility text into inclusion then exclusion items (ids by position, spans exact).

    Text with no inclusion/exclusion header is all inclusion; NCI section headings are dropped but
    their items kept.
    """
    if not text or text.isspace():
        return ()
    roots = _Splitter(text).run()
    items = _items(text, roots, None, {})
    return tuple(i for i in items if i.kind == "inclusion") + tuple(i for i in items if i.kind == "exclusion")


def nci_label(text: str) -> int | None:
    """Where the text after an old NCI sub-header at its start begins ("Hepatic: Not specified" -> 9), or None."""
    m = _LABEL.match(text, len(text) - len(text.lstrip()))
    return m.end() if m else None


def has_sections(text: str | None) -> bool:
    """Does the text name its parts (an inclusion, exclusion or NCI section heading)? Without any, every item
    is filed as an inclusion, though the page may mix exclusions and alternative patient groups among them."""
    return bool(text) and any(ln.header in ("inclusion", "exclusion", "nci") for ln in _lines(text or ""))


def section_groups(text: str | None) -> list[tuple[int, str]]:
    """(start, qualifier) of each inclusion/exclusion section header that names whom its section is for
    ("Inclusion criteria for Cohorts B and C only:" -> "for Cohorts B and C only"); the header itself is no item,
    so only its position tells which items it rules (screening/assemble.py _section_cohorts)."""
    out = []
    for ln in _lines(text or ""):
        if ln.header in ("inclusion", "exclusion", "neutral") and ln.end > ln.start:
            m = _HEADER.match(text or "", ln.start, ln.end)
            if m and m.group("qual") and m.end("qual") <= ln.end:
                out.append((ln.start, " ".join(m.group("qual").split()).strip(" -–()")))
    return out
