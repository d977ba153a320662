"""Time rendering the funder's comparison report for the six OTE 4 pilots.

Acceptance (issue 7): a report for 6 pilots renders in under 30 s on this machine.
Run from the project root: ``python benchmarks/bench_reports.py [--repeat 3]``.
Prints wall time per render (HTML and PDF, built-in renderer), the time of the
meta-analysis alone, and peak memory.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from evaluation.estimators.meta import meta_analysis, meta_regression
from evaluation.reporting import REPORTS_DIR, example_results, render_report

BUDGET_SECONDS = 30.0


def _time(fn: object, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()  # type: ignore[operator]
        out.append(time.perf_counter() - t0)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        results = example_results(root / "results", seed=7)
        qmd = REPORTS_DIR / "compare.qmd"
        t0 = time.perf_counter()
        render_report(qmd, params={"results_dir": str(results)}, output=root / "w.html")
        first = time.perf_counter() - t0
        print(f"first HTML render (cold imports): {first:.2f} s")
        for fmt in ("html", "pdf"):
            for lang in ("fi", "en"):
                times = _time(
                    lambda fmt=fmt, lang=lang: render_report(
                        qmd,
                        params={"results_dir": str(results)},
                        output=root / f"c-{lang}.{fmt}",
                        format=fmt,  # type: ignore[arg-type]
                        lang=lang,
                    ),
                    args.repeat,
                )
                med = statistics.median(times)
                size = (root / f"c-{lang}.{fmt}").stat().st_size / 1024
                verdict = "OK" if max(times) < BUDGET_SECONDS else "OVER BUDGET"
                print(
                    f"compare.qmd -> {fmt:4s} ({lang}): median {med:.2f} s, max {max(times):.2f} s "
                    f"over {args.repeat} runs, {size:.0f} KiB, budget {BUDGET_SECONDS:.0f} s: "
                    f"{verdict} (x{BUDGET_SECONDS / max(times):.0f} headroom)"
                )
    rng = np.random.default_rng(1)
    for k in (6, 100, 1000):
        y = rng.normal(0.2, 0.3, k)
        se = rng.uniform(0.05, 0.3, k)
        ts = _time(lambda y=y, se=se: meta_analysis(y, se, method="REML"), 5)
        mods = {"fidelity": rng.uniform(0, 1, k)}
        import pandas as pd

        tr = _time(lambda y=y, se=se, m=mods: meta_regression(y, se, moderators=pd.DataFrame(m)), 5)
        print(
            f"meta_analysis REML k={k}: {1e3 * statistics.median(ts):.2f} ms; "
            f"meta_regression REML k={k}: {1e3 * statistics.median(tr):.2f} ms"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (max RSS): {peak:.0f} MiB")


if __name__ == "__main__":
    main()
