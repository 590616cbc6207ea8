"""Rules files: a whole trial's rules with the source text and a hash of each item, read and written; drift between a
reviewed file and a fresh compile (changed source, changed reading, edited rules kept).
"""
from __future__ import annotations

import difflib
import hashlib
import json
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal


from ..errors import CriteriaSyntaxError
from ..ir import KINDS, All, AnyOf, AtLeast, CompiledTrial, Judged, Criterion, Node, Not, Review
from .parser import _Where, _parse
from .printer import FORMAT_VERSION, _quote, format_rule


_HEADER = """\
# Eligibility rules for {trial_id}, in the screening rule language (format {version}).
# One block per criterion: a block line, the criterion's source text as '#' lines right under it,
# then its rule, e.g. all(age >= 18 year, hemoglobin >= 90 g/L within 3 months). Block lines:
#   [inc-1] inclusion                   a criterion of its own
#   [exc-2] exclusion header            a heading; its sub-items follow
#   [exc-2.1] exclusion part of exc-2   a sub-item folded into exc-2's rule
#   [inc-6.1] inclusion under inc-6     a sub-item with a verdict of its own
#   [inc-3] inclusion edited 1a2b3c4d5e6f   a rule a person corrected (the hash is of the compiled rule
#                                       it replaces; `screening check --stamp` writes it)
# Correct the rules; keep the ids and the source text. Any other line starting with '#' is a comment.
"""


_PARENT_WORD = {"part": "of", "header": "under", "criterion": "under"}  # a part is folded into its parent


_META_KEYS = ("format", "trial", "title", "source", "source-sha256", "note")


_BLOCK = re.compile(r"\[(?P<id>[^\[\]\s]+)\](?P<rest>.*)")


def _meta_value(value: str) -> str:
    """A header value as written: plain when that reads back exactly, else JSON-quoted."""
    if value and (value != value.strip() or value.startswith('"') or any(c < " " for c in value)):
        return _quote(value)
    return value


def _block_line(c: Criterion) -> str:
    """``inclusion``, ``exclusion header``, ``exclusion part of exc-1``, ``inclusion under inc-6``,
    followed by ``edited <hash>`` when a person corrected the compiled rule."""
    role = "" if c.role == "criterion" else f" {c.role}"
    line = f"{c.kind}{role}" + ("" if c.parent is None else f" {_PARENT_WORD[c.role]} {c.parent}")
    return line + (f" edited {c.edited_from}" if c.edited_from else "")


def rule_hash(node: Node) -> str:
    """A short stable hash of a rule's canonical text: what an ``edited`` block was corrected from.

    Review reasons are left out: a reworded reason is not a new reading of the criterion.
    """
    return hashlib.sha256(format_rule(_without_reasons(node), width=10**6).encode("utf-8")).hexdigest()[:12]


def _without_reasons(node: Node) -> Node:
    if isinstance(node, Review):
        return Review(node.text, "")
    if isinstance(node, Not):
        return Not(_without_reasons(node.item))
    if isinstance(node, Judged):
        return Judged(node.qualifier, _without_reasons(node.item))
    if isinstance(node, (All, AnyOf)):
        return type(node)(tuple(_without_reasons(n) for n in node.items))
    if isinstance(node, AtLeast):
        return AtLeast(node.n, tuple(_without_reasons(n) for n in node.items))
    return node


def dump_rules(trial: CompiledTrial, *, source: str = "") -> str:
    """The rules file of a compiled trial; ``source`` replaces ``trial.source`` in the header if given."""
    out = [_HEADER.format(trial_id=_meta_value(trial.trial_id), version=FORMAT_VERSION)]
    meta = {"format": str(FORMAT_VERSION), "trial": trial.trial_id, "title": trial.title,
            "source": source or trial.source, "source-sha256": trial.source_hash, "note": trial.note}
    for key, value in meta.items():
        if value or key != "note":
            out.append(f"{key}: {_meta_value(value)}".rstrip() + "\n")
    for c in trial.criteria:
        if not re.fullmatch(r"[^\[\]\s]+", c.id) or (c.parent is not None and not re.fullmatch(r"\S+", c.parent)):
            raise ValueError(f"criterion id {c.id!r} or its parent cannot be written in a rules file")
        out.append(f"\n[{c.id}] {_block_line(c)}\n")
        out.extend(f"# {line}\n" if line else "#\n" for line in (c.text.split("\n") if c.text else ()))
        out.append(format_rule(c.rule) + "\n")
    return "".join(out)


def load_rules(path: str | Path) -> CompiledTrial:
    """Read a rules file; errors name the file, line and column."""
    return loads_rules(Path(path).read_text(encoding="utf-8"), str(path))


def loads_rules(text: str, source: str = "<rules>") -> CompiledTrial:
    """Parse rules-file text (see ``dump_rules``) back into the CompiledTrial it was written from."""
    return _RulesReader(text.replace("\r\n", "\n"), source).read()


