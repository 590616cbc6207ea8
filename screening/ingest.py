"""Read trials from every supported source into `Trial`, detecting the format by content.

Supported: ClinicalTrials.gov API v2 JSON (one study, a ``{"studies": [...]}`` page, or ``.jsonl``
with one study per line), classic CT.gov XML (``<clinical_study>``), and saved text of trial web
pages (the classic CT.gov page, the newer CT.gov export, a CT.gov mirror, an aggregator). The
criteria text is kept exactly as found, so item spans from `split_criteria` point into it.
"""
from __future__ import annotations

import hashlib
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson

from .errors import TrialFormatError
from .segment import split_criteria
from .trial import Trial

__all__ = ["load_trial", "load_trials", "iter_corpus", "trial_from_study", "parse_age", "parse_sex",
           "SUPPORTED_FORMATS"]

SUPPORTED_FORMATS = ("ctgov-json (API v2 study, {\"studies\": [...]} page, or .jsonl)",
                     "ctgov-xml (<clinical_study>)", "ctgov-classic-page", "ctgov-export-page",
                     "ctgov-mirror-page", "aggregator-page")
_HINT = "supported formats: " + "; ".join(SUPPORTED_FORMATS)

# --- field parsing -----------------------------------------------------------------------------

_AGE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(year|yr|month|week|day|hour|minute)s?\b", re.I)
_PER_YEAR = {"year": 1.0, "yr": 1.0, "month": 12.0, "week": 365.25 / 7, "day": 365.25, "hour": 365.25 * 24,
             "minute": 365.25 * 24 * 60}


def parse_age(value: object) -> float | None:
    """Age in years from ``18 Years``, ``6 Months`` (0.5), ``2 Weeks``; None for ``N/A`` or nothing."""
    if not isinstance(value, str):
        return None
    m = _AGE.match(value)
    if not m:
        return None
    return float(m.group(1)) / _PER_YEAR[m.group(2).lower()]


def parse_sex(value: object) -> str | None:
    """``all``/``female``/``male`` from CT.gov ``ALL``/``Both``/``Female``...; None when not stated."""
    if not isinstance(value, str):
        return None
    v = value.strip().lower()
    if v in ("all", "both", "any", "male and female", "female and male"):
        return "all"
    if v in ("female", "females", "women"):
        return "female"
    if v in ("male", "males", "men"):
        return "male"
    return None


