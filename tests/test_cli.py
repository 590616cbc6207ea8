"""The command line as scripts use it: outputs, batches and exit codes."""
from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from screening.cli import app

ROOT = Path(__file__).resolve().parent.parent
SEED = str(ROOT / "seeds" / "001_7d39c3c5b17d728e.txt")
PATIENT = ROOT / "examples" / "patient_sle.json"
runner = CliRunner()


def test_one_patient_json_has_the_documented_shape() -> None:
    result = runner.invoke(app, ["screen", SEED, str(PATIENT), "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert {"trial_id", "patient_id", "status", "criteria"} <= set(doc)
    assert doc["status"] in ("eligible", "ineligible", "needs_review")
    first = doc["criteria"][0]
    assert {"id", "kind", "text", "verdict", "reason", "evidence", "rule"} <= set(first)


def test_a_batch_goes_on_past_a_bad_record(tmp_path: Path) -> None:
    good = json.loads(PATIENT.read_text())
    other = dict(good, id="P2", sex="male")
    bad = dict(good, id="P3", observations=[{"name": "platelets", "value": 100, "unit": "bananas"}])
    (tmp_path / "cohort.jsonl").write_text("\n".join(json.dumps(r) for r in (good, bad, other)) + "\n")
    result = runner.invoke(app, ["screen", SEED, str(tmp_path / "cohort.jsonl"), "--json"])
    assert result.exit_code == 1  # a bad record makes the batch fail, after the others are screened
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [d["patient_id"] for d in lines] == ["P1", "P2"]
    assert "cohort.jsonl:2" in result.stderr and "observations[0].unit" in result.stderr


def test_bad_input_exits_1_with_the_file_named(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    result = runner.invoke(app, ["screen", SEED, str(missing)])
    assert result.exit_code == 1 and "nope.json" in result.stderr
    result = runner.invoke(app, ["screen", str(tmp_path / "trial.txt"), str(PATIENT)])
    assert result.exit_code == 1 and "trial.txt" in result.stderr
    assert runner.invoke(app, ["screen", SEED, str(PATIENT), "--as-of", "yesterday"]).exit_code == 2


def test_compile_reports_counts_and_writes_rules(tmp_path: Path) -> None:
    result = runner.invoke(app, ["compile", SEED])
    assert result.exit_code == 0 and "executable" in result.stdout
    assert runner.invoke(app, ["compile", SEED, "-o", str(tmp_path / "t.rules")]).exit_code == 0
    assert (tmp_path / "t.rules").read_text().startswith("# Eligibility rules for")


def test_schema_is_json_schema() -> None:
    result = runner.invoke(app, ["schema", "patient"])
    assert result.exit_code == 0 and json.loads(result.stdout)["title"] == "PatientRecord"


def test_coverage_reads_a_page_of_studies_and_reports_json() -> None:
    result = runner.invoke(app, ["coverage", str(ROOT / "tests" / "fixtures" / "trials" / "page_v2.json"), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["trials"] == 2 and report["trials_failed"] == 0
    assert report["items"] == report["executable"] + report["partly_executable"] + report["review"]
    assert 0 <= report["executable_share"] <= 1 and report["by_construct"]


def test_python_dash_m_runs_the_same_command_line() -> None:
    import subprocess
    import sys
    done = subprocess.run([sys.executable, "-m", "screening", "screen", SEED, str(PATIENT), "--json"],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["patient_id"] == json.loads(PATIENT.read_text())["id"]
