"""Rewrites of a compiled sentence or item that read a node against the rest of its text: a time said at the head
of a list, a class beside one of its members named with a dose, a condition an earlier sentence named, and an
exclusion no protocol means. Each returns the node unchanged when its case does not apply."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace

from lark import Token

from .. import ir, vocab
from ..lexer import ActiveToken


def below_upper_limit(node: ir.Node) -> bool:
    """"Liver function tests < 3 x ULN" among the exclusions would exclude the patients whose values are fine: no
    protocol means that (it is an exception split off another item, or a demand in the wrong list)."""
    return any(isinstance(n, ir.Measure) and not negated and n.unit == "ULN" and n.op in ("<", "<=") and n.value >= 1
               for n, negated in ir.polar_walk(node))


def lead_over_list(node: ir.Node, toks: list[Token]) -> ir.Node:
    """A time said at the head of a list holds for a treatment that ends it with no time of its own (precision review
    s9): "History of pancreatitis, history of neuropathy or neurotoxic drug therapy" (ever, not now); "Current or
    recent bleeding, thromboembolic event and or use of a thrombolytic agent" (weighed as recent, not only now)."""
    inner = node.item if isinstance(node, ir.Not) else node
    if not isinstance(inner, ir.AnyOf) or not toks:
        return node
    lead = toks[1:] if toks[0].type == "NEG" else toks
    now_drugs = [i for i in inner.items if isinstance(_judged_leaf(i), ir.Medication) and _judged_leaf(i).window == ir.Window(0)]
    if not now_drugs or not lead:
        return node
    if lead[0].type == "HISTORY" and not any(t.type == "USE" for t in toks):
        items = tuple(_with_window(i, None) if i in now_drugs else i for i in inner.items)
    elif (recent := next((i for i in inner.items if isinstance(i, ir.Judged) and "recent" in i.qualifier), None)) \
            and lead[0].type in ("USE", "JUDGED") and all(str(t.value).lower() in _LEAD_OR_PLAIN_USE for t in toks if t.type == "USE"):
        items = tuple(ir.Judged(recent.qualifier, _with_window(i, None)) if i in now_drugs and not isinstance(i, ir.Judged)
                      else i for i in inner.items)
    else:
        return node
    out = ir.AnyOf(items)
    return ir.Not(out) if isinstance(node, ir.Not) else out


# the time words of "current or recent ..." itself, and a plain "use of" with none
_LEAD_OR_PLAIN_USE = frozenset({"current", "currently", "use of", "current use of"})


def _judged_leaf(node: ir.Node) -> ir.Node:
    return node.item if isinstance(node, ir.Judged) else node


def _with_window(node: ir.Node, window: ir.Window | None) -> ir.Node:
    if isinstance(node, ir.Judged):
        return ir.Judged(node.qualifier, _with_window(node.item, window))
    return replace(node, window=window)  # type: ignore[type-var]


def restricted_members_excepted(node: ir.Node) -> ir.Node:
    """"Aspirin > 650 mg/d or other platelet inhibitors": beside a drug named with a dose, its class means the class's
    other members (read whole, the class would take in low-dose aspirin and the dose would say nothing)."""
    if isinstance(node, ir.Not):
        return ir.Not(restricted_members_excepted(node.item))
    if isinstance(node, ir.All):
        return ir.All(tuple(restricted_members_excepted(i) for i in node.items))
    if not isinstance(node, ir.AnyOf):
        return node
    items = [restricted_members_excepted(i) for i in node.items]
    dosed = {i.concept for i in items if isinstance(i, ir.Medication) and i.dose is not None}
    out = []
    for i in items:
        if isinstance(i, ir.Medication) and i.dose is None and (
                members := tuple(d for d in sorted(dosed) if d != i.concept and i.concept in vocab.ancestors(d)
                                 and d not in i.exceptions)):
            i = replace(i, exceptions=(*i.exceptions, *members))
        out.append(i)
    return ir.AnyOf(tuple(out))


def narrower_named_before(nodes: list[ir.Node]) -> list[ir.Node]:
    """"No uncontrolled seizure disorder. No active neurologic disease.": a condition the item named in an earlier
    sentence, with words of its own, is not taken in again by a broader one after it (a controlled epilepsy passes
    the first and is no "active neurologic disease" of the second; e2e review s9: it failed it)."""
    named: set[str] = set()
    out = []
    for node in nodes:
        if named:
            node = _except_narrower(node, named)
        # (one named in a time window only, "No MI within 3 months", leaves an older one to the broader sentence)
        named |= {n.concept for n in ir.walk(node) if isinstance(n, ir.Condition) and n.window in (None, ir.Window(0))}
        out.append(node)
    return out


def _except_narrower(node: ir.Node, named: set[str]) -> ir.Node:
    if isinstance(node, ir.Condition):
        narrower = tuple(sorted(k for k in named if k != node.concept and node.concept in vocab.ancestors(k)
                                and k not in node.exceptions))
        return replace(node, exceptions=(*node.exceptions, *narrower)) if narrower else node
    if isinstance(node, ir.Not):
        return ir.Not(_except_narrower(node.item, named))
    if isinstance(node, ir.Judged):
        return ir.Judged(node.qualifier, _except_narrower(node.item, named))
    if isinstance(node, (ir.All, ir.AnyOf)):
        return type(node)(tuple(_except_narrower(i, named) for i in node.items))
    return node


