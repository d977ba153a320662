"""Benchmark: HonestDiD sensitivity analysis (Rambachan & Roth) of an event study.

An event study with 8 event times besides the reference period (4 pre, 4 post: HonestDiD's
Benzarti & Carloni example, ``tests/did/reference/honestdid_reference.json``) and 10 values of
the restriction, for every restriction x method the toolkit offers, with HonestDiD's default
1,000-point test grid. Target (issue 16): 8 event times x 10 values in < 10 s.

Usage::

    python benchmarks/bench_did_sensitivity.py
    python benchmarks/bench_did_sensitivity.py --grid-points 100 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from evaluation.estimators.did import honest_sensitivity

REF = (
    Path(__file__).resolve().parents[1] / "tests" / "did" / "reference" / "honestdid_reference.json"
)
TARGET_S = 10.0
CASES = (
    ("smoothness", "FLCI", np.linspace(0.0, 0.3, 10)),
    ("smoothness", "C-LF", np.linspace(0.0, 0.3, 10)),
    ("smoothness", "conditional", np.linspace(0.0, 0.3, 10)),
    ("relative_magnitude", "C-LF", np.linspace(0.0, 2.0, 10)),
    ("relative_magnitude", "conditional", np.linspace(0.0, 2.0, 10)),
    ("smoothness_relative_magnitude", "C-LF", np.linspace(0.0, 2.0, 10)),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid-points", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    bc = json.loads(REF.read_text())["bc"]
    beta, sigma = np.array(bc["betahat"]), np.array(bc["sigma"])
    times = np.concatenate([np.arange(-5, -1), np.arange(0, 4)])
    print(f"8 event times (4 pre, 4 post), 10 values, {args.grid_points} grid points")
    print(f"{'restriction':<31}{'method':<13}{'seconds':>9}{'target ratio':>14}")
    for restriction, method, values in CASES:
        best = np.inf
        for _ in range(args.repeat):
            start = time.perf_counter()
            honest_sensitivity(
                beta,
                sigma,
                times,
                restriction=restriction,  # type: ignore[arg-type]
                method=method,  # type: ignore[arg-type]
                values=values,
                grid_points=args.grid_points,
            )
            best = min(best, time.perf_counter() - start)
        print(f"{restriction:<31}{method:<13}{best:>9.2f}{best / TARGET_S:>14.3f}")


if __name__ == "__main__":
    main()
