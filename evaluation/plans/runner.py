"""Run an evaluation plan end to end: checks -> panel -> estimators -> diagnostics -> rating.

Every run writes tidy CSVs, ``results.json`` and ``manifest.json`` into the output folder.
The tidy files depend only on the plan and the input data (no times, no absolute paths),
so two runs of the same plan on the same inputs give byte-identical files, whatever the
row order of the inputs; run-specific facts (time, paths, versions, hashes) go only into
``manifest.json``.

Scale out: the data steps go through a :class:`Backend` registered in :data:`BACKENDS`:
``"local"`` (pandas and in-process DuckDB), ``"ibis"`` and ``"spark"``
(:mod:`evaluation.plans.ibis_backend`: the panel and the staggered DiD's cell sums as Ibis
expressions on DuckDB or Spark, then the same numpy kernel). A backend may provide
``did_fit(panel, pilot=, outcome=, comparison_ids=, never_participants=, **options)``, its
own fit of the no-covariate staggered DiD; without it the runner calls
:func:`~evaluation.estimators.did.att_gt` on the DuckDB table.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import platform
import re
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from evaluation._paths import project_folder
from evaluation.checks import validate
from evaluation.errors import EstimatorNote, InputDataError, OptionError, PilotEvalError
from evaluation.estimators.did import att_gt
from evaluation.estimators.matching import MatchResult, match
from evaluation.impact import covariates_with_variation, did_input, matching_input
from evaluation.plans.evidence import Diagnostics, EvidenceRating, rate_evidence
from evaluation.plans.load import load_plan
from evaluation.plans.model import Plan, SyntheticData
from evaluation.registers import (
    SPELL_COLUMNS,
    DuckTable,
    PersonMonthPanel,
    build_person_month_panel,
)
from evaluation.registers.ids import normalise_ids
from evaluation.registers.intake import (
    check_text_file,
    csv_header,
    missing_column_error,
    refuse_codes_in_path,
)
from evaluation.registers.panel import PARTICIPANT_INPUT_COLUMNS
from evaluation.registers.screening import refuse_identity_codes_in_frame
from evaluation.reporting.impact_results import did_cell_table
from evaluation.safe_io import atomic_write, output_folder, write_text
from evaluation.scale.engines import Engine
from evaluation.synthetic import PILOTS_BY_NAME, SyntheticRegisters, generate_registers

#: Packages whose versions go into the manifest.
MANIFEST_PACKAGES = (
    "pilot-evaluation",
    "numpy",
    "pandas",
    "duckdb",
    "scipy",
    "statsmodels",
    "scikit-learn",
    "pydantic",
    "pyyaml",
)
#: The shipped plans (one per synthetic OTE 4 pilot), at the repository root.
DESIGNS_DIR = project_folder("designs")
#: Critical value for "two estimates agree" in sensitivity analyses (95%, two-sided).
AGREEMENT_Z = 1.959963984540054
#: History covariates added by the ``history_covariates`` sensitivity analysis.
HISTORY_COVARIATES = ("pre_employed", "pre_on_unemployment_benefit", "pre_on_health_benefit")
#: Tidy output files (written by every run, possibly with zero rows).
OUTPUT_FILES = (
    "effects.csv",
    "event_study.csv",
    "att_gt.csv",
    "diagnostics.csv",
    "balance.csv",
    "sensitivity.csv",
    "subgroups.csv",
    "checks.csv",
    "deviations.csv",
    "evidence.csv",
    "evidence_reasons.csv",
    "results.json",
)


# ----------------------------------------------------------------------------- inputs
@dataclass(frozen=True)
class Inputs:
    """Register inputs of a run, in canonical row order."""

    spells: pd.DataFrame
    participants: pd.DataFrame
    persons: pd.DataFrame
    start: str
    end: str
    hashes: dict[str, str]


class Backend(Protocol):
    """Where the data steps run. Implement for Spark/Ibis and add to :data:`BACKENDS`."""

    name: str

    def load(self, plan: Plan, plan_dir: Path) -> Inputs:
        """Read (or generate) the inputs named by the plan."""
        ...

    def panel(self, inputs: Inputs) -> PersonMonthPanel:
        """Build the person-month panel of the plan's window."""
        ...


def _frame_hash(frame: pd.DataFrame) -> str:
    """Content hash of a frame (row order already canonical)."""
    h = hashlib.sha256(",".join(map(str, frame.columns)).encode())
    h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return h.hexdigest()