def _healthy(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        v = value.strip().lower()
        if v in ("yes", "true", "accepts healthy volunteers"):
            return True
        if v in ("no", "false"):
            return False
    return None


# Fullwidth forms (U+FF01-FF5E) and the ideographic comma, full stop and space, as East Asian registrations type
# them, are their ASCII letters: "screening：" ends a heading and "；" an item. One character for one, so spans hold.
_FULLWIDTH = {0xFF01 + i: 0x21 + i for i in range(0x5E)} | {0x3001: ord(","), 0x3002: ord("."), 0x3000: ord(" ")}
_HAS_FULLWIDTH = re.compile("[\uff01-\uff5e\u3000-\u3002]")


def _make(*, nct: str | None, title: str, source: str, fmt: str, criteria: str | None,
          conditions: tuple[str, ...] = (), min_age: float | None = None, max_age: float | None = None,
          sex: str | None = None, healthy: bool | None = None) -> Trial:
    """Build the Trial; without an NCT number the id is a stable hash of the title."""
    if criteria is not None:
        criteria = criteria.translate(_FULLWIDTH) if _HAS_FULLWIDTH.search(criteria) else criteria
        if not criteria.strip():
            criteria = None
    ident = (nct or "").strip()
    if not ident:
        basis = title or criteria or source
        ident = "T-" + hashlib.sha1(basis.encode("utf-8")).hexdigest()[:12]
    return Trial(id=ident, title=title.strip(), source=source, format=fmt, conditions=conditions,
                 min_age_years=min_age, max_age_years=max_age, sex=sex, healthy_volunteers=healthy,
                 criteria_text=criteria, items=split_criteria(criteria) if criteria else ())


# --- CT.gov API v2 JSON ------------------------------------------------------------------------

def _module(ps: dict[str, Any], name: str, where: str, source: str) -> dict[str, Any]:
    mod = ps.get(name)
    if mod is None:
        return {}
    if not isinstance(mod, dict):
        raise TrialFormatError(f"{where}.protocolSection.{name} must be an object", source=source,
                               suggestion=_HINT)
    return mod


def trial_from_study(study: object, source: str, where: str = "$") -> Trial:
    """A Trial from one API v2 study object; ``where`` is its JSON path for error messages."""
    if not isinstance(study, dict) or not isinstance(study.get("protocolSection"), dict):
        raise TrialFormatError(f"{where}: not a CT.gov API v2 study (no protocolSection object)",
                               source=source, suggestion=_HINT)
    ps = study["protocolSection"]
    ident = _module(ps, "identificationModule", where, source)
    elig = _module(ps, "eligibilityModule", where, source)
    conds = _module(ps, "conditionsModule", where, source).get("conditions") or []
    criteria = elig.get("eligibilityCriteria")
    return _make(nct=ident.get("nctId") if isinstance(ident.get("nctId"), str) else None,
                 title=str(ident.get("briefTitle") or ident.get("officialTitle") or ""),
                 source=source, fmt="ctgov-json", criteria=criteria if isinstance(criteria, str) else None,
                 conditions=tuple(str(c) for c in conds if isinstance(c, str)) if isinstance(conds, list) else (),
                 min_age=parse_age(elig.get("minimumAge")), max_age=parse_age(elig.get("maximumAge")),
                 sex=parse_sex(elig.get("sex")), healthy=_healthy(elig.get("healthyVolunteers")))


def _json(data: bytes, source: str, line: int | None = None) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as e:
        lineno = e.lineno if line is None else line
        raise TrialFormatError(f"malformed JSON at line {lineno}, column {e.colno}: {e.msg}", source=source,
                               suggestion="fix the JSON syntax at that position") from None


def _from_json(obj: Any, source: str) -> list[Trial]:
    if isinstance(obj, dict) and "protocolSection" in obj:
        return [trial_from_study(obj, source)]
    studies = obj.get("studies") if isinstance(obj, dict) else obj
    if not isinstance(studies, list):
        raise TrialFormatError("JSON is neither a CT.gov API v2 study nor a {\"studies\": [...]} page",
                               source=source, suggestion=_HINT)
    single = len(studies) == 1
    return [trial_from_study(s, source if single else f"{source}#studies[{i}]", f"$.studies[{i}]")
            for i, s in enumerate(studies)]


def iter_corpus(path: str | os.PathLike[str]) -> Iterator[Trial]:
    """Trials from a ``.jsonl`` file (one API v2 study per line), read lazily."""
    source = str(path)
    try:
        fh = open(path, "rb")
    except OSError as e:
        raise TrialFormatError(f"cannot read file: {e.strerror}", source=source, suggestion=_HINT) from None
    with fh:
        for lineno, line in enumerate(fh, 1):
            if line.strip():
                obj = _json(line, source, lineno)
                yield trial_from_study(obj, f"{source}:{lineno}", f"line {lineno}")


# --- classic CT.gov XML ------------------------------------------------------------------------

def _from_xml(data: bytes, source: str) -> Trial:
    try:
        root = ET.fromstring(data)
    except ET.ParseError as e:
        line, col = e.position
        raise TrialFormatError(f"malformed XML at line {line}, column {col + 1}", source=source,
                               suggestion="fix the XML syntax at that position") from None
    if root.tag != "clinical_study":
        raise TrialFormatError(f"XML root is <{root.tag}>, expected <clinical_study>", source=source,
                               suggestion=_HINT)

    def get(p: str) -> str | None:
        el = root.find(p)
        return el.text if el is not None and el.text is not None else None

    return _make(nct=get("id_info/nct_id"), title=(get("brief_title") or get("official_title") or "").strip(),
                 source=source, fmt="ctgov-xml", criteria=get("eligibility/criteria/textblock"),
                 conditions=tuple(c.text.strip() for c in root.findall("condition") if c.text and c.text.strip()),
                 min_age=parse_age(get("eligibility/minimum_age")), max_age=parse_age(get("eligibility/maximum_age")),
                 sex=parse_sex(get("eligibility/gender") or get("eligibility/sex")),
                 healthy=_healthy(get("eligibility/healthy_volunteers")))


# --- saved web pages ---------------------------------------------------------------------------

_NCT = r"(NCT\d{8})"
_AGE_RANGE = re.compile(r"\b(\d{1,2})\s*(?:to|-|–)\s*(\d{1,3})\s+years\b", re.I)
_AGE_VALUE = re.compile(r"^\d+(?:\.\d+)?\s+(?:Years?|Months?|Weeks?|Days?|Hours?|Minutes?)$", re.I)
#: page section headings that end a criteria section
_STOPS = frozenset("""no results posted|results posted|study results|contacts and locations|locations|sponsors
|sponsors and collaborators|collaborators and investigators|more information|publications|study design|intervention
|interventions|outcome|outcome measures|minimum eligible age|maximum eligible age|eligible sex
|accepts healthy volunteers|ages eligible for study|sexes eligible for study|responsible party|references
|other identifiers|central contacts|study documents|related conditions & mesh terms|keywords""".replace("\n", "")
                   .split("|"))
#: the one-line blurb under each heading of the mirror pages ("Check the participation requirements, ...")
_BLURB = re.compile(r"(?:See|Check|Review|Get|Dive|Understand|Learn|Discover|Explore|Meet|Identify|Reach|Find"
                    r"|Additional|Browse)\b.*\.$")


class _Page:
    """A page's lines with their offsets, so sections can be cut out exactly."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines: list[tuple[int, str]] = []
        pos = 0
        for raw in text.splitlines(keepends=True):
            self.lines.append((pos, raw.rstrip("\r\n")))
            pos += len(raw)

    def find(self, pattern: str, start: int = 0) -> tuple[int, re.Match[str]] | None:
        """First line (index, match) from ``start`` matching ``pattern`` in full (after stripping)."""
        rx = re.compile(pattern)
        for i in range(start, len(self.lines)):
            m = rx.fullmatch(self.lines[i][1].strip())
            if m:
                return i, m
        return None

    def value(self, pattern: str) -> str | None:
        hit = self.find(pattern)
        return hit[1].group(1).strip() if hit else None

    def next_nonblank(self, i: int) -> int | None:
        while i < len(self.lines) and not self.lines[i][1].strip():
            i += 1
        return i if i < len(self.lines) else None

    def section(self, first: int, stop: Callable[[str], bool], offset: int = 0) -> str | None:
        """Raw text from line ``first`` (+``offset`` chars) up to the first line where ``stop`` holds."""
        end = len(self.lines)
        for i in range(first + 1, len(self.lines)):
            if stop(self.lines[i][1].strip()):
                end = i
                break
        a = self.lines[first][0] + offset
        b = self.lines[end][0] if end < len(self.lines) else len(self.text)
        return self.text[a:b].rstrip() or None

    def age_fallback(self) -> tuple[float | None, float | None]:
        """``18 to 75 years`` in the page text, when no age field exists."""
        m = _AGE_RANGE.search(self.text)
        return (float(m.group(1)), float(m.group(2))) if m else (None, None)


def _is_stop(line: str) -> bool:
    return line.lower().rstrip(":") in _STOPS


#: keys of the classic dump that follow the criteria (criteria items may look like keys: "Age: 18")
_CLASSIC_KEYS = re.compile(r"(?:Healthy Volunteers|Accepts Healthy Volunteers|Sex|Gender|Gender Based|Minimum Age"
                           r"|Maximum Age|Std Ages?|Sampling Method|Study Population|Study Oversight|Has Oversight DMC"
                           r"|Contacts and Locations|Sponsor|Organization)\b\s*:?")


def _classic_page(page: _Page, source: str) -> Trial:
    """Old CT.gov 'Viewing Study NCT...' dump: ``Key: value`` lines."""
    nct = page.value(r"Viewing Study " + _NCT + r".*") or page.value(r"Study NCT ID:\s*" + _NCT)
    title = page.value(r"Brief Title:\s*(.+)") or page.value(r"Official Title:\s*(.+)") or ""
    criteria = None
    hit = page.find(r"(?:Eligibility Criteria|Criteria):\s*(.*)")
    if hit:
        i, m = hit
        line = page.lines[i][1]
        start = line.index(m.group(1)) if m.group(1) else len(line)
        if not m.group(1) and (nxt := page.next_nonblank(i + 1)) is not None:
            i, start = nxt, 0
        criteria = page.section(i, lambda s: _is_stop(s) or bool(_CLASSIC_KEYS.match(s)), offset=start)
    conds = page.value(r"Conditions?:\s*(.+)")
    lo = parse_age(page.value(r"Minimum Age:\s*(.+)"))
    hi = parse_age(page.value(r"Maximum Age:\s*(.+)"))
    if lo is None and hi is None:
        lo, hi = page.age_fallback()
    return _make(nct=nct, title=title, source=source, fmt="ctgov-classic-page", criteria=criteria,
                 conditions=(conds,) if conds else (), min_age=lo, max_age=hi,
                 sex=parse_sex(page.value(r"(?:Sex|Gender):\s*(.+)")),
                 healthy=_healthy(page.value(r"(?:Accepts )?Healthy Volunteers:\s*(.+)")))


def _export_page(page: _Page, source: str) -> Trial:
    """Newer CT.gov export: ``Title`` then the titles, a ``Criteria`` heading, bulleted facts."""
    first = page.next_nonblank(0)
    t = page.next_nonblank(first + 1) if first is not None else None
    title = page.lines[t][1].strip() if t is not None else ""
    nct = page.value(r"(?:NCT ID|NCT Number|ClinicalTrials\.gov ID)\s*:?\s*" + _NCT)
    criteria = None
    hit = page.find(r"Criteria")
    if hit:
        start = page.next_nonblank(hit[0] + 1)
        if start is not None:
            criteria = page.section(start, _is_stop)
    lo = parse_age(page.value(r"Minimum (?:Eligible )?Age:?\s*(.+)"))
    hi = parse_age(page.value(r"Maximum (?:Eligible )?Age:?\s*(.+)"))
    if lo is None and hi is None:
        lo, hi = page.age_fallback()
    return _make(nct=nct, title=title, source=source, fmt="ctgov-export-page", criteria=criteria,
                 min_age=lo, max_age=hi, sex=parse_sex(page.value(r"(?:Eligible )?Sex(?:es Eligible)?:?\s*(.+)")),
                 healthy=_healthy(page.value(r"Accepts Healthy Volunteers:?\s*(.+)")))


def _aggregator_page(page: _Page, source: str) -> Trial:
    """'Clinical Trial Details' page: ``Label value`` lines, criteria on the ``Eligibility`` line."""
    nct = page.value(r"NCT number\s+" + _NCT)
    title = page.value(r"(?:Official title|Brief title|Title)\s+(.+)") or ""
    criteria = None
    hit = page.find(r"Eligibility\s+(\S.*)")
    if hit:
        i, m = hit
        criteria = page.section(i, _is_stop, offset=page.lines[i][1].index(m.group(1)))
    lo = hi = None
    ages = page.value(r"Age group\s+(.+)")
    if ages:
        parts = re.split(r"\s+to\s+", ages, maxsplit=1)
        lo = parse_age(parts[0])
        hi = parse_age(parts[1]) if len(parts) > 1 else None
    conds = page.value(r"Conditions?\s+(.+)")
    return _make(nct=nct, title=title, source=source, fmt="aggregator-page", criteria=criteria,
                 conditions=(conds,) if conds else (), min_age=lo, max_age=hi,
                 sex=parse_sex(page.value(r"Gender\s+(.+)")),
                 healthy=_healthy(page.value(r"Accepts healthy volunteers\s+(.+)")))


def _mirror_page(page: _Page, source: str) -> Trial:
    """CT.gov mirror: title first, headed sections with a blurb, eligibility facts after the criteria."""
    first = page.next_nonblank(0)
    title = page.lines[first][1].strip() if first is not None else ""
    nct = page.value(r"NCT ID:\s*" + _NCT)
    criteria, lo, hi, sex, healthy = None, None, None, None, None
    hit = page.find(r"Eligibility Criteria")
    if hit:
        start = page.next_nonblank(hit[0] + 1)
        if start is not None and _BLURB.fullmatch(page.lines[start][1].strip()):
            start = page.next_nonblank(start + 1)
        if start is not None:
            def stop(s: str) -> bool:
                return bool(_AGE_VALUE.match(s)) or s.upper() in ("ALL", "FEMALE", "MALE") or _is_stop(s)
            criteria = page.section(start, stop)
            lo, hi, sex, healthy = _mirror_facts(page, start, stop)
    conds: tuple[str, ...] = ()
    hit = page.find(r"Conditions")
    if hit:
        i = page.next_nonblank(hit[0] + 1)
        if i is not None and _BLURB.fullmatch(page.lines[i][1].strip()):
            i = page.next_nonblank(i + 1)
        got = []
        while i is not None and page.lines[i][1].strip() and not _is_heading(page, i):
            got.append(page.lines[i][1].strip())
            i = page.next_nonblank(i + 1)
        conds = tuple(got)
    return _make(nct=nct, title=title, source=source, fmt="ctgov-mirror-page", criteria=criteria,
                 conditions=conds, min_age=lo, max_age=hi, sex=sex, healthy=healthy)


def _is_heading(page: _Page, i: int) -> bool:
    """A mirror-page heading is followed by its blurb line."""
    j = page.next_nonblank(i + 1)
    return _is_stop(page.lines[i][1].strip()) or (j is not None and bool(_BLURB.fullmatch(page.lines[j][1].strip())))


def _mirror_facts(page: _Page, start: int,
                  stop: Callable[[str], bool]) -> tuple[float | None, float | None, str | None, bool | None]:
    """Ages, sex, healthy volunteers after the criteria: labelled lines, or bare values in that order."""
    i = start + 1
    while i < len(page.lines) and not stop(page.lines[i][1].strip()):
        i += 1
    ages: list[float | None] = []
    labels: dict[str, str] = {}
    sex = healthy = label = None
    for _, raw in page.lines[i:i + 16]:
        s = raw.strip()
        if not s:
            continue
        if s in ("Minimum Eligible Age", "Maximum Eligible Age", "Eligible Sex", "Accepts Healthy Volunteers"):
            label = s
            continue
        if label:
            labels[label], label = s, None
        elif _AGE_VALUE.match(s):
            ages.append(parse_age(s))
        elif s.upper() in ("ALL", "FEMALE", "MALE") and sex is None:
            sex = parse_sex(s)
        elif s in ("Yes", "No") and healthy is None:
            healthy = _healthy(s)
        else:
            break
    if labels:
        return (parse_age(labels.get("Minimum Eligible Age")), parse_age(labels.get("Maximum Eligible Age")),
                parse_sex(labels.get("Eligible Sex")), _healthy(labels.get("Accepts Healthy Volunteers")))
    # bare values: one age is taken as the minimum (the page shows the minimum first)
    return (ages[0] if ages else None, ages[1] if len(ages) > 1 else None, sex, healthy)


_PAGES: tuple[tuple[str, Callable[[_Page, str], Trial]], ...] = (
    (r"\A\s*Viewing Study NCT\d{8}", _classic_page),
    (r"\A(?:.*\n){0,5}.*Clinical Trial Details|^NCT number NCT\d{8}", _aggregator_page),
    (r"^NCT ID: NCT\d{8}[\s\S]*^Eligibility Criteria\s*$", _mirror_page),
    (r"\A\s*Title\s*\n[\s\S]*^Criteria\s*$", _export_page),
)


# --- entry points ------------------------------------------------------------------------------

def _read(path: str | os.PathLike[str]) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as e:
        raise TrialFormatError(f"cannot read file: {e.strerror or e}", source=str(path), suggestion=_HINT) from None


def load_trials(path: str | os.PathLike[str]) -> list[Trial]:
    """Every trial in a file: a JSON page or ``.jsonl`` may hold many, other formats hold one."""
    source = str(path)
    if source.endswith((".jsonl", ".ndjson")):
        return list(iter_corpus(path))
    data = _read(path)
    if data.startswith(b"\xef\xbb\xbf"):  # a UTF-8 byte-order mark (Windows editors)
        data = data[3:]
    head = data.lstrip()[:1]
    if head in (b"{", b"["):
        try:
            return _from_json(_json(data, source), source)
        except TrialFormatError:
            lines = [ln for ln in data.splitlines() if ln.strip()]
            if len(lines) > 1 and all(ln.lstrip().startswith(b"{") for ln in lines):
                return list(iter_corpus(path))  # JSON lines under another name
            raise
    if head == b"<":
        return [_from_xml(data, source)]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise TrialFormatError("not a text file (not UTF-8) and not a known trial format", source=source,
                               suggestion=_HINT) from None
    for pattern, reader in _PAGES:
        if re.search(pattern, text, re.M):
            return [reader(_Page(text), source)]
    raise TrialFormatError("unknown trial format", source=source, suggestion=_HINT)


def load_trial(path: str | os.PathLike[str]) -> Trial:
    """The one trial in a file; a page or ``.jsonl`` holding several is an error (use `load_trials`)."""
    trials = load_trials(path)
    if len(trials) != 1:
        raise TrialFormatError(f"file holds {len(trials)} studies, expected exactly one", source=str(path),
                               suggestion="use load_trials() (or pick one study) for multi-study files")
    return trials[0]
