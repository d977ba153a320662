"""One disclosure ledger per report set, its output-checking log and its re-audit.

:func:`build_ledger` reads a results folder once and decides, for every number the
reports of that folder can publish, whether it is shown: the count tables (cohort sizes by
entry month and pilot, the sample flows, destinations, reach, the pilots' timelines), and
the estimates, shares and means with the number of persons each rests on. The pilot,
impact and comparison reports (in every language), the demo's index page and the
published tidy tables all take their decisions from it, so the same cell gets the same
treatment in every output.

Rules (``threshold`` is 5 unless set):

- *Counts*: a cell with ``0 < n < threshold`` is hidden (primary, ``<5``); more cells are
  hidden (secondary, ``*``) until the attacker's linear programs over everything shown
  learn nothing beyond the markers (:func:`evaluation.disclosure.protect`).
- *Linked tables*: a count printed in two tables is one cell (one id, one decision), and
  tables that share cells are audited together (:func:`evaluation.disclosure.linked.
  joint_ranges`); a sample flow's total is hidden when it would reveal a hidden margin.
- *Estimates, shares and means*: hidden when the smallest group of persons behind them
  (treated persons, a share's numerator or denominator, respondents) is ``0 < n <
  threshold``; a hidden estimate is left out of pooled results and figures too.

:meth:`Ledger.to_frame` is the output-checking log (``disclosure.csv``: table, cell, n,
rule, status, audited range); :func:`audit_log` re-audits such a log without the results.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from evaluation.disclosure import FeasibleRanges, feasible_ranges, protect
from evaluation.disclosure.linked import LinkedTable, joint_ranges
from evaluation.errors import InputDataError, Problem, ProblemsFound, ReportError
from evaluation.reporting.disclosure import (
    DEFAULT_THRESHOLD,
    TOTAL_LABEL,
    SuppressedTable,
)
from evaluation.reporting.impact_results import read_table
from evaluation.reporting.register_results import (
    NEED_MEAN,
    NEED_POPULATION_TABLE,
    NEED_SHARE,
    NEED_TABLE,
    TRAJECTORY_GROUPS_TABLE,
    need_cell,
    need_population_counts,
    need_rows,
    published_need,
    published_register_outcomes,
    published_trajectory_groups,
    register_outcome_cells,
    trajectory_group_counts,
)
from evaluation.reporting.results import DESTINATIONS
from evaluation.reporting.tables_io import read_csv, write_csv
from evaluation.safe_io import output_folder
from evaluation.tables import DESIGN_SECTION, TABLES, canonical_design, upgrade_effects

#: File name of the output-checking log beside a report set.
LEDGER_FILE = "disclosure.csv"
#: Folder of the published tidy tables beside a report set.
PUBLISHED_DIR = "published"
#: Columns of the log.
#: Columns of the disclosure log (the registry's ``disclosure`` table).
LOG_COLUMNS = TABLES["disclosure"].names
#: Rules of count cells (the others are ``estimate``, ``share``, ``mean``, ``count``).
COUNT_RULES = ("shown", "zero", "primary", "secondary", "linked")
#: Column label of one-column count tables.
N_COLUMN = "n"
#: Columns of each published table (``published/<name>.csv``) that hold counts of persons,
#: published as the count tables publish them (a count, ``<threshold`` or ``*``).
PUBLISHED_COUNTS: dict[str, tuple[str, ...]] = {
    "counts": ("value",),
    "effects": ("n_treated", "n_control"),
    "indicators": ("n",),
    "register_outcomes": ("n_persons",),
    "trajectory_groups": ("persons",),
    "need_indicators": ("population", "recipients"),
}


class DisclosureAuditError(ProblemsFound):
    """A rendered report set whose disclosure log fails the re-audit."""


def small(n: float, threshold: int) -> bool:
    """Whether a group of ``n`` persons is too small to publish (``0 < n < threshold``)."""
    return bool(0 < n < threshold)


def period_label(value: float | int) -> str:
    """A month index (``year * 12 + month - 1``) as ``YYYY-MM``; other values as is."""
    v = int(value)
    if v > 12 * 1900:
        y, m = divmod(v, 12)
        return f"{y}-{m + 1:02d}"
    return str(v)


@dataclass(frozen=True)
class CountTable:
    """A published count table: labels, cell ids, true counts and each cell's status.

    The last row (and, with two or more columns, the last column) holds the totals.
    ``status`` is ``""`` (shown), ``"primary"``, ``"secondary"`` or ``"linked"`` (hidden
    because a linked table would reveal a hidden cell through it).
    """

    name: str
    rows: tuple[str, ...]
    columns: tuple[str, ...]
    cells: np.ndarray
    values: np.ndarray
    status: np.ndarray

    def linked(self) -> LinkedTable:
        """The table as the linked-table audit reads it."""
        return LinkedTable(self.cells, self.values, self.status != "", self.status == "primary")

    def suppressed(self, threshold: int, total_label: str = TOTAL_LABEL) -> SuppressedTable:
        """The table as a :class:`SuppressedTable` (``linked`` shown as secondary)."""
        rows = [total_label if r == TOTAL_LABEL else r for r in self.rows]
        cols = [total_label if c == TOTAL_LABEL else c for c in self.columns]
        status = np.where(self.status == "linked", "secondary", self.status)
        return SuppressedTable(
            counts=pd.DataFrame(self.values, index=rows, columns=cols),
            status=pd.DataFrame(status, index=rows, columns=cols),
            threshold=threshold,
            primary_marker=f"<{threshold}",
            secondary_marker="*",
        )


def _marker(status: str, n: int, threshold: int) -> str:
    if status == "primary":
        return f"<{threshold}"
    return "*" if status else str(int(n))


@dataclass(frozen=True)
class Entry:
    """A published estimate, share, mean or lone count and the persons it rests on."""

    table: str
    cell: str
    n: int
    rule: str
    shown: bool


@dataclass(frozen=True)
class Ledger:
    """Every disclosure decision of one report set (see the module docstring)."""

    threshold: int
    tables: tuple[CountTable, ...]
    entries: tuple[Entry, ...]
    ranges: Mapping[str, tuple[float, float]]
    results_dir: Path

    @functools.cached_property
    def _by_name(self) -> dict[str, CountTable]:
        return {t.name: t for t in self.tables}

    @functools.cached_property
    def _cells(self) -> dict[str, tuple[int, str]]:
        out: dict[str, tuple[int, str]] = {}
        for tab in self.tables:
            for idx in np.ndindex(tab.cells.shape):
                out.setdefault(str(tab.cells[idx]), (int(tab.values[idx]), str(tab.status[idx])))
        return out

    @functools.cached_property
    def _entries(self) -> dict[tuple[str, str], Entry]:
        return {(e.table, e.cell): e for e in self.entries}

    def table(self, name: str) -> CountTable | None:
        """The count table ``name`` (``None`` when the results have none)."""
        return self._by_name.get(name)

    def display(self, name: str, *, total_label: str = TOTAL_LABEL) -> pd.DataFrame:
        """Count table ``name`` as strings: counts, ``<threshold`` and ``*``."""
        tab = self._by_name[name]
        text = [
            [_marker(str(s), int(v), self.threshold) for s, v in zip(sr, vr, strict=True)]
            for sr, vr in zip(tab.status, tab.values, strict=True)
        ]
        rows = [total_label if r == TOTAL_LABEL else r for r in tab.rows]
        cols = [total_label if c == TOTAL_LABEL else c for c in tab.columns]
        return pd.DataFrame(text, index=rows, columns=cols, dtype=object)

    def cell_text(self, cell: str, n: float) -> str:
        """A count as published: the ledger's decision for ``cell``, else the primary rule."""
        found = self._cells.get(cell)
        if found is not None:
            return _marker(found[1], found[0], self.threshold)
        entry = self._entries.get(("counts", cell))
        if entry is not None and not entry.shown:
            return f"<{self.threshold}"
        return f"<{self.threshold}" if small(n, self.threshold) else str(int(n))

    def cell_shown(self, cell: str, n: float) -> bool:
        """Whether a count is published as a number."""
        return self.cell_text(cell, n).isdigit()

    def shows(self, table: str, cell: str, n: float) -> bool:
        """Whether an estimate, share or mean of ``table`` may be shown (the ledger's
        entry; an unlisted one by the rule on ``n``)."""
        entry = self._entries.get((table, cell))
        if entry is not None:
            return entry.shown
        return not small(n, self.threshold)

    def to_frame(self) -> pd.DataFrame:
        """The output-checking log: one row per published cell or number."""
        rows: list[tuple[object, ...]] = []
        t = self.threshold
        for tab in self.tables:
            for i, j in np.ndindex(tab.cells.shape):
                cid, n, st = str(tab.cells[i, j]), int(tab.values[i, j]), str(tab.status[i, j])
                rule = st or ("zero" if n == 0 else "shown")
                lo, hi = self.ranges.get(cid, (float(n), float(n)) if not st else (0.0, np.inf))
                rows.append(
                    (tab.name, cid, tab.rows[i], tab.columns[j], n, rule,
                     "hidden" if st else "shown", lo, hi, t)
                )  # fmt: skip
        for e in self.entries:
            status = "shown" if e.shown else "hidden"
            rows.append((e.table, e.cell, "", "", e.n, e.rule, status, np.nan, np.nan, t))
        frame = pd.DataFrame(rows, columns=list(LOG_COLUMNS))
        frame["audited_high"] = frame["audited_high"].replace(np.inf, np.nan)
        return frame

    def write(self, folder: Path | str) -> Path:
        """Write ``disclosure.csv`` into ``folder`` (beside the report set), and the
        published tidy tables into ``folder/published`` (:meth:`published`)."""
        path = output_folder(folder, where="disclosure log folder") / LEDGER_FILE
        tables = output_folder(path.parent / PUBLISHED_DIR, where="published tables folder")
        for name, frame in self.published().items():
            write_csv(frame, tables / f"{name}.csv", where=f"published table {name}.csv")
        return write_csv(self.to_frame(), path, where=f"disclosure log {path}")

    def published(self) -> dict[str, pd.DataFrame]:
        """The tidy tables handed to funders, as the reports publish them.

        ``counts``: every count table (``table, row, column, value``: a count, ``<5`` or
        ``*``); ``effects``: the effects with the estimate, standard error and interval
        empty where they rest on fewer than ``threshold`` treated persons and the person
        counts as published; ``indicators``: the same for the shared indicators; and, when
        the results hold them, ``register_outcomes``, ``trajectory_groups`` and
        ``need_indicators`` with every hidden number empty and every count of persons as
        the count tables publish it (:data:`PUBLISHED_COUNTS`).
        """
        counts = [
            (tab.name, tab.rows[i], tab.columns[j],
             _marker(str(tab.status[i, j]), int(tab.values[i, j]), self.threshold))
            for tab in self.tables
            for i, j in np.ndindex(tab.cells.shape)
        ]  # fmt: skip
        out = {"counts": pd.DataFrame(counts, columns=["table", "row", "column", "value"])}
        if _exists(self.results_dir, "effects"):
            out["effects"] = self._published_effects(_frame(self.results_dir, "effects"))
        if _exists(self.results_dir, "indicators"):
            out["indicators"] = self._published_indicators(_frame(self.results_dir, "indicators"))
        registers = {
            "register_outcomes": published_register_outcomes(self.results_dir, self),
            "trajectory_groups": published_trajectory_groups(self.results_dir, self),
            "need_indicators": published_need(self.results_dir, self),
        }
        return out | {name: frame for name, frame in registers.items() if len(frame)}

    def participants_hidden(self, pilot: str) -> bool:
        """Whether a count table hides ``pilot``'s total (its column total, its row total
        or its one-column row): a count of the pilot's participants published elsewhere
        must then be hidden too."""
        cells = [(TOTAL_LABEL, pilot), (pilot, TOTAL_LABEL), (pilot, N_COLUMN)]
        return any(
            tab.status[tab.rows.index(r), tab.columns.index(c)] != ""
            for tab in self.tables
            for r, c in cells
            if r in tab.rows and c in tab.columns
        )

    def _count_text(self, n: float) -> str:
        return f"<{self.threshold}" if small(n, self.threshold) else str(int(n))

    def _published_effects(self, eff: pd.DataFrame) -> pd.DataFrame:
        eff = eff.copy()
        keys = [
            (str(p), str(o), str(d))
            for p, o, d in zip(eff["pilot"], eff["outcome"], eff["design"], strict=True)
        ]
        hide = [
            not self.shows("effects", effect_key(*k), n)
            for k, n in zip(keys, eff["n_treated"], strict=True)
        ]
        eff.loc[hide, ["estimate", "std_error", "conf_low", "conf_high"]] = np.nan
        eff["n_treated"] = [
            self.cell_text(effect_count_cell(*k), n)
            for k, n in zip(keys, eff["n_treated"], strict=True)
        ]
        eff["n_control"] = [self._count_text(n) for n in eff["n_control"]]
        return eff

    def _published_indicators(self, ind: pd.DataFrame) -> pd.DataFrame:
        ind = ind.copy()
        hide = [
            not self.shows("indicators", f"{p}|{c}", n)
            for p, c, n in zip(ind["pilot"], ind["indicator"], ind["n"], strict=True)
        ]
        ind.loc[hide, ["estimate", "conf_low", "conf_high"]] = np.nan
        ind["n"] = [self._count_text(n) for n in ind["n"]]
        return ind


