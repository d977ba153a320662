"""Which group-time cells ATT(g, t) are estimated, with which base period and comparison units.

Follows Callaway & Sant'Anna (2021) and R ``did::att_gt``: with a *varying* base period the
pre-treatment cells are short differences (t-1 to t) and the post-treatment cells use the last
period before treatment (net of anticipation) as base; with a *universal* base period every cell
uses that same period, and the cell at the base period itself is a reference cell fixed at 0.
Comparison units are the never-treated cohort, or all cohorts not yet treated by
``max(t, base) + anticipation`` (never-treated included).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from evaluation.estimators.did.errors import NoComparisonUnitsError, NoValidCellsError

ControlGroup = Literal["nevertreated", "notyettreated"]
BasePeriod = Literal["varying", "universal"]


@dataclass(frozen=True)
class CellPlan:
    """The group-time cells to estimate.

    Cohort codes ``0..G-1`` are the treated cohorts in ``cohorts`` and code ``G`` is the
    never-treated cohort.

    Attributes
    ----------
    cohorts:
        Treated cohorts (first treated period), sorted, shape ``(G,)``.
    periods:
        Sorted periods, shape ``(T,)``.
    group:
        Cohort code of each cell, shape ``(K,)``.
    t_idx, b_idx:
        Period index of the current and base period of each cell.
    reference:
        Universal-base reference cells (ATT fixed at 0, no variance).
    controls:
        ``controls[k, c]`` is true if cohort code ``c`` is a comparison cohort in cell ``k``,
        shape ``(K, G + 1)``.
    skipped:
        Human-readable notes on cells that could not be formed (no pre-period).
    """

    cohorts: npt.NDArray[np.float64]
    periods: npt.NDArray[np.int64]
    group: npt.NDArray[np.int64]
    t_idx: npt.NDArray[np.int64]
    b_idx: npt.NDArray[np.int64]
    reference: npt.NDArray[np.bool_]
    controls: npt.NDArray[np.bool_]
    skipped: tuple[str, ...]

    @property
    def n_cells(self) -> int:
        """Number of cells K."""
        return len(self.group)

    @property
    def cell_cohort(self) -> npt.NDArray[np.float64]:
        """Cohort value of each cell."""
        return self.cohorts[self.group]

    @property
    def cell_time(self) -> npt.NDArray[np.int64]:
        """Current period of each cell."""
        return self.periods[self.t_idx]

    @property
    def cell_base(self) -> npt.NDArray[np.int64]:
        """Base period of each cell."""
        return self.periods[self.b_idx]


def plan_cells(
    periods: npt.NDArray[np.int64],
    cohorts: npt.NDArray[np.float64],
    cohort_sizes: npt.NDArray[np.float64],
    *,
    control_group: ControlGroup,
    base_period: BasePeriod,
    anticipation: int,
) -> CellPlan:
    """Plan the cells; ``cohort_sizes`` has length ``G + 1`` (never-treated last)."""
    n_g = len(cohorts)
    group: list[int] = []
    t_list: list[int] = []
    b_list: list[int] = []
    ref: list[bool] = []
    ctrl: list[npt.NDArray[np.bool_]] = []
    skipped: list[str] = []
    start = 1 if base_period == "varying" else 0
    ext = np.append(cohorts, np.inf)  # cohort value by code, never-treated last
    for gi, g in enumerate(cohorts):
        before = np.nonzero(periods + anticipation < g)[0]
        base_g = int(before[-1]) if len(before) else None
        for ti in range(start, len(periods)):
            t = int(periods[ti])
            post = g <= t
            if base_period == "universal" or post:
                if base_g is None:
                    skipped.append(f"cohort {g:g}, period {t}: no pre-treatment period")
                    continue
                bi = base_g
            else:
                bi = ti - 1
            thresh = max(t, int(periods[bi])) + anticipation
            if control_group == "nevertreated":
                c = np.zeros(n_g + 1, dtype=bool)
                c[n_g] = True
            else:
                c = (ext > thresh) & (np.arange(n_g + 1) != gi)
            c &= cohort_sizes > 0
            is_ref = base_period == "universal" and bi == ti
            if not c.any() and not is_ref:
                ahead = (
                    f"; with anticipation={anticipation} they must be untreated until {thresh}"
                    if anticipation
                    else ""
                )
                raise NoComparisonUnitsError(
                    f"no comparison units for cohort {g:g} in period {t} "
                    f"(control_group={control_group!r}{ahead})",
                    where="att_gt",
                    fix="use control_group='notyettreated', add never-treated units, or "
                    "restrict the periods to those where some units are not yet treated",
                )
            group.append(gi)
            t_list.append(ti)
            b_list.append(bi)
            ref.append(is_ref)
            ctrl.append(c)
    if not group:
        raise NoValidCellsError(
            "no group-time effect can be estimated: no cohort has a pre-treatment period"
            + (f" before its treatment minus anticipation={anticipation}" if anticipation else ""),
            where="att_gt(anticipation=...)" if anticipation else "att_gt",
            fix="include at least one period before the first treatment"
            + (" minus anticipation, or lower anticipation" if anticipation else ""),
        )
    return CellPlan(
        cohorts=cohorts,
        periods=periods,
        group=np.asarray(group, dtype=np.int64),
        t_idx=np.asarray(t_list, dtype=np.int64),
        b_idx=np.asarray(b_list, dtype=np.int64),
        reference=np.asarray(ref, dtype=bool),
        controls=np.asarray(ctrl, dtype=bool).reshape(len(group), n_g + 1),
        skipped=tuple(skipped),
    )
