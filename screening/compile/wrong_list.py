"""Demands filed among the exclusions (precision review s12).

An exclusion whose rule every healthy patient meets cannot be an exclusion: no protocol excludes everyone with
normal bilirubin, a negative pregnancy test or a platelet count above 75,000. It is a demand in the wrong list
(an inclusion item pasted under the exclusions, or section headings swapped or lost), and read as an exclusion
it would rule out every patient who is well. Such an item goes to review with a reason that says so.

A healthy patient is read from the quantities' data (quantities.toml ``healthy``: the adult reference interval,
or the result of a qualitative test in a person without the disease), from the reference limits themselves
("< 3 x ULN", ">= LLN") and from the wording ("Must have ...", "Adequate renal function"). Among the inclusions
nothing is done: a threshold only sick values meet is what a trial that recruits sick people asks for.
"""
from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache

from .. import ir, units
from ..lexer import phrase_data

#: why an item goes to review; compile_trial's section check (assemble) counts items with it
REASON = "met by every healthy patient ({what}): a demand filed among the exclusions, not an exclusion"
#: the opening of REASON, by which such items are counted
REASON_HEAD = "met by every healthy patient"
WORDING = "worded as a demand ({what}): filed among the exclusions, it would exclude those who meet it"


def healthy_meets(node: ir.Node) -> bool | None:
    """Whether a healthy adult meets the rule: True, False, or None when the data cannot tell (Kleene logic over
    and/or/not; anything but thresholds and tests with a known healthy value is None)."""
    if isinstance(node, ir.Measure):
        return _measure(node)
    if isinstance(node, ir.TestResult):
        healthy = units.get_quantity(node.analyte).healthy if _known(node.analyte) else None
        return None if not isinstance(healthy, str) else node.result == healthy
    if isinstance(node, ir.Not):
        inner = healthy_meets(node.item)
        return None if inner is None else not inner
    if isinstance(node, ir.AnyOf):
        found = [healthy_meets(i) for i in node.items]
        return True if True in found else (False if all(f is False for f in found) else None)
    if isinstance(node, ir.All):
        found = [healthy_meets(i) for i in node.items]
        return False if False in found else (True if all(f is True for f in found) else None)
    return None


def _sick_side(node: ir.Node) -> bool:
    """A threshold or test in the rule that a healthy adult does not meet: "ECOG < 1 or > 3", "HbA1c < 6.5 % or
    > 10 %" exclude both sides of a window the trial wants (patients who are ill, but not too ill), on purpose."""
    return any(isinstance(n, (ir.Measure, ir.TestResult)) and (met := healthy_meets(n)) is not None and met == negated
               for n, negated in ir.polar_walk(node))


def _known(key: str) -> bool:
    return key in units.quantities()  # a key the data does not hold: nothing to tell


def _measure(m: ir.Measure) -> bool | None:
    """A threshold against the healthy interval: met by all of it, by none of it, or by a part (None). The limits
    of the interval count as inside it (a value at the limit is as healthy as one beside it). Multiples of the
    reference limits need no data: a healthy value lies between LLN and ULN."""
    if m.unit == "ULN":
        low, high = (None, 1.0)
    elif m.unit == "LLN":
        low, high = (1.0, None)
    else:
        healthy = units.get_quantity(m.quantity).healthy if _known(m.quantity) else None
        if not isinstance(healthy, tuple):
            return None
        low, high = healthy
    if m.op in ("<", "<="):
        if high is not None and high <= m.value:
            return True
        return False if low is not None and low >= m.value else None
    if low is not None and low >= m.value:
        return True
    return False if high is not None and high <= m.value else None


def _shown(node: ir.Node) -> str:
    """The rule as the reason shows it: whole when short, else the first leaf that makes a healthy patient meet it."""
    from ..rules.printer import format_rule  # the printer imports the compiler's neighbours: at call time
    whole = format_rule(node)
    if "\n" not in whole and len(whole) <= 80:
        return whole
    leaf = next((n for n, _ in ir.polar_walk(node) if isinstance(n, (ir.Measure, ir.TestResult)) and healthy_meets(n)),
                None)
    return format_rule(leaf) if leaf is not None else "its thresholds"


@lru_cache(maxsize=1)
def _wording() -> re.Pattern[str]:
    return re.compile(phrase_data()["wrong_list"]["demand"], re.I)


def wrong_list(node: ir.Node, text: str) -> ir.Node:
    """An exclusion item's rule, or a review node when the item is a demand in the wrong list."""
    if (m := _wording().search(text)) is not None:
        return ir.Review(text, WORDING.format(what=f"'{m[0].strip()}'"))
    if isinstance(node, ir.Review) or not healthy_meets(node) or _sick_side(node):
        return node
    return ir.Review(text, REASON.format(what=_shown(node)))


#: the openings of the reasons that say an exclusion item is a demand in the wrong list (here, and where the compiler
#: finds one by its own shape: an attestation, "at least ... since", "< 3 x ULN" filed among the exclusions)
_DEMAND_REASONS = (REASON_HEAD, WORDING.split("(")[0], "a requirement (an attestation) filed among the exclusions",
                   "a requirement ('at least ... since') filed among the exclusions",
                   "an exclusion of values below a multiple of the upper limit of normal")
SECTION = ("most items filed among the exclusions are demands every healthy patient meets (the headings were probably "
           "swapped or lost): this one may be a demand too")


def is_demand(rule: ir.Node) -> bool:
    """An exclusion criterion the compiler sent to review as a demand in the wrong list."""
    return isinstance(rule, ir.Review) and rule.reason.startswith(_DEMAND_REASONS)


def swapped_section(criteria: list[ir.Criterion]) -> list[ir.Criterion]:
    """When most exclusion items of a trial are demands (at least three, more than half of those that are not
    headings), the section's headings were swapped or lost, and the items left are suspect too ("Not pregnant or
    nursing", "No bipolar disorder" read as exclusions): every one that still decides goes to review."""
    items = [c for c in criteria if c.kind == "exclusion" and c.role != "header"]
    demands = sum(is_demand(c.rule) for c in items)
    if demands < 3 or 2 * demands <= len(items):
        return criteria
    return [replace(c, rule=ir.Review(c.text, SECTION)) if c in items and not isinstance(c.rule, (ir.Review, ir.Permitted)) else c
            for c in criteria]
