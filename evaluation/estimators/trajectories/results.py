"""Immutable results of the group-based trajectory models."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy import stats
from scipy.special import expit

from evaluation.contract import ResultMixin, alpha_of_level, scalar_fields
from evaluation.errors import OptionError
from evaluation.estimators.trajectories.kernels import (
    Family,
    MixtureFit,
    group_diagnostics,
    mean_curve,
    relative_entropy,
)

#: Columns of :meth:`TrajectoryModel.tidy`.
TIDY_COLUMNS = (
    "term",
    "group",
    "estimate",
    "std_error",
    "statistic",
    "p_value",
    "conf_low",
    "conf_high",
)

#: Columns of :meth:`TrajectoryResult.selection` (one row per number of groups).
SELECTION_COLUMNS = (
    "groups",
    "loglik",
    "n_params",
    "bic",
    "aic",
    "entropy",
    "smallest_share",
    "smallest_avepp",
    "smallest_occ",
    "converged",
    "chosen",
)

#: Nagin's (2005) rules of thumb for adequate groups, quoted in summaries.
AVEPP_MIN = 0.7
OCC_MIN = 5.0

Array = np.ndarray[Any, np.dtype[np.float64]]


@dataclass(frozen=True, eq=False, repr=False)
class TrajectoryModel(ResultMixin):
    """One fitted K-group trajectory model.

    Groups are numbered 1..K from the lowest to the highest mean trajectory. Coefficients
    are on the scaled time ``s = (t - time_centre) / time_scale``.
    """

    tidy_columns: ClassVar[tuple[str, ...]] = TIDY_COLUMNS

    fit: MixtureFit
    person_ids: pd.Index
    times: Array
    basis: Array
    time_centre: float
    time_scale: float
    observed: Array
    outcome: str
    level: float

    @property
    def n_groups(self) -> int:
        """Number of groups K."""
        return self.fit.n_groups

    @property
    def n_persons(self) -> int:
        """Persons in the model."""
        return len(self.person_ids)

    @property
    def loglik(self) -> float:
        """Maximised log-likelihood (with the density constants, as R's ``logLik``)."""
        return self.fit.loglik

    @property
    def bic(self) -> float:
        """``-2 loglik + n_params log(persons)`` (smaller is better; Nagin counts persons).

        SAS/Stata ``traj`` print ``loglik - n_params log(persons) / 2`` (larger is better;
        the report's -3 499 947, ``001_…`` l.5702), which is ``-bic / 2``.
        """
        return -2.0 * self.fit.loglik + self.fit.n_params * float(np.log(self.n_persons))

    @property
    def aic(self) -> float:
        """``-2 loglik + 2 n_params``."""
        return -2.0 * self.fit.loglik + 2.0 * self.fit.n_params

    @property
    def entropy(self) -> float:
        """Relative entropy of the posterior (1 = every person clearly in one group)."""
        return relative_entropy(self.fit.posterior)

    def glance(self) -> pd.DataFrame:
        """One row: the scalar attributes (``outcome``, time scaling, ``level``), groups,
        persons, fit (log-likelihood, parameters, BIC, AIC, entropy), convergence and
        ``alpha``."""
        return pd.DataFrame(
            [
                {
                    **scalar_fields(self),
                    "groups": self.n_groups,
                    "persons": self.n_persons,
                    "loglik": self.loglik,
                    "n_params": self.fit.n_params,
                    "bic": self.bic,
                    "aic": self.aic,
                    "entropy": self.entropy,
                    "converged": self.fit.converged,
                    "alpha": alpha_of_level(self.level),
                }
            ]
        )

    def _z(self) -> float:
        return float(stats.norm.ppf(0.5 + self.level / 2))

    def _block(self, k: int) -> tuple[int, int]:
        """Start and end of group ``k``'s parameters in the covariance (0-based k)."""
        width = self.basis.shape[1] + (1 if self.fit.gamma is not None else 0)
        return k * width, (k + 1) * width

    def _prior_se(self) -> Array:
        k = self.n_groups
        if k == 1:
            return np.zeros(1)
        pi = self.fit.prior
        start = self._block(k - 1)[1]
        v = self.fit.covariance[start:, start:]
        jac = np.diag(pi)[:, 1:] - np.outer(pi, pi[1:])
        return np.sqrt(np.maximum(np.diag(jac @ v @ jac.T), 0.0))

    def groups(self) -> pd.DataFrame:
        """Group sizes and adequacy: ``group, share, share_se, assigned, assigned_share,
        avepp, occ``.

        ``share`` is the estimated group probability; ``assigned`` counts persons whose
        largest posterior is the group. AvePP >= 0.7 and OCC >= 5 are Nagin's rules of
        thumb for well-separated groups.
        """
        diag = group_diagnostics(self.fit.posterior, self.fit.prior)
        return pd.DataFrame(
            {
                "group": np.arange(1, self.n_groups + 1),
                "share": self.fit.prior,
                "share_se": self._prior_se(),
                "assigned": diag["assigned"].astype(int),
                "assigned_share": diag["assigned"] / self.n_persons,
                "avepp": diag["avepp"],
                "occ": diag["occ"],
            }
        )

    def _link_gradient(self, k: int) -> Array:
        """Gradient of the link-scale mean w.r.t. group k's parameters, ``(T, width)``."""
        if self.fit.gamma is None:
            return self.basis
        w = float(expit(self.fit.gamma[k]))
        return np.hstack([self.basis, np.full((len(self.times), 1), -w)])

    def trajectories(self) -> pd.DataFrame:
        """Group trajectories with bands: ``group, time, estimate, std_error, conf_low,
        conf_high, observed``.

        ``estimate`` is the expected outcome; ``std_error`` is on the link scale (log or
        logit of the mean) and the band is the link-scale Wald interval transformed back.
        ``observed`` is the posterior-weighted observed mean.
        """
        fit = self.fit
        mean = mean_curve(fit.beta, fit.gamma, self.basis, fit.family, fit.trials)
        z = self._z()
        rows = []
        for k in range(self.n_groups):
            a, b = self._block(k)
            grad = self._link_gradient(k)
            var = np.einsum("tp,pq,tq->t", grad, fit.covariance[a:b, a:b], grad)
            se = np.sqrt(np.maximum(var, 0.0))
            link = _link(mean[k], fit.family, fit.trials)
            low = _inverse_link(link - z * se, fit.family, fit.trials)
            high = _inverse_link(link + z * se, fit.family, fit.trials)
            rows.append(
                pd.DataFrame(
                    {
                        "group": k + 1,
                        "time": self.times,
                        "estimate": mean[k],
                        "std_error": se,
                        "conf_low": low,
                        "conf_high": high,
                        "observed": self.observed[k],
                    }
                )
            )
        return pd.concat(rows, ignore_index=True)

    def membership(self) -> pd.DataFrame:
        """Posterior group membership: ``<person>, group, prob_1 .. prob_K``.

        ``group`` is the group with the largest posterior probability (1-based).
        """
        post = self.fit.posterior
        out = pd.DataFrame({self.person_ids.name or "person_id": self.person_ids})
        out["group"] = post.argmax(axis=1) + 1
        for k in range(self.n_groups):
            out[f"prob_{k + 1}"] = post[:, k]
        return out

    def _terms(self) -> list[str]:
        names = ["intercept"] + [f"time^{j}" for j in range(1, self.basis.shape[1])]
        if self.fit.gamma is not None:
            names.append("zero_inflation_logit")
        return names

    def tidy(self) -> pd.DataFrame:
        """Coefficients per group and group shares (columns :data:`TIDY_COLUMNS`).

        Coefficient terms are ``intercept, time^1.. time^degree`` (scaled time) and, for
        ``zip``, ``zero_inflation_logit``; ``share`` rows give the group probabilities.
        """
        fit = self.fit
        se_all = np.sqrt(np.maximum(np.diag(fit.covariance), 0.0))
        rows = []
        for k in range(self.n_groups):
            a, b = self._block(k)
            est = list(fit.beta[k]) + ([float(fit.gamma[k])] if fit.gamma is not None else [])
            for term, e, s in zip(self._terms(), est, se_all[a:b], strict=True):
                rows.append((term, k + 1, e, s))
        for k, (p, s) in enumerate(zip(fit.prior, self._prior_se(), strict=True)):
            rows.append(("share", k + 1, float(p), float(s)))
        out = pd.DataFrame(rows, columns=["term", "group", "estimate", "std_error"])
        z = self._z()
        with np.errstate(divide="ignore", invalid="ignore"):
            out["statistic"] = out["estimate"] / out["std_error"]
        out["p_value"] = 2 * stats.norm.sf(np.abs(out["statistic"]))
        out["conf_low"] = out["estimate"] - z * out["std_error"]
        out["conf_high"] = out["estimate"] + z * out["std_error"]
        return out[list(TIDY_COLUMNS)]

    def summary(self) -> str:
        """Plain-text summary: fit statistics and the group table."""
        g = self.groups()
        head = [
            f"Group-based trajectory model: {self.n_groups} group(s), {self.fit.family}, "
            f"degree {self.basis.shape[1] - 1}, outcome {self.outcome!r}",
            f"persons {self.n_persons}, time points {len(self.times)}, "
            f"log-likelihood {self.loglik:.4f}, parameters {self.fit.n_params}, "
            f"BIC {self.bic:.2f}, AIC {self.aic:.2f}, entropy {self.entropy:.3f}",
            f"EM: {self.fit.iterations} iterations, converged {self.fit.converged}",
            "",
            f"{'group':>5}{'share':>9}{'assigned':>10}{'AvePP':>8}{'OCC':>9}",
        ]
        rows = [
            f"{k + 1:>5}{share:>9.3f}{n:>10}{avepp:>8.3f}{_occ_text(occ):>9}"
            for k, (share, n, avepp, occ) in enumerate(
                zip(g["share"], g["assigned"], g["avepp"], g["occ"], strict=True)
            )
        ]
        note = [
            "",
            f"Adequate groups (Nagin 2005): AvePP >= {AVEPP_MIN}, OCC >= {OCC_MIN}.",
        ]
        return "\n".join(head + rows + note)

    def plot(self, *, title: str = "", xlabel: str = "Time", ylabel: str | None = None) -> Figure:
        """Group trajectories with their bands and posterior-weighted observed means."""
        from evaluation.estimators.trajectories.plot import trajectory_plot

        return trajectory_plot(
            self.trajectories(),
            self.groups(),
            level=self.level,
            title=title,
            xlabel=xlabel,
            ylabel=ylabel or self.outcome,
        )


def _occ_text(occ: float) -> str:
    """OCC for display: huge odds (near-certain classification) as ``>9999``."""
    return ">9999" if not np.isfinite(occ) or occ > 9999 else f"{occ:.1f}"


def _link(mean: Array, family: Family, trials: int) -> Array:
    # A saturated group (mean 0 or trials) has an infinite link; its band is the point.
    with np.errstate(divide="ignore"):
        if family == "binomial":
            q = mean / trials
            out: Array = np.log(q) - np.log1p(-q)
            return out
        return np.log(mean)


def _inverse_link(eta: Array, family: Family, trials: int) -> Array:
    if family == "binomial":
        out: Array = trials * expit(eta)
        return out
    return np.exp(eta)


@dataclass(frozen=True, eq=False, repr=False)
class TrajectoryResult(ResultMixin):
    """Trajectory models for several numbers of groups; the smallest BIC is chosen."""

    tidy_columns: ClassVar[tuple[str, ...]] = TIDY_COLUMNS

    models: tuple[TrajectoryModel, ...]
    outcome: str
    degree: int
    family: Family

    @property
    def chosen(self) -> TrajectoryModel:
        """The model with the smallest BIC."""
        return min(self.models, key=lambda m: m.bic)

    def model(self, groups: int) -> TrajectoryModel:
        """The fitted model with ``groups`` groups."""
        for m in self.models:
            if m.n_groups == groups:
                return m
        raise OptionError(
            f"no model with {groups} groups was fitted",
            where="TrajectoryResult.model(groups=...)",
            fix=f"use one of {', '.join(str(m.n_groups) for m in self.models)}",
        )

    def selection(self) -> pd.DataFrame:
        """Model choice table (columns :data:`SELECTION_COLUMNS`), one row per K."""
        chosen = self.chosen.n_groups
        rows = []
        for m in self.models:
            g = m.groups()
            rows.append(
                {
                    "groups": m.n_groups,
                    "loglik": m.loglik,
                    "n_params": m.fit.n_params,
                    "bic": m.bic,
                    "aic": m.aic,
                    "entropy": m.entropy,
                    "smallest_share": float(g["share"].min()),
                    "smallest_avepp": float(g["avepp"].min()),
                    "smallest_occ": float(g["occ"].min()),
                    "converged": m.fit.converged,
                    "chosen": m.n_groups == chosen,
                }
            )
        return pd.DataFrame(rows, columns=list(SELECTION_COLUMNS))

    def tidy(self) -> pd.DataFrame:
        """Coefficients and shares of the chosen model (see :meth:`TrajectoryModel.tidy`)."""
        return self.chosen.tidy()

    def glance(self) -> pd.DataFrame:
        """One row: ``outcome``, ``degree``, ``family``, the numbers of groups tried, the
        chosen number (smallest BIC) and the chosen model's fit (:meth:`TrajectoryModel.glance`)."""
        chosen = self.chosen.glance().drop(columns=["outcome"])
        head = pd.DataFrame(
            [
                {
                    "outcome": self.outcome,
                    "degree": self.degree,
                    "family": self.family,
                    "groups_tried": ", ".join(str(m.n_groups) for m in self.models),
                    "chosen_groups": self.chosen.n_groups,
                }
            ]
        )
        return pd.concat([head, chosen.drop(columns=["groups"])], axis=1)

    def trajectories(self) -> pd.DataFrame:
        """Trajectories with bands of the chosen model."""
        return self.chosen.trajectories()

    def membership(self) -> pd.DataFrame:
        """Posterior group membership under the chosen model."""
        return self.chosen.membership()

    def groups(self) -> pd.DataFrame:
        """Group sizes, AvePP and OCC of the chosen model."""
        return self.chosen.groups()

    def summary(self) -> str:
        """The selection table followed by the chosen model's summary."""
        sel = self.selection()
        lines = [
            "Number of groups by BIC (smaller is better)",
            f"{'K':>3}{'loglik':>14}{'BIC':>14}{'smallest share':>16}{'min AvePP':>11}",
        ]
        for r in sel.itertuples():
            mark = " <- chosen" if r.chosen else ""
            lines.append(
                f"{r.groups:>3}{r.loglik:>14.3f}{r.bic:>14.2f}{r.smallest_share:>16.3f}"
                f"{r.smallest_avepp:>11.3f}{mark}"
            )
        return "\n".join([*lines, "", self.chosen.summary()])

    def plot(
        self,
        kind: Literal["trajectories", "bic"] = "trajectories",
        *,
        title: str = "",
        xlabel: str = "Time",
        ylabel: str | None = None,
    ) -> Figure:
        """The chosen model's trajectories with bands, or BIC against the number of groups."""
        if kind == "bic":
            from evaluation.estimators.trajectories.plot import bic_plot

            return bic_plot(self.selection(), title=title)
        if kind != "trajectories":
            raise OptionError(
                f"unknown plot kind {kind!r}",
                where="TrajectoryResult.plot(kind=...)",
                fix="use 'trajectories' or 'bic'",
            )
        return self.chosen.plot(title=title, xlabel=xlabel, ylabel=ylabel)
