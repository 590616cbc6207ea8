"""Speed of screening, reported as ratios against baselines measured in the same run.

    python benchmarks/run.py [--patients 20000]

1. Compile time of each seed trial (cold: first compile; warm: compile again, caches filled).
2. Screens per second over a generated cohort against seed 004 (the seed whose rules are mostly
   executable): full screens (verdict, reason and evidence per criterion) and the status-only
   fast path, against a hand-written Python predicate that decides the same criteria directly
   on the normalized records. The predicate's statuses are checked against the engine's first,
   so the ratio compares equal work.
3. Cohort loading (validation and unit normalization per record).
"""
from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from screening import vocab  # noqa: E402
from screening.compile import compile_any, compile_trial  # noqa: E402
from screening.evaluate import age_years, Context, prepare  # noqa: E402
from screening.ingest import load_trial  # noqa: E402
from screening.patient import Patient, parse_patient  # noqa: E402

SEED = ROOT / "seeds" / "004_eaa96d67465dbc38.txt"
AS_OF = dt.date(2026, 1, 15)


def make_record(rng: random.Random, i: int) -> dict:
    """A plausible SLE/CMV patient; each field varies so every criterion takes each branch."""
    sex = rng.choice(["female", "male"])
    rec: dict = {"id": f"P{i}", "as_of": AS_OF.isoformat(), "sex": sex,
                 "birth_date": (AS_OF - dt.timedelta(days=rng.randint(15 * 365, 75 * 365))).isoformat(),
                 "weight": {"value": rng.randint(40, 95), "unit": "kg"},
                 "pregnant": sex == "female" and rng.random() < 0.05, "lactating": False,
                 "conditions": [{"name": "systemic lupus erythematosus", "onset": "2019-03-01", "status": "active"}],
                 "observations": [{"name": "CMV DNA", "value": rng.choice(["positive", "negative"]),
                                   "date": (AS_OF - dt.timedelta(days=rng.randint(1, 120))).isoformat()}],
                 "medications": [{"name": rng.choice(["prednisone", "methylprednisolone", "Medrol"]),
                                  "dose": {"value": rng.choice([5, 10, 20, 40, 60]), "unit": "mg/d"},
                                  "start": "2025-10-01"}],
                 "procedures": [], "immunizations": [], "studies": [],
                 "attestations": {"informed_consent": rng.random() < 0.95, "able_to_comply": rng.random() < 0.95}}
    if rng.random() < 0.1:
        rec["conditions"].append({"name": rng.choice(["hepatitis B", "tuberculosis", "heart failure"]),
                                  "onset": "2024-01-01", "status": "active"})
    if rng.random() < 0.1:
        rec["medications"].append({"name": "leflunomide", "start": "2025-09-01", "end": "2025-11-01"})
    return rec


def hand_written_status(p: Patient, ctx: Context) -> str:
    """Seed 004's criteria decided directly, as a developer would code them for this one trial.

    Only the criteria that decide alone are coded; the rest of the trial has review items, so a
    patient who passes everything is needs_review, as the engine says.
    """
    age = age_years(p, ctx)
    weights = p.observations.get("body_weight", ())
    weight = weights[0].value if weights else None
    sle = p.conditions is not None and any(e.keys and "systemic_lupus_erythematosus" in e.keys for e in p.conditions)
    cmv = p.observations.get("cmv_dna", ())
    cmv_positive = bool(cmv) and cmv[0].result == "positive" and ctx.day - (cmv[0].day or 0) <= 90
    att = p.attestations or {}
    if age is not None and not 18 <= age < 66:
        return "ineligible"
    if weight is not None and not 45 <= weight <= 80:
        return "ineligible"
    if p.conditions is not None and not sle:
        return "ineligible"
    if cmv and cmv[0].result == "negative" and ctx.day - (cmv[0].day or 0) <= 90:
        return "ineligible"
    if att.get("informed_consent") is False or att.get("able_to_comply") is False:
        return "ineligible"
    if p.pregnant or p.lactating:
        return "ineligible"
    for e in p.medications or ():
        if e.keys and "glucocorticoid" in e.keys and e.ongoing and weight and e.dose is not None:
            if e.dose * (e.prednisone_factor or 1.0) / weight >= 1.0:
                return "ineligible"
        if e.keys and ("leflunomide" in e.keys or "intravenous_immunoglobulin" in e.keys):
            if e.end is None or ctx.day - e.end <= 6 * 30.4375:
                return "ineligible"
    for e in p.conditions or ():
        if e.ongoing and e.keys and not e.keys.isdisjoint(
                {"hepatitis_b", "hepatitis_c", "hiv_infection", "tuberculosis", "ebv_infection",
                 "pneumocystis_pneumonia", "heart_failure", "respiratory_failure", "toxic_shock_syndrome"}):
            return "ineligible"
    _ = cmv_positive
    return "needs_review"


def timed(fn, repeat: int = 1) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--patients", type=int, default=20000)
    args = ap.parse_args()

    print("== compile (ms per trial) ==")
    vocab.concepts()
    for seed in sorted((ROOT / "seeds").glob("*.txt")):
        trial = load_trial(seed)
        cold = timed(lambda: compile_trial(trial))
        warm = timed(lambda: compile_trial(trial), repeat=3)
        print(f"{seed.name:32} cold {cold * 1000:8.1f}   warm {warm * 1000:8.2f}")

    rng = random.Random(7)
    records = [make_record(rng, i) for i in range(args.patients)]
    t_load = timed(lambda: [parse_patient(r) for r in records])
    patients = [parse_patient(r) for r in records]
    print(f"\n== cohort: {len(patients)} patients, loaded in {t_load:.2f} s "
          f"({len(patients) / t_load:,.0f} records/s) ==")

    screener = prepare(compile_any(SEED))
    ctx = Context(AS_OF, AS_OF.toordinal())
    engine = [screener.status(p, AS_OF) for p in patients]
    hand = [hand_written_status(p, ctx) for p in patients]
    agree = sum(a == b for a, b in zip(engine, hand))
    print(f"statuses agree on {agree}/{len(patients)} patients "
          f"({', '.join(f'{s}={engine.count(s)}' for s in sorted(set(engine)))})")
    if agree != len(patients):
        bad = next(i for i, (a, b) in enumerate(zip(engine, hand)) if a != b)
        print(f"  first disagreement: patient {bad}: engine {engine[bad]}, hand-written {hand[bad]}")

    t_hand = timed(lambda: [hand_written_status(p, ctx) for p in patients], repeat=3)
    t_status = timed(lambda: [screener.status(p, AS_OF) for p in patients], repeat=3)
    t_full = timed(lambda: [screener.screen(p, AS_OF) for p in patients], repeat=3)
    n = len(patients)
    print(f"\n{'':28}{'screens/s':>12}{'x hand-written':>16}")
    print(f"{'hand-written predicate':28}{n / t_hand:12,.0f}{1.0:16.2f}")
    print(f"{'engine, status only':28}{n / t_status:12,.0f}{t_hand / t_status:16.2f}")
    print(f"{'engine, full screening':28}{n / t_full:12,.0f}{t_hand / t_full:16.2f}")


if __name__ == "__main__":
    main()
