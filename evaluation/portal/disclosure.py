"""Disclosure logs of rendered report sets (evaluators) and the tables funders get.

A report set is a folder holding ``disclosure.csv``, the output-checking log every
rendering writes beside its reports, and ``published/``, the tidy tables as the reports
publish them (:mod:`evaluation.reporting.ledger`). The portal re-audits each log
(:func:`evaluation.reporting.ledger.audit_log`, the check of ``pilot-eval disclosure
audit``) and

* shows evaluators what was hidden and why (:func:`log_view`). **It never shows the true
  count behind a hidden cell or number**: the log holds them (the evaluator's re-audit
  needs them), but a page is easily printed, pasted or photographed, and nothing on it
  needs them. A hidden cell shows its published marker (``<5``, ``*``), the rule that hid
  it, and the range an attacker can narrow it to from everything published; shown cells
  show their published count. The log file itself stays downloadable by evaluators from
  the report folder (audit-logged);
* offers funders only what a report set whose log passes the re-audit publishes
  (:func:`funder_files`): its comparison reports and its ``published/`` tables, each
  table written with the log (not after it), with no count under the threshold and, for
  the count table, every cell exactly as the log says it is published.
  Nothing else of the folder, whatever its name.
"""

from __future__ import annotations

import fnmatch
import functools
import math
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from evaluation.errors import PilotEvalError, Problem
from evaluation.portal.files import report_files
from evaluation.reporting.disclosure import DEFAULT_THRESHOLD
from evaluation.reporting.ledger import (
    COUNT_RULES,
    LEDGER_FILE,
    PUBLISHED_COUNTS,
    PUBLISHED_DIR,
    audit_log,
    period_label,
    small,
)
from evaluation.reporting.tables_io import read_csv

#: Comparison reports, by name, in a report set's folder (the demo's and the CLI's names).
COMPARISON_PATTERNS = ("compare*", "vertailu*", "jamforelse*")
#: File types of comparison reports funders may open.
REPORT_SUFFIXES = (".html", ".pdf")
#: Columns of published tables that hold counts of persons (each published table's, as the
#: ledger declares them once; every published table is checked on all of them).
COUNT_COLUMNS = tuple(dict.fromkeys(c for cols in PUBLISHED_COUNTS.values() for c in cols))
#: Rules of hidden count cells whose marker is ``*`` (the others show ``<threshold``).
STAR_RULES = ("secondary", "linked")


@dataclass(frozen=True)
class HiddenEntry:
    """A hidden cell or number as the evaluator's page shows it (no true count); ``cell``
    is the log's cell id, an entry month as ``YYYY-MM``."""

    table: str
    cell: str
    marker: str
    rule: str
    audited: str


@dataclass(frozen=True)
class TableSummary:
    """How many cells or numbers of one table of the log are shown and hidden, by rule."""

    table: str
    entries: int
    shown: int
    primary: int
    secondary: int
    other_hidden: int


@dataclass(frozen=True)
class LogView:
    """One report set's disclosure log as the evaluator's page shows it."""

    name: str
    threshold: int
    problems: tuple[Problem, ...]
    tables: tuple[TableSummary, ...]
    hidden: tuple[HiddenEntry, ...]

    @property
    def passed(self) -> bool:
        """Whether the log passes the re-audit."""
        return not self.problems


def log_sets(folder: Path | None) -> tuple[str, ...]:
    """Report sets under ``folder``: the relative folders holding ``disclosure.csv``
    (``"."`` for ``folder`` itself), sorted."""
    if folder is None:
        return ()
    logs = [n for n in report_files(folder, (".csv",)) if n.rsplit("/", 1)[-1] == LEDGER_FILE]
    return tuple(sorted(n.rpartition("/")[0] or "." for n in logs))


def _stamp(path: Path) -> tuple[str, int, int]:
    st = path.stat()
    return str(path.resolve()), st.st_mtime_ns, st.st_size


@functools.lru_cache(maxsize=64)
def _audit(path: str, mtime_ns: int, size: int) -> tuple[Problem, ...]:
    try:
        return tuple(audit_log(path))
    except PilotEvalError as exc:
        return (Problem(path, exc.what, exc.fix),)


def audit(folder: Path) -> tuple[Problem, ...]:
    """The re-audit of ``folder/disclosure.csv`` (no problems: passed); cached per file
    version."""
    return _audit(*_stamp(folder / LEDGER_FILE))


def _marker(rule: str, threshold: int) -> str:
    return "*" if rule in STAR_RULES else f"<{threshold}"


def _number(value: object) -> float:
    """A log field as a number (``nan`` when empty)."""
    try:
        return float(str(value))
    except ValueError:
        return math.nan


def _range(low: object, high: object) -> str:
    lo, hi = _number(low), _number(high)
    if math.isnan(lo):
        return ""
    return f"{lo:g}–{hi:g}" if not math.isnan(hi) else f"≥ {lo:g}"


