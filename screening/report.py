"""Screening and compile results as JSON documents and readable tables."""
from __future__ import annotations

from collections import Counter
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from . import ir
from .evaluate import Screening
from .rules import format_rule

VERDICT_STYLE = {"met": "green", "not_met": "red", "unknown": "yellow", "review": "magenta"}
STATUS_STYLE = {"eligible": "bold green", "ineligible": "bold red", "needs_review": "bold yellow"}


def screening_json(s: Screening) -> dict[str, Any]:
    """The documented JSON shape of `screening screen --json`."""
    return {
        "trial_id": s.trial_id, "patient_id": s.patient_id, "as_of": s.as_of.isoformat(), "status": s.status,
        "note": s.note,
        "criteria": [{"id": r.criterion.id, "kind": r.criterion.kind, "role": r.criterion.role,
                      "parent": r.criterion.parent, "text": r.criterion.text, "verdict": r.verdict,
                      "reason": r.reason, "evidence": list(r.evidence), "rule": format_rule(r.criterion.rule)}
                     for r in s.results],
    }


def print_screening(s: Screening, console: Console) -> None:
    table = Table(box=box.SIMPLE_HEAD, show_lines=False, expand=True)
    table.add_column("id", no_wrap=True)
    table.add_column("criterion", ratio=3)
    table.add_column("verdict", no_wrap=True)
    table.add_column("reason", ratio=3)
    for r in s.results:
        c = r.criterion
        indent = "  " * c.id.count(".")
        label = Text(indent + c.id + (" (part)" if c.role == "part" else ""))
        verdict = Text("—" if c.role == "header" else r.verdict, style=VERDICT_STYLE.get(r.verdict, ""))
        table.add_row(label, _short(c.text), verdict, "" if c.role == "header" else r.reason)
    console.print(f"[bold]{s.trial_id}[/] × patient [bold]{s.patient_id}[/] as of {s.as_of}")
    console.print(table)
    if s.note:
        console.print(f"note: {s.note}")
    counts = Counter(r.verdict for r in s.results if r.criterion.role == "criterion")
    console.print("status: " + f"[{STATUS_STYLE[s.status]}]{s.status}[/]  "
                  + "  ".join(f"{k}={counts[k]}" for k in ("met", "not_met", "unknown", "review")))


def _short(text: str, width: int = 160) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def compile_counts(trial: ir.CompiledTrial) -> dict[str, int]:
    """Items that compiled to executable rules versus items left (wholly or partly) to review."""
    items = [c for c in trial.criteria if c.role != "header"]
    executable = sum(ir.is_executable(c.rule) for c in items)
    partial = sum(not ir.is_executable(c.rule) and not isinstance(c.rule, ir.Review) for c in items)
    return {"items": len(items), "executable": executable, "partial": partial,
            "review": len(items) - executable - partial, "headers": len(trial.criteria) - len(items)}


def compiled_json(trial: ir.CompiledTrial) -> dict[str, Any]:
    return {"trial_id": trial.trial_id, "title": trial.title, "source": trial.source,
            "source_hash": trial.source_hash, "note": trial.note, "counts": compile_counts(trial),
            "criteria": [{"id": c.id, "kind": c.kind, "role": c.role, "parent": c.parent, "text": c.text,
                          "rule": format_rule(c.rule), "executable": ir.is_executable(c.rule)}
                         for c in trial.criteria]}


def print_compiled(trial: ir.CompiledTrial, console: Console) -> None:
    console.print(f"[bold]{trial.trial_id}[/] {trial.title}")
    for c in trial.criteria:
        tag = {"header": " [dim](heading)[/]", "part": f" [dim](part of {c.parent})[/]"}.get(c.role, "")
        console.print(f"\n[bold]{c.id}[/] {c.kind}{tag}", highlight=False)
        console.print(Text("  # " + c.text, style="dim"))
        style = "green" if ir.is_executable(c.rule) else "magenta"
        console.print(Text("  " + format_rule(c.rule).replace("\n", "\n  "), style=style))
    n = compile_counts(trial)
    console.print(f"\n{n['items']} items: {n['executable']} executable, {n['partial']} partly executable, "
                  f"{n['review']} to review" + (f"; note: {trial.note}" if trial.note else ""))
