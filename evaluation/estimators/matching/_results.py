"""Result objects of matching: the matched design and the effects estimated on it."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from matplotlib.figure import Figure
from scipy import stats

from evaluation.errors import EstimationError, OptionError
from evaluation.estimators.matching import _plots
from evaluation.estimators.matching._balance import (
    SMD_THRESHOLD,
    VAR_RATIO_THRESHOLD,
    balance_frame,
    effective_sample_size,
    table_one,
)
from evaluation.estimators.matching._design import Design
from evaluation.estimators.matching._effects import (
    EffectFit,
    abadie_imbens_att,
    rosenbaum_bounds,
    wls_att,
)
from evaluation.estimators.matching._kernels import Pairs, matchit_weights
from evaluation.estimators.matching._propensity import PropensityFit
from evaluation.estimators.matching._strata import common_strata, subclass_weights
from evaluation.estimators.matching._validate import (
    MatchWarning,
    MissingValueError,
    as_names,
    check_columns,
)

if TYPE_CHECKING:
    from evaluation.estimators.matching.api import DesignOutput, MatchSpec

FloatArray = npt.NDArray[np.float64]

Refuter = Literal["placebo_treatment", "random_common_cause", "data_subset"]
Adjust = bool | Literal["gcomp"]
RefuteEngine = Literal["dowhy", "native"]

#: Shown (``RefutationResult.note``) when the default engine falls back to the native one.
NO_DOWHY_NOTE = (
    "DoWhy is not installed: the refuter was run natively (rerunning the whole design); "
    "pip install dowhy to run DoWhy's refuter on the matched sample"
)


@dataclass(frozen=True, eq=False)
class ATTResult:
    """An average treatment effect on the treated with its standard error.

    Attributes
    ----------
    outcome, estimate, std_error:
        Outcome name, point estimate and standard error.
    df:
        Degrees of freedom of the t reference distribution (``inf``: normal).
    level:
        Confidence level of ``conf_low`` / ``conf_high``.
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


@dataclass(frozen=True, eq=False)
class RosenbaumResult:
    """Rosenbaum bounds: how strong hidden bias must be to explain the effect away."""

    outcome: str
    n_pairs: int
    table: pd.DataFrame
    alpha: float

    @property
    def critical_gamma(self) -> float:
        """Smallest Gamma in the grid whose upper p-value bound exceeds ``alpha`` (NaN: none)."""
        over = self.table.loc[self.table["p_upper"] > self.alpha, "gamma"]
        return float(over.iloc[0]) if len(over) else float("nan")

    def tidy(self) -> pd.DataFrame:
        """Columns gamma, p_lower, p_upper."""
        return self.table.copy()

    def summary(self) -> str:
        """Text summary."""
        lines = [
            f"Rosenbaum bounds (Wilcoxon signed rank) for {self.outcome!r}, "
            f"{self.n_pairs} matched sets",
            self.table.to_string(index=False, float_format=lambda v: f"{v:.4f}"),
            f"Effect no longer significant at {self.alpha} from Gamma = {self.critical_gamma}",
        ]
        return "\n".join(lines)

    def plot(self) -> Figure:
        """p-value bounds against Gamma."""
        return _plots.rosenbaum_plot(self.table, self.alpha)