# --- building -----------------------------------------------------------------------


def _frame(folder: Path, name: str) -> pd.DataFrame:
    parquet = folder / f"{name}.parquet"
    if parquet.exists():
        return pd.read_parquet(parquet)
    return read_table(folder, name)


def _ids(name: str, rows: Iterable[str], cols: Iterable[str]) -> np.ndarray:
    rows, cols = list(rows), list(cols)
    out = np.empty((len(rows), len(cols)), dtype=object)
    for i, r in enumerate(rows):
        for j, c in enumerate(cols):
            out[i, j] = f"{name}[{r}|{c}]"
    return out


def _protected(name: str, wide: pd.DataFrame, threshold: int) -> CountTable:
    """A rows x columns count table with margins, protected (:func:`protect`)."""
    inner = wide.to_numpy(dtype=np.int64)
    full = np.zeros((inner.shape[0] + 1, inner.shape[1] + 1), dtype=np.int64)
    full[:-1, :-1] = inner
    full[:-1, -1] = inner.sum(axis=1)
    full[-1, :] = full[:-1, :].sum(axis=0)
    primary, hidden = protect(full, threshold)
    status = np.where(primary, "primary", np.where(hidden, "secondary", ""))
    rows = (*map(str, wide.index), TOTAL_LABEL)
    cols = (*map(str, wide.columns), TOTAL_LABEL)
    return CountTable(name, rows, cols, _ids(name, rows, cols), full, status.astype(object))


