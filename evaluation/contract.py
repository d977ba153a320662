"""The contract every public result object keeps (issue 18): tidy, glance, summary, plot.

* ``tidy()``: a DataFrame of **estimates**, one row per term; an estimate table (one with
  ``estimate`` and ``std_error``) also has ``statistic`` and ``p_value`` (and the interval
  ``conf_low`` / ``conf_high`` where there is one).
* ``glance()``: one row describing the whole result (sizes, options, overall tests).
* ``summary()``: text for a console or a log.
* ``plot()``: a matplotlib ``Figure``.
* ``repr()``: one short line (the scalar attributes), never a dump of arrays or frames.

A result class names the columns of its ``tidy()`` once, in a module constant, and points
its ``tidy_columns`` class attribute at it. An estimate table has ``term`` and
:data:`ESTIMATE_COLUMNS` among them (:func:`is_estimate_table`); any other ``tidy()`` is a
*descriptive table* (counts, means, shares per group) and its class docstring says so.

Intervals are asked for with one keyword, ``alpha`` (``0.05``: 95% intervals);
:func:`interval_alpha` still accepts the older ``level`` / ``conf_level`` with a
``DeprecationWarning`` where they existed.
"""

from __future__ import annotations

import dataclasses
import numbers
import warnings
from collections.abc import Iterable
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from evaluation.errors import OptionError

__all__ = [
    "ESTIMATE_COLUMNS",
    "REPR_WIDTH",
    "TERM_COLUMN",
    "Result",
    "ResultMixin",
    "alpha_of_level",
    "interval_alpha",
    "is_estimate_table",
    "scalar_fields",
    "short_repr",
]

#: Columns an estimate table carries (``tidy()`` of every estimator), in this order.
ESTIMATE_COLUMNS = ("estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high")
#: The column naming each row's parameter in an estimate table.
TERM_COLUMN = "term"
#: Longest ``repr()`` of a result, in characters.
REPR_WIDTH = 160


@runtime_checkable
class Result(Protocol):
    """What every public result offers (see the module docstring)."""

    def tidy(self) -> pd.DataFrame:
        """Estimates, one row per term."""

    def glance(self) -> pd.DataFrame:
        """One row describing the whole result."""

    def summary(self) -> str:
        """Text summary."""

    def plot(self) -> Figure:
        """A figure of the result."""


def is_estimate_table(columns: Iterable[str]) -> bool:
    """Whether a ``tidy()`` with these columns is an estimate table (``estimate`` and
    ``std_error``); such a table must also carry ``term`` and every :data:`ESTIMATE_COLUMNS`.

    Parameters
    ----------
    columns:
        Column names of a ``tidy()`` table.

    Returns
    -------
    bool
        True for an estimate table, False for a descriptive one.
    """
    return {"estimate", "std_error"} <= set(columns)


def scalar_fields(obj: object) -> dict[str, Any]:
    """The public dataclass fields of ``obj`` whose values are scalars (numbers, text, flags).

    Parameters
    ----------
    obj:
        A dataclass instance.

    Returns
    -------
    dict
        Field name to value, in declaration order; arrays, frames and nested objects left out.
    """
    out: dict[str, Any] = {}
    for f in dataclasses.fields(obj):  # type: ignore[arg-type]
        value = getattr(obj, f.name)
        if f.name.startswith("_"):
            continue
        if isinstance(value, bool | str | numbers.Number | np.generic) or value is None:
            out[f.name] = value.item() if isinstance(value, np.generic) else value
    return out


def short_repr(obj: object) -> str:
    """``Name(field=value, ...)`` of the scalar fields, cut to :data:`REPR_WIDTH` characters."""
    parts = []
    for key, value in scalar_fields(obj).items():
        shown = f"{value:.6g}" if isinstance(value, float) else repr(value)
        parts.append(f"{key}={shown}")
    text = f"{type(obj).__name__}({', '.join(parts)})"
    return text if len(text) <= REPR_WIDTH else text[: REPR_WIDTH - 4] + "...)"


class ResultMixin:
    """Default ``glance()`` and a one-line ``__repr__`` for result dataclasses.

    Decorate the subclass with ``@dataclass(frozen=True, repr=False)`` so the dataclass does
    not replace the short ``__repr__``.
    """

    #: Columns of ``tidy()``, in order: a module constant of the result's module (empty
    #: where a result has not declared them).
    tidy_columns: ClassVar[tuple[str, ...]] = ()

    def glance(self) -> pd.DataFrame:
        """One row: the result's scalar attributes (sizes, options, overall statistics).

        Returns
        -------
        pandas.DataFrame
            A single row, one column per scalar field.
        """
        return pd.DataFrame([scalar_fields(self)])

    def __repr__(self) -> str:
        return short_repr(self)


def alpha_of_level(confidence: float) -> float:
    """The significance level of a stored confidence level, for ``glance()`` (``0.95``
    gives ``0.05``, rounded to 12 digits so float noise does not show).

    Parameters
    ----------
    confidence:
        Confidence level in (0, 1).

    Returns
    -------
    float
        ``1 - confidence``.
    """
    return round(1.0 - confidence, 12)


def interval_alpha(
    alpha: float, level: float | None = None, *, where: str, old_name: str = "level"
) -> float:
    """The significance level of an interval, from ``alpha`` or a deprecated ``level``.

    Parameters
    ----------
    alpha:
        Significance level: ``0.05`` gives 95% intervals.
    level:
        Deprecated confidence level (``0.95``); when given it wins and a
        ``DeprecationWarning`` says to use ``alpha``.
    where:
        The function, for messages.
    old_name:
        The deprecated keyword's name (``level`` or ``conf_level``).

    Returns
    -------
    float
        ``alpha`` in (0, 1).

    Raises
    ------
    OptionError
        If the level is not strictly between 0 and 1.
    """
    if level is not None:
        warnings.warn(
            f"{where}: `{old_name}` is deprecated; pass alpha={1 - level:.6g} instead",
            DeprecationWarning,
            stacklevel=3,
        )
        alpha = 1.0 - level
    if not 0 < alpha < 1:
        raise OptionError(
            f"`alpha` must be in (0, 1), got {alpha:g}",
            where=where,
            fix="use e.g. alpha=0.05 for 95% intervals",
        )
    return float(alpha)
