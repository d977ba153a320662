"""Writing a plan run: the tidy tables, ``results.json``, the reports and ``manifest.json``.

Every table is laid out as the registry declares it (:mod:`evaluation.tables`, family
``plan``): the same columns in the same order whether it has rows or not. The tidy files
depend only on the plan and the input data; run-specific facts (time, paths, versions,
hashes: :mod:`evaluation.provenance`) go only into ``manifest.json``.
"""

from __future__ import annotations

import json
import platform
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from evaluation.errors import PilotEvalError
from evaluation.plans.inputs import Inputs
from evaluation.plans.model import Plan
from evaluation.plans.records import DidReport, RunRecords, RunResult
from evaluation.provenance import bytes_sha256, file_sha256, software_versions, write_json
from evaluation.safe_io import atomic_write, output_folder
from evaluation.tables import TABLES, family_tables

__all__ = ["OUTPUT_FILES", "PLAN_TABLES", "plan_tables", "write_csv", "write_run"]

#: The tables of a run folder, in order (``summary`` is written by ``run_designs`` only).
PLAN_TABLES = tuple(t.name for t in family_tables("plan") if t.name != "summary")
#: Tidy output files (written by every run, possibly with zero rows).
OUTPUT_FILES = (*(f"{name}.csv" for name in PLAN_TABLES), "results.json")


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write a tidy table (UTF-8, ``\\n`` line ends, no index) atomically."""
    with atomic_write(path, where="option --out") as tmp:
        frame.to_csv(tmp, index=False, lineterminator="\n")


def _rows(name: str, rows: Sequence[Any]) -> pd.DataFrame:
    """Typed records (dataclasses) as the registry's table ``name``."""
    spec = TABLES[name]
    return spec.frame([asdict(r) for r in rows]) if rows else spec.empty()