@dataclass(frozen=True, eq=False)
class RefutationResult:
    """A refutation test: DoWhy's refuters run by DoWhy or natively.

    ``engine="dowhy"``: DoWhy's refuter on the matched sample (``estimate`` is the weighted
    regression-adjusted ATT DoWhy refutes; ``engine_p_value`` is DoWhy's own test).
    ``engine="native"``: the whole design (score model, matching, ATT) is rerun.

    ``passed``: for ``placebo_treatment``, zero lies in the 95% interval of the mean placebo
    effect; for the other refuters, the original estimate lies within 1.96 standard
    deviations of the new effects (DoWhy's normal test, p >= 0.05). The same rule for both
    engines.
    """

    refuter: str
    outcome: str
    estimate: float
    new_effects: FloatArray
    engine: str = "native"
    note: str = ""
    engine_p_value: float = float("nan")

    @property
    def new_effect(self) -> float:
        """Mean of the re-estimated effects."""
        return float(np.mean(self.new_effects))

    @property
    def p_value(self) -> float:
        """Two-sided p-value of the original estimate in the normal fit to the new effects."""
        sd = float(np.std(self.new_effects, ddof=1))
        return float(2 * stats.norm.sf(abs(self.estimate - self.new_effect) / sd))

    @property
    def passed(self) -> bool:
        """Whether the design survives this refutation (see class docstring)."""
        sd = float(np.std(self.new_effects, ddof=1))
        if self.refuter == "placebo_treatment":
            return bool(abs(self.new_effect) <= 1.96 * sd / np.sqrt(self.new_effects.size))
        return self.p_value >= 0.05

    def tidy(self) -> pd.DataFrame:
        """One row: refuter, outcome, estimate, new_effect, new_effect_sd, p_value, passed,
        n_simulations, engine, engine_p_value, note."""
        return pd.DataFrame(
            [
                {
                    "refuter": self.refuter,
                    "outcome": self.outcome,
                    "estimate": self.estimate,
                    "new_effect": self.new_effect,
                    "new_effect_sd": float(np.std(self.new_effects, ddof=1)),
                    "p_value": self.p_value,
                    "passed": self.passed,
                    "n_simulations": int(self.new_effects.size),
                    "engine": self.engine,
                    "engine_p_value": self.engine_p_value,
                    "note": self.note,
                }
            ]
        )

    def summary(self) -> str:
        """Text summary."""
        row = self.tidy().iloc[0]
        verdict = "passed" if self.passed else "FAILED"
        text = (
            f"Refuter {self.refuter} ({self.engine}) on {self.outcome!r}: estimate "
            f"{self.estimate:.4g}, new effect {row['new_effect']:.4g} "
            f"(sd {row['new_effect_sd']:.4g}, {row['n_simulations']} runs), "
            f"p = {row['p_value']:.3g}: {verdict}"
        )
        return f"{text}\nNote: {self.note}" if self.note else text

    def plot(self) -> Figure:
        """Histogram of the new effects with the original estimate."""
        fig = Figure(figsize=(6.0, 3.5))
        ax = fig.add_subplot(1, 1, 1)
        ax.hist(self.new_effects, bins=20, color="C0", alpha=0.7)
        ax.axvline(self.estimate, color="C3", label="estimate")
        ax.set_xlabel("re-estimated effect")
        ax.set_title(f"Refuter: {self.refuter}")
        ax.legend()
        fig.tight_layout()
        return fig


@dataclass(frozen=True, eq=False)
class SubgroupResult:
    """ATTs by subgroup of the treated units, with a test of equal effects."""

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
        """Columns subgroup, level, estimate, std_error, conf_low, conf_high, n_treated,
        n_control, method."""
        return self.table.copy()

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


