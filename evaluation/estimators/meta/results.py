"""Immutable result objects of the meta-analysis and the meta-regression."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from matplotlib.figure import Figure

from evaluation.contract import ResultMixin
from evaluation.estimators.meta._kernels import Method, Test

#: Columns of :meth:`MetaAnalysisResult.tidy`.
TIDY_COLUMNS = (
    "term",
    "kind",
    "estimate",
    "std_error",
    "statistic",
    "p_value",
    "conf_low",
    "conf_high",
    "weight",
)

#: Columns of :meth:`MetaAnalysisResult.glance` (one row of model statistics).
GLANCE_COLUMNS = (
    "method",
    "test",
    "k",
    "estimate",
    "std_error",
    "statistic",
    "p_value",
    "conf_low",
    "conf_high",
    "pred_low",
    "pred_high",
    "tau2",
    "tau",
    "i2",
    "h2",
    "q",
    "q_df",
    "q_p_value",
)


@dataclass(frozen=True, repr=False)
class MetaAnalysisResult(ResultMixin):
    """Random-effects (or fixed-effect) meta-analysis of ``k`` effects.

    Attributes follow metafor's ``rma.uni`` (see the package docstring for the
    conventions). ``i2`` is in percent. ``weights`` are the model weights in percent
    (``100 w_i / sum w``, ``w_i = 1 / (se_i^2 + tau2)``).
    """

    method: Method
    test: Test
    level: float
    k: int
    labels: tuple[str, ...]
    effects: tuple[float, ...]
    std_errors: tuple[float, ...]
    weights: tuple[float, ...]
    estimate: float
    std_error: float
    statistic: float
    p_value: float
    conf_low: float
    conf_high: float
    pred_low: float
    pred_high: float
    tau2: float
    tau: float
    i2: float
    h2: float
    q: float
    q_df: int
    q_p_value: float
    df: int | None  # t degrees of freedom with test="knha", else None

    def tidy(self) -> pd.DataFrame:
        """One row per study (``kind="study"``) and a last row ``kind="pooled"``.

        Columns: ``term, kind, estimate, std_error, statistic, p_value, conf_low, conf_high,
        weight``. The study rows have Wald z statistics, two-sided normal p-values and
        intervals at ``level``; the pooled row the model's test (z, or t with Knapp-Hartung).
        """
        from scipy import stats

        z = float(stats.norm.ppf(0.5 + self.level / 2))
        rows = [
            (
                lab,
                "study",
                e,
                s,
                e / s,
                float(2 * stats.norm.sf(abs(e / s))),
                e - z * s,
                e + z * s,
                w,
            )
            for lab, e, s, w in zip(
                self.labels, self.effects, self.std_errors, self.weights, strict=True
            )
        ]
        rows.append(
            (
                "pooled",
                "pooled",
                self.estimate,
                self.std_error,
                self.statistic,
                self.p_value,
                self.conf_low,
                self.conf_high,
                100.0,
            )
        )
        return pd.DataFrame(rows, columns=list(TIDY_COLUMNS))

    def glance(self) -> pd.DataFrame:
        """One-row table of model statistics (columns :data:`GLANCE_COLUMNS`)."""
        return pd.DataFrame([{c: getattr(self, c) for c in GLANCE_COLUMNS}])

    def summary(self) -> str:
        """Plain-text summary in the spirit of metafor's print method."""
        pct = round(100 * self.level)
        crit = "z" if self.df is None else f"t({self.df})"
        lines = [
            f"Meta-analysis ({'fixed-effect' if self.method == 'FE' else 'random-effects'}, "
            f"tau^2 estimator {self.method}, k = {self.k})",
            "",
            f"tau^2 = {self.tau2:.4f}, tau = {self.tau:.4f}, I^2 = {self.i2:.2f}%, "
            f"H^2 = {self.h2:.2f}",
            f"Q({self.q_df}) = {self.q:.4f}, p = {self.q_p_value:.4g}",
            "",
            f"pooled estimate = {self.estimate:.4f} (se {self.std_error:.4f}), "
            f"{crit} = {self.statistic:.4f}, p = {self.p_value:.4g}",
            f"{pct}% CI [{self.conf_low:.4f}, {self.conf_high:.4f}]",
            f"{pct}% prediction interval [{self.pred_low:.4f}, {self.pred_high:.4f}]",
        ]
        return "\n".join(lines)

    def plot(
        self,
        *,
        title: str = "",
        xlabel: str = "Effect",
        pooled_label: str = "Pooled (RE)",
        prediction_label: str = "Prediction interval",
    ) -> Figure:
        """Forest plot: study estimates with intervals, pooled diamond, prediction bar."""
        from evaluation.estimators.meta.plot import forest_plot

        return forest_plot(
            self.tidy(),
            pred_low=self.pred_low,
            pred_high=self.pred_high,
            title=title,
            xlabel=xlabel,
            pooled_label=pooled_label,
            prediction_label=prediction_label,
        )


