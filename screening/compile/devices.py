""""An investigational drug or device within 30 days": the investigational agent, or an investigational device. A record
lists no devices, but an investigational device is used only in a study: without a study in the window there was none,
with one a person weighs whether it tested a device (ir.Judged around ir.StudyParticipation)."""
from __future__ import annotations

from dataclasses import replace

from lark import Token

from .. import ir

_DEVICE = frozenset({"device", "devices"})
_INVESTIGATIONAL = frozenset({"investigational", "experimental"})
DEVICE_QUALIFIER = "an investigational device"


def investigational_devices(toks: list[Token]) -> tuple[list[Token], bool]:
    """The tokens without "or device" after the investigational agent ("investigational drug or device",
    "investigational drug/device", "an experimental drug or used an experimental device"), and whether a device was
    named. Only right after the DRUG token of the investigational agent."""
    out: list[Token] = []
    found, i = False, 0
    while i < len(toks):
        t = toks[i]
        out.append(t)
        i += 1
        if not (t.type == "DRUG" and t.value == "investigational_agent") or i >= len(toks) or toks[i].type != "OR":
            continue
        rest = toks[i + 1:i + 4]
        if rest and rest[0].type == "WORD" and rest[0].value in _DEVICE:
            i += 2
            found = True
        elif len(rest) == 3 and rest[0].type == "USE" and rest[1].type == "JUDGED" \
                and rest[1].value.lower() in _INVESTIGATIONAL and rest[2].type == "WORD" and rest[2].value in _DEVICE:
            i += 4
            found = True
    return out, found


def with_devices(node: ir.Node) -> ir.Node:
    """Each use of the investigational agent in ``node`` (no dose, length or stable use asked) or an investigational
    device used in the same window."""
    if isinstance(node, ir.Medication):
        if node.concept != "investigational_agent" or node.dose or node.duration or node.stable:
            return node
        return ir.AnyOf((node, ir.Judged(DEVICE_QUALIFIER, ir.StudyParticipation(node.window))))
    if isinstance(node, ir.AnyOf):  # "investigational drug/device/biologic": one list
        items = tuple(with_devices(n) for n in node.items)
        return replace(node, items=tuple(m for n in items for m in (n.items if isinstance(n, ir.AnyOf) else (n,))))
    if isinstance(node, (ir.All, ir.AtLeast)):
        return replace(node, items=tuple(with_devices(n) for n in node.items))
    if isinstance(node, (ir.Not, ir.Judged)):
        return replace(node, item=with_devices(node.item))
    return node
