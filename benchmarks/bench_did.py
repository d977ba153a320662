"""Benchmark: staggered DiD (Callaway & Sant'Anna) against csdid, differences and a numpy floor.

Synthetic balanced panel, 24 periods, 4 cohorts + never treated, analytic standard errors,
``simple`` and ``dynamic`` aggregations included. Each measurement runs in its own process
(with a timeout) so peak memory is per tool: the peak resident set size is reset after the
data are generated (Linux ``clear_refs``) and read after estimation.

Usage::

    python benchmarks/bench_did.py                       # 10k and 100k units, all tools
    python benchmarks/bench_did.py --units 1000000 --peers   # ours only at 1M
    python benchmarks/bench_did.py --duckdb-units 10000000  # out-of-core run from DuckDB

Peers are skipped (reported as such) when not installed.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from typing import Any

KW = {"outcome": "y", "time": "time", "unit": "unit", "cohort": "cohort"}
TOOLS_NOCOV = ("ours", "floor", "csdid", "differences")
TOOLS_COV = ("ours_dr", "csdid_dr")


def _reset_peak() -> None:
    with contextlib.suppress(OSError), open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _floor(d: Any) -> None:
    """A one-pass numpy implementation of the same output (cells, analytic SEs, aggregates)."""
    import numpy as np
    import pandas as pd

    codes, _ = pd.factorize(d["unit"].to_numpy())
    t = d["time"].to_numpy()
    t0 = t.min()
    n_t = int(t.max() - t0 + 1)
    n = int(codes.max()) + 1
    y = np.empty((n, n_t))
    y[codes, t - t0] = d["y"].to_numpy()
    g = np.empty(n)
    g[codes] = d["cohort"].to_numpy()
    periods = np.arange(t0, t0 + n_t)
    never = y[g == 0]
    atts, ses, wts, ev = [], [], [], []
    for c in np.unique(g[g > 0]):
        yc = y[g == c]
        b = int(c - t0 - 1)
        for j in range(1, n_t):
            bb = b if periods[j] >= c else j - 1
            dt = yc[:, j] - yc[:, bb]
            dc = never[:, j] - never[:, bb]
            atts.append(dt.mean() - dc.mean())
            ses.append(np.sqrt(dt.var() / len(dt) + dc.var() / len(dc)))
            wts.append(len(dt))
            ev.append(periods[j] - c)
    a, w, e = np.array(atts), np.array(wts, float), np.array(ev)
    post = e >= 0
    _ = (a[post] * w[post]).sum() / w[post].sum()
    _ = [a[e == k].mean() for k in np.unique(e)]
    del ses


def _worker(tool: str, units: int, periods: int, duckdb_memory: str) -> dict[str, Any]:
    warnings.simplefilter("ignore")
    from evaluation.estimators.did import att_gt
    from evaluation.estimators.did.simulate import simulate_staggered, simulate_staggered_sql

    cohorts = (6, 10, 14, 18)
    con = None
    if tool == "ours_duckdb":
        import duckdb

        tmp = tempfile.mkdtemp(prefix="bench_did_")
        con = duckdb.connect(os.path.join(tmp, "panel.duckdb"))
        con.execute(f"SET memory_limit = '{duckdb_memory}'")
        con.execute(f"SET temp_directory = '{tmp}'")
        t0 = time.perf_counter()
        con.execute(f"CREATE TABLE panel AS {simulate_staggered_sql(units, n_periods=periods)}")
        gen = time.perf_counter() - t0
        data: Any = None
    else:
        data = simulate_staggered(units, n_periods=periods, cohorts=cohorts, seed=1)
        gen = 0.0
        tmp = ""
    rss_before = _status_kib("VmRSS")
    _reset_peak()
    t0 = time.perf_counter()
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink):
        if tool == "ours":
            r = att_gt(data, **KW)
            r.aggregate("simple").tidy()
            r.aggregate("dynamic").tidy()
        elif tool == "ours_dr":
            r = att_gt(data, **KW, covariates=("x",), method="dr")
            r.aggregate("simple").tidy()
            r.aggregate("dynamic").tidy()
        elif tool == "ours_duckdb":
            assert con is not None
            r = att_gt(con.table("panel"), **KW)
            r.aggregate("simple").tidy()
            r.aggregate("dynamic").tidy()
        elif tool == "floor":
            _floor(data)
        elif tool in ("csdid", "csdid_dr"):
            from csdid.att_gt import ATTgt

            kw: dict[str, Any] = {"xformla": "y~x"} if tool == "csdid_dr" else {}
            fit = ATTgt(
                yname="y", gname="cohort", idname="unit", tname="time", data=data, **kw
            ).fit(est_method="dr" if tool == "csdid_dr" else "reg", bstrap=False)
            fit.aggte(typec="simple", bstrap=False)
            fit.aggte(typec="dynamic", bstrap=False)
        elif tool == "differences":
            from differences import ATTgt as DAttgt

            d = data.assign(cohort=data["cohort"].where(data["cohort"] > 0))
            att = DAttgt(data=d.set_index(["unit", "time"]), cohort_column="cohort")
            att.fit(formula="y", est_method="reg", progress_bar=False)
            att.aggregate("simple")
            att.aggregate("event", overall=True)
        else:
            raise SystemExit(f"unknown tool {tool}")
    seconds = time.perf_counter() - t0
    peak = _status_kib("VmHWM")
    if con is not None:
        con.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return {
        "tool": tool,
        "units": units,
        "rows": units * periods,
        "seconds": seconds,
        "generate_seconds": gen,
        "peak_rss_mib": peak / 1024,
        "peak_increment_mib": max(peak - rss_before, 0) / 1024,
    }


def _run(tool: str, units: int, periods: int, timeout: float, mem: str) -> dict[str, Any]:
    peer = {"csdid": "csdid", "csdid_dr": "csdid", "differences": "differences"}.get(tool)
    if peer and importlib.util.find_spec(peer) is None:
        return {"tool": tool, "units": units, "status": f"skipped ({peer} not installed)"}
    cmd = [
        sys.executable,
        __file__,
        "--worker",
        tool,
        "--units",
        str(units),
        "--periods",
        str(periods),
        "--duckdb-memory",
        mem,
    ]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {
            "tool": tool,
            "units": units,
            "status": f"timeout > {timeout:.0f}s",
            "seconds": timeout,
        }
    if out.returncode != 0:
        tail = (out.stderr.strip().splitlines() or ["?"])[-1]
        return {"tool": tool, "units": units, "status": f"failed: {tail[:120]}"}
    res = dict(json.loads(out.stdout.strip().splitlines()[-1]))
    res["status"] = "ok"
    return res


def _print(rows: list[dict[str, Any]]) -> None:
    print(
        f"{'tool':<13}{'units':>10}{'rows':>13}{'seconds':>10}{'rows/s':>13}"
        f"{'peak MiB':>10}{'est. MiB':>10}{'gen. s':>9}  status"
    )
    for r in rows:
        if r.get("status") == "ok":
            print(
                f"{r['tool']:<13}{r['units']:>10,}{r['rows']:>13,}{r['seconds']:>10.2f}"
                f"{r['rows'] / r['seconds']:>13,.0f}{r['peak_rss_mib']:>10.0f}"
                f"{r['peak_increment_mib']:>10.0f}{r.get('generate_seconds', 0.0):>9.1f}  ok"
            )
        else:
            print(
                f"{r['tool']:<13}{r['units']:>10,}{'':>13}{'':>10}{'':>13}{'':>10}{'':>10}"
                f"  {r['status']}"
            )


def _ratios(rows: list[dict[str, Any]]) -> None:
    by = {(r["tool"], r["units"]): r for r in rows}
    print("\nratios (peer seconds / ours seconds; ours / floor):")
    for units in sorted({r["units"] for r in rows}):
        for mine, other in (("ours", "csdid"), ("ours", "differences"), ("ours_dr", "csdid_dr")):
            a, b = by.get((mine, units)), by.get((other, units))
            if not a or not b or a.get("status") != "ok":
                continue
            if b.get("status") == "ok":
                print(
                    f"  {units:>10,} units: {other:<12} / {mine:<8} = "
                    f"{b['seconds'] / a['seconds']:8.1f}x faster; peak memory "
                    f"{b['peak_increment_mib']:.0f} vs {a['peak_increment_mib']:.0f} MiB"
                )
            elif str(b.get("status", "")).startswith("timeout"):
                print(
                    f"  {units:>10,} units: {other:<12} / {mine:<8} > "
                    f"{b['seconds'] / a['seconds']:8.1f}x faster (peer timed out)"
                )
        a, f = by.get(("ours", units)), by.get(("floor", units))
        if a and f and a.get("status") == "ok" and f.get("status") == "ok":
            print(f"  {units:>10,} units: ours / numpy floor = {a['seconds'] / f['seconds']:.2f}x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--periods", type=int, default=24)
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds per measurement")
    ap.add_argument(
        "--peers",
        nargs="*",
        default=None,
        help="tools to run (default: all); '--peers' alone runs ours only",
    )
    ap.add_argument(
        "--duckdb-units",
        type=int,
        nargs="*",
        default=[],
        help="also run the DuckDB (out-of-core) path at these sizes",
    )
    ap.add_argument("--duckdb-memory", default="8GB", help="DuckDB memory_limit")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        res = _worker(args.worker, args.units[0], args.periods, args.duckdb_memory)
        print(json.dumps(res))
        return
    tools = [*TOOLS_NOCOV, *TOOLS_COV]
    if args.peers is not None:
        tools = ["ours", "floor", "ours_dr", *args.peers]
    rows = []
    for units in args.units:
        for tool in tools:
            rows.append(_run(tool, units, args.periods, args.timeout, args.duckdb_memory))
            print(f"  ... {tool} at {units:,} units: {rows[-1].get('status')}", flush=True)
    for units in args.duckdb_units:
        rows.append(_run("ours_duckdb", units, args.periods, args.timeout, args.duckdb_memory))
    print()
    _print(rows)
    _ratios(rows)


if __name__ == "__main__":
    main()
