"""Implementation readiness staff survey: theme scores per pilot and survey round.

The survey (instrument ``implementation_readiness`` of the schema) has five themes after
the seed report's readiness analysis: leadership and legal frame, organisational culture
and practices, competence development, technology and economics. Each theme score is the
mean of its items rescaled to 0-100; ``overall`` is the mean of the five. Respondents are
aggregated per pilot and round; groups with fewer than ``min_n`` respondents are
suppressed (estimates blank), so no one's answers can be singled out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np
import pandas as pd

from evaluation.contract import ResultMixin, interval_alpha
from evaluation.errors import MissingColumnError, OptionError
from evaluation.schema import load_schema
from evaluation.workbook.instrument import score_frame

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: Schema id of the readiness instrument.
INSTRUMENT = "implementation_readiness"
#: Groups with fewer respondents are suppressed.
DEFAULT_MIN_N = 5

TIDY_COLUMNS = (
    "pilot",
    "survey_round",
    "theme",
    "n",
    "mean",
    "conf_low",
    "conf_high",
    "suppressed",
)


def theme_ids() -> tuple[str, ...]:
    """Score ids of the readiness instrument (five themes, then ``overall``)."""
    return tuple(s.id for s in load_schema().instrument(INSTRUMENT).scores)


@dataclass(frozen=True, repr=False)
class ReadinessResult(ResultMixin):
    """Readiness scores per respondent and aggregated per pilot, round and theme.

    ``respondents``: the answers with one column per theme score. ``aggregate`` (see
    :meth:`tidy`): ``pilot, survey_round, theme, n, mean, conf_low, conf_high,
    suppressed``. :meth:`tidy` is a descriptive table (means with t intervals, columns
    :data:`TIDY_COLUMNS`), not an estimate table.
    """

    tidy_columns: ClassVar[tuple[str, ...]] = TIDY_COLUMNS

    respondents: pd.DataFrame
    aggregate: pd.DataFrame
    min_n: int
    alpha: float = 0.05

    def tidy(self) -> pd.DataFrame:
        """Per pilot, round and theme (long)."""
        return self.aggregate.copy()

    def glance(self) -> pd.DataFrame:
        """One row: pilots, survey rounds, answers, suppressed pilot-rounds, ``min_n``,
        ``alpha``."""
        overall = self.aggregate[self.aggregate["theme"] == "overall"]
        return pd.DataFrame(
            [
                {
                    "pilots": int(self.aggregate["pilot"].nunique()),
                    "rounds": int(self.aggregate["survey_round"].nunique()),
                    "answers": len(self.respondents),
                    "groups_suppressed": int(overall["suppressed"].sum()),
                    "min_n": self.min_n,
                    "alpha": self.alpha,
                }
            ]
        )

    def wide(self) -> pd.DataFrame:
        """Latest round of each pilot: one row per pilot, one column per theme (mean)."""
        agg = self.aggregate
        if agg.empty:
            return pd.DataFrame(columns=["pilot", "survey_round", "n", *theme_ids()])
        last = agg.groupby("pilot")["survey_round"].transform("max")
        cur = agg[agg["survey_round"] == last]
        out = cur.pivot_table(
            index=["pilot", "survey_round"], columns="theme", values="mean", dropna=False
        ).reindex(columns=list(theme_ids()))
        n = cur.groupby(["pilot", "survey_round"])["n"].max()
        out.insert(0, "n", n)
        out.columns.name = None
        return out.reset_index()

    def change(self) -> pd.DataFrame:
        """Change from each pilot's first to its latest round, per theme.

        Columns: ``pilot, theme, first_round, last_round, first, last, change``; the
        change is missing when either round is suppressed or the pilot has one round.
        """
        agg = self.aggregate
        rows = []
        for (pilot, theme), grp in agg.groupby(["pilot", "theme"], sort=True):
            grp = grp.sort_values("survey_round")
            a, b = grp.iloc[0], grp.iloc[-1]
            one = len(grp) == 1
            rows.append(
                {
                    "pilot": pilot,
                    "theme": theme,
                    "first_round": int(a["survey_round"]),
                    "last_round": int(b["survey_round"]),
                    "first": float(a["mean"]),
                    "last": float(b["mean"]),
                    "change": float("nan") if one else float(b["mean"] - a["mean"]),
                }
            )
        cols = ["pilot", "theme", "first_round", "last_round", "first", "last", "change"]
        return pd.DataFrame(rows, columns=cols)

    def summary(self) -> str:
        """Readable overall score per pilot and round."""
        lines = [f"Implementation readiness (0-100; groups under {self.min_n} suppressed)"]
        for r in self.aggregate[self.aggregate["theme"] == "overall"].itertuples(index=False):
            v = "suppressed" if r.suppressed else f"{r.mean:.1f}"
            lines.append(f"  {r.pilot:<20} round {r.survey_round}: n = {r.n:>3}  overall {v}")
        return "\n".join(lines)

    def plot(self) -> Figure:
        """Theme means of each pilot's latest round (suppressed groups omitted)."""
        from matplotlib.figure import Figure

        fig = Figure(figsize=(7, 3.5))
        ax = fig.subplots()
        w = self.wide()
        themes = [t for t in theme_ids() if t != "overall"]
        x = np.arange(len(themes))
        width = 0.8 / max(len(w), 1)
        for i, r in enumerate(w.itertuples(index=False)):
            vals = [getattr(r, t) for t in themes]
            ax.bar(x + i * width, vals, width, label=str(r.pilot))
        ax.set_xticks(x + 0.4 - width / 2, themes, rotation=20)
        ax.set_ylim(0, 100)
        ax.set_ylabel("score (0-100)")
        if len(w):
            ax.legend(fontsize=7)
        fig.tight_layout()
        return fig


