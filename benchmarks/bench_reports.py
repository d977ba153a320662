"""Time rendering the three report types (pilot, impact, compare) for the six OTE 4 pilots.

Acceptance (issue 7): a report for 6 pilots renders in under 30 s on this machine.
Run from the project root: ``python benchmarks/bench_reports.py [--repeat 2] [--persons N]``.
Builds one results folder (synthetic comparison tables, the pilot tables of the synthetic
workbooks, and a DiD and matching run per pilot on synthetic registers), then prints wall
time per render (HTML and PDF, built-in renderer), the time of writing the results, the
meta-analysis alone, and peak memory.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evaluation.estimators.meta import meta_analysis, meta_regression
from evaluation.reporting import (
    REPORTS_DIR,
    example_impact_results,
    example_pilot_results,
    example_results,
    render_report,
)
from evaluation.synthetic import PILOT_NAMES

BUDGET_SECONDS = 30.0


def _time(fn: Callable[[], Any], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def _report(name: str, fmt: str, lang: str, times: list[float], path: Path) -> None:
    med = statistics.median(times)
    size = path.stat().st_size / 1024
    verdict = "OK" if max(times) < BUDGET_SECONDS else "OVER BUDGET"
    print(
        f"{name:28s} -> {fmt:4s} ({lang}): median {med:.2f} s, max {max(times):.2f} s, "
        f"{size:.0f} KiB, budget {BUDGET_SECONDS:.0f} s: {verdict} "
        f"(x{BUDGET_SECONDS / max(times):.0f} headroom)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--persons", type=int, default=12000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        results = example_results(root / "results", seed=7)
        pilots_wb = example_pilot_results(results, seed=7)
        t1 = time.perf_counter()
        example_impact_results(results, pilots=PILOT_NAMES, persons=args.persons)
        t2 = time.perf_counter()
        print(
            f"results: pilot tables of {len(pilots_wb)} workbooks {t1 - t0:.2f} s; "
            f"DiD + matching for {len(PILOT_NAMES)} pilots ({args.persons} persons) "
            f"{t2 - t1:.2f} s"
        )
        n_eff = len(pd.read_csv(results / "effects.csv"))
        print(f"effects.csv rows: {n_eff}")
        jobs: list[tuple[str, str, dict[str, Any]]] = [
            ("compare.qmd", "compare", {"results_dir": str(results)}),
            ("impact.qmd", "impact (6 pilots)", {"results_dir": str(results)}),
        ]
        jobs += [
            ("pilot.qmd", f"pilot {p}", {"results_dir": str(results), "pilot": p})
            for p in pilots_wb
        ]
        lang = "fi"
        for qmd, name, params in jobs:
            for fmt in ("html", "pdf"):
                out = root / f"{name.replace(' ', '_')}.{fmt}"
                times = _time(
                    lambda q=qmd, p=params, o=out, f=fmt: render_report(
                        REPORTS_DIR / q,
                        params=p,
                        output=o,
                        format=f,  # type: ignore[arg-type]
                        lang=lang,
                    ),
                    args.repeat,
                )
                _report(name, fmt, lang, times, out)
    rng = np.random.default_rng(1)
    for k in (6, 100, 1000):
        y = rng.normal(0.2, 0.3, k)
        se = rng.uniform(0.05, 0.3, k)
        ts = _time(lambda y=y, se=se: meta_analysis(y, se, method="REML"), 5)
        mods = pd.DataFrame({"fidelity": rng.uniform(0, 1, k)})
        tr = _time(lambda y=y, se=se, m=mods: meta_regression(y, se, moderators=m), 5)
        print(
            f"meta_analysis REML k={k}: {1e3 * statistics.median(ts):.2f} ms; "
            f"meta_regression REML k={k}: {1e3 * statistics.median(tr):.2f} ms"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (max RSS): {peak:.0f} MiB")


if __name__ == "__main__":
    main()
