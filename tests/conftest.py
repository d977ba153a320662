"""Shared fixtures: a headless Chromium driven by Selenium (one per test session).

The browser is Debian's ``chromium`` with its ``chromium-driver`` (``.ci/run`` installs
both). Selenium never goes to the network: the driver path is given, and
``SE_AVOID_STATS`` keeps Selenium Manager from sending statistics. A missing browser fails
the test that asks for it, with the command that installs it; it is never skipped.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

#: Where Debian's ``chromium-driver`` puts the driver.
CHROMEDRIVER = "/usr/bin/chromedriver"
INSTALL_HINT = (
    "apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium chromium-driver"
)


def _executable(*names: str) -> str | None:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """A headless Chromium WebDriver for the whole session (quit at its end).

    Open a page with ``browser.get(path.resolve().as_uri())``.
    """
    os.environ["SE_AVOID_STATS"] = "true"
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.options import Options
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.fail("selenium is missing: pip install -e '.[test]'")
    chromium = _executable("chromium", "chromium-browser")
    driver_path = _executable("chromedriver") or (
        CHROMEDRIVER if Path(CHROMEDRIVER).exists() else None
    )
    if chromium is None or driver_path is None:
        pytest.fail(f"headless Chromium or its driver is missing: {INSTALL_HINT}")
    with tempfile.TemporaryDirectory(prefix="pilot-eval-chromium-") as profile:
        options = Options()
        options.binary_location = chromium
        for arg in (
            "--headless=new",
            "--no-sandbox",
            "--disable-dev-shm-usage",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--window-size=1280,2000",
        ):
            options.add_argument(arg)
        driver = _start_chrome(webdriver, lambda: Service(driver_path), options)
        driver.set_page_load_timeout(60)
        try:
            yield driver
        finally:
            driver.quit()


#: Attempts to start Chromium: on a loaded 2-core machine its first start can time out.
CHROME_START_ATTEMPTS = 3


def _start_chrome(webdriver: Any, service: Callable[[], Any], options: Any) -> Any:
    """A Chrome session, retried when the browser is slow to start (load, not a bug)."""
    from selenium.common.exceptions import WebDriverException

    for attempt in range(1, CHROME_START_ATTEMPTS + 1):
        try:
            return webdriver.Chrome(service=service(), options=options)
        except WebDriverException:
            if attempt == CHROME_START_ATTEMPTS:
                raise
            time.sleep(2.0 * attempt)
    raise AssertionError("unreachable")


def _log_tables(log: Any) -> dict[str, tuple[list[list[str]], bool]]:
    """Each count table of a disclosure log as a grid of cell ids (totals last)."""
    tables: dict[str, tuple[list[list[str]], bool]] = {}
    counts = log[log["rule"].isin(["shown", "zero", "primary", "secondary", "linked"])]
    for name, sub in counts.groupby("table", sort=False):
        rows = list(dict.fromkeys(sub["row"].astype(str)))
        cols = list(dict.fromkeys(sub["column"].astype(str)))
        grid = [["" for _ in cols] for _ in rows]
        for r, c, cid in zip(
            sub["row"].astype(str), sub["column"].astype(str), sub["cell"], strict=True
        ):
            grid[rows.index(r)][cols.index(c)] = str(cid)
        tables[str(name)] = (grid, len(cols) == 1)
    return tables


def _equations(grid: list[list[str]], one_column: bool) -> list[list[str]]:
    cols = [[row[j] for row in grid] for j in range(len(grid[0]))]
    return cols if one_column else [list(r) for r in grid] + cols


def _ranges(
    equations: list[list[str]],
    value: dict[str, float],
    hidden: set[str],
    primary: set[str],
    threshold: int,
    targets: list[str],
) -> dict[str, tuple[float, float]]:
    import numpy as np
    from scipy.optimize import linprog

    free = sorted(hidden)
    col = {c: k for k, c in enumerate(free)}
    a, b = [], []
    for eq in equations:
        coef, known = np.zeros(len(free)), 0.0
        for k, cid in enumerate(eq):
            sign = -1.0 if k == len(eq) - 1 else 1.0
            if cid in col:
                coef[col[cid]] += sign
            else:
                known += sign * value[cid]
        a.append(coef)
        b.append(-known)
    bounds = [(1, threshold - 1) if c in primary else (0, None) for c in free]
    out = {}
    for cid in targets:
        obj = np.zeros(len(free))
        obj[col[cid]] = 1.0
        lo = linprog(obj, A_eq=np.array(a), b_eq=b, bounds=bounds, method="highs")
        hi = linprog(-obj, A_eq=np.array(a), b_eq=b, bounds=bounds, method="highs")
        out[cid] = (round(lo.fun), np.inf if hi.status == 3 else round(-hi.fun))
    return out


def attack_log(log: Any) -> list[str]:
    """An independent LP attacker on a disclosure log (scipy's linprog, not the
    toolkit's audit): every table, tables that share cells together. Returns the primary
    cells it narrows beyond what the markers alone allow (each table alone with every
    other cell hidden but a grand total of at least ``threshold``)."""
    threshold = int(log["threshold"].iloc[0])
    value = {str(c): float(n) for c, n in zip(log["cell"], log["n"], strict=True)}
    hidden = {str(c) for c, s in zip(log["cell"], log["status"], strict=True) if s == "hidden"}
    primary = {str(c) for c, r in zip(log["cell"], log["rule"], strict=True) if r == "primary"}
    tables = _log_tables(log)
    groups: list[tuple[set[str], list[str]]] = []
    for name, (grid, _) in tables.items():
        ids = {c for row in grid for c in row}
        hits = [g for g in groups if g[0] & ids]
        groups = [g for g in groups if g not in hits]
        groups.append((ids.union(*(g[0] for g in hits)), [n for g in hits for n in g[1]] + [name]))
    found = []
    for ids, names in groups:
        eqs = [e for n in names for e in _equations(*tables[n])]
        targets = sorted(ids & hidden & primary)
        joint = _ranges(eqs, value, ids & hidden, primary, threshold, targets)
        for cid in targets:
            if joint[cid] == (1, threshold - 1):
                continue
            owner = next(n for n in names if any(cid in row for row in tables[n][0]))
            grid, one = tables[owner]
            cells = {c for row in grid for c in row}
            grand = grid[-1][-1]
            floor_hidden = cells - ({grand} if value[grand] >= threshold else set())
            floor = _ranges(_equations(grid, one), value, floor_hidden, primary, threshold, [cid])
            if joint[cid][0] > floor[cid][0] or joint[cid][1] < floor[cid][1]:
                found.append(f"{owner} {cid}: {joint[cid]} (markers: {floor[cid]})")
    return found


@pytest.fixture(scope="session")
def lp_attacker() -> Any:
    """:func:`attack_log`: the primary cells an LP attacker recovers from a disclosure log."""
    return attack_log


#: Work-ability answers written by hand (issue 20, first vs latest answer; seed ``001_…``
#: l.4900-4902): (client: 0 first / 1 second of the workbook, days after entry, wave,
#: answer). The first client answers 2 -> 4 -> 7, the second 5 -> 6.
HAND_FOLLOW_UPS = (
    (0, 0, "baseline", 2),
    (0, 60, "follow_up", 4),
    (0, 240, "follow_up", 7),
    (1, 0, "baseline", 5),
    (1, 150, "follow_up", 6),
)


@pytest.fixture
def with_hand_follow_ups() -> Any:
    """A function giving a self-evaluation whose self-assessment sheet holds only
    :data:`HAND_FOLLOW_UPS` (other items as in the evaluation's first answer)."""
    import dataclasses
    import datetime as dt

    def apply(ev: Any) -> Any:
        clients = ev.records["clients"]
        template = dict(ev.records["self_assessment"][0])
        rows = tuple(
            {
                **template,
                "client_id": clients[k]["client_id"],
                "wave": wave,
                "date": clients[k]["entry_date"] + dt.timedelta(days=days),
                "work_ability": value,
            }
            for k, days, wave, value in HAND_FOLLOW_UPS
        )
        return dataclasses.replace(ev, records={**ev.records, "self_assessment": rows})

    return apply
