"""The typed result of reading a filled workbook: :class:`SelfEvaluation`."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import pandas as pd
from babel.numbers import format_decimal

from evaluation.schema import Lang, Schema, Section, load_schema
from evaluation.workbook.layout import ROW_KEY

#: A cell value after typing: text, whole number, number, date or nothing.
Value: TypeAlias = str | int | float | dt.date | None
Record: TypeAlias = Mapping[str, Value]


def _dtype_frame(schema: Schema, section: Section, records: tuple[Record, ...]) -> pd.DataFrame:
    """Records of a table section as a typed DataFrame with one column per field."""
    cols = [ROW_KEY, *section.row_attrs] if section.rows_from else []
    cols += list(section.field_ids)
    data: dict[str, Any] = {}
    for c in cols:
        vals: list[Any] = [r.get(c) for r in records]
        ftype = section.field(c).type if c in section.field_ids else "code"
        if ftype == "integer":
            data[c] = pd.array(vals, dtype="Int64")
        elif ftype == "number":
            floats: list[Any] = [None if v is None else float(v) for v in vals]
            data[c] = pd.array(floats, dtype="Float64")
        elif ftype == "date":
            data[c] = pd.to_datetime(pd.Series(vals, dtype="object"))
        else:
            data[c] = pd.array(vals, dtype="string")
    return pd.DataFrame(data, columns=cols)


@dataclass(frozen=True)
class SelfEvaluation:
    """One pilot's filled self-evaluation, checked and typed against the schema.

    Attributes
    ----------
    pilot:
        Name of the pilot (the workbook's ``--pilot``).
    lang:
        Language of the workbook the data came from.
    forms:
        ``section id -> {field id -> value}`` for form sections (all fields present).
    records:
        ``section id -> records`` for table sections; a record maps field ids to values.
        Rows of fixed-row tables carry their code under ``"row"`` and the code's
        attributes (e.g. theme, dimension). Empty rows are not records.
    schema_version:
        Version of the schema the workbook was made with.
    notes:
        Notes for the reader that are not problems, in the workbook's language (e.g. an
        older template without the questions added since: read, with those left blank).
    """

    pilot: str
    lang: Lang
    forms: Mapping[str, Mapping[str, Value]]
    records: Mapping[str, tuple[Record, ...]]
    schema_version: str
    schema: Schema = field(default_factory=load_schema, repr=False, compare=False)
    notes: tuple[str, ...] = ()

    # -- access ------------------------------------------------------------------------
    def form(self, section_id: str) -> Mapping[str, Value]:
        """Answers of a form section."""
        return self.forms[section_id]

    def frame(self, section_id: str) -> pd.DataFrame:
        """Records of a table section as a typed DataFrame (one column per field)."""
        section = self.schema.section(section_id)
        return _dtype_frame(self.schema, section, self.records.get(section_id, ()))

    @property
    def report_date(self) -> dt.date | None:
        """The report date of the pilot sheet (the reference date of the indicators)."""
        value = self.forms.get("pilot", {}).get("report_date")
        return value if isinstance(value, dt.date) else None

    def indicators(self) -> Any:
        """Indicators computed from the client sheet (an :class:`IndicatorResult`)."""
        from evaluation.workbook.indicators import compute_indicators

        return compute_indicators(self)

    def scores(self) -> pd.DataFrame:
        """Instrument scores per client and wave, with the client's groups and outcome."""
        from evaluation.workbook.instrument import score_assessments

        return score_assessments(self)

    # -- tidy output -------------------------------------------------------------------
    def tables(self) -> dict[str, pd.DataFrame]:
        """Every section as a tidy DataFrame, plus computed ``indicators`` and ``scores``.

        Form sections become long tables with columns ``pilot, field, label, value``
        (value as text); table sections keep one column per field with a leading ``pilot``.
        """
        out: dict[str, pd.DataFrame] = {}
        for s in self.schema.sections:
            if s.kind == "form":
                answers = self.forms.get(s.id, {})
                out[s.id] = pd.DataFrame(
                    {
                        "pilot": self.pilot,
                        "field": list(s.field_ids),
                        "label": [f.label(self.lang) for f in s.fields],
                        "value": pd.array(
                            [_as_text(answers.get(f.id)) for f in s.fields], dtype="string"
                        ),
                    }
                )
            elif s.kind == "table":
                frame = self.frame(s.id)
                frame.insert(0, "pilot", self.pilot)
                out[s.id] = frame
        out["indicators"] = self.indicators().tidy()
        out["scores"] = self.scores()
        return out

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready content: pilot, language, forms, tables and indicators."""
        return {
            "pilot": self.pilot,
            "lang": self.lang,
            "schema_version": self.schema_version,
            "forms": {k: {f: _jsonable(v) for f, v in d.items()} for k, d in self.forms.items()},
            "tables": {
                k: [{f: _jsonable(v) for f, v in r.items()} for r in recs]
                for k, recs in self.records.items()
            },
            "indicators": json.loads(
                self.indicators().tidy().to_json(orient="records", force_ascii=False)
            ),
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        """The content as a JSON string (dates as ISO 8601)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)

    def summary(self) -> str:
        """A readable overview in the workbook's language: sections filled and the
        indicators (names, values with the language's decimal mark, units)."""
        lang, t = self.lang, self.schema.text
        lines = [t("summary_head", lang, pilot=self.pilot, version=self.schema_version)]
        lines += list(self.notes)
        for s in self.schema.sections:
            if s.kind == "form":
                n = sum(v is not None for v in self.forms.get(s.id, {}).values())
                filled = t("summary_answers", lang, n=n, total=len(s.fields))
                lines.append(f"  {s.sheet(lang):<24} {filled}")
            elif s.kind == "table":
                rows = t("summary_rows", lang, n=len(self.records.get(s.id, ())))
                lines.append(f"  {s.sheet(lang):<24} {rows}")
        ind = self.indicators().tidy()
        overall = ind[ind["group_var"] == "all"].set_index("indicator")
        lines.append(t("summary_indicators", lang))
        for spec in self.schema.indicators:
            r = overall.loc[spec.id]
            pattern = "0" if spec.unit == "count" else "0.0"
            val = "–" if pd.isna(r["value"]) else format_decimal(r["value"], pattern, locale=lang)
            den = "" if pd.isna(r["denominator"]) else f" / {int(r['denominator'])}"
            base = t("summary_n", lang, n=f"{int(r['numerator'])}{den}")
            shown = t(f"summary_value_{spec.unit}", lang, val=val)
            lines.append(f"  {spec.name(lang)}: {shown} ({base})")
        return "\n".join(lines)


def _as_text(value: Value) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _jsonable(value: Value) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
