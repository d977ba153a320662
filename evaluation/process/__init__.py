"""Process and implementation evaluation across pilots (MRC framework, seed report).

From read self-evaluation workbooks:

* :func:`process_report` bundles everything the demo and the reports need;
* :func:`process_measures`: the funders' comparison ``process`` table
  (``pilot, target_group, participants, completed, mean_dose_hours, fidelity``);
* :func:`goal_attainment` / :func:`gas_t_score`: clients' own goals (GAS T-scores);
* :func:`readiness_scores`: implementation readiness survey per theme and round;
* :mod:`~evaluation.process.qualitative`: codebook, coded-excerpt import, counts, quotes;
* :func:`client_process` / :func:`dose_response`: process-outcome links.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import pandas as pd

from evaluation.contract import ResultMixin
from evaluation.process.gas import DEFAULT_RHO, GasResult, gas_t_score, goal_attainment
from evaluation.process.integration import (
    concept_ratings,
    harm_status,
    implementer_engagement,
    integration_profiles,
    precondition_ratings,
)
from evaluation.process.measures import (
    EXCLUDED_OUTCOMES,
    PROCESS_COLUMNS,
    DoseResponse,
    Reach,
    client_process,
    dose_response,
    intended_reach,
    process_measures,
)
from evaluation.process.qualitative import (
    Codebook,
    ExcerptImportError,
    code_counts,
    default_codebook,
    excerpts_from_evaluations,
    mask_identifiers,
    read_coded_excerpts,
    select_quotes,
)
from evaluation.process.readiness import ReadinessResult, readiness_scores
from evaluation.workbook.model import SelfEvaluation
from evaluation.workbook.reader import Submissions

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@dataclass(frozen=True, repr=False)
class ProcessReport(ResultMixin):
    """Process evidence of several pilots, as tidy tables.

    ``process`` (the funders' comparison table), ``gas`` (per pilot), ``readiness`` (per
    pilot, round and theme), ``readiness_latest`` (wide, latest round), ``readiness_change``
    (first to latest round), ``code_counts``,
    ``quotes`` (masked), ``integration``, ``preconditions``, ``harms``, ``clients``
    (per-client dose, fidelity, GAS and outcome), ``reach`` (the intended target groups
    reached, :func:`intended_reach`), ``concepts`` (service quality, participation and
    cooperation ratings) and ``engagement`` (how the implementers were engaged).
    :meth:`tidy` is the ``process`` table, a descriptive table (columns
    :data:`PROCESS_COLUMNS`).
    """

    tidy_columns: ClassVar[tuple[str, ...]] = PROCESS_COLUMNS

    process: pd.DataFrame
    gas: pd.DataFrame
    readiness: pd.DataFrame
    readiness_latest: pd.DataFrame
    readiness_change: pd.DataFrame
    code_counts: pd.DataFrame
    quotes: pd.DataFrame
    integration: pd.DataFrame
    preconditions: pd.DataFrame
    harms: pd.DataFrame
    clients: pd.DataFrame
    reach: pd.DataFrame
    concepts: pd.DataFrame
    engagement: pd.DataFrame

    def tables(self) -> dict[str, pd.DataFrame]:
        """All tables by name (``process`` is what the comparison report reads)."""
        return {f.name: getattr(self, f.name).copy() for f in dataclasses.fields(self)}

    def tidy(self) -> pd.DataFrame:
        """The funders' comparison ``process`` table (one row per pilot)."""
        return self.process.copy()

    def glance(self) -> pd.DataFrame:
        """One row: pilots, participants, completed, clients with a GAS T-score, coded
        excerpts and quotes."""
        return pd.DataFrame(
            [
                {
                    "pilots": len(self.process),
                    "participants": int(self.process["participants"].sum()),
                    "completed": int(self.process["completed"].sum()),
                    "clients_scored": int(self.gas["clients_scored"].sum()),
                    "coded_excerpts": int(self.code_counts["n"].sum()),
                    "quotes": len(self.quotes),
                }
            ]
        )

    def plot(self) -> Figure:
        """Participants and those who completed the service, per pilot."""
        from matplotlib.figure import Figure

        p = self.process
        fig = Figure(figsize=(6, 0.45 * len(p) + 1.4))
        ax = fig.subplots()
        names = p["pilot"].astype(str).tolist()
        ax.barh(names, p["participants"].astype("float64"), label="participants")
        ax.barh(names, p["completed"].astype("float64"), label="completed", height=0.5)
        ax.set_xlabel("clients")
        ax.legend(fontsize=7)
        fig.tight_layout()
        return fig

    def summary(self) -> str:
        """The process table as text."""
        return "Process measures per pilot\n" + self.process.to_string(index=False)

    def to_html(self) -> str:
        """An HTML fragment for the demo page (reports should use :meth:`tables`)."""

        def table(frame: pd.DataFrame) -> str:
            return frame.to_html(index=False, float_format="{:.2f}".format, na_rep="–", border=0)

        by_dim = (
            self.code_counts.groupby(["pilot", "dimension"])["n"].sum().unstack(fill_value=0)
            if len(self.code_counts)
            else pd.DataFrame()
        )
        pre = (
            self.preconditions.pivot(index="pilot", columns="precondition", values="rating")
            if len(self.preconditions)
            else pd.DataFrame()
        )
        concepts = (
            self.concepts.pivot(index="concept", columns="pilot", values="rating")
            if len(self.concepts)
            else pd.DataFrame()
        )
        parts = [
            "<h2>Process evaluation</h2>",
            "<h3>Reach, dose and fidelity</h3>",
            table(self.process),
            "<h3>Intended target groups reached (each group up to its plan)</h3>",
            table(self.reach[self.reach["target_group"] == "all"]) if len(self.reach) else "",
            "<h3>Service quality, participation and cooperation (ratings)</h3>",
            concepts.to_html(na_rep="not rated", border=0),
            "<h3>Integration model</h3>",
            table(self.integration),
            "<h3>Preconditions (traffic lights)</h3>",
            pre.to_html(na_rep="–", border=0),
            "<h3>Clients' own goals (GAS T-score, 50 = as expected)</h3>",
            table(self.gas),
            "<h3>Implementation readiness (latest survey round, 0-100)</h3>",
            table(self.readiness_latest),
            "<h3>Coded excerpts by MRC dimension</h3>",
            by_dim.to_html(border=0),
            "<h3>Quotes (masked)</h3>",
            table(self.quotes.head(12)),
        ]
        return "\n".join(parts)


