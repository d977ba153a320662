"""Tidy result writer of a pilot's self-evaluation (pure: no rendering).

:func:`write_pilot_results` turns a checked self-evaluation workbook
(:class:`evaluation.workbook.SelfEvaluation`) into the CSV tables the pilot report reads.
Client-level sheets (clients, self-assessments, goals, qualitative excerpts, survey
responses) never leave the workbook: only aggregates are written, and any client id
found in free text is replaced by ``[id]``. Every table starts with ``pilot``; writing a
pilot again replaces its rows, so one folder can hold all pilots.

Tables (``name.csv``)
---------------------
``pilot_forms``
    ``pilot, section, field, value``: answers of the form sections (pilot, intervention
    and any other form section of the schema, e.g. the integration model).
``pilot_sections``
    ``pilot, section, row_no, field, value``: the records of the pilot-level table
    sections (logic model, target groups, organisations, implementation, mechanisms,
    context, criteria and any newer pilot-level section), one row per cell.
``pilot_indicators``
    ``pilot, indicator, domain, unit, group_var, group, numerator`` (int, persons),
    ``denominator`` (float, persons), ``value`` (float): the shared indicators at the
    workbook's report date.
``pilot_timeline``
    ``pilot, quarter`` (``YYYY-Qn``), ``entered, exited, employed`` (int, persons):
    clients entering and leaving the pilot and starting paid work, by quarter.
``pilot_scores``
    ``pilot, wave, measure, mean`` (float), ``n`` (int, persons): self-assessment scores
    by wave (baseline, follow-up).
``pilot_instrument``
    ``pilot, analysis`` (``baseline``, ``change``, ``validity``), ``score, group, n``
    (int, persons; for ``validity`` the smaller outcome group), ``estimate`` (the mean,
    the mean change, or the raw difference), ``conf_low, conf_high, p_value,
    mean_baseline, mean_follow_up, mean_positive, mean_negative, n_positive,
    n_negative, auc, adjusted_estimate, adjusted_p_value``: the self-assessment analyses
    of the seed report's Tables 10-12 (:func:`evaluation.workbook.instrument_analyses`).
``pilot_labels``
    ``kind`` (``section``, ``field``, ``code``, ``indicator``, ``score``), ``key``,
    ``fi, sv, en``: the schema's labels, so the report can show codes in any language.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from evaluation.reporting.disclosure import assert_no_identifiers
from evaluation.reporting.impact_results import _folder, _update_manifest, _upsert
from evaluation.reporting.tables_io import write_csv

if TYPE_CHECKING:
    from evaluation.workbook import SelfEvaluation

#: Client-level (or raw qualitative) sections that are never written.
PRIVATE_SECTIONS = frozenset(
    {
        "clients",
        "self_assessment",
        "scores",
        "service_dose",
        "client_goals",
        "excerpts",
        "readiness",
        "indicators",
    }
)
#: Columns that identify a person or respondent.
PRIVATE_COLUMNS = frozenset({"client_id", "respondent_id", "person_id"})
SCORE_MEASURES = (
    "life_satisfaction",
    "perceived_health",
    "functional_capacity",
    "work_ability",
    "working_life_relation",
    "overall",
)


def _redactor(ids: Iterable[str]) -> re.Pattern[str] | None:
    ids = sorted({str(i) for i in ids if isinstance(i, str) and i.strip()}, key=len, reverse=True)
    if not ids:
        return None
    return re.compile("|".join(rf"(?<![A-Za-z0-9]){re.escape(i)}(?![A-Za-z0-9])" for i in ids))


def _text(value: object, redact: re.Pattern[str] | None) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return ""
    text = str(value)
    if isinstance(value, pd.Timestamp):
        text = value.date().isoformat()
    return redact.sub("[id]", text) if redact is not None else text


def _labels(evaluation: SelfEvaluation) -> pd.DataFrame:
    schema = evaluation.schema
    rows: list[tuple[str, str, str, str, str]] = []
    for s in schema.sections:
        rows.append(("section", s.id, s.title.fi, s.title.sv, s.title.en))
        if s.row_label is not None:  # the fixed-row code column is called "row"
            rl = s.row_label
            rows.append(("field", f"{s.id}.row", rl.fi, rl.sv, rl.en))
        for f in s.fields:
            rows.append(("field", f"{s.id}.{f.id}", f.label.fi, f.label.sv, f.label.en))
    for cl in schema.codelists.values():
        for c in cl.codes:
            rows.append(("code", f"{cl.id}.{c.code}", c.label.fi, c.label.sv, c.label.en))
            rows.append(("code", c.code, c.label.fi, c.label.sv, c.label.en))
    for ind in schema.indicators:
        rows.append(("indicator", ind.id, ind.name.fi, ind.name.sv, ind.name.en))
    for inst in schema.instruments:
        for sc in inst.scores:
            rows.append(("score", sc.id, sc.label.fi, sc.label.sv, sc.label.en))
    out = pd.DataFrame(rows, columns=["kind", "key", "fi", "sv", "en"])
    return out.drop_duplicates(["kind", "key"], keep="first").reset_index(drop=True)


def _timeline(clients: pd.DataFrame) -> pd.DataFrame:
    cols = ["quarter", "entered", "exited", "employed"]
    if clients.empty or "entry_date" not in clients.columns:
        return pd.DataFrame(columns=cols)

    def quarters(col: str) -> pd.Series:
        if col not in clients.columns:
            return pd.Series(dtype="string")
        d = pd.to_datetime(clients[col], errors="coerce").dropna()
        return d.dt.year.astype(str) + "-Q" + d.dt.quarter.astype(str)

    counts = {
        "entered": quarters("entry_date").value_counts(),
        "exited": quarters("exit_date").value_counts(),
        "employed": quarters("employment_start").value_counts(),
    }
    frame = pd.DataFrame(counts).fillna(0).astype("int64").sort_index()
    frame.index.name = "quarter"
    return frame.reset_index()[cols]


def _scores(scores: pd.DataFrame) -> pd.DataFrame:
    cols = ["wave", "measure", "mean", "n"]
    if scores.empty or "wave" not in scores.columns:
        return pd.DataFrame(columns=cols)
    rows = []
    for wave, sub in scores.groupby("wave", sort=False):
        for m in SCORE_MEASURES:
            if m in sub.columns:
                v = pd.to_numeric(sub[m], errors="coerce").dropna()
                rows.append((str(wave), m, float(v.mean()) if len(v) else np.nan, len(v)))
    return pd.DataFrame(rows, columns=cols)


#: Columns of ``pilot_instrument`` (after ``pilot``).
INSTRUMENT_COLUMNS = (
    "analysis",
    "score",
    "group",
    "n",
    "estimate",
    "conf_low",
    "conf_high",
    "p_value",
    "mean_baseline",
    "mean_follow_up",
    "mean_positive",
    "mean_negative",
    "n_positive",
    "n_negative",
    "auc",
    "adjusted_estimate",
    "adjusted_p_value",
)


def _instrument(scores: pd.DataFrame) -> pd.DataFrame:
    """Tables 10-12 of the seed report as aggregates (disclosure control is the report's)."""
    from evaluation.workbook.instrument import instrument_analyses

    if scores.empty or not (scores["wave"] == "baseline").any():
        return pd.DataFrame(columns=list(INSTRUMENT_COLUMNS))
    res = instrument_analyses(scores, min_n=1)
    base = res.baseline.tidy().rename(columns={"mean": "estimate"}).assign(analysis="baseline")
    change = res.change.tidy().assign(analysis="change")
    parts = [base, change]
    if res.validity is not None:
        v = res.validity.tidy()
        v = v.assign(
            analysis="validity", group="all", n=v[["n_positive", "n_negative"]].min(axis=1)
        )
        parts.append(v)
    out = pd.concat(parts, ignore_index=True).reindex(columns=list(INSTRUMENT_COLUMNS))
    out["n"] = out["n"].astype("int64")
    return out


def write_pilot_results(
    folder: Path | str,
    evaluation: SelfEvaluation,
    *,
    inputs: dict[str, object] | None = None,
) -> list[Path]:
    """Write the pilot report's tables of one self-evaluation (see the module docstring).

    Parameters
    ----------
    folder:
        Results folder (created when missing).
    evaluation:
        A checked workbook (:func:`evaluation.workbook.read_workbook`).
    inputs:
        Input files (e.g. ``{"workbook": path}``) whose SHA-256 go to ``manifest.json``.

    Returns
    -------
    list of Path
        The files written (the manifest last).
    """
    root = _folder(folder)
    pilot = str(evaluation.pilot)
    tables = evaluation.tables()
    clients = tables.get("clients", pd.DataFrame())
    ids: list[str] = []
    for name in ("clients", "self_assessment", "service_dose", "client_goals", "readiness"):
        t = tables.get(name)
        if t is not None:
            for col in PRIVATE_COLUMNS & set(t.columns):
                ids += [str(v) for v in t[col].dropna().unique()]
    redact = _redactor(ids)
    key = {"pilot": pilot}
    written: list[Path] = []
    forms: list[tuple[str, str, str]] = []
    cells: list[tuple[str, int, str, str]] = []
    for s in evaluation.schema.sections:
        frame = tables.get(s.id)
        if frame is None or s.id in PRIVATE_SECTIONS:
            continue
        if s.kind == "form":
            for f, v in zip(frame["field"], frame["value"], strict=True):
                forms.append((s.id, str(f), _text(v, redact)))
        elif s.kind == "table" and not (PRIVATE_COLUMNS & set(frame.columns)):
            data_cols = [c for c in frame.columns if c != "pilot"]
            for i, rec in enumerate(frame[data_cols].itertuples(index=False), start=1):
                for col, v in zip(data_cols, rec, strict=True):
                    cells.append((s.id, i, str(col), _text(v, redact)))
    out_forms = pd.DataFrame(forms, columns=["section", "field", "value"])
    out_forms.insert(0, "pilot", pilot)
    out_cells = pd.DataFrame(cells, columns=["section", "row_no", "field", "value"])
    out_cells.insert(0, "pilot", pilot)
    assert_no_identifiers(out_forms, where="pilot_forms.csv")
    written.append(_upsert(root, "pilot_forms", out_forms, key))
    written.append(_upsert(root, "pilot_sections", out_cells, key))
    ind = tables.get("indicators")
    if ind is not None:
        ind = ind.copy()
        ind["pilot"] = pilot
        written.append(_upsert(root, "pilot_indicators", ind, key))
    tl = _timeline(clients)
    tl.insert(0, "pilot", pilot)
    written.append(_upsert(root, "pilot_timeline", tl, key))
    sc = _scores(tables.get("scores", pd.DataFrame()))
    sc.insert(0, "pilot", pilot)
    written.append(_upsert(root, "pilot_scores", sc, key))
    instr = _instrument(tables.get("scores", pd.DataFrame()))
    instr.insert(0, "pilot", pilot)
    written.append(_upsert(root, "pilot_instrument", instr, key))
    labels = _labels(evaluation)
    path = root / "pilot_labels.csv"
    written.append(write_csv(labels, path, where="results table pilot_labels.csv"))
    written.append(_update_manifest(root, written, inputs, {"pilot": pilot, "design": "workbook"}))
    return written


__all__ = ["PRIVATE_SECTIONS", "write_pilot_results"]
