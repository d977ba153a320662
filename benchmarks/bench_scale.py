"""Benchmark: the same panel and staggered DiD in-process, through Ibis on DuckDB, on Spark.

Generates a synthetic extract of N persons (the six OTE 4 pilots, 2014-2018), then per
engine: builds the 60-month person-month panel and estimates one pilot's staggered DiD
(no covariates, never-treated comparison). Prints wall times, the ratios to the in-process
path, the largest difference of the ATT(g,t) estimates from the in-process ones, and peak
RSS of this process (Spark's JVM is a separate process: its memory is not included).

Targets (issue 8): the engines agree to 1e-9; the Ibis path on DuckDB costs at most 3x the
in-process path for the panel (it materialises the exploded spells instead of DuckDB list
lambdas) and 5x for the DiD (a self-join on the unit where the in-process path makes one
pass). Measured at 200,000 persons: 2.3-3.0x and 3.2-3.8x (two runs); at 20,000 persons
Spark agrees to 3e-16. Spark in local mode on one core is there to show the code runs
unchanged, not to be fast: it pays for JVM start-up and a shuffle per step, and pays off
only on a cluster.

Usage::

    python benchmarks/bench_scale.py                       # 20,000 persons, all engines
    python benchmarks/bench_scale.py --persons 100000 --engines local ibis
"""

from __future__ import annotations

import argparse
import resource
import time
from typing import Any

import numpy as np

from evaluation.estimators.did import att_gt as att_gt_in_process
from evaluation.impact import did_input as did_input_in_process
from evaluation.registers import build_person_month_panel, validated_panel_inputs
from evaluation.scale import att_gt, connect, did_input, person_month_panel, upload
from evaluation.synthetic import generate_registers

OPTIONS: dict[str, Any] = {
    "outcome": "y",
    "time": "month_index",
    "unit": "person_id",
    "cohort": "cohort",
}


def peak_rss_mib() -> float:
    """Peak resident set size of this process, MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=20_000)
    parser.add_argument(
        "--engines",
        nargs="+",
        default=["local", "ibis", "spark"],
        choices=["local", "ibis", "spark"],
    )
    args = parser.parse_args()
    data = generate_registers(persons=args.persons, seed=1)
    start, end = f"{data.months[0]:%Y-%m}", f"{data.months[-1]:%Y-%m}"
    pilot = str(data.participants["pilot"].mode().iloc[0])
    kw: dict[str, Any] = {"participants": data.participants, "persons": data.persons["person_id"]}
    print(f"{args.persons:,} persons x {len(data.months)} months; DiD of {pilot}")
    times: dict[str, tuple[float, float]] = {}
    estimates: dict[str, np.ndarray] = {}
    for engine in args.engines:
        t0 = time.perf_counter()
        if engine == "local":
            panel = build_person_month_panel(data.spells, start=start, end=end, **kw)
            t1 = time.perf_counter()
            rel = did_input_in_process(panel, pilot=pilot)
            res = att_gt_in_process(rel, **OPTIONS)
        else:
            con = connect("duckdb" if engine == "ibis" else "pyspark")
            t_start = time.perf_counter()  # Spark's start-up is not counted
            spells, people = validated_panel_inputs(data.spells, **kw)
            table = person_month_panel(
                upload(con, spells, kind="spells"),
                upload(con, people, kind="people"),
                start=start,
                end=end,
            ).cache()
            table.count().execute()
            t0 = t_start
            t1 = time.perf_counter()
            res = att_gt(did_input(table, pilot=pilot), **OPTIONS)
        t2 = time.perf_counter()
        times[engine] = (t1 - t0, t2 - t1)
        estimates[engine] = res.tidy()["estimate"].to_numpy(float)
        print(
            f"  {engine:<6} panel {t1 - t0:7.1f} s   DiD {t2 - t1:7.1f} s   "
            f"peak RSS {peak_rss_mib():,.0f} MiB"
        )
    if "local" in times:
        base = times["local"]
        for engine, (panel_s, did_s) in times.items():
            gap = np.nanmax(np.abs(estimates[engine] - estimates["local"]))
            print(
                f"  {engine:<6} / local: panel {panel_s / base[0]:5.2f}x  "
                f"DiD {did_s / base[1]:5.2f}x  max |ATT(g,t) difference| {gap:.1e}"
            )


if __name__ == "__main__":
    main()
