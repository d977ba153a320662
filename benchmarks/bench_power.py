"""Benchmark: power before the pilot (placebo rollouts) at register scale.

Synthetic register extract (``generate_registers``), the employment history of every person
over 60 months (person-month panel in DuckDB -> persons x months matrix), then 200 placebo
rollouts of a pilot with 500 participants in 6 monthly cohorts, 12 follow-up months and an
11-month pre-trend test. Target (issue 16): 200 rollouts on 200k persons x 60 months in
< 2 min. Prints the time of each step; no assertions.

Usage::

    python benchmarks/bench_power.py
    python benchmarks/bench_power.py --persons 50000 --rollouts 500
"""

from __future__ import annotations

import argparse
import time

import pandas as pd

from evaluation import generate_registers, power
from evaluation.power_analysis.plan import outcome_history

TARGET_S = 120.0
MONTHS = 60


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=200_000)
    parser.add_argument("--rollouts", type=int, default=200)
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    t0 = time.perf_counter()
    data = generate_registers(persons=args.persons, seed=args.seed)
    t1 = time.perf_counter()
    start = pd.Period(data.months[0], freq="M")
    end = start + (MONTHS - 1)
    ids = data.persons["person_id"].astype("string")
    y = outcome_history(data.spells, ids, f"{start}", end, "employed")
    t2 = time.perf_counter()
    res = power(
        y, n_treated=500, cohorts=6, follow_up=12, pre_periods=11, rollouts=args.rollouts,
        seed=args.seed,
    )  # fmt: skip
    t3 = time.perf_counter()
    print(f"{args.persons:,} persons x {y.shape[1]} months, {args.rollouts} placebo rollouts")
    print(f"  synthetic extract (not part of the target): {t1 - t0:7.1f} s")
    print(f"  history matrix (panel in DuckDB):           {t2 - t1:7.1f} s")
    print(f"  placebo rollouts:                           {t3 - t2:7.1f} s")
    total = t3 - t1
    print(f"  history + rollouts: {total:.1f} s = {total / TARGET_S:.2f} x the 2-minute target")
    print(res.summary())


if __name__ == "__main__":
    main()
