"""Benchmark: reading filled self-evaluation workbooks.

Writes the six synthetic pilots' filled workbooks once, copies them to N files (default
200; one in six is the flawed "Savon Ote" workbook, which is read until its problems are
listed) and reads them all with :func:`evaluation.workbook.reader.read_workbook`.
Prints the wall time, workbooks and client rows per second and the peak memory.
Acceptance: 200 workbooks in under 30 s on the project machine.
Also times writing one filled workbook with ``--rows`` client rows (default 400, the
template's size; the indicator sheet's whole-pilot and by-group formulas span them all).

Usage: python benchmarks/bench_workbook.py [--n 200] [--lang fi] [--rows 400]
"""

from __future__ import annotations

import argparse
import dataclasses
import resource
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from evaluation.synthetic.filled_workbooks import filled_evaluation, write_filled_workbooks
from evaluation.workbook.errors import LocalizedWorkbookError
from evaluation.workbook.model import SelfEvaluation
from evaluation.workbook.reader import read_workbook
from evaluation.workbook.writer import write_workbook


def _with_rows(ev: SelfEvaluation, n: int) -> SelfEvaluation:
    """``ev`` with its client rows repeated (fresh ids) up to ``n`` rows."""
    base = ev.records["clients"]
    clients = tuple({**base[i % len(base)], "client_id": f"b{i:04d}"} for i in range(n))
    return dataclasses.replace(ev, records={**ev.records, "clients": clients})


def time_writing(folder: Path, *, rows: int, lang: str, repeats: int = 5) -> float:
    """Median seconds to write one filled workbook with ``rows`` client rows."""
    ev = _with_rows(filled_evaluation("Sataosaa", seed=2024, lang=lang), rows)
    times = []
    for i in range(repeats):
        t0 = time.perf_counter()
        write_workbook(ev, folder / f"write_{i}.xlsx")
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="number of workbooks to read")
    parser.add_argument("--lang", default="fi", choices=["fi", "sv", "en"])
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--rows", type=int, default=400, help="client rows of the written one")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        sources = write_filled_workbooks(folder / "src", seed=args.seed, lang=args.lang)
        t_write = time.perf_counter() - t0
        paths = []
        for i in range(args.n):
            dst = folder / f"wb_{i:04d}.xlsx"
            shutil.copyfile(sources[i % len(sources)], dst)
            paths.append(dst)

        ok = bad = rows = problems = 0
        t0 = time.perf_counter()
        for p in paths:
            try:
                ev = read_workbook(p)
            except LocalizedWorkbookError as exc:
                bad += 1
                problems += len(exc.problems)
                continue
            ok += 1
            rows += sum(len(r) for r in ev.records.values())
        elapsed = time.perf_counter() - t0
        t_one = time_writing(folder, rows=args.rows, lang=args.lang)

    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"wrote 6 source workbooks in {t_write:.1f} s")
    print(
        f"read {args.n} workbooks in {elapsed:.2f} s "
        f"({args.n / elapsed:.1f} workbooks/s, {1000 * elapsed / args.n:.0f} ms each)"
    )
    print(
        f"  clean: {ok} ({rows} table rows, {rows / elapsed:,.0f} rows/s); "
        f"with problems: {bad} ({problems} located problems)"
    )
    print(f"  target: 200 workbooks < 30 s -> ratio {elapsed * 200 / args.n / 30:.2f} of budget")
    print(f"wrote one workbook with {args.rows} client rows in {t_one:.3f} s (median of 5)")
    print(f"peak memory (max RSS): {peak_mib:.0f} MiB")


if __name__ == "__main__":
    main()
