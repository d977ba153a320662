"""Tidy result writers of the impact designs (pure: no rendering) and their loader.

:func:`write_did_results` and :func:`write_matching_results` turn an estimator's result
object into CSV tables in a results folder; the impact and pilot reports read nothing
else. Every table has leading columns ``pilot`` and ``outcome``; writing a pilot's
results again replaces its earlier rows (of the same design), so one folder can hold all
pilots. Both writers also append one row per pilot to ``effects.csv`` (the ``effects``
format of :mod:`evaluation.reporting.results`), so the funder's comparison can pool the
real estimates, and update ``manifest.json``.

Tables (``name.csv``; column names and types)
----------------------------------------------
``did_design``
    ``pilot, outcome, key, value`` (str): the options of the staggered DiD (control
    group, estimation method, base period, anticipation, standard errors, alpha,
    bootstrap, periods, units, clusters, outcome unit, notes).
``did_att_gt``
    One row per group-time cell: ``pilot, outcome, cohort, time, event_time`` (int),
    ``base_period`` (int), ``post`` (bool), ``estimate, std_error, conf_low, conf_high``
    (float, outcome scale; simultaneous band with a bootstrap, else pointwise),
    ``n_treated, n_control`` (int, persons in the cell's cohort / comparison cohorts).
``did_aggregations``
    ``pilot, outcome, kind`` (``simple``, ``dynamic``, ``group``, ``calendar``),
    ``label`` (int event time / cohort / period; empty for the overall row), ``overall``
    (bool: the kind's single summary number), ``estimate, std_error, conf_low, conf_high,
    conf_low_pointwise, conf_high_pointwise`` (float).
``did_pretrend``
    ``pilot, outcome, statistic, df, p_value``: the event-study pre-trend test
    (:class:`~evaluation.estimators.did.EventStudyPretrend`: Wald statistic and its rank,
    small-sample p-value) of the pre-entry effects in the report's event window (no row
    when there are none, or too few treated units for the test).
``did_sensitivity``
    ``pilot, outcome, analysis, estimate, std_error, conf_low, conf_high``: the simple
    aggregate of the main analysis (``main``), of each alternative specification given
    to the writer, and the two-way fixed-effects estimate (``twfe``) when given.
``did_power``
    ``pilot, outcome, mde, mde_std_error, placebo_size, pretrend_size`` (float), ``n_treated,
    cohorts, rollouts`` (int), ``target_power, alpha``: power before the pilot
    (:func:`evaluation.power`), only when computed.
``did_honest``
    ``pilot, outcome, restriction, method, value, conf_low, conf_high, breakdown``: robust
    intervals of the entry-month effect under relative magnitudes (HonestDiD), only when
    computed.
``matching_power``
    As ``did_power``, for a matched design (only when computed).
``did_bacon``
    ``pilot, outcome, comparison, treated, control, estimate, weight``: Goodman-Bacon
    decomposition of the TWFE estimate (only with ``twfe=``).
``matching_design``
    ``pilot, outcome, key, value``: matching options (method, distance, ratio, replace,
    caliper, covariates, exact), number of covariates and balance verdict.
``matching_balance``
    ``pilot, outcome, covariate, type, mean_treated_before, mean_control_before,
    mean_treated_after, mean_control_after, smd_before, smd_after, var_ratio_before,
    var_ratio_after, balanced`` (cobalt's definitions).
``matching_estimates``
    ``pilot, outcome, term`` (``att``, ``att_adjusted``, ``did``), ``estimate,
    std_error, conf_low, conf_high, p_value, naive`` (float), ``n_treated, n_control``
    (int, persons), ``method, se_type`` (str).
``matching_rosenbaum``
    ``pilot, outcome, gamma, p_lower, p_upper`` (Rosenbaum bounds, Wilcoxon signed rank).
``matching_refutations``
    ``pilot, outcome, refuter, estimate, new_effect, new_effect_sd, p_value, passed,
    n_simulations``.
``sample_flow``
    ``pilot, outcome, design, step, group, persons`` (int): how the analysed sample
    arose. DiD: ``step`` ``cohort`` (``group`` = first month in the pilot) and
    ``comparison`` (``group`` = ``never_treated``); matching: ``step`` ``all``,
    ``matched``, ``unmatched`` for ``group`` ``treated`` / ``control``; both may carry
    caller-given steps (e.g. ``excluded_short_follow_up``).
``truth``
    ``pilot, outcome, design, value``: the true effect, known only for synthetic data.
``effects``
    The one effects table of :mod:`evaluation.tables` (as the plan runner writes it):
    ``pilot, outcome, design`` (``staggered_did``; ``matching`` or, with
    ``primary="did"``, ``matched_did``), ``analysis`` (``main``), ``comparison, term,
    estimate, std_error, conf_low, conf_high, n_treated, n_control``, with the result
    object's own interval (t-based for matching). Effects of share outcomes are written
    in percentage points (x100), as the comparison report expects. DiD rows carry the
    simple aggregate, ``n_treated`` the persons in the cohorts and ``n_control`` the
    never-treated persons.

Every table is declared once in :mod:`evaluation.tables` (``docs/tables.md``); the writers
check each table against it before writing.
``manifest.json``
    ``{"created_utc", "software": {python and the packages of
    :data:`evaluation.provenance.PACKAGES`}, "inputs": {name: sha256}, "tables":
    {file: sha256}, "runs": [{pilot, outcome, design}]}`` (keys sorted).

Person identifiers never reach these tables: the writers refuse result objects whose
tables would carry one (:func:`evaluation.reporting.disclosure.assert_no_identifiers`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from evaluation.errors import InputDataError, OptionError, ReportError
from evaluation.provenance import (
    PACKAGES,
    file_sha256,
    frame_sha256,
    hash_input,
    software_versions,
    write_json,
)
from evaluation.reporting.disclosure import assert_no_identifiers
from evaluation.reporting.tables_io import read_csv, results_folder, write_csv
from evaluation.tables import TABLES, EffectRow, family_tables, table, upgrade_effects

if TYPE_CHECKING:
    from evaluation.estimators.did import (
        AggregateResult,
        AttGtResult,
        SensitivityResult,
        TwfeComparison,
    )
    from evaluation.estimators.matching import MatchResult, RefutationResult
    from evaluation.power_analysis import PowerResult

OutcomeUnit = Literal["share", "months", "score"]
MatchingPrimary = Literal["att", "att_adjusted", "did"]

#: Packages whose versions the manifest records (the one list of :mod:`evaluation.provenance`).
MANIFEST_PACKAGES = PACKAGES
#: Columns of every impact table besides the leading ``pilot, outcome`` (from the registry
#: :mod:`evaluation.tables`).
IMPACT_TABLES: dict[str, tuple[str, ...]] = {
    t.name: t.names[2:] for t in family_tables("impact") if t.name != "effects"
}
#: Columns of ``effects.csv`` (the one effects table of :mod:`evaluation.tables`).
EFFECTS = table("effects")
EFFECT_COLUMNS = EFFECTS.names
#: ``term`` of the effects row of each primary matching estimate.
MATCHING_TERMS: dict[str, str] = {"att": "ATT", "att_adjusted": "ATT (adjusted)", "did": "ATT"}
#: ``comparison`` of the effects row of a matched design.
MATCHED_COMPARISON = "matched comparison group"
_Z95 = 1.959963984540054


def _folder(folder: Path | str) -> Path:
    return results_folder(folder)


def _upsert(root: Path, name: str, new: pd.DataFrame, key: Mapping[str, str]) -> Path:
    """Replace the rows of ``key`` in ``name.csv`` by ``new`` (creating the file)."""
    assert_no_identifiers(new, where=f"{name}.csv")
    if name in TABLES:  # the registry's columns, types and vocabularies
        TABLES[name].validate(new, where=f"results table {name}.csv")
    path = root / f"{name}.csv"
    if path.exists():
        old = read_csv(path, dtype={k: str for k in key})
        if name == "effects":  # a folder written before the one effects layout
            old = EFFECTS.frame(upgrade_effects(old))
        same = np.ones(len(old), dtype=bool)  # rows of the same key are replaced
        for col, val in key.items():
            if col in old.columns:
                same &= old[col].astype(str).to_numpy() == str(val)
        keep = ~same
        frames = [f for f in (old.loc[keep], new) if len(f)]
        new = pd.concat(frames, ignore_index=True) if frames else new
        # Same content whatever the order of writing: rows grouped by key, stable within.
        by = [c for c in key if c in new.columns]
        new = new.sort_values(by, kind="stable", key=lambda c: c.astype(str), ignore_index=True)
    return write_csv(new, path, where=f"results table {name}.csv")


def _with_keys(frame: pd.DataFrame, pilot: str, outcome: str) -> pd.DataFrame:
    out = frame.reset_index(drop=True).copy()
    out.insert(0, "outcome", outcome)
    out.insert(0, "pilot", pilot)
    return out


def _update_manifest(
    root: Path,
    written: Sequence[Path],
    inputs: Mapping[str, object] | None,
    run: Mapping[str, str],
) -> Path:
    path = root / "manifest.json"
    manifest: dict[str, Any] = {}
    if path.exists():
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise InputDataError(
                f"manifest.json is not valid JSON ({exc.msg})",
                where=f"{path}, line {exc.lineno}",
                fix="delete the file; the writers create it again",
            ) from exc
    manifest["created_utc"] = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    manifest["software"] = software_versions()
    hashes = dict(manifest.get("inputs", {}))
    for name, value in (inputs or {}).items():
        hashes[str(name)] = hash_input(str(name), value)
    manifest["inputs"] = hashes
    tables = dict(manifest.get("tables", {}))
    for p in written:
        tables[p.name] = file_sha256(p)
    manifest["tables"] = dict(sorted(tables.items()))
    runs = [r for r in manifest.get("runs", []) if r != dict(run)]
    manifest["runs"] = [*runs, dict(run)]
    return write_json(path, manifest, where="results manifest.json")


def _check_name(value: str, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise OptionError(f"{what} is empty", where=f"{what}=", fix=f"give the {what} name")
    return value


def _scale(unit: OutcomeUnit) -> float:
    if unit not in ("share", "months", "score"):
        raise OptionError(
            f"unknown outcome unit {unit!r}", where="unit=", fix="use share, months or score"
        )
    return 100.0 if unit == "share" else 1.0


def _effects_frame(row: EffectRow, unit: OutcomeUnit) -> pd.DataFrame:
    """The effects row in the registry's layout; share outcomes in percentage points."""
    return EFFECTS.frame([asdict(row.scaled(_scale(unit)))])


