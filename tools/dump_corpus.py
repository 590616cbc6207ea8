"""Dump every corpus criterion with its compiled rule, one JSON object a line, for coverage and
precision work: which items fell to review and why, and what the executable ones compiled to.

Each line: ``t`` trial id, ``id`` criterion id, ``kind``, ``text``, ``ex`` (executable), ``partial``
(executable parts beside review nodes), ``reasons`` (review reasons), ``unk`` (words of review
text the lexicon does not know) and ``rule`` (rule-language text)::

    python tools/dump_corpus.py /tmp/dump.jsonl
    python tools/dump_corpus.py /tmp/after.jsonl && python tools/dump_corpus.py --diff /tmp/before.jsonl /tmp/after.jsonl

``--diff`` prints the items whose rule changed between two dumps, newly executable ones first.
Compiling the whole corpus takes under a minute on two cores.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
from pathlib import Path
from typing import Any

from screening import ir
from screening.compile import compile_trial, criteria_parser
from screening.ingest import iter_corpus
from screening.lexer import lexicon, tokenize
from screening.rules import format_rule

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "ctgov_studies.jsonl"


def _rows(trial: Any) -> list[dict[str, Any]]:
    """One row per criterion of one trial (runs in a worker process)."""
    try:
        compiled = compile_trial(trial)
    except Exception as exc:  # noqa: BLE001 - a dump covers every trial
        return [{"t": trial.id, "id": "*", "kind": "error", "text": repr(exc), "ex": False, "partial": False,
                 "reasons": [], "unk": [], "rule": ""}]
    rows = []
    for c in compiled.criteria:
        if c.role == "header" or c.id in ("age", "sex"):
            continue
        reviews = [n for n in ir.walk(c.rule) if isinstance(n, ir.Review)]
        unknown = sorted({str(t) for n in reviews for t in tokenize(n.text)[0] if t.type == "WORD"})
        executable = ir.is_executable(c.rule)
        rows.append({"t": trial.id, "id": c.id, "kind": c.kind, "text": c.text, "ex": executable,
                     "partial": not executable and not isinstance(c.rule, ir.Review),
                     "reasons": [n.reason for n in reviews], "unk": unknown, "rule": format_rule(c.rule)})
    return rows


def dump(corpus: Path, out: Path) -> None:
    criteria_parser(), lexicon()  # load once, before the workers fork
    n = executable = 0
    with multiprocessing.get_context("fork").Pool() as pool, out.open("w") as f:
        for rows in pool.imap(_rows, iter_corpus(corpus), chunksize=16):
            for row in rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
                n += 1
                executable += row["ex"]
    print(f"{n} items, {executable} executable ({executable / max(n, 1):.1%}) -> {out}")


def diff(before: Path, after: Path) -> None:
    old = {(r["t"], r["id"]): r for r in map(json.loads, before.open())}
    changed = [(old.get((r["t"], r["id"])), r) for r in map(json.loads, after.open())
               if (r["t"], r["id"]) not in old or old[(r["t"], r["id"])]["rule"] != r["rule"]]
    changed.sort(key=lambda pair: (not (pair[1]["ex"] and not (pair[0] or {}).get("ex")), pair[1]["t"]))
    gained = sum(1 for o, r in changed if r["ex"] and not (o or {}).get("ex"))
    lost = sum(1 for o, r in changed if not r["ex"] and (o or {}).get("ex"))
    for o, r in changed:
        print(f"== {r['t']} {r['id']} ({r['kind']}) {'+' if r['ex'] and not (o or {}).get('ex') else ''}")
        print("   " + r["text"][:400])
        if o:
            print("   was: " + o["rule"].replace("\n", "\n        "))
        print("   now: " + r["rule"].replace("\n", "\n        "))
    print(f"{len(changed)} changed, {gained} newly executable, {lost} no longer executable")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out", type=Path, nargs="?", help="where to write the dump (.jsonl)")
    p.add_argument("--corpus", type=Path, default=CORPUS)
    p.add_argument("--diff", type=Path, nargs=2, metavar=("BEFORE", "AFTER"), help="compare two dumps")
    a = p.parse_args(argv)
    if a.diff:
        diff(*a.diff)
    elif a.out:
        dump(a.corpus, a.out)
    else:
        p.error("give OUT or --diff BEFORE AFTER")
    return 0


if __name__ == "__main__":
    sys.exit(main())
