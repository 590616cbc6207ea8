"""The Trial model: what every reader (`ingest`) produces and the splitter (`segment`) fills in."""
from __future__ import annotations

from dataclasses import dataclass, field

from .ir import Span


@dataclass(frozen=True, slots=True)
class SourceItem:
    """One bullet/numbered item of the criteria text, with its nested sub-items.

    ``id`` is stable: ``inc-3`` is the third inclusion item, ``exc-2.1`` the first sub-item of the
    second exclusion item. ``text`` is the item's own text (without its sub-items), exactly as in
    the source except that wrapped lines are joined by single spaces; ``span`` locates it in
    ``Trial.criteria_text`` (start of its first character to end of its last).
    """

    id: str
    kind: str  # "inclusion" | "exclusion"
    text: str
    span: Span
    children: tuple["SourceItem", ...] = ()


@dataclass(frozen=True, slots=True)
class Trial:
    """A trial as read from any supported format."""

    id: str
    title: str
    source: str  # path or other origin
    format: str  # "ctgov-classic-page", "ctgov-json", "ctgov-xml", ...
    conditions: tuple[str, ...] = ()
    min_age_years: float | None = None
    max_age_years: float | None = None
    sex: str | None = None  # "all" | "female" | "male" | None when not stated
    healthy_volunteers: bool | None = None
    #: the raw eligibility criteria text; None when the source has no criteria section
    criteria_text: str | None = None
    items: tuple[SourceItem, ...] = field(default=())
