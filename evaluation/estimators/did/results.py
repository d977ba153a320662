"""Result objects of :func:`att_gt` and its aggregations (tidy, summary, plot)."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from matplotlib.figure import Figure
from scipy import linalg, stats
from scipy.linalg import lapack
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from evaluation.contract import ResultMixin
from evaluation.estimators.did.aggregate import Kind, aggregation_weights
from evaluation.estimators.did.display import (
    MARKS_LEGEND,
    cohort_sizes_line,
    marks,
    p_values,
    unit_count,
)
from evaluation.estimators.did.errors import OptionError
from evaluation.estimators.did.sensitivity import (
    Restriction,
    SensitivityMethod,
    SensitivityResult,
    honest_sensitivity,
)
from evaluation.estimators.did.wild import FewClusterData, WildTest

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Standard errors below this are treated as zero variance (R did: sqrt(eps) * 10).
_SE_FLOOR = np.sqrt(np.finfo(float).eps) * 10
_SIM_DRAWS = 10_000  # Gaussian draws for a sup-t critical value without bootstrap
_IQR_Z = stats.norm.ppf(0.75) - stats.norm.ppf(0.25)


@functools.lru_cache(maxsize=16)
def _z(alpha: float) -> float:
    return float(stats.norm.ppf(1 - alpha / 2))


def linear_se(coefs: FloatArray, vcov: FloatArray, draws: FloatArray | None) -> FloatArray:
    """Standard errors of the combinations ``coefs @ theta`` (rows of ``coefs``).

    With bootstrap draws it is the rescaled interquartile range of the draws (as R
    ``did::mboot``), otherwise the analytic influence-function standard error. Combinations
    with (numerically) zero variance or undefined weights get ``nan``.
    """
    finite: npt.NDArray[np.bool_] = np.asarray(np.isfinite(coefs).all(axis=1))
    c = np.where(finite[:, None], coefs, 0.0)
    if draws is not None:
        q75, q25 = np.quantile(draws @ c.T, [0.75, 0.25], axis=0)
        se = (q75 - q25) / _IQR_Z
    else:
        se = np.sqrt(np.clip(np.einsum("jk,kl,jl->j", c, vcov, c), 0, None))
    return np.where(finite & (se > _SE_FLOOR), se, np.nan)


def uniform_crit(
    coefs: FloatArray,
    vcov: FloatArray,
    draws: FloatArray | None,
    se: FloatArray,
    alpha: float,
    rng: np.random.Generator,
) -> float:
    """Critical value of a simultaneous (sup-t) ``1 - alpha`` band over the combinations.

    With bootstrap draws: the ``1 - alpha`` quantile of ``max_j |draw_j| / se_j`` (R
    ``did::mboot``); without: the same quantile simulated from the Gaussian limit.
    """
    z = _z(alpha)
    ok = np.isfinite(se)
    if ok.sum() <= 1:  # one combination: the uniform band is the pointwise interval
        return z
    c = coefs[ok]
    if draws is not None:
        sup = np.abs((draws @ c.T) / se[ok]).max(axis=1)
    else:
        cov = _select_cov(c, vcov)
        sd = np.sqrt(np.diag(cov))
        corr = cov / np.outer(sd, sd)
        norm = rng.standard_normal((_SIM_DRAWS, len(sd)))
        # norm @ sqrt(corr) through the numerical range only: corr often has a low rank
        # (cells share comparison groups), so this is much cheaper than forming the root.
        vals, vecs = _eigh((corr + corr.T) / 2)
        keep = vals > vals.max() * 1e-10
        root = vecs[:, keep] * np.sqrt(vals[keep])
        sup = np.abs((norm @ vecs[:, keep]) @ root.T).max(axis=1)
    return max(float(np.quantile(sup, 1 - alpha, method="inverted_cdf")), z)


def _eigh(mat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """``numpy.linalg.eigh`` on one BLAS thread: for the few-hundred-square matrices here a
    threaded eigensolver is slower, and several times slower on a busy machine."""
    with threadpool_limits(limits=1, user_api="blas"):
        vals, vecs = np.linalg.eigh(mat)
    return np.asarray(vals, dtype=np.float64), np.asarray(vecs, dtype=np.float64)


def _select_cov(c: FloatArray, vcov: FloatArray) -> FloatArray:
    """``c @ vcov @ c.T``, by indexing when the rows of ``c`` select coordinates."""
    hit = c == 1.0
    if c.shape[0] and (hit.sum(axis=1) == 1).all() and ((c == 0.0) | hit).all():
        idx = np.argmax(hit, axis=1)
        return np.asarray(vcov[np.ix_(idx, idx)], dtype=np.float64)
    return np.asarray(c @ vcov @ c.T, dtype=np.float64)


#: Relative eigenvalue tolerance for the numerical rank of the pre-trend correlation matrix.
#: Eigenvalues computed from a Gram matrix carry rounding errors of about ``k * eps`` of the
#: largest one; sqrt(eps) (~1.5e-8) separates those from genuine variation with a wide margin.
_RANK_RTOL = float(np.sqrt(np.finfo(float).eps))
#: Reciprocal condition number (1-norm estimate, within a factor ~k of the truth) above
#: which the correlation matrix is certainly of full numerical rank: Cholesky is used.
_FAST_RCOND = 1e-4
#: Fewest treated units for a cell to enter the pre-trend test (one unit: no variance).
_MIN_TREATED = 2


@dataclass(frozen=True, repr=False)
class WaldTest(ResultMixin):
    """Wald test that all pre-treatment ATT(g, t) are zero (parallel pre-trends).

    The covariance of the pre-treatment cells can be singular, e.g. when a tiny cohort has
    (nearly) constant outcomes or cells duplicate each other. The test then uses the
    Moore-Penrose inverse on the covariance's numerical range, with ``df`` its numerical
    rank (a generalised Wald test). R ``did`` instead returns no statistic in that case.

    Attributes
    ----------
    statistic, df, p_value:
        Chi-squared statistic, degrees of freedom (numerical rank) and p-value; ``nan``,
        ``0`` and ``nan`` when the test is not available (see ``reason``).
    n_cells:
        Pre-treatment cells (reference cells of a universal base period excluded).
    n_excluded:
        Cells left out because their standard error is missing or (numerically) zero, or
        because they have a single treated unit (no estimable treated-side variance).
    rank:
        Numerical rank of the correlation matrix of the remaining cells (equals ``df``).
    reason:
        Why the test is degenerate or unavailable; empty when the covariance is regular.
    """

    statistic: float
    df: int
    p_value: float
    n_cells: int = 0
    n_excluded: int = 0
    rank: int = 0
    reason: str = ""

    @property
    def available(self) -> bool:
        """True if a statistic could be computed."""
        return self.df > 0 and bool(np.isfinite(self.statistic))

    def tidy(self) -> pd.DataFrame:
        """One row: term, statistic (chi-squared), df, p_value, n_cells, n_excluded, reason."""
        return pd.DataFrame(
            [
                {
                    "term": "pre-trend Wald test",
                    "statistic": self.statistic,
                    "df": self.df,
                    "p_value": self.p_value,
                    "n_cells": self.n_cells,
                    "n_excluded": self.n_excluded,
                    "reason": self.reason,
                }
            ]
        )

    def plot(self) -> Figure:
        """The statistic on its chi-squared reference distribution."""
        return _test_plot(self.statistic, self.df, stats.chi2(max(self.df, 1)), "Pre-trend Wald")

    def summary(self) -> str:
        """One line of text."""
        if not self.available:
            return f"Pre-trend Wald test: not available ({self.reason})"
        text = (
            f"Pre-trend Wald test: chi2({self.df}) = {self.statistic:.3f}, p = {self.p_value:.4f}"
        )
        return f"{text} ({self.reason})" if self.reason else text


def _solve_regular(corr: FloatArray, z: FloatArray) -> float | None:
    """``z' corr^-1 z`` by Cholesky when ``corr`` is clearly regular, else ``None``.

    A cheap path (a third of the flops of an eigen-decomposition): used only when the
    estimated reciprocal condition number is far above the rank tolerance, so the
    pseudo-inverse would keep every eigenvalue and give the same statistic.
    """
    with threadpool_limits(limits=1, user_api="blas"):  # see _eigh
        try:
            factor = linalg.cho_factor(corr, lower=True, check_finite=False)
        except linalg.LinAlgError:
            return None
        anorm = float(np.abs(corr).sum(axis=0).max())
        rcond, info = lapack.dpocon(factor[0], anorm, uplo="L")
        if info != 0 or not rcond > _FAST_RCOND:
            return None
        return float(z @ linalg.cho_solve(factor, z, check_finite=False))


def wald_test(
    estimate: FloatArray,
    vcov: FloatArray,
    std_error: FloatArray,
    n_treated: IntArray | None = None,
) -> WaldTest:
    """Generalised Wald test that ``estimate`` is zero, robust to a singular ``vcov``.

    Cells whose ``std_error`` is not finite (zero variance) are excluded, and so are cells
    with fewer than ``_MIN_TREATED`` treated units (``n_treated``): the treated side of
    their influence function is identically zero, so their variance is understated and a
    single unit's outcome change would look infinitely significant. The statistic is
    computed on the correlation scale (invariant to rescaling any cell) from the
    eigen-decomposition, keeping eigenvalues above ``_RANK_RTOL`` times the largest, so
    ``df`` is the numerical rank. Equal to ``a' V^-1 a`` when ``V`` is regular.
    """
    n_cells = len(estimate)
    ok = np.isfinite(std_error) & np.isfinite(estimate)
    n_zero = int(n_cells - ok.sum())
    small = np.zeros(n_cells, dtype=bool) if n_treated is None else n_treated < _MIN_TREATED
    n_small = int((ok & small).sum())
    ok &= ~small
    n_excl = n_zero + n_small
    idx = np.nonzero(ok)[0]
    parts = [f"{n_zero} cell(s) with zero variance excluded"] if n_zero else []
    if n_small:
        parts.append(f"{n_small} cell(s) with fewer than {_MIN_TREATED} treated units excluded")
    why = "; ".join(parts)
    if len(idx) == 0:
        reason = "no pre-treatment cell has a positive variance" + (f" ({why})" if why else "")
        return WaldTest(np.nan, 0, np.nan, n_cells, n_excl, 0, reason)
    v = vcov[np.ix_(idx, idx)]
    sd = np.sqrt(np.clip(np.diag(v), 0, None))
    if not (sd > 0).all():  # cannot happen with a finite standard error, but be safe
        reason = "covariance of the pre-treatment cells has a zero diagonal"
        return WaldTest(np.nan, 0, np.nan, n_cells, n_excl, 0, reason)
    corr = (v + v.T) / (2 * np.outer(sd, sd))
    z = estimate[idx] / sd
    regular = _solve_regular(corr, z)
    if regular is not None:  # well conditioned: the classical statistic, k = rank
        stat, rank = regular, len(idx)
    else:
        vals, vecs = _eigh(corr)
        keep = vals > _RANK_RTOL * max(float(vals.max()), 0.0)
        rank = int(keep.sum())
        if rank == 0:
            reason = "covariance of the pre-treatment cells is numerically zero"
            return WaldTest(np.nan, 0, np.nan, n_cells, n_excl, 0, reason)
        q = vecs[:, keep].T @ z
        stat = float(np.sum(q**2 / vals[keep]))
    if rank < len(idx):
        note = f"singular covariance: rank {rank} of {len(idx)} cells, pseudo-inverse used"
        why = f"{why}; {note}" if why else note
    return WaldTest(stat, rank, float(stats.chi2.sf(stat, rank)), n_cells, n_excl, rank, why)


def _test_plot(statistic: float, df: int, reference: Any, name: str) -> Figure:
    """A test statistic as a vertical line on the density of its reference distribution."""
    fig = Figure(figsize=(6, 3.5))
    ax = fig.add_subplot()
    top = max(float(reference.ppf(0.999)), statistic if np.isfinite(statistic) else 0.0)
    x = np.linspace(0.0, 1.05 * top, 400)
    ax.plot(x, reference.pdf(x), color="C7", label=f"chi-squared({max(df, 1)})")
    if np.isfinite(statistic):
        ax.axvline(statistic, color="C3", label=f"statistic {statistic:.3f}")
    ax.set_xlabel("statistic")
    ax.set_title(f"{name} test")
    ax.legend(fontsize="small")
    return fig


def _ci(est: FloatArray, se: FloatArray, crit: float) -> tuple[FloatArray, FloatArray]:
    return est - crit * se, est + crit * se


def _test_columns(est: FloatArray, se: FloatArray) -> dict[str, FloatArray]:
    """``statistic`` (z = estimate / std_error) and its two-sided normal ``p_value``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.asarray(est / se, dtype=np.float64)
    return {"statistic": z, "p_value": p_values(est, se)}