def _column(name: str, labels: list[str], counts: np.ndarray, threshold: int) -> CountTable:
    """A one-column count table with a total row, protected."""
    values = np.asarray(counts, dtype=np.int64)
    full = np.column_stack([values, values])
    full = np.vstack([full, full.sum(axis=0)])
    primary, hidden = protect(full, threshold)
    status = np.where(primary, "primary", np.where(hidden, "secondary", ""))[:, :1]
    rows = (*labels, TOTAL_LABEL)
    return CountTable(
        name, rows, (N_COLUMN,), _ids(name, rows, [N_COLUMN]), full[:, :1], status.astype(object)
    )


def cohort_table_name(outcome: str) -> str:
    """Ledger name of the persons-by-entry-month-and-pilot table of ``outcome``."""
    return f"cohorts:{outcome}"


def flow_table_name(design: str, pilot: str, outcome: str) -> str:
    """Ledger name of a design's sample flow."""
    return f"flow:{design}:{pilot}:{outcome}"


def _did_flow(cohorts: CountTable, pilot: str, outcome: str, rows: pd.DataFrame) -> CountTable:
    """A pilot's DiD sample flow: its cohorts are cells of ``cohorts`` (same ids, same
    status); its total is hidden (``linked``) where it would reveal a hidden margin or a
    hidden row of its own."""
    j = cohorts.columns.index(pilot)
    row_of = {m: i for i, m in enumerate(cohorts.rows)}
    name = flow_table_name("did", pilot, outcome)
    labels, ids, stat = [], [], []
    for step, group in zip(rows["step"], rows["group"], strict=True):
        if step == "cohort":
            i = row_of[period_label(int(group))]
            labels.append(period_label(int(group)))
            ids.append(cohorts.cells[i, j])
            stat.append(str(cohorts.status[i, j]))
        else:
            labels.append(str(step) if step != "comparison" else "never_treated")
            ids.append(f"{name}[{labels[-1]}|{N_COLUMN}]")
            stat.append("")
    vals = [int(n) for n in rows["persons"]]
    return CountTable(
        name,
        (*labels, TOTAL_LABEL),
        (N_COLUMN,),
        np.array([*ids, f"{name}[{TOTAL_LABEL}|{N_COLUMN}]"], dtype=object)[:, None],
        np.array([*vals, sum(vals)], dtype=np.int64)[:, None],
        np.array([*stat, ""], dtype=object)[:, None],
    )


