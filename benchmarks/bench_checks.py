"""Benchmark: validating a large person-month panel inside DuckDB (never loaded into pandas).

Builds a synthetic panel of ``--rows`` rows (persons x months) in a temporary DuckDB file,
plants a few defects, then runs ``evaluation.checks.validate("panel", ...)`` on the table
(the SQL engine: all row-wise predicates in one scan, group checks as aggregates) and copies
failing rows into a quarantine table. Prints build and validation time, rows per second and
peak resident memory of the process (``resource.getrusage``).

Usage: ``python benchmarks/bench_checks.py [--rows 10000000] [--months 60]``
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from evaluation.checks import validate


@dataclass(frozen=True)
class _Held:
    """A DuckDB-held table (what a PersonMonthPanel also is: ``.con`` + ``.table``)."""

    con: duckdb.DuckDBPyConnection
    table: str


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--months", type=int, default=60)
    parser.add_argument("--memory-limit", default="500MB", help="DuckDB memory_limit")
    args = parser.parse_args()
    persons = max(1, args.rows // args.months)
    n = persons * args.months
    with tempfile.TemporaryDirectory() as tmp:
        con = duckdb.connect(str(Path(tmp) / "bench.duckdb"))
        con.execute(f"SET memory_limit = '{args.memory_limit}'")
        con.execute(f"SET temp_directory = '{tmp}'")
        t0 = time.perf_counter()
        con.execute(
            f"""
            CREATE TABLE panel AS
            WITH p AS (SELECT range AS pid FROM range({persons})),
                 m AS (SELECT range AS k FROM range({args.months}))
            SELECT 'P' || lpad(pid::VARCHAR, 8, '0') AS person_id,
                   (DATE '2018-01-01' + to_months(k::INTEGER))::DATE AS month,
                   (2018 * 12 + k)::INTEGER AS month_index,
                   CASE WHEN hash(pid, k) % 3 = 0 THEN 'employment_open'
                        ELSE 'labour_market_subsidy' END AS status,
                   (hash(pid, k) % 3 = 0)::INTEGER::TINYINT AS employed,
                   (hash(pid, k) % 3 = 0)::INTEGER::TINYINT AS employed_open_market,
                   (hash(pid, k) % 3 <> 0)::INTEGER::TINYINT AS on_main_benefit,
                   (hash(pid, k) % 3 <> 0)::INTEGER::TINYINT AS on_unemployment_benefit,
                   0::TINYINT AS on_health_benefit,
                   0::TINYINT AS in_education,
                   0::TINYINT AS in_service
            FROM p, m ORDER BY pid, k
            """
        )
        # plant defects: unknown status, an outcome of 2, a missing month (a gap)
        con.execute("UPDATE panel SET status = 'retired' WHERE person_id = 'P00000007'")
        con.execute(
            "UPDATE panel SET employed = 2 WHERE person_id = 'P00000011' AND "
            "month_index = 2018 * 12 + 3"
        )
        con.execute(
            "DELETE FROM panel WHERE person_id = 'P00000013' AND month_index = 2018 * 12 + 5"
        )
        build = time.perf_counter() - t0
        rows = con.execute("SELECT count(*) FROM panel").fetchall()[0][0]
        mem_before = _peak_mib()
        t1 = time.perf_counter()
        report = validate("panel", _Held(con, "panel"), quarantine_table="panel_quarantine")
        took = time.perf_counter() - t1
        quarantined = con.execute("SELECT count(*) FROM panel_quarantine").fetchall()[0][0]
        sample = con.sql("SELECT * FROM panel LIMIT 100000").df()
        pandas_mib = sample.memory_usage(deep=True).sum() * rows / len(sample) / 2**20
        con.close()
    print(
        f"panel: {rows:,} rows ({persons:,} persons x {args.months} months); built in {build:.1f} s"
    )
    print(
        f"validate('panel') in DuckDB: {took:.1f} s = {rows / took:,.0f} rows/s; "
        f"{report.n_expectations} expectations; engine {report.engine}"
    )
    print(
        f"failed families: {', '.join(report.families())} "
        f"(expected code, domain, gaps); {quarantined:,} rows quarantined"
    )
    print(
        f"peak RSS: {_peak_mib():,.0f} MiB (before validation {mem_before:,.0f} MiB); "
        f"a pandas copy of the panel would need about {pandas_mib:,.0f} MiB"
    )
    if n != rows + 1:
        print(f"note: {n - rows} row(s) deleted on purpose")


if __name__ == "__main__":
    main()
