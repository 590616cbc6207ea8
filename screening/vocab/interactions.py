"""Drugs that inhibit or induce a drug-metabolising enzyme or transporter (data/drug_interactions.toml, from FDA's
table of clinical inhibitors and inducers): the classes each drug certainly belongs to, and those it may belong to
(a weak inhibitor for a bare "CYP3A4 inhibitors", a drug FDA lists only boosted with ritonavir, one a second source
rates stronger). Read once; merged into drug parents by the vocabulary and into an entry's doubtful classes."""
from __future__ import annotations

import tomllib
from functools import lru_cache
from importlib import resources
from types import MappingProxyType
from typing import Any, Mapping

#: list name -> which of the section's classes it makes certain (c) or doubtful (m): s strong, o moderate, b bare
_READING: Mapping[str, tuple[str, str]] = MappingProxyType({
    "strong": ("s", ""), "moderate": ("o", ""), "members": ("b", ""), "weak": ("", "b"), "boosted": ("", "sob"),
    "maybe_strong": ("", "sob"), "maybe_moderate": ("", "ob"), "maybe": ("", "b")})
_ROLES = {"inhibitors": "inhibitor", "inducers": "inducer"}


@lru_cache(maxsize=1)
def _data() -> dict[str, Any]:
    return tomllib.loads(resources.files("screening.data").joinpath("drug_interactions.toml").read_text("utf-8"))


def _classes(section: Mapping[str, Any], role: str, letters: str) -> set[str]:
    names = {"s": f"strong_{role}", "o": f"moderate_{role}", "b": role}
    return {section[names[x]] for x in letters if names[x] in section}


@lru_cache(maxsize=1)
def memberships() -> tuple[Mapping[str, frozenset[str]], Mapping[str, frozenset[str]]]:
    """(drug -> classes it is certainly in, drug -> classes it may be in), by drug key or generic name."""
    sure: dict[str, set[str]] = {}
    maybe: dict[str, set[str]] = {}
    for section in _data().values():
        for plural, role in _ROLES.items():
            for list_name, drugs in section.get(plural, {}).items():
                certain, doubtful = _READING[list_name]
                for d in drugs:
                    sure.setdefault(d, set()).update(_classes(section, role, certain))
                    maybe.setdefault(d, set()).update(_classes(section, role, doubtful))
    return (MappingProxyType({k: frozenset(v) for k, v in sure.items() if v}),
            MappingProxyType({k: frozenset(v - sure.get(k, set())) for k, v in maybe.items() if v - sure.get(k, set())}))