# "diagnosed with", "diagnosis of": said of the conditions named after it, or of the one just before it when a time
# frame follows ("CMV retinitis diagnosed within one month"); not "prior to diagnosis", where the diagnosis is an anchor
_DIAGNOSED = re.compile(r"\b(?:newly |first |initially )?(?:diagnosed|diagnosis)\b(?: (?:of|with|as)\b)?")
_DIAGNOSED_THEN_TIME = re.compile(r" (?:in|within|during|over)")
_DIAGNOSIS_AS_ANCHOR = re.compile(r"\b(?:prior to|before|after|since|at|from|following|time of|date of|months of|years "
                                  r"of|weeks of|days of) (?:the )?(?:initial |first |original )?diagnosis\b")


def diagnosed_in_window(node: ir.Node, toks: list[Token], text: str) -> ir.Node:
    """"Have been diagnosed with hepatitis within the past 30 days", "prostate cancer diagnosed within 1 year prior to
    entry": the condition began in the window (its onset), not merely lasted into it (a cancer diagnosed three years
    ago and still present is no diagnosis within one year; ir.Condition.diagnosed)."""
    if _DIAGNOSIS_AS_ANCHOR.search(text) or not (m := _DIAGNOSED.search(text)):
        return node
    named = {str(t.value) for t in toks if t.type == "CONDITION" and t.start_pos >= m.end()}
    before = [t for t in toks if t.end_pos <= m.start()]
    if before and before[-1].type == "CONDITION" and _DIAGNOSED_THEN_TIME.match(text, m.end()):
        named.add(str(before[-1].value))
    # "concurrent malignancies or malignancies diagnosed within 5 years": one node may hold both, present or new
    times = Counter(str(t.value) for t in toks if t.type == "CONDITION")
    named = {k for k in named if times[k] == 1}

    # "Other active malignancy diagnosed within the past 3 years": diagnosed then, and active now - two facts of one
    # entry no rule can join, so a person weighs "active" (a cancer of 2024 resolved that year had met it)
    active = {str(t.value) for t in toks if isinstance(t, ActiveToken) and t.type == "CONDITION"}

    def mark(leaf: ir.Node) -> ir.Node:
        if isinstance(leaf, ir.Condition) and leaf.concept in named and leaf.window is not None and leaf.window.amount:
            new = replace(leaf, diagnosed=True)
            return ir.Judged("active", new) if leaf.concept in active else new
        return leaf
    return ir.map_leaves(node, mark) if named else node


def shared_measure_window(node: ir.Node) -> ir.Node:
    """"WBC >= 3000/mm3 and platelets >= 100,000/mm3 within 14 days of registration": the time frame closing a list
    of measurements is said of each, not of the last only (a WBC of two months ago had decided a 14-day demand;
    precision review s13). Only a flat list of measurements whose others have no time frame of their own; an age
    is no measurement taken at a time."""
    if isinstance(node, (ir.All, ir.AnyOf)):
        items = tuple(shared_measure_window(n) for n in node.items)
        last = items[-1]
        if isinstance(last, ir.Measure) and last.window is not None and all(
                isinstance(n, ir.Measure) and n.window is None and n.quantity != "age" for n in items[:-1]):
            items = tuple(replace(n, window=last.window, period=last.period) for n in items[:-1]) + (last,)
        return replace(node, items=items) if items != node.items else node
    if isinstance(node, (ir.Not, ir.Judged)):
        inner = shared_measure_window(node.item)
        return replace(node, item=inner) if inner is not node.item else node
    return node


#: "anticancer therapy", "antitumor treatment": a therapy of cancer, which radiotherapy is too (precision review s13:
#: "any other antitumor therapy" was not met by a patient four days into a radiotherapy course); "agents" and "drugs"
#: name medicines only, "systemic" leaves radiotherapy out
_THERAPY_WORDS = re.compile(r"\b(?:therapy|therapies|treatments?)\b")


def cancer_therapy_with_radiotherapy(node: ir.Node, toks: list[Token], text: str) -> ir.Node:
    """A medication of the antineoplastic class named as a therapy (not as agents or drugs, not systemic) takes in a
    radiotherapy in the same time frame."""
    named = [t for t in toks if t.type == "DRUG" and t.value == _ANTINEOPLASTIC]
    if not named or not all(_THERAPY_WORDS.search(text[t.start_pos:t.end_pos]) and "systemic" not in
                            text[t.start_pos:t.end_pos] for t in named):
        return node

    def widen(leaf: ir.Node) -> ir.Node:
        if isinstance(leaf, ir.Medication) and leaf.concept == _ANTINEOPLASTIC and not leaf.systemic and leaf.route is None \
                and leaf.dose is None and not leaf.exceptions and leaf.stable is None and leaf.duration is None:
            # a radiotherapy has no half-lives: "within 28 days or 5 half-lives" is 28 days for it
            window = replace(leaf.window, bound=None) if leaf.window is not None else None
            return ir.AnyOf((leaf, ir.Procedure("radiotherapy", window)))
        return leaf
    return ir.map_leaves(node, widen)


_ANTINEOPLASTIC = "antineoplastic_agent"