def _hide_flow_cells(flow: CountTable, margin_hidden: bool, threshold: int) -> None:
    """Primary-suppress a flow's own small rows and hide its total where needed."""
    own = np.array([not str(c).startswith("cohorts:") for c in flow.cells[:-1, 0]])
    small_own = own & (flow.values[:-1, 0] > 0) & (flow.values[:-1, 0] < threshold)
    flow.status[:-1, 0][small_own] = "primary"
    if margin_hidden or small_own.any():
        flow.status[-1, 0] = "linked"


def _did_tables(flow: pd.DataFrame, threshold: int) -> list[CountTable]:
    """Cohort tables (entry month x pilot) and the DiD sample flows that print them."""
    did = flow[flow["design"] == "did"]
    out: list[CountTable] = []
    for outcome, sub in did.groupby(did["outcome"].astype(str), sort=True):
        coh = sub[sub["step"] == "cohort"].assign(
            month=lambda f: [period_label(int(g)) for g in f["group"]]
        )
        wide = coh.pivot_table(
            index="month", columns="pilot", values="persons", aggfunc="sum", fill_value=0
        ).sort_index()
        cohorts = _protected(cohort_table_name(str(outcome)), wide, threshold)
        out.append(cohorts)
        for pilot, rows in sub.groupby(sub["pilot"].astype(str), sort=True):
            table = _did_flow(cohorts, str(pilot), str(outcome), rows)
            margin = cohorts.status[-1, cohorts.columns.index(str(pilot))] != ""
            _hide_flow_cells(table, margin, threshold)
            out.append(table)
    return out


def _matching_tables(flow: pd.DataFrame, threshold: int) -> list[CountTable]:
    m = flow[(flow["design"] == "matching") & flow["step"].isin(["matched", "unmatched"])]
    out = []
    for (pilot, outcome), sub in m.groupby([m["pilot"].astype(str), m["outcome"].astype(str)]):
        wide = (
            sub.pivot_table(index="group", columns="step", values="persons", aggfunc="sum")
            .reindex(index=["treated", "control"], columns=["matched", "unmatched"])
            .fillna(0)
        )
        name = flow_table_name("matching", str(pilot), str(outcome))
        out.append(_protected(name, wide, threshold))
    return out


def _comparison_tables(folder: Path, threshold: int) -> list[CountTable]:
    out: list[CountTable] = []
    proc = _frame(folder, "process") if _exists(folder, "process") else pd.DataFrame()
    if len(proc):
        proc = proc[proc["participants"].notna()]
        pilots = [str(p) for p in proc["pilot"]]
        for col in ("target_group", "participants", "completed"):
            counts = proc[col].to_numpy(dtype=np.int64)
            out.append(_column(f"process:{col}", pilots, counts, threshold))
    dest = _frame(folder, "destinations") if _exists(folder, "destinations") else pd.DataFrame()
    if len(dest):
        wide = dest.pivot_table(
            index="pilot", columns="destination", values="persons", aggfunc="sum", fill_value=0
        )
        order = list(dict.fromkeys(proc["pilot"].astype(str))) if len(proc) else []
        order += [p for p in map(str, wide.index) if p not in order]
        wide.index = wide.index.astype(str)
        wide = wide.reindex(index=[p for p in order if p in wide.index])
        cols = [c for c in DESTINATIONS if c in wide.columns]
        wide = wide[cols + [c for c in wide.columns if c not in cols]]
        out.append(_protected("destinations", wide, threshold))
    return out


def timeline_table_name(pilot: str) -> str:
    """Ledger name of a pilot's clients-by-quarter table."""
    return f"timeline:{pilot}"


def _timeline_tables(folder: Path, threshold: int) -> list[CountTable]:
    tl = _frame(folder, "pilot_timeline") if _exists(folder, "pilot_timeline") else pd.DataFrame()
    out = []
    for pilot, sub in tl.groupby(tl["pilot"].astype(str), sort=True) if len(tl) else []:
        wide = sub.set_index(sub["quarter"].astype(str))[["entered", "exited", "employed"]]
        out.append(_protected(timeline_table_name(str(pilot)), wide, threshold))
    return out