def _evaluations(source: Submissions | Iterable[SelfEvaluation]) -> list[SelfEvaluation]:
    if isinstance(source, Submissions):
        return list(source.evaluations)
    return list(source)


def process_report(
    source: Submissions | Iterable[SelfEvaluation],
    *,
    rho: float = DEFAULT_RHO,
    min_n: int = 5,
    seed: int = 0,
) -> ProcessReport:
    """Process evidence of the read workbooks (workbooks that failed to read are skipped:
    their problems are in ``Submissions.problems()``).

    Parameters
    ----------
    source:
        Read workbooks (:func:`~evaluation.workbook.read_workbooks`) or evaluations.
    rho:
        GAS inter-goal correlation (default 0.3).
    min_n:
        Small-group suppression of GAS and readiness, and the minimum excerpts per pilot x
        source type before quoting.
    seed:
        Seed of the quote selection.
    """
    evs = _evaluations(source)
    goals = [ev.frame("client_goals").assign(pilot=ev.pilot) for ev in evs]
    goals_all = (
        pd.concat(goals, ignore_index=True)
        if goals
        else pd.DataFrame(columns=["pilot", "client_id", "attainment", "weight"])
    )
    answers = [ev.frame("readiness").assign(pilot=ev.pilot) for ev in evs]
    readiness = (
        readiness_scores(pd.concat(answers, ignore_index=True), min_n=min_n) if answers else None
    )
    excerpts = excerpts_from_evaluations(evs)
    ids = [str(r["client_id"]) for ev in evs for r in ev.records.get("clients", ())]
    return ProcessReport(
        process=process_measures(evs),
        gas=goal_attainment(goals_all, rho=rho, min_n=min_n).tidy(),
        readiness=readiness.tidy() if readiness else pd.DataFrame(),
        readiness_latest=readiness.wide() if readiness else pd.DataFrame(),
        readiness_change=readiness.change() if readiness else pd.DataFrame(),
        code_counts=code_counts(excerpts),
        quotes=select_quotes(excerpts, min_group=min_n, ids=ids, seed=seed),
        integration=integration_profiles(evs),
        preconditions=precondition_ratings(evs),
        harms=harm_status(evs),
        clients=client_process(evs, rho=rho),
        reach=(
            pd.concat([intended_reach(ev).tidy() for ev in evs], ignore_index=True)
            if evs
            else pd.DataFrame()
        ),
        concepts=concept_ratings(evs),
        engagement=implementer_engagement(evs),
    )


__all__ = [
    "DEFAULT_RHO",
    "EXCLUDED_OUTCOMES",
    "PROCESS_COLUMNS",
    "Codebook",
    "DoseResponse",
    "ExcerptImportError",
    "GasResult",
    "ProcessReport",
    "Reach",
    "ReadinessResult",
    "client_process",
    "code_counts",
    "concept_ratings",
    "default_codebook",
    "dose_response",
    "excerpts_from_evaluations",
    "gas_t_score",
    "goal_attainment",
    "harm_status",
    "implementer_engagement",
    "integration_profiles",
    "intended_reach",
    "mask_identifiers",
    "precondition_ratings",
    "process_measures",
    "process_report",
    "read_coded_excerpts",
    "readiness_scores",
    "select_quotes",
]