def _design_table(items: Mapping[str, object]) -> pd.DataFrame:
    return pd.DataFrame({"key": list(items), "value": [str(v) for v in items.values()]})


def _aggregation_rows(agg: AggregateResult) -> pd.DataFrame:
    kind = agg.kind
    overall = pd.DataFrame(
        [
            {
                "kind": kind,
                "label": pd.NA,
                "overall": True,
                "estimate": agg.estimate,
                "std_error": agg.std_error,
                "conf_low": agg.conf_low,
                "conf_high": agg.conf_high,
                "conf_low_pointwise": agg.conf_low,
                "conf_high_pointwise": agg.conf_high,
            }
        ]
    )
    if kind == "simple":
        return overall
    # Without a bootstrap the written interval is pointwise: skip the (costly, unused)
    # simulated sup-t critical value that ``agg.tidy()`` would compute.
    est, se = agg.element_estimate, agg.element_std_error
    lo_p, hi_p = est - agg.crit_pointwise * se, est + agg.crit_pointwise * se
    if agg.bootstrap:
        lo, hi = est - agg.crit_uniform * se, est + agg.crit_uniform * se
    else:
        lo, hi = lo_p, hi_p
    el = pd.DataFrame(
        {
            "kind": kind,
            "label": pd.array(agg.labels.astype(np.int64), dtype="Int64"),
            "overall": False,
            "estimate": est,
            "std_error": se,
            "conf_low": lo,
            "conf_high": hi,
            "conf_low_pointwise": lo_p,
            "conf_high_pointwise": hi_p,
        }
    )
    overall["label"] = overall["label"].astype("Int64")
    return pd.concat([overall, el], ignore_index=True)


