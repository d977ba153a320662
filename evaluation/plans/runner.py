"""Run an evaluation plan end to end: checks -> panel -> estimators -> diagnostics -> rating.

Every run writes tidy CSVs, ``results.json`` and ``manifest.json`` into the output folder.
The tidy files depend only on the plan and the input data (no times, no absolute paths),
so two runs of the same plan on the same inputs give byte-identical files, whatever the
row order of the inputs; run-specific facts (time, paths, versions, hashes) go only into
``manifest.json``.

The runner only orchestrates; each concern has its module:

* :mod:`evaluation.plans.backends`: where the data steps run (the :class:`Backend`
  protocol: ``load``, ``panel``, ``did_fit``; the registry :data:`BACKENDS`);
* :mod:`evaluation.plans.inputs`: reading, checking, ordering and hashing the inputs;
* :mod:`evaluation.plans.did`, :mod:`evaluation.plans.matching`,
  :mod:`evaluation.plans.matched_did`: one module per design kind, each adding typed
  records (:mod:`evaluation.plans.records`) for one pilot and outcome;
* :mod:`evaluation.plans.outputs`: the tables (laid out by :mod:`evaluation.tables`),
  ``results.json``, the reports and the manifest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from evaluation._paths import project_folder
from evaluation.checks import validate
from evaluation.errors import InputDataError, OptionError
from evaluation.plans.backends import BACKENDS, Backend, check_backend, make_backend
from evaluation.plans.context import AGREEMENT_Z, DesignContext
from evaluation.plans.did import HONEST_MBAR, run_did
from evaluation.plans.inputs import (
    MATCHING_PERSON_COLUMNS,
    REQUIRED_COLUMNS,
    Inputs,
    synthetic_inputs,
)
from evaluation.plans.load import load_plan
from evaluation.plans.local import LocalBackend
from evaluation.plans.matched_did import run_matched_did
from evaluation.plans.matching import HISTORY_COVARIATES, run_matching
from evaluation.plans.model import Plan, SyntheticData
from evaluation.plans.outputs import OUTPUT_FILES, write_csv, write_run
from evaluation.plans.records import CheckRow, RunRecords, RunResult
from evaluation.provenance import PACKAGES
from evaluation.registers import PersonMonthPanel
from evaluation.safe_io import output_folder
from evaluation.synthetic import SyntheticRegisters
from evaluation.tables import TABLES

__all__ = [
    "AGREEMENT_Z",
    "BACKENDS",
    "DESIGNS_DIR",
    "DESIGN_RUNNERS",
    "HISTORY_COVARIATES",
    "HONEST_MBAR",
    "MANIFEST_PACKAGES",
    "MATCHING_PERSON_COLUMNS",
    "OUTPUT_FILES",
    "REQUIRED_COLUMNS",
    "Backend",
    "Inputs",
    "LocalBackend",
    "Prebuilt",
    "RunResult",
    "evidence_summary",
    "run_designs",
    "run_plan",
]

#: Packages whose versions go into the manifest (:data:`evaluation.provenance.PACKAGES`).
MANIFEST_PACKAGES = PACKAGES
#: The shipped plans (one per synthetic OTE 4 pilot), at the repository root.
DESIGNS_DIR = project_folder("designs")
#: The module that runs each design kind, for one pilot and outcome.
DESIGN_RUNNERS: dict[str, Callable[[DesignContext], None]] = {
    "staggered_did": run_did,
    "matching": run_matching,
    "matched_did": run_matched_did,
}


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


@dataclass(frozen=True)
class _Prepared:
    """Loaded inputs and their panel (shared by plans on the same data)."""

    inputs: Inputs
    panel: PersonMonthPanel
    checks: tuple[CheckRow, ...]


def _checked(inputs: Inputs, panel: PersonMonthPanel) -> _Prepared:
    spells = CheckRow.of("spells", "", "", validate("spells", inputs.spells))
    return _Prepared(
        inputs, panel, (spells, CheckRow.of("panel", "", "", validate("panel", panel)))
    )


def _prepare(engine: Backend, plan: Plan, plan_dir: Path) -> _Prepared:
    inputs = engine.load(plan, plan_dir)
    return _checked(inputs, engine.panel(inputs))


def _refuse_service_spells(plan: Plan, path: Path) -> None:
    if plan.treatment.entry != "client_sheet":  # checked before the data are loaded
        raise OptionError(
            "treatment entry from service spells is not supported yet",
            where=f"{path.name}, treatment.entry",
            fix="use entry: client_sheet (the first month in the pilot's client sheet)",
        )


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
    check_backend(backend, where="run_plan")
    path = Path(plan_path)
    plan = load_plan(path)
    _refuse_service_spells(plan, path)
    engine = make_backend(backend, where="run_plan")
    prep = _prepare(engine, plan, path.parent)
    try:
        return _execute(plan, path, Path(out), prep, engine, overrides={})
    finally:
        prep.panel.con.close()


def _execute(
    plan: Plan, path: Path, out: Path, prep: _Prepared, engine: Backend, *,
    overrides: dict[str, Any],
) -> RunResult:  # fmt: skip
    _refuse_service_spells(plan, path)
    records = RunRecords(checks=list(prep.checks))
    for item, detail in overrides.items():
        records.deviate("", "", item, "overridden", detail)
    run = DESIGN_RUNNERS[plan.design.kind]
    for pilot in plan.pilots:
        for outcome in plan.outcomes:
            run(DesignContext(plan, prep.panel, prep.inputs, engine, pilot, outcome, records))
            if plan.subgroups and plan.design.kind == "staggered_did":
                records.deviate(
                    pilot,
                    outcome,
                    "subgroups",
                    "not_run",
                    "subgroup analyses are run for matching designs only in this version",
                )
    for i, rep in enumerate(plan.reports):
        if rep.kind == "compare":
            records.deviate(
                "",
                "",
                f"reports[{i}]",
                "not_run",
                f"compare report ({rep.language}) not rendered: it needs the pilots' "
                "self-evaluation tables (indicators, traffic lights, process, destinations), "
                "which a plan run does not produce; render it with pilot-eval report compare",
            )
    return write_run(plan, path, out, prep.inputs, records, engine.name, overrides)


def _override(plan: Plan, persons: int | None, seed: int | None, overrides: dict[str, Any]) -> Plan:
    """The plan with the caller's synthetic ``persons``/``seed`` (recorded in ``overrides``)."""
    syn = plan.data.synthetic
    if syn is None or (persons is None and seed is None):
        return plan
    new = SyntheticData(
        persons=syn.persons if persons is None else persons,
        seed=syn.seed if seed is None else seed,
    )
    if new == syn:
        return plan
    overrides["data.synthetic"] = (
        f"persons={new.persons}, seed={new.seed} instead of "
        f"persons={syn.persons}, seed={syn.seed} (set by the caller)"
    )
    return plan.model_copy(update={"data": plan.data.model_copy(update={"synthetic": new})})