class _RulesReader:
    """Reads a rules file line by line: header metadata, then blocks of header line, source text, rule."""

    def __init__(self, text: str, source: str) -> None:
        self.text, self.source = text, source
        self.lines = text.split("\n")
        self.starts = [0]
        for line in self.lines:
            self.starts.append(self.starts[-1] + len(line) + 1)

    def error(self, index: int, column: int, message: str, suggestion: str | None = None) -> CriteriaSyntaxError:
        return _Where(self.text, self.source).error(self.starts[index] + column - 1, message, suggestion=suggestion)

    def read(self) -> CompiledTrial:
        i, meta = 0, dict.fromkeys(_META_KEYS, "")
        seen: dict[str, int] = {}  # key -> line index
        while i < len(self.lines) and not self.lines[i].startswith("["):
            line = self.lines[i].strip()
            if line and not line.startswith("#"):
                key, colon, value = line.partition(":")
                key = key.strip()
                if not colon or key not in _META_KEYS:
                    close = difflib.get_close_matches(key, _META_KEYS, 1)
                    raise self.error(i, 1, f"expected 'key: value' with a key among {', '.join(_META_KEYS)}",
                                     suggestion=close and f"did you mean '{close[0]}:'?" or None)
                meta[key] = self._value(i, value.strip())
                seen[key] = i
            i += 1
        for key in ("format", "trial"):
            if key not in seen:
                raise self.error(min(i, len(self.lines) - 1), 1, f"the header lacks '{key}:'",
                                 suggestion=f"add a line such as '{key}: " +
                                 (f"{FORMAT_VERSION}'" if key == "format" else "NCT01234567'"))
        if meta["format"] != str(FORMAT_VERSION):
            raise self.error(seen["format"], 1, f"unsupported rules format {meta['format']!r}",
                             suggestion=f"this version reads format {FORMAT_VERSION}")
        criteria: list[Criterion] = []
        while i < len(self.lines):
            criterion, j = self._block(i)
            if any(c.id == criterion.id for c in criteria):
                raise self.error(i, 2, f"duplicate criterion id '{criterion.id}'",
                                 suggestion="every block needs its own id; rename one of them")
            criteria.append(criterion)
            i = j
        self._check_parents(criteria)
        return CompiledTrial(meta["trial"], meta["title"], meta["source"], meta["source-sha256"],
                             tuple(criteria), meta["note"])

    def _value(self, index: int, value: str) -> str:
        if not value.startswith('"'):
            return value
        try:
            return str(json.loads(value))
        except json.JSONDecodeError:
            raise self.error(index, self.lines[index].index('"') + 1, "malformed quoted value",
                             suggestion='a quoted value is JSON text: "like \\"this\\""') from None

    def _block(self, i: int) -> tuple[Criterion, int]:
        """One block starting at line ``i``; returns it and the index of the line after it."""
        header = self.lines[i].rstrip()
        m = _BLOCK.fullmatch(header)
        if not m:
            raise self.error(i, 1, "malformed block line", suggestion="write it as '[inc-1] inclusion'")
        cid = m["id"]
        words = [(w.group(), w.start() + 1) for w in re.compile(r"\S+").finditer(header, m.start("rest"))]
        edited = None
        if len(words) >= 3 and words[-2][0] == "edited":
            edited, words = words[-1][0], words[:-2]
        kind, role, parent = self._roles(i, words, len(header) + 1)
        j = i + 1
        text_lines: list[str] = []
        while j < len(self.lines) and self.lines[j].startswith("#"):
            text_lines.append(self.lines[j][1:].removeprefix(" "))
            j += 1
        start = j
        while j < len(self.lines) and not self.lines[j].startswith("["):
            j += 1
        chunk = "\n".join(self.lines[start:j])
        if not re.sub(r"#[^\n]*", "", chunk).strip():
            raise self.error(i, 1, f"block [{cid}] has no rule",
                             suggestion='write its rule under the source text, or review("...", "why") '
                                        "if a person must judge it")
        rule = _parse(_Where(chunk, self.source, start, self.starts[start]))
        return Criterion(cid, kind, "\n".join(text_lines), rule, role=role, parent=parent, edited_from=edited), j

    def _roles(self, i: int, words: list[tuple[str, int]], end: int) -> tuple[str, str, str | None]:
        """Kind, role and parent from the words after ``[id]``: ``exclusion part of exc-1``."""
        if not words or words[0][0] not in KINDS:
            word, col = words[0] if words else ("", end)
            close = difflib.get_close_matches(word, KINDS, 1)
            raise self.error(i, col, "expected 'inclusion' or 'exclusion' after the block id",
                             suggestion=close and f"did you mean '{close[0]}'?" or None)
        kind, role, parent = words[0][0], "criterion", None
        rest = words[1:]
        if rest and rest[0][0] in ("header", "part"):
            role, rest = rest[0][0], rest[1:]
        if rest and rest[0][0] == _PARENT_WORD[role] and len(rest) == 2:
            parent, rest = rest[1][0], []
        if rest:
            raise self.error(i, rest[0][1], f"unexpected '{rest[0][0]}' in the block line",
                             suggestion="write '[id] inclusion', '[id] exclusion header', "
                                        "'[id] exclusion part of <parent id>' or '[id] inclusion under <parent id>'")
        return kind, role, parent

    def _check_parents(self, criteria: list[Criterion]) -> None:
        ids = {c.id for c in criteria}
        for c in criteria:
            if c.parent is not None and c.parent not in ids:
                index = next(k for k, line in enumerate(self.lines) if line.startswith(f"[{c.id}]"))
                col = self.lines[index].rindex(c.parent) + 1
                close = difflib.get_close_matches(c.parent, sorted(ids - {c.id}), 1)
                raise self.error(index, col, f"'{c.parent}' is not the id of any block",
                                 suggestion=close and f"did you mean '{close[0]}'?" or None)