def did_cell_table(result: AttGtResult) -> pd.DataFrame:
    """``result.tidy()`` without the simultaneous band unless there is a bootstrap.

    Without bootstrap draws the reported interval is pointwise, so the costly sup-t
    critical value over all cells (``crit_uniform``) is not computed; the columns are
    those of ``result.tidy()`` less ``conf_low_uniform`` and ``conf_high_uniform``.
    """
    if result.draws is not None:
        return result.tidy()
    crit = result.crit_pointwise
    lo, hi = result.estimate - crit * result.std_error, result.estimate + crit * result.std_error
    return pd.DataFrame(
        {
            "cohort": result.cohort.astype(np.int64),
            "time": result.time,
            "estimate": result.estimate,
            "std_error": result.std_error,
            "conf_low": lo,
            "conf_high": hi,
            "event_time": (result.time - result.cohort).astype(np.int64),
            "base_period": result.base_period,
            "post": result.cohort <= result.time,
            "n_treated": result.n_treated,
            "n_control": result.n_control,
            "conf_low_pointwise": lo,
            "conf_high_pointwise": hi,
        }
    )


def write_did_results(
    folder: Path | str,
    result: AttGtResult,
    *,
    pilot: str,
    outcome: str,
    unit: OutcomeUnit = "share",
    min_e: int = -12,
    max_e: int = 18,
    truth: float | None = None,
    twfe: TwfeComparison | None = None,
    sensitivity: Mapping[str, AttGtResult] | None = None,
    sample_flow: Mapping[str, int] | None = None,
    inputs: Mapping[str, object] | None = None,
    power: PowerResult | None = None,
    honest: SensitivityResult | None = None,
) -> list[Path]:
    """Write the tidy tables of a staggered DiD (see the module docstring).

    Parameters
    ----------
    folder:
        Results folder (created when missing).
    result:
        :func:`evaluation.estimators.did.att_gt` result of one pilot and outcome.
    pilot, outcome:
        Pilot name and outcome code (e.g. ``employed``) the rows are keyed by.
    unit:
        ``share`` (0/1 outcome; effects.csv in percentage points), ``months`` or ``score``.
    min_e, max_e:
        Event-time window of the dynamic aggregation (event-study plot).
    truth:
        True effect on the outcome scale (synthetic data only).
    twfe:
        :func:`evaluation.estimators.did.twfe_comparison` on the same data.
    sensitivity:
        Alternative specifications by name (e.g. ``{"notyettreated": result2}``); their
        simple aggregates go to ``did_sensitivity``.
    sample_flow:
        Extra counts of persons by step (e.g. ``{"excluded_short_follow_up": 12}``).
    inputs:
        Input files (paths), bytes or DataFrames by name; their SHA-256 go to the manifest.
    power:
        :func:`evaluation.power` of the pilot before it started (``did_power``).
    honest:
        HonestDiD sensitivity of the event study (``did_honest``).

    Returns
    -------
    list of Path
        The files written (the manifest last).
    """
    root = _folder(folder)
    _check_name(pilot, "pilot")
    _check_name(outcome, "outcome")
    _scale(unit)
    key = {"pilot": pilot, "outcome": outcome}
    written: list[Path] = []
    o = result.options
    design = {
        "control_group": o.get("control_group"),
        "method": o.get("method"),
        "base_period": o.get("base_period"),
        "anticipation": o.get("anticipation"),
        "se_kind": o.get("se_kind"),
        "alpha": result.alpha,
        "bootstrap": result.draws is not None,
        "n_units": result.n_units,
        "n_clusters": result.n_clusters,
        "n_periods": len(result.periods),
        "first_period": int(result.periods.min()),
        "last_period": int(result.periods.max()),
        "n_cohorts": len(result.cohorts),
        "n_cells": result.n_cells,
        "min_e": min_e,
        "max_e": max_e,
        "unit": unit,
        "notes": " | ".join(result.notes),
    }
    written.append(
        _upsert(root, "did_design", _with_keys(_design_table(design), pilot, outcome), key)
    )
    tab = did_cell_table(result)
    cells = tab[["cohort", *IMPACT_TABLES["did_att_gt"][1:]]]
    written.append(_upsert(root, "did_att_gt", _with_keys(cells, pilot, outcome), key))
    simple = result.aggregate("simple")
    aggs = pd.concat(
        [
            _aggregation_rows(simple),
            _aggregation_rows(result.aggregate("dynamic", min_e=min_e, max_e=max_e)),
            _aggregation_rows(result.aggregate("group")),
            _aggregation_rows(result.aggregate("calendar")),
        ],
        ignore_index=True,
    )
    written.append(_upsert(root, "did_aggregations", _with_keys(aggs, pilot, outcome), key))
    test = result.event_study_pretrend(min_e=min_e, max_e=max_e)
    pre = pd.DataFrame(
        [{"statistic": test.statistic, "df": test.df, "p_value": test.p_value}]
        if test is not None and test.available
        else [],
        columns=list(IMPACT_TABLES["did_pretrend"]),
    )
    written.append(_upsert(root, "did_pretrend", _with_keys(pre, pilot, outcome), key))
    sens_rows = [("main", simple.estimate, simple.std_error)]
    for name, alt in (sensitivity or {}).items():
        a = alt.aggregate("simple")
        sens_rows.append((str(name), a.estimate, a.std_error))
    if twfe is not None:
        sens_rows.append(("twfe", twfe.twfe_estimate, twfe.twfe_std_error))
    sens = pd.DataFrame(sens_rows, columns=["analysis", "estimate", "std_error"])
    sens["conf_low"] = sens["estimate"] - _Z95 * sens["std_error"]
    sens["conf_high"] = sens["estimate"] + _Z95 * sens["std_error"]
    written.append(_upsert(root, "did_sensitivity", _with_keys(sens, pilot, outcome), key))
    written += _robustness_tables(root, pilot, outcome, power, honest)
    if twfe is not None:
        bacon = twfe.bacon[list(IMPACT_TABLES["did_bacon"])]
        written.append(_upsert(root, "did_bacon", _with_keys(bacon, pilot, outcome), key))
    # Sample flow: persons per cohort (first month in the pilot) and the comparison group.
    per_cohort = tab.groupby("cohort", sort=True)["n_treated"].max()
    n_treated = int(per_cohort.sum())
    flow_rows = [
        ("cohort", str(int(g)), int(n))
        for g, n in zip(per_cohort.index, per_cohort.to_numpy(), strict=True)
    ]
    flow_rows.append(("comparison", "never_treated", int(result.n_units) - n_treated))
    flow_rows += [(str(s), "all", int(n)) for s, n in (sample_flow or {}).items()]
    flow = pd.DataFrame(flow_rows, columns=["step", "group", "persons"])
    flow.insert(0, "design", "did")
    fkey = {**key, "design": "did"}
    written.append(_upsert(root, "sample_flow", _with_keys(flow, pilot, outcome), fkey))
    if truth is not None:
        tr = pd.DataFrame([{"design": "did", "value": float(truth)}])
        written.append(_upsert(root, "truth", _with_keys(tr, pilot, outcome), fkey))
    eff = EffectRow(
        pilot,
        outcome,
        "staggered_did",
        "main",
        str(o.get("control_group", "")),
        "ATT (simple)",
        simple.estimate,
        simple.std_error,
        simple.conf_low,
        simple.conf_high,
        n_treated,
        int(result.n_units) - n_treated,
    )
    written.append(
        _upsert(root, "effects", _effects_frame(eff, unit), {**key, "design": eff.design})
    )
    written.append(_update_manifest(root, written, inputs, {**fkey}))
    return written


