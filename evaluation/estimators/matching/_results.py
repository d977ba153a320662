"""The matched design: :class:`MatchResult` (matching, weights, balance, diagnostics).

Effects and what is built on them take the design, as MatchIt leaves effects to
``marginaleffects``: :func:`~evaluation.estimators.matching.effects.effect` and
:func:`~evaluation.estimators.matching.effects.matched_did` (``effects``),
:func:`~evaluation.estimators.matching.rosenbaum.rosenbaum` (``rosenbaum``),
:func:`~evaluation.estimators.matching.refutation.refute` (``refutation``),
:func:`~evaluation.estimators.matching.heterogeneity.by_subgroup` and
:func:`~evaluation.estimators.matching.heterogeneity.cate` (``heterogeneity``). The methods
of the same names on :class:`MatchResult` delegate to them.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from matplotlib.figure import Figure
from scipy import stats

from evaluation.contract import ESTIMATE_COLUMNS, ResultMixin
from evaluation.errors import EstimationError, MissingValueError, OptionError
from evaluation.estimators.matching import _plots
from evaluation.estimators.matching._balance import (
    SMD_THRESHOLD,
    VAR_RATIO_THRESHOLD,
    balance_frame,
    effective_sample_size,
    table_one,
)
from evaluation.estimators.matching._design import Design
from evaluation.estimators.matching._kernels import Pairs, matchit_weights
from evaluation.estimators.matching._propensity import PropensityFit
from evaluation.estimators.matching._strata import common_strata, subclass_weights
from evaluation.estimators.matching._validate import as_names, check_columns
from evaluation.estimators.matching.effects import Adjust, ATTResult, effect, matched_did
from evaluation.estimators.matching.heterogeneity import (
    CateModel,
    SubgroupResult,
    by_subgroup,
    cate,
)
from evaluation.estimators.matching.refutation import (
    NO_DOWHY_NOTE,
    RefutationResult,
    RefuteEngine,
    Refuter,
    refute,
)
from evaluation.estimators.matching.rosenbaum import DEFAULT_GAMMAS, RosenbaumResult, rosenbaum

if TYPE_CHECKING:
    from evaluation.estimators.matching.api import DesignOutput, MatchSpec

__all__ = [
    "NO_DOWHY_NOTE",
    "ATTResult",
    "Adjust",
    "MatchResult",
    "RefutationResult",
    "RefuteEngine",
    "Refuter",
    "RosenbaumResult",
    "SubgroupResult",
]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, eq=False, repr=False)
class MatchResult(ResultMixin):
    """A matched (or weighted) design. Build with :func:`evaluation.match`.

    The design only: which units are matched, with which weights, and how balanced they
    are. Effects are functions that take it (``effect(matched, outcome)``,
    ``rosenbaum(matched, outcome)``, ...); the methods ``att``, ``did``, ``rosenbaum``,
    ``refute``, ``by_subgroup`` and ``cate`` delegate to them.

    Attributes
    ----------
    spec:
        The options used.
    propensity:
        Propensity score of every row of the data.
    diagnostics:
        Messages of warnings raised while matching (also emitted as :class:`MatchWarning`).
    data:
        The validated data given to :func:`evaluation.match` (a reference, not a copy).
    treated:
        Treatment indicator of every row.
    design:
        Model and balance matrices of the covariates.
    score_fit:
        The fitted score model (probabilities, linear predictor, coefficients).
    links:
        The links of the matching (positions of treated and control rows, rank, distance).
    unit_weights:
        Matching weight of every row (0: not in the matched sample).
    subclass:
        Matched set of every row (0 or negative: none).
    discarded_mask:
        Rows dropped by ``discard`` (outside common support).
    """

    spec: MatchSpec
    propensity: pd.Series
    diagnostics: tuple[str, ...]
    data: pd.DataFrame = field(repr=False)
    treated: npt.NDArray[np.bool_] = field(repr=False)
    design: Design = field(repr=False)
    score_fit: PropensityFit = field(repr=False)
    links: Pairs = field(repr=False)
    unit_weights: FloatArray = field(repr=False)
    subclass: npt.NDArray[np.int64] = field(repr=False)
    discarded_mask: npt.NDArray[np.bool_] = field(repr=False)

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
        return cls(
            spec=spec,
            propensity=pd.Series(fit.ps, index=data.index, name="propensity"),
            diagnostics=diagnostics,
            data=data,
            treated=treat,
            design=design,
            score_fit=fit,
            links=out.pairs,
            unit_weights=out.weights,
            subclass=out.subclass,
            discarded_mask=out.discarded,
        )

    @functools.cached_property
    def matched(self) -> pd.DataFrame:
        """The matched rows of the data (original index and order) plus ``subclass`` (matched
        set number; nullable, empty for IPW) and ``weight`` (MatchIt's ATT weights).

        Built from the data on first use (the design keeps no second copy of the rows).
        """
        keep = self.unit_weights > 0
        matched = self.data.loc[keep].copy()
        sub = pd.array(np.where(self.subclass[keep] > 0, self.subclass[keep], 0), dtype="Int64")
        sub[self.subclass[keep] <= 0] = pd.NA
        matched["subclass"] = sub
        matched["weight"] = self.unit_weights[keep]
        return matched

    @property
    def model_matrix(self) -> FloatArray:
        """The model matrix (reference levels dropped), for regression adjustment."""
        return self.design.x

    @property
    def focal(self) -> npt.NDArray[np.bool_]:
        """The focal group: treated (ATT, ATE) or controls (ATC)."""
        return ~self.treated if self.spec.estimand == "ATC" else self.treated

    @property
    def distance(self) -> pd.Series:
        """The distance measure matched on (MatchIt's ``distance``) for every row (for
        exact and CEM, which use none, the constant share of treated units)."""
        score = self.score_fit.logit if self.spec.distance == "linear.logit" else self.score_fit.ps
        return pd.Series(score, index=self.data.index, name="distance")

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
        idx = self.data.index
        return pd.DataFrame(
            {
                "subclass": self.subclass[self.links.treated],
                "treated": idx[self.links.treated],
                "control": idx[self.links.control],
                "treated_row": self.links.treated,
                "control_row": self.links.control,
                "rank": self.links.rank,
                "distance": self.links.distance,
            }
        )

    @property
    def unmatched(self) -> pd.Index:
        """Index labels of focal units (treated; controls for the ATC) left unmatched."""
        labels: pd.Index = self.data.index[self.focal & (self.unit_weights == 0)]
        return labels

    @property
    def discarded(self) -> pd.Index:
        """Index labels of units dropped by ``discard`` (outside common support)."""
        labels: pd.Index = self.data.index[self.discarded_mask]
        return labels

    @property
    def weights(self) -> pd.Series:
        """Weight of every row of the data (0 = not in the matched sample)."""
        return pd.Series(self.unit_weights, index=self.data.index, name="weight")

    def mean_pair_distance(self) -> float:
        """Mean absolute propensity score difference over all links (match quality)."""
        ps = self.score_fit.ps
        if self.links.treated.size == 0:
            return float("nan")
        return float(np.mean(np.abs(ps[self.links.treated] - ps[self.links.control])))

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
        dz = self.design
        cols = list(zip(dz.bnames, dz.bbinary, dz.bx.T, strict=True))
        if include_distance and self.score_fit.model != "none":
            cols.insert(0, ("distance", False, self.distance.to_numpy()))
        return balance_frame(
            cols,
            self.treated,
            self.unit_weights,
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
        pos = self.data.index.get_indexer(pd.Index(panel[unit]))
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
            d = self.treated[p]
            if d.all() or not d.any():
                continue
            cols = []
            for v in variables:
                x = rows[v].to_numpy(dtype=np.float64)
                cols.append((v, bool(np.all(np.isin(x, (0.0, 1.0)))), x))
            table = balance_frame(cols, d, self.unit_weights[p], estimand=self.spec.estimand)
            frames.append(table.assign(time=t))
        out = pd.concat(frames, ignore_index=True)
        return out[["time", *[c for c in out.columns if c != "time"]]]

    def table1(self) -> pd.DataFrame:
        """A weighted "Table 1" of the balance terms (see ``_balance.table_one``): mean and
        SD (binary: share) per group before and after matching, and a first row ``n`` with
        group sizes before and effective sample sizes after."""
        dz = self.design
        cols = list(zip(dz.bnames, dz.bbinary, dz.bx.T, strict=True))
        return table_one(cols, self.treated, self.unit_weights)

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
        d, w, disc = self.treated, self.unit_weights, self.discarded_mask
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

    # ----------------------------------------------------------------- outcomes
    def outcome_values(self, columns: str | Sequence[str]) -> FloatArray:
        """The outcome of every row of the data (several columns: their row mean).

        Parameters
        ----------
        columns:
            Outcome column, or columns to average (e.g. one per month).

        Returns
        -------
        numpy.ndarray
            One float per row of :attr:`data`.

        Raises
        ------
        MissingValueError
            If a unit the estimators use has no outcome.
        OptionError
            If a column is not numeric.
        """
        names = as_names(columns, "outcome")
        check_columns(self.data, names, where="MatchResult outcome")
        frame = self.data[names]
        used = self.unit_weights > 0
        if self.spec.replace:
            used = used | ~self.treated  # the variance estimator uses every control
        na = frame.isna().any(axis=1).to_numpy() & used
        if na.any():
            rows = list(self.data.index[na][:5])
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

    # ------------------------------------------- effects: delegates to the effect modules
    def att(
        self,
        outcome: str,
        adjust: Adjust = False,
        *,
        alpha: float = 0.05,
        level: float | None = None,
    ) -> ATTResult:
        """Same as :func:`~evaluation.estimators.matching.effects.effect` on this design."""
        return effect(self, outcome, adjust, alpha=alpha, level=level)

    def did(
        self,
        post: str | Sequence[str],
        pre: str | Sequence[str],
        adjust: Adjust = False,
        *,
        alpha: float = 0.05,
        level: float | None = None,
    ) -> ATTResult:
        """Same as :func:`~evaluation.estimators.matching.effects.matched_did`."""
        return matched_did(self, post, pre, adjust, alpha=alpha, level=level)

    def rosenbaum(
        self, outcome: str, *, gammas: Sequence[float] = DEFAULT_GAMMAS, alpha: float = 0.05
    ) -> RosenbaumResult:
        """Same as :func:`~evaluation.estimators.matching.rosenbaum.rosenbaum`."""
        return rosenbaum(self, outcome, gammas=gammas, alpha=alpha)

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
        """Same as :func:`~evaluation.estimators.matching.refutation.refute`."""
        return refute(
            self, outcome, refuter=refuter, engine=engine, n_simulations=n_simulations,
            subset_fraction=subset_fraction, seed=seed,
        )  # fmt: skip

    def by_subgroup(
        self, outcome: str, subgroup: str, *, alpha: float = 0.05, level: float | None = None
    ) -> SubgroupResult:
        """Same as :func:`~evaluation.estimators.matching.heterogeneity.by_subgroup`."""
        return by_subgroup(self, outcome, subgroup, alpha=alpha, level=level)

    def cate(
        self,
        outcome: str,
        subgroup: str,
        *,
        model: CateModel = "linear_dml",
        alpha: float = 0.05,
        level: float | None = None,
        seed: int = 0,
    ) -> SubgroupResult:
        """Same as :func:`~evaluation.estimators.matching.heterogeneity.cate`."""
        return cate(self, outcome, subgroup, model=model, alpha=alpha, level=level, seed=seed)

    # ----------------------------------------------------------------- sub-designs
    def restricted(self, sel_t: npt.NDArray[np.bool_]) -> MatchResult | None:
        """The design restricted to the treated units ``sel_t`` and their matches.

        Parameters
        ----------
        sel_t:
            Boolean mask over the rows of :attr:`data`; treated rows outside it leave the design.

        Returns
        -------
        MatchResult or None
            The sub-design, or None if no selected treated unit is matched.
        """
        if self.spec.method == "ipw":
            w = np.where(self.treated & ~sel_t, 0.0, self.unit_weights)
            return replace(self, unit_weights=w) if np.any(w[sel_t] > 0) else None
        if self.spec.method == "cardinality":
            raise EstimationError(
                "subgroup effects of a cardinality design would break its balance constraints",
                where="MatchResult.by_subgroup()",
                fix="match each subgroup separately (method='cardinality' on its rows)",
            )
        if self.spec.method not in ("nearest", "optimal"):
            sub = np.where(self.treated & ~sel_t, -1, self.subclass)
            inside = sub > 0
            if not np.any(inside & self.treated):
                return None
            kept = np.full(sub.size, -1, dtype=np.int64)
            kept[inside] = common_strata(sub[inside], self.treated[inside])
            w = subclass_weights(kept, self.treated, self.spec.estimand)
            return replace(self, unit_weights=w, subclass=kept)
        p = self.links
        k = sel_t[p.treated]
        if not k.any():
            return None
        pairs = Pairs(p.treated[k], p.control[k], p.rank[k], p.distance[k])
        w, sub = matchit_weights(pairs, self.treated.size)
        return replace(self, links=pairs, unit_weights=w, subclass=sub)

    # ----------------------------------------------------------------- reporting
    def tidy(self, *, alpha: float = 0.05) -> pd.DataFrame:
        """The design's estimates: the coefficients of the logistic score model.

        Columns ``term`` (``(Intercept)`` and the model matrix's names), ``estimate``,
        ``std_error`` (model-based, the inverse Fisher information, as R ``glm``),
        ``statistic`` (z), ``p_value``, ``conf_low``, ``conf_high`` (Wald). Score models
        without coefficients (probit, classifiers, GAM, none) give no rows. Balance is
        :meth:`balance`; effects are :func:`~evaluation.estimators.matching.effects.effect`.
        Before issue 18 ``tidy()`` returned the balance table.

        Parameters
        ----------
        alpha:
            Significance level of the intervals.

        Returns
        -------
        pandas.DataFrame
            One row per coefficient.
        """
        fit, columns = self.score_fit, ["term", *ESTIMATE_COLUMNS]
        if fit.coef is None or fit.model != "logit":
            return pd.DataFrame({c: pd.Series(dtype=float) for c in columns})
        rows = ~self.discarded_mask if self.spec.reestimate else np.ones_like(self.treated)
        x = np.column_stack([np.ones(int(rows.sum())), self.design.x[rows]])
        p = fit.ps[rows]
        cov = np.linalg.pinv(x.T @ (x * (p * (1 - p))[:, None]))
        se = np.sqrt(np.clip(np.diag(cov), 0, None))
        z = fit.coef / se
        crit = float(stats.norm.ppf(1 - alpha / 2))
        frame = pd.DataFrame(
            {
                "term": ["(Intercept)", *self.design.names],
                "estimate": fit.coef,
                "std_error": se,
                "statistic": z,
                "p_value": 2 * stats.norm.sf(np.abs(z)),
                "conf_low": fit.coef - crit * se,
                "conf_high": fit.coef + crit * se,
            }
        )
        return frame[columns]

    def glance(self) -> pd.DataFrame:
        """One row: method, estimand, distance, ratio, replace, units treated and control
        (all and matched), mean link distance and whether balance is met."""
        s, d, w = self.spec, self.treated, self.unit_weights
        return pd.DataFrame(
            [
                {
                    "method": s.method,
                    "estimand": s.estimand,
                    "distance": s.distance_label,
                    "ratio": s.ratio,
                    "replace": s.replace,
                    "n_treated": int(d.sum()),
                    "n_control": int((~d).sum()),
                    "n_treated_matched": int(np.sum(d & (w > 0))),
                    "n_control_matched": int(np.sum(~d & (w > 0))),
                    "mean_pair_distance": self.mean_pair_distance(),
                    "balanced": self.balance_ok(),
                }
            ]
        )

    def __repr__(self) -> str:
        s = self.spec
        n = int(np.sum(self.unit_weights > 0))
        return (
            f"MatchResult(method={s.method!r}, estimand={s.estimand!r}, "
            f"distance={s.distance_label!r}, matched={n} of {len(self.treated)} units)"
        )

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
            f"{'none' if self.score_fit.model == 'none' else s.distance_label}, "
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
            if self.score_fit.model == "none":
                raise OptionError(
                    f"method={self.spec.method!r} uses no propensity score to plot",
                    where="MatchResult.plot('overlap')",
                    fix="use the love plot, or a score-based method (nearest, full, subclass)",
                )
            if scale == "logit":
                return _plots.overlap_plot(
                    self.score_fit.logit,
                    self.treated,
                    self.unit_weights,
                    "logit of the propensity score",
                )
            return _plots.overlap_plot(
                self.distance.to_numpy(), self.treated, self.unit_weights, "distance"
            )
        raise OptionError(
            f"unknown plot kind {kind!r}", where="MatchResult.plot()", fix="use 'love' or 'overlap'"
        )
