"""Benchmark: 1:1 nearest-neighbour matching without replacement, 8 covariates, 20% treated.

Times :func:`evaluation.match` (propensity model + matching) at several sizes, R MatchIt
(``Rscript``, if installed) at 100,000 units and psmpy (if installed; its ``kdtree_matched``
queries every control for every treated unit, so it is quadratic: 2,000 units take seconds,
10,000 several minutes, 100,000 run out of memory) at 2,000 and 100,000 units, and compares match
quality (mean absolute propensity score difference within pairs, on *our* scores, which
equal MatchIt's to ~1e-9). Every run is a separate process so peak memory (max RSS) is per
run; peers run under a 4 GiB address-space limit.

Usage: ``python benchmarks/bench_matching.py [--sizes 100000 1000000] [--no-peers]``
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

COVS = [f"x{k}" for k in range(1, 9)]
PEER_MEMORY_LIMIT = 4 * 1024**3
PEER_TIMEOUT_S = 600


def make_data(n: int, seed: int = 0) -> pd.DataFrame:
    """8 covariates (5 continuous, 3 binary), about 20% treated by a logistic model."""
    rng = np.random.default_rng(seed)
    x = np.column_stack(
        [rng.normal(size=(n, 5)), rng.binomial(1, [0.3, 0.5, 0.7], size=(n, 3))]
    ).astype(np.float64)
    beta = np.array([0.5, -0.4, 0.3, 0.2, -0.2, 0.4, -0.3, 0.2])
    lin = -1.55 + x @ beta
    treat = (rng.uniform(size=n) < 1 / (1 + np.exp(-lin))).astype(np.int64)
    frame = pd.DataFrame(x, columns=COVS)
    frame.insert(0, "treat", treat)
    frame["y"] = x[:, 0] + treat + rng.normal(size=n)
    return frame


def peak_mib() -> float:
    """Peak resident memory of this process in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_ours(n: int) -> dict[str, float]:
    import warnings

    from evaluation.estimators.matching import match

    warnings.simplefilter("ignore")  # off-support notes of the synthetic tails
    match(make_data(2_000, seed=1), treatment="treat", covariates=COVS)  # warm-up: imports
    data = make_data(n)
    base = peak_mib()
    t0 = time.perf_counter()
    res = match(data, treatment="treat", covariates=COVS)
    seconds = time.perf_counter() - t0
    p = res.pairs
    ps = res.propensity.to_numpy()
    pos = pd.Series(np.arange(n), index=data.index)
    quality = float(
        np.mean(np.abs(ps[pos[p["treated"]].to_numpy()] - ps[pos[p["control"]].to_numpy()]))
    )
    return {
        "seconds": seconds,
        "pairs": float(len(p)),
        "quality": quality,
        "peak_mib": peak_mib(),
        "data_mib": base,
    }


R_SCRIPT = r"""
suppressPackageStartupMessages(library(MatchIt))
a <- commandArgs(trailingOnly = TRUE)
d <- read.csv(a[1])
t0 <- proc.time()[["elapsed"]]
m <- matchit(treat ~ x1 + x2 + x3 + x4 + x5 + x6 + x7 + x8, data = d, method = "nearest")
el <- proc.time()[["elapsed"]] - t0
mm <- m$match.matrix
tr <- as.integer(rownames(mm)); ct <- as.integer(mm[, 1])
ok <- !is.na(ct)
write.csv(data.frame(t = tr[ok] - 1L, c = ct[ok] - 1L), a[2], row.names = FALSE)
cat(el, "\n")
"""


def run_matchit(n: int) -> dict[str, float]:
    import warnings

    from evaluation.estimators.matching import match

    warnings.simplefilter("ignore")

    if shutil.which("Rscript") is None:
        return {"error": 1.0}
    data = make_data(n)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp, "d.csv")
        data.to_csv(src, index=False, float_format="%.17g")
        script = Path(tmp, "m.R")
        script.write_text(R_SCRIPT)
        out = Path(tmp, "pairs.csv")
        t0 = time.perf_counter()
        proc = subprocess.run(
            ["Rscript", str(script), str(src), str(out)],
            capture_output=True,
            text=True,
            timeout=PEER_TIMEOUT_S,
            check=True,
        )
        wall = time.perf_counter() - t0
        pairs = pd.read_csv(out)
    ps = match(data, treatment="treat", covariates=COVS).propensity.to_numpy()
    quality = float(np.mean(np.abs(ps[pairs["t"]] - ps[pairs["c"]])))
    r_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "seconds": float(proc.stdout.split()[-1]),
        "wall_seconds": wall,
        "pairs": float(len(pairs)),
        "quality": quality,
        "peak_mib": r_peak,
    }


def run_psmpy(n: int) -> dict[str, float]:
    resource.setrlimit(resource.RLIMIT_AS, (PEER_MEMORY_LIMIT, PEER_MEMORY_LIMIT))
    from psmpy import PsmPy

    data = make_data(n)
    data.insert(0, "id", np.arange(n))
    t0 = time.perf_counter()
    psm = PsmPy(data.drop(columns=["y"]), treatment="treat", indx="id", exclude=[])
    psm.logistic_ps(balance=False)
    psm.kdtree_matched(matcher="propensity_logit", replacement=False, caliper=None)
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "peak_mib": peak_mib()}


def in_subprocess(kind: str, n: int) -> dict[str, float] | str:
    """Run one measurement in a fresh interpreter; return its result or the failure."""
    cmd = [sys.executable, __file__, "--child", kind, str(n)]
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=PEER_TIMEOUT_S, env=os.environ.copy()
        )
    except subprocess.TimeoutExpired:
        return f"timed out after {PEER_TIMEOUT_S} s"
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["?"])[-1]
        return f"failed (exit {proc.returncode}): {tail[:160]}"
    result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="*", default=[2_000, 100_000, 1_000_000])
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, n = args.child[0], int(args.child[1])
        fn = {"ours": run_ours, "matchit": run_matchit, "psmpy": run_psmpy}[kind]
        print(json.dumps(fn(n)))
        return

    print("1:1 nearest neighbour without replacement, 8 covariates, ~20% treated")
    ours: dict[int, dict[str, float] | str] = {}
    for n in args.sizes:
        r = in_subprocess("ours", n)
        ours[n] = r
        if isinstance(r, str):
            print(f"ours     n={n:>9,}: {r}")
        else:
            print(
                f"ours     n={n:>9,}: {r['seconds']:7.2f} s ({n / r['seconds']:>11,.0f} units/s), "
                f"peak RSS {r['peak_mib']:7.0f} MiB, mean |dps| in pairs {r['quality']:.3e}"
            )
    if args.no_peers:
        return
    for kind, n in (("matchit", 100_000), ("psmpy", 2_000), ("psmpy", 100_000)):
        r = in_subprocess(kind, n)
        if isinstance(r, str):
            print(f"{kind:<8} n={n:>9,}: {r}")
            continue
        line = f"{kind:<8} n={n:>9,}: {r['seconds']:7.2f} s, peak RSS {r['peak_mib']:7.0f} MiB"
        if "quality" in r:
            line += f", mean |dps| in pairs {r['quality']:.3e}"
        print(line)
        mine = ours.get(n)
        if isinstance(mine, dict):
            print(f"  speed-up of ours over {kind}: {r['seconds'] / mine['seconds']:.1f}x")
            if "quality" in r:
                verdict = "<=" if mine["quality"] <= r["quality"] else ">"
                print(f"  quality ours {mine['quality']:.3e} {verdict} {kind} {r['quality']:.3e}")


if __name__ == "__main__":
    main()
