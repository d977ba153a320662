"""Risk-set matching for staggered entry on person-period panels (PanelMatch-like).

Definitions (Li, Propert and Rosenbaum 2001; Imai, Kim and Wang's PanelMatch):

* The panel has one row per (unit, period) and a 0/1 treatment indicator that may switch on
  once and never off; a switch back (reversal) is a :class:`TreatmentDefinitionError`.
* A unit's *entry* is its first treated period. At entry period ``t`` the **risk set** holds
  the entrants of ``t`` and every unit still untreated at ``t`` (never treated or entering
  later) that has a row at ``t``.
* Units are compared on their **history**: each covariate at lags ``1..L`` (periods
  ``t - 1, ..., t - L`` on the sorted grid of periods). Units without a complete history
  drop out of that risk set (counted in ``notes``).
* Within each entry period, entrants choose in ascending unit-id order; each takes its
  ``ratio`` nearest controls without replacement (greedy, Mahalanobis distance on the
  history with the risk set's pooled covariance, or scaled Euclidean); ties go to the
  smallest unit id. A control may serve again at another entry period (it is a different
  risk set), as in PanelMatch. Because every order is by unit id and period, **the row
  order of the panel never changes a match**.
* ``pair_id`` numbers matched sets (entry period, then entrant id). :meth:`RiskSetResult.
  matched_panel` carries pair ids and event time into the panel; :meth:`RiskSetResult.did`
  is the matched difference-in-differences ``(mean post - mean pre)`` treated minus
  controls, with CR1 standard errors clustered by pair.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from matplotlib.figure import Figure

from evaluation.contract import ESTIMATE_COLUMNS, ResultMixin, interval_alpha
from evaluation.errors import (
    InputDataError,
    NoComparisonUnitsError,
    OptionError,
    TreatmentDefinitionError,
)
from evaluation.estimators.matching import _plots
from evaluation.estimators.matching._balance import (
    SMD_THRESHOLD,
    VAR_RATIO_THRESHOLD,
    balance_frame,
)
from evaluation.estimators.matching._effects import wls_att
from evaluation.estimators.matching._kernels import nearest_mahalanobis
from evaluation.estimators.matching._metric import covariate_points
from evaluation.estimators.matching._validate import check_columns, check_no_missing
from evaluation.estimators.matching.effects import ATTResult

WHERE = "risk_set_match()"
RiskSetDistance = Literal["mahalanobis", "scaled_euclidean"]


@dataclass(frozen=True)
class RiskSets:
    """Stacked risk sets: one row per (entry period, unit) with its history features."""

    period: npt.NDArray[np.int64]
    unit: npt.NDArray[np.int64]
    treat: npt.NDArray[np.bool_]
    features: npt.NDArray[np.float64]


@dataclass(frozen=True, eq=False, repr=False)
class RiskSetResult(ResultMixin):
    """Risk-set matches of entrants to not-yet-treated units. Build with
    :func:`risk_set_match`.

    Attributes
    ----------
    pairs:
        One row per link: pair_id, entry_period, treated, control (unit ids), rank,
        distance.
    notes:
        What was left out (entrants without history or without controls).
    """

    pairs: pd.DataFrame
    notes: tuple[str, ...]
    unit: str
    time: str
    feature_names: tuple[str, ...]
    _panel: pd.DataFrame = field(repr=False)
    _sets: RiskSets = field(repr=False)
    _weights: npt.NDArray[np.float64] = field(repr=False)
    _units: pd.Index = field(repr=False)
    _periods: pd.Index = field(repr=False)

    def balance(self) -> pd.DataFrame:
        """Balance of the lagged history over all risk sets: every (entry period, unit) row
        before matching, the matched rows after (controls weighted ``1 / ratio``)."""
        cols = [
            (name, bool(np.all(np.isin(col, (0.0, 1.0)))), col)
            for name, col in zip(self.feature_names, self._sets.features.T, strict=True)
        ]
        return balance_frame(cols, self._sets.treat, self._weights)

    def matched_panel(self, window: tuple[int, int] = (-12, 12)) -> pd.DataFrame:
        """Panel rows of every matched unit around its pair's entry period.

        Columns: the panel's columns plus pair_id, role (treated/control), weight (control:
        ``1 / number of controls`` of the pair) and event_time (periods since entry, on
        the sorted grid of periods), for ``window[0] <= event_time <= window[1]``.
        """
        p = self.pairs
        links: pd.DataFrame = pd.concat(
            [
                pd.DataFrame(
                    {
                        "pair_id": p["pair_id"].unique(),
                        "unit_code": self._units.get_indexer(
                            pd.Index(p.drop_duplicates("pair_id")["treated"])
                        ),
                        "role": "treated",
                        "weight": 1.0,
                    }
                ),
                pd.DataFrame(
                    {
                        "pair_id": p["pair_id"],
                        "unit_code": self._units.get_indexer(pd.Index(p["control"])),
                        "role": "control",
                        "weight": 1.0 / p.groupby("pair_id")["control"].transform("size"),
                    }
                ),
            ],
            ignore_index=True,
        )
        entry = p.drop_duplicates("pair_id").set_index("pair_id")["entry_period"]
        links["entry_code"] = self._periods.get_indexer(pd.Index(entry.loc[links["pair_id"]]))
        panel = self._panel.assign(
            unit_code=self._units.get_indexer(pd.Index(self._panel[self.unit])),
            period_code=self._periods.get_indexer(pd.Index(self._panel[self.time])),
        )
        out = links.merge(panel, on="unit_code")
        out["event_time"] = out["period_code"] - out["entry_code"]
        keep = out["event_time"].between(window[0], window[1])
        out = out.loc[keep].drop(columns=["unit_code", "entry_code", "period_code"])
        return out.sort_values(["pair_id", "role", self.unit, "event_time"], kind="stable")

    def did(
        self,
        outcome: str,
        *,
        pre: tuple[int, int] = (-3, -1),
        post: tuple[int, int] = (0, 2),
        alpha: float = 0.05,
        level: float | None = None,
    ) -> ATTResult:
        """Matched DiD: per unit ``mean(outcome, post) - mean(outcome, pre)`` (event-time
        windows, inclusive), treated minus weighted controls, CR1 SEs clustered by pair.

        Units without a complete pre and post window are dropped with their pair side.
        ``alpha`` is the significance level of the interval (``level``: deprecated).
        """
        conf = 1.0 - interval_alpha(alpha, level, where="RiskSetResult.did()")
        check_columns(self._panel, [outcome], where="RiskSetResult.did()")
        lo, hi = min(pre[0], post[0]), max(pre[1], post[1])
        mp = self.matched_panel((lo, hi))
        mp = mp.dropna(subset=[outcome])
        in_pre = mp["event_time"].between(pre[0], pre[1])
        in_post = mp["event_time"].between(post[0], post[1])
        mp = mp.loc[in_pre | in_post].assign(
            phase=np.where(in_post, "post", "pre")[in_pre | in_post]
        )
        need = {"pre": pre[1] - pre[0] + 1, "post": post[1] - post[0] + 1}
        g = mp.groupby(["pair_id", "role", self.unit, "weight", "phase"])[outcome]
        stats = g.agg(["mean", "size"]).unstack("phase")
        full = (stats[("size", "pre")] == need["pre"]) & (stats[("size", "post")] == need["post"])
        change = (stats[("mean", "post")] - stats[("mean", "pre")])[full].reset_index()
        change.columns = ["pair_id", "role", "unit", "weight", "change"]
        both = change.groupby("pair_id")["role"].nunique() == 2
        change = change[change["pair_id"].isin(both[both].index)]
        if change.empty:
            raise NoComparisonUnitsError(
                "no pair has complete pre and post windows",
                where="RiskSetResult.did()",
                fix="shorten the pre/post windows or extend the panel",
            )
        d: npt.NDArray[np.float64] = np.asarray(change["role"] == "treated", dtype=np.float64)
        fit = wls_att(
            change["change"].to_numpy(dtype=np.float64),
            d,
            change["weight"].to_numpy(dtype=np.float64),
            None,
            change["pair_id"].to_numpy(dtype=np.int64),
        )
        return ATTResult(
            outcome=f"{outcome} (post {post} - pre {pre})",
            estimate=fit.estimate,
            std_error=fit.std_error,
            df=fit.df,
            level=conf,
            n_treated=int(d.sum()),
            n_control=int(change.loc[d == 0, "unit"].nunique()),
            method="risk-set matched difference-in-differences",
            se_type="cluster-robust (CR1) by pair",
            naive=float("nan"),
        )

    def tidy(self) -> pd.DataFrame:
        """The design's estimates: none (risk-set matching fits no model), so no rows.

        Columns ``term`` and :data:`evaluation.contract.ESTIMATE_COLUMNS`. Effects are
        :meth:`did`; the pairs (what ``tidy()`` returned before issue 18) are :attr:`pairs`.
        """
        return pd.DataFrame({c: pd.Series(dtype=float) for c in ["term", *ESTIMATE_COLUMNS]})

    def summary(self) -> str:
        """Text summary: pairs per entry period, history balance, notes."""
        p = self.pairs
        per = p.groupby("entry_period")["pair_id"].nunique()
        bal = self.balance()
        lines = [
            f"Risk-set matching: {p['pair_id'].nunique()} entrants matched to "
            f"{p['control'].nunique()} distinct controls over {per.size} entry periods",
            bal[["covariate", "smd_before", "smd_after", "balanced"]].to_string(
                index=False, float_format=lambda v: f"{v:.3f}"
            ),
        ]
        lines.extend(f"Note: {n}" for n in self.notes)
        return "\n".join(lines)

    def plot(self) -> Figure:
        """Love plot of the lagged history before and after matching."""
        thresholds = {"smd": SMD_THRESHOLD, "var_ratio": VAR_RATIO_THRESHOLD}
        return _plots.love_plot(self.balance(), thresholds)


def risk_set_match(
    panel: pd.DataFrame,
    *,
    unit: str,
    time: str,
    treatment: str,
    covariates: Sequence[str],
    lags: int = 3,
    ratio: int = 1,
    distance: RiskSetDistance = "mahalanobis",
) -> RiskSetResult:
    """Match each entrant, at its entry period, to units not yet treated, on lagged history.

    Parameters
    ----------
    panel:
        One row per (unit, period).
    unit, time:
        Unit id and period columns (periods: anything sortable, e.g. integers or
        ``pandas.Period``; lags count positions on the sorted grid of periods).
    treatment:
        0/1 column, switching on at entry and never off.
    covariates:
        Time-varying (or fixed) columns whose values at lags ``1..lags`` are matched on.
    lags:
        Number of lagged periods of history.
    ratio:
        Controls per entrant.
    distance:
        ``"mahalanobis"`` (pooled covariance of each risk set) or ``"scaled_euclidean"``.

    Returns
    -------
    RiskSetResult
        ``.pairs``, ``.balance()``, ``.matched_panel()``, ``.did(outcome)``, ``.tidy()``,
        ``.summary()``, ``.plot()``.
    """
    names = _validate(panel, unit, time, treatment, covariates, lags, ratio, distance)
    check_no_missing(panel, [unit, time, treatment], "panel key")
    units = pd.Index(panel[unit].drop_duplicates()).sort_values()
    periods = pd.Index(panel[time].drop_duplicates()).sort_values()
    u = units.get_indexer(pd.Index(panel[unit])).astype(np.int64)
    k = periods.get_indexer(pd.Index(panel[time])).astype(np.int64)
    d = _treatment(panel, treatment)
    if pd.MultiIndex.from_arrays([u, k]).has_duplicates:
        raise InputDataError(
            f"the panel has repeated ({unit}, {time}) rows",
            where=WHERE,
            fix="keep one row per unit and period",
        )
    entry = _entries(u, k, d, units, unit)
    sets, notes = _risk_sets(panel, covariates, lags, u, k, d, entry, periods)
    pairs, weights = _match_sets(sets, ratio, distance)
    if pairs.empty:
        raise NoComparisonUnitsError(
            "no entrant found a not-yet-treated control with a complete history",
            where=WHERE,
            fix="use fewer lags or add comparison units",
        )
    pairs["treated"] = units[pairs["treated"].to_numpy()]
    pairs["control"] = units[pairs["control"].to_numpy()]
    pairs["entry_period"] = periods[pairs["entry_period"].to_numpy()]
    return RiskSetResult(
        pairs=pairs,
        notes=notes,
        unit=unit,
        time=time,
        feature_names=tuple(names),
        _panel=panel,
        _sets=sets,
        _weights=weights,
        _units=units,
        _periods=periods,
    )


def _validate(
    panel: pd.DataFrame,
    unit: str,
    time: str,
    treatment: str,
    covariates: Sequence[str],
    lags: int,
    ratio: int,
    distance: str,
) -> list[str]:
    if not isinstance(panel, pd.DataFrame):
        raise OptionError("`panel` must be a pandas DataFrame", where=WHERE, fix="pass a DataFrame")
    covs = [covariates] if isinstance(covariates, str) else list(covariates)
    check_columns(panel, [unit, time, treatment, *covs], where=WHERE)
    for name, value in (("lags", lags), ("ratio", ratio)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise OptionError(
                f"`{name}` must be a positive integer, got {value!r}",
                where=WHERE,
                fix=f"use e.g. {name}=3" if name == "lags" else "use e.g. ratio=1",
            )
    if distance not in ("mahalanobis", "scaled_euclidean"):
        raise OptionError(
            f"`distance` must be 'mahalanobis' or 'scaled_euclidean', got {distance!r}",
            where=WHERE,
            fix="choose an allowed distance",
        )
    if not covs:
        raise OptionError("`covariates` is empty", where=WHERE, fix="name history columns")
    return [f"{c}@lag{lag}" for lag in range(1, lags + 1) for c in covs]


def _treatment(panel: pd.DataFrame, treatment: str) -> npt.NDArray[np.bool_]:
    values = set(pd.unique(panel[treatment]).tolist())
    if not values <= {0, 1}:
        raise InputDataError(
            f"treatment column {treatment!r} must be 0/1, found {sorted(map(str, values))[:5]}",
            where=WHERE,
            fix="recode to 1 = treated in that period, 0 = not (yet) treated",
        )
    return panel[treatment].to_numpy().astype(bool)


def _entries(
    u: npt.NDArray[np.int64],
    k: npt.NDArray[np.int64],
    d: npt.NDArray[np.bool_],
    units: pd.Index,
    unit: str,
) -> npt.NDArray[np.int64]:
    """Entry period code per unit (-1: never treated); reversal is an error."""
    o = np.lexsort((k, u))
    us, ds = u[o], d[o]
    same = us[1:] == us[:-1]
    back = same & ds[:-1] & ~ds[1:]
    if back.any():
        bad = list(units[np.unique(us[1:][back])][:5])
        raise TreatmentDefinitionError(
            f"treatment switches off again for unit(s) {bad} ({unit}); risk-set matching "
            "needs treatment that stays on after entry",
            where=WHERE,
            fix="code treatment as 1 from entry onwards (intention to treat)",
        )
    entry = np.full(units.size, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(entry, u[d], k[d])
    entry[entry == np.iinfo(np.int64).max] = -1
    return entry


def _risk_sets(
    panel: pd.DataFrame,
    covariates: Sequence[str],
    lags: int,
    u: npt.NDArray[np.int64],
    k: npt.NDArray[np.int64],
    d: npt.NDArray[np.bool_],
    entry: npt.NDArray[np.int64],
    periods: pd.Index,
) -> tuple[RiskSets, tuple[str, ...]]:
    covs = [covariates] if isinstance(covariates, str) else list(covariates)
    n_u, n_k = entry.size, periods.size
    values = np.full((n_u, n_k, len(covs)), np.nan)
    values[u, k] = panel[covs].to_numpy(dtype=np.float64)
    present = np.zeros((n_u, n_k), dtype=bool)
    present[u, k] = True
    untreated = np.zeros((n_u, n_k), dtype=bool)
    untreated[u, k] = ~d
    parts: list[tuple[int, npt.NDArray[np.int64], npt.NDArray[np.bool_], npt.NDArray[np.float64]]]
    parts = []
    dropped = 0
    for t in np.unique(entry[entry >= lags]).tolist():
        cand = np.flatnonzero((entry == t) | (present[:, t] & untreated[:, t] & (entry != t)))
        hist = values[cand][:, t - lags : t][:, ::-1].reshape(cand.size, -1)
        ok = np.all(np.isfinite(hist), axis=1)
        is_t = entry[cand] == t
        dropped += int(np.sum(is_t & ~ok))
        parts.append((t, cand[ok], is_t[ok], hist[ok]))
    early = int(np.sum((entry >= 0) & (entry < lags)))
    notes = []
    if early:
        notes.append(f"{early} entrants enter within the first {lags} periods (no history)")
    if dropped:
        notes.append(f"{dropped} entrants lack a complete {lags}-period history")
    sets = RiskSets(
        period=np.concatenate([np.full(c.size, t, dtype=np.int64) for t, c, _, _ in parts])
        if parts
        else np.empty(0, dtype=np.int64),
        unit=np.concatenate([c for _, c, _, _ in parts]) if parts else np.empty(0, np.int64),
        treat=np.concatenate([s for _, _, s, _ in parts]) if parts else np.empty(0, bool),
        features=np.vstack([h for *_, h in parts]) if parts else np.empty((0, 0)),
    )
    return sets, tuple(notes)


def _match_sets(
    sets: RiskSets, ratio: int, distance: RiskSetDistance
) -> tuple[pd.DataFrame, npt.NDArray[np.float64]]:
    """Greedy matching within each entry period; units sorted by id (``sets`` order)."""
    rows: list[pd.DataFrame] = []
    weights = np.zeros(sets.unit.size)
    next_pair = 1
    for t in np.unique(sets.period).tolist():
        idx = np.flatnonzero(sets.period == t)
        treat = sets.treat[idx]
        if treat.all() or not treat.any():
            continue
        z = covariate_points(sets.features[idx], treat, distance, WHERE)
        pairs = nearest_mahalanobis(
            z, treat, order=np.flatnonzero(treat), ratio=ratio, replace=False
        )
        if pairs.treated.size == 0:
            continue
        focal, inv = np.unique(pairs.treated, return_inverse=True)
        n_ctl = np.bincount(inv)
        weights[idx[focal]] = 1.0
        np.add.at(weights, idx[pairs.control], 1.0 / n_ctl[inv])
        rows.append(
            pd.DataFrame(
                {
                    "pair_id": next_pair + inv,
                    "entry_period": t,
                    "treated": sets.unit[idx[pairs.treated]],
                    "control": sets.unit[idx[pairs.control]],
                    "rank": pairs.rank,
                    "distance": pairs.distance,
                }
            )
        )
        next_pair += focal.size
    if not rows:
        return pd.DataFrame(), weights
    out = pd.concat(rows, ignore_index=True).sort_values(["pair_id", "rank"], kind="stable")
    return out.reset_index(drop=True), weights
