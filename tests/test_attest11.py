"""Recovery from prior therapy as a person's statement (statements.toml [topics.recovered_from_prior_therapy]) at trial
level: a bare "Recovered from prior therapy" is the attestation, but right under an old NCI label naming one therapy
("Endocrine therapy:") the label's reading wins (assemble._said_of_all_therapy): recovered from that therapy, moot
without it. Sentence-level cases: tests/cases/phrases/attest11.json (run by test_phrase_cases.py)."""
from __future__ import annotations

from screening.compile import compile_trial
from screening.rules import format_rule
from screening.segment import split_criteria
from screening.trial import Trial


def _rules(text: str) -> dict[str, str]:
    trial = compile_trial(Trial("T1", "probe", "test", "test", criteria_text=text, items=split_criteria(text)))
    return {c.id: format_rule(c.rule) for c in trial.criteria}


def test_label_reading_wins_over_the_attestation() -> None:
    rules = _rules("PRIOR CONCURRENT THERAPY:\nEndocrine therapy:\n- Recovered from prior therapy\n"
                   "Radiotherapy:\n- At least 4 weeks since prior therapy")
    assert rules["inc-1.1"] == 'not judged("not recovered from its effects", medication(endocrine_therapy))'


def test_unlabelled_statement_is_the_attestation() -> None:
    rules = _rules("Inclusion Criteria:\n- Recovered from prior therapy\n- Able to take oral medications")
    assert rules["inc-1"] == "attestation(recovered_from_prior_therapy)"
    assert rules["inc-2"] == "attestation(able_to_take_oral_medication)"