@dataclass(frozen=True, repr=False)
class MetaRegressionResult(ResultMixin):
    """Mixed-effects meta-regression of ``k`` effects on moderators."""

    method: Method
    test: Test
    level: float
    k: int
    terms: tuple[str, ...]
    estimates: tuple[float, ...]
    std_errors: tuple[float, ...]
    statistics: tuple[float, ...]
    p_values: tuple[float, ...]
    conf_lows: tuple[float, ...]
    conf_highs: tuple[float, ...]
    tau2: float
    tau: float
    i2: float
    h2: float
    r2: float  # percent of tau^2 explained (metafor's pseudo R^2), nan when not defined
    qe: float
    qe_df: int
    qe_p_value: float
    qm: float
    qm_df: int
    qm_p_value: float
    df: int | None
    labels: tuple[str, ...]
    effects: tuple[float, ...]
    effect_std_errors: tuple[float, ...]
    moderators: pd.DataFrame

    def tidy(self) -> pd.DataFrame:
        """Coefficient table: ``term, estimate, std_error, statistic, p_value, conf_low,
        conf_high``."""
        return pd.DataFrame(
            {
                "term": list(self.terms),
                "estimate": list(self.estimates),
                "std_error": list(self.std_errors),
                "statistic": list(self.statistics),
                "p_value": list(self.p_values),
                "conf_low": list(self.conf_lows),
                "conf_high": list(self.conf_highs),
            }
        )

    def glance(self) -> pd.DataFrame:
        """One-row table: ``method, k, tau2, tau, i2, h2, r2, qe, qe_df, qe_p_value, qm,
        qm_df, qm_p_value``."""
        cols = (
            "method",
            "test",
            "k",
            "tau2",
            "tau",
            "i2",
            "h2",
            "r2",
            "qe",
            "qe_df",
            "qe_p_value",
            "qm",
            "qm_df",
            "qm_p_value",
        )
        return pd.DataFrame([{c: getattr(self, c) for c in cols}])

    def summary(self) -> str:
        """Plain-text summary with the coefficient table."""
        stat = "z" if self.df is None else "t"
        qm_name = "QM" if self.df is None else "F"
        head = [
            f"Meta-regression (tau^2 estimator {self.method}, k = {self.k})",
            "",
            f"residual tau^2 = {self.tau2:.4f}, I^2 = {self.i2:.2f}%, H^2 = {self.h2:.2f}, "
            f"R^2 = {self.r2:.2f}%",
            f"QE({self.qe_df}) = {self.qe:.4f}, p = {self.qe_p_value:.4g}",
            f"{qm_name}(df = {self.qm_df}) = {self.qm:.4f}, p = {self.qm_p_value:.4g}",
            "",
            f"{'term':<20}{'estimate':>10}{'se':>10}{stat:>9}{'p':>10}{'ci.lb':>10}{'ci.ub':>10}",
        ]
        rows = [
            f"{t:<20}{e:>10.4f}{s:>10.4f}{z:>9.3f}{p:>10.4g}{lo:>10.4f}{hi:>10.4f}"
            for t, e, s, z, p, lo, hi in zip(
                self.terms,
                self.estimates,
                self.std_errors,
                self.statistics,
                self.p_values,
                self.conf_lows,
                self.conf_highs,
                strict=True,
            )
        ]
        return "\n".join(head + rows)

    def plot(
        self, *, moderator: str | None = None, ylabel: str = "Effect", xlabel: str | None = None
    ) -> Figure:
        """Bubble plot of the effects against one moderator with the fitted line.

        Bubble area is proportional to the model weight; other moderators are held at
        their means for the fitted line.
        """
        from evaluation.estimators.meta.plot import bubble_plot

        return bubble_plot(self, moderator=moderator, ylabel=ylabel, xlabel=xlabel)