@dataclass(frozen=True, eq=False)
class MatchResult:
    """A matched (or weighted) design. Build with :func:`evaluation.match`.

    Attributes
    ----------
    matched:
        The matched rows of the data (original index and order) plus ``subclass`` (matched
        set number; nullable, empty for IPW) and ``weight`` (MatchIt's ATT weights).
    spec:
        The options used.
    propensity:
        Propensity score of every row of the data.
    diagnostics:
        Messages of warnings raised while matching (also emitted as :class:`MatchWarning`).
    """

    matched: pd.DataFrame
    spec: MatchSpec
    propensity: pd.Series
    diagnostics: tuple[str, ...]
    _data: pd.DataFrame = field(repr=False)
    _treat: npt.NDArray[np.bool_] = field(repr=False)
    _design: Design = field(repr=False)
    _fit: PropensityFit = field(repr=False)
    _pairs: Pairs = field(repr=False)
    _weights: FloatArray = field(repr=False)
    _subclass: npt.NDArray[np.int64] = field(repr=False)
    _discarded: npt.NDArray[np.bool_] = field(repr=False)

    @classmethod
    def build(
        cls,
        data: pd.DataFrame,
        spec: MatchSpec,
        treat: npt.NDArray[np.bool_],
        design: Design,
        fit: PropensityFit,
        out: DesignOutput,
        diagnostics: tuple[str, ...],
    ) -> MatchResult:
        """Assemble the result (internal)."""
        weights, subclass = out.weights, out.subclass
        keep = weights > 0
        matched = data.loc[keep].copy()
        sub = pd.array(np.where(subclass[keep] > 0, subclass[keep], 0), dtype="Int64")
        sub[subclass[keep] <= 0] = pd.NA
        matched["subclass"] = sub
        matched["weight"] = weights[keep]
        return cls(
            matched=matched,
            spec=spec,
            propensity=pd.Series(fit.ps, index=data.index, name="propensity"),
            diagnostics=diagnostics,
            _data=data,
            _treat=treat,
            _design=design,
            _fit=fit,
            _pairs=out.pairs,
            _weights=weights,
            _subclass=subclass,
            _discarded=out.discarded,
        )

    @property
    def _x(self) -> FloatArray:
        """The model matrix (reference levels dropped), for regression adjustment."""
        return self._design.x

    @property
    def _focal(self) -> npt.NDArray[np.bool_]:
        """The focal group: treated (ATT, ATE) or controls (ATC)."""
        return ~self._treat if self.spec.estimand == "ATC" else self._treat

    @property
    def distance(self) -> pd.Series:
        """The distance measure matched on (MatchIt's ``distance``) for every row (for
        exact and CEM, which use none, the constant share of treated units)."""
        score = self._fit.logit if self.spec.distance == "linear.logit" else self._fit.ps
        return pd.Series(score, index=self._data.index, name="distance")

    # ----------------------------------------------------------------- the design
    @property
    def pairs(self) -> pd.DataFrame:
        """One row per link in matching order.

        Columns: subclass, treated and control (index labels), treated_row and control_row
        (0-based row positions in the data), rank (1 = first match), distance. For the ATC
        the focal units are controls: ``treated`` then holds the focal (control) unit and
        ``control`` its matched treated unit. Full matching lists the edges of its matched
        sets; stratified designs (exact, CEM, subclass, cardinality) have no links.
        """
        idx = self._data.index
        return pd.DataFrame(
            {
                "subclass": self._subclass[self._pairs.treated],
                "treated": idx[self._pairs.treated],
                "control": idx[self._pairs.control],
                "treated_row": self._pairs.treated,
                "control_row": self._pairs.control,
                "rank": self._pairs.rank,
                "distance": self._pairs.distance,
            }
        )

    @property
    def unmatched(self) -> pd.Index:
        """Index labels of focal units (treated; controls for the ATC) left unmatched."""
        labels: pd.Index = self._data.index[self._focal & (self._weights == 0)]
        return labels

    @property
    def discarded(self) -> pd.Index:
        """Index labels of units dropped by ``discard`` (outside common support)."""
        labels: pd.Index = self._data.index[self._discarded]
        return labels

    @property
    def weights(self) -> pd.Series:
        """Weight of every row of the data (0 = not in the matched sample)."""
        return pd.Series(self._weights, index=self._data.index, name="weight")

    def mean_pair_distance(self) -> float:
        """Mean absolute propensity score difference over all links (match quality)."""
        ps = self._fit.ps
        if self._pairs.treated.size == 0:
            return float("nan")
        return float(np.mean(np.abs(ps[self._pairs.treated] - ps[self._pairs.control])))

    # ----------------------------------------------------------------- balance
    def balance(
        self,
        *,
        threshold_smd: float = SMD_THRESHOLD,
        threshold_var_ratio: float = VAR_RATIO_THRESHOLD,
        include_distance: bool = True,
    ) -> pd.DataFrame:
        """Balance table with MatchIt's ``summary()`` definitions (see ``_balance``).

        One row per term of the balance matrix: **every** level of a categorical covariate,
        formula terms as written by formulaic, and first the ``distance`` (the score matched
        on) unless ``include_distance=False`` or the method uses no score (exact, CEM).
        Columns: covariate, type (binary/contin), mean_treated_before, mean_control_before,
        mean_treated_after, mean_control_after, diff_before, diff_after, smd_before,
        smd_after, var_ratio_before, var_ratio_after, ecdf_mean_before, ecdf_mean_after,
        ecdf_max_before, ecdf_max_after, balanced (|smd_after| <= threshold_smd and, for
        continuous terms, 1/threshold <= var_ratio_after <= threshold). SMDs use the
        estimand's SD (ATT treated, ATC control, ATE pooled).
        """
        dz = self._design
        cols = list(zip(dz.bnames, dz.bbinary, dz.bx.T, strict=True))
        if include_distance and self._fit.model != "none":
            cols.insert(0, ("distance", False, self.distance.to_numpy()))
        return balance_frame(
            cols,
            self._treat,
            self._weights,
            estimand=self.spec.estimand,
            threshold_smd=threshold_smd,
            threshold_var_ratio=threshold_var_ratio,
        )

    def balance_ok(
        self,
        *,
        threshold_smd: float = SMD_THRESHOLD,
        threshold_var_ratio: float = VAR_RATIO_THRESHOLD,
    ) -> bool:
        """True when every covariate meets the balance thresholds after matching."""
        table = self.balance(threshold_smd=threshold_smd, threshold_var_ratio=threshold_var_ratio)
        return bool(table["balanced"].all())

    def balance_over_time(
        self,
        panel: pd.DataFrame,
        *,
        unit: str,
        time: str,
        variables: Sequence[str],
    ) -> pd.DataFrame:
        """Balance of time-varying variables at every time point of a panel.

        ``panel`` has one row per (unit, time point); ``unit`` holds the labels of the
        matched data's index, ``time`` the time point (e.g. months relative to entry). At each
        time point the units present are compared with the design's weights (before: all
        units, weights 1; after: the matching weights), with the estimand's SD of that time
        point. Columns: time, then :meth:`balance`'s columns.
        """
        check_columns(panel, [unit, time, *variables], where="balance_over_time()")
        pos = self._data.index.get_indexer(pd.Index(panel[unit]))
        if np.any(pos < 0):
            missing = list(pd.Index(panel[unit])[pos < 0].unique()[:5])
            raise OptionError(
                f"panel units {missing} are not in the matched data's index",
                where="MatchResult.balance_over_time()",
                fix="pass the panel of the units given to match() (same ids as the index)",
            )
        frames = []
        for t, rows in panel.assign(_pos=pos).groupby(time, sort=True):
            p = rows["_pos"].to_numpy()
            d = self._treat[p]
            if d.all() or not d.any():
                continue
            cols = []
            for v in variables:
                x = rows[v].to_numpy(dtype=np.float64)
                cols.append((v, bool(np.all(np.isin(x, (0.0, 1.0)))), x))
            table = balance_frame(cols, d, self._weights[p], estimand=self.spec.estimand)
            frames.append(table.assign(time=t))
        out = pd.concat(frames, ignore_index=True)
        return out[["time", *[c for c in out.columns if c != "time"]]]

    def table1(self) -> pd.DataFrame:
        """A weighted "Table 1" of the balance terms (see ``_balance.table_one``): mean and
        SD (binary: share) per group before and after matching, and a first row ``n`` with
        group sizes before and effective sample sizes after."""
        dz = self._design
        cols = list(zip(dz.bnames, dz.bbinary, dz.bx.T, strict=True))
        return table_one(cols, self._treat, self._weights)

    def love_data(self) -> pd.DataFrame:
        """The balance table sorted by |SMD| before matching (largest first), as plotted."""
        bal = self.balance()
        order = np.argsort(-np.abs(bal["smd_before"].to_numpy()), kind="stable")
        return bal.iloc[order].reset_index(drop=True)

    def sample_sizes(self) -> pd.DataFrame:
        """Counts like MatchIt's summary.

        Columns: group (control/treated), all, matched, unmatched (not matched, not
        discarded), discarded, ess_before (= all), ess_matched (Kish's effective sample size
        of the matching weights, MatchIt's "Matched (ESS)").
        """
        d, w, disc = self._treat, self._weights, self._discarded
        rows = [
            {
                "group": label,
                "all": int(g.sum()),
                "matched": int(np.sum(g & (w > 0))),
                "unmatched": int(np.sum(g & (w == 0) & ~disc)),
                "discarded": int(np.sum(g & disc)),
                "ess_before": float(g.sum()),
                "ess_matched": effective_sample_size(w[g]),
            }
            for label, g in (("control", ~d), ("treated", d))
        ]
        return pd.DataFrame(rows)

    # ----------------------------------------------------------------- effects
    def _outcome(self, columns: str | Sequence[str]) -> FloatArray:
        names = as_names(columns, "outcome")
        check_columns(self._data, names, where="MatchResult outcome")
        frame = self._data[names]
        used = self._weights > 0
        if self.spec.replace:
            used = used | ~self._treat  # the variance estimator uses every control
        na = frame.isna().any(axis=1).to_numpy() & used
        if na.any():
            rows = list(self._data.index[na][:5])
            raise MissingValueError(
                f"outcome column(s) {names} missing for {int(na.sum())} units the estimator "
                f"uses (first rows: {rows})",
                where="MatchResult.att()",
                fix="fill or explicitly exclude these units before matching",
            )
        for c in names:
            if not pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(
                frame[c]
            ):
                raise OptionError(
                    f"outcome {c!r} is not numeric",
                    where="MatchResult.att()",
                    fix="pass a numeric outcome column",
                )
        values = frame.astype(np.float64).to_numpy().mean(axis=1)
        return np.asarray(values, dtype=np.float64)

    def _effect(self, y: FloatArray, adjust: Adjust) -> EffectFit:
        d = self._treat
        x = self._x if adjust else None
        gcomp = adjust == "gcomp"
        centre = self._focal if self.spec.estimand != "ATE" else np.ones_like(d)
        if self.spec.method == "ipw":
            return wls_att(y, d.astype(np.float64), self._weights, x, None, centre=centre,
                           interact=gcomp)  # fmt: skip
        if not self.spec.replace or gcomp:
            k = self._weights > 0
            return wls_att(
                y[k],
                d[k].astype(np.float64),
                self._weights[k],
                None if x is None else x[k],
                None
                if self.spec.replace or self.spec.method == "cardinality"
                else self._subclass[k],
                centre=centre[k],
                interact=gcomp,
            )
        score = self._fit.logit if self.spec.distance == "linear.logit" else self._fit.ps
        pool = np.flatnonzero(~self._focal)
        fit = abadie_imbens_att(
            y, self._pairs.treated, self._pairs.control, score[pool], y[pool], pool, x
        )
        if self.spec.estimand == "ATC":  # focal controls: the estimator gave E[Y0 - Y1 | D=0]
            return EffectFit(-fit.estimate, fit.std_error, fit.df, fit.se_type)
        return fit

    def _att(
        self, y: FloatArray, label: str, adjust: Adjust, method: str, level: float
    ) -> ATTResult:
        if not 0 < level < 1:
            raise OptionError(
                f"`level` must be in (0, 1), got {level}", where="att()", fix="use e.g. level=0.95"
            )
        if adjust not in (False, True, "gcomp"):
            raise OptionError(
                f"`adjust` must be False, True or 'gcomp', got {adjust!r}",
                where="MatchResult.att()",
                fix="use adjust='gcomp' for MatchIt's treat * covariates g-computation",
            )
        fit = self._effect(y, adjust)
        d = self._treat
        ok = ~np.isnan(y)
        naive = float(np.mean(y[d & ok]) - np.mean(y[~d & ok]))
        w = self._weights
        if self.spec.method == "ipw":
            what = "inverse probability weighting"
        elif adjust == "gcomp":
            what = "g-computation (treatment x covariates) on the matched sample"
        elif adjust and self.spec.replace:
            what = "bias-corrected matching (Abadie-Imbens)"
        elif adjust:
            what = "regression adjustment on the matched sample"
        else:
            what = "difference in means on the matched sample"
        return ATTResult(
            outcome=label,
            estimate=fit.estimate,
            std_error=fit.std_error,
            df=fit.df,
            level=level,
            n_treated=int(np.sum(d & (w > 0))),
            n_control=int(np.sum(~d & (w > 0))),
            method=f"{method}{what}",
            se_type=fit.se_type,
            naive=naive,
            term=self.spec.estimand,
        )

    def att(self, outcome: str, adjust: Adjust = False, *, level: float = 0.95) -> ATTResult:
        """The effect for the design's estimand (ATT, ATC or ATE; ``term`` says which).

        Parameters
        ----------
        outcome:
            Outcome column.
        adjust:
            False: (weighted) difference in means. True: additive regression adjustment for
            the covariates (WLS on the matched sample; bias-corrected matching estimator of
            Abadie and Imbens 2011 with replacement). ``"gcomp"``: MatchIt's vignette,
            ``lm(y ~ treat * X, weights)`` on the matched sample with covariates centred at
            the focal group's weighted means, so the treatment coefficient is the average
            comparison over the focal group (ATE: all units).
        level:
            Confidence level.

        Standard errors: cluster-robust (CR1, ``sandwich::vcovCL``) by subclass / matched
        set without replacement and for stratified designs; Abadie-Imbens with replacement
        (``"gcomp"`` with replacement: HC1); HC1 for IPW (see ``_effects``).
        """
        return self._att(self._outcome(outcome), outcome, adjust, "", level)

    def did(
        self,
        post: str | Sequence[str],
        pre: str | Sequence[str],
        adjust: Adjust = False,
        *,
        level: float = 0.95,
    ) -> ATTResult:
        """Matched difference-in-differences: the ATT on ``mean(post) - mean(pre)``.

        ``post`` and ``pre`` are outcome columns (e.g. months employed in the 12 months
        after and before entry, or one column per month, averaged).
        """
        y = self._outcome(post) - self._outcome(pre)
        label = f"{'+'.join(as_names(post, 'post'))} - {'+'.join(as_names(pre, 'pre'))}"
        return self._att(y, label, adjust, "matched difference-in-differences: ", level)

    # ----------------------------------------------------------------- sensitivity
    def rosenbaum(
        self,
        outcome: str,
        *,
        gammas: Sequence[float] = (1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0),
        alpha: float = 0.05,
    ) -> RosenbaumResult:
        """Rosenbaum bounds for the matched sets (nearest neighbour without replacement).

        Each matched set contributes ``y_treated - mean(y_controls)`` (for 1:1 matching,
        the pair difference); see :func:`_effects.rosenbaum_bounds`.
        """
        if self.spec.method not in ("nearest", "optimal") or self.spec.replace:
            raise OptionError(
                "Rosenbaum bounds need matched sets without replacement",
                where="MatchResult.rosenbaum()",
                fix="match with method='nearest', replace=False",
            )
        y = self._outcome(outcome)
        p = self._pairs
        sub = self._subclass[p.treated]
        codes, inv = np.unique(sub, return_inverse=True)
        mean_c = np.bincount(inv, weights=y[p.control]) / np.bincount(inv)
        t_of = np.zeros(codes.size, dtype=np.int64)
        t_of[inv] = p.treated
        diff = y[t_of] - mean_c
        rows = rosenbaum_bounds(diff, np.asarray(gammas, dtype=np.float64))
        table = pd.DataFrame([r.__dict__ for r in rows])[["gamma", "p_lower", "p_upper"]]
        return RosenbaumResult(outcome, int(codes.size), table, alpha)

    def refute(
        self,
        outcome: str,
        *,
        refuter: Refuter = "placebo_treatment",
        engine: RefuteEngine | None = None,
        n_simulations: int = 20,
        subset_fraction: float = 0.8,
        seed: int | None = None,
    ) -> RefutationResult:
        """DoWhy's placebo-treatment, random-common-cause and data-subset refuters.

        ``placebo_treatment``: the treatment is randomly permuted; effects should vanish.
        ``random_common_cause``: an independent N(0, 1) covariate is added; the estimate
        should not move. ``data_subset``: a random ``subset_fraction`` of rows is kept; the
        estimate should not move.

        Parameters
        ----------
        outcome:
            Outcome column.
        refuter:
            Which refuter.
        engine:
            ``"dowhy"``: a ``dowhy.CausalModel`` on the matched sample (treatment, outcome,
            the matching covariates as common causes) estimated by weighted least squares
            with the matching weights (= ``att(outcome, adjust=True)`` without replacement
            and for IPW), refuted by DoWhy's ``refute_estimate``; the score model and the
            matching are held fixed. ``"native"``: our implementation, rerunning the whole
            design (score model, matching, unadjusted ATT) in every simulation. ``None``
            (default): DoWhy when it is installed, else native with a ``note`` saying so.
        n_simulations:
            Number of re-estimates (DoWhy's ``num_simulations``).
        subset_fraction:
            Share of rows kept by ``data_subset``.
        seed:
            Seed of the random draws (DoWhy's ``random_state``).
        """
        from evaluation.estimators.matching._dowhy import dowhy_available

        if refuter not in ("placebo_treatment", "random_common_cause", "data_subset"):
            raise OptionError(
                f"unknown refuter {refuter!r}",
                where="MatchResult.refute()",
                fix="use placebo_treatment, random_common_cause or data_subset",
            )
        if engine not in (None, "dowhy", "native"):
            raise OptionError(
                f"unknown engine {engine!r}",
                where="MatchResult.refute()",
                fix="use engine='dowhy', engine='native' or leave it out",
            )
        if n_simulations < 2:
            raise OptionError(
                "`n_simulations` must be at least 2",
                where="refute()",
                fix="use e.g. n_simulations=20",
            )
        if not 0 < subset_fraction < 1:
            raise OptionError(
                f"`subset_fraction` must be in (0, 1), got {subset_fraction}",
                where="MatchResult.refute()",
                fix="use e.g. subset_fraction=0.8",
            )
        note = ""
        if engine is None:
            engine = "dowhy" if dowhy_available() else "native"
            note = "" if engine == "dowhy" else NO_DOWHY_NOTE
        elif engine == "dowhy" and not dowhy_available():
            raise EstimationError(
                "DoWhy is not installed",
                where="MatchResult.refute(engine='dowhy')",
                fix="pip install dowhy, or use engine='native'",
            )
        if engine == "dowhy":
            return self._refute_dowhy(outcome, refuter, n_simulations, subset_fraction, seed)
        effects = self._refute_native(outcome, refuter, n_simulations, subset_fraction, seed)
        base = self.att(outcome).estimate
        return RefutationResult(refuter, outcome, base, effects, engine="native", note=note)

    def _refute_dowhy(
        self,
        outcome: str,
        refuter: Refuter,
        n_simulations: int,
        subset_fraction: float,
        seed: int | None,
    ) -> RefutationResult:
        """DoWhy's refuter on the matched sample (see ``_dowhy``)."""
        from evaluation.estimators.matching._dowhy import refute_matched_sample

        y = self._outcome(outcome)
        keep = self._weights > 0
        out = refute_matched_sample(
            y[keep],
            self._treat[keep].astype(np.float64),
            self._x[keep],
            self._weights[keep],
            refuter=refuter,
            n_simulations=n_simulations,
            subset_fraction=subset_fraction,
            seed=seed,
        )
        return RefutationResult(
            refuter,
            outcome,
            out.estimate,
            out.new_effects,
            engine="dowhy",
            engine_p_value=out.p_value,
        )

    def _refute_native(
        self,
        outcome: str,
        refuter: Refuter,
        n_simulations: int,
        subset_fraction: float,
        seed: int | None,
    ) -> FloatArray:
        """Re-estimates of the whole design under the refuter (the native engine)."""
        from evaluation.estimators.matching.api import match

        rng = np.random.default_rng(seed)
        s = self.spec
        effects = []
        for _ in range(n_simulations):
            data = self._data
            covs = list(s.covariates)
            if refuter == "placebo_treatment":
                data = data.copy()
                data[s.treatment] = rng.permutation(data[s.treatment].to_numpy())
            elif refuter == "random_common_cause":
                data = data.copy()
                name = "_random_common_cause"
                data[name] = rng.standard_normal(len(data))
                covs.append(name)
            else:
                n_keep = round(subset_fraction * len(data))
                keep = np.sort(rng.choice(len(data), size=n_keep, replace=False))
                data = data.iloc[keep]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", MatchWarning)
                options = s.options()
                if refuter == "random_common_cause":
                    options["covariates"] = (
                        f"{s.formula} + {name}" if s.formula is not None else covs
                    )
                res = match(data, **options)  # type: ignore[arg-type]
            effects.append(res.att(outcome).estimate)
        return np.asarray(effects, dtype=np.float64)

    def by_subgroup(self, outcome: str, subgroup: str, *, level: float = 0.95) -> SubgroupResult:
        """ATT within subgroups of the treated units (a matched set follows its treated unit).

        Standard errors as in :meth:`att`, computed within each subgroup.
        """
        check_columns(self._data, [subgroup], where="MatchResult.by_subgroup()")
        y = self._outcome(outcome)
        g = self._data[subgroup].to_numpy()
        rows = []
        for level_value in pd.unique(self._data.loc[self._treat, subgroup]):
            sel_t = self._treat & (g == level_value)
            sub = self._restrict(sel_t)
            if sub is None:
                continue
            fit = sub._effect(y, adjust=False)
            res = ATTResult(
                outcome,
                fit.estimate,
                fit.std_error,
                fit.df,
                level,
                int(np.sum(sub._treat & (sub._weights > 0))),
                int(np.sum(~sub._treat & (sub._weights > 0))),
                "",
                fit.se_type,
                float("nan"),
            )
            rows.append(
                {
                    "subgroup": subgroup,
                    "level": level_value,
                    "estimate": res.estimate,
                    "std_error": res.std_error,
                    "conf_low": res.conf_low,
                    "conf_high": res.conf_high,
                    "n_treated": res.n_treated,
                    "n_control": res.n_control,
                    "method": "matching",
                }
            )
        if not rows:
            raise EstimationError(
                f"no matched treated units in any level of {subgroup!r}",
                where="MatchResult.by_subgroup()",
                fix="check the column",
            )
        return SubgroupResult(outcome, subgroup, pd.DataFrame(rows))

    def cate(
        self,
        outcome: str,
        subgroup: str,
        *,
        model: Literal["linear_dml", "causal_forest"] = "linear_dml",
        level: float = 0.95,
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
        """
        try:
            from econml.dml import CausalForestDML, LinearDML
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise EstimationError(
                "EconML is not installed",
                where="MatchResult.cate()",
                fix="pip install econml, or use MatchResult.by_subgroup()",
            ) from exc
        if model not in ("linear_dml", "causal_forest"):
            raise OptionError(
                f"unknown model {model!r}",
                where="MatchResult.cate()",
                fix="use 'linear_dml' or 'causal_forest'",
            )
        if not 0 < level < 1:
            raise OptionError(
                f"`level` must be in (0, 1), got {level}", where="cate()", fix="use e.g. level=0.95"
            )
        check_columns(self._data, [subgroup], where="MatchResult.cate()")
        y = self._outcome(outcome)
        keep = self._weights > 0
        groups = self._data[subgroup].to_numpy()
        levels = list(pd.unique(self._data.loc[self._treat & keep, subgroup]))
        if len(levels) < 2:
            raise EstimationError(
                f"subgroup {subgroup!r} has fewer than two levels among matched treated units",
                where="MatchResult.cate()",
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
                self._treat[keep].astype(np.int64),
                X=design[keep],
                W=self._x[keep],
                sample_weight=self._weights[keep],
            )
            grid = np.vstack([np.zeros(len(levels) - 1), np.eye(len(levels) - 1)])
            inf = est.effect_inference(grid)
            point = np.asarray(inf.point_estimate, dtype=np.float64).ravel()
            se = np.asarray(inf.stderr, dtype=np.float64).ravel()
            lo, hi = (
                np.asarray(b, dtype=np.float64).ravel() for b in inf.conf_int(alpha=1 - level)
            )
        w = self._weights
        rows = [
            {
                "subgroup": subgroup,
                "level": v,
                "estimate": float(point[k]),
                "std_error": float(se[k]),
                "conf_low": float(lo[k]),
                "conf_high": float(hi[k]),
                "n_treated": int(np.sum(self._treat & (w > 0) & (groups == v))),
                "n_control": int(np.sum(~self._treat & (w > 0) & (groups == v))),
                "method": f"econml {type(est).__name__}",
            }
            for k, v in enumerate(levels)
        ]
        return SubgroupResult(outcome, subgroup, pd.DataFrame(rows))

    def _restrict(self, sel_t: npt.NDArray[np.bool_]) -> MatchResult | None:
        """The design restricted to the treated units ``sel_t`` and their matches."""
        from dataclasses import replace

        if self.spec.method == "ipw":
            w = np.where(self._treat & ~sel_t, 0.0, self._weights)
            return replace(self, _weights=w) if np.any(w[sel_t] > 0) else None
        if self.spec.method == "cardinality":
            raise EstimationError(
                "subgroup effects of a cardinality design would break its balance constraints",
                where="MatchResult.by_subgroup()",
                fix="match each subgroup separately (method='cardinality' on its rows)",
            )
        if self.spec.method not in ("nearest", "optimal"):
            sub = np.where(self._treat & ~sel_t, -1, self._subclass)
            inside = sub > 0
            if not np.any(inside & self._treat):
                return None
            kept = np.full(sub.size, -1, dtype=np.int64)
            kept[inside] = common_strata(sub[inside], self._treat[inside])
            w = subclass_weights(kept, self._treat, self.spec.estimand)
            return replace(self, _weights=w, _subclass=kept)
        p = self._pairs
        k = sel_t[p.treated]
        if not k.any():
            return None
        pairs = Pairs(p.treated[k], p.control[k], p.rank[k], p.distance[k])
        w, sub = matchit_weights(pairs, self._treat.size)
        return replace(self, _pairs=pairs, _weights=w, _subclass=sub)

    # ----------------------------------------------------------------- reporting
    def tidy(self) -> pd.DataFrame:
        """The balance table (see :meth:`balance`)."""
        return self.balance()

    def summary(self) -> str:
        """Text summary: options, sample sizes, balance and flags."""
        s = self.spec
        bal = self.balance()
        sizes = self.sample_sizes()
        fails = bal.loc[~bal["balanced"], "covariate"].tolist()
        show = bal[
            [
                "covariate",
                "smd_before",
                "smd_after",
                "var_ratio_before",
                "var_ratio_after",
                "ecdf_max_after",
                "balanced",
            ]
        ]
        lines = [
            f"Matching: method={s.method}, estimand={s.estimand}, distance="
            f"{'none' if self._fit.model == 'none' else s.distance_label}, "
            f"ratio={s.ratio}, replace={s.replace}, caliper={s.caliper_option()} "
            f"({'SD' if s.std_caliper else 'raw units'}), exact={list(s.exact)}, "
            f"discard={s.discard}, m_order={s.order}",
            sizes.to_string(index=False, float_format=lambda v: f"{v:.1f}"),
            show.to_string(index=False, float_format=lambda v: f"{v:.3f}"),
        ]
        if fails:
            lines.append(
                f"BALANCE NOT MET for {len(fails)} covariate(s): {', '.join(fails)} "
                f"(|SMD| > {SMD_THRESHOLD} or variance ratio outside "
                f"[{1 / VAR_RATIO_THRESHOLD:g}, {VAR_RATIO_THRESHOLD:g}])"
            )
        else:
            lines.append("Balance thresholds met for all covariates.")
        lines.extend(f"Warning: {m}" for m in self.diagnostics)
        return "\n".join(lines)

    def plot(
        self,
        kind: Literal["love", "overlap"] = "love",
        *,
        stats: Sequence[Literal["smd", "var_ratio", "ks"]] = ("smd",),
        scale: Literal["distance", "logit"] = "distance",
    ) -> Figure:
        """``"love"``: balance before and after per term, sorted, with thresholds; ``stats``
        adds variance-ratio and KS (eCDF max) panels. ``"overlap"``: score histograms with
        data-driven bins and n per group, on the distance or the logit scale."""
        if kind == "love":
            bad = [st for st in stats if st not in _plots.LOVE_PANELS]
            if bad or not stats:
                raise OptionError(
                    f"unknown love plot statistic(s) {bad}",
                    where="MatchResult.plot()",
                    fix="use stats=('smd', 'var_ratio', 'ks') or a subset",
                )
            thresholds = {"smd": SMD_THRESHOLD, "var_ratio": VAR_RATIO_THRESHOLD}
            return _plots.love_plot(self.balance(), thresholds, tuple(stats))
        if kind == "overlap":
            if self._fit.model == "none":
                raise OptionError(
                    f"method={self.spec.method!r} uses no propensity score to plot",
                    where="MatchResult.plot('overlap')",
                    fix="use the love plot, or a score-based method (nearest, full, subclass)",
                )
            if scale == "logit":
                return _plots.overlap_plot(
                    self._fit.logit, self._treat, self._weights, "logit of the propensity score"
                )
            return _plots.overlap_plot(
                self.distance.to_numpy(), self._treat, self._weights, "distance"
            )
        raise OptionError(
            f"unknown plot kind {kind!r}", where="MatchResult.plot()", fix="use 'love' or 'overlap'"
        )
