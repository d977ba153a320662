"""The table registry: every tidy table's name, columns, types and vocabularies, once.

Like cobalt's statistics registry, each table the toolkit writes is declared here as a
:class:`Table` of :class:`Column` records, and everything else is derived from it:

* the writers lay out their frames with :meth:`Table.frame` / :meth:`Table.empty` (the plan
  runner, :mod:`evaluation.reporting.impact_results`, the comparison example tables);
* readers and ``pilot-eval disclosure audit`` check files with :meth:`Table.validate`;
* ``docs/tables.md`` and ``docs/tables.schema.json`` are generated from it
  (``python -m evaluation.tables`` rewrites them; ``--check`` fails when they are stale).

Families: ``plan`` (``pilot-eval run`` output folder), ``impact`` (report results folder
written by ``write_did_results`` / ``write_matching_results``), ``comparison`` (the
funder's comparison report inputs), ``pilot`` (the pilot report's tables written by
``write_pilot_results``), ``disclosure`` (the output-checking log and the
published tables beside a rendered report set). There is one ``effects`` table, shared
by the plan runner, the impact writers and the comparison report.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

from evaluation._paths import project_folder
from evaluation.errors import InputDataError, MissingColumnError

__all__ = [
    "DESIGNS",
    "DESIGN_SECTION",
    "TABLES",
    "Column",
    "Design",
    "EffectRow",
    "Table",
    "canonical_design",
    "family_tables",
    "json_schema",
    "markdown",
    "table",
    "upgrade_effects",
    "write_docs",
]

Dtype = Literal["string", "integer", "number", "boolean"]
Family = Literal["plan", "impact", "comparison", "pilot", "disclosure"]
#: Impact designs, as plans name them (``design.kind``) and as ``effects.csv`` records them.
Design = Literal["staggered_did", "matching", "matched_did"]
DESIGNS: tuple[Design, ...] = get_args(Design)
#: The report section (``design`` column of ``sample_flow``/``truth``, table prefix
#: ``did_``/``matching_``) each design's result tables belong to.
DESIGN_SECTION: dict[str, str] = {
    "staggered_did": "did",
    "matching": "matching",
    "matched_did": "matching",
}
#: ``design`` values of ``effects.csv`` files written before the one layout.
LEGACY_DESIGNS: dict[str, Design] = {"did": "staggered_did"}


@dataclass(frozen=True)
class Column:
    """One column: name, type, meaning and, for a vocabulary, its allowed values."""

    name: str
    dtype: Dtype
    description: str
    values: tuple[str, ...] = ()


@dataclass(frozen=True)
class Table:
    """One tidy table (``name.csv``) of a family of output folders."""

    name: str
    family: Family
    description: str
    columns: tuple[Column, ...]

    @property
    def names(self) -> tuple[str, ...]:
        """Column names in order."""
        return tuple(c.name for c in self.columns)

    def empty(self) -> pd.DataFrame:
        """The table with no rows (every column present)."""
        return pd.DataFrame(columns=list(self.names))

    def frame(self, rows: Iterable[Mapping[str, Any]] | pd.DataFrame) -> pd.DataFrame:
        """``rows`` (records or a frame) with exactly the declared columns, in order.

        Raises
        ------
        MissingColumnError
            A declared column is missing from the rows.
        """
        frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
        if frame.empty and not len(frame.columns):
            return self.empty()
        missing = [c for c in self.names if c not in frame.columns]
        if missing:
            raise MissingColumnError(
                missing, where=f"table {self.name}", available=list(frame.columns)
            )
        return frame.loc[:, list(self.names)].reset_index(drop=True)

    def validate(self, frame: pd.DataFrame, *, where: str) -> None:
        """Check ``frame`` (as read from CSV) against the declaration.

        Raises
        ------
        MissingColumnError
            A declared column is missing.
        InputDataError
            A value does not have the column's type or is outside its vocabulary
            (the message names the file, row and column).
        """
        missing = [c for c in self.names if c not in frame.columns]
        if missing:
            raise MissingColumnError(missing, where=where, available=list(frame.columns))
        for col in self.columns:
            _check_column(col, frame[col.name], where)


_BOOL_TEXT = {"true", "false", "1", "0", "1.0", "0.0"}


def _bad_rows(col: Column, values: pd.Series) -> np.ndarray[Any, np.dtype[np.bool_]]:
    present = values.notna().to_numpy()
    if col.dtype in ("integer", "number"):
        num = pd.to_numeric(values, errors="coerce")
        bad = present & num.isna().to_numpy()
        if col.dtype == "integer":
            frac = num.notna().to_numpy() & ~np.isin(num.to_numpy(float) % 1, (0.0,))
            bad |= frac & np.isfinite(num.to_numpy(float))
        return bad
    text = values.astype("string").str.strip()
    if col.dtype == "boolean":
        return present & ~text.str.lower().isin(_BOOL_TEXT).fillna(False).to_numpy(bool)
    if col.values:
        return present & ~text.isin(col.values).fillna(False).to_numpy(bool)
    return np.zeros(len(values), dtype=bool)


def _check_column(col: Column, values: pd.Series, where: str) -> None:
    bad = _bad_rows(col, values)
    if not bad.any():
        return
    row = int(np.flatnonzero(bad)[0])
    allowed = f"one of {', '.join(col.values)}" if col.values else f"a {col.dtype} value"
    raise InputDataError(
        f"value {values.iloc[row]!r} in column {col.name!r} is not {allowed}",
        where=f"{where}, row {row + 2}, column {col.name!r}",  # header is line 1
        fix="write the table again with the toolkit (docs/tables.md lists every column)",
    )


# --------------------------------------------------------------------------- columns
def _c(name: str, dtype: Dtype, description: str, values: Sequence[str] = ()) -> Column:
    return Column(name, dtype, description, tuple(values))


PILOT = _c("pilot", "string", "pilot name as in the client sheet (empty: the whole plan)")
OUTCOME = _c("outcome", "string", "register outcome code, e.g. employed")
DESIGN = _c("design", "string", "impact design", DESIGNS)
SECTION = _c("design", "string", "report section of the design", ("did", "matching"))
ESTIMATE = _c("estimate", "number", "point estimate (outcome scale)")
STD_ERROR = _c("std_error", "number", "standard error")
CONF_LOW = _c("conf_low", "number", "lower end of the 95% interval")
CONF_HIGH = _c("conf_high", "number", "upper end of the 95% interval")
CONF_LOW_P = _c("conf_low_pointwise", "number", "lower end of the pointwise interval")
CONF_HIGH_P = _c("conf_high_pointwise", "number", "upper end of the pointwise interval")
CONF_LOW_U = _c("conf_low_uniform", "number", "lower end of the simultaneous band")
CONF_HIGH_U = _c("conf_high_uniform", "number", "upper end of the simultaneous band")
P_VALUE = _c("p_value", "number", "two-sided p-value")
STATISTIC = _c("statistic", "number", "test statistic")
N_TREATED = _c("n_treated", "integer", "treated persons")
N_CONTROL = _c("n_control", "integer", "comparison persons")
EVENT_TIME = _c("event_time", "integer", "months since entry (0: the entry month)")
COHORT = _c("cohort", "integer", "entry cohort (month index of the first month in the pilot)")
TIME = _c("time", "integer", "calendar month index")
BASE_PERIOD = _c("base_period", "integer", "month index the cell is compared with")
POST = _c("post", "boolean", "the month is at or after entry")
KEY = _c("key", "string", "option name")
VALUE_TEXT = _c("value", "string", "option value, as text")
REASONS = _c("reasons", "string", "reasons, separated by '; '")
COVARIATE = _c("covariate", "string", "covariate name")
BALANCED = _c("balanced", "boolean", "the covariate is balanced after matching")
KEYS = (PILOT, OUTCOME)
INTERVAL = (ESTIMATE, STD_ERROR, CONF_LOW, CONF_HIGH)
DEVIATION_KINDS = (
    "estimator_note",
    "not_used",
    "not_run",
    "excluded_units",
    "dropped_covariate",
    "overridden",
)
#: Traffic-light ratings and destinations after the pilot (comparison tables).
RATINGS = ("green", "yellow", "red", "na")
DESTINATIONS = ("employed", "education", "unemployed", "other")
CHECK_KINDS = ("spells", "panel", "did_input")
POWER = (
    _c("mde", "number", "minimum detectable effect at the target power"),
    _c("mde_std_error", "number", "Monte Carlo standard error of the MDE"),
    _c("placebo_size", "number", "false-alarm rate of the effect test on placebo rollouts"),
    _c("pretrend_size", "number", "false-alarm rate of the pre-trend test"),
    _c("n_treated", "integer", "treated persons assumed"),
    _c("cohorts", "integer", "monthly entry cohorts assumed"),
    _c("rollouts", "integer", "placebo rollouts"),
    _c("target_power", "number", "target power"),
    _c("alpha", "number", "significance level"),
)
BALANCE_SUMMARY = (
    _c("type", "string", "covariate type", ("binary", "contin")),
    _c("mean_treated_before", "number", "treated mean before matching"),
    _c("mean_control_before", "number", "comparison mean before matching"),
    _c("mean_treated_after", "number", "treated mean after matching"),
    _c("mean_control_after", "number", "comparison mean after matching"),
)
_SMD_VR = (
    _c("smd_before", "number", "standardised mean difference before matching"),
    _c("smd_after", "number", "standardised mean difference after matching"),
    _c("var_ratio_before", "number", "variance ratio before matching (continuous only)"),
    _c("var_ratio_after", "number", "variance ratio after matching (continuous only)"),
)
_ECDF = (
    _c("ecdf_mean_before", "number", "mean eCDF difference before matching"),
    _c("ecdf_mean_after", "number", "mean eCDF difference after matching"),
    _c("ecdf_max_before", "number", "largest eCDF difference before matching"),
    _c("ecdf_max_after", "number", "largest eCDF difference after matching"),
)
_DIFF = (
    _c("diff_before", "number", "raw mean difference before matching"),
    _c("diff_after", "number", "raw mean difference after matching"),
)


def _t(name: str, family: Family, description: str, *columns: Column) -> Table:
    return Table(name, family, description, columns)


# --------------------------------------------------------------------------- tables
_PLAN = (
    _t(
        "effects",
        "plan",
        "One row per pilot, outcome and estimate: the impact estimates. The same layout is "
        "written by the plan runner (outcome scale), the impact writers and read by the "
        "comparison report (share outcomes in percentage points there).",
        *KEYS,
        DESIGN,
        _c("analysis", "string", "main analysis or sensitivity analysis", ("main",)),
        _c("comparison", "string", "comparison group (nevertreated, notyettreated, matched ...)"),
        _c("term", "string", "estimand", ("ATT (simple)", "ATT", "ATT (adjusted)")),
        *INTERVAL,
        N_TREATED,
        N_CONTROL,
    ),
    _t(
        "event_study",
        "plan",
        "Staggered DiD: effects by months since entry (dynamic aggregation).",
        *KEYS,
        DESIGN,
        EVENT_TIME,
        *INTERVAL,
        CONF_LOW_P,
        CONF_HIGH_P,
        CONF_LOW_U,
        CONF_HIGH_U,
        _c("n_treated", "integer", "treated persons behind the estimate"),
    ),
    _t(
        "att_gt",
        "plan",
        "Staggered DiD: one row per group-time cell ATT(g, t).",
        *KEYS,
        DESIGN,
        COHORT,
        TIME,
        *INTERVAL,
        EVENT_TIME,
        BASE_PERIOD,
        POST,
        _c("n_treated", "integer", "persons in the cell's cohort"),
        _c("n_control", "integer", "persons in the cell's comparison cohorts"),
        CONF_LOW_P,
        CONF_HIGH_P,
    ),
    _t(
        "diagnostics",
        "plan",
        "One row per pilot and outcome: power, pre-trends, sensitivity, few-cluster "
        "inference, balance, overlap and attrition.",
        *KEYS,
        DESIGN,
        _c("mde", "number", "minimum detectable effect (plan's power section)"),
        _c("breakdown_mbar", "number", "HonestDiD breakdown Mbar (relative magnitudes)"),
        _c("pretrend_statistic", "number", "event-study pre-trend Wald statistic"),
        _c("pretrend_df", "integer", "degrees of freedom of the pre-trend test"),
        _c("pretrend_p_value", "number", "p-value of the event-study pre-trend test"),
        _c("cell_pretrend_p_value", "number", "p-value of the cell-level pre-trend test"),
        _c("balance_ok", "boolean", "every covariate balanced after matching"),
        _c("matched_share", "number", "share of treated persons matched"),
        _c("attrition", "number", "share of participants excluded (follow-up)"),
        N_TREATED,
        N_CONTROL,
        _c(
            "wild_p_value",
            "number",
            "few-cluster p-value of the simple ATT: restricted wild cluster bootstrap-t, "
            "clusters = regions, Webb weights (staggered DiD only)",
        ),
        _c("wild_clusters", "integer", "clusters (regions) of the wild cluster bootstrap"),
    ),
    _t(
        "balance",
        "plan",
        "Matching: covariate balance before and after matching (cobalt's definitions).",
        *KEYS,
        DESIGN,
        COVARIATE,
        *BALANCE_SUMMARY,
        *_DIFF,
        *_SMD_VR,
        *_ECDF,
        BALANCED,
    ),
    _t(
        "sensitivity",
        "plan",
        "Sensitivity analyses named in the plan and whether the main result survives.",
        *KEYS,
        DESIGN,
        _c(
            "analysis",
            "string",
            "sensitivity analysis",
            ("notyettreated_comparison", "honest_did", "history_covariates", "rosenbaum_bounds"),
        ),
        _c("detail", "string", "what was varied"),
        ESTIMATE,
        STD_ERROR,
        _c("main_estimate", "number", "the main analysis' estimate"),
        _c("passed", "boolean", "the estimates agree at 95% (empty: informational)"),
    ),
    _t(
        "subgroups",
        "plan",
        "Matching: effects by the levels of a subgroup covariate.",
        *KEYS,
        DESIGN,
        _c("name", "string", "subgroup analysis name (plan)"),
        _c("subgroup", "string", "covariate"),
        _c("level", "string", "covariate level"),
        *INTERVAL,
        N_TREATED,
        N_CONTROL,
        _c("method", "string", "estimator"),
        _c("heterogeneity_p_value", "number", "p-value of equal effects across levels"),
    ),
    _t(
        "checks",
        "plan",
        "Data checks (Great Expectations suites) of the inputs.",
        _c("kind", "string", "checked data", CHECK_KINDS),
        PILOT,
        _c("outcome", "string", "register outcome code (empty: every outcome)"),
        _c("ok", "boolean", "every expectation met"),
        _c("n_expectations", "integer", "expectations checked"),
        _c("n_failures", "integer", "expectations not met"),
        _c("failures", "string", "what failed, separated by '; '"),
    ),
    _t(
        "deviations",
        "plan",
        "Every departure from the plan.",
        PILOT,
        _c("outcome", "string", "register outcome code (empty: the whole plan)"),
        _c("plan_item", "string", "plan key departed from"),
        _c("kind", "string", "kind of deviation", DEVIATION_KINDS),
        _c("detail", "string", "what happened"),
    ),
    _t(
        "evidence",
        "plan",
        "Evidence rating per pilot and outcome (Maryland Scientific Methods Scale).",
        *KEYS,
        _c("scale", "string", "rating scale (its name)"),
        _c("level", "integer", "SMS level (1-5)"),
        _c("start_level", "integer", "level of the design before the criteria"),
        _c("label", "string", "words of the level"),
        REASONS,
    ),
    _t(
        "evidence_reasons",
        "plan",
        "The criteria behind each evidence rating.",
        *KEYS,
        _c("criterion", "string", "criterion"),
        _c("value", "string", "the criterion's value"),
        _c("change", "integer", "levels added (negative: removed)"),
        _c("reason", "string", "why"),
    ),
    _t(
        "summary",
        "plan",
        "run_designs: one row per plan, pilot and outcome (out/summary.csv).",
        _c("plan", "string", "plan file stem"),
        *KEYS,
        DESIGN,
        *INTERVAL,
        N_TREATED,
        N_CONTROL,
        _c("sms_level", "integer", "SMS level"),
        REASONS,
        _c("n_deviations", "integer", "deviations from the plan"),
    ),
)

_IMPACT = (
    _t("did_design", "impact", "Options of the staggered DiD.", *KEYS, KEY, VALUE_TEXT),
    _t(
        "did_att_gt",
        "impact",
        "One row per group-time cell (interval: simultaneous band with a bootstrap, else "
        "pointwise).",
        *KEYS,
        COHORT,
        TIME,
        EVENT_TIME,
        BASE_PERIOD,
        POST,
        *INTERVAL,
        _c("n_treated", "integer", "persons in the cell's cohort"),
        _c("n_control", "integer", "persons in the cell's comparison cohorts"),
    ),
    _t(
        "did_aggregations",
        "impact",
        "Simple, dynamic, group and calendar aggregations.",
        *KEYS,
        _c("kind", "string", "aggregation", ("simple", "dynamic", "group", "calendar")),
        _c("label", "integer", "event time / cohort / period (empty: the overall row)"),
        _c("overall", "boolean", "the kind's single summary number"),
        *INTERVAL,
        CONF_LOW_P,
        CONF_HIGH_P,
    ),
    _t(
        "did_pretrend",
        "impact",
        "Event-study pre-trend test (Wald statistic, rank, small-sample p-value).",
        *KEYS,
        STATISTIC,
        _c("df", "integer", "degrees of freedom"),
        P_VALUE,
    ),
    _t(
        "did_sensitivity",
        "impact",
        "Simple aggregate of the main and alternative specifications (and TWFE).",
        *KEYS,
        _c("analysis", "string", "specification (main, an alternative, twfe)"),
        *INTERVAL,
    ),
    _t(
        "did_bacon",
        "impact",
        "Goodman-Bacon decomposition of the TWFE estimate.",
        *KEYS,
        _c("comparison", "string", "kind of 2x2 comparison"),
        _c("treated", "string", "treated timing group"),
        _c("control", "string", "control timing group"),
        ESTIMATE,
        _c("weight", "number", "weight in the TWFE estimate"),
    ),
    _t("did_power", "impact", "Power before the pilot (staggered DiD).", *KEYS, *POWER),
    _t(
        "did_honest",
        "impact",
        "HonestDiD robust intervals of the entry-month effect (relative magnitudes).",
        *KEYS,
        _c("restriction", "string", "restriction on the violations"),
        _c("method", "string", "interval method"),
        _c("value", "number", "Mbar (or M)"),
        CONF_LOW,
        CONF_HIGH,
        _c("breakdown", "number", "breakdown value"),
    ),
    _t("matching_power", "impact", "Power before the pilot (matching).", *KEYS, *POWER),
    _t("matching_design", "impact", "Options of the matching.", *KEYS, KEY, VALUE_TEXT),
    _t(
        "matching_balance",
        "impact",
        "Covariate balance (cobalt's definitions).",
        *KEYS,
        COVARIATE,
        *BALANCE_SUMMARY,
        *_SMD_VR,
        BALANCED,
    ),
    _t(
        "matching_estimates",
        "impact",
        "Matched estimates of the effect.",
        *KEYS,
        _c("term", "string", "estimate", ("att", "att_adjusted", "did")),
        *INTERVAL,
        P_VALUE,
        _c("naive", "number", "unmatched difference"),
        N_TREATED,
        N_CONTROL,
        _c("method", "string", "estimator"),
        _c("se_type", "string", "standard error kind"),
    ),
    _t(
        "matching_rosenbaum",
        "impact",
        "Rosenbaum bounds (Wilcoxon signed rank).",
        *KEYS,
        _c("gamma", "number", "sensitivity parameter Gamma"),
        _c("p_lower", "number", "lower bound of the p-value"),
        _c("p_upper", "number", "upper bound of the p-value"),
    ),
    _t(
        "matching_refutations",
        "impact",
        "Refutation tests.",
        *KEYS,
        _c("refuter", "string", "refuter"),
        ESTIMATE,
        _c("new_effect", "number", "effect after the refutation"),
        _c("new_effect_sd", "number", "spread of the refuted effects"),
        P_VALUE,
        _c("passed", "boolean", "the refutation passed"),
        _c("n_simulations", "integer", "simulations"),
    ),
    _t(
        "sample_flow",
        "impact",
        "How the analysed sample arose.",
        *KEYS,
        SECTION,
        _c("step", "string", "step (cohort, comparison, all, matched, unmatched, ...)"),
        _c("group", "string", "group (cohort month, never_treated, treated, control)"),
        _c("persons", "integer", "persons"),
    ),
    _t(
        "truth",
        "impact",
        "True effect (synthetic data only).",
        *KEYS,
        SECTION,
        _c("value", "number", "true effect on the outcome scale"),
    ),
)


def _as(source: str, name: str, family: Family, description: str) -> Table:
    """A table of another family with the columns of the plan table ``source``."""
    columns = next(t.columns for t in _PLAN if t.name == source)
    return Table(name, family, description, columns)


_IMPACT_ALL = (
    *_IMPACT,
    _as("evidence", "plan_evidence", "impact", "The plan's evidence rating, for the report."),
    _as("deviations", "plan_deviations", "impact", "The plan's deviations, for the report."),
)

_COMPARISON = (
    _t(
        "indicators",
        "comparison",
        "Shared indicators.",
        PILOT,
        _c("indicator", "string", "code of the indicator dictionary"),
        ESTIMATE,
        CONF_LOW,
        CONF_HIGH,
        _c("n", "integer", "persons the estimate rests on"),
    ),
    _t(
        "traffic_lights",
        "comparison",
        "Traffic-light self-assessment.",
        PILOT,
        _c("theme", "string", "theme"),
        _c("criterion", "string", "criterion code"),
        _c("rating", "string", "rating", RATINGS),
    ),
    _t(
        "process",
        "comparison",
        "Process measures (MRC process evaluation).",
        PILOT,
        _c("target_group", "integer", "persons in the target group"),
        _c("participants", "integer", "participants"),
        _c("completed", "integer", "persons who completed"),
        _c("mean_dose_hours", "number", "service hours per participant"),
        _c("fidelity", "number", "share of core components delivered as planned"),
    ),
    _t(
        "destinations",
        "comparison",
        "Situation after the pilot.",
        PILOT,
        _c(
            "destination", "string", "destination", ("employed", "education", "unemployed", "other")
        ),
        _c("persons", "integer", "persons"),
    ),
)


_PILOT = (
    _t(
        "pilot_forms",
        "pilot",
        "Answers of the form sections of a pilot's self-evaluation workbook.",
        PILOT,
        _c("section", "string", "schema section"),
        _c("field", "string", "schema field"),
        _c("value", "string", "answer, as text"),
    ),
    _t(
        "pilot_sections",
        "pilot",
        "Records of the pilot-level table sections, one row per cell.",
        PILOT,
        _c("section", "string", "schema section"),
        _c("row_no", "integer", "record number in the section"),
        _c("field", "string", "schema field"),
        _c("value", "string", "cell value, as text"),
    ),
    _t(
        "pilot_indicators",
        "pilot",
        "Shared indicators at the workbook's report date.",
        PILOT,
        _c("indicator", "string", "code of the indicator dictionary"),
        _c("domain", "string", "indicator domain"),
        _c("unit", "string", "unit of the value"),
        _c("group_var", "string", "grouping variable (all: no grouping)"),
        _c("group", "string", "group"),
        _c("numerator", "integer", "persons counted"),
        _c("denominator", "number", "persons in the base"),
        _c("value", "number", "indicator value"),
    ),
    _t(
        "pilot_timeline",
        "pilot",
        "Clients entering and leaving the pilot and starting paid work, by quarter.",
        PILOT,
        _c("quarter", "string", "quarter (YYYY-Qn)"),
        _c("entered", "integer", "persons entering"),
        _c("exited", "integer", "persons leaving"),
        _c("employed", "integer", "persons starting paid work"),
    ),
    _t(
        "pilot_scores",
        "pilot",
        "Self-assessment scores by wave.",
        PILOT,
        _c("wave", "string", "wave (baseline, follow-up)"),
        _c("measure", "string", "measure"),
        _c("mean", "number", "mean score"),
        _c("n", "integer", "persons"),
    ),
)


def _published_effects(effects: Table) -> Table:
    counts = {"n_treated", "n_control"}
    cols = tuple(
        replace(c, dtype="string", description=f"{c.description} (a count or <threshold)")
        if c.name in counts
        else c
        for c in effects.columns
    )
    return Table(
        "published/effects",
        "disclosure",
        "The effects as published: estimates empty where they rest on too few persons.",
        cols,
    )


_DISCLOSURE = (
    _t(
        "disclosure",
        "disclosure",
        "Output-checking log: one row per published cell or number.",
        _c("table", "string", "table the cell belongs to"),
        _c("cell", "string", "cell id"),
        _c("row", "string", "row label"),
        _c("column", "string", "column label"),
        _c("n", "integer", "persons behind the cell"),
        _c("rule", "string", "rule applied"),
        _c("status", "string", "shown or hidden", ("shown", "hidden")),
        _c("audited_low", "number", "lowest value a reader can infer"),
        _c("audited_high", "number", "highest value a reader can infer"),
        _c("threshold", "integer", "smallest person count shown"),
    ),
    _t(
        "published/counts",
        "disclosure",
        "Every count table as published.",
        _c("table", "string", "table"),
        _c("row", "string", "row label"),
        _c("column", "string", "column label"),
        _c("value", "string", "a count, <threshold or *"),
    ),
    _published_effects(_PLAN[0]),  # effects is the first plan table
)

#: Every registered table by name (``effects`` is the one effects table of every family).
TABLES: dict[str, Table] = {
    t.name: t for t in (*_PLAN, *_IMPACT_ALL, *_COMPARISON, *_PILOT, *_DISCLOSURE)
}


def table(name: str) -> Table:
    """The registered table ``name``.

    Raises
    ------
    KeyError
        No table of that name (a programming error, not user input).
    """
    return TABLES[name]


def family_tables(family: Family) -> tuple[Table, ...]:
    """The tables of ``family`` in declaration order (``effects`` belongs to every
    family that writes or reads it: plan, impact and comparison)."""
    own = tuple(t for t in TABLES.values() if t.family == family)
    return (TABLES["effects"], *own) if family in ("impact", "comparison") else own


@dataclass(frozen=True)
class EffectRow:
    """One row of the ``effects`` table, typed (fields = the table's columns, in order)."""

    pilot: str
    outcome: str
    design: str
    analysis: str
    comparison: str
    term: str
    estimate: float
    std_error: float
    conf_low: float
    conf_high: float
    n_treated: int
    n_control: int

    def scaled(self, factor: float) -> EffectRow:
        """The row with the estimate and its interval multiplied by ``factor``."""
        return replace(
            self,
            estimate=factor * self.estimate,
            std_error=factor * self.std_error,
            conf_low=factor * self.conf_low,
            conf_high=factor * self.conf_high,
        )


def canonical_design(design: str) -> str:
    """``design`` in the one vocabulary (:data:`DESIGNS`): former names mapped."""
    return LEGACY_DESIGNS.get(design, design)


def upgrade_effects(frame: pd.DataFrame) -> pd.DataFrame:
    """An ``effects`` table in the one layout, also from the former 9-column layout
    (``design`` ``did``/``matching``; no ``analysis``, ``comparison``, ``term``)."""
    out = frame.copy()
    if "design" in out.columns:
        out["design"] = out["design"].map(lambda d: canonical_design(str(d)))
    defaults = {"analysis": "main", "comparison": "", "term": "ATT"}
    for name, value in defaults.items():
        if name not in out.columns:
            out[name] = value
    return out


# --------------------------------------------------------------------------- documents
_JSON_TYPE = {"string": "string", "integer": "integer", "number": "number", "boolean": "boolean"}


def _column_schema(col: Column) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": [_JSON_TYPE[col.dtype], "null"]}
    schema["description"] = col.description
    if col.values:
        schema["enum"] = [*col.values, None]
    return schema


def json_schema() -> dict[str, Any]:
    """JSON Schema (2020-12) of one row of every table, under ``$defs`` by table name."""
    defs = {
        t.name: {
            "title": t.name,
            "description": t.description,
            "x-family": t.family,
            "x-columns": list(t.names),
            "type": "object",
            "properties": {c.name: _column_schema(c) for c in t.columns},
            "required": list(t.names),
            "additionalProperties": False,
        }
        for t in TABLES.values()
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://github.com/pilot-evaluation/tables.schema.json",
        "title": "pilot-evaluation tidy tables (one row of each)",
        "description": "Generated by python -m evaluation.tables; do not edit.",
        "$defs": defs,
    }


_FAMILY_TITLES: dict[Family, str] = {
    "plan": "Plan run folder (`pilot-eval run FILE --out DIR`)",
    "impact": "Impact report results folder (`write_did_results`, `write_matching_results`)",
    "comparison": "Comparison report inputs (`pilot-eval report compare --results DIR`)",
    "pilot": "Pilot report results folder (`write_pilot_results`)",
    "disclosure": "Disclosure log and published tables (beside a rendered report set)",
}


def _markdown_table(t: Table) -> list[str]:
    lines = [f"### `{t.name}.csv`", "", t.description, ""]
    lines += ["| column | type | values | meaning |", "|---|---|---|---|"]
    for c in t.columns:
        values = ", ".join(f"`{v}`" for v in c.values)
        lines.append(f"| `{c.name}` | {c.dtype} | {values} | {c.description} |")
    return [*lines, ""]


def markdown() -> str:
    """The tables documentation page (``docs/tables.md``)."""
    lines = [
        "# Tidy tables",
        "",
        "Generated from `evaluation/tables.py` by `python -m evaluation.tables`; do not "
        "edit. The JSON Schema of one row of each table is `tables.schema.json`. Every "
        "column may be empty (missing) unless the writer says otherwise; CSV files are "
        "UTF-8 with a header line.",
        "",
        f"Designs: {', '.join(f'`{d}`' for d in DESIGNS)}.",
        "",
    ]
    for family, title in _FAMILY_TITLES.items():
        lines += [f"## {title}", ""]
        for t in family_tables(family):
            lines += _markdown_table(t) if t.family == family else ["`effects.csv`: see above.", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def _documents() -> dict[str, str]:
    schema = json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
    return {"tables.md": markdown(), "tables.schema.json": schema}


#: Folder of the generated documents.
DOCS_DIR = project_folder("docs")


def write_docs(folder: Path = DOCS_DIR, *, check: bool = False) -> list[Path]:
    """Write ``tables.md`` and ``tables.schema.json`` into ``folder``; with ``check``,
    write nothing and return the files that are missing or stale."""
    stale = []
    for name, text in _documents().items():
        path = folder / name
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        if current != text:
            stale.append(path)
            if not check:
                path.write_text(text, encoding="utf-8")
    return stale


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m evaluation.tables [--check] [--out DIR]``."""
    parser = argparse.ArgumentParser(description="Write docs/tables.md and tables.schema.json.")
    parser.add_argument("--out", type=Path, default=DOCS_DIR, help="folder (default docs/)")
    parser.add_argument("--check", action="store_true", help="only report stale files")
    args = parser.parse_args(argv)
    stale = write_docs(args.out, check=args.check)
    for path in stale:
        print(f"{'stale' if args.check else 'written'}: {path}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