@dataclass(frozen=True, repr=False)
class EventStudyPretrend(ResultMixin):
    """Joint test that the pre-entry event-study effects in a window are all zero.

    The Wald statistic of the pre-entry effects (generalised to a singular covariance as
    in :func:`wald_test`) is referred to an F distribution with Hotelling's small-sample
    scaling, ``F = W (n - q) / (q (n - 1))`` on ``(q, n - q)`` degrees of freedom, where
    ``n`` is the number of treated units behind the pre-entry effects and ``q`` the rank.
    The covariance is estimated from those ``n`` units, so with few of them (a pilot's
    monthly cohorts) the chi-squared reference over-rejects: in 1,000 seeded simulations
    with about 100 treated units in 8 monthly cohorts and 12 pre-entry months it rejected
    true parallel trends in 11.7% at the 5% level, the F reference in 4.9%
    (``tests/did/test_did_pretrend.py``).

    Attributes
    ----------
    statistic:
        Wald chi-squared statistic ``W``.
    df:
        Its degrees of freedom ``q`` (numerical rank).
    p_value:
        Small-sample p-value (F reference); ``nan`` when ``n <= q``.
    p_value_asymptotic:
        Chi-squared p-value (large-sample reference, as R ``did``).
    n_treated:
        Treated units in the cohorts behind the pre-entry effects (``n``).
    event_times:
        The pre-entry event times tested.
    reason:
        Why the test is unavailable or what was excluded; empty otherwise.
    """

    statistic: float
    df: int
    p_value: float
    p_value_asymptotic: float
    n_treated: int
    event_times: tuple[int, ...]
    reason: str = ""

    @property
    def available(self) -> bool:
        """True if a p-value could be computed."""
        return self.df > 0 and bool(np.isfinite(self.p_value))

    def tidy(self) -> pd.DataFrame:
        """One row: term, statistic (Wald chi-squared), df, p_value (small-sample F),
        p_value_asymptotic, n_treated, event_times, reason."""
        return pd.DataFrame(
            [
                {
                    "term": "event-study pre-trend test",
                    "statistic": self.statistic,
                    "df": self.df,
                    "p_value": self.p_value,
                    "p_value_asymptotic": self.p_value_asymptotic,
                    "n_treated": self.n_treated,
                    "event_times": " ".join(map(str, self.event_times)),
                    "reason": self.reason,
                }
            ]
        )

    def plot(self) -> Figure:
        """The statistic on its chi-squared reference (the p-value uses the F scaling)."""
        return _test_plot(
            self.statistic, self.df, stats.chi2(max(self.df, 1)), "Event-study pre-trend"
        )

    def summary(self) -> str:
        """One line of text."""
        if not self.available:
            return f"Event-study pre-trend test: not available ({self.reason})"
        return (
            f"Event-study pre-trend test ({len(self.event_times)} pre-entry event times, "
            f"{self.n_treated} treated units): Wald chi2({self.df}) = {self.statistic:.3f}, "
            f"small-sample p = {self.p_value:.4f} (asymptotic p = {self.p_value_asymptotic:.4f})"
        )


