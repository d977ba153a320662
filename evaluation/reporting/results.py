"""Tidy result tables that feed the reports, a loader and a synthetic example.

A *results folder* holds one file per table, as CSV (``name.csv``) or parquet
(``name.parquet``; preferred when both exist). The estimators and the self-evaluation
workbook write them; the reports read nothing else. The columns, types and vocabularies
are declared once in :mod:`evaluation.tables` (documented in ``docs/tables.md``); in short:

``effects``
    The one effects table (:data:`evaluation.tables.TABLES` ``["effects"]``): one row per
    pilot impact estimate, ``pilot, outcome, design`` (``staggered_did``, ``matching``,
    ``matched_did``), ``analysis, comparison, term, estimate, std_error, conf_low,
    conf_high`` (effect scale of the outcome), ``n_treated, n_control`` (persons). Files
    of the former 9-column layout (``design`` ``did``) are read too. The comparison report
    pools the rows of its ``outcome`` parameter (default: the outcome estimated for the
    most pilots), one per pilot (staggered DiD preferred to matching when both exist).
``indicators``
    Shared indicators: ``pilot``, ``indicator`` (str, code of the indicator dictionary),
    ``estimate``, ``conf_low``, ``conf_high`` (float), ``n`` (int, persons the estimate
    rests on).
``traffic_lights``
    Traffic-light self-assessment: ``pilot``, ``theme`` (str), ``criterion`` (str, code),
    ``rating`` (one of ``green``, ``yellow``, ``red``, ``na``).
``process``
    Process measures (MRC process evaluation): ``pilot``, ``target_group`` (int, persons
    in the target group), ``participants``, ``completed`` (int, persons),
    ``mean_dose_hours`` (float, service hours per participant), ``fidelity`` (float in
    [0, 1], share of core components delivered as planned).
``destinations``
    Situation after the pilot: ``pilot``, ``destination`` (one of ``employed``,
    ``education``, ``unemployed``, ``other``), ``persons`` (int).

Optional tables (read when present; results folders written before them still load):

``concepts``
    Ratings of the service-quality dimensions, participation levels and cooperation
    dimensions: ``pilot``, ``family``, ``concept`` (codes of the schema), ``rating``
    (``green``, ``yellow``, ``red`` or empty when not rated).
``intended_reach``
    The intended target groups reached (:func:`evaluation.process.intended_reach`):
    ``pilot``, ``planned``, ``reached`` (int, persons, each group counted up to its
    plan), ``share`` (float in [0, 1]).

Person identifiers never appear in these tables; the loader refuses tables with an
identifier column or identifier-like values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from evaluation import tables
from evaluation.errors import InputDataError, MissingColumnError, ReportError
from evaluation.provenance import file_sha256
from evaluation.reporting.disclosure import assert_no_identifiers
from evaluation.reporting.tables_io import read_csv, results_folder, write_csv
from evaluation.synthetic.ote4 import PILOT_NAMES

#: Columns of each table of a comparison results folder (from :mod:`evaluation.tables`).
TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    t.name: t.names for t in tables.family_tables("comparison") if t.required
}
#: Optional tables and their columns (see the module docstring).
OPTIONAL_COLUMNS: dict[str, tuple[str, ...]] = {
    t.name: t.names for t in tables.family_tables("comparison") if not t.required
}
RATINGS = tables.RATINGS
DESTINATIONS = tables.DESTINATIONS
CRITERIA = (
    ("work", "work_orientation"),
    ("work", "cooperation"),
    ("work", "participation"),
    ("work", "evaluation_continuity"),
    ("participation", "low_threshold"),
    ("participation", "own_needs"),
)


@dataclass(frozen=True)
class ComparisonResults:
    """The tables of a results folder, checked, with the SHA-256 of each input file."""

    folder: Path
    effects: pd.DataFrame
    indicators: pd.DataFrame
    traffic_lights: pd.DataFrame
    process: pd.DataFrame
    destinations: pd.DataFrame
    hashes: tuple[tuple[str, str], ...]  # (file name, sha256 hex)
    concepts: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(OPTIONAL_COLUMNS["concepts"]))
    )
    intended_reach: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(OPTIONAL_COLUMNS["intended_reach"]))
    )
    need_indicators: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(OPTIONAL_COLUMNS["need_indicators"]))
    )

    @property
    def pilots(self) -> tuple[str, ...]:
        """Pilot names in the order of the process table."""
        return tuple(str(p) for p in self.process["pilot"])


def _read_table(folder: Path, name: str) -> tuple[pd.DataFrame, Path]:
    for ext in ("parquet", "csv"):
        path = folder / f"{name}.{ext}"
        if path.exists():
            try:
                frame = pd.read_parquet(path) if ext == "parquet" else read_csv(path)
            except Exception as exc:
                raise InputDataError(
                    f"cannot read the table ({type(exc).__name__}: {exc})",
                    where=str(path),
                    fix="write the file again with the toolkit",
                ) from exc
            return frame, path
    raise ReportError(
        f"no table {name!r} (expected {name}.csv or {name}.parquet)",
        where=str(folder),
        fix="point --results at a folder written by the toolkit (see "
        "evaluation.reporting.results for the formats)",
    )


def _check_values(name: str, frame: pd.DataFrame, path: Path) -> None:
    numeric = {
        "effects": ("estimate", "std_error", "conf_low", "conf_high", "n_treated", "n_control"),
        "indicators": ("estimate", "conf_low", "conf_high", "n"),
        "process": ("target_group", "participants", "completed", "mean_dose_hours", "fidelity"),
        "destinations": ("persons",),
    }.get(name, ())
    for col in numeric:
        values = pd.to_numeric(frame[col], errors="coerce")
        bad = values.isna() & frame[col].notna()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0]) + 2  # header is line 1
            raise InputDataError(
                f"non-numeric value {frame[col].iloc[row - 2]!r} in column {col!r}",
                where=f"{path}, row {row}",
                fix="write a number",
            )
    if name == "traffic_lights":
        bad_r = ~frame["rating"].astype(str).isin(RATINGS)
        if bad_r.any():
            row = int(np.flatnonzero(bad_r.to_numpy())[0])
            raise InputDataError(
                f"unknown rating {frame['rating'].iloc[row]!r}",
                where=f"{path}, row {row + 2}, column 'rating'",
                fix=f"use one of {', '.join(RATINGS)}",
            )
    if name == "effects":
        se = pd.to_numeric(frame["std_error"])
        if (se <= 0).any():
            row = int(np.flatnonzero((se <= 0).to_numpy())[0])
            raise InputDataError(
                "standard error is not positive",
                where=f"{path}, row {row + 2}, column 'std_error'",
                fix="re-run the estimator; a pilot without a standard error cannot be pooled",
            )


def load_comparison_results(folder: Path | str) -> ComparisonResults:
    """Read and check the tables of a results folder (see the module docstring)."""
    root = Path(folder)
    if not root.is_dir():
        raise ReportError(
            "results folder does not exist",
            where=str(root),
            fix="give the folder the estimators wrote (e.g. pilot-eval demo output/results)",
        )
    found: dict[str, pd.DataFrame] = {}
    hashes: list[tuple[str, str]] = []
    for name, cols in TABLE_COLUMNS.items():
        frame, path = _read_table(root, name)
        if name == "effects":  # files of the former 9-column layout are read too
            frame = tables.upgrade_effects(frame)
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            raise MissingColumnError(missing, where=str(path), available=list(frame.columns))
        assert_no_identifiers(frame, where=str(path))
        _check_values(name, frame, path)
        tables.table(name).validate(frame, where=str(path))
        found[name] = frame
        hashes.append((path.name, file_sha256(path)))
    for name in OPTIONAL_COLUMNS:
        if not any((root / f"{name}.{ext}").exists() for ext in ("parquet", "csv")):
            continue
        frame, path = _read_table(root, name)
        tables.table(name).validate(frame, where=str(path))
        assert_no_identifiers(frame, where=str(path))
        found[name] = frame
        hashes.append((path.name, file_sha256(path)))
    return ComparisonResults(folder=root, hashes=tuple(hashes), **found)


def example_results(
    folder: Path | str, *, seed: int = 7, pilots: tuple[str, ...] = PILOT_NAMES
) -> Path:
    """Write synthetic tidy results for ``pilots`` into ``folder`` (CSV) and return it.

    The true pilot effect on employment 12 months after the start (percentage points)
    rises with fidelity, so the meta-regression has something to find; one indicator
    rests on fewer than five persons and some destination counts are small, so the
    reports' disclosure control is exercised.
    """
    rng = np.random.default_rng(seed)
    out = results_folder(folder)
    k = len(pilots)
    fidelity = np.round(rng.uniform(0.45, 0.95, k), 2)
    dose = np.round(rng.uniform(12, 60, k), 1)
    target = rng.integers(600, 2500, k)
    participants = (target * rng.uniform(0.08, 0.3, k)).astype(int) + 40
    completed = (participants * rng.uniform(0.55, 0.85, k)).astype(int)
    process = pd.DataFrame(
        {
            "pilot": pilots,
            "target_group": target,
            "participants": participants,
            "completed": completed,
            "mean_dose_hours": dose,
            "fidelity": fidelity,
        }
    )
    write_csv(process, out / "process.csv")

    true = 1.0 + 12.0 * (fidelity - 0.7) + rng.normal(0, 1.5, k)
    se = np.round(rng.uniform(1.2, 3.5, k), 3)
    est = np.round(true + rng.normal(0, se), 3)
    n_t = participants
    designs = ["staggered_did", "staggered_did", "matching", "staggered_did", "matching"]
    effects = pd.DataFrame(
        {
            "pilot": pilots,
            "outcome": "employed_12m",
            "design": [*designs, *["staggered_did"] * max(0, k - 5)][:k],
            "analysis": "main",
            "comparison": "",
            "term": "ATT",
            "estimate": est,
            "std_error": se,
            "conf_low": np.round(est - 1.959964 * se, 3),
            "conf_high": np.round(est + 1.959964 * se, 3),
            "n_treated": n_t,
            "n_control": n_t * 4,
        }
    )
    write_csv(tables.table("effects").frame(effects), out / "effects.csv")

    rows = []
    indicators = {
        "employment_rate": (0.25, 0.06),
        "education_rate": (0.12, 0.04),
        "wellbeing_score": (6.5, 0.6),
        "service_fit": (3.8, 0.3),
    }
    for i, p in enumerate(pilots):
        for code, (mu, sd) in indicators.items():
            n = int(completed[i] * rng.uniform(0.5, 0.9))
            if i == 2 and code == "service_fit":
                n = 3  # a small group: the estimate must not be shown
            e = float(mu + rng.normal(0, sd))
            half = float(1.96 * sd * 2.5 / np.sqrt(max(n, 1)))
            rows.append((p, code, round(e, 3), round(e - half, 3), round(e + half, 3), n))
    write_csv(pd.DataFrame(rows, columns=list(TABLE_COLUMNS["indicators"])), out / "indicators.csv")

    ratings = rng.choice(["green", "yellow", "red"], size=(k, len(CRITERIA)), p=[0.4, 0.4, 0.2])
    ratings[1, 5] = "na"
    tl = [
        (p, theme, crit, str(ratings[i, j]))
        for i, p in enumerate(pilots)
        for j, (theme, crit) in enumerate(CRITERIA)
    ]
    write_csv(
        pd.DataFrame(tl, columns=list(TABLE_COLUMNS["traffic_lights"])),
        out / "traffic_lights.csv",
    )

    dest = []
    for i, p in enumerate(pilots):
        shares = rng.dirichlet([4, 2, 3, 1])
        counts = np.floor(shares * completed[i]).astype(int)
        if i == 1:
            counts[1] = 3  # small cells for the disclosure control
        if i == 4:
            counts[3] = 2
        for d, c in zip(DESTINATIONS, counts, strict=True):
            dest.append((p, d, int(c)))
    write_csv(
        pd.DataFrame(dest, columns=list(TABLE_COLUMNS["destinations"])),
        out / "destinations.csv",
    )
    _example_need(out, pilots, rng)
    return out


def _example_need(out: Path, pilots: tuple[str, ...], rng: np.random.Generator) -> None:
    """``need_indicators.csv`` for the OTE 4 pilots' regions, 2016-2018: one region has 3
    persons, one has 2 benefit recipients in 2018 (both hidden by the reports)."""
    from evaluation.registers.need import NEED_COLUMNS, NeedIndicators
    from evaluation.reporting.register_results import write_need_indicators
    from evaluation.synthetic.ote4 import get_pilot

    regions = {p: list(get_pilot(p).regions) for p in pilots if p in PILOT_NAMES}
    names = sorted({r for rs in regions.values() for r in rs})
    if not names:
        return
    population = rng.integers(40, 400, len(names))
    population[min(3, len(names) - 1)] = 3
    rows = []
    for year in (2016, 2017, 2018):
        for i, (region, n) in enumerate(zip(names, population, strict=True)):
            k = 2 if (i == 0 and year == 2018) else int(rng.binomial(n, 0.45))
            mean = k / n * float(rng.uniform(1.2, 1.8))
            rows.append((region, year, int(n), k, 100.0 * k / n, round(mean, 3)))
    need = NeedIndicators(pd.DataFrame(rows, columns=list(NEED_COLUMNS)))
    write_need_indicators(out, need, pilots=regions)
