"""Draw a seeded random sample of corpus criteria items for hand-checking (tests/corpus_sample.json).

Every trial of the corpus is compiled with ``compile_trial``; the items considered are criteria with
role != "header", leaving out the structured ``age``/``sex`` criteria. With ``random.Random(20261124)``
it draws 150 items among those the compiler made executable (precision: is what the compiler claims
to decide right?) and then 40 more among all remaining items (what does the corpus look like?).

The output is a skeleton: trial id, criterion id, kind, text and the *current* compiled rule as
rule-language text, plus empty ``expected``/``probes``/``note`` for the person who checks it::

    python tools/draw_sample.py -o /tmp/sample_skeleton.json
    python tools/draw_sample.py --corpus ../shared/corpus/ctgov_studies.jsonl --n-exec 150 --n-any 40

The draw depends on which items the compiler makes executable, so it is only reproducible at the
same compiler version; the output records the git commit it was drawn at. Compiling the whole
corpus takes about a minute.
"""
from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
from pathlib import Path

from screening.compile import compile_trial
from screening.ingest import iter_corpus
from screening.ir import is_executable
from screening.rules import format_rule

SEED = 20261124
DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "ctgov_studies.jsonl"


def candidate_items(corpus: Path) -> list[dict[str, object]]:
    """Every non-header, non-structured criterion of the corpus, in corpus order."""
    out: list[dict[str, object]] = []
    for trial in iter_corpus(corpus):
        compiled = compile_trial(trial)
        for c in compiled.criteria:
            if c.role == "header" or c.id in ("age", "sex"):
                continue
            out.append({"trial": compiled.trial_id, "id": c.id, "kind": c.kind, "role": c.role,
                        "parent": c.parent, "text": c.text, "current_rule": format_rule(c.rule),
                        "executable": is_executable(c.rule)})
    return out


def draw(items: list[dict[str, object]], n_exec: int, n_any: int, seed: int = SEED) -> list[dict[str, object]]:
    """``n_exec`` items among the executable ones, then ``n_any`` among all the rest, without repeats."""
    rng = random.Random(seed)
    executable = [i for i, it in enumerate(items) if it["executable"]]
    chosen = rng.sample(executable, min(n_exec, len(executable)))
    taken = set(chosen)
    rest = [i for i in range(len(items)) if i not in taken]
    extra = rng.sample(rest, min(n_any, len(rest)))
    out = []
    for pool, idxs in (("executable", chosen), ("any", extra)):
        for i in idxs:
            it = dict(items[i])
            out.append({"trial": it["trial"], "id": it["id"], "kind": it["kind"], "text": it["text"],
                        "drawn_from": pool, "current_rule": it["current_rule"],
                        "expected": None, "probes": [], "note": ""})
    return out


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                              cwd=Path(__file__).resolve().parent, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--n-exec", type=int, default=150, help="items drawn among the executable ones")
    ap.add_argument("--n-any", type=int, default=40, help="items drawn among all the others")
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("-o", "--output", type=Path, help="write the skeleton here (default: stdout)")
    args = ap.parse_args(argv)
    items = candidate_items(args.corpus)
    sample = draw(items, args.n_exec, args.n_any, args.seed)
    n_exec = sum(1 for it in items if it["executable"])
    doc = {"seed": args.seed, "commit": _commit(), "corpus": str(args.corpus), "items": len(items),
           "executable": n_exec, "sample": sample}
    text = json.dumps(doc, ensure_ascii=False, indent=1) + "\n"
    if args.output:
        args.output.write_text(text, encoding="utf-8")
        print(f"{len(sample)} items drawn from {len(items)} ({n_exec} executable) -> {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
