"""Coverage of a corpus: how much of real criteria text compiles to executable rules, and what
fell to review most often, so the next grammar or vocabulary work is chosen by data."""
from __future__ import annotations

import itertools
import multiprocessing
import os
import re
import time
from collections import Counter
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from . import ir
from .compile import compile_trial
from .compile import criteria_parser
from .lexer import lexicon, tokenize

SCORE_QUANTITIES = frozenset({"ecog", "karnofsky", "lansky", "nyha_class", "sledai", "cdasi", "mmt8", "haq_di",
                              "das28", "patient_global_vas", "physician_global_vas", "extramuscular_vas"})
DEMOGRAPHIC_QUANTITIES = frozenset({"age", "body_weight", "height", "bmi", "life_expectancy"})


def constructs(rule: ir.Node) -> set[str]:
    """The kinds of check a rule makes, for the coverage breakdown."""
    found = set()
    for node in ir.walk(rule):
        if isinstance(node, ir.Measure):
            found.add("score" if node.quantity in SCORE_QUANTITIES else
                      "demographic" if node.quantity in DEMOGRAPHIC_QUANTITIES else "lab threshold")
        elif isinstance(node, ir.TestResult):
            found.add("lab test")
        elif isinstance(node, ir.Condition):
            found.add("diagnosis")
        elif isinstance(node, ir.Medication):
            found.add("medication window" if node.window is not None else "medication history")
        elif isinstance(node, (ir.Sex, ir.Flag)):
            found.add("demographic")
        elif isinstance(node, (ir.Procedure, ir.Immunization, ir.StudyParticipation)):
            found.add("procedure/vaccine/study")
        elif isinstance(node, ir.Attestation):
            found.add("attestation")
        elif isinstance(node, ir.Permitted):
            found.add("permission")
        elif isinstance(node, ir.Judged):
            found.add("judged qualifier")
        elif isinstance(node, ir.Review):
            found.add("review")
    return found


_REASON_KIND = re.compile(r"\s*\(.*$|:.*$")


def _trial_summary(trial: Any) -> dict[str, Any]:
    """Counts for one trial (runs in a worker process)."""
    r: dict[str, Any] = {"items": 0, "executable": 0, "partial": 0, "failed": 0, "constructs": Counter(),
                         "reasons": Counter(), "words": Counter(), "openings": Counter()}
    try:
        compiled = compile_trial(trial)
    except Exception as exc:  # noqa: BLE001 - a report must cover every trial; count and go on
        r["failed"] = 1
        r["reasons"][f"compiler error: {type(exc).__name__}"] += 1
        return r
    for c in compiled.criteria:
        if c.role == "header" or c.id in ("age", "sex"):
            continue
        r["items"] += 1
        r["constructs"].update(constructs(c.rule))
        if ir.is_executable(c.rule):
            r["executable"] += 1
            continue
        if not isinstance(c.rule, ir.Review):
            r["partial"] += 1
        for node in ir.walk(c.rule):
            if isinstance(node, ir.Review):
                r["reasons"][_REASON_KIND.sub("", node.reason)] += 1
                toks, _ = tokenize(node.text)
                r["words"].update({str(t) for t in toks if t.type == "WORD"})
                opening = " ".join(re.findall(r"[a-z]+", node.text.lower())[:3])
                if opening:
                    r["openings"][opening] += 1
    return r


def measure(path: Path, *, top: int = 25, limit: int | None = None, workers: int | None = None) -> dict[str, Any]:
    """Compile every trial in ``path`` (a .jsonl corpus, a CT.gov page of studies, or one trial file)
    on all cores and count."""
    from .ingest import iter_corpus, load_trials
    started = time.perf_counter()
    trials = iter_corpus(path) if str(path).endswith(".jsonl") else iter(load_trials(path))
    if limit is not None:
        trials = itertools.islice(trials, limit)
    total: dict[str, Any] = {"trials": 0, "items": 0, "executable": 0, "partial": 0, "failed": 0,
                             "constructs": Counter(), "reasons": Counter(), "words": Counter(), "openings": Counter()}
    workers = workers or os.cpu_count() or 1
    criteria_parser(), lexicon()  # load once, before the workers fork
    with multiprocessing.get_context("fork" if hasattr(os, "fork") else "spawn").Pool(workers) as pool:
        for r in pool.imap_unordered(_trial_summary, trials, chunksize=16):
            total["trials"] += 1
            for key, value in r.items():
                total[key] += value
    items, executable, partial = total["items"], total["executable"], total["partial"]
    return {
        "trials": total["trials"], "trials_failed": total["failed"], "items": items, "executable": executable,
        "partly_executable": partial, "review": items - executable - partial,
        "executable_share": round(executable / items, 4) if items else 0.0,
        "by_construct": dict(total["constructs"].most_common()),
        "top_review_reasons": total["reasons"].most_common(top),
        "top_unrecognised_words": total["words"].most_common(top),
        "top_review_openings": total["openings"].most_common(top),
        "seconds": round(time.perf_counter() - started, 1),
    }


def print_report(r: dict[str, Any], console: Console) -> None:
    console.print(f"trials read: {r['trials']} ({r['trials_failed']} failed to compile)   items: {r['items']}")
    console.print(f"executable: {r['executable']} ({100 * r['executable_share']:.1f}%)   "
                  f"partly executable: {r['partly_executable']}   review: {r['review']}   ({r['seconds']} s)")
    t = Table(title="items by construct (an item may count under several)")
    t.add_column("construct")
    t.add_column("items", justify="right")
    for k, v in r["by_construct"].items():
        t.add_row(k, str(v))
    console.print(t)
    for key, title in (("top_review_reasons", "why items fell to review"),
                       ("top_unrecognised_words", "words the grammar did not know"),
                       ("top_review_openings", "how review items begin")):
        t = Table(title=title)
        t.add_column("phrase")
        t.add_column("count", justify="right")
        for phrase, n in r[key]:
            t.add_row(phrase, str(n))
        console.print(t)
