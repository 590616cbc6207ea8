"""The `screening` command line: screen, compile, check, coverage, schema.

Exit codes: 0 success; 1 a problem with the input (the message names the file, line or JSON path);
2 wrong usage; 3 `check` found drift between reviewed rules and their trial.
"""
from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from .errors import ScreeningError

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode="markdown", help=(
    "Screen patients against clinical-trial eligibility criteria.\n\n"
    "A TRIAL is a trial page (.txt), a ClinicalTrials.gov API v2 JSON study, a CT.gov XML record, "
    "or a reviewed rules file (.rules). A PATIENT is a JSON record (see `screening schema patient`).\n\n"
    "Workflow: **compile** a trial to a rules file, review and edit it, **screen** patients "
    "from it, and **check** that the trial has not changed since.\n\n"
    "Exit codes: 0 done; 1 bad input (the message names the file and line or JSON path); 2 wrong usage; "
    "3 check found drift."))
out = Console(soft_wrap=False)
err = Console(stderr=True)


def _fail(exc: ScreeningError) -> None:
    print(f"error: {exc}", file=sys.stderr)
    raise typer.Exit(1)


def _patient_sources(paths: list[str]):  # type: ignore[no-untyped-def]
    """(where, record or error) for every patient in files, directories of .json files, and .jsonl files.

    A bad record is reported and skipped, never the end of a batch.
    """
    import orjson

    from .patient import parse_patient
    for name in paths:
        path = Path(name)
        files = sorted(path.glob("*.json")) + sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
        for f in files:
            if f.suffix != ".jsonl":
                try:
                    from .patient import load_patient
                    yield str(f), load_patient(f)
                except ScreeningError as exc:
                    yield str(f), exc
                continue
            try:
                lines = f.read_bytes().splitlines()
            except OSError as exc:
                yield str(f), ScreeningError(f"cannot read: {exc.strerror}", source=str(f))
                continue
            for number, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                where = f"{f}:{number}"
                try:
                    yield where, parse_patient(orjson.loads(line), source=where)
                except orjson.JSONDecodeError as exc:
                    yield where, ScreeningError(f"not valid JSON: {exc}", source=where)
                except ScreeningError as exc:
                    yield where, exc


@app.command()
def screen(trial: str = typer.Argument(..., help="trial file or rules file"),
           patients: list[str] = typer.Argument(..., help="patient JSON file(s), .jsonl files of records, "
                                                "or directories of .json files"),
           as_of: Optional[str] = typer.Option(None, "--as-of", help="screening date YYYY-MM-DD "
                                               "(default: the record's as_of, else today)"),
           as_json: bool = typer.Option(False, "--json", help="print the result as JSON (one object per "
                                        "line for several patients)")) -> None:
    """Screen patients: every criterion with its verdict (met / not_met / unknown / review) and reason.

    One patient prints a table (or a JSON document); several print one line per patient with the
    trial status. A bad record is reported on stderr with its file, line and JSON path, and the
    batch goes on; the exit code is then 1.

    Example: screening screen seeds/001_7d39c3c5b17d728e.txt examples/patient_sle.json
    """
    from .compile import compile_any
    from .evaluate import prepare
    from .report import print_screening, screening_json
    try:
        date = dt.date.fromisoformat(as_of) if as_of else None
    except ValueError:
        print(f"error: --as-of {as_of!r} is not a date like 2026-01-15", file=sys.stderr)
        raise typer.Exit(2)
    try:
        screener = prepare(compile_any(trial))
    except ScreeningError as exc:
        _fail(exc)
        return
    sources = list(_patient_sources(patients)) if len(patients) > 1 or not patients[0].endswith(".json") \
        else None
    if sources is None:  # one patient file: the full report
        try:
            from .patient import load_patient
            result = screener.screen(load_patient(patients[0]), date)
        except ScreeningError as exc:
            _fail(exc)
            return
        if as_json:
            sys.stdout.write(json.dumps(screening_json(result), indent=2, ensure_ascii=False) + "\n")
        else:
            print_screening(result, out)
        return
    bad = 0
    for where, patient in sources:
        if isinstance(patient, ScreeningError):
            bad += 1
            print(f"error: {patient}", file=sys.stderr)
            continue
        result = screener.screen(patient, date)
        if as_json:
            sys.stdout.write(json.dumps(screening_json(result), ensure_ascii=False) + "\n")
        else:
            counts = {v: sum(r.verdict == v and r.criterion.role == "criterion" for r in result.results)
                      for v in ("met", "not_met", "unknown", "review")}
            print(f"{result.patient_id}\t{result.status}\t" + " ".join(f"{k}={n}" for k, n in counts.items())
                  + f"\t{where}")
    if bad:
        raise typer.Exit(1)


