"""Benchmark: reading filled self-evaluation workbooks.

Writes the six synthetic pilots' filled workbooks once, copies them to N files (default
200; one in six is the flawed "Savon Ote" workbook, which is read until its problems are
listed) and reads them all with :func:`evaluation.workbook.reader.read_workbook`.
Prints the wall time, workbooks and client rows per second and the peak memory.
Acceptance: 200 workbooks in under 30 s on the project machine.

Usage: python benchmarks/bench_workbook.py [--n 200] [--lang fi]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from pathlib import Path

from evaluation.synthetic.filled_workbooks import write_filled_workbooks
from evaluation.workbook.errors import LocalizedWorkbookError
from evaluation.workbook.reader import read_workbook


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="number of workbooks to read")
    parser.add_argument("--lang", default="fi", choices=["fi", "sv", "en"])
    parser.add_argument("--seed", type=int, default=2024)
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
    print(f"peak memory (max RSS): {peak_mib:.0f} MiB")


if __name__ == "__main__":
    main()