def event_study_pretrend(
    dynamic: AggregateResult, cohort: FloatArray, n_treated: IntArray
) -> EventStudyPretrend | None:
    """The :class:`EventStudyPretrend` of a dynamic aggregation; ``None`` without pre-entry
    event times. ``cohort`` and ``n_treated`` are the cells' (of the :class:`AttGtResult`).
    """
    pre = np.nonzero(dynamic.labels < 0)[0]
    if pre.size == 0:
        return None
    times = tuple(int(e) for e in dynamic.labels[pre])
    w = np.where(np.isfinite(dynamic.coefs[pre]), dynamic.coefs[pre], 0.0)
    n_cells = len(cohort)
    used = np.abs(w[:, :n_cells]).sum(axis=0) > 0
    sizes = {float(g): int(n) for g, n in zip(cohort[used], n_treated[used], strict=True)}
    n = int(sum(sizes.values()))
    wald = wald_test(
        dynamic.element_estimate[pre],
        w @ dynamic.cell_vcov @ w.T,
        dynamic.element_std_error[pre],
    )
    q = wald.df
    if not wald.available:
        return EventStudyPretrend(np.nan, 0, np.nan, np.nan, n, times, wald.reason)
    p_chi2 = float(stats.chi2.sf(wald.statistic, q))
    if n <= q:
        reason = f"{n} treated units for {q} pre-entry effects: too few for the test"
        return EventStudyPretrend(wald.statistic, q, np.nan, p_chi2, n, times, reason)
    f_stat = wald.statistic * (n - q) / (q * (n - 1))
    p_f = float(stats.f.sf(f_stat, q, n - q))
    return EventStudyPretrend(wald.statistic, q, p_f, p_chi2, n, times, wald.reason)


