"""Benchmark: the web portal under a bounded loopback load (uploads and page views at once).

Starts the real portal (uvicorn on 127.0.0.1, a free port) on a temporary store, logs in one
staff account per synthetic pilot and an evaluator, then sends ``--uploads`` workbooks from
as many threads at once (half with mistakes, half clean, all distinct) while ``--views``
page views (pilot pages, indicator charts, submission pages, the evaluator's list) run from
``--view-threads`` threads. Checks that every request succeeded and that every upload is in
the store (none lost, versions 1..n per pilot and period), then prints median and p95
latencies. Stops by itself; nothing leaves the machine.

Usage: ``python benchmarks/bench_portal.py [--uploads 20] [--views 200] [--view-threads 8]``
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from evaluation.portal import PortalConfig, UserStore, running_portal, users_path
from evaluation.store import SubmissionStore, generate_key_file
from evaluation.synthetic.filled_workbooks import (
    FLAWED_PILOT,
    filled_evaluation,
    write_filled_workbooks,
)
from evaluation.synthetic.ote4 import OTE4_PILOTS
from evaluation.workbook.writer import write_workbook

PASSWORD = "benchmark password"
CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')


def _workbooks(folder: Path, n: int) -> list[tuple[str, Path]]:
    """``n`` distinct workbooks: (pilot, path), every other one with mistakes."""
    clean = [p.name for p in OTE4_PILOTS if p.name != FLAWED_PILOT]
    out: list[tuple[str, Path]] = []
    for k in range(n):
        if k % 2:
            paths = write_filled_workbooks(folder / f"flawed{k}", seed=100 + k)
            out.append((FLAWED_PILOT, next(p for p in paths if "savon" in p.name)))
        else:
            pilot = clean[(k // 2) % len(clean)]
            ev = filled_evaluation(pilot, seed=100 + k)
            out.append((pilot, write_workbook(ev, folder / f"clean{k}.xlsx")))
    return out


def _login(url: str, email: str) -> requests.Session:
    s = requests.Session()
    token = CSRF.search(s.get(f"{url}/login").text)
    assert token is not None
    r = s.post(
        f"{url}/login",
        data={"csrf": token.group(1), "email": email, "password": PASSWORD},
        allow_redirects=False,
    )
    if r.status_code != 303:
        raise SystemExit(f"login of {email} failed: {r.status_code}")
    return s


def _upload(url: str, s: requests.Session, path: Path) -> tuple[float, int]:
    token = CSRF.search(s.get(f"{url}/pilot").text)
    assert token is not None
    t0 = time.perf_counter()
    with path.open("rb") as fh:
        r = s.post(
            f"{url}/pilot/upload",
            data={"csrf": token.group(1)},
            files={"workbook": (path.name, fh)},
            allow_redirects=False,
        )
    return time.perf_counter() - t0, r.status_code


def _view(s: requests.Session, url: str) -> tuple[float, int]:
    t0 = time.perf_counter()
    r = s.get(url, allow_redirects=False)
    return time.perf_counter() - t0, r.status_code


def _p95(xs: list[float]) -> float:
    return statistics.quantiles(xs, n=20)[-1] if len(xs) > 1 else xs[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--uploads", type=int, default=20)
    parser.add_argument("--views", type=int, default=200)
    parser.add_argument("--view-threads", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-portal-") as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        books = _workbooks(root / "in", args.uploads)
        key = generate_key_file(root / "keys" / "k.key")
        store = SubmissionStore(root / "store" / "submissions.duckdb")
        users = UserStore(users_path(store.path))
        emails = {}
        for k, pilot in enumerate(sorted({p for p, _ in books})):
            emails[pilot] = f"pilot{k}@bench.invalid"
            users.set_password(users.add(emails[pilot], role="pilot", pilot=pilot).token, PASSWORD)
        users.set_password(users.add("eva@bench.invalid", role="evaluator").token, PASSWORD)
        print(f"{len(books)} workbooks written in {time.perf_counter() - t0:.1f} s")
        config = PortalConfig(store.path, key, secure_cookies=False)
        with running_portal(config) as url:
            sessions = {p: _login(url, e) for p, e in emails.items()}
            eva = _login(url, "eva@bench.invalid")
            pages = [
                (sessions[p], f"{url}{path}")
                for p in sessions
                for path in ("/pilot", "/pilot/indicators.svg")
            ]
            pages.append((eva, f"{url}/evaluator"))
            t0 = time.perf_counter()
            with (
                ThreadPoolExecutor(args.uploads) as up,
                ThreadPoolExecutor(args.view_threads) as view,
            ):
                uploads = [up.submit(_upload, url, sessions[p], path) for p, path in books]
                views = [view.submit(_view, *pages[k % len(pages)]) for k in range(args.views)]
                up_res = [f.result() for f in uploads]
                view_res = [f.result() for f in views]
            wall = time.perf_counter() - t0
        frame = store.submissions()
    bad = [c for _, c in up_res if c != 303] + [c for _, c in view_res if c != 200]
    versions = frame.groupby(["pilot", "period"])["version"].apply(sorted)
    gapless = all(list(v) == list(range(1, len(v) + 1)) for v in versions)
    up_t = [t for t, _ in up_res]
    view_t = [t for t, _ in view_res]
    print(
        f"wall time {wall:.1f} s; stored {len(frame)} of {len(books)} uploads; "
        f"versions gapless: {gapless}; failed requests: {len(bad)} {sorted(set(bad))}"
    )
    print(
        f"uploads    n={len(up_t):4d}  median {statistics.median(up_t):7.2f} s  "
        f"p95 {_p95(up_t):7.2f} s"
    )
    print(
        f"page views n={len(view_t):4d}  median {statistics.median(view_t):7.3f} s  "
        f"p95 {_p95(view_t):7.3f} s"
    )
    if bad or len(frame) != len(books) or not gapless:
        raise SystemExit("FAILED: a request failed or a submission was lost")


if __name__ == "__main__":
    main()