def _trajectory_tables(folder: Path, threshold: int) -> list[CountTable]:
    """Persons per trajectory group (``trajectory_groups.csv``), protected with its total."""
    labels, counts = trajectory_group_counts(folder)
    return [_column(TRAJECTORY_GROUPS_TABLE, labels, counts, threshold)] if labels else []


def _need_tables(folder: Path, threshold: int) -> list[CountTable]:
    """The target group's population per region (``need_indicators.csv``), protected."""
    regions, counts = need_population_counts(folder)
    return [_column(NEED_POPULATION_TABLE, regions, counts, threshold)] if regions else []


def _need_entries(folder: Path, tables: list[CountTable], threshold: int) -> list[Entry]:
    """Each region's share of benefit recipients and mean benefits, per year.

    A share times the published population gives the recipients (and the non-recipients):
    it is shown only when the population is shown and the recipients and non-recipients
    are each ``0`` or at least ``threshold``. A mean times the population is the number of
    benefits received, a bound on the recipients: it needs the same groups (not the shown
    population).
    """
    pop = next((t for t in tables if t.name == NEED_POPULATION_TABLE), None)
    hidden = {r for r, s in zip(pop.rows, pop.status[:, 0], strict=True) if s} if pop else set()
    out = []
    for region, year, n, k in need_rows(folder):
        groups = _smallest(k, n - k)
        share = _entry(NEED_TABLE, need_cell(region, year, NEED_SHARE), groups, "share", threshold)
        out.append(replace(share, shown=share.shown and region not in hidden))
        out.append(
            _entry(NEED_TABLE, need_cell(region, year, NEED_MEAN), groups, "mean", threshold)
        )
    return out


def _exists(folder: Path, name: str) -> bool:
    return (folder / f"{name}.csv").exists() or (folder / f"{name}.parquet").exists()


def _entry(table: str, cell: str, n: float, rule: str, threshold: int) -> Entry:
    nn = 0 if pd.isna(n) else int(n)
    return Entry(table, cell, nn, rule, not small(nn, threshold))


def effect_key(pilot: str, outcome: str, design: str) -> str:
    """Cell of an effect estimate in the ledger's ``effects`` entries."""
    return f"{pilot}|{outcome}|{design}"


def _smallest(*counts: float) -> float:
    """The smallest positive group among ``counts`` (0 when none is positive)."""
    pos = [float(c) for c in counts if pd.notna(c) and float(c) > 0]
    return min(pos) if pos else 0.0


def _estimate_entries(folder: Path, threshold: int) -> list[Entry]:
    """Effects, DiD cohort and event-time estimates, matching estimates."""
    out: list[Entry] = []
    eff = _frame(folder, "effects") if _exists(folder, "effects") else pd.DataFrame()
    for p, o, d, n in (
        zip(eff["pilot"], eff["outcome"], eff["design"], eff["n_treated"], strict=True)
        if len(eff)
        else []
    ):
        out.append(_entry("effects", effect_key(str(p), str(o), str(d)), n, "estimate", threshold))
    cells = read_table(folder, "did_att_gt")
    for (p, o), sub in cells.groupby([cells["pilot"].astype(str), cells["outcome"].astype(str)]):
        sizes = sub.groupby("cohort")["n_treated"].max()
        out.append(_entry(f"did:{p}:{o}", "overall", sizes.sum(), "estimate", threshold))
        for g, n in zip(sizes.index, sizes.to_numpy(), strict=True):
            out.append(_entry(f"did_cohort:{p}:{o}", str(int(g)), n, "estimate", threshold))
        est = sub[sub["estimate"].notna()]
        for e in sorted(set(est["event_time"].astype(int))):
            at = est.loc[est["event_time"].astype(int) == e, "cohort"].unique()
            n = sizes.reindex(at).sum()
            out.append(_entry(f"did_event:{p}:{o}", str(e), n, "estimate", threshold))
    mest = read_table(folder, "matching_estimates")
    for p, o, term, n in zip(
        mest["pilot"], mest["outcome"], mest["term"], mest["n_treated"], strict=True
    ):
        out.append(_entry(f"matching:{p}:{o}", str(term), n, "estimate", threshold))
    return out


def _share_entries(folder: Path, threshold: int) -> list[Entry]:
    """Indicators (comparison and pilot reports), scores, dose; the smallest group each."""
    out: list[Entry] = []
    has = _exists(folder, "pilot_indicators")
    pind = _frame(folder, "pilot_indicators") if has else pd.DataFrame()
    numerators: dict[tuple[str, str], float] = {}
    if len(pind) and "group_var" in pind.columns:
        for p, code, gv, num, den in zip(
            pind["pilot"], pind["indicator"], pind["group_var"], pind["numerator"],
            pind["denominator"], strict=True,
        ):  # fmt: skip
            if str(gv) != "all":
                continue
            numerators[(str(p), str(code))] = num
            rule = "count" if pd.isna(den) else "share"
            n = _smallest(num, den) if rule == "share" else num
            out.append(_entry(f"pilot_indicators:{p}", str(code), n, rule, threshold))
    ind = _frame(folder, "indicators") if _exists(folder, "indicators") else pd.DataFrame()
    for p, code, n in zip(
        ind.get("pilot", []), ind.get("indicator", []), ind.get("n", []), strict=True
    ):
        num = numerators.get((str(p), str(code)), np.nan)
        out.append(_entry("indicators", f"{p}|{code}", _smallest(num, n), "share", threshold))
    sc = _frame(folder, "pilot_scores") if _exists(folder, "pilot_scores") else pd.DataFrame()
    for p, w, m, n in zip(
        sc.get("pilot", []), sc.get("wave", []), sc.get("measure", []), sc.get("n", []),
        strict=True,
    ):  # fmt: skip
        out.append(_entry(f"pilot_scores:{p}", f"{m}|{w}", n, "mean", threshold))
    has = _exists(folder, "pilot_instrument")
    ins = _frame(folder, "pilot_instrument") if has else pd.DataFrame()
    for p, a, sc_id, g, n in zip(
        ins.get("pilot", []), ins.get("analysis", []), ins.get("score", []),
        ins.get("group", []), ins.get("n", []), strict=True,
    ):  # fmt: skip
        out.append(_entry(f"pilot_instrument:{p}", f"{a}|{sc_id}|{g}", n, "mean", threshold))
    proc = _frame(folder, "process") if _exists(folder, "process") else pd.DataFrame()
    for p, n in zip(proc.get("pilot", []), proc.get("participants", []), strict=True):
        if pd.notna(n):
            out.append(_entry("process:mean_dose_hours", str(p), n, "mean", threshold))
    return out


