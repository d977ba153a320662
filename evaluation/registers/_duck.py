"""DuckDB plumbing of the register spine: connections, inputs and result tables.

Internal module. Everything big stays inside DuckDB; pandas and Arrow are only the doors in
and out. Table names are made unique per call (``_reg_<kind>_<hex>``), so several panels can
live in one connection.
"""

from __future__ import annotations

import errno
import os
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeAlias

import duckdb
import pandas as pd
import pyarrow as pa

from evaluation.errors import InputDataError, OptionError
from evaluation.registers.intake import read_csv_sql, refuse_codes_in_path
from evaluation.safe_io import atomic_write

#: What the register functions accept as a table: a pandas DataFrame, a path to a parquet
#: (or CSV) file, or a DuckDB relation.
TableInput: TypeAlias = "pd.DataFrame | str | os.PathLike[str] | duckdb.DuckDBPyRelation"

#: Default memory limit of connections the toolkit opens itself (DuckDB spills beyond it).
DEFAULT_MEMORY_LIMIT = "3GB"


def default_temp_directory() -> Path:
    """Where the toolkit's DuckDB connections spill by default (a folder in the temp dir)."""
    return Path(tempfile.gettempdir()) / "pilot_eval_duckdb"


def connect(
    database: str | os.PathLike[str] = ":memory:",
    *,
    memory_limit: str = DEFAULT_MEMORY_LIMIT,
    threads: int | None = None,
    temp_directory: str | os.PathLike[str] | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open a DuckDB connection configured for panel building.

    Parameters
    ----------
    database:
        ``":memory:"`` (default: a compressed in-memory database) or a path to a
        ``.duckdb`` file that keeps the panels.
    memory_limit:
        DuckDB memory limit, e.g. ``"3GB"``; larger work spills to ``temp_directory``.
    threads:
        Number of DuckDB threads (default: DuckDB's choice, all cores).
    temp_directory:
        Where DuckDB spills; default a folder in the system temp directory.

    Returns
    -------
    duckdb.DuckDBPyConnection
    """
    con = duckdb.connect(str(database))
    if str(database) == ":memory:":
        # A compressed in-memory catalogue: panels shrink ~10x after each CHECKPOINT.
        con.execute("ATTACH ':memory:' AS pilot_eval (COMPRESS)")
        con.execute("USE pilot_eval")
    tmp = Path(temp_directory) if temp_directory else default_temp_directory()
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute(f"SET temp_directory = '{tmp.as_posix()}'")
    if threads is not None:
        con.execute(f"SET threads = {int(threads)}")
    return con


def release(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Drop the helper objects of an input loaded by :func:`load_table` as ``name``.

    Drops ``name`` and its ``_typed`` / ``_src`` companions (views or tables) and unregisters
    a registered DataFrame, so the connection no longer holds on to the caller's data.
    """
    for obj in (f"{name}_typed", name, f"{name}_src"):
        for kind in ("VIEW", "TABLE"):
            try:
                con.execute(f"DROP {kind} IF EXISTS {obj}")
            except duckdb.CatalogException:
                continue  # the object is of the other kind
    for obj in (f"{name}_df", f"{name}_arrow"):
        try:
            con.unregister(obj)
        except duckdb.Error:
            continue


def unique_name(kind: str) -> str:
    """Return a fresh table/view name ``_reg_<kind>_<hex>``."""
    return f"_reg_{kind}_{uuid.uuid4().hex[:12]}"


def quote_ident(name: str) -> str:
    """Quote an SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    """Quote an SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def _pandas_for_duckdb(frame: pd.DataFrame, row_column: str) -> pd.DataFrame:
    # A shallow copy: the caller's frame is never mutated. Object columns may mix types
    # (str, datetime, None); DuckDB cannot scan those, so they become nullable strings.
    out = frame.copy(deep=False)
    out.columns = [str(c) for c in out.columns]
    for col in out.columns:
        if out[col].dtype == object:
            values = out[col]
            out[col] = values.where(values.isna(), values.map(_to_text)).astype("string")
    out[row_column] = pd.RangeIndex(1, len(out) + 1, dtype="int64")
    return out


def _to_text(value: object) -> str:
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return str(value)


def load_table(
    data: TableInput,
    *,
    con: duckdb.DuckDBPyConnection,
    kind: str,
    row_column: str,
    where: str,
) -> str:
    """Make ``data`` available in ``con`` as a view with a 1-based row number column.

    Parameters
    ----------
    data:
        DataFrame, parquet/CSV path, or DuckDB relation (of ``con``; relations of another
        connection are copied through Arrow).
    con:
        Target connection.
    kind:
        Short label used in the view name.
    row_column:
        Name of the added row-number column (1 = first data row, in input order).
    where:
        Name of the input used in error messages.

    Returns
    -------
    str
        Name of the view in ``con``.
    """
    name = unique_name(kind)
    reserved = InputDataError(
        f"column {row_column!r} is reserved by the toolkit",
        where=where,
        fix=f"rename the column {row_column!r}",
    )
    if isinstance(data, pd.DataFrame):
        if row_column in data.columns:
            raise reserved
        con.register(name + "_df", _pandas_for_duckdb(data, row_column))
        con.execute(f"CREATE TEMP VIEW {name} AS SELECT * FROM {name}_df")
        return name
    src = name + "_src"
    row = quote_ident(row_column)
    if isinstance(data, duckdb.DuckDBPyRelation):
        try:
            data.create_view(src, replace=True)
            con.execute(f"SELECT 1 FROM {src} LIMIT 0")
        except duckdb.Error:
            # The relation belongs to another connection: stream it over through Arrow.
            con.register(name + "_arrow", data.to_arrow_reader())
            con.execute(f"CREATE TEMP TABLE {src} AS SELECT * FROM {name}_arrow")
            con.unregister(name + "_arrow")
        numbered = f"SELECT *, row_number() OVER () AS {row} FROM {src}"
    elif isinstance(data, str | os.PathLike):
        path = Path(data)
        refuse_codes_in_path(path, where=where)
        if not path.exists():
            raise InputDataError(
                f"file {str(path)!r} does not exist", where=where, fix="check the path"
            )
        suffix = path.suffix.lower()
        if suffix in (".parquet", ".pq"):
            con.execute(
                f"CREATE TEMP VIEW {src} AS SELECT * FROM "
                f"read_parquet({quote_literal(path.as_posix())}, "
                "file_row_number = true)"
            )
            numbered = (
                f"SELECT * EXCLUDE (file_row_number), file_row_number + 1 AS {row} FROM {src}"
            )
        elif suffix in (".csv", ".txt", ".tsv"):
            # Every column as text (unparseable dates are reported row by row); the file is
            # checked first (empty, binary, not UTF-8) and read by its own header line.
            con.execute(
                f"CREATE TEMP VIEW {src} AS SELECT * FROM {read_csv_sql(path, where=where)}"
            )
            numbered = f"SELECT *, row_number() OVER () AS {row} FROM {src}"
        else:
            raise InputDataError(
                f"cannot read file type {suffix!r} of {str(path)!r}",
                where=where,
                fix="give a .parquet or .csv file, a pandas DataFrame or a DuckDB relation",
            )
    else:
        raise OptionError(
            f"cannot use an object of type {type(data).__name__} as a table",
            where=where,
            fix="give a pandas DataFrame, a .parquet/.csv path or a DuckDB relation",
        )
    if row_column in con.table(src).columns:
        raise reserved
    con.execute(f"CREATE TEMP VIEW {name} AS {numbered}")
    return name


@dataclass(frozen=True)
class DuckTable:
    """A table kept inside a DuckDB connection, with doors out to pandas, Arrow and parquet.

    Attributes
    ----------
    con:
        The connection holding the table.
    table:
        Name of the table in ``con``.
    order_by:
        Columns that define the canonical row order of the exports.
    """

    con: duckdb.DuckDBPyConnection
    table: str
    order_by: tuple[str, ...]

    @property
    def relation(self) -> duckdb.DuckDBPyRelation:
        """The table as a lazy DuckDB relation (in canonical order)."""
        return self.con.sql(self._select())

    @property
    def columns(self) -> list[str]:
        """Column names."""
        return list(self.con.table(self.table).columns)

    @property
    def n_rows(self) -> int:
        """Number of rows."""
        row = self.con.execute(f"SELECT count(*) FROM {self.table}").fetchall()[0]
        return int(row[0]) if row else 0

    def _select(self, columns: str = "*") -> str:
        # Tables are written in canonical order and DuckDB keeps insertion order on scans,
        # unless the connection turned that off: then sort explicitly.
        setting = "SELECT current_setting('preserve_insertion_order')"
        keep = bool(self.con.execute(setting).fetchall()[0][0])
        order = ", ".join(quote_ident(c) for c in self.order_by)
        sort = f" ORDER BY {order}" if order and not keep else ""
        return f"SELECT {columns} FROM {self.table}{sort}"

    def _export_columns(self, columns: Sequence[str] | None) -> str:
        # ENUM columns leave as plain text, so pandas gets its default string dtype.
        rel = self.con.table(self.table)
        types = dict(zip(rel.columns, (str(t) for t in rel.types), strict=True))
        wanted = list(rel.columns) if columns is None else list(columns)
        unknown = [c for c in wanted if c not in types]
        if unknown:
            raise OptionError(
                f"unknown column(s) {', '.join(repr(c) for c in unknown)}",
                where="columns",
                fix=f"use some of: {', '.join(rel.columns)}",
            )
        parts = []
        for col in wanted:
            q = quote_ident(col)
            parts.append(f"CAST({q} AS VARCHAR) AS {q}" if types[col].startswith("ENUM") else q)
        return ", ".join(parts)

    def to_pandas(self, columns: Sequence[str] | None = None) -> pd.DataFrame:
        """Return the table (or some ``columns`` of it) as pandas, in canonical row order.

        Large panels: fetch only the columns you need, or filter ``.relation`` first.
        """
        frame: pd.DataFrame = self.con.sql(self._select(self._export_columns(columns))).df()
        return frame

    def to_arrow(self, columns: Sequence[str] | None = None) -> pa.Table:
        """Return the table (or some ``columns`` of it) as a pyarrow Table, canonical order."""
        sql = self._select(self._export_columns(columns))
        table: pa.Table = self.con.sql(sql).to_arrow_table()
        return table

    def to_parquet(self, path: str | os.PathLike[str], *, where: str = "output file") -> Path:
        """Write the table to a parquet file (streamed by DuckDB) and return its path.

        The file is written beside ``path`` and renamed over it; a symlink at ``path`` is
        refused, and a failed write (disk full, read-only folder) is an
        :class:`~evaluation.errors.OptionError` naming ``where`` and the path.
        """
        out = Path(path)
        with atomic_write(out, where=where) as tmp:
            try:
                # ENUM columns are written as dictionary-encoded strings: no cast needed.
                self.con.execute(
                    f"COPY ({self._select()}) TO {quote_literal(tmp.as_posix())} (FORMAT parquet)"
                )
            except duckdb.IOException as exc:
                reason = str(exc).splitlines()[0].removeprefix("IO Error: ")
                raise OSError(errno.EIO, reason) from exc
        return out
