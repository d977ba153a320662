"""The table registry: every tidy table's name, columns, types and vocabularies, once.

Like cobalt's statistics registry, each table the toolkit writes is declared once, in
``tables.yaml`` beside this module (shared columns by name, then each table's columns),
and loaded here as a :class:`Table` of :class:`Column` records; everything else is
derived from it:

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
import yaml

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
    #: False for a table a folder of its family may lack (an optional table).
    required: bool = True

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


# --------------------------------------------------------------------------- loading
#: The declarations (``tables.yaml`` beside this module): shared ``columns`` by name, and
#: ``tables`` whose ``columns`` name a shared column or declare their own.
REGISTRY_FILE = Path(__file__).with_name("tables.yaml")


def _column(spec: str | Mapping[str, Any], shared: Mapping[str, Any]) -> Column:
    """A column of a table: a shared column's name, or the table's own declaration."""
    raw = {"name": spec, **shared[spec]} if isinstance(spec, str) else dict(spec)
    values = raw.get("values", ())
    return Column(
        name=str(raw["name"]),
        dtype=raw["type"],
        description=str(raw["description"]),
        values=DESIGNS if values == "designs" else tuple(str(v) for v in values),
    )


def _published_effects(effects: Table) -> Table:
    """The effects as published beside a report set: counts may be ``<threshold``."""
    counts = {"n_treated", "n_control"}
    cols = tuple(
        replace(c, dtype="string", description=f"{c.description} (a count or <threshold)")
        if c.name in counts
        else c
        for c in effects.columns
    )
    description = "The effects as published: estimates empty where they rest on too few persons."
    return Table("published/effects", "disclosure", description, cols)


def _load(path: Path = REGISTRY_FILE) -> dict[str, Table]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    shared: dict[str, Any] = data["columns"]
    out: dict[str, Table] = {}
    for name, spec in data["tables"].items():
        source = spec.get("same_as")
        columns = (
            out[source].columns if source else tuple(_column(c, shared) for c in spec["columns"])
        )
        required = bool(spec.get("required", True))
        out[name] = Table(name, spec["family"], spec["description"], columns, required)
    out["published/effects"] = _published_effects(out["effects"])
    return out


#: Every registered table by name (``effects`` is the one effects table of every family).
TABLES: dict[str, Table] = _load()
#: Traffic-light ratings and destinations after the pilot (comparison tables).
RATINGS = next(c.values for c in TABLES["traffic_lights"].columns if c.name == "rating")
DESTINATIONS = next(c.values for c in TABLES["destinations"].columns if c.name == "destination")


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