def _lone_counts(folder: Path, tables: list[CountTable], threshold: int) -> list[Entry]:
    """Effect sizes (treated persons) not printed in any count table."""
    eff = _frame(folder, "effects") if _exists(folder, "effects") else pd.DataFrame()
    names = {t.name for t in tables}
    out = []
    for p, o, d, n in (
        zip(eff["pilot"], eff["outcome"], eff["design"], eff["n_treated"], strict=True)
        if len(eff)
        else []
    ):
        if effect_count_cell(str(p), str(o), str(d)).split("[")[0] not in names:
            out.append(_entry("counts", effect_count_cell(str(p), str(o), str(d)), n, "count",
                              threshold))  # fmt: skip
    return out


def effect_count_cell(pilot: str, outcome: str, design: str) -> str:
    """Cell id of an effect's treated persons: the cohort table's pilot total (DiD), the
    matched treated (matching), or a lone count."""
    section = DESIGN_SECTION.get(canonical_design(design))
    if section == "did":
        return f"{cohort_table_name(outcome)}[{TOTAL_LABEL}|{pilot}]"
    if section == "matching":
        return f"{flow_table_name('matching', pilot, outcome)}[treated|matched]"
    return f"effects[{effect_key(pilot, outcome, design)}]"


def _audit_linked(tables: list[CountTable], threshold: int) -> dict[str, tuple[float, float]]:
    """Audited ranges of every hidden cell; tables that share cells are audited together.

    Flow totals that would let a linked table narrow a cell are hidden as ``linked``.
    """
    ranges: dict[str, tuple[float, float]] = {}
    for group in linked_groups(tables):
        for tab in group:
            audit = _table_audit(tab, threshold)
            for idx in zip(*np.nonzero(tab.status != ""), strict=True):
                cid = str(tab.cells[idx])
                ranges[cid] = (float(audit.low[idx]), float(audit.high[idx]))
        if len(group) > 1:
            failing = _joint_failures(group, threshold)
            if failing:
                for tab in group:
                    if tab.cells.shape[1] == 1:
                        tab.status[-1, 0] = "linked"
                if _joint_failures(group, threshold):
                    raise ReportError(
                        f"linked tables {', '.join(t.name for t in group)} reveal "
                        f"{', '.join(failing)}",
                        where="disclosure ledger",
                        fix="report this as a bug of pilot-evaluation",
                    )
            joint = joint_ranges([t.linked() for t in group], threshold)
            ranges.update(joint)
    return ranges


def _table_audit(tab: CountTable, threshold: int) -> FeasibleRanges:
    values, hidden, primary = _as_two_way(tab)
    return feasible_ranges(values, hidden, primary, threshold)


