"""Effects by subgroup on a matched design: :func:`by_subgroup` and EconML's :func:`cate`."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from matplotlib.figure import Figure
from scipy import stats

from evaluation.contract import ResultMixin, interval_alpha
from evaluation.errors import EstimationError, OptionError
from evaluation.estimators.matching import _plots
from evaluation.estimators.matching._validate import check_columns
from evaluation.estimators.matching.effects import ATTResult, effect_fit

if TYPE_CHECKING:
    from evaluation.estimators.matching._results import MatchResult

__all__ = ["CateModel", "SubgroupResult", "by_subgroup", "cate"]

FloatArray = npt.NDArray[np.float64]
CateModel = Literal["linear_dml", "causal_forest"]


@dataclass(frozen=True, eq=False, repr=False)
class SubgroupResult(ResultMixin):
    """Effects by subgroup of the treated units, with a test of equal effects."""

    outcome: str
    subgroup: str
    table: pd.DataFrame

    @property
    def heterogeneity_p_value(self) -> float:
        """Chi-square test that all subgroup ATTs are equal (subgroups are independent)."""
        t = self.table.dropna(subset=["std_error"])
        if len(t) < 2:
            return float("nan")
        w = 1.0 / t["std_error"].to_numpy() ** 2
        est = t["estimate"].to_numpy()
        pooled = float(np.sum(w * est) / np.sum(w))
        q = float(np.sum(w * (est - pooled) ** 2))
        return float(stats.chi2.sf(q, len(t) - 1))

    def tidy(self) -> pd.DataFrame:
        """Columns subgroup, level, estimate, std_error, statistic, p_value, conf_low,
        conf_high, n_treated, n_control, method."""
        return self.table.copy()

    def glance(self) -> pd.DataFrame:
        """One row: outcome, subgroup, number of levels and the test of equal effects."""
        return (
            super()
            .glance()
            .assign(n_levels=len(self.table), heterogeneity_p_value=self.heterogeneity_p_value)
        )

    def summary(self) -> str:
        """Text summary."""
        return "\n".join(
            [
                f"ATT on {self.outcome!r} by {self.subgroup!r}",
                self.table.to_string(index=False, float_format=lambda v: f"{v:.4g}"),
                f"Test of equal effects: p = {self.heterogeneity_p_value:.3g}",
            ]
        )

    def plot(self) -> Figure:
        """Subgroup estimates with intervals."""
        return _plots.estimate_plot(
            self.table, "level", f"Effect on {self.outcome} by {self.subgroup}"
        )


def _row(subgroup: str, value: Any, res: ATTResult, method: str) -> dict[str, Any]:
    return {
        "subgroup": subgroup,
        "level": value,
        "estimate": res.estimate,
        "std_error": res.std_error,
        "statistic": res.statistic,
        "p_value": res.p_value,
        "conf_low": res.conf_low,
        "conf_high": res.conf_high,
        "n_treated": res.n_treated,
        "n_control": res.n_control,
        "method": method,
    }


def by_subgroup(
    matched: MatchResult,
    outcome: str,
    subgroup: str,
    *,
    alpha: float = 0.05,
    level: float | None = None,
) -> SubgroupResult:
    """Effects within subgroups of the treated units (a matched set follows its treated unit).

    Standard errors as in :func:`~evaluation.estimators.matching.effects.effect`, computed
    within each subgroup.

    Parameters
    ----------
    matched:
        The matched design.
    outcome:
        Outcome column.
    subgroup:
        Column whose values among the treated units define the subgroups.
    alpha:
        Significance level of the intervals.
    level:
        Deprecated: the confidence level; use ``alpha``.

    Returns
    -------
    SubgroupResult
        One row per subgroup level.
    """
    a = interval_alpha(alpha, level, where="by_subgroup()")
    data, treated = matched.data, matched.treated
    check_columns(data, [subgroup], where="by_subgroup()")
    y = matched.outcome_values(outcome)
    g = data[subgroup].to_numpy()
    rows = []
    for value in pd.unique(data.loc[treated, subgroup]):
        sub = matched.restricted(treated & (g == value))
        if sub is None:
            continue
        fit = effect_fit(sub, y, adjust=False)
        w = sub.unit_weights
        res = ATTResult(
            outcome, fit.estimate, fit.std_error, fit.df, 1.0 - a,
            int(np.sum(treated & (w > 0))), int(np.sum(~treated & (w > 0))),
            "", fit.se_type, float("nan"),
        )  # fmt: skip
        rows.append(_row(subgroup, value, res, "matching"))
    if not rows:
        raise EstimationError(
            f"no matched treated units in any level of {subgroup!r}",
            where="by_subgroup()",
            fix="check the column",
        )
    return SubgroupResult(outcome, subgroup, pd.DataFrame(rows))


def cate(
    matched: MatchResult,
    outcome: str,
    subgroup: str,
    *,
    model: CateModel = "linear_dml",
    alpha: float = 0.05,
    level: float | None = None,
    seed: int = 0,
) -> SubgroupResult:
    """Effects by subgroup with EconML's double machine learning on the matched sample.

    The outcome and treatment are modelled on the matched (or weighted) sample with the
    matching weights as sample weights; the covariates are controls ``W`` and the
    subgroup's dummies are the effect modifiers ``X``. ``model="linear_dml"`` uses
    ``LinearDML`` (analytic intervals), ``"causal_forest"`` ``CausalForestDML``
    (bootstrap-of-little-bags intervals). Needs ``pip install econml``. The chi-square
    heterogeneity test of the result treats subgroup estimates as independent, which
    is only approximate here (the nuisance models are shared).

    Parameters
    ----------
    matched:
        The matched design.
    outcome, subgroup:
        Outcome column and the column of the effect modifier.
    model:
        ``"linear_dml"`` or ``"causal_forest"``.
    alpha:
        Significance level of the intervals.
    level:
        Deprecated: the confidence level; use ``alpha``.
    seed:
        EconML's ``random_state``.

    Returns
    -------
    SubgroupResult
        One row per subgroup level (p-values from the normal reference).
    """
    try:
        from econml.dml import CausalForestDML, LinearDML
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise EstimationError(
            "EconML is not installed",
            where="cate()",
            fix="pip install econml, or use by_subgroup()",
        ) from exc
    if model not in ("linear_dml", "causal_forest"):
        raise OptionError(
            f"unknown model {model!r}", where="cate()", fix="use 'linear_dml' or 'causal_forest'"
        )
    a = interval_alpha(alpha, level, where="cate()")
    data, treated, w = matched.data, matched.treated, matched.unit_weights
    check_columns(data, [subgroup], where="cate()")
    y = matched.outcome_values(outcome)
    keep = w > 0
    groups = data[subgroup].to_numpy()
    levels = list(pd.unique(data.loc[treated & keep, subgroup]))
    if len(levels) < 2:
        raise EstimationError(
            f"subgroup {subgroup!r} has fewer than two levels among matched treated units",
            where="cate()",
            fix="choose a subgroup column with several levels",
        )
    design = np.column_stack([(groups == v).astype(np.float64) for v in levels[1:]])
    est: LinearDML | CausalForestDML
    if model == "linear_dml":
        est = LinearDML(discrete_treatment=True, random_state=seed)
    else:
        est = CausalForestDML(discrete_treatment=True, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(
            y[keep],
            treated[keep].astype(np.int64),
            X=design[keep],
            W=matched.model_matrix[keep],
            sample_weight=w[keep],
        )
        grid = np.vstack([np.zeros(len(levels) - 1), np.eye(len(levels) - 1)])
        inf = est.effect_inference(grid)
        point = np.asarray(inf.point_estimate, dtype=np.float64).ravel()
        se = np.asarray(inf.stderr, dtype=np.float64).ravel()
        lo, hi = (np.asarray(b, dtype=np.float64).ravel() for b in inf.conf_int(alpha=a))
    z = point / se
    rows = [
        {
            "subgroup": subgroup,
            "level": v,
            "estimate": float(point[k]),
            "std_error": float(se[k]),
            "statistic": float(z[k]),
            "p_value": float(2 * stats.norm.sf(abs(z[k]))),
            "conf_low": float(lo[k]),
            "conf_high": float(hi[k]),
            "n_treated": int(np.sum(treated & keep & (groups == v))),
            "n_control": int(np.sum(~treated & keep & (groups == v))),
            "method": f"econml {type(est).__name__}",
        }
        for k, v in enumerate(levels)
    ]
    return SubgroupResult(outcome, subgroup, pd.DataFrame(rows))
