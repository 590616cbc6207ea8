"""A parent's or guardian's consent demanded below an age: "Consent of parent or guardian if less than 18 years of
age", "Signed, informed consent from parent or legal guardian for patients under 18 years of age", and the same in
brackets after an age demand ("Are at least 13 years old (consent of parent or guardian required if under 18)").

The consent itself is a statement (data/statements.toml [topics.guardian_consent], read from the record's
``attestations``); the age says whom it is demanded of, so an older patient meets the demand without it:
any(age >= N, attestation). Only among the inclusions, and only when the rest is that statement and nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .. import ir, statements

# the age clause closing the sentence: "if less than 18 years of age", "for those patients < 18 years of age", "if
# under age 18", "for patients under the age of 18", "of patients less than 18 years of age", "if patient is less than
# 18" ("if under legal age of consent" names no age: not this)
_BELOW_AGE = re.compile(
    r"[\s,]*\b(?:if(?:\s+(?:the\s+)?(?:patient|subject|participant)\s+is)?|"
    r"(?:for|of)\s+(?:those\s+)?(?:patients|subjects|participants|children))\s+"
    r"(?:(?:less|younger)\s+than|under|below|<)\s*(?:the\s+)?(?:age\s+(?:of\s+)?)?(\d{1,2})"
    r"(?:\s*(?:years?|yrs?)(?:\s+(?:of\s+age|old))?)?\s*[.;]?\s*$", re.I)
# "<age demand> (<consent clause>).": "Are at least 13 years old (consent of parent or guardian required if under 18)",
# "Is 3 to 16 years of age (consent of parent or guardian is required)"
_BRACKETED = re.compile(r"^(?P<head>[^()]+?)\s*\((?P<inner>[^()]+)\)\s*[.;]?\s*$")


def below_age_consent(text: str, kind: str, compile_rest: Callable[[str, str], ir.Node]) -> ir.Node | None:
    """any(age >= N, attestation(guardian_consent)) for a guardian's consent demanded below age N, with an age demand
    before it in brackets read by ``compile_rest`` (All of both); None for anything else."""
    if kind != "inclusion":
        return None
    if (node := _below_age(text)) is not None:
        return node
    m = _BRACKETED.match(text)
    if m is None or (inner := _below_age(m["inner"]) or _consent_alone(m["inner"])) is None:
        return None
    head = compile_rest(m["head"], kind)
    if not ir.is_executable(head) or not any(isinstance(n, ir.Measure) and n.quantity == "age" for n in ir.walk(head)) \
            or any(isinstance(n, (ir.Review, ir.Attestation, ir.Permitted)) for n in ir.walk(head)):
        return None  # only an age demand before it ("Are at least 13 years old")
    return ir.All((*(head.items if isinstance(head, ir.All) else (head,)), inner))


def _consent_alone(text: str) -> ir.Node | None:
    """"(consent of parent or guardian is required)" after an age demand: the statement, asked of every age named."""
    try:
        stated = statements.attestation_statement(text, "inclusion")
    except ValueError:
        return None
    return stated if stated == ir.Attestation("guardian_consent") else None


def _below_age(text: str) -> ir.Node | None:
    m = _BELOW_AGE.search(text)
    if m is None:
        return None
    try:
        stated = statements.attestation_statement(text[:m.start()], "inclusion")
    except ValueError:
        return None
    if stated != ir.Attestation("guardian_consent"):
        return None
    age = ir.Measure(quantity="age", op=">=", value=float(m[1]), unit="year", window=None, shown_unit=None)
    return ir.AnyOf((age, stated))