def _as_two_way(tab: CountTable) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Values, hidden and primary of a table in the two-way form the audit reads (a
    one-column table gets its copy as the row-total column)."""
    v, h, p = tab.values, tab.status != "", tab.status == "primary"
    if tab.cells.shape[1] == 1:
        v, h, p = (np.column_stack([x, x]) for x in (v, h, p))
    return v, h, p


def _required(tables: Iterable[CountTable], threshold: int) -> dict[str, tuple[int, int]]:
    out: dict[str, tuple[int, int]] = {}
    for tab in tables:
        values, hidden, primary = _as_two_way(tab)
        audit = feasible_ranges(values, hidden, primary, threshold)
        for idx in zip(*np.nonzero(tab.status == "primary"), strict=True):
            out.setdefault(
                str(tab.cells[idx]),
                (int(audit.required_low[idx]), int(audit.required_high[idx])),
            )
    return out


def _joint_failures(group: list[CountTable], threshold: int) -> list[str]:
    required = _required(group, threshold)
    joint = joint_ranges([t.linked() for t in group], threshold)
    return [
        c
        for c, (lo, hi) in joint.items()
        if c in required and (lo > required[c][0] + 1e-6 or hi < required[c][1] - 1e-6)
    ]


def linked_groups(tables: list[CountTable]) -> list[list[CountTable]]:
    """Tables grouped by shared cell ids (each group is audited together)."""
    groups: list[tuple[set[str], list[CountTable]]] = []
    for tab in tables:
        ids = {str(c) for c in tab.cells.ravel()}
        hits = [g for g in groups if g[0] & ids]
        merged = (ids.union(*(g[0] for g in hits)), [t for g in hits for t in g[1]] + [tab])
        groups = [g for g in groups if g not in hits] + [merged]
    return [g[1] for g in groups]


def _signature(folder: Path) -> tuple[tuple[str, float], ...]:
    files = [p for p in folder.iterdir() if p.suffix in (".csv", ".parquet")]
    return tuple(sorted((p.name, p.stat().st_mtime) for p in files))


@functools.lru_cache(maxsize=8)
def _cached(folder: str, threshold: int, signature: tuple[tuple[str, float], ...]) -> Ledger:
    root = Path(folder)
    flow = read_table(root, "sample_flow")
    tables = [
        *_did_tables(flow, threshold),
        *_matching_tables(flow, threshold),
        *_comparison_tables(root, threshold),
        *_timeline_tables(root, threshold),
        *_trajectory_tables(root, threshold),
        *_need_tables(root, threshold),
    ]
    ranges = _audit_linked(tables, threshold)
    entries = [
        *_estimate_entries(root, threshold),
        *_share_entries(root, threshold),
        *_lone_counts(root, tables, threshold),
        *(_entry(tab, cell, n, "mean", threshold) for tab, cell, n in register_outcome_cells(root)),
        *_need_entries(root, tables, threshold),
    ]
    return Ledger(int(threshold), tuple(tables), tuple(entries), ranges, root)


def build_ledger(results_dir: Path | str, *, threshold: int = DEFAULT_THRESHOLD) -> Ledger:
    """The disclosure ledger of every report that reads ``results_dir``.

    Parameters
    ----------
    results_dir:
        A results folder (comparison, pilot and impact tables).
    threshold:
        Smallest group of persons a published number may rest on.
    """
    folder = Path(results_dir)
    if not folder.is_dir():
        raise ReportError(
            "results folder does not exist",
            where=str(folder),
            fix="give the folder the toolkit's result writers wrote into",
        )
    return _cached(str(folder.resolve()), int(threshold), _signature(folder))


# --- re-audit -----------------------------------------------------------------------


def _log_tables(log: pd.DataFrame) -> list[CountTable]:
    tables = []
    counts = log[log["rule"].isin(COUNT_RULES)]
    for name, sub in counts.groupby("table", sort=False):
        rows = list(dict.fromkeys(sub["row"].astype(str)))
        cols = list(dict.fromkeys(sub["column"].astype(str)))
        shape = (len(rows), len(cols))
        cells = np.empty(shape, dtype=object)
        values = np.zeros(shape, dtype=np.int64)
        status = np.full(shape, "", dtype=object)
        ri = {r: i for i, r in enumerate(rows)}
        ci = {c: j for j, c in enumerate(cols)}
        for r, c, cid, n, rule, st in zip(
            sub["row"].astype(str), sub["column"].astype(str), sub["cell"], sub["n"],
            sub["rule"], sub["status"], strict=True,
        ):  # fmt: skip
            idx = (ri[r], ci[c])
            cells[idx], values[idx] = str(cid), int(n)
            status[idx] = "" if st == "shown" else ("primary" if rule == "primary" else str(rule))
        tables.append(CountTable(str(name), tuple(rows), tuple(cols), cells, values, status))
    return tables


def _read_log(path: Path | str) -> tuple[Path, pd.DataFrame]:
    file = Path(path)
    if file.is_dir():
        file = file / LEDGER_FILE
    if not file.exists():
        raise ReportError(
            f"no {LEDGER_FILE}",
            where=str(path),
            fix="render the reports with the toolkit (it writes the log beside them)",
        )
    log = read_csv(file)
    missing = [c for c in LOG_COLUMNS if c not in log.columns]
    if missing:
        raise ReportError(
            f"not a disclosure log: missing column(s) {', '.join(missing)}",
            where=str(file),
            fix="write the log again by rendering the reports",
        )
    return file, log


class _Auditor:
    """The checks of :func:`audit_log` on one log; each adds located problems."""

    def __init__(self, file: Path, log: pd.DataFrame) -> None:
        self.file, self.log = file, log
        self.threshold = int(log["threshold"].iloc[0]) if len(log) else DEFAULT_THRESHOLD
        keys = zip(log["table"].astype(str), log["cell"].astype(str), strict=True)
        self.line = {key: k + 2 for k, key in enumerate(keys)}
        self.problems: list[Problem] = []

    def add(self, table: str, cell: str, what: str, fix: str) -> None:
        where = f"{self.file} line {self.line.get((table, cell), '?')} (table {table!r}, "
        self.problems.append(Problem(f"{where}cell {cell!r})", what, fix))

    def shown_small(self) -> None:
        log, t = self.log, self.threshold
        for table, cell, n, st in zip(
            log["table"], log["cell"], log["n"], log["status"], strict=True
        ):
            if st == "shown" and small(float(n), t):
                self.add(str(table), str(cell), f"shown but rests on {int(n)} persons",
                         f"hide it (fewer than {t})")  # fmt: skip

    def totals_and_links(self, tables: list[CountTable]) -> None:
        status_of: dict[str, tuple[str, str]] = {}
        for tab in tables:
            gt = tab.values[-1, -1]
            if tab.cells.shape[1] > 1 and tab.status[-1, -1] != "" and gt >= self.threshold:
                self.add(tab.name, str(tab.cells[-1, -1]), f"grand total {gt} is hidden",
                         f"show grand totals of {self.threshold} or more")  # fmt: skip
            for idx in np.ndindex(tab.cells.shape):
                cid = str(tab.cells[idx])
                state = "hidden" if tab.status[idx] != "" else "shown"
                seen = status_of.setdefault(cid, (tab.name, state))
                if seen[1] != state:
                    self.add(tab.name, cid, f"{seen[1]} in table {seen[0]!r} but not here",
                             "give the cell one treatment in every output")  # fmt: skip

    def ranges(self, group: list[CountTable]) -> dict[str, tuple[str, float, float]]:
        """Each hidden small cell's recomputed range (linked tables together)."""
        found: dict[str, tuple[str, float, float]] = {}
        for tab in group:
            audit = _table_audit(tab, self.threshold)
            for idx in zip(*np.nonzero(tab.status == "primary"), strict=True):
                lo, hi = float(audit.low[idx]), float(audit.high[idx])
                found[str(tab.cells[idx])] = (tab.name, lo, np.inf if hi < 0 else hi)
                if not audit.protected[idx]:
                    self.add(tab.name, str(tab.cells[idx]),
                             f"an attacker narrows it to [{lo:g}, {hi:g}]",
                             "hide more cells (suppress_counts)")  # fmt: skip
        if len(group) > 1:
            required = _required(group, self.threshold)
            joint = joint_ranges([t.linked() for t in group], self.threshold)
            for cid, (lo, hi) in joint.items():
                table = found[cid][0] if cid in found else group[0].name
                found[cid] = (table, lo, hi)
                req = required.get(cid)
                if req is not None and (lo > req[0] + 1e-6 or hi < req[1] - 1e-6):
                    self.add(table, cid, f"linked tables narrow it to [{lo:g}, {hi:g}]",
                             "hide the linked cell or margin in every table")  # fmt: skip
        return found

    def recorded(self, found: dict[str, tuple[str, float, float]]) -> None:
        log = self.log
        hidden = log[log["status"] == "hidden"]
        rec = dict(zip(hidden["cell"].astype(str),
                       zip(hidden["audited_low"], hidden["audited_high"], strict=True),
                       strict=True))  # fmt: skip
        for cid, (table, lo, hi) in found.items():
            if cid not in rec:
                continue
            low, high = rec[cid]
            rec_hi = np.inf if pd.isna(high) else float(high)
            if pd.isna(low) or abs(float(low) - lo) > 1e-6 or abs(rec_hi - hi) > 1e-6:
                self.add(table, cid, f"the log records [{low}, {high}], the audit finds "
                         f"[{lo:g}, {hi:g}]", "render the reports again")  # fmt: skip