def _robustness_tables(
    root: Path,
    pilot: str,
    outcome: str,
    power: PowerResult | None,
    honest: SensitivityResult | None,
) -> list[Path]:
    """``did_power`` and ``did_honest`` (written only when given)."""
    key = {"pilot": pilot, "outcome": outcome}
    out = []
    if power is not None:
        out.append(_power_table(root, "did_power", power, pilot, outcome))
    if honest is not None:
        tab = honest.tidy().assign(breakdown=honest.breakdown())
        tab = tab[list(IMPACT_TABLES["did_honest"])]
        out.append(_upsert(root, "did_honest", _with_keys(tab, pilot, outcome), key))
    return out


def _power_table(root: Path, name: str, power: PowerResult, pilot: str, outcome: str) -> Path:
    """One row of :func:`evaluation.power` results (``did_power`` / ``matching_power``)."""
    row = {
        "mde": power.mde,
        "mde_std_error": power.mde_std_error,
        "placebo_size": power.placebo_size,
        "pretrend_size": power.pretrend_size,
        "n_treated": power.n_treated,
        "cohorts": power.cohorts,
        "rollouts": power.rollouts,
        "target_power": power.target_power,
        "alpha": power.alpha,
    }
    frame = _with_keys(pd.DataFrame([row]), pilot, outcome)
    return _upsert(root, name, frame, {"pilot": pilot, "outcome": outcome})