@dataclass(frozen=True, repr=False)
class AggregateResult(ResultMixin):
    """An aggregation of group-time effects (R ``did::aggte``).

    Attributes
    ----------
    kind:
        ``"simple"``, ``"group"``, ``"dynamic"`` or ``"calendar"``.
    estimate, std_error, conf_low, conf_high:
        The overall effect, its standard error and pointwise ``1 - alpha`` interval.
    labels:
        Event time, cohort or period of each element (empty for ``simple``).
    element_estimate, element_std_error:
        Effects by element.
    crit_pointwise, crit_uniform:
        Critical values for the element intervals; ``tidy()`` uses the uniform one when a
        bootstrap was run (simultaneous bands, as R ``did`` with ``cband=TRUE``).
    left_out:
        Group-time cells the aggregation left out because they could not be estimated.
    element_n_treated, n_treated:
        Treated units (cohort sizes summed) behind each element and behind the overall.
    wild:
        Wild cluster bootstrap-t of the elements and, in its last row, the overall effect
        (with ``BootstrapSpec(kind="wild_cluster")``); ``tidy()`` then has
        ``p_value_wild``, ``conf_low_wild`` and ``conf_high_wild``.
    """

    kind: Kind
    estimate: float
    std_error: float
    conf_low: float
    conf_high: float
    labels: FloatArray
    element_estimate: FloatArray
    element_std_error: FloatArray
    crit_pointwise: float
    alpha: float
    bootstrap: bool
    options: dict[str, Any] = field(default_factory=dict)
    coefs: FloatArray = field(default_factory=lambda: np.zeros((0, 0)), repr=False)
    cell_vcov: FloatArray = field(default_factory=lambda: np.zeros((0, 0)), repr=False)
    draws: FloatArray | None = field(default=None, repr=False)
    seed: int | None = field(default=None, repr=False)
    left_out: tuple[str, ...] = ()
    wild: WildTest | None = field(default=None, repr=False)
    element_n_treated: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    n_treated: int = 0

    @functools.cached_property
    def crit_uniform(self) -> float:
        """Critical value of the simultaneous band over the elements (sup-t)."""
        if self.kind == "simple":
            return self.crit_pointwise
        rng = np.random.default_rng(self.seed if self.seed is not None else 0)
        return uniform_crit(
            self.coefs, self.cell_vcov, self.draws, self.element_std_error, self.alpha, rng
        )

    def vcov(self) -> pd.DataFrame:
        """Covariance of the element estimates (event times for ``dynamic``), indexed by label.

        The analytic influence-function covariance (also with a bootstrap), including the
        uncertainty of the estimated cohort shares: pass it with ``element_estimate`` (or
        ``tidy()["estimate"]``) to other software (e.g. R ``HonestDiD``). Its diagonal is
        ``element_std_error ** 2`` when the standard errors are analytic. Elements without
        weights get ``nan``. The ``simple`` aggregation gives a 1 x 1 frame labelled ``ATT``.

        Returns
        -------
        pandas.DataFrame
            Square, indexed and labelled by ``event_time`` / ``cohort`` / ``time``.
        """
        if self.kind == "simple":
            return pd.DataFrame([[self.std_error**2]], index=["ATT"], columns=["ATT"])
        finite: npt.NDArray[np.bool_] = np.asarray(np.isfinite(self.coefs).all(axis=1))
        c = np.where(finite[:, None], self.coefs, 0.0)
        cov = c @ self.cell_vcov @ c.T
        cov[~finite, :] = np.nan
        cov[:, ~finite] = np.nan
        labels = pd.Index(self.labels.astype(np.int64), name=self.label_name)
        return pd.DataFrame(cov, index=labels, columns=labels)

    def element_vcov(self) -> pd.DataFrame:
        """Alias of :meth:`vcov` (its name before ``vcov()`` became the public one)."""
        return self.vcov()

    def sensitivity(
        self,
        restriction: Restriction = "relative_magnitude",
        values: Sequence[float] | FloatArray | None = None,
        *,
        e: int = 0,
        weights: Mapping[int, float] | Sequence[float] | None = None,
        method: SensitivityMethod | None = None,
        alpha: float | None = None,
        grid_points: int = 1000,
        seed: int = 0,
    ) -> SensitivityResult:
        """Sensitivity of an event-study effect to violations of parallel trends (Rambachan &
        Roth 2023, R ``HonestDiD``); ``dynamic`` aggregations of a universal base period only.

        See :func:`evaluation.estimators.did.sensitivity.honest_sensitivity` for the
        restrictions (``"relative_magnitude"``, ``"smoothness"``), ``values``, the target
        (``e`` or ``weights``) and the methods (``"C-LF"``, ``"FLCI"``, ``"conditional"``).
        """
        if self.kind != "dynamic":
            raise OptionError(
                f"sensitivity() needs the event study, not a {self.kind!r} aggregation",
                where="sensitivity()",
                fix="call result.aggregate('dynamic').sensitivity(...)",
            )
        return honest_sensitivity(
            self.element_estimate,
            self.vcov().to_numpy(),
            self.labels,
            restriction=restriction,
            values=values,
            e=e,
            weights=weights,
            method=method,
            alpha=self.alpha if alpha is None else alpha,
            grid_points=grid_points,
            seed=seed,
        )

    @property
    def label_name(self) -> str:
        """Column name of the element labels in ``tidy()``."""
        return {"dynamic": "event_time", "group": "cohort", "calendar": "time"}.get(
            self.kind, "term"
        )

    def tidy(self) -> pd.DataFrame:
        """Effects by element.

        Columns: ``event_time`` / ``cohort`` / ``time`` (by kind; ``term`` for ``simple``,
        which has the overall row only), ``estimate``, ``std_error``, ``conf_low``,
        ``conf_high`` (uniform band with bootstrap, else pointwise), ``statistic`` (z) and
        ``p_value`` (two-sided, pointwise), ``conf_low_pointwise``, ``conf_high_pointwise``,
        ``conf_low_uniform``, ``conf_high_uniform``, ``n_treated``.
        """
        if self.kind == "simple":
            overall = pd.DataFrame(
                {
                    "term": ["ATT"],
                    "estimate": [self.estimate],
                    "std_error": [self.std_error],
                    "conf_low": [self.conf_low],
                    "conf_high": [self.conf_high],
                    **_test_columns(np.array([self.estimate]), np.array([self.std_error])),
                }
            )
            return self._with_wild(overall, slice(-1, None))
        est, se = self.element_estimate, self.element_std_error
        lo_p, hi_p = _ci(est, se, self.crit_pointwise)
        lo_u, hi_u = _ci(est, se, self.crit_uniform)
        labels: npt.NDArray[Any] = self.labels.astype(np.int64)
        frame = pd.DataFrame(
            {
                self.label_name: labels,
                "estimate": est,
                "std_error": se,
                "conf_low": lo_u if self.bootstrap else lo_p,
                "conf_high": hi_u if self.bootstrap else hi_p,
                **_test_columns(est, se),
                "conf_low_pointwise": lo_p,
                "conf_high_pointwise": hi_p,
                "conf_low_uniform": lo_u,
                "conf_high_uniform": hi_u,
                "n_treated": self._element_sizes(),
            }
        )
        return self._with_wild(frame, slice(0, -1))

    def _with_wild(self, frame: pd.DataFrame, rows: slice) -> pd.DataFrame:
        """Add the wild cluster bootstrap columns (rows of ``self.wild``), if run."""
        if self.wild is None:
            return frame
        w = self.wild
        return frame.assign(
            p_value_wild=w.p_value[rows],
            conf_low_wild=w.conf_low[rows],
            conf_high_wild=w.conf_high[rows],
        )

    def _element_sizes(self) -> IntArray:
        n_el = len(self.element_estimate)
        if len(self.element_n_treated) == n_el:
            return self.element_n_treated
        return np.zeros(n_el, dtype=np.int64)

    def summary(self) -> str:
        """Text summary of the overall effect and the elements, with significance marks."""
        pct = round(100 * (1 - self.alpha))
        mark = marks(p_values(np.array([self.estimate]), np.array([self.std_error])))[0]
        lines = [
            f"Aggregated ATT ({self.kind}), Callaway & Sant'Anna (2021)",
            f"  overall: {self.estimate:.4f} (SE {self.std_error:.4f}) {mark}".rstrip()
            + f", {pct}% CI [{self.conf_low:.4f}, {self.conf_high:.4f}], "
            f"{unit_count(self.n_treated)} treated",
        ]
        if self.wild is not None:
            w = self.wild
            lines.append(
                f"  wild cluster bootstrap-t ({w.reps} draws, {w.weights} weights, "
                f"{w.n_clusters} clusters, null imposed): p = {w.p_value[-1]:.4f}, "
                f"{pct}% CI [{w.conf_low[-1]:.4f}, {w.conf_high[-1]:.4f}]"
            )
        if self.kind != "simple":
            band = "simultaneous" if self.bootstrap else "pointwise"
            lines.append(f"  by {self.label_name} ({band} {pct}% intervals):")
            tab = self.tidy()
            shown = [self.label_name, "estimate", "std_error", "conf_low", "conf_high"]
            tab = tab[[*shown, "n_treated"]].assign(
                signif=marks(p_values(self.element_estimate, self.element_std_error))
            )
            lines.append(tab.to_string(index=False, float_format="%.4f"))
        lines.append(MARKS_LEGEND)
        if self.left_out:
            lines.append(f"  left out (not estimable): {'; '.join(self.left_out)}")
        return "\n".join(lines)

    def plot(self) -> Figure:
        """Estimates by element: pointwise intervals (error bars), the uniform band (shaded
        bars) only with a bootstrap, and the treated units behind each element."""
        fig = Figure(figsize=(7, 4))
        ax = fig.add_subplot()
        if self.kind == "simple":
            ax.errorbar(
                [0],
                [self.estimate],
                yerr=[[self.estimate - self.conf_low], [self.conf_high - self.estimate]],
                fmt="o",
                capsize=4,
            )
            ax.set_xticks([0], [f"ATT\n(n={self.n_treated})"])
        else:
            self._plot_elements(ax)
        ax.axhline(0, color="black", linewidth=0.8)
        if self.kind == "dynamic":
            ax.axvline(-0.5, color="grey", linestyle=":", linewidth=0.8)
        ax.set_ylabel("ATT")
        ax.set_title(f"Callaway & Sant'Anna: {self.kind} aggregation")
        return fig

    def _plot_elements(self, ax: Any) -> None:
        tab = self.tidy()
        x = tab[self.label_name].to_numpy(dtype=float)
        est = tab["estimate"].to_numpy()
        if self.bootstrap:  # a simultaneous band is only shown when bootstrapped
            ax.vlines(
                x,
                tab["conf_low_uniform"].to_numpy(),
                tab["conf_high_uniform"].to_numpy(),
                linewidth=10,
                alpha=0.2,
                color="C0",
                label=f"uniform {100 * (1 - self.alpha):.0f}% band (bootstrap)",
            )
        sizes = tab["n_treated"].to_numpy()
        ax.set_xticks(x, [f"{v:g}\n(n={n})" for v, n in zip(x, sizes, strict=True)])
        pre = x < 0 if self.kind == "dynamic" else np.zeros(len(x), dtype=bool)
        for mask, colour, name in ((pre, "C7", "pre-treatment"), (~pre, "C0", "effect")):
            if mask.any():
                ax.errorbar(
                    x[mask],
                    est[mask],
                    yerr=[
                        est[mask] - tab["conf_low_pointwise"].to_numpy()[mask],
                        tab["conf_high_pointwise"].to_numpy()[mask] - est[mask],
                    ],
                    fmt="o",
                    color=colour,
                    capsize=3,
                    label=f"{name} (pointwise interval)",
                )
        ax.set_xlabel(self.label_name.replace("_", " ") + " (n = treated units)")
        ax.legend(loc="best", fontsize="small")