def _plan_paths(designs: str | Path) -> list[Path]:
    where = Path(designs)
    paths = sorted(where.glob("*.yaml")) if where.is_dir() else [where]
    if not paths:
        raise InputDataError(
            "no plan files (*.yaml)", where=str(where), fix="add plans or give the designs folder"
        )
    return paths


def _shared(
    engine: Backend, plan: Plan, path: Path, prebuilt: Prebuilt | None,
    cache: dict[str, _Prepared],
) -> _Prepared:  # fmt: skip
    """The prepared data of ``plan``: the caller's, one already loaded, or loaded now."""
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
        cache[key] = (
            _checked(synthetic_inputs(pre.data, {}), pre.panel)
            if pre
            else _prepare(engine, plan, path.parent)
        )
    return cache[key]


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
    check_backend(backend, where="run_designs")
    paths = _plan_paths(designs)
    target = output_folder(out)
    engine = make_backend(backend, where="run_designs")
    cache: dict[str, _Prepared] = {}
    results: dict[str, RunResult] = {}
    try:
        for path in paths:
            overrides: dict[str, Any] = {}
            plan = _override(load_plan(path), persons, seed, overrides)
            prep = _shared(engine, plan, path, prebuilt, cache)
            results[path.stem] = _execute(
                plan, path, target / path.stem, prep, engine, overrides=overrides
            )
    finally:
        for name, prep in cache.items():
            if name != "prebuilt":  # the caller's connection stays open
                prep.panel.con.close()
    write_csv(evidence_summary(results), target / "summary.csv")
    return results


def evidence_summary(results: dict[str, RunResult]) -> pd.DataFrame:
    """One row per plan, pilot and outcome: main estimate, SMS level and reasons.

    Columns (the registry's ``summary`` table): plan, pilot, outcome, design, estimate,
    std_error, conf_low, conf_high, n_treated, n_control, sms_level, reasons, n_deviations.
    """
    rows: list[dict[str, Any]] = []
    for name, res in results.items():
        main = res.effects[res.effects["analysis"] == "main"]
        for r in main.to_dict(orient="records"):
            rating = res.ratings[(str(r["pilot"]), str(r["outcome"]))]
            rows.append(
                {
                    **{str(k): v for k, v in r.items()},
                    "plan": name,
                    "sms_level": rating.level,
                    "reasons": "; ".join(rating.reasons),
                    "n_deviations": len(res.deviations),
                }
            )
    summary = TABLES["summary"]
    return summary.frame(rows) if rows else summary.empty()
