"""The coordinator's workflow: compile to a rules file, edit it, screen from it, check for drift."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from screening import screen
from screening.cli import app
from screening.compile import compile_any
from screening.rules import check_drift, dump_rules, load_rules, loads_rules, parse_rule, rule_hash

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "004_eaa96d67465dbc38.txt"
PATIENT = ROOT / "examples" / "patient_sle.json"
runner = CliRunner()


def _verdicts(result) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {r.criterion.id: r.verdict for r in result.results}


@pytest.mark.parametrize("seed", sorted((ROOT / "seeds").glob("*.txt")), ids=lambda p: p.name[:3])
def test_rules_file_screens_like_the_page(seed: Path, tmp_path: Path) -> None:
    compiled = compile_any(seed)
    path = tmp_path / "t.rules"
    path.write_text(dump_rules(compiled, source=str(seed)), encoding="utf-8")
    from_page = screen(seed, PATIENT, as_of="2026-01-15")
    from_rules = screen(path, PATIENT, as_of="2026-01-15")
    assert from_rules.status == from_page.status
    assert _verdicts(from_rules) == _verdicts(from_page)


def test_an_edited_rule_takes_effect_and_is_stamped(tmp_path: Path) -> None:
    path = tmp_path / "t.rules"
    assert runner.invoke(app, ["compile", str(SEED), "-o", str(path)]).exit_code == 0
    assert runner.invoke(app, ["check", str(path)]).exit_code == 0
    record = json.loads(PATIENT.read_text())
    record["lactating"] = False
    record["pregnant"] = False
    before = {r.criterion.id: r for r in screen(path, record, as_of="2026-01-15").results}
    pregnancy = next(cid for cid, r in before.items() if r.criterion.text.startswith("Pregnancy or lactation"))
    assert before[pregnancy].verdict == "not_met"
    text = path.read_text()
    text = text.replace("any(pregnant, lactating)", "any(pregnant, lactating, sex is female)")
    path.write_text(text)
    after = {r.criterion.id: r for r in screen(path, record, as_of="2026-01-15").results}
    assert after[pregnancy].verdict == "met"  # the edit took effect: a female patient is now excluded
    drift = runner.invoke(app, ["check", str(path)])
    assert drift.exit_code == 3 and pregnancy in drift.output and "rule-differs" in drift.output
    assert runner.invoke(app, ["check", "--stamp", str(path)]).exit_code == 0
    assert f"[{pregnancy}] exclusion edited " in path.read_text()
    assert runner.invoke(app, ["check", str(path)]).exit_code == 0
    assert screen(path, record, as_of="2026-01-15").status == "ineligible"


def test_accept_takes_the_new_reading_only_where_nobody_corrected(tmp_path: Path) -> None:
    path = tmp_path / "t.rules"
    assert runner.invoke(app, ["compile", str(SEED), "-o", str(path)]).exit_code == 0
    fresh = path.read_text()
    # an old reading of one rule (as if the compiler had changed since) and a hand correction of another
    stale = fresh.replace("any(pregnant, lactating)", "pregnant", 1)
    stale = stale.replace("study(within 3 months)", "study(within 6 months)", 1)
    cid = next(c.id for c in load_rules(path).criteria if c.rule == parse_rule("study(within 3 months)"))
    stale = stale.replace(f"[{cid}] exclusion", f"[{cid}] exclusion edited {rule_hash(parse_rule('study(within 3 months)'))}", 1)
    path.write_text(stale)
    result = runner.invoke(app, ["check", "--accept", str(path)])
    assert result.exit_code == 0, result.output
    text = path.read_text()
    assert "any(pregnant, lactating)" in text          # the compiler's reading taken
    assert "study(within 6 months)" in text           # the correction kept
    assert text.replace("study(within 6 months)", "study(within 3 months)").replace(
        f" edited {rule_hash(parse_rule('study(within 3 months)'))}", "") == fresh


def test_changed_source_is_reported(tmp_path: Path) -> None:
    page = tmp_path / "trial.txt"
    page.write_text(SEED.read_text())
    rules = tmp_path / "t.rules"
    assert runner.invoke(app, ["compile", str(page), "-o", str(rules)]).exit_code == 0
    page.write_text(SEED.read_text().replace("Any anti-CMV vaccine within 6 months", "Any anti-CMV vaccine within 9 months"))
    result = runner.invoke(app, ["check", str(rules)])
    assert result.exit_code == 3
    assert "source-changed" in result.output and "rule-differs" in result.output


def test_edited_rule_drifts_when_the_compiler_reading_changes() -> None:
    compiled = compile_any(SEED)
    text = dump_rules(compiled, source=str(SEED))
    target = next(c for c in compiled.criteria if c.text.startswith("Pregnancy or lactation"))
    text = text.replace(f"[{target.id}] exclusion", f"[{target.id}] exclusion edited 000000000000", 1)
    drifts = check_drift(loads_rules(text), compiled)
    assert [d.criterion_id for d in drifts] == [target.id]
    assert "corrected by hand" in drifts[0].message


def test_reviewed_seed_rules_have_not_drifted() -> None:
    files = sorted((ROOT / "rules").glob("*.rules"))
    assert len(files) == 4, "rules/ holds the reviewed rules of the four seed trials with criteria"
    for f in files:
        reviewed = load_rules(f)
        assert check_drift(reviewed, compile_any(ROOT / reviewed.source)) == [], f