@app.command("compile")
def compile_cmd(trial: str = typer.Argument(..., help="trial file"),
                output: Optional[Path] = typer.Option(None, "-o", "--output", help="write a rules file here"),
                as_json: bool = typer.Option(False, "--json", help="print the compiled rules as JSON")) -> None:
    """Show what each criterion compiled to, and how many items compiled versus went to review.

    With -o, write the rules file a coordinator reviews and edits (see README: compile, review, edit, screen).
    """
    from .compile import compile_any
    from .report import compiled_json, print_compiled
    from .rules import dump_rules
    try:
        compiled = compile_any(trial)
    except ScreeningError as exc:
        _fail(exc)
        return
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(dump_rules(compiled, source=trial), encoding="utf-8")
        err.print(f"wrote {output}")
        return
    if as_json:
        sys.stdout.write(json.dumps(compiled_json(compiled), indent=2, ensure_ascii=False) + "\n")
    else:
        print_compiled(compiled, out)


@app.command()
def check(paths: list[Path] = typer.Argument(..., help="rules files or directories of them"),
          stamp: bool = typer.Option(False, "--stamp", help="after reviewing the drift, record the review: "
                                     "mark differing rules as deliberate corrections and take the new source hash"),
          accept: bool = typer.Option(False, "--accept", help="take the compiler's new reading for every rule "
                                      "nobody corrected by hand (rules marked `edited` are left alone)")
          ) -> None:
    """Recompile each rules file's trial and report drift: a changed source, or a rule that differs from what the compiler now reads (a corrected rule is marked `edited` and only drifts when the compiler's reading of its text changes).

    Exit 3 when anything drifted, so a changed trial is never screened silently with stale rules.
    """
    from .compile import compile_any
    from .rules import accept_rules, check_drift, load_rules, stamp_rules
    files = [f for p in paths for f in (sorted(p.glob("*.rules")) if p.is_dir() else [p])]
    if not files:
        print("error: no .rules files found", file=sys.stderr)
        raise typer.Exit(1)
    drifted = 0
    for f in files:
        try:
            reviewed = load_rules(f)
            fresh = compile_any(reviewed.source)
        except ScreeningError as exc:
            _fail(exc)
            return
        drifts = check_drift(reviewed, fresh)
        if accept and drifts:
            f.write_text(accept_rules(f.read_text(encoding="utf-8"), reviewed, fresh), encoding="utf-8")
            reviewed = load_rules(f)
            drifts = check_drift(reviewed, fresh)
            print(f"{f}: took the compiler's reading of the rules not corrected by hand")
        if stamp and drifts:
            f.write_text(stamp_rules(f.read_text(encoding="utf-8"), reviewed, fresh), encoding="utf-8")
            print(f"{f}: review recorded ({len(drifts)} drift(s) accepted)")
            continue
        drifted += bool(drifts)
        print(f"{f}: " + ("ok" if not drifts else f"{len(drifts)} drift(s)"))
        for d in drifts:
            print(f"  {d.criterion_id or '-'}: {d.kind}: " + d.message.replace("\n", "\n    "))
    if drifted:
        raise typer.Exit(3)


@app.command()
def coverage(corpus: Path = typer.Argument(..., help="a .jsonl file of CT.gov API v2 studies, or a trial file"),
             as_json: bool = typer.Option(False, "--json", help="print the report as JSON"),
             top: int = typer.Option(25, help="how many frequent review phrases to list"),
             limit: Optional[int] = typer.Option(None, help="read only the first N trials")) -> None:
    """Compile every trial of a corpus; report the share of items compiled to executable rules, a breakdown by construct, and the phrases that most often fell to review."""
    from .coverage import measure, print_report
    try:
        report = measure(corpus, top=top, limit=limit)
    except ScreeningError as exc:
        _fail(exc)
        return
    if as_json:
        sys.stdout.write(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    else:
        print_report(report, out)


@app.command()
def schema(what: str = typer.Argument("patient", help="which schema: patient")) -> None:
    """Print the JSON Schema of a patient record."""
    from .patient import patient_schema
    if what != "patient":
        print(f"error: unknown schema {what!r}; try: patient", file=sys.stderr)
        raise typer.Exit(2)
    sys.stdout.write(json.dumps(patient_schema(), indent=2) + "\n")


if __name__ == "__main__":
    app()