def _canonical(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Sort by ``keys`` (stable, missing last) so results do not depend on input row order."""
    return frame.sort_values(keys, kind="mergesort", na_position="last", ignore_index=True)


#: Columns every plan needs in each data file (more for some designs: :func:`_required`).
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "spells": SPELL_COLUMNS,
    "participants": PARTICIPANT_INPUT_COLUMNS,
    "persons": ("person_id", "birth_year"),
}
#: Person columns the matching designs build covariates from.
MATCHING_PERSON_COLUMNS = (
    "sex",
    "education",
    "mother_tongue",
    "partial_work_ability",
    "disability",
)


def _required(plan: Plan, name: str) -> tuple[str, ...]:
    need = REQUIRED_COLUMNS[name]
    if name == "persons" and plan.population.comparison == "pilot_regions":
        need = (*need, "region")
    if name == "persons" and plan.design.kind != "staggered_did":
        need = (*need, *MATCHING_PERSON_COLUMNS)
    return need


def _read_file(path: Path) -> pd.DataFrame:
    where = path.name
    refuse_codes_in_path(path, where=where)
    if not path.is_file():
        raise InputDataError(
            "data file not found", where=str(path), fix="correct the path under data.files"
        )
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            return pd.read_parquet(path)
        if suffix == ".csv":
            check_text_file(path, where=where)
            delimiter, _names = csv_header(path, where=where)
            return pd.read_csv(path, sep=delimiter, dtype={"person_id": "string"})
    except (pd.errors.ParserError, ValueError, OSError) as exc:
        raise InputDataError(
            f"cannot be read as a {suffix[1:]} table ({type(exc).__name__})",
            where=where,
            fix="export the table again (CSV: UTF-8 with a header line; or parquet)",
        ) from None
    raise InputDataError(
        f"unsupported file type {path.suffix!r}",
        where=str(path),
        fix="give a .csv or .parquet file",
    )


def _read_table(path: Path, dates: tuple[str, ...], need: tuple[str, ...]) -> pd.DataFrame:
    """A data file, checked: no identity codes, the needed columns, normalised ids."""
    frame = _read_file(path)
    frame.columns = [str(c) for c in frame.columns]
    refuse_identity_codes_in_frame(frame, source=path.name)
    missing = [c for c in need if c not in frame.columns]
    if missing:
        raise missing_column_error(missing, where=path.name, available=list(frame.columns))
    frame["person_id"] = normalise_ids(frame["person_id"])
    for col in dates:
        if col in frame.columns:
            try:
                frame[col] = pd.to_datetime(frame[col])
            except (ValueError, TypeError):
                raise InputDataError(
                    f"column {col!r} holds values that are not dates",
                    where=path.name,
                    fix="write dates like 2021-03-15",
                ) from None
    return frame


def _inputs(
    spells: pd.DataFrame,
    participants: pd.DataFrame,
    persons: pd.DataFrame,
    start: str,
    end: str,
    hashes: dict[str, str],
) -> Inputs:
    """Inputs in canonical row order, with their content hashes added to ``hashes``."""
    spells = _canonical(spells, [c for c in ("person_id", "start", "code", "end") if c in spells])
    participants = _canonical(participants, ["person_id"])
    persons = _canonical(persons, ["person_id"])
    for name, frame in (("spells", spells), ("participants", participants), ("persons", persons)):
        hashes[f"{name}_content_sha256"] = _frame_hash(frame)
    return Inputs(spells, participants, persons, start, end, hashes)


@dataclass(frozen=True)
class Prebuilt:
    """A synthetic extract and its person-month panel built by the caller (e.g. the demo).

    :func:`run_designs` uses them for every plan whose data source is exactly
    ``synthetic`` (after any override) and has no own ``window``, instead of generating the
    extract and building the panel again. The panel must be the whole-window panel of
    ``data`` with every person (as :func:`evaluation.registers.build_person_month_panel`
    with ``participants`` and ``persons`` builds it); the runner adds and drops work tables
    in its DuckDB connection but never closes it.
    """

    synthetic: SyntheticData
    data: SyntheticRegisters
    panel: PersonMonthPanel


class LocalBackend:
    """pandas + in-process DuckDB (the default)."""

    name = "local"

    def load(self, plan: Plan, plan_dir: Path) -> Inputs:
        """Generate the synthetic extract or read the register files of the plan."""
        hashes: dict[str, str] = {}
        if plan.data.synthetic is not None:
            syn = plan.data.synthetic
            data = generate_registers(persons=syn.persons, seed=syn.seed)
            spells, participants, persons = data.spells, data.participants, data.persons
            start, end = f"{data.months[0]:%Y-%m}", f"{data.months[-1]:%Y-%m}"
        else:
            files = plan.data.files
            if files is None:  # excluded by the model; kept for the type checker
                raise OptionError("no data source", where="data", fix="add data.files")
            paths = {
                "spells": plan_dir / files.spells,
                "participants": plan_dir / files.participants,
                "persons": plan_dir / files.persons,
            }
            for name, path in paths.items():
                if path.is_file():
                    hashes[f"{name}_file_sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
            spells = _read_table(paths["spells"], ("start", "end"), _required(plan, "spells"))
            participants = _read_table(
                paths["participants"],
                ("entry_date", "exit_date"),
                _required(plan, "participants"),
            )
            persons = _read_table(paths["persons"], (), _required(plan, "persons"))
            start, end = "", ""
        if plan.data.window is not None:
            start, end = plan.data.window.start, plan.data.window.end
        return _inputs(spells, participants, persons, start, end, hashes)

    def panel(self, inputs: Inputs) -> PersonMonthPanel:
        """The person-month panel of the whole window, every person included."""
        return build_person_month_panel(
            inputs.spells,
            start=inputs.start,
            end=inputs.end,
            participants=inputs.participants,
            persons=inputs.persons["person_id"],
        )


def _ibis_backend(engine: Engine) -> Callable[[], Backend]:
    def make() -> Backend:
        from evaluation.plans.ibis_backend import IbisBackend

        return IbisBackend(engine)

    return make


#: Available backends by name: ``local`` (in-process DuckDB, the fastest on one machine),
#: ``ibis`` (the same steps as Ibis expressions on DuckDB) and ``spark`` (those on a local
#: Spark session; needs ``pilot-evaluation[spark]`` and Java 17). See
#: :mod:`evaluation.plans.ibis_backend`.
BACKENDS: dict[str, Callable[[], Backend]] = {
    "local": LocalBackend,
    "ibis": _ibis_backend("duckdb"),
    "spark": _ibis_backend("pyspark"),
}
#: A backend's own staggered DiD fit: ``(panel, pilot=, outcome=, comparison_ids=,
#: never_participants=, **att_gt options)``.
DidFit = Callable[..., Any]


#: att_gt options that name the DiD input's columns (a backend's did_fit knows its own).
_COLUMN_OPTIONS = ("outcome", "time", "unit", "cohort")


# ----------------------------------------------------------------------------- results
@dataclass(frozen=True)
class RunResult:
    """Everything a plan run produced (the same tables are written as CSV)."""

    plan: Plan
    out: Path
    effects: pd.DataFrame
    event_study: pd.DataFrame
    att_gt: pd.DataFrame
    diagnostics: pd.DataFrame
    balance: pd.DataFrame
    sensitivity: pd.DataFrame
    subgroups: pd.DataFrame
    checks: pd.DataFrame
    deviations: pd.DataFrame
    evidence: pd.DataFrame
    evidence_reasons: pd.DataFrame
    ratings: dict[tuple[str, str], EvidenceRating]
    manifest: dict[str, Any]
    reports: tuple[Path, ...] = ()

    def tidy(self) -> pd.DataFrame:
        """The effects table (one row per pilot, outcome and estimate)."""
        return self.effects.copy()

    def summary(self) -> str:
        """Text summary: effects, rating and deviations."""
        lines = [f"Plan {self.plan.study.id}: {self.plan.study.title}"]
        for r in self.effects.itertuples():
            lines.append(
                f"  {r.pilot} / {r.outcome} ({r.design}, {r.analysis}): "
                f"{r.estimate:.4f} [{r.conf_low:.4f}, {r.conf_high:.4f}]"
            )
        for (pilot, outcome), rating in sorted(self.ratings.items()):
            lines.append(f"  evidence {pilot} / {outcome}: SMS level {rating.level}")
        lines.append(f"  deviations from the plan: {len(self.deviations)}")
        return "\n".join(lines)


@dataclass
class _Collect:
    effects: list[dict[str, Any]] = field(default_factory=list)
    event_study: list[pd.DataFrame] = field(default_factory=list)
    att_gt: list[pd.DataFrame] = field(default_factory=list)
    diagnostics: list[dict[str, Any]] = field(default_factory=list)
    balance: list[pd.DataFrame] = field(default_factory=list)
    sensitivity: list[dict[str, Any]] = field(default_factory=list)
    subgroups: list[pd.DataFrame] = field(default_factory=list)
    checks: list[dict[str, Any]] = field(default_factory=list)
    deviations: list[dict[str, Any]] = field(default_factory=list)
    ratings: dict[tuple[str, str], EvidenceRating] = field(default_factory=dict)
    #: (design, pilot, outcome, result object, writer options) for the plan's reports
    report_items: list[tuple[str, str, str, Any, dict[str, Any]]] = field(default_factory=list)

    def deviate(self, pilot: str, outcome: str, plan_item: str, kind: str, detail: str) -> None:
        row = {"pilot": pilot, "outcome": outcome, "plan_item": plan_item, "kind": kind}
        row["detail"] = detail
        if row not in self.deviations:  # a refit in a sensitivity analysis repeats them
            self.deviations.append(row)


def _check_row(kind: str, pilot: str, outcome: str, report: Any) -> dict[str, Any]:
    return {
        "kind": kind,
        "pilot": pilot,
        "outcome": outcome,
        "ok": bool(report.ok),
        "n_expectations": int(report.n_expectations),
        "n_failures": len(report.failures),
        "failures": "; ".join(f"{f.what}" for f in report.failures),
    }


def _comparison_ids(plan: Plan, inputs: Inputs, pilot: str) -> pd.Series:
    """Never-participants allowed in the comparison group (region and age eligibility)."""
    persons = inputs.persons
    part = inputs.participants
    entries = part.loc[part["pilot"].astype("string") == pilot, "entry_date"]
    if entries.empty:
        raise InputDataError(
            f"no participants of pilot {pilot!r}",
            where="participants",
            fix="check the pilot name in the plan against the client sheet",
        )
    start_year = int(pd.Timestamp(entries.min()).year)
    age = start_year - persons["birth_year"].astype("int64")
    elig = plan.population.eligibility
    keep = age.between(elig.age_min, elig.age_max)
    if plan.population.comparison == "pilot_regions":
        facts = PILOTS_BY_NAME.get(pilot)
        if facts is None:
            raise OptionError(
                f"the regions of pilot {pilot!r} are not known",
                where="population.comparison",
                fix="use comparison: national",
            )
        keep &= persons["region"].isin(facts.regions)
    never = ~persons["person_id"].isin(part["person_id"])
    return persons.loc[keep & never, "person_id"].astype("string").reset_index(drop=True)


def _agree(a: float, se_a: float, b: float, se_b: float) -> bool:
    return bool(abs(a - b) <= AGREEMENT_Z * float(np.hypot(se_a, se_b)))


def _run_did(
    plan: Plan,
    panel: PersonMonthPanel,
    inputs: Inputs,
    pilot: str,
    outcome: str,
    c: _Collect,
    did_fit: DidFit | None = None,
) -> None:
    opts = plan.design
    ids = _comparison_ids(plan, inputs, pilot)
    table = f"plan_did_{len(c.checks)}"

    def estimate(
        control_group: str, base_period: str | None = None
    ) -> tuple[Any, list[str], int, int]:
        rel = did_input(
            panel,
            pilot=pilot,
            outcome=outcome,
            comparison_ids=ids,
            never_participants=control_group == "nevertreated",
        )
        panel.con.execute(f"DROP TABLE IF EXISTS {table}")
        rel.order("person_id, month_index").to_table(table)
        counts = panel.con.sql(
            f"SELECT count(DISTINCT person_id) FILTER (WHERE cohort > 0), "
            f"count(DISTINCT person_id) FILTER (WHERE cohort = 0) FROM {table}"
        ).fetchall()[0]
        n_t, n_c = int(counts[0]), int(counts[1])
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            options: dict[str, Any] = {
                "outcome": "y",
                "time": "month_index",
                "unit": "person_id",
                "cohort": "cohort",
                "control_group": control_group,
                "method": opts.method,
                "base_period": base_period or opts.base_period,
                "anticipation": opts.anticipation,
            }
            if did_fit is None:
                res = att_gt(panel.con.table(table), **options)
            else:
                res = did_fit(
                    panel,
                    pilot=pilot,
                    outcome=outcome,
                    comparison_ids=ids,
                    never_participants=control_group == "nevertreated",
                    **{k: v for k, v in options.items() if k not in _COLUMN_OPTIONS},
                )
        notes = [str(w.message) for w in caught if issubclass(w.category, EstimatorNote)]
        return res, notes, n_t, n_c

    rel = did_input(panel, pilot=pilot, outcome=outcome, comparison_ids=ids)
    rel.to_table(f"{table}_check")
    report = validate(
        "did_input",
        DuckTable(panel.con, f"{table}_check", ("person_id", "month_index")),
        source=f"DiD input {pilot}/{outcome}",
        columns={"unit": "person_id", "time": "month_index", "cohort": "cohort", "outcome": "y"},
        treated=False,
    )
    panel.con.execute(f"DROP TABLE {table}_check")
    c.checks.append(_check_row("did_input", pilot, outcome, report))
    res, notes, n_t, n_c = estimate(opts.control_group)
    for note in notes:
        c.deviate(pilot, outcome, "design.control_group", "estimator_note", note)
    lo, hi = plan.follow_up.event_window
    simple = res.aggregate("simple")
    dyn = res.aggregate("dynamic", min_e=lo, max_e=hi)
    base = {"pilot": pilot, "outcome": outcome, "design": "staggered_did"}
    c.effects.append(
        {
            **base,
            "analysis": "main",
            "comparison": opts.control_group,
            "term": "ATT (simple)",
            "estimate": simple.estimate,
            "std_error": simple.std_error,
            "conf_low": simple.conf_low,
            "conf_high": simple.conf_high,
            "n_treated": n_t,
            "n_control": n_c,
        }
    )
    c.event_study.append(dyn.tidy().assign(**base).loc[:, _first(base, dyn.tidy())])
    cells = did_cell_table(res)
    c.att_gt.append(cells.assign(**base).loc[:, _first(base, cells)])
    test = res.event_study_pretrend(min_e=lo, max_e=hi)
    cell_test = res.pretrend_test()
    pw = _pilot_power(plan, panel, inputs, pilot, outcome, ids, n_t, c)
    honest = None
    if "honest_did" in plan.sensitivity:
        universal = (
            res if opts.base_period == "universal" else estimate(opts.control_group, "universal")[0]
        )
        honest = _honest_did(universal, lo, pilot, outcome, c)
    c.diagnostics.append(
        {
            **base,
            "mde": pw.mde if pw else np.nan,
            "breakdown_mbar": honest.breakdown() if honest else np.nan,
            "pretrend_statistic": test.statistic if test else np.nan,
            "pretrend_df": test.df if test else 0,
            "pretrend_p_value": test.p_value if test else np.nan,
            "cell_pretrend_p_value": cell_test.p_value if cell_test else np.nan,
            "balance_ok": pd.NA,
            "matched_share": np.nan,
            "attrition": np.nan,
            "n_treated": n_t,
            "n_control": n_c,
        }
    )
    passed: list[bool] = []
    alternatives: dict[str, Any] = {}
    if "notyettreated_comparison" in plan.sensitivity:
        other = "notyettreated" if opts.control_group == "nevertreated" else "nevertreated"
        alt, alt_notes, _, _ = estimate(other)
        for note in alt_notes:
            c.deviate(pilot, outcome, "sensitivity", "estimator_note", note)
        alternatives[other] = alt
        s = alt.aggregate("simple")
        ok = _agree(simple.estimate, simple.std_error, s.estimate, s.std_error)
        passed.append(ok)
        c.sensitivity.append(
            {
                **base,
                "analysis": "notyettreated_comparison",
                "detail": f"comparison group {other}",
                "estimate": s.estimate,
                "std_error": s.std_error,
                "main_estimate": simple.estimate,
                "passed": ok,
            }
        )
    panel.con.execute(f"DROP TABLE IF EXISTS {table}")
    c.report_items.append(
        (
            "did",
            pilot,
            outcome,
            res,
            {
                "min_e": lo,
                "max_e": hi,
                "sensitivity": alternatives,
                "power": pw,
                "honest": honest,
            },
        )
    )
    if plan.covariates:
        c.deviate(
            pilot,
            outcome,
            "covariates",
            "not_used",
            "the staggered DiD runs without covariates (unconditional parallel trends); "
            "the listed covariates are not used",
        )
    c.ratings[(pilot, outcome)] = rate_evidence(
        Diagnostics(
            design="staggered_did",
            n_treated=n_t,
            n_control=n_c,
            pretrend_p=test.p_value if test and test.available else None,
            pretrend_alpha=opts.pretrend_alpha,
            sensitivity_passed=all(passed) if passed else None,
            min_treated=plan.evidence.min_treated,
        )
    )


#: ``Mbar`` values of the ``honest_did`` sensitivity analysis (relative magnitudes).
HONEST_MBAR = (0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0)


def _pilot_power(
    plan: Plan,
    panel: PersonMonthPanel,
    inputs: Inputs,
    pilot: str,
    outcome: str,
    ids: pd.Series,
    n_treated: int,
    c: _Collect,
) -> Any:
    """The pilot's power (MDE) from placebo rollouts before its first entry, when the plan
    has a ``power:`` section; a problem is recorded as a deviation (``None``)."""
    if plan.power is None:
        return None
    from evaluation.power_analysis.plan import pilot_power  # plans <-> power import cycle

    part = inputs.participants
    dates = part.loc[part["pilot"].astype("string") == pilot, "entry_date"]
    entries = pd.to_datetime(dates).dt.to_period("M")
    try:
        return pilot_power(plan, panel, ids, entries, outcome=outcome, n_treated=n_treated)
    except PilotEvalError as exc:
        c.deviate(pilot, outcome, "power", "not_run", f"power analysis failed: {exc.what}")
        return None


def _honest_did(universal: Any, lo: int, pilot: str, outcome: str, c: _Collect) -> Any:
    """Relative-magnitude sensitivity (HonestDiD) of the effect in the entry month, on the
    universal-base event study from ``lo`` to 0; recorded in ``sensitivity.csv``."""
    try:
        dyn = universal.aggregate("dynamic", min_e=lo, max_e=0)
        sens = dyn.sensitivity("relative_magnitude", HONEST_MBAR, e=0)
    except PilotEvalError as exc:
        c.deviate(pilot, outcome, "sensitivity", "not_run", f"honest_did failed: {exc.what}")
        return None
    bd = sens.breakdown()
    c.sensitivity.append(
        {
            "pilot": pilot,
            "outcome": outcome,
            "design": "staggered_did",
            "analysis": "honest_did",
            "detail": "relative magnitudes (C-LF), entry-month effect: breakdown Mbar",
            "estimate": bd,
            "std_error": np.nan,
            "main_estimate": sens.estimate,
            "passed": pd.NA,
        }
    )
    return sens


def _first(base: dict[str, Any], frame: pd.DataFrame) -> list[str]:
    return [*base, *(col for col in frame.columns if col not in base)]


def _run_matching(
    plan: Plan, panel: PersonMonthPanel, inputs: Inputs, pilot: str, outcome: str, c: _Collect
) -> None:
    opts = plan.design
    design = opts.kind
    ids = _comparison_ids(plan, inputs, pilot)
    frame = matching_input(
        panel,
        inputs.persons,
        pilot=pilot,
        outcome=outcome,
        follow_up=plan.follow_up.months,
        history=plan.follow_up.history,
        comparison_ids=ids,
        seed=plan.seed,
    )
    frame = frame.assign(change_outcome=frame["post_outcome"] - frame["pre_outcome"])
    part = inputs.participants
    n_pilot = int(part.loc[part["pilot"].astype("string") == pilot, "person_id"].nunique())
    n_t_all = int(frame["treated"].sum())
    attrition = 1 - n_t_all / n_pilot if n_pilot else 0.0
    if n_pilot > n_t_all:
        c.deviate(
            pilot,
            outcome,
            "follow_up.months",
            "excluded_units",
            f"{n_pilot - n_t_all} of {n_pilot} participants excluded: follow-up of "
            f"{plan.follow_up.months} months runs past the data window",
        )

    def fit(covs: list[str]) -> tuple[MatchResult, Any]:
        kept, dropped = covariates_with_variation(frame, treatment="treated", covariates=covs)
        for name, why in dropped.items():
            # "np.int8(0)" -> "0": the reason shows the value, not its numpy type
            why = re.sub(r"np\.\w+\(([^()]*)\)", r"\1", why)
            c.deviate(
                pilot,
                outcome,
                "covariates",
                "dropped_covariate",
                f"{name} dropped from the propensity model: {why}",
            )
        m = match(
            frame,
            treatment="treated",
            covariates=kept,
            ratio=opts.ratio,
            caliper=opts.caliper,
            replace=opts.replace,
            exact=("reference_month",),
            seed=plan.seed,
        )
        eff = (
            m.did("post_outcome", "pre_outcome")
            if design == "matched_did"
            else m.att("post_outcome")
        )
        return m, eff

    m, eff = fit(list(plan.covariates))
    sizes = {str(r["group"]): r for r in m.sample_sizes().to_dict(orient="records")}
    n_t, n_c = int(sizes["treated"]["matched"]), int(sizes["control"]["matched"])
    pw = _pilot_power(plan, panel, inputs, pilot, outcome, ids, n_t, c)
    c.report_items.append(
        (
            "matching",
            pilot,
            outcome,
            m,
            {
                "primary": "did" if design == "matched_did" else "att",
                "rosenbaum": "rosenbaum_bounds" in plan.sensitivity and not opts.replace,
                "power": pw,
            },
        )
    )
    base = {"pilot": pilot, "outcome": outcome, "design": design}
    share = n_t / max(int(sizes["treated"]["all"]), 1)
    c.effects.append(
        {
            **base,
            "analysis": "main",
            "comparison": "matched never-participants",
            "term": "ATT",
            "estimate": eff.estimate,
            "std_error": eff.std_error,
            "conf_low": eff.conf_low,
            "conf_high": eff.conf_high,
            "n_treated": n_t,
            "n_control": n_c,
        }
    )
    bal = m.balance(include_distance=False)  # covariates only: the plan's balance table
    c.balance.append(bal.assign(**base).loc[:, _first(base, bal)])
    balance_ok = bool(bal["balanced"].all())
    c.diagnostics.append(
        {
            **base,
            "mde": pw.mde if pw else np.nan,
            "breakdown_mbar": np.nan,
            "pretrend_statistic": np.nan,
            "pretrend_df": 0,
            "pretrend_p_value": np.nan,
            "cell_pretrend_p_value": np.nan,
            "balance_ok": balance_ok,
            "matched_share": share,
            "attrition": attrition,
            "n_treated": n_t,
            "n_control": n_c,
        }
    )
    passed: list[bool] = []
    if "history_covariates" in plan.sensitivity:
        extra = [h for h in HISTORY_COVARIATES if h not in plan.covariates]
        _, alt = fit([*plan.covariates, *extra])
        ok = _agree(eff.estimate, eff.std_error, alt.estimate, alt.std_error)
        passed.append(ok)
        c.sensitivity.append(
            {
                **base,
                "analysis": "history_covariates",
                "detail": f"added {', '.join(extra) or 'nothing (already matched on history)'}",
                "estimate": alt.estimate,
                "std_error": alt.std_error,
                "main_estimate": eff.estimate,
                "passed": ok,
            }
        )
    column = "change_outcome" if design == "matched_did" else "post_outcome"
    for sub in plan.subgroups:
        try:
            by = m.by_subgroup(column, sub.covariate)
        except PilotEvalError as exc:
            c.deviate(pilot, outcome, "subgroups", "not_run", f"{sub.name}: {exc.what}")
            continue
        table = by.tidy().sort_values("level", kind="mergesort", ignore_index=True)
        keys = {**base, "name": sub.name}
        table = table.assign(heterogeneity_p_value=by.heterogeneity_p_value, **keys)
        c.subgroups.append(table[_first(keys, table)])
    if "rosenbaum_bounds" in plan.sensitivity:
        try:
            rb = m.rosenbaum(column)
        except PilotEvalError as exc:
            c.deviate(pilot, outcome, "sensitivity", "not_run", f"rosenbaum_bounds: {exc.what}")
        else:
            c.sensitivity.append(
                {
                    **base,
                    "analysis": "rosenbaum_bounds",
                    "detail": f"critical Gamma {rb.critical_gamma:g} (informational)",
                    "estimate": np.nan,
                    "std_error": np.nan,
                    "main_estimate": eff.estimate,
                    "passed": pd.NA,
                }
            )
    c.ratings[(pilot, outcome)] = rate_evidence(
        Diagnostics(
            design=design,
            n_treated=n_t,
            n_control=n_c,
            balance_ok=balance_ok,
            matched_share=share,
            attrition=attrition,
            sensitivity_passed=all(passed) if passed else None,
            min_treated=plan.evidence.min_treated,
        )
    )


# ----------------------------------------------------------------------------- writing
def _frame(rows: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    """Rows as a frame; ``columns`` (the leading ones) name the columns of an empty frame."""
    return pd.DataFrame(rows) if rows else pd.DataFrame(columns=columns)


def _concat(parts: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True)


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    with atomic_write(path, where="option --out") as tmp:
        frame.to_csv(tmp, index=False, lineterminator="\n")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _versions() -> dict[str, str]:
    out = {"python": sys.version.split()[0]}
    for name in MANIFEST_PACKAGES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def run_plan(plan_path: str | Path, out: str | Path, *, backend: str = "local") -> RunResult:
    """Run the plan at ``plan_path`` and write its results into the folder ``out``.

    Steps: validate the plan -> load inputs (canonical row order) -> check spells ->
    person-month panel (checked) -> per pilot and outcome: design input (checked),
    estimator, diagnostics, sensitivity analyses, evidence rating -> tidy files
    (:data:`OUTPUT_FILES`) and ``manifest.json``. Every deviation from the plan (e.g. a
    covariate dropped because of separation) is in ``deviations.csv``.

    Parameters
    ----------
    plan_path:
        Plan YAML file (see ``designs/plan.schema.json``).
    out:
        Output folder (created).
    backend:
        Data backend name in :data:`BACKENDS` (``"local"``).

    Raises
    ------
    PlanError
        The plan has mistakes (all listed).
    """
    if backend not in BACKENDS:
        raise OptionError(
            f"unknown backend {backend!r}", where="run_plan", fix=f"use {', '.join(BACKENDS)}"
        )
    path = Path(plan_path)
    plan = load_plan(path)
    if plan.treatment.entry != "client_sheet":  # checked before the data are loaded
        raise OptionError(
            "treatment entry from service spells is not supported yet",
            where=f"{path.name}, treatment.entry",
            fix="use entry: client_sheet (the first month in the pilot's client sheet)",
        )
    engine = BACKENDS[backend]()
    prep = _prepare(engine, plan, path.parent)
    try:
        return _execute(
            plan,
            path,
            Path(out),
            prep,
            engine.name,
            overrides={},
            did_fit=getattr(engine, "did_fit", None),
        )
    finally:
        prep.panel.con.close()


@dataclass(frozen=True)
class _Prepared:
    """Loaded inputs and their panel (shared by plans on the same data)."""

    inputs: Inputs
    panel: PersonMonthPanel
    checks: tuple[dict[str, Any], ...]


def _from_prebuilt(pre: Prebuilt) -> _Prepared:
    data = pre.data
    inputs = _inputs(
        data.spells,
        data.participants,
        data.persons,
        f"{data.months[0]:%Y-%m}",
        f"{data.months[-1]:%Y-%m}",
        {},
    )
    spells_check = _check_row("spells", "", "", validate("spells", inputs.spells))
    panel_check = _check_row("panel", "", "", validate("panel", pre.panel))
    return _Prepared(inputs, pre.panel, (spells_check, panel_check))


def _prepare(engine: Backend, plan: Plan, plan_dir: Path) -> _Prepared:
    inputs = engine.load(plan, plan_dir)
    spells_check = _check_row("spells", "", "", validate("spells", inputs.spells))
    panel = engine.panel(inputs)
    panel_check = _check_row("panel", "", "", validate("panel", panel))
    return _Prepared(inputs, panel, (spells_check, panel_check))


def _execute(
    plan: Plan,
    path: Path,
    out: Path,
    prep: _Prepared,
    backend: str,
    *,
    overrides: dict[str, Any],
    did_fit: DidFit | None = None,
) -> RunResult:
    if plan.treatment.entry != "client_sheet":
        raise OptionError(
            "treatment entry from service spells is not supported yet",
            where=f"{path.name}, treatment.entry",
            fix="use entry: client_sheet (the first month in the pilot's client sheet)",
        )
    inputs, panel = prep.inputs, prep.panel
    c = _Collect()
    c.checks.extend(prep.checks)
    for item, detail in overrides.items():
        c.deviate("", "", item, "overridden", detail)
    for pilot in plan.pilots:
        for outcome in plan.outcomes:
            if plan.design.kind == "staggered_did":
                _run_did(plan, panel, inputs, pilot, outcome, c, did_fit)
            else:
                _run_matching(plan, panel, inputs, pilot, outcome, c)
            if plan.subgroups and plan.design.kind == "staggered_did":
                c.deviate(
                    pilot,
                    outcome,
                    "subgroups",
                    "not_run",
                    "subgroup analyses are run for matching designs only in this version",
                )
    for i, rep in enumerate(plan.reports):
        if rep.kind == "compare":
            c.deviate(
                "",
                "",
                f"reports[{i}]",
                "not_run",
                f"compare report ({rep.language}) not rendered: it needs the pilots' "
                "self-evaluation tables (indicators, traffic lights, process, destinations), "
                "which a plan run does not produce; render it with pilot-eval report compare",
            )
    return _write(plan, path, out, inputs, c, backend, overrides)


def run_designs(
    designs: str | Path,
    out: str | Path,
    *,
    persons: int | None = None,
    seed: int | None = None,
    backend: str = "local",
    prebuilt: Prebuilt | None = None,
) -> dict[str, RunResult]:
    """Run every plan ``designs/*.yaml`` (or one file) into ``out/<plan file stem>/``.

    Plans on the same data share one loaded extract and panel. ``persons``/``seed``
    override the synthetic data source of every plan (e.g. from ``pilot-eval demo``); the
    override is recorded as a deviation and in each manifest. ``prebuilt`` hands over an
    extract and panel the caller already has (see :class:`Prebuilt`); the results are the
    same as without it. A summary of all plans (:func:`evidence_summary`) is written to
    ``out/summary.csv``.
    """
    if backend not in BACKENDS:
        raise OptionError(
            f"unknown backend {backend!r}", where="run_designs", fix=f"use {', '.join(BACKENDS)}"
        )
    where = Path(designs)
    paths = sorted(where.glob("*.yaml")) if where.is_dir() else [where]
    if not paths:
        raise InputDataError(
            "no plan files (*.yaml)", where=str(where), fix="add plans or give the designs folder"
        )
    target = output_folder(out)
    engine = BACKENDS[backend]()
    cache: dict[str, _Prepared] = {}
    results: dict[str, RunResult] = {}
    try:
        for path in paths:
            plan = load_plan(path)
            overrides: dict[str, Any] = {}
            syn = plan.data.synthetic
            if syn is not None and (persons is not None or seed is not None):
                new = SyntheticData(
                    persons=syn.persons if persons is None else persons,
                    seed=syn.seed if seed is None else seed,
                )
                if new != syn:
                    overrides["data.synthetic"] = (
                        f"persons={new.persons}, seed={new.seed} instead of "
                        f"persons={syn.persons}, seed={syn.seed} (set by the caller)"
                    )
                    plan = plan.model_copy(
                        update={"data": plan.data.model_copy(update={"synthetic": new})}
                    )
            pre = (
                prebuilt
                if prebuilt is not None
                and engine.name == "local"
                and plan.data.synthetic == prebuilt.synthetic
                and plan.data.window is None
                else None
            )
            key = "prebuilt" if pre else f"{plan.data.model_dump_json()}|{path.parent.resolve()}"
            if key not in cache:
                cache[key] = _from_prebuilt(pre) if pre else _prepare(engine, plan, path.parent)
            results[path.stem] = _execute(
                plan,
                path,
                target / path.stem,
                cache[key],
                engine.name,
                overrides=overrides,
                did_fit=getattr(engine, "did_fit", None),
            )
    finally:
        for name, prep in cache.items():
            if name != "prebuilt":  # the caller's connection stays open
                prep.panel.con.close()
    _write_csv(evidence_summary(results), target / "summary.csv")
    return results


def evidence_summary(results: dict[str, RunResult]) -> pd.DataFrame:
    """One row per plan, pilot and outcome: main estimate, SMS level and reasons.

    Columns: plan, pilot, outcome, design, estimate, std_error, conf_low, conf_high,
    n_treated, n_control, sms_level, reasons, n_deviations.
    """
    rows = []
    for name, res in results.items():
        main = res.effects[res.effects["analysis"] == "main"]
        for r in main.to_dict(orient="records"):
            rating = res.ratings[(str(r["pilot"]), str(r["outcome"]))]
            rows.append(
                {
                    "plan": name,
                    "pilot": r["pilot"],
                    "outcome": r["outcome"],
                    "design": r["design"],
                    "estimate": r["estimate"],
                    "std_error": r["std_error"],
                    "conf_low": r["conf_low"],
                    "conf_high": r["conf_high"],
                    "n_treated": r["n_treated"],
                    "n_control": r["n_control"],
                    "sms_level": rating.level,
                    "reasons": "; ".join(rating.reasons),
                    "n_deviations": len(res.deviations),
                }
            )
    return pd.DataFrame(rows)


def _write(
    plan: Plan,
    path: Path,
    out: Path,
    inputs: Inputs,
    c: _Collect,
    backend: str,
    overrides: dict[str, Any],
) -> RunResult:
    output_folder(out)
    keys = ["pilot", "outcome"]
    effects = _frame(
        c.effects,
        [
            "pilot",
            "outcome",
            "design",
            "analysis",
            "comparison",
            "term",
            "estimate",
            "std_error",
            "conf_low",
            "conf_high",
            "n_treated",
            "n_control",
        ],
    )
    dev = _frame(c.deviations, ["pilot", "outcome", "plan_item", "kind", "detail"])
    ev_rows, reason_rows = [], []
    for (pilot, outcome), rating in c.ratings.items():
        ev_rows.append(
            {
                "pilot": pilot,
                "outcome": outcome,
                "scale": rating.scale,
                "level": rating.level,
                "start_level": rating.start_level,
                "label": rating.label,
                "reasons": "; ".join(rating.reasons),
            }
        )
        for crit in rating.criteria:
            reason_rows.append(
                {
                    "pilot": pilot,
                    "outcome": outcome,
                    "criterion": crit.criterion,
                    "value": crit.value,
                    "change": crit.change,
                    "reason": crit.reason,
                }
            )
    tables = {
        "effects": effects,
        "event_study": _concat(c.event_study, [*keys, "design", "event_time", "estimate"]),
        "att_gt": _concat(c.att_gt, [*keys, "design", "cohort", "time", "estimate"]),
        "diagnostics": _frame(c.diagnostics, [*keys, "design"]),
        "balance": _concat(c.balance, [*keys, "design", "covariate", "balanced"]),
        "sensitivity": _frame(
            c.sensitivity,
            [
                *keys,
                "design",
                "analysis",
                "detail",
                "estimate",
                "std_error",
                "main_estimate",
                "passed",
            ],
        ),
        "subgroups": _concat(c.subgroups, [*keys, "design", "name", "subgroup", "level"]),
        "checks": _frame(
            c.checks,
            ["kind", "pilot", "outcome", "ok", "n_expectations", "n_failures", "failures"],
        ),
        "deviations": dev,
        "evidence": _frame(ev_rows, [*keys, "scale", "level", "start_level", "label", "reasons"]),
        "evidence_reasons": _frame(reason_rows, [*keys, "criterion", "value", "change", "reason"]),
    }
    for name, table in tables.items():
        _write_csv(table, out / f"{name}.csv")
    _write_results_json(plan, out, tables, ev_rows, [])
    n_before = len(c.deviations)
    reports = _render_reports(plan, out, c, tables)
    if len(c.deviations) > n_before:  # a report failed: record it in the results too
        tables["deviations"] = _frame(c.deviations, list(tables["deviations"].columns))
        _write_csv(tables["deviations"], out / "deviations.csv")
    _write_results_json(plan, out, tables, ev_rows, reports)
    manifest = {
        "plan": {
            "file": str(path.resolve()),
            "sha256": _sha256(path),
            "canonical_sha256": hashlib.sha256(
                json.dumps(plan.model_dump(mode="json"), sort_keys=True).encode()
            ).hexdigest(),
        },
        "inputs": inputs.hashes,
        "window": {"start": inputs.start, "end": inputs.end},
        "seeds": {
            "plan": plan.seed,
            "synthetic": plan.data.synthetic.seed if plan.data.synthetic else None,
        },
        "backend": backend,
        "overrides": overrides,
        "packages": _versions(),
        "platform": platform.platform(),
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "output_dir": str(out.resolve()),
        "outputs": {name: _sha256(out / name) for name in OUTPUT_FILES},
        "reports": {name: _sha256(out / name) for name in reports},
    }
    write_text(
        out / "manifest.json",
        json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=True) + "\n",
    )
    return RunResult(
        plan=plan,
        out=out,
        ratings=dict(c.ratings),
        manifest=manifest,
        reports=tuple(out / name for name in reports),
        **tables,
    )


def _write_results_json(
    plan: Plan,
    out: Path,
    tables: dict[str, pd.DataFrame],
    evidence: list[dict[str, Any]],
    reports: list[str],
) -> None:
    results = {
        "study": plan.study.model_dump(),
        "plan_version": plan.version,
        "design": plan.design.kind,
        "pilots": plan.pilots,
        "outcomes": plan.outcomes,
        "evidence": evidence,
        "n_deviations": len(tables["deviations"]),
        "files": [f"{name}.csv" for name in tables],
        "reports": reports,
    }
    write_text(
        out / "results.json",
        json.dumps(results, indent=2, ensure_ascii=False, sort_keys=True) + "\n",
    )


def _render_reports(
    plan: Plan, out: Path, c: _Collect, tables: dict[str, pd.DataFrame]
) -> list[str]:
    """Render the plan's impact reports into ``out/reports`` (paths relative to ``out``).

    The report reads the tidy tables of :mod:`evaluation.reporting.impact_results`
    (written to ``out/reports/results``) plus the plan's evidence rating and deviations
    (``plan_evidence.csv``, ``plan_deviations.csv``). A report that cannot be rendered is
    recorded as a deviation.
    """
    wanted = [(i, r) for i, r in enumerate(plan.reports) if r.kind == "impact"]
    if not wanted:
        return []
    from evaluation.reporting import REPORTS_DIR, render_report
    from evaluation.reporting.impact_results import write_did_results, write_matching_results

    folder = out / "reports"
    data = folder / "results"
    if data.exists():
        for old in data.iterdir():  # the writers upsert; start afresh
            if old.is_file():
                old.unlink()
    output_folder(folder, where="--out/reports")
    output_folder(data, where="--out/reports/results")
    for design, pilot, outcome, result, opts in c.report_items:
        if design == "did":
            write_did_results(
                data,
                result,
                pilot=pilot,
                outcome=outcome,
                min_e=opts["min_e"],
                max_e=opts["max_e"],
                sensitivity=opts["sensitivity"],
                power=opts["power"],
                honest=opts["honest"],
            )
        else:
            write_matching_results(
                data,
                result,
                pilot=pilot,
                outcome=outcome,
                primary=opts["primary"],
                rosenbaum=opts["rosenbaum"],
                power=opts.get("power"),
            )
    _write_csv(tables["evidence"], data / "plan_evidence.csv")
    rendered: list[str] = []
    done: set[str] = set()
    for i, rep in wanted:
        name = f"reports/impact-{rep.language}.html"
        if name in done:
            c.deviate("", "", f"reports[{i}]", "not_run", f"duplicate of an earlier report {name}")
            continue
        done.add(name)
        # the deviations as known now (a later failure is added to deviations.csv only)
        _write_csv(
            _frame(c.deviations, ["pilot", "outcome", "plan_item", "kind", "detail"]),
            data / "plan_deviations.csv",
        )
        try:
            render_report(
                REPORTS_DIR / "impact.qmd",
                params={"results_dir": str(data), "pilot": "", "threshold": 5},
                output=out / name,
                format="html",
                lang=rep.language,
            )
        except PilotEvalError as exc:
            c.deviate("", "", f"reports[{i}]", "not_run", f"impact report failed: {exc.what}")
            continue
        rendered.append(name)
    return rendered