def write_matching_results(
    folder: Path | str,
    result: MatchResult,
    *,
    pilot: str,
    outcome: str,
    outcome_column: str = "post_outcome",
    pre_column: str | None = "pre_outcome",
    primary: MatchingPrimary = "att",
    unit: OutcomeUnit = "share",
    rosenbaum: bool = True,
    refutations: Sequence[RefutationResult] = (),
    truth: float | None = None,
    sample_flow: Mapping[str, int] | None = None,
    inputs: Mapping[str, object] | None = None,
    power: PowerResult | None = None,
) -> list[Path]:
    """Write the tidy tables of a matched comparison (see the module docstring).

    Parameters
    ----------
    folder:
        Results folder (created when missing).
    result:
        :func:`evaluation.estimators.matching.match` result.
    pilot, outcome:
        Pilot name and outcome code the rows are keyed by.
    outcome_column, pre_column:
        Columns of the matched data with the follow-up outcome and its pre-period value
        (``pre_column=None``: no matched difference-in-differences).
    primary:
        Estimate written to ``effects.csv``: ``att``, ``att_adjusted`` or ``did``.
    unit:
        ``share`` (effects.csv in percentage points), ``months`` or ``score``.
    rosenbaum:
        Compute Rosenbaum bounds (nearest-neighbour matching without replacement only).
    refutations:
        Results of ``result.refute(...)``.
    truth:
        True effect on the outcome scale (synthetic data only).
    sample_flow:
        Extra counts of persons by step (e.g. ``{"excluded_short_follow_up": 3}``).
    inputs:
        Input files (paths), bytes or DataFrames by name; their SHA-256 go to the manifest.
    """
    root = _folder(folder)
    _check_name(pilot, "pilot")
    _check_name(outcome, "outcome")
    _scale(unit)
    if primary not in ("att", "att_adjusted", "did"):
        raise OptionError(
            f"unknown primary estimate {primary!r}",
            where="primary=",
            fix="use att, att_adjusted or did",
        )
    if primary == "did" and pre_column is None:
        raise OptionError(
            "primary='did' needs the pre-period column",
            where="pre_column=",
            fix="give pre_column (e.g. 'pre_outcome') or choose primary='att'",
        )
    key = {"pilot": pilot, "outcome": outcome}
    written: list[Path] = []
    spec = result.spec
    balance = result.balance()
    design = {
        "method": spec.method,
        "distance": spec.distance,
        "ratio": spec.ratio,
        "replace": spec.replace,
        "caliper": spec.caliper,
        "exact": ", ".join(spec.exact),
        "covariates": ", ".join(spec.covariates),
        "n_covariates": len(spec.covariates),
        "balance_ok": bool(balance["balanced"].all()),
        "unit": unit,
        "diagnostics": " | ".join(result.diagnostics),
    }
    written.append(
        _upsert(root, "matching_design", _with_keys(_design_table(design), pilot, outcome), key)
    )
    bal = balance[list(IMPACT_TABLES["matching_balance"])]
    written.append(_upsert(root, "matching_balance", _with_keys(bal, pilot, outcome), key))
    fits = {
        "att": result.att(outcome_column),
        "att_adjusted": result.att(outcome_column, adjust=True),
    }
    if pre_column is not None:
        fits["did"] = result.did(outcome_column, pre_column)
    est = pd.DataFrame(
        [
            {
                "term": term,
                "estimate": f.estimate,
                "std_error": f.std_error,
                "conf_low": f.conf_low,
                "conf_high": f.conf_high,
                "p_value": f.p_value,
                "naive": f.naive,
                "n_treated": f.n_treated,
                "n_control": f.n_control,
                "method": f.method,
                "se_type": f.se_type,
            }
            for term, f in fits.items()
        ]
    )
    written.append(_upsert(root, "matching_estimates", _with_keys(est, pilot, outcome), key))
    if rosenbaum:
        rb = result.rosenbaum(outcome_column).tidy()[list(IMPACT_TABLES["matching_rosenbaum"])]
        written.append(_upsert(root, "matching_rosenbaum", _with_keys(rb, pilot, outcome), key))
    if refutations:
        ref = pd.concat([r.tidy() for r in refutations], ignore_index=True)
        ref = ref[list(IMPACT_TABLES["matching_refutations"])]
        written.append(_upsert(root, "matching_refutations", _with_keys(ref, pilot, outcome), key))
    sizes = result.sample_sizes().set_index("group")
    flow_rows = [
        (step, group, int(sizes.at[group, step]))  # type: ignore[arg-type]
        for group in ("treated", "control")
        for step in ("all", "matched", "unmatched")
    ]
    flow_rows += [(str(s), "all", int(n)) for s, n in (sample_flow or {}).items()]
    flow = pd.DataFrame(flow_rows, columns=["step", "group", "persons"])
    flow.insert(0, "design", "matching")
    fkey = {**key, "design": "matching"}
    written.append(_upsert(root, "sample_flow", _with_keys(flow, pilot, outcome), fkey))
    if truth is not None:
        tr = pd.DataFrame([{"design": "matching", "value": float(truth)}])
        written.append(_upsert(root, "truth", _with_keys(tr, pilot, outcome), fkey))
    f = fits[primary]
    eff = EffectRow(
        pilot,
        outcome,
        "matched_did" if primary == "did" else "matching",
        "main",
        MATCHED_COMPARISON,
        MATCHING_TERMS[primary],
        f.estimate,
        f.std_error,
        f.conf_low,
        f.conf_high,
        f.n_treated,
        f.n_control,
    )
    written.append(
        _upsert(root, "effects", _effects_frame(eff, unit), {**key, "design": eff.design})
    )
    if power is not None:
        written.append(_power_table(root, "matching_power", power, pilot, outcome))
    written.append(_update_manifest(root, written, inputs, fkey))
    return written


