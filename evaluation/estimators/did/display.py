"""Shared pieces of the DiD result summaries and plots: significance marks, cohort sizes."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from scipy import stats

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Significance marks by two-sided p-value, as R's ``printCoefmat``.
MARKS: tuple[tuple[float, str], ...] = ((0.001, "***"), (0.01, "**"), (0.05, "*"), (0.1, "."))
#: The legend printed under a table with marks.
MARKS_LEGEND = "Signif. (pointwise, two-sided): *** p<0.001, ** p<0.01, * p<0.05, . p<0.1"


def p_values(estimate: FloatArray, std_error: FloatArray) -> FloatArray:
    """Two-sided normal p-values of ``estimate / std_error`` (``nan`` where undefined)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.abs(estimate / std_error)
    return np.asarray(2 * stats.norm.sf(z), dtype=np.float64)


def marks(p: FloatArray) -> list[str]:
    """Significance mark of each p-value (``""`` when not significant or undefined)."""
    out = []
    for value in p:
        mark = next((m for cut, m in MARKS if np.isfinite(value) and value < cut), "")
        out.append(mark)
    return out


def unit_count(n: int) -> str:
    """``'1 unit'`` or ``'12 units'``."""
    return f"{n} unit{'' if n == 1 else 's'}"


def cohort_sizes_line(cohorts: FloatArray, sizes: Sequence[int]) -> str:
    """One line naming every cohort with its number of treated units."""
    parts = [f"{g:g} ({unit_count(int(n))})" for g, n in zip(cohorts, sizes, strict=True)]
    return "  cohort sizes: " + ", ".join(parts)
