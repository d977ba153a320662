"""Benchmark: matching designs beyond greedy nearest neighbour (prints times, asserts nothing).

* optimal pair matching, 20,000 units (about 20% treated; issue target < 30 s);
* optimal full matching, 10,000 units (target < 60 s);
* coarsened exact matching, 1,000,000 units (target < 10 s);
* nearest neighbour at 100,000 units against R MatchIt when ``Rscript`` is installed
  (target: >= 10x MatchIt; ``benchmarks/bench_matching.py`` has the full comparison).

Times include the propensity score model (for CEM it is fitted only for the overlap plot).
Data: ``bench_matching.make_data`` (8 covariates, 5 continuous, 3 binary).

Usage: ``python benchmarks/bench_matching_designs.py [--skip-r]``
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_matching import COVS, make_data, run_matchit

from evaluation.estimators.matching import match

#: The issue's targets in seconds.
TARGETS = {"optimal 20k": 30.0, "full 10k": 60.0, "cem 1M": 10.0}


def timed(label: str, n: int, **options: object) -> float:
    data = make_data(n, seed=1)
    t0 = time.perf_counter()
    res = match(data, treatment="treat", covariates=COVS, **options)  # type: ignore[arg-type]
    secs = time.perf_counter() - t0
    sizes = res.sample_sizes().set_index("group")["matched"].to_dict()
    target = TARGETS.get(label)
    ratio = f"  {secs / target:.2f} of the {target:g} s target" if target else ""
    print(f"{label:>14}: {secs:7.2f} s  matched {sizes}{ratio}")
    return secs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--skip-r", action="store_true", help="do not time R MatchIt")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    timed("optimal 20k", 20_000, method="optimal")
    timed("full 10k", 10_000, method="full")
    timed("cem 1M", 1_000_000, method="cem")
    ours = timed("nearest 100k", 100_000)
    if not args.skip_r:
        peer = run_matchit(100_000)
        if "seconds" in peer:
            secs = peer["seconds"]
            print(f"  MatchIt nearest 100k: {secs:.2f} s -> ours is {secs / ours:.1f}x faster")
        else:
            print(f"  MatchIt: {peer}")


if __name__ == "__main__":
    main()
