"""Effects estimated on a matched design: :func:`effect` and :func:`matched_did`.

The design (:class:`~evaluation.estimators.matching.MatchResult`) only matches and weighs;
effects are functions that take it, as MatchIt leaves them to ``marginaleffects``::

    matched = match(data, treatment="treat", covariates=[...])
    effect(matched, "re78").tidy()
    matched_did(matched, post="re78", pre="re75").summary()

Standard errors (see ``_effects``): cluster-robust (CR1, ``sandwich::vcovCL``) by matched
set without replacement and for stratified designs; Abadie-Imbens with replacement
(``"gcomp"`` with replacement: HC1); HC1 for weighting.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from matplotlib.figure import Figure
from scipy import stats

from evaluation.contract import ResultMixin, interval_alpha
from evaluation.errors import OptionError
from evaluation.estimators.matching import _plots
from evaluation.estimators.matching._effects import EffectFit, abadie_imbens_att, wls_att
from evaluation.estimators.matching._validate import as_names

if TYPE_CHECKING:
    from evaluation.estimators.matching._results import MatchResult

FloatArray = npt.NDArray[np.float64]
Adjust = bool | Literal["gcomp"]

__all__ = ["ATTResult", "Adjust", "effect", "effect_fit", "matched_did"]


@dataclass(frozen=True, eq=False, repr=False)
class ATTResult(ResultMixin):
    """An average treatment effect on the treated with its standard error.

    Attributes
    ----------
    outcome, estimate, std_error:
        Outcome name, point estimate and standard error.
    df:
        Degrees of freedom of the t reference distribution (``inf``: normal).
    level:
        Confidence level of ``conf_low`` / ``conf_high`` (``1 - alpha``).
    n_treated, n_control:
        Units used (distinct controls).
    method, se_type:
        How the estimate and the standard error were computed.
    naive:
        Unadjusted difference in means over all units (for comparison).
    """

    outcome: str
    estimate: float
    std_error: float
    df: float
    level: float
    n_treated: int
    n_control: int
    method: str
    se_type: str
    naive: float
    term: str = "ATT"

    @property
    def alpha(self) -> float:
        """Significance level of the interval (``1 - level``)."""
        return 1.0 - self.level

    @property
    def statistic(self) -> float:
        """``estimate / std_error``."""
        return self.estimate / self.std_error

    @property
    def p_value(self) -> float:
        """Two-sided p-value (t with ``df`` degrees of freedom, normal if infinite)."""
        return float(2 * stats.t.sf(abs(self.statistic), self.df))

    @property
    def conf_low(self) -> float:
        """Lower confidence limit."""
        return self.estimate - self._crit() * self.std_error

    @property
    def conf_high(self) -> float:
        """Upper confidence limit."""
        return self.estimate + self._crit() * self.std_error

    def _crit(self) -> float:
        return float(stats.t.ppf(0.5 + self.level / 2, self.df))

    def tidy(self) -> pd.DataFrame:
        """One row: term, outcome, estimate, std_error, statistic, p_value, conf_low,
        conf_high, n_treated, n_control, method, se_type, naive."""
        return pd.DataFrame(
            [
                {
                    "term": self.term,
                    "outcome": self.outcome,
                    "estimate": self.estimate,
                    "std_error": self.std_error,
                    "statistic": self.statistic,
                    "p_value": self.p_value,
                    "conf_low": self.conf_low,
                    "conf_high": self.conf_high,
                    "n_treated": self.n_treated,
                    "n_control": self.n_control,
                    "method": self.method,
                    "se_type": self.se_type,
                    "naive": self.naive,
                }
            ]
        )

    def summary(self) -> str:
        """Text summary."""
        pct = round(100 * self.level)
        return (
            f"{self.term} on {self.outcome!r} ({self.method})\n"
            f"  estimate {self.estimate:.4g}, std. error {self.std_error:.4g} ({self.se_type})\n"
            f"  {pct}% CI [{self.conf_low:.4g}, {self.conf_high:.4g}], p = {self.p_value:.3g}\n"
            f"  {self.n_treated} treated, {self.n_control} controls; "
            f"naive difference {self.naive:.4g}"
        )

    def plot(self) -> Figure:
        """The matched estimate with its interval beside the naive difference."""
        table = pd.DataFrame(
            {
                "label": ["matched ATT", "naive difference"],
                "estimate": [self.estimate, self.naive],
                "conf_low": [self.conf_low, self.naive],
                "conf_high": [self.conf_high, self.naive],
            }
        )
        return _plots.estimate_plot(table, "label", f"Effect on {self.outcome}")


def effect_fit(matched: MatchResult, y: FloatArray, adjust: Adjust) -> EffectFit:
    """Point estimate and standard error of the design's estimand for outcome values ``y``.

    Parameters
    ----------
    matched:
        The matched design.
    y:
        Outcome of every row of the design's data (:meth:`MatchResult.outcome_values`).
    adjust:
        ``False``, ``True`` (additive covariates) or ``"gcomp"`` (treatment x covariates).

    Returns
    -------
    EffectFit
        Estimate, standard error, degrees of freedom and the standard error's type.
    """
    spec, d, w = matched.spec, matched.treated, matched.unit_weights
    x = matched.model_matrix if adjust else None
    gcomp = adjust == "gcomp"
    centre = matched.focal if spec.estimand != "ATE" else np.ones_like(d)
    if spec.method == "ipw":
        return wls_att(y, d.astype(np.float64), w, x, None, centre=centre, interact=gcomp)
    if not spec.replace or gcomp:
        k = w > 0
        clusters = None if spec.replace or spec.method == "cardinality" else matched.subclass
        return wls_att(
            y[k],
            d[k].astype(np.float64),
            w[k],
            None if x is None else x[k],
            None if clusters is None else clusters[k],
            centre=centre[k],
            interact=gcomp,
        )
    fit = matched.score_fit
    score = fit.logit if spec.distance == "linear.logit" else fit.ps
    pool = np.flatnonzero(~matched.focal)
    links = matched.links
    out = abadie_imbens_att(y, links.treated, links.control, score[pool], y[pool], pool, x)
    if spec.estimand == "ATC":  # focal controls: the estimator gave E[Y0 - Y1 | D=0]
        return EffectFit(-out.estimate, out.std_error, out.df, out.se_type)
    return out


def _described(matched: MatchResult, adjust: Adjust) -> str:
    if matched.spec.method == "ipw":
        return "inverse probability weighting"
    if adjust == "gcomp":
        return "g-computation (treatment x covariates) on the matched sample"
    if adjust and matched.spec.replace:
        return "bias-corrected matching (Abadie-Imbens)"
    if adjust:
        return "regression adjustment on the matched sample"
    return "difference in means on the matched sample"


def _att(
    matched: MatchResult, y: FloatArray, label: str, adjust: Adjust, method: str, alpha: float
) -> ATTResult:
    if adjust not in (False, True, "gcomp"):
        raise OptionError(
            f"`adjust` must be False, True or 'gcomp', got {adjust!r}",
            where="effect()",
            fix="use adjust='gcomp' for MatchIt's treat * covariates g-computation",
        )
    fit = effect_fit(matched, y, adjust)
    d, w = matched.treated, matched.unit_weights
    ok = ~np.isnan(y)
    return ATTResult(
        outcome=label,
        estimate=fit.estimate,
        std_error=fit.std_error,
        df=fit.df,
        level=1.0 - alpha,
        n_treated=int(np.sum(d & (w > 0))),
        n_control=int(np.sum(~d & (w > 0))),
        method=f"{method}{_described(matched, adjust)}",
        se_type=fit.se_type,
        naive=float(np.mean(y[d & ok]) - np.mean(y[~d & ok])),
        term=matched.spec.estimand,
    )


def effect(
    matched: MatchResult,
    outcome: str,
    adjust: Adjust = False,
    *,
    alpha: float = 0.05,
    level: float | None = None,
) -> ATTResult:
    """The effect for the design's estimand (ATT, ATC or ATE; ``term`` says which).

    Parameters
    ----------
    matched:
        The matched design (:func:`evaluation.match`).
    outcome:
        Outcome column of the data given to ``match``.
    adjust:
        False: (weighted) difference in means. True: additive regression adjustment for
        the covariates (WLS on the matched sample; bias-corrected matching estimator of
        Abadie and Imbens 2011 with replacement). ``"gcomp"``: MatchIt's vignette,
        ``lm(y ~ treat * X, weights)`` on the matched sample with covariates centred at
        the focal group's weighted means, so the treatment coefficient is the average
        comparison over the focal group (ATE: all units).
    alpha:
        Significance level of the interval (0.05: 95%).
    level:
        Deprecated: the confidence level; use ``alpha``.

    Returns
    -------
    ATTResult
        Estimate, standard error, t statistic, p-value and interval.
    """
    a = interval_alpha(alpha, level, where="effect()")
    return _att(matched, matched.outcome_values(outcome), outcome, adjust, "", a)


def matched_did(
    matched: MatchResult,
    post: str | Sequence[str],
    pre: str | Sequence[str],
    adjust: Adjust = False,
    *,
    alpha: float = 0.05,
    level: float | None = None,
) -> ATTResult:
    """Matched difference-in-differences: the effect on ``mean(post) - mean(pre)``.

    Parameters
    ----------
    matched:
        The matched design.
    post, pre:
        Outcome columns after and before entry (e.g. months employed in the 12 months
        after and before entry, or one column per month, averaged).
    adjust:
        As in :func:`effect`.
    alpha:
        Significance level of the interval.
    level:
        Deprecated: the confidence level; use ``alpha``.

    Returns
    -------
    ATTResult
        The effect on the change.
    """
    a = interval_alpha(alpha, level, where="matched_did()")
    y = matched.outcome_values(post) - matched.outcome_values(pre)
    label = f"{'+'.join(as_names(post, 'post'))} - {'+'.join(as_names(pre, 'pre'))}"
    return _att(matched, y, label, adjust, "matched difference-in-differences: ", a)