def _summary(table: str, rows: pd.DataFrame) -> TableSummary:
    hidden = rows["status"] == "hidden"
    primary = int((hidden & (rows["rule"] == "primary")).sum())
    secondary = int((hidden & rows["rule"].isin(STAR_RULES)).sum())
    return TableSummary(
        table,
        len(rows),
        int((~hidden).sum()),
        primary,
        secondary,
        int(hidden.sum()) - primary - secondary,
    )


def _threshold(log: pd.DataFrame) -> int:
    return int(log["threshold"].iloc[0]) if len(log) else DEFAULT_THRESHOLD


def _cell_label(cell: str) -> str:
    """A cell as the page shows it: an entry month (a month index) as ``YYYY-MM``."""
    return period_label(int(cell)) if re.fullmatch(r"-?[0-9]+", cell) else cell


def _hidden(log: pd.DataFrame, threshold: int) -> tuple[HiddenEntry, ...]:
    rows = log[log["status"] == "hidden"]
    return tuple(
        HiddenEntry(str(r.table), _cell_label(str(r.cell)), _marker(str(r.rule), threshold),
                    str(r.rule), _range(r.audited_low, r.audited_high))
        for r in rows.itertuples(index=False)
    )  # fmt: skip


def log_view(folder: Path, name: str) -> LogView:
    """``folder``'s disclosure log for the evaluator's page (see the module docstring)."""
    log = read_csv(folder / LEDGER_FILE)
    log["rule"] = log["rule"].astype(str)
    threshold = _threshold(log)
    tables = tuple(
        _summary(str(t), rows) for t, rows in log.groupby("table", sort=False, dropna=False)
    )
    return LogView(name, threshold, audit(folder), tables, _hidden(log, threshold))


def _no_small_count(frame: pd.DataFrame, threshold: int) -> bool:
    """Whether no count column of a published table holds ``0 < n < threshold``."""
    for column in (c for c in COUNT_COLUMNS if c in frame.columns):
        values = pd.to_numeric(frame[column], errors="coerce").dropna()
        if any(small(float(v), threshold) for v in values if math.isfinite(v)):
            return False
    return True


def _key(value: object) -> str:
    """A CSV field as text (``3.0`` read as a number and ``3`` as text agree)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _agrees_with_log(frame: pd.DataFrame, log: pd.DataFrame, threshold: int) -> bool:
    """Whether every cell of a published count table (``table, row, column, value``) is
    what the log says is published: the count if shown, its marker if hidden."""
    keys = ["table", "row", "column"]
    if not {*keys, "value"} <= set(frame.columns):
        return True  # not a count table
    counts = log[log["rule"].isin(COUNT_RULES)]
    published = {
        (_key(r.table), _key(r.row), _key(r.column)): (
            _key(float(str(r.n))) if r.status == "shown" else _marker(str(r.rule), threshold)
        )
        for r in counts.itertuples(index=False)
    }
    rows = zip(frame["table"], frame["row"], frame["column"], frame["value"], strict=True)
    return all(published.get((_key(t), _key(r), _key(c))) == _key(v) for t, r, c, v in rows)


@functools.lru_cache(maxsize=256)
def _table_ok(table: tuple[str, int, int], log_file: tuple[str, int, int]) -> bool:
    """Whether a published table (path, mtime, size) goes with its log: written with it or
    before it, no count under the threshold, every count cell as the log publishes it."""
    if table[1] > log_file[1]:
        return False
    frame, log = read_csv(Path(table[0])), read_csv(Path(log_file[0]))
    threshold = _threshold(log)
    return _no_small_count(frame, threshold) and _agrees_with_log(frame, log, threshold)


def _comparison(local: str) -> bool:
    """Whether ``local`` (relative to a report set) is one of its comparison reports."""
    return (
        "/" not in local
        and local.endswith(REPORT_SUFFIXES)
        and any(fnmatch.fnmatch(local, p) for p in COMPARISON_PATTERNS)
    )


def _published(local: str) -> bool:
    """Whether ``local`` (relative to a report set) is a table of its ``published/``."""
    folder, _, base = local.partition("/")
    return folder == PUBLISHED_DIR and "/" not in base and base.endswith(".csv")


def _set_files(root: Path, rel: str, files: tuple[str, ...]) -> list[str]:
    """What funders get of one report set whose log passed the re-audit."""
    folder = root / rel
    prefix = "" if rel == "." else f"{rel}/"
    log_file = _stamp(folder / LEDGER_FILE)
    out = []
    for name in files:
        if not name.startswith(prefix):
            continue
        local = name[len(prefix) :]
        if _comparison(local) or (_published(local) and _table_ok(_stamp(root / name), log_file)):
            out.append(name)
    return out


def funder_files(folder: Path | None) -> tuple[str, ...]:
    """The files of the report folder funders may open (see the module docstring)."""
    if folder is None:
        return ()
    files = report_files(folder)
    out: list[str] = []
    for rel in log_sets(folder):
        if not audit(folder / rel):
            out.extend(_set_files(folder, rel, files))
    return tuple(sorted(set(out)))
