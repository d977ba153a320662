"""Per-pilot process measures and per-client process-outcome links (dose-response).

* :func:`process_measures`: the funders' comparison ``process`` table, one row per pilot:
  ``pilot, target_group, participants, completed, mean_dose_hours, fidelity`` (see
  ``evaluation/reporting/results.py``);
* :func:`client_process`: one row per client with dose (months in service, meetings,
  hours), fidelity, GAS T-score and the outcome 3 months after exit;
* :func:`dose_response`: outcome share and GAS T-score by dose band, with a rank
  correlation; clients whose outcome is "other" are left out, as the seed report does
  (001 l.4928-4930);
* :func:`intended_reach`: whether the pilot reached its intended target groups (seed 001
  l.4837-4838), as a capped share of the planned clients.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal

import pandas as pd

from evaluation.contract import ResultMixin
from evaluation.errors import EstimationError, MissingColumnError, OptionError
from evaluation.process.gas import DEFAULT_RHO, goal_attainment
from evaluation.tables import TABLES
from evaluation.workbook.instrument import POSITIVE_OUTCOMES

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from evaluation.workbook.model import SelfEvaluation

#: Columns of the ``process`` table read by the funders' comparison report (registry).
PROCESS_COLUMNS = TABLES["process"].names
#: Outcomes left out of outcome comparisons (seed 001 l.4930: "Muuhun tilanteeseen
#: siirtyneet jätettiin analyysin ulkopuolelle").
EXCLUDED_OUTCOMES = ("other",)
#: Per-client fidelity codes as numbers (as planned = 1, partly = 0.5, not = 0).
FIDELITY_SCORE = {"as_planned": 1.0, "partly": 0.5, "not_delivered": 0.0}
#: Average days per month, for months in service.
DAYS_PER_MONTH = 30.4375
#: Columns of :meth:`DoseResponse.tidy` (one row per dose band).
DOSE_BAND_COLUMNS = (
    "band",
    "dose_low",
    "dose_high",
    "n",
    "n_followed",
    "positive_share",
    "mean_gas_t_score",
)
#: Columns of :meth:`Reach.tidy` (one row per served target group, then ``all``).
REACH_COLUMNS = ("target_group", "planned", "participants", "reached", "share", "pilot")

Dose = Literal["service_hours", "meetings", "months_in_service"]


def process_measures(evaluations: Iterable[SelfEvaluation]) -> pd.DataFrame:
    """Per-pilot process measures (reach, completion, dose, fidelity).

    * ``target_group``: planned clients summed over the target groups the pilot serves
      (sheet *Target groups*); missing if none is given;
    * ``participants``: clients on the *Client follow-up* sheet;
    * ``completed``: clients marked as having completed the service (*Service dose*);
    * ``mean_dose_hours``: mean service hours per participant with hours recorded;
    * ``fidelity``: mean score of the components on the *Implementation* sheet, each
      scored by :data:`FIDELITY_SCORE` (as planned 1, partly 0.5, not delivered 0), so
      the scale runs from 0 (nothing as planned) to 1 (everything as planned); missing
      without components.
    """
    rows = []
    for ev in evaluations:
        tg = ev.frame("target_groups")
        served = tg[tg["included"] == "yes"]["planned_clients"].dropna()
        dose = ev.frame("service_dose")
        impl = ev.frame("implementation")["fidelity"].dropna()
        hours = dose["service_hours"].dropna().astype("float64")
        rows.append(
            {
                "pilot": ev.pilot,
                "target_group": int(served.sum()) if len(served) else pd.NA,
                "participants": len(ev.records.get("clients", ())),
                "completed": int((dose["completed"] == "yes").sum()),
                "mean_dose_hours": float(hours.mean()) if len(hours) else float("nan"),
                "fidelity": float(impl.map(FIDELITY_SCORE).mean()) if len(impl) else float("nan"),
            }
        )
    out = pd.DataFrame(rows, columns=list(PROCESS_COLUMNS))
    out["target_group"] = out["target_group"].astype("Int64")
    for c in ("participants", "completed"):
        out[c] = out[c].astype("int64")
    for c in ("mean_dose_hours", "fidelity"):
        out[c] = out[c].astype("float64")
    out["pilot"] = out["pilot"].astype("string")
    return out


def client_process(
    evaluations: Iterable[SelfEvaluation], *, rho: float = DEFAULT_RHO
) -> pd.DataFrame:
    """One row per client: dose, fidelity, GAS T-score and outcome.

    Columns: ``pilot, client_id, target_group, months_in_service, meetings,
    service_hours, fidelity, completed, gas_t_score, outcome_3m, positive_outcome``.
    Months in service run from entry to exit (or to the report date while in service).
    ``positive_outcome`` is 1 for work or degree education 3 months after exit, 0 for
    another employment service or unemployment, and missing when not yet followed up or
    when the situation is "other" (left out, :data:`EXCLUDED_OUTCOMES`).
    """
    frames = []
    for ev in evaluations:
        cl = ev.frame("clients")
        ref = ev.report_date or dt.date.today()
        end = cl["exit_date"].fillna(pd.Timestamp(ref))
        months = (end - cl["entry_date"]).dt.days / DAYS_PER_MONTH
        base = pd.DataFrame(
            {
                "pilot": ev.pilot,
                "client_id": cl["client_id"],
                "target_group": cl["target_group"],
                "months_in_service": months.astype("float64"),
                "outcome_3m": cl["outcome_3m"],
            }
        )
        dose = ev.frame("service_dose")[
            ["client_id", "meetings", "service_hours", "fidelity", "completed"]
        ]
        dose = dose.assign(fidelity=dose["fidelity"].map(FIDELITY_SCORE).astype("Float64"))
        goals = ev.frame("client_goals")
        if len(goals):
            gas = goal_attainment(goals.assign(pilot=ev.pilot), rho=rho, min_n=1).clients
            gas = gas[["client_id", "t_score"]].rename(columns={"t_score": "gas_t_score"})
        else:
            gas = pd.DataFrame({"client_id": pd.array([], dtype="string"), "gas_t_score": []})
        merged = base.merge(dose, on="client_id", how="left", validate="one_to_one")
        merged = merged.merge(gas, on="client_id", how="left", validate="one_to_one")
        frames.append(merged)
    cols = [
        "pilot",
        "client_id",
        "target_group",
        "months_in_service",
        "meetings",
        "service_hours",
        "fidelity",
        "completed",
        "gas_t_score",
        "outcome_3m",
    ]
    out = (
        pd.concat([f[cols] for f in frames], ignore_index=True)
        if frames
        else pd.DataFrame(columns=cols)
    )
    known = (
        out["outcome_3m"].notna() & ~out["outcome_3m"].isin(list(EXCLUDED_OUTCOMES))
    ).to_numpy()
    hit = out["outcome_3m"].isin(list(POSITIVE_OUTCOMES)).to_numpy()
    out["positive_outcome"] = pd.array(
        [int(h) if k else None for h, k in zip(hit, known, strict=True)], dtype="Int64"
    )
    return out


@dataclass(frozen=True, repr=False)
class DoseResponse(ResultMixin):
    """Outcome by dose band.

    ``bands``: ``band, dose_low, dose_high, n, n_followed, positive_share,
    mean_gas_t_score``; ``spearman_rho`` and ``p_value``: rank correlation of dose and
    the positive outcome among clients followed up. :meth:`tidy` is a descriptive table
    (columns :data:`DOSE_BAND_COLUMNS`); the test is in :meth:`glance`.
    """

    tidy_columns: ClassVar[tuple[str, ...]] = DOSE_BAND_COLUMNS

    dose: str
    bands: pd.DataFrame
    spearman_rho: float
    p_value: float
    n: int

    def tidy(self) -> pd.DataFrame:
        """The dose bands."""
        return self.bands.copy()

    def glance(self) -> pd.DataFrame:
        """One row: ``dose, bands, n`` (followed up), ``spearman_rho, p_value``."""
        return pd.DataFrame(
            [
                {
                    "dose": self.dose,
                    "bands": len(self.bands),
                    "n": self.n,
                    "spearman_rho": self.spearman_rho,
                    "p_value": self.p_value,
                }
            ]
        )

    def summary(self) -> str:
        """Bands and the rank correlation."""
        lines = [f"Dose-response ({self.dose}; n = {self.n} followed up)"]
        for r in self.bands.itertuples(index=False):
            lines.append(
                f"  {r.band:<4} {r.dose_low:8.1f}-{r.dose_high:<8.1f} n = {r.n_followed:>4}  "
                f"positive {r.positive_share:.2f}"
            )
        lines.append(f"  Spearman rho = {self.spearman_rho:.3f} (p = {self.p_value:.3g})")
        return "\n".join(lines)

    def plot(self) -> Figure:
        """Share with a positive outcome per dose band."""
        from matplotlib.figure import Figure

        fig = Figure(figsize=(5, 3.2))
        ax = fig.subplots()
        ax.bar(self.bands["band"].astype(str), self.bands["positive_share"].astype("float64"))
        ax.set_ylim(0, 1)
        ax.set_xlabel(f"{self.dose} band (low to high)")
        ax.set_ylabel("work or education 3 months after exit")
        fig.tight_layout()
        return fig


def dose_response(
    clients: pd.DataFrame, *, dose: Dose = "service_hours", bands: int = 4
) -> DoseResponse:
    """Outcome share and GAS T-score by quantile band of ``dose``.

    Parameters
    ----------
    clients:
        Output of :func:`client_process` (or a frame with ``dose``,
        ``positive_outcome`` and ``gas_t_score``).
    dose:
        The dose measure.
    bands:
        Number of quantile bands (2-10).
    """
    if dose not in ("service_hours", "meetings", "months_in_service"):
        raise OptionError(
            f"unknown dose {dose!r}",
            where="option dose",
            fix="use service_hours, meetings or months_in_service",
        )
    if not 2 <= bands <= 10:
        raise OptionError(f"bands {bands} not in 2..10", where="option bands", fix="use e.g. 4")
    need = [dose, "positive_outcome", "gas_t_score"]
    missing = [c for c in need if c not in clients.columns]
    if missing:
        raise MissingColumnError(missing, where="client process table", available=clients.columns)
    from scipy import stats

    d = pd.DataFrame(
        {
            "dose": pd.to_numeric(clients[dose], errors="coerce").astype("float64"),
            "pos": pd.to_numeric(clients["positive_outcome"], errors="coerce").astype("float64"),
            "gas": pd.to_numeric(clients["gas_t_score"], errors="coerce").astype("float64"),
        }
    ).dropna(subset=["dose"])
    if d["dose"].nunique() < bands:
        raise EstimationError(
            f"only {d['dose'].nunique()} distinct {dose} values for {bands} bands",
            where="dose-response",
            fix="use fewer bands or record the dose for more clients",
        )
    d["band"] = pd.qcut(
        d["dose"].rank(method="first"), bands, labels=[f"Q{i + 1}" for i in range(bands)]
    )
    rows = []
    for band, grp in d.groupby("band", observed=True):
        rows.append(
            {
                "band": str(band),
                "dose_low": float(grp["dose"].min()),
                "dose_high": float(grp["dose"].max()),
                "n": len(grp),
                "n_followed": int(grp["pos"].notna().sum()),
                "positive_share": float(grp["pos"].mean()),
                "mean_gas_t_score": float(grp["gas"].mean()),
            }
        )
    f = d.dropna(subset=["pos"])
    if len(f) >= 3 and f["pos"].nunique() > 1:
        res = stats.spearmanr(f["dose"], f["pos"])
        rho, p = float(res.statistic), float(res.pvalue)
    else:
        rho = p = float("nan")
    return DoseResponse(dose, pd.DataFrame(rows, columns=list(DOSE_BAND_COLUMNS)), rho, p, len(f))


@dataclass(frozen=True, repr=False)
class Reach(ResultMixin):
    """Whether the pilot reached its intended target groups.

    ``groups``: one row per target group the pilot serves (*Target groups* sheet,
    "served" = yes): ``target_group, planned, participants, reached`` (participants
    counted up to the plan) and ``share`` (``reached / planned``, at most 1; missing
    without a plan). ``share`` overall is the sum of ``reached`` over the sum of
    ``planned``: more clients in one group never make up for a group not reached, so it
    never exceeds 1. ``outside`` counts participants of groups the pilot does not serve.
    :meth:`tidy` is a descriptive table (columns :data:`REACH_COLUMNS`).
    """

    tidy_columns: ClassVar[tuple[str, ...]] = REACH_COLUMNS

    pilot: str
    groups: pd.DataFrame
    share: float
    participants: int
    outside: int

    def tidy(self) -> pd.DataFrame:
        """The target groups, with an ``all`` row."""
        total = pd.DataFrame(
            [
                {
                    "target_group": "all",
                    "planned": int(self.groups["planned"].sum()),
                    "participants": int(self.groups["participants"].sum()),
                    "reached": int(self.groups["reached"].sum()),
                    "share": self.share,
                }
            ]
        )
        parts = [g for g in (self.groups, total) if len(g)]
        return pd.concat(parts, ignore_index=True).assign(pilot=self.pilot)[list(REACH_COLUMNS)]

    def glance(self) -> pd.DataFrame:
        """One row: ``pilot``, served target groups, planned clients, ``participants``,
        ``outside`` the intended groups and the overall capped ``share``."""
        return pd.DataFrame(
            [
                {
                    "pilot": self.pilot,
                    "target_groups": len(self.groups),
                    "planned": int(self.groups["planned"].sum()),
                    "participants": self.participants,
                    "outside": self.outside,
                    "share": self.share,
                }
            ]
        )

    def summary(self) -> str:
        """One line per intended target group and the overall capped share."""
        lines = [f"Reach of the intended target groups: {self.pilot}"]
        for r in self.groups.to_dict("records"):
            share = "–" if pd.isna(r["share"]) else f"{r['share']:.0%}"
            lines.append(
                f"  {r['target_group']:<26} {r['participants']:>5} of {r['planned']:>5} "
                f"planned  {share}"
            )
        lines.append(
            f"  overall {self.share:.0%} of the planned clients reached (each group counted "
            f"up to its plan); {self.outside} of {self.participants} participants outside "
            "the intended groups"
        )
        return "\n".join(lines)

    def plot(self) -> Figure:
        """Share of the plan reached per intended target group (capped at 100%)."""
        from matplotlib.figure import Figure

        fig = Figure(figsize=(5, 0.4 * len(self.groups) + 1.2))
        ax = fig.subplots()
        ax.barh(self.groups["target_group"], 100 * self.groups["share"].astype("float64"))
        ax.set_xlim(0, 100)
        ax.set_xlabel("% of the planned clients reached")
        fig.tight_layout()
        return fig


def intended_reach(evaluation: SelfEvaluation) -> Reach:
    """Whether the pilot reached the target groups it intended (seed 001 l.4837-4838).

    Each served target group's participants (*Client follow-up*) are compared with its
    planned clients (*Target groups*), counted up to the plan; see :class:`Reach`.
    """
    tg = evaluation.frame("target_groups")
    served = tg[tg["included"] == "yes"]
    counts = evaluation.frame("clients")["target_group"].astype("object").value_counts()
    planned = served["planned_clients"].astype("Float64")
    participants = served["row"].astype(str).map(lambda g: int(counts.get(g, 0)))
    reached = [
        int(min(n, p)) if pd.notna(p) else 0 for n, p in zip(participants, planned, strict=True)
    ]
    groups = pd.DataFrame(
        {
            "target_group": served["row"].astype(str).to_numpy(),
            "planned": planned.fillna(0).astype("int64").to_numpy(),
            "participants": participants.astype("int64").to_numpy(),
            "reached": pd.array(reached, dtype="int64"),
        }
    )
    groups["share"] = [
        r / p if p > 0 else float("nan")
        for r, p in zip(groups["reached"], groups["planned"], strict=True)
    ]
    total_planned = int(groups["planned"].sum())
    share = float(groups["reached"].sum() / total_planned) if total_planned else float("nan")
    n = int(counts.sum())
    return Reach(
        pilot=evaluation.pilot,
        groups=groups,
        share=share,
        participants=n,
        outside=n - int(groups["participants"].sum()),
    )
