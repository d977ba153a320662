"""Benchmark: register spells -> person-month and person-year panels (DuckDB).

Generates synthetic spells for N persons (about 4 spells each, 2014-2020, some overlapping,
some open-ended), builds the 60-month person-month panel (2016-01 .. 2020-12), writes it to
parquet and aggregates it to person-years. Prints wall time, rows/second and peak RSS.

Usage::

    python benchmarks/bench_panel.py                 # 100k and 1M persons, each in a subprocess
    python benchmarks/bench_panel.py --persons 250000
    python benchmarks/bench_panel.py --persons 1000000 --database /tmp/panel.duckdb

Peak memory is the process's peak resident set size (``resource.getrusage``), which includes
the spell generator, pandas and DuckDB.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from evaluation.registers import (
    CODE_TABLE,
    build_person_month_panel,
    build_person_year_panel,
    connect,
)

WINDOW = ("2016-01", "2020-12")  # 60 months
MEAN_SPELLS = 4.0
MEAN_DAYS = 240
OPEN_SHARE = 0.05


def synthetic_spells(n_persons: int, *, seed: int = 1) -> pd.DataFrame:
    """Random spells: Poisson(4)+1 per person, random codes, start 2014-2020, ~8-month spells."""
    rng = np.random.default_rng(seed)
    per_person = rng.poisson(MEAN_SPELLS - 1, n_persons) + 1
    n = int(per_person.sum())
    # ids built once per person in Arrow, then repeated: no Python string per spell
    ids = pa.array(np.char.add("P", np.char.zfill(np.arange(n_persons).astype(str), 7)))
    person = np.repeat(np.arange(n_persons), per_person)
    codes = pa.array([c.code for c in CODE_TABLE])
    weights = np.linspace(2.0, 1.0, len(codes))
    code = codes.take(pa.array(rng.choice(len(codes), n, p=weights / weights.sum())))
    day0 = np.datetime64("2014-01-01")
    span = int((np.datetime64("2020-12-31") - day0).astype(int))
    start = day0 + rng.integers(0, span, n).astype("timedelta64[D]")
    length = rng.geometric(1.0 / MEAN_DAYS, n).astype("timedelta64[D]")
    end = (start + length - np.timedelta64(1, "D")).astype("datetime64[us]")
    end_series = pd.Series(end)
    end_series[rng.random(n) < OPEN_SHARE] = pd.NaT
    return pd.DataFrame(
        {
            "person_id": pd.Series(ids.take(pa.array(person)), dtype="str"),
            "code": pd.Series(code, dtype="str"),
            "start": start.astype("datetime64[us]"),
            "end": end_series.to_numpy(),
        }
    )


def cpu_seconds() -> float:
    """User + system CPU time of this process (DuckDB threads included)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mib() -> float:
    """Peak resident set size of this process in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_one(n_persons: int, database: str | None, memory_limit: str) -> None:
    """Time one panel build and print the numbers."""
    t0 = time.perf_counter()
    spells = synthetic_spells(n_persons)
    t_gen = time.perf_counter() - t0
    print(f"persons={n_persons:,} spells={len(spells):,} generated in {t_gen:.1f}s "
          f"(RSS so far {peak_rss_mib():,.0f} MiB)")  # fmt: skip

    con = connect(database or ":memory:", memory_limit=memory_limit)
    t0, c0 = time.perf_counter(), cpu_seconds()
    panel = build_person_month_panel(spells, start=WINDOW[0], end=WINDOW[1], con=con)
    t_build, c_build = time.perf_counter() - t0, cpu_seconds() - c0
    n_rows = panel.n_rows
    print(f"  person-month build (validate + expand + compress): {t_build:.1f}s wall, "
          f"{c_build:.1f}s CPU, {n_rows:,} rows, {n_rows / t_build:,.0f} rows/s")  # fmt: skip
    del spells

    with tempfile.TemporaryDirectory() as tmp:
        t0, c0 = time.perf_counter(), cpu_seconds()
        path = panel.to_parquet(Path(tmp) / "panel.parquet")
        t_pq, c_pq = time.perf_counter() - t0, cpu_seconds() - c0
        size = path.stat().st_size / 2**20
        print(f"  to_parquet: {t_pq:.1f}s wall, {c_pq:.1f}s CPU ({size:,.0f} MiB), "
              f"{n_rows / t_pq:,.0f} rows/s")  # fmt: skip

    t0, c0 = time.perf_counter(), cpu_seconds()
    years = build_person_year_panel(panel)
    t_year, c_year = time.perf_counter() - t0, cpu_seconds() - c0
    print(f"  person-year aggregation: {t_year:.1f}s wall, {c_year:.1f}s CPU, "
          f"{years.n_rows:,} rows, {n_rows / t_year:,.0f} person-month rows/s")  # fmt: skip
    print(f"  peak RSS: {peak_rss_mib():,.0f} MiB")


def main() -> None:
    """Parse arguments; run one size in-process or the default sizes in subprocesses."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=None, help="number of persons")
    parser.add_argument("--database", default=None, help="DuckDB file (default in memory)")
    parser.add_argument("--memory-limit", default="3GB", help="DuckDB memory limit")
    args = parser.parse_args()
    if args.persons is not None:
        run_one(args.persons, args.database, args.memory_limit)
        return
    for n in (100_000, 1_000_000):
        cmd = [sys.executable, __file__, "--persons", str(n), "--memory-limit", args.memory_limit]
        if args.database:
            cmd += ["--database", args.database]
        subprocess.run(cmd, check=True)


if __name__ == "__main__":
    main()
