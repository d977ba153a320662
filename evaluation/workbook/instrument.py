"""Self-assessment instrument: scoring and the analyses of the seed report (Tables 10-12).

* :func:`score_frame` turns item answers into scores as the instrument defines them;
* :func:`baseline_means`: means with t-based confidence intervals by service group, with
  small groups suppressed (Tables 10-11, first answer);
* :func:`paired_change`: first vs follow-up answer of those who answered twice; with several
  follow-ups per client, the latest (default) or the first of them;
* :func:`predictive_validity`: baseline scores of those in work or degree education three
  months after the service versus those in another service or unemployed, with a two-group
  test, ROC AUC and the difference adjusted for age and 3-level education by linear
  regression (Table 12; seed 001 l.5132-5135). Scores describe groups; they must never be
  used to exclude anyone from a service (:func:`ethics_rule`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
import pandas as pd

from evaluation.contract import (
    ESTIMATE_COLUMNS,
    TERM_COLUMN,
    ResultMixin,
    alpha_of_level,
    interval_alpha,
)
from evaluation.errors import EstimationError, MissingColumnError, OptionError
from evaluation.schema import Instrument, Lang, load_schema

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from evaluation.workbook.model import SelfEvaluation

#: Default instrument id.
DEFAULT_INSTRUMENT = "work_ability_functioning"
#: Groups smaller than this are suppressed, as the seed report's Tables 10-11 do.
DEFAULT_MIN_N = 5
#: Outcome codes 3 months after exit counted as "work or study" / "other service or
#: unemployed" (Table 12; the process measures read the same constants).
POSITIVE_OUTCOMES = ("work_contract", "degree_education")
NEGATIVE_OUTCOMES = ("other_employment_service", "unemployed")
#: The report's covariates of the adjusted comparison: age and 3-level education
#: (seed 001 l.5132-5135).
ADJUST_FOR = ("age", "education")
#: Which of several follow-up answers of a client is compared with the first answer.
FollowUp = Literal["first", "latest"]

#: Columns of :meth:`GroupMeans.tidy` (a descriptive table).
GROUP_MEANS_COLUMNS = ("score", "group", "n", "mean", "conf_low", "conf_high", "suppressed")
#: Columns of :attr:`PairedChange.table`.
PAIRED_CHANGE_TABLE_COLUMNS = (
    "score",
    "group",
    "n",
    "mean_baseline",
    "mean_follow_up",
    "estimate",
    "std_error",
    "conf_low",
    "conf_high",
    "p_value",
    "mean_days",
    "suppressed",
)
#: Columns of :meth:`PairedChange.tidy` (an estimate table; ``term`` is ``"change"``).
PAIRED_CHANGE_COLUMNS = (
    "score",
    "group",
    "n",
    "mean_baseline",
    "mean_follow_up",
    TERM_COLUMN,
    *ESTIMATE_COLUMNS,
    "mean_days",
    "suppressed",
)
#: Columns of :meth:`PredictiveValidity.tidy` (a descriptive table).
VALIDITY_COLUMNS = (
    "score",
    "n_positive",
    "n_negative",
    "mean_positive",
    "mean_negative",
    "estimate",
    "test",
    "statistic",
    "p_value",
    "auc",
    "adjusted_estimate",
    "adjusted_std_error",
    "adjusted_p_value",
    "n_adjusted",
)
#: Columns of :meth:`InstrumentAnalyses.tidy` (a descriptive table).
ANALYSES_COLUMNS = (
    "analysis",
    "score",
    "group",
    "estimate",
    "conf_low",
    "conf_high",
    "p_value",
    "n",
)


def ethics_rule(lang: Lang = "en") -> str:
    """The rule every place that shows scores carries: scores describe groups and must
    never be used to exclude anyone from a service (schema text ``ethics_rule``)."""
    return load_schema().text("ethics_rule", lang)


def _instrument(instrument: Instrument | str | None) -> Instrument:
    if isinstance(instrument, Instrument):
        return instrument
    return load_schema().instrument(instrument or DEFAULT_INSTRUMENT)


def score_frame(
    responses: pd.DataFrame, *, instrument: Instrument | str | None = None
) -> pd.DataFrame:
    """Add the instrument's scores to a frame of item answers.

    Parameters
    ----------
    responses:
        One row per answer, with one column per item (missing answers as NA).
    instrument:
        The instrument or its id (default: the shipped work-ability instrument).

    Returns
    -------
    DataFrame
        ``responses`` (not modified) with one float column per score appended. A scale
        score is missing unless all its items are answered.
    """
    inst = _instrument(instrument)
    missing = [it.id for it in inst.items if it.id not in responses.columns]
    if missing:
        raise MissingColumnError(
            missing, where="self-assessment answers", available=responses.columns
        )
    out = responses.copy()
    for sc in inst.scores:
        if sc.method == "item":
            out[sc.id] = pd.to_numeric(out[sc.items[0]], errors="coerce").astype("float64")
        elif sc.method == "rescaled_mean":
            lo, hi = inst.item(sc.items[0]).min, inst.item(sc.items[0]).max
            items = out[list(sc.items)].apply(pd.to_numeric, errors="coerce").astype("float64")
            mean = items.mean(axis=1, skipna=False)
            out[sc.id] = sc.min + (mean - lo) / (hi - lo) * (sc.max - sc.min)
        else:
            out[sc.id] = out[list(sc.items)].astype("float64").mean(axis=1, skipna=False)
    return out


def score_assessments(evaluation: SelfEvaluation) -> pd.DataFrame:
    """Scores of every self-assessment of a pilot, joined with the client's groups.

    Columns: ``pilot, client_id, wave, date, target_group, service_group, outcome_3m, age,
    education`` and one column per score. A workbook of an older template version is
    scored with the items it has.
    """
    schema = evaluation.schema
    section = schema.section("self_assessment")
    # an older workbook lacks the items added since: its scores use the items it has
    inst = schema.as_of(evaluation.schema_version).instrument(
        section.instrument or DEFAULT_INSTRUMENT
    )
    answers = evaluation.frame("self_assessment")
    clients = evaluation.frame("clients")[
        ["client_id", "target_group", "service_group", "outcome_3m", *ADJUST_FOR]
    ]
    scored = score_frame(answers, instrument=inst)
    merged = scored.merge(clients, on="client_id", how="left", validate="many_to_one")
    merged.insert(0, "pilot", evaluation.pilot)
    keep = [
        "pilot",
        "client_id",
        "wave",
        "date",
        "target_group",
        "service_group",
        "outcome_3m",
        *ADJUST_FOR,
        *(s.id for s in inst.scores),
    ]
    return merged[keep]


def one_answer(scores: pd.DataFrame, wave: str, which: FollowUp) -> pd.DataFrame:
    """One answer per client at ``wave``: the first or the latest by date.

    A client may have several follow-ups (rows of the same wave on different dates).
    """
    keys = ["pilot", "client_id"] if "pilot" in scores.columns else ["client_id"]
    data = scores[scores["wave"] == wave].sort_values([*keys, "date"], kind="stable")
    return data.drop_duplicates(keys, keep="first" if which == "first" else "last")


def _mean_ci(x: np.ndarray, conf_level: float) -> tuple[float, float, float]:
    from scipy import stats

    n = len(x)
    if n == 0:
        return float("nan"), float("nan"), float("nan")
    m = float(np.mean(x))
    if n < 2:
        return m, float("nan"), float("nan")
    se = float(np.std(x, ddof=1)) / np.sqrt(n)
    q = float(stats.t.ppf(0.5 + conf_level / 2, n - 1))
    return m, m - q * se, m + q * se


def _check_frame(scores: pd.DataFrame, needed: list[str], where: str) -> None:
    missing = [c for c in needed if c not in scores.columns]
    if missing:
        raise MissingColumnError(missing, where=where, available=scores.columns)


def _check_level(alpha: float, conf_level: float | None, min_n: int, where: str) -> float:
    """The confidence level from ``alpha`` (or the deprecated ``conf_level``), checked."""
    level = 1.0 - interval_alpha(alpha, conf_level, where=where, old_name="conf_level")
    if min_n < 1:
        raise OptionError(
            f"min_n {min_n} is below 1",
            where="option min_n",
            fix="use a positive threshold such as 5",
        )
    return level


@dataclass(frozen=True, repr=False)
class _ByGroup(ResultMixin):
    """A table of estimates per score and group, small groups suppressed."""

    table: pd.DataFrame
    by: str
    conf_level: float
    min_n: int

    def tidy(self) -> pd.DataFrame:
        """The estimates as a tidy DataFrame (a copy)."""
        return self.table.copy()

    def glance(self) -> pd.DataFrame:
        """One row: ``by``, scores, groups (with ``all``), suppressed cells, ``min_n``,
        ``alpha``."""
        t = self.table
        return pd.DataFrame(
            [
                {
                    "by": self.by,
                    "scores": int(t["score"].nunique()),
                    "groups": int(t["group"].nunique()),
                    "suppressed": int(t["suppressed"].sum()),
                    "min_n": self.min_n,
                    "alpha": alpha_of_level(self.conf_level),
                }
            ]
        )

    def _summary(self, title: str, estimate: Callable[[Any], str]) -> str:
        """Text table, one row per score and group; suppressed cells shown as ``*``."""
        lines = [f"{title} by {self.by} ({self.conf_level:.0%} CI; * = n < {self.min_n})"]
        for r in self.table.itertuples(index=False):
            head = f"{r.score:<22} {r.group:<24} n={r.n:<5}"
            lines.append(f"{head} *" if r.suppressed else f"{head} {estimate(r)}")
        lines.append(ethics_rule())
        return "\n".join(lines)


@dataclass(frozen=True, repr=False)
class GroupMeans(_ByGroup):
    """Means with confidence intervals by group; small groups suppressed.

    ``table`` columns: ``score, group, n, mean, conf_low, conf_high, suppressed``; the
    ``group`` ``"all"`` is everyone. Suppressed rows keep ``n`` but no estimates.
    :meth:`tidy` is a descriptive table (columns :data:`GROUP_MEANS_COLUMNS`).
    """

    tidy_columns: ClassVar[tuple[str, ...]] = GROUP_MEANS_COLUMNS

    def summary(self) -> str:
        """Text table; suppressed cells shown as ``*``."""
        return self._summary(
            "Baseline means", lambda r: f"{r.mean:7.2f} ({r.conf_low:.2f}–{r.conf_high:.2f})"
        )

    def plot(self, score: str = "work_ability") -> Figure:
        """Point-and-interval plot of one score by group."""
        t = self.table[(self.table["score"] == score) & ~self.table["suppressed"]]
        from matplotlib.figure import Figure

        fig = Figure(figsize=(6, 0.4 * len(t) + 1.2))
        ax = fig.add_subplot()
        y = np.arange(len(t))
        ax.errorbar(
            t["mean"],
            y,
            xerr=[t["mean"] - t["conf_low"], t["conf_high"] - t["mean"]],
            fmt="o",
            capsize=3,
        )
        ax.set_yticks(y, list(t["group"]))
        ax.set_xlabel(score)
        fig.tight_layout()
        return fig


def baseline_means(
    scores: pd.DataFrame,
    *,
    by: str = "service_group",
    wave: str = "baseline",
    score_ids: tuple[str, ...] | None = None,
    min_n: int = DEFAULT_MIN_N,
    alpha: float = 0.05,
    conf_level: float | None = None,
    instrument: Instrument | str | None = None,
) -> GroupMeans:
    """Means of the scores at one wave by group, with t-based confidence intervals.

    Parameters
    ----------
    scores:
        Output of :func:`score_assessments` (one or many pilots stacked).
    by:
        Grouping column (e.g. ``"service_group"``, ``"target_group"`` or ``"pilot"``).
    wave:
        ``"baseline"`` (each client's first answer) or ``"follow_up"`` (each client's
        latest follow-up).
    min_n:
        Groups with fewer answers are suppressed (default 5).
    alpha:
        Significance level of the t intervals (0.05: 95% intervals).
    conf_level:
        Deprecated: the confidence level (``1 - alpha``); use ``alpha``.
    """
    conf_level = _check_level(alpha, conf_level, min_n, "baseline_means")
    ids = score_ids or tuple(s.id for s in _instrument(instrument).scores)
    _check_frame(scores, ["client_id", "wave", "date", by, *ids], "self-assessment scores")
    data = one_answer(scores, wave, "first" if wave == "baseline" else "latest")
    rows = []
    groups = [("all", data), *((str(g), d) for g, d in data.groupby(by, sort=True))]
    for sid in ids:
        for g, d in groups:
            x = d[sid].dropna().to_numpy(dtype=float)
            m, lo, hi = _mean_ci(x, conf_level)
            small = len(x) < min_n
            rows.append(
                {
                    "score": sid,
                    "group": g,
                    "n": len(x),
                    "mean": np.nan if small else m,
                    "conf_low": np.nan if small else lo,
                    "conf_high": np.nan if small else hi,
                    "suppressed": small,
                }
            )
    table = pd.DataFrame(rows, columns=list(GROUP_MEANS_COLUMNS))
    return GroupMeans(table, by=by, conf_level=conf_level, min_n=min_n)


@dataclass(frozen=True, repr=False)
class PairedChange(_ByGroup):
    """Baseline vs follow-up among those who answered both.

    ``table`` columns: ``score, group, n, mean_baseline, mean_follow_up, estimate`` (mean
    change), ``std_error, conf_low, conf_high, p_value, mean_days, suppressed``
    (:data:`PAIRED_CHANGE_TABLE_COLUMNS`). :meth:`tidy` is an estimate table: the same
    with ``term`` (``"change"``) and the paired t ``statistic``
    (:data:`PAIRED_CHANGE_COLUMNS`).
    """

    tidy_columns: ClassVar[tuple[str, ...]] = PAIRED_CHANGE_COLUMNS

    def tidy(self) -> pd.DataFrame:
        """The mean changes as an estimate table (a copy; see the class docstring)."""
        t = self.table
        se = t["std_error"].astype("float64")
        stat = np.where(se > 0, t["estimate"].astype("float64") / se.where(se > 0), np.nan)
        return t.assign(term="change", statistic=stat)[list(PAIRED_CHANGE_COLUMNS)]

    def summary(self) -> str:
        """Text table of mean changes."""
        return self._summary(
            "Paired change",
            lambda r: (
                f"{r.mean_baseline:7.2f} -> {r.mean_follow_up:7.2f}  change {r.estimate:+.2f} "
                f"({r.conf_low:+.2f} to {r.conf_high:+.2f}), p={r.p_value:.3f}"
            ),
        )

    def plot(self) -> Figure:
        """Mean change with interval per score (all respondents)."""
        t = self.table[(self.table["group"] == "all") & ~self.table["suppressed"]]
        from matplotlib.figure import Figure

        fig = Figure(figsize=(6, 0.4 * len(t) + 1.2))
        ax = fig.add_subplot()
        y = np.arange(len(t))
        ax.errorbar(
            t["estimate"],
            y,
            xerr=[t["estimate"] - t["conf_low"], t["conf_high"] - t["estimate"]],
            fmt="o",
            capsize=3,
        )
        ax.axvline(0, color="grey", lw=0.8)
        ax.set_yticks(y, list(t["score"]))
        ax.set_xlabel("change (follow-up − baseline)")
        fig.tight_layout()
        return fig


def paired_change(
    scores: pd.DataFrame,
    *,
    by: str = "service_group",
    score_ids: tuple[str, ...] | None = None,
    min_n: int = DEFAULT_MIN_N,
    alpha: float = 0.05,
    conf_level: float | None = None,
    instrument: Instrument | str | None = None,
    follow_up: FollowUp = "latest",
) -> PairedChange:
    """Change from baseline to follow-up with a paired t interval, by group.

    Clients are matched on ``pilot`` (when present) and ``client_id``; only those with both
    waves count. The baseline is each client's first answer; with several follow-ups,
    ``follow_up`` picks the ``"latest"`` (default: first vs latest answer) or the
    ``"first"`` of them.
    """
    conf_level = _check_level(alpha, conf_level, min_n, "paired_change")
    if follow_up not in ("first", "latest"):
        raise OptionError(
            f"follow_up {follow_up!r} is not 'first' or 'latest'",
            where="option follow_up",
            fix="use 'latest' (first vs latest answer) or 'first'",
        )
    ids = score_ids or tuple(s.id for s in _instrument(instrument).scores)
    _check_frame(scores, ["client_id", "wave", "date", by, *ids], "self-assessment scores")
    keys = ["pilot", "client_id"] if "pilot" in scores.columns else ["client_id"]
    base = one_answer(scores, "baseline", "first")
    foll = one_answer(scores, "follow_up", follow_up)
    pairs = base.merge(
        foll[[*keys, "date", *ids]], on=keys, suffixes=("_0", "_1"), validate="one_to_one"
    )
    days = (pd.to_datetime(pairs["date_1"]) - pd.to_datetime(pairs["date_0"])).dt.days
    pairs = pairs.assign(_days=days)
    rows = []
    groups = [("all", pairs), *((str(g), d) for g, d in pairs.groupby(by, sort=True))]
    for sid in ids:
        for g, d in groups:
            d2 = d[[f"{sid}_0", f"{sid}_1", "_days"]].dropna(subset=[f"{sid}_0", f"{sid}_1"])
            n = len(d2)
            row: dict[str, object] = {"score": sid, "group": g, "n": n, "suppressed": n < min_n}
            if n < min_n:
                # every measured column (all but score, group, n and suppressed) is empty
                row.update(dict.fromkeys(PAIRED_CHANGE_TABLE_COLUMNS[3:-1], np.nan))
            else:
                x0 = d2[f"{sid}_0"].to_numpy(dtype=float)
                x1 = d2[f"{sid}_1"].to_numpy(dtype=float)
                diff = x1 - x0
                est, lo, hi = _mean_ci(diff, conf_level)
                se = float(np.std(diff, ddof=1) / np.sqrt(n))
                from scipy import stats

                p = float(stats.ttest_rel(x1, x0).pvalue) if se > 0 else float("nan")
                row.update(
                    {
                        "mean_baseline": float(x0.mean()),
                        "mean_follow_up": float(x1.mean()),
                        "estimate": est,
                        "std_error": se,
                        "conf_low": lo,
                        "conf_high": hi,
                        "p_value": p,
                        "mean_days": float(d2["_days"].mean()),
                    }
                )
            rows.append(row)
    table = pd.DataFrame(rows, columns=list(PAIRED_CHANGE_TABLE_COLUMNS))
    return PairedChange(table, by=by, conf_level=conf_level, min_n=min_n)


@dataclass(frozen=True, repr=False)
class PredictiveValidity(ResultMixin):
    """How well baseline scores separate the 3-month outcome groups (Table 12).

    ``table`` columns: ``score, n_positive, n_negative, mean_positive, mean_negative,
    estimate`` (difference of means, positive − negative), ``test, statistic, p_value,
    auc`` and the adjusted comparison ``adjusted_estimate, adjusted_std_error,
    adjusted_p_value, n_adjusted`` (the group coefficient of a linear regression of the
    score on the group and ``adjusted_for``; missing when the covariates are not
    recorded). Positive = work contract or degree education; negative = another
    employment service or unemployed; ``other`` and unknown outcomes are excluded.
    ``notes`` says why an adjusted comparison is missing. :meth:`tidy` is a descriptive
    table (columns :data:`VALIDITY_COLUMNS`): ``statistic`` and ``p_value`` are those of
    the named ``test``, not of ``estimate``.
    """

    tidy_columns: ClassVar[tuple[str, ...]] = VALIDITY_COLUMNS

    table: pd.DataFrame
    curves: dict[str, tuple[np.ndarray, np.ndarray]]
    adjusted_for: tuple[str, ...] = ADJUST_FOR
    notes: tuple[str, ...] = ()

    def tidy(self) -> pd.DataFrame:
        """The comparison as a tidy DataFrame (a copy)."""
        return self.table.copy()

    def glance(self) -> pd.DataFrame:
        """One row: scores, persons in each outcome group (the most of any score), the
        covariates adjusted for, and how many notes."""
        t = self.table
        return pd.DataFrame(
            [
                {
                    "scores": len(t),
                    "n_positive": int(t["n_positive"].max()) if len(t) else 0,
                    "n_negative": int(t["n_negative"].max()) if len(t) else 0,
                    "adjusted_for": ", ".join(self.adjusted_for),
                    "notes": len(self.notes),
                }
            ]
        )

    def summary(self) -> str:
        """Text table of group means, tests and AUC."""
        lines = ["Baseline score by 3-month outcome (work/study vs other service/unemployed)"]
        adj = " + ".join(self.adjusted_for)
        for r in self.table.itertuples(index=False):
            lines.append(
                f"{r.score:<22} {r.mean_positive:7.2f} (n={r.n_positive}) vs "
                f"{r.mean_negative:7.2f} (n={r.n_negative})  {r.test} p={r.p_value:.3f}  "
                f"AUC={r.auc:.2f}  adjusted for {adj}: {r.adjusted_estimate:+.2f} "
                f"p={r.adjusted_p_value:.3f} (n={r.n_adjusted})"
            )
        lines += [*self.notes, ethics_rule()]
        return "\n".join(lines)

    def plot(self) -> Figure:
        """ROC curves of the scores."""
        from matplotlib.figure import Figure

        fig = Figure(figsize=(5, 5))
        ax = fig.add_subplot()
        for sid, (fpr, tpr) in self.curves.items():
            auc = float(self.table.loc[self.table["score"] == sid, "auc"].iloc[0])
            ax.plot(fpr, tpr, label=f"{sid} ({auc:.2f})")
        ax.plot([0, 1], [0, 1], color="grey", lw=0.8, ls="--")
        ax.set_xlabel("1 − specificity")
        ax.set_ylabel("sensitivity")
        ax.legend(fontsize=7)
        fig.tight_layout()
        return fig


def predictive_validity(
    scores: pd.DataFrame,
    *,
    score_ids: tuple[str, ...] | None = None,
    positive: tuple[str, ...] = POSITIVE_OUTCOMES,
    negative: tuple[str, ...] = NEGATIVE_OUTCOMES,
    test: Literal["instrument", "ttest", "mannwhitney"] = "instrument",
    instrument: Instrument | str | None = None,
    adjust_for: tuple[str, ...] = ADJUST_FOR,
) -> PredictiveValidity:
    """Compare baseline scores of the two 3-month outcome groups; ROC AUC per score.

    ``test="instrument"`` uses each score's test from the instrument definition
    (Mann-Whitney for short ordinal scales, Welch t-test otherwise). Beside the raw test,
    the difference is adjusted for ``adjust_for`` (default: age and 3-level education, as
    the seed report does, 001 l.5132-5135) by ordinary least squares of the score on the
    group and the covariates; a text covariate enters as indicators of its levels. Each
    client's first baseline answer counts.

    Raises
    ------
    EstimationError
        If either outcome group has fewer than two baseline answers.
    """
    from scipy import stats
    from sklearn.metrics import roc_auc_score, roc_curve

    inst = _instrument(instrument)
    ids = score_ids or tuple(s.id for s in inst.scores)
    _check_frame(
        scores, ["client_id", "wave", "date", "outcome_3m", *ids], "self-assessment scores"
    )
    base = one_answer(scores, "baseline", "first")
    data = base[base["outcome_3m"].isin([*positive, *negative])]
    covariates, notes = _covariates(data, adjust_for)
    y_all = data["outcome_3m"].isin(list(positive)).to_numpy(dtype=bool)
    rows = []
    curves: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    tests = {s.id: s.test for s in inst.scores}
    for sid in ids:
        x = data[sid].to_numpy(dtype=float)
        ok = ~np.isnan(x)
        xs, ys = x[ok], y_all[ok]
        n1, n0 = int(ys.sum()), int((~ys).sum())
        if n1 < 2 or n0 < 2:
            raise EstimationError(
                f"score {sid!r}: {n1} baseline answers in work/study and {n0} in other "
                "service/unemployment; each group needs at least 2",
                where="self-assessment scores joined with the 3-month outcome",
                fix="record more outcomes 3 months after exit, or pool pilots",
            )
        kind = tests.get(sid, "ttest") if test == "instrument" else test
        if kind == "mannwhitney":
            res = stats.mannwhitneyu(xs[ys], xs[~ys], alternative="two-sided")
        else:
            res = stats.ttest_ind(xs[ys], xs[~ys], equal_var=False)
        adj = _adjusted_difference(xs, ys, None if covariates is None else covariates[ok])
        auc = float(roc_auc_score(ys, xs))
        fpr, tpr, _ = roc_curve(ys, xs)
        curves[sid] = (fpr, tpr)
        rows.append(
            {
                "score": sid,
                "n_positive": n1,
                "n_negative": n0,
                "mean_positive": float(xs[ys].mean()),
                "mean_negative": float(xs[~ys].mean()),
                "estimate": float(xs[ys].mean() - xs[~ys].mean()),
                "test": kind,
                "statistic": float(res.statistic),
                "p_value": float(res.pvalue),
                "auc": auc,
                **adj,
            }
        )
    table = pd.DataFrame(rows, columns=list(VALIDITY_COLUMNS))
    return PredictiveValidity(table, curves, tuple(adjust_for), notes)


def _covariates(
    data: pd.DataFrame, adjust_for: tuple[str, ...]
) -> tuple[pd.DataFrame | None, tuple[str, ...]]:
    """The covariate design columns (numbers as they are, text as level indicators with
    the first level left out), or ``None`` and a note when none is recorded."""
    if not adjust_for:
        return None, ()
    absent = [c for c in adjust_for if c not in data.columns or data[c].isna().all()]
    if absent:
        note = (
            f"No adjusted comparison: {', '.join(absent)} not recorded (client sheet; "
            "workbooks of template version 1.2 on have them)."
        )
        return None, (note,)
    parts: list[pd.DataFrame] = []
    for c in adjust_for:
        col = data[c]
        if pd.api.types.is_numeric_dtype(col):
            parts.append(pd.to_numeric(col, errors="coerce").astype("float64").to_frame(c))
        else:
            dummies = pd.get_dummies(col.astype("object"), prefix=c, drop_first=True, dtype=float)
            dummies[col.isna().to_numpy()] = np.nan
            parts.append(dummies)
    return pd.concat(parts, axis=1).reset_index(drop=True), ()


def _adjusted_difference(
    x: np.ndarray, positive: np.ndarray, covariates: pd.DataFrame | None
) -> dict[str, float | int]:
    """OLS coefficient of the positive group on score ``x``, given the covariates."""
    empty: dict[str, float | int] = {
        "adjusted_estimate": float("nan"),
        "adjusted_std_error": float("nan"),
        "adjusted_p_value": float("nan"),
        "n_adjusted": 0,
    }
    if covariates is None:
        return empty
    import statsmodels.api as sm

    design = pd.concat(
        [pd.Series(positive.astype(float), name="positive"), covariates.reset_index(drop=True)],
        axis=1,
    )
    complete = design.notna().all(axis=1).to_numpy()
    exog = sm.add_constant(design[complete], has_constant="add")
    y = x[complete]
    exog = exog.loc[:, exog.std(ddof=0).gt(0) | (exog.columns == "const")]
    if len(y) <= exog.shape[1] + 1 or "positive" not in exog.columns:
        return {**empty, "n_adjusted": len(y)}
    fit = sm.OLS(y, exog.to_numpy(dtype=float)).fit()
    k = list(exog.columns).index("positive")
    return {
        "adjusted_estimate": float(fit.params[k]),
        "adjusted_std_error": float(fit.bse[k]),
        "adjusted_p_value": float(fit.pvalues[k]),
        "n_adjusted": len(y),
    }


@dataclass(frozen=True, repr=False)
class InstrumentAnalyses(ResultMixin):
    """The analyses of the seed report's Tables 10-12 on one or more pilots' answers.

    ``baseline``: means at the first answer by ``by`` (Tables 10-11); ``change``: first
    vs latest answer (Tables 10-11); ``validity``: baseline scores by the 3-month outcome,
    raw and adjusted for age and education, with AUC (Table 12), or ``None`` when an
    outcome group has fewer than two answers (``notes`` says so). :meth:`tidy` is a
    descriptive table of the three (columns :data:`ANALYSES_COLUMNS`).
    """

    tidy_columns: ClassVar[tuple[str, ...]] = ANALYSES_COLUMNS

    baseline: GroupMeans
    change: PairedChange
    validity: PredictiveValidity | None
    notes: tuple[str, ...] = ()

    def tables(self) -> dict[str, pd.DataFrame]:
        """``baseline``, ``change`` and ``validity`` (empty without it) as DataFrames."""
        return {
            "baseline": self.baseline.tidy(),
            "change": self.change.tidy(),
            "validity": self.validity.tidy() if self.validity else pd.DataFrame(),
        }

    def tidy(self) -> pd.DataFrame:
        """One long table: ``analysis, score, group, estimate, conf_low, conf_high,
        p_value, n`` (``estimate``: the mean, the mean change, or the adjusted difference
        for ``validity``)."""
        b = self.baseline.tidy().rename(columns={"mean": "estimate"}).assign(analysis="baseline")
        c = self.change.tidy().assign(analysis="change")
        parts = [b, c]
        if self.validity is not None:
            v = self.validity.tidy()
            parts.append(
                pd.DataFrame(
                    {
                        "analysis": "validity_adjusted",
                        "score": v["score"],
                        "group": "work_or_study_vs_other",
                        "estimate": v["adjusted_estimate"],
                        "p_value": v["adjusted_p_value"],
                        "n": v["n_adjusted"],
                    }
                )
            )
        return pd.concat(parts, ignore_index=True).reindex(columns=list(ANALYSES_COLUMNS))

    def glance(self) -> pd.DataFrame:
        """One row: ``by``, scores, ``min_n``, ``alpha``, whether Table 12 was computed and
        how many notes."""
        b = self.baseline
        return pd.DataFrame(
            [
                {
                    "by": b.by,
                    "scores": int(b.table["score"].nunique()),
                    "min_n": b.min_n,
                    "alpha": alpha_of_level(b.conf_level),
                    "validity": self.validity is not None,
                    "notes": len(self.notes),
                }
            ]
        )

    def summary(self) -> str:
        """The three analyses as text, with the ethics rule."""
        rule = ethics_rule()
        parts = [f"Self-assessment analyses (seed report Tables 10-12). {rule}"]
        texts = [self.baseline.summary(), self.change.summary()]
        if self.validity is not None:
            texts.append(self.validity.summary())
        parts += [text.replace(f"\n{rule}", "") for text in texts]
        parts += list(dict.fromkeys(self.notes))
        return "\n\n".join(parts)

    def plot(self) -> Figure:
        """ROC curves of the baseline scores (Table 12), else the mean changes."""
        return self.validity.plot() if self.validity is not None else self.change.plot()


def instrument_analyses(
    scores: pd.DataFrame,
    *,
    by: str = "service_group",
    min_n: int = DEFAULT_MIN_N,
    follow_up: FollowUp = "latest",
    instrument: Instrument | str | None = None,
) -> InstrumentAnalyses:
    """Tables 10-12 of the seed report from :func:`score_assessments` output.

    Parameters
    ----------
    scores:
        Scores of one or many pilots (stacked).
    by:
        Grouping of the baseline means and changes (default the service group).
    min_n:
        Groups with fewer answers are suppressed.
    follow_up:
        With several follow-ups per client, compare the first answer with the
        ``"latest"`` (default) or the ``"first"`` follow-up.
    """
    baseline = baseline_means(scores, by=by, min_n=min_n, instrument=instrument)
    change = paired_change(scores, by=by, min_n=min_n, follow_up=follow_up, instrument=instrument)
    try:
        validity = predictive_validity(scores, instrument=instrument)
    except EstimationError as exc:
        return InstrumentAnalyses(baseline, change, None, (f"Table 12 not computed: {exc}",))
    return InstrumentAnalyses(baseline, change, validity, validity.notes)
