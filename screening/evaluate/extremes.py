"""A measurement's historical extreme ("Nadir CD4 count > 200", "platelet count < 50,000 at any time"): a record holds
only some of a patient's values, so a value proves one side only. Any value below a limit proves the lowest is below
it (and any value above one proves the highest above it); the other side needs the extreme itself, stated in the
record ("CD4 nadir 250 cells/uL", screening/patient: ``<quantity>@lowest``) and no older than the quantity's
``max_age_days`` (a nadir stated long ago may have been undercut since); else it is unknown."""
from __future__ import annotations

from typing import Callable

from .. import ir, units
from ..patient import Obs, Patient
from .dates import Context, window_start
from .outcome import AT_LIMIT, MET, NOT_MET, UNKNOWN, Check, Outcome, _window_text


def extreme_check(node: ir.Measure, compare: Callable[[Obs], object], wanted: str,
                  at_limit: Callable[[Obs], Outcome], series_of: Callable[[Patient, str, Context], tuple[Obs, ...]]) -> Check:
    """The check of ``node`` (``node.extreme`` set), given the Measure's own comparison of one value."""
    q = units.get_quantity(node.quantity)
    label = f"{'lowest' if node.extreme == 'lowest' else 'highest'} {q.name}"
    # a value that satisfies "lowest < X" or "highest > X" proves it; otherwise a value that fails it disproves it
    proves = (node.extreme == "lowest") == (node.op in ("<", "<="))
    decides = MET if proves else NOT_MET
    wtext = _window_text(node.window) if node.window is not None else ""
    max_age = q.max_age_days

    def check(p: Patient, c: Context) -> Outcome:
        lo = window_start(c, node.window) if node.window is not None else None
        values = [o for o in series_of(p, node.quantity, c)
                  if (o.day is None and lo is None) or (o.day is not None and o.day <= c.day and (lo is None or o.day >= lo))]
        results = [(o, compare(o)) for o in values]
        hits = [o for o, r in results if r is (True if proves else False)]
        if hits:
            return Outcome(decides, "{} {} {}, so the {}{} {}", (hits[0].summary, "is" if proves else "is not", wanted,
                           label, wtext, "is too" if proves else "is not either"), (hits[0].path,))
        if node.window is None:  # the extreme itself, stated in the record ("CD4 nadir")
            stated = [o for o in p.observations.get(f"{node.quantity}@{node.extreme}", ())
                      if o.day is not None and o.day <= c.day]
            if stated:
                o = stated[0]
                if max_age is not None and c.day - o.day > max_age:
                    return Outcome(UNKNOWN, "stated {} ({}) is older than {} days: it may have been passed since",
                                   (label, o.summary, max_age), (o.path,))
                r = compare(o)
                if r is AT_LIMIT:
                    return at_limit(o)
                if r is not None:
                    return Outcome(MET if r else NOT_MET, "stated {} {} {} {}", (label, o.summary, "is" if r else
                                   "is not", wanted), (o.path,))
        near = [o for o, r in results if r is AT_LIMIT]
        if near:
            return at_limit(near[0])
        if not values:
            return Outcome(UNKNOWN, "no {} in the record{}", (q.name, wtext))
        return Outcome(UNKNOWN, "no recorded {}{} shows it {}, and the record need not hold every value: the {} is "
                       "not stated", (q.name, wtext, "is" if proves else "is not", label), tuple(o.path for o in values))
    return check
