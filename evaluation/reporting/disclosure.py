"""Disclosure control for reports: small-cell suppression and an identifier guard.

Small-cell suppression
    :func:`suppress_counts` takes a table of person counts (rows x columns of
    non-negative integers) and returns what a report may show:

    1. *Primary suppression*: every cell with ``0 < count < threshold`` (default 5) is
       hidden. Zeros are shown (they are not small groups of persons).
    2. *Secondary suppression*: the table is published with its row and column totals
       (and the grand total), and an attacker may solve every row and column equation
       by linear programming, knowing that a primary marker means ``1 .. threshold - 1``.
       Cells are hidden until no small cell's feasible range is narrower than that (or
       than what the markers alone allow): :func:`evaluation.disclosure.protect`, audited
       by :func:`audit_suppression` (``docs/disclosure.md`` explains the approach).

    Totals that are themselves small are primary-suppressed like any cell.

Identifier guard
    :func:`assert_no_identifiers` raises :class:`IdentifierLeakError` when a text or a
    table contains a Finnish personal identity code or a store pseudonym (found by the
    project's one detector, :func:`evaluation.privacy.find_identity_codes`) or a column
    named like an identifier. Its message shows the shape of what it found
    (:data:`evaluation.privacy.CODE_SHAPE`), never a character of it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evaluation.disclosure import FeasibleRanges, feasible_ranges, protect
from evaluation.errors import InputDataError, OptionError, ReportError
from evaluation.privacy import find_identity_codes

#: Default minimum cell size that may be shown.
DEFAULT_THRESHOLD = 5

#: Column names that hold person identifiers and must never appear in a report table.
ID_COLUMN_NAMES = frozenset(
    {"person_id", "pseudo_id", "pseudonym", "hetu", "henkilotunnus", "ssn", "personal_id", "id"}
)

TOTAL_LABEL = "Total"


class IdentifierLeakError(ReportError):
    """A report would show a person identifier."""


@dataclass(frozen=True)
class SuppressedTable:
    """A count table after disclosure control.

    Attributes
    ----------
    counts:
        The counts with totals (row ``total_label`` and column ``total_label``); never
        show these directly.
    status:
        Same shape: ``""`` (shown), ``"primary"`` or ``"secondary"``.
    threshold:
        The minimum shown cell size.
    """

    counts: pd.DataFrame
    status: pd.DataFrame
    threshold: int
    primary_marker: str
    secondary_marker: str

    @property
    def n_primary(self) -> int:
        """Number of cells hidden because they are small."""
        return int((self.status == "primary").to_numpy().sum())

    @property
    def n_secondary(self) -> int:
        """Number of cells hidden so that small cells cannot be recovered from totals."""
        return int((self.status == "secondary").to_numpy().sum())

    def display(self, *, totals: bool = True) -> pd.DataFrame:
        """Table of strings for a report: counts, or the markers for hidden cells."""
        out = self.counts.astype("int64").astype(str).astype(object)
        out = out.mask(self.status == "primary", self.primary_marker)
        out = out.mask(self.status == "secondary", self.secondary_marker)
        if not totals:
            out = out.iloc[:-1, :-1]
        return out


def _validate_counts(counts: pd.DataFrame, where: str) -> pd.DataFrame:
    if counts.empty:
        raise InputDataError("the count table is empty", where=where, fix="pass a non-empty table")
    non_numeric = [str(c) for c in counts.columns if not pd.api.types.is_numeric_dtype(counts[c])]
    if non_numeric:
        raise InputDataError(
            f"non-numeric column(s) {', '.join(non_numeric)} in a count table",
            where=where,
            fix="move labels into the index (df.set_index(...)) so only counts remain",
        )
    values = counts.to_numpy(dtype=float)
    bad = np.argwhere(~np.isfinite(values) | (values < 0) | (values != np.round(values)))
    if bad.size:
        r, c = bad[0]
        raise InputDataError(
            f"{len(bad)} cell(s) are not non-negative whole counts, first at row "
            f"{counts.index[r]!r}, column {counts.columns[c]!r} ({values[r, c]})",
            where=where,
            fix="pass person counts (0, 1, 2, ...); fill missing cells with 0",
        )
    return counts.astype("int64")


def suppress_counts(
    counts: pd.DataFrame,
    *,
    threshold: int = DEFAULT_THRESHOLD,
    total_label: str = TOTAL_LABEL,
    primary_marker: str | None = None,
    secondary_marker: str = "*",
    where: str = "count table",
) -> SuppressedTable:
    """Apply primary and secondary small-cell suppression to a count table.

    Parameters
    ----------
    counts:
        Non-negative integer counts; row labels in the index, one column per category.
        Do not include totals: they are added (row and column ``total_label``).
    threshold:
        Cells with ``0 < count < threshold`` are hidden (default 5).
    primary_marker:
        Shown instead of a small count; default ``f"<{threshold}"``.
    secondary_marker:
        Shown instead of a cell hidden to protect another (default ``"*"``).
    where:
        Name of the table in error messages.

    Returns
    -------
    SuppressedTable
        Counts with totals, the suppression status of each cell and :meth:`display`.
    """
    if not isinstance(threshold, int | np.integer) or threshold < 1:
        raise OptionError(
            f"threshold {threshold!r} is not a positive whole number",
            where="suppress_counts(threshold=...)",
            fix="use e.g. 5 (the default) or a stricter 10",
        )
    c = _validate_counts(counts, where)
    full = c.copy()
    full[total_label] = c.sum(axis=1)
    total_row = pd.DataFrame([full.sum(axis=0)], index=[total_label])
    full = pd.concat([full, total_row])
    values = full.to_numpy(dtype=np.int64)
    primary, hidden = protect(values, int(threshold))
    status = np.where(primary, "primary", np.where(hidden, "secondary", ""))
    return SuppressedTable(
        counts=full,
        status=pd.DataFrame(status, index=full.index, columns=full.columns),
        threshold=int(threshold),
        primary_marker=primary_marker if primary_marker is not None else f"<{threshold}",
        secondary_marker=secondary_marker,
    )


def suppress_count_column(
    table: pd.DataFrame,
    column: str,
    *,
    threshold: int = DEFAULT_THRESHOLD,
    label: str | None = None,
    total_label: str = TOTAL_LABEL,
    secondary_marker: str = "*",
) -> pd.DataFrame:
    """Suppress one count column of a long table shown with a total row.

    Returns a copy of ``table`` (as strings in ``column``) with a total row appended,
    where small counts and the counts that would reveal them are replaced by markers.
    ``label`` names the column holding row labels (used for the total row).
    """
    if column not in table.columns:
        raise InputDataError(
            f"no count column {column!r}",
            where="suppress_count_column",
            fix=f"choose one of {', '.join(map(str, table.columns))}",
        )
    counts = table[[column]].reset_index(drop=True)
    res = suppress_counts(
        counts, threshold=threshold, total_label=total_label, secondary_marker=secondary_marker
    )
    shown = res.display(totals=True)[column]
    out = table.reset_index(drop=True).copy()
    total = {c: "" for c in out.columns}
    if label is not None:
        total[label] = total_label
    out = pd.concat([out, pd.DataFrame([total])], ignore_index=True).astype(object)
    out[column] = shown.to_numpy()
    return out


def assert_no_identifiers(
    obj: str | pd.DataFrame,
    *,
    where: str = "report",
    id_columns: Iterable[str] = ID_COLUMN_NAMES,
) -> None:
    """Raise :class:`IdentifierLeakError` if ``obj`` shows a person identifier.

    Parameters
    ----------
    obj:
        A plain text (check input before it is escaped: a backslash before a code's
        separator hides the code) or a table. Tables fail when a column is named like an
        identifier (``person_id``, ``hetu``, ...) or when a column name, index label or
        cell holds an identity code or a store pseudonym.
    where:
        Name of the report or table, used in the message.
    """
    id_cols = {c.lower() for c in id_columns}
    if isinstance(obj, pd.DataFrame):
        named = [str(c) for c in obj.columns if str(c).lower() in id_cols]
        if named:
            raise IdentifierLeakError(
                f"identifier column(s) {', '.join(named)} in a report table",
                where=where,
                fix="aggregate before reporting and drop person identifier columns",
            )
        # One cell a line: the detector accepts a space as separator, never a line break.
        parts = ["\n".join(map(str, obj.columns)), "\n".join(map(str, obj.index))]
        for col in obj.columns:
            if not pd.api.types.is_numeric_dtype(obj[col]):
                parts.append("\n".join(map(str, obj[col].tolist())))
        text = "\n".join(parts)
    else:
        text = obj
    hits = find_identity_codes(text)
    if hits:
        shapes = ", ".join(sorted({h.shape for h in hits}))
        raise IdentifierLeakError(
            f"{len(hits)} person identifier(s) found (shape {shapes})",
            where=where,
            fix="report aggregates only; remove person ids and identity codes from the input",
        )


def audit_suppression(table: SuppressedTable) -> FeasibleRanges:
    """Each hidden cell's feasible range for an attacker who sees ``table.display()``.

    The attacker knows every shown cell and total, that the primary marker means
    ``1 .. threshold - 1`` and the secondary marker ``>= 0``; ranges come from linear
    programming over the row and column equations (:func:`evaluation.disclosure.
    feasible_ranges`). ``.ok`` is true when no small cell is narrowed beyond its markers.
    """
    values = table.counts.to_numpy(dtype=np.int64)
    status = table.status.to_numpy()
    return feasible_ranges(values, status != "", status == "primary", table.threshold)