def read_table(folder: Path | str, name: str) -> pd.DataFrame:
    """Read ``name.csv`` of a results folder (an empty frame with the documented columns
    when the file is missing), refusing identifier columns."""
    path = Path(folder) / f"{name}.csv"
    if not path.exists():
        cols = IMPACT_TABLES.get(name, EFFECT_COLUMNS if name == "effects" else ())
        base = () if name == "effects" else ("pilot", "outcome")
        return pd.DataFrame(columns=[*base, *cols])
    try:
        frame = read_csv(path, dtype={"pilot": str, "outcome": str})
    except Exception as exc:
        raise InputDataError(
            f"cannot read the table ({type(exc).__name__}: {exc})",
            where=str(path),
            fix="write the results again with the toolkit",
        ) from exc
    assert_no_identifiers(frame, where=str(path))
    return EFFECTS.frame(upgrade_effects(frame)) if name == "effects" else frame


def read_manifest(folder: Path | str) -> dict[str, Any]:
    """The ``manifest.json`` of a results folder (empty dict when missing)."""
    path = Path(folder) / "manifest.json"
    if not path.exists():
        return {}
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ReportError(
            f"manifest.json is not valid JSON ({exc.msg})",
            where=f"{path}, line {exc.lineno}",
            fix="write the results again with the toolkit",
        ) from exc
    return data


#: Former names of :mod:`evaluation.provenance`'s hashers (kept for callers).
sha256_file = file_sha256
sha256_frame = frame_sha256

__all__ = [
    "EFFECT_COLUMNS",
    "IMPACT_TABLES",
    "did_cell_table",
    "read_manifest",
    "read_table",
    "sha256_file",
    "sha256_frame",
    "software_versions",
    "write_did_results",
    "write_matching_results",
]
