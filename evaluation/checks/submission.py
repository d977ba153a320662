"""Filled self-evaluation workbooks as submissions: read leniently, never lose anything.

:func:`parse_submission` never raises on the *content* of a file: a damaged file or a
workbook with problems still yields the pilot, language and period that can be found (from
the hidden ``_meta`` sheet and the pilot sheet), the reader's located problems, and -- when
the workbook reads cleanly -- the tidy tables the expectation suites run on.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from evaluation.errors import Problem
from evaluation.intake import inspect_workbook
from evaluation.privacy import contains_identity_code, mask_identity_codes
from evaluation.schema import LANGS, Schema, load_schema
from evaluation.workbook.errors import LocalizedWorkbookError, RefusedWorkbookError
from evaluation.workbook.layout import (
    FIRST_ROW,
    FORM_ANSWER_COL,
    KEY_COL,
    META_SHEET,
    first_data_col,
)
from evaluation.workbook.model import SelfEvaluation
from evaluation.workbook.reader import read_workbook

_CELL = re.compile(r"([A-Z]{1,3})([0-9]+)\s*$")


@dataclass(frozen=True)
class ParsedSubmission:
    """What could be read from a submitted file.

    Attributes
    ----------
    path:
        The file.
    pilot, lang, period, schema_version:
        Facts found in the file (``pilot`` falls back to the file name, ``period`` to
        ``"unknown"``); ``period`` is the report date (ISO) of the pilot sheet.
    evaluation:
        The typed content when the workbook reads cleanly, else ``None``.
    problems:
        The reader's located problems (in the workbook's language).
    tables:
        Tidy tables for the suites: ``forms`` (``pilot, section, field, value``) and one per
        table section (``pilot`` + the section's fields); empty when unreadable.
    rows:
        Per table section, the workbook row number of each record (for cell locations).
    sheets:
        Section id -> sheet name in the workbook's language.
    quarantine:
        Raw rows of table sheets that the reader flagged: ``table, row, family, reason,
        record`` (empty for a refused file).
    refused:
        The intake's problems (:mod:`evaluation.intake`): when not empty, nothing of the
        file may be stored or shown (the reader did not run; ``tables`` is empty).
    person_ids:
        Every raw value of the person-id columns (:func:`person_id_columns`), read from the
        raw sheets even when reading fails or the file is refused for its content (not when
        it is refused for its size). Never shown: not in ``repr``.
    """

    path: Path
    pilot: str
    lang: str
    period: str
    schema_version: str
    evaluation: SelfEvaluation | None
    problems: tuple[Problem, ...]
    tables: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    rows: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    sheets: Mapping[str, str] = field(default_factory=dict)
    quarantine: pd.DataFrame = field(default_factory=pd.DataFrame)
    refused: tuple[Problem, ...] = ()
    person_ids: frozenset[str] = field(default=frozenset(), repr=False)

    def refusal(self) -> RefusedWorkbookError | None:
        """The intake's refusal as the named error (``None`` if the file was not refused)."""
        if not self.refused:
            return None
        return RefusedWorkbookError(
            mask_identity_codes(str(self.path)),
            self.refused,
            lang=self.lang,  # type: ignore[arg-type]
        )


def _raw_sheets(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """All sheets' raw cell values (empty dict when the file is not a readable xlsx)."""
    if not path.is_file() or not zipfile.is_zipfile(path):
        return {}
    try:
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # a damaged file: the reader reports it
        return {}
    try:
        return {
            ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets
        }
    except Exception:
        return {}
    finally:
        wb.close()


def person_id_columns(schema: Schema) -> dict[str, tuple[str, ...]]:
    """Section -> person-id fields: pseudonymous fields and the fields that reference them."""
    pseudo = {f"{s.id}.{f.id}" for s in schema.sections for f in s.fields if f.pseudonymous}
    out: dict[str, tuple[str, ...]] = {}
    for s in schema.sections:
        cols = tuple(
            f.id
            for f in s.fields
            if f.pseudonymous or (f.references is not None and f.references in pseudo)
        )
        if cols:
            out[s.id] = cols
    return out


def _person_ids(
    schema: Schema, raw: Mapping[str, list[tuple[Any, ...]]], keys: dict[str, str]
) -> frozenset[str]:
    """Every non-blank raw value of the person-id columns of the raw sheets."""
    out: set[str] = set()
    for sid, cols in person_id_columns(schema).items():
        if sid not in keys:
            continue
        sec = schema.section(sid)
        idx = [first_data_col(sec) - 1 + sec.field_ids.index(c) for c in cols]
        for row in raw[keys[sid]][FIRST_ROW - 1 :]:
            out.update(_text(row[i]) for i in idx if i < len(row) and not _blank(row[i]))
    return frozenset(out)


def _text(v: Any) -> str:
    if isinstance(v, dt.datetime):
        return v.date().isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    return "" if v is None else str(v).strip()


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _by_key(raw: Mapping[str, list[tuple[Any, ...]]]) -> dict[str, str]:
    """Sheet key (cell A1: section id, ``_meta``) -> sheet name."""
    out: dict[str, str] = {}
    for name, rows in raw.items():
        key = rows[0][0] if rows and rows[0] else None
        if isinstance(key, str):
            out.setdefault(key, name)
    return out


def _facts(raw: Mapping[str, list[tuple[Any, ...]]], keys: dict[str, str]) -> dict[str, str]:
    facts: dict[str, str] = {}
    meta = raw.get(keys.get(META_SHEET, META_SHEET), [])
    for row in meta:
        if len(row) >= 2 and isinstance(row[0], str) and row[1] is not None:
            facts[row[0]] = _text(row[1])
    pilot_rows = raw.get(keys.get("pilot", ""), [])
    for row in pilot_rows:
        if len(row) >= FORM_ANSWER_COL and row[KEY_COL - 1] in ("report_date", "pilot_name"):
            value = _text(row[FORM_ANSWER_COL - 1])
            if value:
                facts[f"form_{row[KEY_COL - 1]}"] = value
    return facts


def _record_rows(
    schema: Schema, raw: Mapping[str, list[tuple[Any, ...]]], keys: dict[str, str]
) -> dict[str, tuple[int, ...]]:
    """Workbook row numbers of the non-empty rows of each table sheet (reader's order)."""
    out: dict[str, tuple[int, ...]] = {}
    for s in schema.sections:
        if s.kind != "table" or s.id not in keys:
            continue
        rows = raw[keys[s.id]]
        start = first_data_col(s)
        nums = []
        for r in range(FIRST_ROW, len(rows) + 1):
            cells = rows[r - 1][start - 1 : start - 1 + len(s.fields)]
            if any(not _blank(v) for v in cells):
                nums.append(r)
        out[s.id] = tuple(nums)
    return out


def _problem_quarantine(
    schema: Schema,
    problems: tuple[Problem, ...],
    raw: Mapping[str, list[tuple[Any, ...]]],
    keys: dict[str, str],
) -> pd.DataFrame:
    """Raw rows of table sheets that the reader's problems point at."""
    sheet_to_section = {v: k for k, v in keys.items()}
    table_ids = {s.id for s in schema.sections if s.kind == "table"}
    recs: dict[tuple[str, int], list[str]] = {}
    for p in problems:
        m = _CELL.search(p.where)
        if not m:
            continue
        sheet = next((n for n in raw if f"'{n}'" in p.where), None)
        section = sheet_to_section.get(sheet or "")
        if section not in table_ids or int(m[2]) < FIRST_ROW:
            continue
        recs.setdefault((section, int(m[2])), []).append(f"{p.where}: {p.what}")
    out = []
    for (section, r), reasons in sorted(recs.items()):
        sec = schema.section(section)
        rows = raw[keys[section]]
        start = first_data_col(sec)
        cells = rows[r - 1][start - 1 : start - 1 + len(sec.fields)] if r <= len(rows) else ()
        record = {f: _text(v) or None for f, v in zip(sec.field_ids, cells, strict=False)}
        import json

        out.append(
            {
                "table": section,
                "row": r,
                "family": "workbook",
                "reason": "; ".join(reasons),
                "record": json.dumps(record, ensure_ascii=False),
            }
        )
    return pd.DataFrame(out, columns=["table", "row", "family", "reason", "record"])


def tidy_tables(evaluation: SelfEvaluation) -> dict[str, pd.DataFrame]:
    """The tidy tables the submission suites run on (``forms`` + one per table section)."""
    schema = evaluation.schema
    forms = [
        {
            "pilot": evaluation.pilot,
            "section": s.id,
            "field": f.id,
            "value": _text(evaluation.forms.get(s.id, {}).get(f.id)) or None,
        }
        for s in schema.sections
        if s.kind == "form"
        for f in s.fields
    ]
    out = {
        "forms": pd.DataFrame(forms, columns=["pilot", "section", "field", "value"]).astype(
            {"value": "string"}
        )
    }
    for s in schema.sections:
        if s.kind == "table":
            frame = evaluation.frame(s.id)
            frame.insert(0, "pilot", evaluation.pilot)
            out[s.id] = frame
    return out


def parse_submission(path: str | Path, *, schema: Schema | None = None) -> ParsedSubmission:
    """Read a submitted workbook as far as possible (see the module docstring)."""
    path = Path(path)
    schema = schema or load_schema()
    intake = inspect_workbook(path, schema=schema)
    raw = _raw_sheets(path) if intake.safe_to_parse else {}
    keys = _by_key(raw)
    facts = _facts(raw, keys)
    evaluation: SelfEvaluation | None = None
    problems: tuple[Problem, ...] = ()
    lang = facts.get("lang", intake.lang)
    if not intake.refused:
        try:
            evaluation = read_workbook(path, schema=schema)
            lang = evaluation.lang
        except RefusedWorkbookError:
            raise  # cannot happen: the intake above passed
        except LocalizedWorkbookError as exc:
            problems = exc.problems
            lang = exc.lang
    else:
        lang = intake.lang
    if lang not in LANGS:
        lang = "en"
    pilot = _pilot(evaluation, facts, path)
    period = "unknown"
    if evaluation is not None and evaluation.report_date is not None:
        period = evaluation.report_date.isoformat()
    elif facts.get("form_report_date") and not intake.refused:
        period = mask_identity_codes(facts["form_report_date"][:10])
    return ParsedSubmission(
        path=path,
        pilot=pilot,
        lang=lang,
        period=period,
        schema_version=(
            evaluation.schema_version
            if evaluation
            else mask_identity_codes(facts.get("schema_version", schema.version))
        ),
        evaluation=evaluation,
        problems=problems,
        tables=tidy_tables(evaluation) if evaluation is not None else {},
        rows=_record_rows(schema, raw, keys),
        sheets={s.id: keys.get(s.id, s.sheet(lang)) for s in schema.sections},  # type: ignore[arg-type]
        quarantine=_problem_quarantine(schema, problems, raw, keys),
        refused=intake.problems,
        person_ids=_person_ids(schema, raw, keys),
    )


def _pilot(evaluation: SelfEvaluation | None, facts: dict[str, str], path: Path) -> str:
    """The pilot's name; never one that holds an identity code (nor the file name then)."""
    for name in (
        evaluation.pilot if evaluation else "",
        facts.get("pilot", ""),
        facts.get("form_pilot_name", ""),
        path.stem,
    ):
        if name and not contains_identity_code(name):
            return name
    return "unknown"
