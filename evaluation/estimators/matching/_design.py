"""Covariates as design matrices: a list of columns or a Wilkinson formula (formulaic).

Two matrices are built from the same covariates:

* the *model* matrix enters the propensity score model and regression adjustment; a
  categorical covariate loses its first level (the reference), otherwise it would be
  collinear with the intercept;
* the *balance* matrix is what balance tables and love plots show: **every** level of a
  categorical covariate (MatchIt's ``summary()`` and cobalt do the same), so that no level
  (e.g. lalonde's race = black) is hidden as a reference.

With a list of columns, numeric and boolean columns enter as they are and other columns
become dummies named ``column=level``. With a formula (``"age + I(age**2) + educ * re74 +
C(race)"``, an optional left-hand side naming the treatment), terms are formulaic's: the
balance table shows formulaic's column names (``I(age ** 2)``, ``educ:re74``,
``C(race)[black]``); the model matrix is formulaic's full-rank coding.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from evaluation.errors import InputDataError, OptionError
from evaluation.estimators.matching._validate import WHERE, check_columns, check_no_missing

FloatArray = npt.NDArray[np.float64]

#: Characters that make a covariate string a formula rather than one column name.
FORMULA_CHARS = frozenset("~+*:()^-")


@dataclass(frozen=True)
class Design:
    """Model and balance matrices of the covariates.

    Attributes
    ----------
    x, names, binary:
        Model matrix (reference levels dropped), its column names, binary flags.
    bx, bnames, bbinary:
        Balance matrix (every level), its column names, binary flags.
    variables:
        The data columns the covariates use.
    formula:
        The formula (right-hand side) or None for a list of columns.
    """

    x: FloatArray
    names: tuple[str, ...]
    binary: tuple[bool, ...]
    bx: FloatArray
    bnames: tuple[str, ...]
    bbinary: tuple[bool, ...]
    variables: tuple[str, ...]
    formula: str | None


def is_formula(data: pd.DataFrame, covariates: object) -> bool:
    """Whether ``covariates`` is a formula string (not a single column name)."""
    return (
        isinstance(covariates, str)
        and covariates not in data.columns
        and any(ch in FORMULA_CHARS for ch in covariates)
    )


def formula_rhs(formula: str, treatment: str) -> str:
    """The right-hand side of ``formula``; a left-hand side must name the treatment."""
    if "~" not in formula:
        return formula
    lhs, rhs = formula.split("~", 1)
    if lhs.strip() and lhs.strip() != treatment:
        raise OptionError(
            f"the formula's left-hand side {lhs.strip()!r} is not the treatment {treatment!r}",
            where=WHERE,
            fix=f"write '{treatment} ~ {rhs.strip()}' or just the right-hand side",
        )
    return rhs.strip()


def _plain(exc: Exception) -> str:
    """formulaic's message on one line, without its terminal colour codes."""
    text = re.sub(r"\x1b\[[0-9;]*m|[\u29da\u29db]", "", str(exc))
    return " ".join(text.split())


def formula_variables(data: pd.DataFrame, rhs: str) -> list[str]:
    """Data columns a formula's right-hand side uses (formulaic's parser)."""
    from formulaic import Formula

    try:
        parsed = Formula(rhs)
        required = parsed.required_variables
    except Exception as exc:  # formulaic's FormulaSyntaxError and friends
        raise OptionError(
            f"cannot parse the covariate formula {rhs!r}: {_plain(exc)}",
            where=WHERE,
            fix="write a Wilkinson formula such as 'age + I(age**2) + educ * re74 + C(race)'",
        ) from exc
    names = sorted(str(v) for v in required)
    check_columns(data, names)
    return names


def build_design(data: pd.DataFrame, covariates: Sequence[str] | str, treatment: str) -> Design:
    """Model and balance matrices for a list of columns or a formula."""
    if is_formula(data, covariates):
        return _formula_design(data, formula_rhs(str(covariates), treatment))
    cols = [covariates] if isinstance(covariates, str) else list(covariates)
    return _columns_design(data, cols)


def _binary_flags(x: FloatArray) -> tuple[bool, ...]:
    return tuple(bool(np.all((col == 0) | (col == 1))) for col in x.T)


def _check_finite(frame: pd.DataFrame) -> FloatArray:
    x = frame.to_numpy(dtype=np.float64)
    if not np.all(np.isfinite(x)):
        bad = [str(c) for c in frame.columns[~np.all(np.isfinite(x), axis=0)]]
        raise InputDataError(
            f"covariate(s) {bad} contain infinite values",
            where=WHERE,
            fix="replace infinite values before matching",
        )
    return x


def _columns_design(data: pd.DataFrame, covariates: list[str]) -> Design:
    model: list[pd.DataFrame] = []
    full: list[pd.DataFrame] = []
    for c in covariates:
        s = data[c]
        if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            part = pd.DataFrame({c: s.astype(np.float64)}, index=data.index)
            model.append(part)
            full.append(part)
        else:
            dummies = pd.get_dummies(s.astype("category"), prefix=c, prefix_sep="=", dtype=float)
            model.append(dummies.iloc[:, 1:])  # first level is the model's reference
            full.append(dummies)
    mframe = pd.concat(model, axis=1)
    fframe = pd.concat(full, axis=1)
    return _from_frames(mframe, fframe, tuple(covariates), None)


def _from_frames(
    mframe: pd.DataFrame, fframe: pd.DataFrame, variables: tuple[str, ...], formula: str | None
) -> Design:
    """The design from its model matrix and its full (every level) balance matrix."""
    x = _check_finite(mframe)
    bx = _check_finite(fframe)
    return Design(
        x=x,
        names=tuple(str(c) for c in mframe.columns),
        binary=_binary_flags(x),
        bx=bx,
        bnames=tuple(str(c) for c in fframe.columns),
        bbinary=_binary_flags(bx),
        variables=variables,
        formula=formula,
    )


def _formula_design(data: pd.DataFrame, rhs: str) -> Design:
    from formulaic import model_matrix

    variables = formula_variables(data, rhs)
    check_no_missing(data, variables, "covariate")
    try:
        mm = model_matrix(rhs, data, na_action="raise")
        fm = model_matrix(rhs, data, na_action="raise", ensure_full_rank=False)
    except Exception as exc:  # formulaic raises several error types
        raise OptionError(
            f"cannot evaluate the covariate formula {rhs!r}: {_plain(exc)}",
            where=WHERE,
            fix="check the column names and functions in the formula",
        ) from exc
    mframe = pd.DataFrame(mm).drop(columns=["Intercept"], errors="ignore")
    fframe = pd.DataFrame(fm).drop(columns=["Intercept"], errors="ignore")
    if mframe.shape[1] == 0:
        raise OptionError(
            f"the covariate formula {rhs!r} has no terms",
            where=WHERE,
            fix="name at least one covariate in the formula",
        )
    return _from_frames(mframe, fframe, tuple(variables), rhs)