DriftKind = Literal["source-changed", "rule-differs", "missing", "added"]


@dataclass(frozen=True, slots=True)
class Drift:
    """One difference between a reviewed rules file and a fresh compile of the same trial."""

    criterion_id: str | None
    kind: DriftKind
    message: str


def _verdict_shape(c: Criterion) -> tuple[object, ...]:
    """What decides a criterion's verdict: its rule (not a review's wording), kind, role and parent."""
    return _without_reasons(c.rule), c.kind, c.role, c.parent


def _one_line(c: Criterion) -> str:
    return f"{_block_line(c)}: {format_rule(c.rule, width=10**6)}"


def stamp_rules(text: str, reviewed: CompiledTrial, fresh: CompiledTrial) -> str:
    """Record a review in rules-file text: every rule that differs from the fresh compile becomes
    ``edited <hash>`` (a deliberate correction) and the header takes the fresh source hash."""
    fresh_by_id = {c.id: c for c in fresh.criteria}
    lines = text.split("\n")
    for k, line in enumerate(lines):
        m = _BLOCK.match(line)
        if m and m["id"] in fresh_by_id:
            old = next(c for c in reviewed.criteria if c.id == m["id"])
            new = fresh_by_id[m["id"]]
            edited = rule_hash(new.rule) if _without_reasons(old.rule) != _without_reasons(new.rule) else None
            lines[k] = f"[{old.id}] {_block_line(replace(old, edited_from=edited))}"
        elif line.startswith("source-sha256:"):
            lines[k] = f"source-sha256: {fresh.source_hash}"
    return "\n".join(lines)


def accept_rules(text: str, reviewed: CompiledTrial, fresh: CompiledTrial) -> str:
    """Take the compiler's new reading into rules-file text for every rule nobody corrected by hand
    (blocks without ``edited``); corrected rules, source lines and comments stay as they are."""
    fresh_by_id = {c.id: c for c in fresh.criteria}
    old_by_id = {c.id: c for c in reviewed.criteria}
    lines, out, k = text.split("\n"), [], 0
    while k < len(lines):
        line = lines[k]
        out.append(line)
        k += 1
        m = _BLOCK.match(line)
        old, new = (old_by_id.get(m["id"]), fresh_by_id.get(m["id"])) if m else (None, None)
        if old is None or new is None or old.edited_from is not None or _verdict_shape(old) == _verdict_shape(new):
            continue
        while k < len(lines) and lines[k].startswith("#"):  # the source text
            out.append(lines[k])
            k += 1
        while k < len(lines) and lines[k].strip() and not _BLOCK.match(lines[k]):  # the old rule
            k += 1
        out.append(format_rule(new.rule))
    return "\n".join(out)


def check_drift(reviewed: CompiledTrial, fresh: CompiledTrial) -> list[Drift]:
    """What a reviewer must look at again: a changed source, rules that differ, criteria gone or new."""
    drifts: list[Drift] = []
    if reviewed.source_hash != fresh.source_hash:
        drifts.append(Drift(None, "source-changed", "the trial's source text changed since the rules were "
                            f"reviewed (sha256 {reviewed.source_hash[:12]} -> {fresh.source_hash[:12]})"))
    old = {c.id: c for c in reviewed.criteria}
    new = {c.id: c for c in fresh.criteria}
    for cid, c in old.items():
        if cid not in new:
            drifts.append(Drift(cid, "missing", f"[{cid}] is in the reviewed rules but not in the fresh compile"))
        elif c.edited_from is not None:  # a person's correction stands while the compiler reads the same
            if rule_hash(new[cid].rule) != c.edited_from or _verdict_shape(new[cid])[1:] != _verdict_shape(c)[1:]:
                drifts.append(Drift(cid, "rule-differs", f"[{cid}] was corrected by hand, and the compiler now "
                                    f"reads the text differently: {_one_line(new[cid])}"))
        elif _verdict_shape(new[cid]) != _verdict_shape(c):
            drifts.append(Drift(cid, "rule-differs", f"[{cid}] reviewed: {_one_line(c)}\n"
                                f"[{cid}] fresh:    {_one_line(new[cid])}"))
    drifts += [Drift(cid, "added", f"[{cid}] is new in the fresh compile") for cid in new if cid not in old]
    return drifts

