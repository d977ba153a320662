"""Validation of a long person-period panel and its wide (unit x period) form.

The estimator works on a *wide* panel: one row per unit, one column per period. This module
turns a long pandas frame into that form, checking everything once at the entry (integer time,
one row per unit and period, balanced panel, time-invariant cohort, weights and clusters, no
missing values). Problems are raised as named errors that say what to fix.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from evaluation.errors import MissingColumnError
from evaluation.estimators.did.errors import (
    DuplicateObservationError,
    MissingValueError,
    NonIntegerTimeError,
    TimeVaryingCohortError,
    TimeVaryingUnitAttributeError,
    TreatmentSwitchesOffError,
    UnbalancedPanelError,
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: What to do with missing outcomes: drop the rows (unbalanced estimator), drop the units
#: (balanced panel, R ``did``'s default), or refuse.
MissingOutcome = Literal["drop", "balance", "error"]

#: Cohort code of never-treated units (the API accepts 0 or missing; we store +inf).
NEVER = np.inf
_MAX_LISTED = 5  # how many offending units/rows an error message lists


@dataclass(frozen=True)
class WidePanel:
    """A validated balanced panel in wide form, units in sorted-id order.

    Attributes
    ----------
    unit_ids:
        Sorted unique unit identifiers, shape ``(n,)``.
    periods:
        Sorted unique integer periods, shape ``(T,)``.
    cohort:
        First treated period per unit, ``inf`` for never treated, shape ``(n,)``.
    weight:
        Sampling weight per unit (raw, not normalised), shape ``(n,)``.
    y:
        Outcome, shape ``(n, T)``.
    x:
        Covariates, shape ``(n, T, p)`` (``p`` may be 0).
    cluster:
        Integer cluster code per unit (``None`` when not clustering), shape ``(n,)``.
    n_missing_outcome:
        Rows whose outcome was missing or not finite (``nan`` in ``y``).
    """

    unit_ids: npt.NDArray[np.generic]
    periods: IntArray
    cohort: FloatArray
    weight: FloatArray
    y: FloatArray
    x: FloatArray
    cluster: IntArray | None
    n_missing_outcome: int = 0

    @property
    def n_units(self) -> int:
        """Number of units."""
        return int(self.y.shape[0])

    def subset(self, keep: BoolArray) -> WidePanel:
        """The panel of the units in ``keep`` (cluster codes kept as they are)."""
        return dataclasses.replace(
            self,
            unit_ids=self.unit_ids[keep],
            cohort=self.cohort[keep],
            weight=self.weight[keep],
            y=self.y[keep],
            x=self.x[keep],
            cluster=None if self.cluster is None else self.cluster[keep],
        )


def readable(value: object) -> str:
    """A value as a user would write it: ``8019``, ``'id-7'``, ``(8019, 2005)``; never
    a numpy repr such as ``np.int64(8019)``."""
    if isinstance(value, tuple):
        return "(" + ", ".join(readable(v) for v in value) + ")"
    if isinstance(value, np.generic):
        value = value.item()
    return repr(value)


def _list(values: Sequence[object]) -> str:
    shown = ", ".join(readable(v) for v in list(values)[:_MAX_LISTED])
    more = len(values) - _MAX_LISTED
    return f"{shown} (and {more} more)" if more > 0 else shown


def check_columns(data: pd.DataFrame, columns: Sequence[str], where: str) -> None:
    """Raise :class:`MissingColumnError` if any of ``columns`` is absent."""
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise MissingColumnError(missing, where=where, available=[str(c) for c in data.columns])


def integer_periods(values: pd.Series, column: str) -> IntArray:
    """Return the time column as int64, or raise :class:`NonIntegerTimeError`."""
    fix = (
        f"code column {column!r} as whole-number periods (e.g. a year, or a month index "
        "year*12 + month); dates and fractional values are not accepted"
    )
    if values.isna().any():
        rows = list(values.index[values.isna()])
        raise MissingValueError(
            f"time is missing in {int(values.isna().sum())} row(s) (index {_list(rows)})",
            where=f"column {column!r}",
            fix="fill in the period of every row or remove the rows",
        )
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        raise NonIntegerTimeError(
            f"time has dtype {values.dtype}, not integer", where=f"column {column!r}", fix=fix
        )
    if isinstance(values.dtype, np.dtype) and values.dtype.kind in "iu":
        return values.to_numpy(dtype=np.int64)  # plain integers: nothing to check
    arr = values.to_numpy(dtype=np.float64)
    bad = ~np.isfinite(arr) | (arr != np.round(arr))
    if bad.any():
        rows = list(values.index[bad])
        raise NonIntegerTimeError(
            f"time is not a whole number in {int(bad.sum())} row(s) (index {_list(rows)})",
            where=f"column {column!r}",
            fix=fix,
        )
    return arr.astype(np.int64)


def cohort_values(values: pd.Series, column: str, of: str = "row") -> FloatArray:
    """Return cohorts as float with ``inf`` for never treated (0 or missing)."""
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        raise NonIntegerTimeError(
            f"cohort has dtype {values.dtype}, not a number",
            where=f"column {column!r}",
            fix="give the first treated period as a whole number, 0 or missing if never treated",
        )
    arr = values.to_numpy(dtype=np.float64, na_value=np.nan)
    arr = np.where(np.isnan(arr) | (arr == 0), NEVER, arr)
    finite = np.isfinite(arr)
    bad = finite & ((arr != np.round(arr)) | (arr < 0))
    if bad.any() or np.isneginf(arr).any():
        rows = list(values.index[bad | np.isneginf(arr)])
        raise NonIntegerTimeError(
            f"cohort is not a non-negative whole number for {of}(s) {_list(rows)}",
            where=f"column {column!r}",
            fix="give the first treated period as a whole number, 0 or missing if never treated",
        )
    return arr


def _period_index(t_row: IntArray) -> tuple[IntArray, IntArray]:
    """Sorted distinct periods and each row's period index (a lookup table when the range
    of periods is small, which avoids hashing or sorting millions of rows)."""
    lo, hi = int(t_row.min()), int(t_row.max())
    if hi - lo < 10_000_000:
        present = np.bincount(t_row - lo, minlength=hi - lo + 1) > 0
        periods = np.nonzero(present)[0].astype(np.int64) + lo
        lut = np.cumsum(present) - 1
        return periods, lut[t_row - lo].astype(np.int64)
    periods = np.unique(t_row)
    return periods, np.searchsorted(periods, t_row).astype(np.int64)


def _unit_constant(
    values: npt.NDArray[Any], codes: IntArray, n: int, label: str, unit_ids: npt.NDArray[Any]
) -> tuple[npt.NDArray[Any], BoolArray]:
    """Scatter a per-row value to units; return it and the mask of units where it varies."""
    out = np.empty(n, dtype=values.dtype)
    out[codes] = values
    varies = np.zeros(n, dtype=bool)
    differs = values != out[codes]
    if values.dtype.kind == "f":
        differs &= ~(np.isnan(values) & np.isnan(out[codes]))
    varies[codes[differs]] = True
    return out, varies


def build_wide_panel(
    data: pd.DataFrame,
    *,
    outcome: str,
    time: str,
    unit: str,
    cohort: str,
    covariates: Sequence[str] = (),
    weights: str | None = None,
    cluster: str | None = None,
    treatment: str | None = None,
    allow_unbalanced: bool = False,
    missing_outcome: MissingOutcome = "error",
) -> WidePanel:
    """Validate a long panel and pivot it to a :class:`WidePanel`.

    The input frame is never modified. Units are ordered by sorted id, so the result does not
    depend on the row order of ``data``. With ``allow_unbalanced`` missing unit-periods are
    ``nan`` in ``y`` (and not allowed otherwise). Missing (or non-finite) outcomes raise
    :class:`MissingValueError` when ``missing_outcome="error"``; otherwise they are ``nan``
    in ``y`` and the caller decides.
    """
    where = "data passed to att_gt"
    needed = [outcome, time, unit, cohort, *covariates]
    needed += [c for c in (weights, cluster, treatment) if c is not None]
    check_columns(data, needed, where)

    if data[unit].isna().any():
        rows = list(data.index[data[unit].isna()])
        raise MissingValueError(
            f"unit id is missing in row(s) {_list(rows)}",
            where=f"column {unit!r}",
            fix="give every row its unit id or remove the rows",
        )
    t_row = integer_periods(data[time], time)
    periods, t_idx = _period_index(t_row)
    codes_raw, uniques = pd.factorize(data[unit], sort=True)
    codes = np.asarray(codes_raw, dtype=np.int64)
    unit_ids = np.asarray(uniques)
    n, n_t = len(unit_ids), len(periods)

    counts = np.bincount(codes * n_t + t_idx, minlength=n * n_t).reshape(n, n_t)
    if (counts > 1).any():
        u, t = np.nonzero(counts > 1)
        pairs = [(unit_ids[i], int(periods[j])) for i, j in zip(u, t, strict=True)]
        raise DuplicateObservationError(
            f"{len(pairs)} unit-period pair(s) occur more than once, e.g. (unit, time) "
            f"{_list(pairs)}",
            where=f"columns {unit!r}, {time!r}",
            fix="keep one row per unit and period (aggregate person-month rows first)",
        )
    if (counts == 0).any() and not allow_unbalanced:
        u = np.nonzero((counts == 0).any(axis=1))[0]
        raise UnbalancedPanelError(
            f"{len(u)} of {n} units are not observed in all {n_t} periods, e.g. units "
            f"{_list(list(unit_ids[u]))}",
            where=f"columns {unit!r}, {time!r}",
            fix="pass allow_unbalanced_panel=True (no covariates), give every unit a row in "
            "every period, or restrict the data to units observed throughout",
        )

    y_row = data[outcome]
    if not pd.api.types.is_numeric_dtype(y_row) or pd.api.types.is_bool_dtype(y_row):
        raise InputError(f"outcome has dtype {y_row.dtype}, not numeric", outcome)
    y_arr = y_row.to_numpy(dtype=np.float64, na_value=np.nan)
    finite = np.isfinite(y_arr)
    if not finite.all() and missing_outcome == "error":
        bad = ~finite
        pairs = [(unit_ids[codes[i]], int(t_row[i])) for i in np.nonzero(bad)[0]]
        raise MissingValueError(
            f"outcome is missing or not finite in {int(bad.sum())} row(s), e.g. (unit, time) "
            f"{_list(pairs)}",
            where=f"column {outcome!r}",
            fix="impute or correct the outcome, or pass missing_outcome='drop' (drop the rows, "
            "unbalanced-panel estimator) or missing_outcome='balance' (drop the units)",
        )
    y = np.full((n, n_t), np.nan) if allow_unbalanced or not finite.all() else np.empty((n, n_t))
    y[codes, t_idx] = np.where(finite, y_arr, np.nan)

    g_col = data[cohort]
    if pd.api.types.is_bool_dtype(g_col) or not pd.api.types.is_numeric_dtype(g_col):
        cohort_values(g_col, cohort)  # raises the type error
    if isinstance(g_col.dtype, np.dtype) and g_col.dtype.kind in "iu":
        g_raw = g_col.to_numpy(dtype=np.float64)  # no missing values possible
    else:
        g_raw = np.nan_to_num(g_col.to_numpy(dtype=np.float64, na_value=np.nan), nan=0.0)
    g_raw_unit, varies = _unit_constant(g_raw, codes, n, "cohort", unit_ids)
    if varies.any():
        raise TimeVaryingCohortError(
            f"cohort changes over time for {int(varies.sum())} unit(s), e.g. units "
            f"{_list(list(unit_ids[varies]))}",
            where=f"column {cohort!r}",
            fix="give each unit one first-treated period in all its rows "
            "(cohort_from_treatment() derives it from a 0/1 treatment column)",
        )
    g_unit = cohort_values(pd.Series(g_raw_unit, index=unit_ids), cohort, of="unit")
    if treatment is not None:
        _check_treatment(data[treatment], treatment, codes, t_row, g_unit, unit_ids)

    if weights is None:
        w_unit = np.ones(n)
    else:
        w_row = data[weights].to_numpy(dtype=np.float64, na_value=np.nan)
        bad = ~np.isfinite(w_row) | (w_row < 0)
        if bad.any():
            rows = list(data.index[bad])
            raise MissingValueError(
                f"weight is missing, negative or not finite in row(s) {_list(rows)}",
                where=f"column {weights!r}",
                fix="give every row a non-negative sampling weight",
            )
        w_unit_any, varies = _unit_constant(w_row, codes, n, "weights", unit_ids)
        w_unit = np.asarray(w_unit_any, dtype=np.float64)
        _raise_varying(varies, unit_ids, weights, "sampling weight")
        if w_unit.sum() <= 0:
            raise MissingValueError(
                "all sampling weights are zero",
                where=f"column {weights!r}",
                fix="give positive weights",
            )

    cl_unit: IntArray | None = None
    if cluster is not None:
        if data[cluster].isna().any():
            rows = list(data.index[data[cluster].isna()])
            raise MissingValueError(
                f"cluster is missing in row(s) {_list(rows)}",
                where=f"column {cluster!r}",
                fix="give every row its cluster (e.g. municipality code)",
            )
        cl_codes, _ = pd.factorize(data[cluster], sort=True)
        cl_any, varies = _unit_constant(np.asarray(cl_codes, np.int64), codes, n, "c", unit_ids)
        _raise_varying(varies, unit_ids, cluster, "cluster")
        cl_unit = np.asarray(cl_any, dtype=np.int64)

    x = np.empty((n, n_t, len(covariates)))
    for j, name in enumerate(covariates):
        col = data[name]
        if not pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
            raise InputError(
                f"covariate has dtype {col.dtype}; code it numerically (dummies for categories)",
                name,
            )
        arr = col.to_numpy(dtype=np.float64, na_value=np.nan)
        if not np.isfinite(arr).all():
            rows = list(data.index[~np.isfinite(arr)])
            raise MissingValueError(
                f"covariate is missing in row(s) {_list(rows)}",
                where=f"column {name!r}",
                fix="impute the covariate or leave it out of covariates",
            )
        x[codes, t_idx, j] = arr
    return WidePanel(
        unit_ids=unit_ids,
        periods=periods,
        cohort=np.asarray(g_unit, dtype=np.float64),
        weight=w_unit,
        y=y,
        x=x,
        cluster=cl_unit,
        n_missing_outcome=int((~finite).sum()),
    )


class InputError(MissingValueError):
    """A column has the wrong type (kept under :class:`MissingValueError`'s parent)."""

    def __init__(self, what: str, column: str) -> None:
        super().__init__(what, where=f"column {column!r}", fix="convert the column to numbers")


def _raise_varying(
    varies: BoolArray, unit_ids: npt.NDArray[np.generic], col: str, lab: str
) -> None:
    if varies.any():
        raise TimeVaryingUnitAttributeError(
            f"{lab} changes over time for {int(varies.sum())} unit(s), e.g. units "
            f"{_list(list(unit_ids[varies]))}",
            where=f"column {col!r}",
            fix=f"use one {lab} per unit (e.g. its value in the first period)",
        )


def _check_treatment(
    values: pd.Series,
    column: str,
    codes: IntArray,
    t_row: IntArray,
    g_unit: FloatArray,
    unit_ids: npt.NDArray[np.generic],
) -> None:
    """Check a 0/1 treatment column is absorbing and agrees with the cohort column."""
    d = values.to_numpy(dtype=np.float64, na_value=np.nan)
    if not np.isin(d, (0.0, 1.0)).all():
        raise MissingValueError(
            "treatment must be 0 or 1 in every row",
            where=f"column {column!r}",
            fix="code treatment status as 0/1 without missing values",
        )
    order = np.lexsort((t_row, codes))
    d_s, c_s = d[order], codes[order]
    off = (c_s[1:] == c_s[:-1]) & (d_s[:-1] == 1) & (d_s[1:] == 0)
    if off.any():
        units = list(unit_ids[np.unique(c_s[1:][off])])
        raise TreatmentSwitchesOffError(
            f"treatment switches off (1 then 0) for {len(units)} unit(s), e.g. units "
            f"{_list(units)}",
            where=f"column {column!r}",
            fix="staggered DiD needs absorbing treatment: keep units treated once they start, "
            "or define the cohort as the first treated period and analyse intention to treat",
        )
    expected = (t_row >= g_unit[codes]).astype(np.float64)
    bad = expected != d
    if bad.any():
        units = list(unit_ids[np.unique(codes[bad])])
        raise TimeVaryingCohortError(
            f"treatment disagrees with the cohort column for {len(units)} unit(s), e.g. "
            f"{_list(units)}",
            where=f"column {column!r}",
            fix="set cohort to the first period with treatment 1 (cohort_from_treatment())",
        )


def cohort_from_treatment(
    data: pd.DataFrame, *, unit: str, time: str, treatment: str, name: str = "cohort"
) -> pd.DataFrame:
    """Return a copy of ``data`` with a cohort column derived from a 0/1 treatment column.

    The cohort is the first period with treatment 1 (0 if never treated). Raises
    :class:`TreatmentSwitchesOffError` if treatment goes from 1 back to 0.
    """
    check_columns(data, [unit, time, treatment], "data passed to cohort_from_treatment")
    t_row = integer_periods(data[time], time)
    codes_raw, uniques = pd.factorize(data[unit], sort=True)
    codes = np.asarray(codes_raw, dtype=np.int64)
    d = data[treatment].to_numpy(dtype=np.float64, na_value=np.nan)
    first = np.full(len(uniques), np.inf)
    treated = d == 1
    np.minimum.at(first, codes[treated], t_row[treated].astype(np.float64))
    _check_treatment(data[treatment], treatment, codes, t_row, first, np.asarray(uniques))
    out = data.copy()
    out[name] = np.where(np.isfinite(first[codes]), first[codes], 0).astype(np.int64)
    return out