@dataclass(frozen=True, repr=False)
class AttGtResult(ResultMixin):
    """Group-time average treatment effects ATT(g, t) (R ``did::att_gt``).

    Attributes
    ----------
    cohort, time, base_period:
        Cohort (first treated period), current period and base period of each cell.
    estimate, std_error:
        ATT(g, t) and its standard error (``nan`` for universal-base reference cells).
    n_treated, n_control:
        Units in the treated cohort and in the comparison cohorts of each cell.
    vcov:
        Covariance of ``(ATT(g, t), cohort shares)``; the cohort-share block carries the
        uncertainty of the estimated aggregation weights.
    draws:
        Multiplier-bootstrap draws (centred) of the same vector, or ``None``.
    cohorts, cohort_share:
        Treated cohorts and their weighted population shares.
    na_reason:
        Per cell, why it could not be estimated (its estimate is then ``nan``): ``"too few
        treated"``, ``"too few controls"``, ``"separation"`` or ``"singular"``; ``""`` if
        it was estimated.
    few_cluster:
        The estimation sample kept for few-cluster inference (wild cluster bootstrap,
        :func:`randomization_inference`); ``None`` with covariates or unbalanced panels.
    """

    cohort: FloatArray
    time: IntArray
    base_period: IntArray
    group: IntArray
    reference: npt.NDArray[np.bool_]
    estimate: FloatArray
    std_error: FloatArray
    crit_pointwise: float
    n_treated: IntArray
    n_control: IntArray
    vcov: FloatArray
    draws: FloatArray | None
    cohorts: FloatArray
    cohort_share: FloatArray
    periods: IntArray
    n_units: int
    n_clusters: int
    alpha: float
    seed: int | None
    options: dict[str, Any]
    notes: tuple[str, ...] = ()
    na_reason: tuple[str, ...] = ()
    few_cluster: FewClusterData | None = field(default=None, repr=False)

    @property
    def n_cells(self) -> int:
        """Number of group-time cells."""
        return len(self.estimate)

    @property
    def cohort_sizes(self) -> tuple[int, ...]:
        """Units in each treated cohort (as ``cohorts``)."""
        out = []
        for gi in range(len(self.cohorts)):
            cells = np.nonzero(self.group == gi)[0]
            out.append(int(self.n_treated[cells[0]]) if len(cells) else 0)
        return tuple(out)

    def _units_behind(self, coefs: FloatArray) -> IntArray:
        """Treated units (cohort sizes summed) behind each row of aggregation coefficients."""
        sizes = np.asarray(self.cohort_sizes, dtype=np.int64)
        used = np.abs(np.nan_to_num(coefs[:, : self.n_cells])) > 0
        out = [int(sizes[np.unique(self.group[row])].sum()) for row in used]
        return np.asarray(out, dtype=np.int64)

    @functools.cached_property
    def crit_uniform(self) -> float:
        """Critical value of the simultaneous band over all cells (sup-t)."""
        eye = np.eye(self.n_cells, len(self.vcov))
        rng = np.random.default_rng(self.seed if self.seed is not None else 0)
        return uniform_crit(eye, self.vcov, self.draws, self.std_error, self.alpha, rng)

    def tidy(self) -> pd.DataFrame:
        """One row per cell.

        Columns: ``cohort``, ``time``, ``estimate``, ``std_error``, ``conf_low``, ``conf_high``
        (simultaneous band with bootstrap, else pointwise), ``statistic`` (z), ``p_value``
        (two-sided, pointwise), ``event_time``, ``base_period``,
        ``post``, ``n_treated``, ``n_control``, ``conf_low_pointwise``, ``conf_high_pointwise``,
        ``conf_low_uniform``, ``conf_high_uniform``, ``na_reason`` (why a cell is NA).
        """
        lo_p, hi_p = _ci(self.estimate, self.std_error, self.crit_pointwise)
        lo_u, hi_u = _ci(self.estimate, self.std_error, self.crit_uniform)
        boot = self.draws is not None
        return pd.DataFrame(
            {
                "cohort": self.cohort.astype(np.int64),
                "time": self.time,
                "estimate": self.estimate,
                "std_error": self.std_error,
                "conf_low": lo_u if boot else lo_p,
                "conf_high": hi_u if boot else hi_p,
                **_test_columns(self.estimate, self.std_error),
                "event_time": (self.time - self.cohort).astype(np.int64),
                "base_period": self.base_period,
                "post": self.cohort <= self.time,
                "n_treated": self.n_treated,
                "n_control": self.n_control,
                "conf_low_pointwise": lo_p,
                "conf_high_pointwise": hi_p,
                "conf_low_uniform": lo_u,
                "conf_high_uniform": hi_u,
                "na_reason": list(self.na_reason or ("",) * self.n_cells),
            }
        )

    def aggregate(
        self,
        kind: Kind = "group",
        *,
        min_e: float = -np.inf,
        max_e: float = np.inf,
        balance_e: int | None = None,
        alpha: float | None = None,
    ) -> AggregateResult:
        """Aggregate ATT(g, t) into a summary parameter, as R ``did::aggte``.

        Parameters
        ----------
        kind:
            ``"simple"`` (share-weighted average of post-treatment cells), ``"group"`` (by
            cohort; the default, as in R), ``"dynamic"`` (by event time ``t - g``) or
            ``"calendar"`` (by period).
        min_e, max_e:
            Event-time window (``dynamic``); ``max_e`` also caps post cells in the others.
        balance_e:
            ``dynamic`` only: keep cohorts observed for at least ``balance_e`` periods after
            treatment and event times ``<= balance_e`` (a balanced event window).
        alpha:
            Significance level (default: the one given to ``att_gt``).
        """
        a = self.alpha if alpha is None else alpha
        usable = np.isfinite(self.estimate)
        att = np.where(usable, self.estimate, 0.0)
        aw = aggregation_weights(
            kind,
            att=att,
            cohort=self.cohort,
            time=self.time,
            group=self.group,
            share=self.cohort_share,
            cohorts=self.cohorts,
            periods=self.periods,
            min_e=min_e,
            max_e=max_e,
            balance_e=balance_e,
            usable=usable,
        )
        k = self.n_cells
        theta_all = np.append(att, np.zeros(len(self.cohorts)))
        se_el = linear_se(aw.elements, self.vcov, self.draws)
        est_el = np.where(
            np.isfinite(aw.elements).all(axis=1), np.nan_to_num(aw.elements) @ theta_all, np.nan
        )
        est = float(aw.overall[:k] @ att)
        se = float(linear_se(aw.overall[None, :], self.vcov, self.draws)[0])
        z = _z(a)
        simple = kind == "simple"
        return AggregateResult(
            kind=kind,
            estimate=est,
            std_error=se,
            conf_low=est - z * se,
            conf_high=est + z * se,
            labels=np.array([]) if simple else aw.labels,
            element_estimate=np.array([]) if simple else est_el,
            element_std_error=np.array([]) if simple else se_el,
            crit_pointwise=z,
            alpha=a,
            bootstrap=self.draws is not None,
            options={"min_e": min_e, "max_e": max_e, "balance_e": balance_e},
            coefs=aw.elements,
            cell_vcov=self.vcov,
            draws=self.draws,
            seed=self.seed,
            left_out=self._left_out(kind, min_e, max_e),
            wild=None
            if self.few_cluster is None
            else self.few_cluster.wild(np.vstack([aw.elements, aw.overall[None, :]]), a),
            element_n_treated=np.zeros(0, np.int64) if simple else self._units_behind(aw.elements),
            n_treated=int(self._units_behind(aw.overall[None, :])[0]),
        )

    def _left_out(self, kind: Kind, min_e: float, max_e: float) -> tuple[str, ...]:
        """The NA cells an aggregation of ``kind`` would otherwise have used."""
        event = self.time - self.cohort
        used = (event >= min_e) if kind == "dynamic" else (event >= 0)
        used &= event <= max_e
        na = used & ~np.isfinite(self.estimate) & ~self.reference
        reason = self.na_reason or ("",) * self.n_cells
        return tuple(
            f"cohort {self.cohort[k]:g}, period {self.time[k]} ({reason[k] or 'NA'})"
            for k in np.nonzero(na)[0]
        )

    def pretrend_test(self) -> WaldTest | None:
        """Wald test that all pre-treatment ATT(g, t) are zero; ``None`` without pre cells.

        Uses the analytic covariance (as R ``did``, also with a bootstrap). Cells with zero
        variance or a single treated unit are excluded and a singular covariance is handled
        by a pseudo-inverse on its numerical range (``df`` = rank); see :class:`WaldTest`
        (``n_excluded``, ``rank``, ``reason``). When no direction has positive variance the
        statistic is ``nan``.
        """
        idx = np.nonzero((self.cohort > self.time) & ~self.reference)[0]
        if len(idx) == 0:
            return None
        v = self.vcov[np.ix_(idx, idx)]
        return wald_test(self.estimate[idx], v, self.std_error[idx], self.n_treated[idx])

    def event_study_pretrend(
        self, *, min_e: float = -np.inf, max_e: float = np.inf
    ) -> EventStudyPretrend | None:
        """Joint test of the pre-entry event-study effects with ``min_e <= e < 0``.

        The test the toolkit rates designs on: the event-study effects average the
        cohorts, so tiny monthly cohorts do not dominate it as they do the cell-level
        :meth:`pretrend_test`, and a small-sample F reference keeps its size with few
        treated units (see :class:`EventStudyPretrend`). ``None`` without pre-entry cells.
        """
        dynamic = self.aggregate("dynamic", min_e=min_e, max_e=max_e)
        return event_study_pretrend(dynamic, self.cohort, self.n_treated)

    def summary(self) -> str:
        """Text summary: options, cohort sizes, the ATT(g, t) table with significance marks
        and the pre-trend test."""
        o = self.options
        pct = round(100 * (1 - self.alpha))
        band = "simultaneous" if self.draws is not None else "pointwise"
        tab = self.tidy()
        shown = ["cohort", "time", "estimate", "std_error", "conf_low", "conf_high"]
        tab = tab[[*shown, "n_treated"]].assign(
            signif=marks(p_values(self.estimate, self.std_error))
        )
        lines = [
            "Group-time ATT, Callaway & Sant'Anna (2021)",
            f"  units: {self.n_units}, clusters: {self.n_clusters}, periods: {len(self.periods)}, "
            f"cohorts: {', '.join(f'{g:g}' for g in self.cohorts)}",
            cohort_sizes_line(self.cohorts, self.cohort_sizes),
            f"  control group: {o.get('control_group')}, method: {o.get('method')}, "
            f"base period: {o.get('base_period')}, anticipation: {o.get('anticipation')}",
            f"  standard errors: {o.get('se_kind')}; {pct}% {band} intervals",
            tab.to_string(index=False, float_format="%.4f"),
            MARKS_LEGEND,
        ]
        test = self.pretrend_test()
        if test is not None:
            lines.append(test.summary())
        lines.extend(f"  note: {n}" for n in self.notes)
        return "\n".join(lines)

    def plot(self) -> Figure:
        """ATT(g, t) by period, one panel per cohort (titled with its size), pointwise bars,
        and the uniform band (shaded) only when bootstrapped."""
        tab = self.tidy()
        n_g = len(self.cohorts)
        boot = self.draws is not None
        fig = Figure(figsize=(7, 2.2 * n_g + 0.5))
        axes = fig.subplots(n_g, 1, sharex=True, squeeze=False)[:, 0]
        for ax, g, size in zip(axes, self.cohorts, self.cohort_sizes, strict=True):
            sub = tab[tab["cohort"] == int(g)]
            x = sub["time"].to_numpy(dtype=float)
            est = sub["estimate"].to_numpy()
            if boot:
                ax.vlines(
                    x,
                    sub["conf_low_uniform"].to_numpy(),
                    sub["conf_high_uniform"].to_numpy(),
                    color="C0",
                    linewidth=10,
                    alpha=0.2,
                )
            ax.set_xticks(x)
            post = sub["post"].to_numpy()
            for mask, colour in ((~post, "C7"), (post, "C0")):
                ax.errorbar(
                    x[mask],
                    est[mask],
                    yerr=[
                        est[mask] - sub["conf_low_pointwise"].to_numpy()[mask],
                        sub["conf_high_pointwise"].to_numpy()[mask] - est[mask],
                    ],
                    fmt="o",
                    color=colour,
                    capsize=3,
                )
            ax.axhline(0, color="black", linewidth=0.8)
            ax.set_title(f"cohort {g:g} ({unit_count(size)})", fontsize="small")
            ax.set_ylabel("ATT")
        axes[-1].set_xlabel("period")
        shaded = "; shaded: uniform band (bootstrap)" if boot else ""
        fig.suptitle(f"Group-time ATT (grey: pre-treatment; bars: pointwise{shaded})")
        return fig
