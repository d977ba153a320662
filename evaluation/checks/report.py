"""The result of a validation: :class:`ValidationReport` and its :class:`Failure` items."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from evaluation.checks.messages import column_label, rule, show_date, ui
from evaluation.privacy import mask_identity_codes
from evaluation.safe_io import write_text

#: Failing rows and values kept per failure (the counts are always complete).
MAX_SAMPLES = 50


@dataclass(frozen=True)
class Failure:
    """One failed expectation.

    Attributes
    ----------
    table:
        Table the expectation ran on (e.g. ``"clients"``, ``"spells"``, ``"panel"``).
    family:
        Defect family (``required``, ``code``, ``range``, ``unique``, ``gaps``, ...).
    expectation:
        Great Expectations type (e.g. ``expect_column_values_to_be_in_set``).
    column:
        The column concerned (``None`` for table-level rules).
    n_failed:
        Number of failing rows (or cohorts for ``comparison``), complete.
    rows:
        0-based positions of failing rows in the input table (up to
        :data:`MAX_SAMPLES`; empty when the input has no positions, e.g. a DuckDB table).
    values:
        Sample of the failing values (up to :data:`MAX_SAMPLES`).
    where:
        Location in the user's terms (file, sheet, cell, table, column, rows).
    what, fix:
        Readable message and how to fix it, in the report's language.
    samples:
        Up to :data:`MAX_SAMPLES` failing records (column -> value) for the HTML report.
    """

    table: str
    family: str
    expectation: str
    column: str | None
    n_failed: int
    where: str
    what: str
    fix: str
    rows: tuple[int, ...] = ()
    values: tuple[Any, ...] = ()
    samples: tuple[dict[str, Any], ...] = ()

    def __str__(self) -> str:
        return f"{self.where}: {self.what}. {self.fix}."


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of :func:`evaluation.checks.validate`.

    Attributes
    ----------
    kind:
        ``submission``, ``spells``, ``panel`` or ``did_input``.
    source:
        What was checked (a file name or a description of the data).
    lang:
        Language of the messages.
    n_expectations:
        Expectations evaluated.
    n_rows:
        Rows per table checked.
    failures:
        Every failed expectation (empty when the data passes).
    engine:
        ``"great_expectations"`` (pandas, with DuckDB for row queries) or ``"duckdb"``.
    meta:
        Extra facts (pilot, period, schema version, quarantine table name, ...).
    quarantine:
        Failing rows with the reason(s): columns ``table, row, family, reason, record``
        (record = JSON of the row). Rows are copied here, never dropped from the input.
    """

    kind: str
    source: str
    lang: str
    n_expectations: int
    n_rows: dict[str, int]
    failures: tuple[Failure, ...]
    engine: str
    meta: dict[str, Any] = field(default_factory=dict)
    quarantine: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(
            columns=["table", "row", "family", "reason", "record"]
        ),
        repr=False,
        compare=False,
    )

    @property
    def ok(self) -> bool:
        """Whether every expectation passed."""
        return not self.failures

    def families(self) -> tuple[str, ...]:
        """Defect families that failed (sorted, unique)."""
        return tuple(sorted({f.family for f in self.failures}))

    def tidy(self) -> pd.DataFrame:
        """One row per failure: ``table, family, expectation, column, n_failed, where,
        what, fix, rows``."""
        return pd.DataFrame(
            [
                {
                    "table": f.table,
                    "family": f.family,
                    "expectation": f.expectation,
                    "column": f.column,
                    "n_failed": f.n_failed,
                    "where": f.where,
                    "what": f.what,
                    "fix": f.fix,
                    "rows": ", ".join(str(r + 1) for r in f.rows),
                }
                for f in self.failures
            ],
            columns=[
                "table",
                "family",
                "expectation",
                "column",
                "n_failed",
                "where",
                "what",
                "fix",
                "rows",
            ],
        )

    def subject(self) -> str:
        """What was checked, for people: the source, and the pilot and period if known."""
        facts = [
            f"{ui(key, self.lang)} {show_date(self.meta[key], self.lang)}"
            for key in ("pilot", "period")
            if self.meta.get(key) not in (None, "")
        ]
        return f"{self.source} ({', '.join(facts)})" if facts else self.source

    def summary(self) -> str:
        """A readable summary in the report's language."""
        lang = self.lang
        total = sum(self.n_rows.values())
        head = ui("ok", lang) if self.ok else ui("failed", lang, n=len(self.failures))
        checked = f" ({ui('checked', lang, n=self.n_expectations, rows=total)})"
        lines = [f"{self.subject()}: {head}{checked if self.n_rows else ''}"]
        fix = ui("fix", lang)
        for f in self.failures:
            lines.append(f"  - {f.where}: {f.what.rstrip('.')}. {fix}: {f.fix.rstrip('.')}.")
        if len(self.quarantine):
            lines.append(ui("quarantined", lang, n=len(self.quarantine)))
        return mask_identity_codes("\n".join(lines))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready content (without the quarantined rows)."""
        return {
            "kind": self.kind,
            "source": self.source,
            "lang": self.lang,
            "ok": self.ok,
            "engine": self.engine,
            "n_expectations": self.n_expectations,
            "n_rows": self.n_rows,
            "meta": self.meta,
            "failures": [
                {
                    "table": f.table,
                    "family": f.family,
                    "expectation": f.expectation,
                    "column": f.column,
                    "n_failed": f.n_failed,
                    "where": f.where,
                    "what": f.what,
                    "fix": f.fix,
                    "rows": list(f.rows),
                    "values": [_masked(_jsonable(v)) for v in f.values],
                }
                for f in self.failures
            ],
        }

    def to_json(self) -> str:
        """The report as JSON text (identity codes masked to their shape)."""
        return mask_identity_codes(json.dumps(self.to_dict(), ensure_ascii=False, indent=2))

    def to_html(self) -> str:
        """A self-contained HTML page listing each failed expectation with its rows/cells."""
        lang = self.lang
        esc = html.escape
        total = sum(self.n_rows.values())
        head = ui("ok", lang) if self.ok else ui("failed", lang, n=len(self.failures))
        parts = [
            "<!doctype html>",
            f'<html lang="{esc(lang)}"><head><meta charset="utf-8">',
            f"<title>{esc(ui('report', lang))}: {esc(self.subject())}</title>",
            "<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:70em}"
            "table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;"
            "padding:.2em .5em;font-size:90%}th{background:#f3f3f3}.bad{color:#a00}"
            ".good{color:#070}section{border-left:4px solid #a00;padding-left:1em;"
            "margin-bottom:1.5em}</style></head><body>",
            f"<h1>{esc(ui('report', lang))}</h1>",
            f"<p><b>{esc(self.subject())}</b> &middot; {esc(ui(f'kind_{self.kind}', lang))}"
            + (
                f" &middot; {esc(ui('checked', lang, n=self.n_expectations, rows=total))}"
                if self.n_rows
                else ""
            )
            + "</p>",
            f'<h2 class="{"good" if self.ok else "bad"}">{esc(head)}</h2>',
        ]
        for k, f in enumerate(self.failures, start=1):
            parts.append(
                f"<section><h3>{k}. {esc(f.what)}</h3>"
                f"<p><b>{esc(ui('where', lang))}:</b> {esc(f.where)}<br>"
                f"<b>{esc(ui('fix', lang))}:</b> {esc(f.fix)}<br>"
                f"<b>{esc(ui('rule', lang))}:</b> {esc(rule(f.family, lang))}</p>"
            )
            if f.samples:
                parts.append(_samples_table(f, lang))
            parts.append("</section>")
        parts.append("</body></html>")
        # row samples, values and locations never show an identity code: only its shape
        return mask_identity_codes("\n".join(parts))

    def write_html(self, path: str | Path) -> Path:
        """Write :meth:`to_html` to ``path`` and return it."""
        return write_text(Path(path), self.to_html(), where="option --html")


def _samples_table(f: Failure, lang: str) -> str:
    """The failing rows of one failure: headers as staff see them, dates as they write them."""
    esc = html.escape
    cols = list(dict.fromkeys(c for s in f.samples for c in s))
    heads = [ui("row", lang) if c == "row" else column_label(f.table, c, lang) or c for c in cols]
    rows = [
        "<tr>" + "".join(f"<td>{esc(_show(s.get(c), lang))}</td>" for c in cols) + "</tr>"
        for s in f.samples
    ]
    head = "<tr>" + "".join(f"<th>{esc(h)}</th>" for h in heads) + "</tr>"
    return "<table>" + head + "".join(rows) + "</table>"


def _show(value: Any, lang: str = "en") -> str:
    if value is None:
        return ""
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return show_date(value, lang)


def _masked(value: Any) -> Any:
    return mask_identity_codes(value) if isinstance(value, str) else value


def _jsonable(value: Any) -> Any:
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, str | int | float | bool):
        return value
    return str(value)