def readiness_scores(
    responses: pd.DataFrame,
    *,
    min_n: int = DEFAULT_MIN_N,
    alpha: float = 0.05,
    conf_level: float | None = None,
) -> ReadinessResult:
    """Score readiness answers and aggregate them per pilot, round and theme.

    Parameters
    ----------
    responses:
        One row per respondent and round: ``pilot, respondent_id, survey_round`` and one
        column per item of the instrument (whole numbers 1-5, missing as NA).
    min_n:
        Groups with fewer respondents with a score get blank estimates.
    alpha:
        Significance level of the t-based confidence intervals (0.05: 95% intervals).
    conf_level:
        Deprecated: the confidence level (``1 - alpha``); use ``alpha``.
    """
    from scipy import stats

    alpha = interval_alpha(alpha, conf_level, where="readiness_scores", old_name="conf_level")
    level = 1.0 - alpha

    if min_n < 1:
        raise OptionError(f"min_n {min_n} is below 1", where="option min_n", fix="use e.g. 5")
    need = ["pilot", "respondent_id", "survey_round"]
    missing = [c for c in need if c not in responses.columns]
    if missing:
        raise MissingColumnError(missing, where="readiness answers", available=responses.columns)
    scored = score_frame(responses, instrument=INSTRUMENT)
    themes = theme_ids()
    rows = []
    keys = (
        scored[["pilot", "survey_round"]].drop_duplicates().sort_values(["pilot", "survey_round"])
    )
    for pilot, rnd in keys.itertuples(index=False):
        grp = scored[(scored["pilot"] == pilot) & (scored["survey_round"] == rnd)]
        for th in themes:
            x = grp[th].dropna().to_numpy(dtype="float64")
            n = len(x)
            supp = n < min_n
            mean = lo = hi = float("nan")
            if not supp:
                mean = float(x.mean())
                se = float(x.std(ddof=1)) / math.sqrt(n)
                q = float(stats.t.ppf(0.5 + level / 2, n - 1))
                lo, hi = mean - q * se, mean + q * se
            rows.append(
                {
                    "pilot": str(pilot),
                    "survey_round": int(rnd),
                    "theme": th,
                    "n": n,
                    "mean": mean,
                    "conf_low": lo,
                    "conf_high": hi,
                    "suppressed": supp,
                }
            )
    aggregate = pd.DataFrame(rows, columns=list(TIDY_COLUMNS))
    return ReadinessResult(scored, aggregate, min_n, alpha)
