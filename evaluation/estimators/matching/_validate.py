"""Validation of the inputs of :func:`evaluation.match` (done once, at the entry)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from evaluation.errors import (
    EstimatorNote,
    InputDataError,
    MissingColumnError,
    MissingValueError,
    NoComparisonUnitsError,
    OptionError,
)

WHERE = "match()"


class MatchWarning(EstimatorNote):
    """A matching step left units out (unmatched treated, units off common support)."""


def as_names(value: str | Sequence[str], option: str) -> list[str]:
    """Accept one column name or a sequence of names."""
    if isinstance(value, str):
        return [value]
    names = list(value)
    if not all(isinstance(v, str) for v in names):
        raise OptionError(
            f"`{option}` must be column names (strings), got {names!r}",
            where=WHERE,
            fix=f"pass `{option}` as a list of column names",
        )
    return names


def check_columns(data: pd.DataFrame, columns: Sequence[str], where: str = WHERE) -> None:
    """Raise MissingColumnError if any column is absent."""
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise MissingColumnError(missing, where=where, available=[str(c) for c in data.columns])


def check_no_missing(data: pd.DataFrame, columns: Sequence[str], role: str) -> None:
    """Raise MissingValueError with counts and the first row labels of missing values."""
    na = data[list(columns)].isna()
    if bool(na.to_numpy().any()):
        counts = na.sum()
        bad = ", ".join(f"{c!r} ({int(n)} rows)" for c, n in counts.items() if n > 0)
        rows = list(data.index[na.any(axis=1)][:5])
        raise MissingValueError(
            f"{role} column(s) {bad} have missing values (first rows: {rows})",
            where=WHERE,
            fix="impute or drop these rows explicitly before matching; matching never drops "
            "rows silently",
        )


def treatment_vector(data: pd.DataFrame, treatment: str) -> npt.NDArray[np.bool_]:
    """The treatment column as booleans; it must hold exactly the values 0/1 (or bools)."""
    col = data[treatment]
    check_no_missing(data, [treatment], "treatment")
    values = set(pd.unique(col).tolist())
    if not values <= {0, 1}:
        shown = sorted(map(str, values))[:5]
        raise InputDataError(
            f"treatment column {treatment!r} must be 0/1, found values {shown}",
            where=WHERE,
            fix="recode the treatment column to 1 = participant, 0 = comparison",
        )
    d = col.to_numpy().astype(bool)
    n1 = int(d.sum())
    if n1 == 0:
        raise NoComparisonUnitsError(
            f"no treated units: column {treatment!r} is 0 in all {len(d)} rows",
            where=WHERE,
            fix="check the treatment coding (1 = participant)",
        )
    if n1 == len(d):
        raise NoComparisonUnitsError(
            f"all {n1} units are treated: there are no comparison units to match",
            where=WHERE,
            fix="add non-participants from the registers (treatment = 0)",
        )
    return d


def check_unique_index(data: pd.DataFrame) -> str | None:
    """Warn (MatchWarning) when index labels repeat; rows are still told apart by position.

    Returns the warning text, or None for a unique index.
    """
    if data.index.is_unique:
        return None
    n_dup = int(data.index.duplicated(keep=False).sum())
    dup = list(pd.unique(data.index[data.index.duplicated()])[:5])
    msg = (
        f"the data index has {n_dup} rows with repeated labels (e.g. {dup}); matching uses "
        "row positions (MatchResult.pairs columns treated_row/control_row), but labels in "
        ".matched and .pairs are ambiguous; call data.reset_index() or index by person id"
    )
    warnings.warn(msg, MatchWarning, stacklevel=3)
    return msg
