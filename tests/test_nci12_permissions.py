"""A permission of a drug narrowed by route or setting, beside a ban of that drug under the same heading, is an
exception the ban does not name (screening/assemble.py _permissions_beside_bans): the ban goes to review rather
than excluding a patient the permission lets in. A prior-only permission beside a ban of current use changes nothing."""
from __future__ import annotations

from screening import ir

from trial_text import compile_text_as_trial


def _rules(text: str) -> dict[str, ir.Node]:
    return {c.text.rstrip("."): c.rule for c in compile_text_as_trial(text).criteria}


def test_route_permission_sends_the_ban_of_the_same_drug_to_review() -> None:
    rules = _rules("Inclusion Criteria:\n\nPrior/Concurrent Therapy:\n- No concurrent steroids\n"
                   "- Concurrent inhaled steroids allowed\n")
    assert isinstance(rules["No concurrent steroids"], ir.Review)
    assert isinstance(rules["Concurrent inhaled steroids allowed"], ir.Permitted)


def test_route_permission_leaves_a_ban_of_systemic_use() -> None:
    rules = _rules("Inclusion Criteria:\n\nPrior/Concurrent Therapy:\n- No concurrent systemic steroids\n"
                   "- Concurrent inhaled steroids allowed\n")
    assert not isinstance(rules["No concurrent systemic steroids"], ir.Review)


def test_setting_permission_sends_a_ban_of_prior_use_to_review() -> None:
    rules = _rules("Inclusion Criteria:\n\nPrior/Concurrent Therapy:\n- No prior chemotherapy\n"
                   "- Prior adjuvant chemotherapy allowed\n")
    assert isinstance(rules["No prior chemotherapy"], ir.Review)


def test_prior_permission_leaves_a_ban_of_current_use() -> None:
    rules = _rules("Inclusion Criteria:\n\nPrior/Concurrent Therapy:\n- No concurrent chemotherapy\n"
                   "- Prior adjuvant chemotherapy allowed\n")
    assert not isinstance(rules["No concurrent chemotherapy"], ir.Review)