def _parts(name: str, parts: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Per-pilot frames concatenated as the registry's table ``name``."""
    spec = TABLES[name]
    return spec.frame(pd.concat(parts, ignore_index=True)) if parts else spec.empty()


def evidence_rows(records: RunRecords) -> list[dict[str, Any]]:
    """One record per rating (``evidence.csv`` and ``results.json``)."""
    return [
        {
            "pilot": pilot,
            "outcome": outcome,
            "scale": rating.scale,
            "level": rating.level,
            "start_level": rating.start_level,
            "label": rating.label,
            "reasons": "; ".join(rating.reasons),
        }
        for (pilot, outcome), rating in records.ratings.items()
    ]


def _reason_rows(records: RunRecords) -> list[dict[str, Any]]:
    return [
        {
            "pilot": pilot,
            "outcome": outcome,
            "criterion": crit.criterion,
            "value": crit.value,
            "change": crit.change,
            "reason": crit.reason,
        }
        for (pilot, outcome), rating in records.ratings.items()
        for crit in rating.criteria
    ]


def plan_tables(records: RunRecords) -> dict[str, pd.DataFrame]:
    """The run's tables by name (:data:`PLAN_TABLES`), laid out by the registry."""
    evidence, reasons = evidence_rows(records), _reason_rows(records)
    return {
        "effects": _rows("effects", records.effects),
        "event_study": _parts("event_study", records.event_study),
        "att_gt": _parts("att_gt", records.att_gt),
        "diagnostics": _rows("diagnostics", records.diagnostics),
        "balance": _parts("balance", records.balance),
        "sensitivity": _rows("sensitivity", records.sensitivity),
        "subgroups": _parts("subgroups", records.subgroups),
        "checks": _rows("checks", records.checks),
        "deviations": _rows("deviations", records.deviations),
        "evidence": TABLES["evidence"].frame(evidence) if evidence else TABLES["evidence"].empty(),
        "evidence_reasons": TABLES["evidence_reasons"].frame(reasons)
        if reasons
        else TABLES["evidence_reasons"].empty(),
    }


def _write_results_json(
    plan: Plan, out: Path, tables: dict[str, pd.DataFrame], evidence: list[dict[str, Any]],
    reports: list[str],
) -> None:  # fmt: skip
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
    write_json(out / "results.json", results, where="option --out")


def _report_tables(data: Path, records: RunRecords) -> None:
    """The impact report's tidy tables (``write_did_results`` / ``write_matching_results``)."""
    from evaluation.reporting.impact_results import write_did_results, write_matching_results

    for item in records.report_items:
        if isinstance(item, DidReport):
            write_did_results(
                data,
                item.result,
                pilot=item.pilot,
                outcome=item.outcome,
                min_e=item.min_e,
                max_e=item.max_e,
                sensitivity=item.sensitivity,
                power=item.power,
                honest=item.honest,
            )
        else:
            write_matching_results(
                data,
                item.result,
                pilot=item.pilot,
                outcome=item.outcome,
                primary=item.primary,
                rosenbaum=item.rosenbaum,
                power=item.power,
            )


def _results_folder(out: Path) -> Path:
    folder, data = out / "reports", out / "reports" / "results"
    if data.exists():
        for old in data.iterdir():  # the writers upsert; start afresh
            if old.is_file():
                old.unlink()
    output_folder(folder, where="--out/reports")
    return output_folder(data, where="--out/reports/results")


def render_reports(
    plan: Plan, out: Path, records: RunRecords, tables: dict[str, pd.DataFrame]
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

    data = _results_folder(out)
    _report_tables(data, records)
    write_csv(tables["evidence"], data / "plan_evidence.csv")
    rendered: list[str] = []
    done: set[str] = set()
    for i, rep in wanted:
        name = f"reports/impact-{rep.language}.html"
        if name in done:
            detail = f"duplicate of an earlier report {name}"
            records.deviate("", "", f"reports[{i}]", "not_run", detail)
            continue
        done.add(name)
        # the deviations as known now (a later failure is added to deviations.csv only)
        write_csv(_rows("plan_deviations", records.deviations), data / "plan_deviations.csv")
        try:
            render_report(
                REPORTS_DIR / "impact.qmd",
                params={"results_dir": str(data), "pilot": "", "threshold": 5},
                output=out / name,
                format="html",
                lang=rep.language,
            )
        except PilotEvalError as exc:
            records.deviate("", "", f"reports[{i}]", "not_run", f"impact report failed: {exc.what}")
            continue
        rendered.append(name)
    return rendered


def manifest(
    plan: Plan, path: Path, out: Path, inputs: Inputs, backend: str,
    overrides: dict[str, Any], reports: list[str],
) -> dict[str, Any]:  # fmt: skip
    """The run's provenance: plan and input hashes, window, seeds, versions, outputs."""
    canonical = json.dumps(plan.model_dump(mode="json"), sort_keys=True).encode()
    return {
        "plan": {
            "file": str(path.resolve()),
            "sha256": file_sha256(path),
            "canonical_sha256": bytes_sha256(canonical),
        },
        "inputs": inputs.hashes,
        "window": {"start": inputs.start, "end": inputs.end},
        "seeds": {
            "plan": plan.seed,
            "synthetic": plan.data.synthetic.seed if plan.data.synthetic else None,
        },
        "backend": backend,
        "overrides": overrides,
        "packages": software_versions(),
        "platform": platform.platform(),
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "output_dir": str(out.resolve()),
        "outputs": {name: file_sha256(out / name) for name in OUTPUT_FILES},
        "reports": {name: file_sha256(out / name) for name in reports},
    }


def write_run(
    plan: Plan, path: Path, out: Path, inputs: Inputs, records: RunRecords, backend: str,
    overrides: dict[str, Any],
) -> RunResult:  # fmt: skip
    """Write every output of a run into ``out`` and return the run's result."""
    output_folder(out)
    tables = plan_tables(records)
    for name, table in tables.items():
        write_csv(table, out / f"{name}.csv")
    evidence = evidence_rows(records)
    _write_results_json(plan, out, tables, evidence, [])
    n_before = len(records.deviations)
    reports = render_reports(plan, out, records, tables)
    if len(records.deviations) > n_before:  # a report failed: record it in the results too
        tables["deviations"] = _rows("deviations", records.deviations)
        write_csv(tables["deviations"], out / "deviations.csv")
    _write_results_json(plan, out, tables, evidence, reports)
    record = manifest(plan, path, out, inputs, backend, overrides, reports)
    write_json(out / "manifest.json", record, where="option --out")
    return RunResult(
        plan=plan,
        out=out,
        ratings=dict(records.ratings),
        manifest=record,
        reports=tuple(out / name for name in reports),
        **tables,
    )