def registry_problems(file: Path, log: pd.DataFrame) -> list[Problem]:
    """The log and the published tables beside it (``published/*.csv``) checked against
    the table registry (:mod:`evaluation.tables`, ``docs/tables.schema.json``)."""
    frames = [(file, "disclosure", log)]
    published = file.parent / PUBLISHED_DIR
    for name in (n for n in PUBLISHED_COUNTS if f"{PUBLISHED_DIR}/{n}" in TABLES):
        path = published / f"{name}.csv"
        if path.is_file():
            frame = read_csv(path)
            frames.append((path, f"{PUBLISHED_DIR}/{name}", frame))
    problems = []
    for path, name, frame in frames:
        if name == f"{PUBLISHED_DIR}/effects":  # report sets written before the one layout
            frame = upgrade_effects(frame)
        try:
            TABLES[name].validate(frame, where=str(path))
        except InputDataError as exc:
            problems.append(Problem(exc.where, exc.what, exc.fix))
    return problems


def audit_log(path: Path | str) -> list[Problem]:
    """Re-audit a disclosure log (``disclosure.csv``); the problems found (none: passed).

    Checks that nothing resting on ``0 < n < threshold`` persons is shown, that no grand
    total of at least ``threshold`` is hidden, that the same cell has one status in every
    table, and recomputes every hidden cell's feasible range (each table alone with
    :func:`evaluation.disclosure.feasible_ranges`, linked tables together): each must
    cover what the markers allow and equal the range the log records. The log and the
    published tables must also have the columns, types and values the table registry
    declares (:func:`registry_problems`).
    """
    auditor = _Auditor(*_read_log(path))
    auditor.problems.extend(registry_problems(auditor.file, auditor.log))
    auditor.shown_small()
    tables = _log_tables(auditor.log)
    auditor.totals_and_links(tables)
    for group in linked_groups(tables):
        auditor.recorded(auditor.ranges(group))
    return auditor.problems


def check_log(path: Path | str) -> int:
    """Re-audit a log and raise :class:`DisclosureAuditError` on any problem; the number
    of entries checked otherwise."""
    problems = audit_log(path)
    file = Path(path) / LEDGER_FILE if Path(path).is_dir() else Path(path)
    if problems:
        raise DisclosureAuditError(str(file), problems)
    return len(read_csv(file))


__all__ = [
    "LEDGER_FILE",
    "PUBLISHED_COUNTS",
    "PUBLISHED_DIR",
    "CountTable",
    "DisclosureAuditError",
    "Entry",
    "Ledger",
    "audit_log",
    "build_ledger",
    "check_log",
    "cohort_table_name",
    "effect_count_cell",
    "effect_key",
    "flow_table_name",
    "linked_groups",
    "period_label",
    "registry_problems",
    "small",
    "timeline_table_name",
]
