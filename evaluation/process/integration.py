"""Integration model, preconditions and harms of each pilot as comparable tidy tables."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from evaluation.workbook.model import SelfEvaluation

#: Columns of :func:`integration_profiles`.
PROFILE_COLUMNS = (
    "pilot",
    "model_type",
    "level_administration",
    "level_organisation",
    "level_client_work",
    "benefit_link",
    "pooled_budget",
)


def integration_profiles(evaluations: Iterable[SelfEvaluation]) -> pd.DataFrame:
    """One row per pilot: model type, cooperation levels (booleans), benefit link, pooled
    budget (boolean). Missing answers stay missing."""
    rows = []
    for ev in evaluations:
        f = ev.forms.get("integration_model", {})

        def yes(key: str, f: object = f) -> bool | None:
            v = f.get(key) if isinstance(f, dict) else None
            return None if v is None else v == "yes"

        rows.append(
            {
                "pilot": ev.pilot,
                "model_type": f.get("model_type"),
                "level_administration": yes("level_administration"),
                "level_organisation": yes("level_organisation"),
                "level_client_work": yes("level_client_work"),
                "benefit_link": f.get("benefit_link"),
                "pooled_budget": yes("pooled_budget"),
            }
        )
    out = pd.DataFrame(rows, columns=list(PROFILE_COLUMNS))
    for c in ("pilot", "model_type", "benefit_link"):
        out[c] = out[c].astype("string")
    for c in ("level_administration", "level_organisation", "level_client_work", "pooled_budget"):
        out[c] = out[c].astype("boolean")
    return out


def precondition_ratings(evaluations: Iterable[SelfEvaluation]) -> pd.DataFrame:
    """Traffic-light ratings of the preconditions: ``pilot, precondition, rating``."""
    rows = [
        {"pilot": ev.pilot, "precondition": r["row"], "rating": r.get("rating")}
        for ev in evaluations
        for r in ev.records.get("preconditions", ())
    ]
    return pd.DataFrame(rows, columns=["pilot", "precondition", "rating"]).astype("string")


def harm_status(evaluations: Iterable[SelfEvaluation]) -> pd.DataFrame:
    """Harms to watch: ``pilot, harm, status``."""
    rows = [
        {"pilot": ev.pilot, "harm": r["row"], "status": r.get("status")}
        for ev in evaluations
        for r in ev.records.get("harms", ())
    ]
    return pd.DataFrame(rows, columns=["pilot", "harm", "status"]).astype("string")


def concept_ratings(evaluations: Iterable[SelfEvaluation]) -> pd.DataFrame:
    """Ratings of the service-quality dimensions, participation levels and cooperation
    dimensions (sheet *Quality and participation*): ``pilot, family, concept, rating``.

    Rows left blank (and workbooks of a template version without the sheet) have no
    rating: the row is kept with a missing rating, so "not rated" stays visible.
    """
    rows = [
        {
            "pilot": ev.pilot,
            "family": code.attrs.get("concept_family"),
            "concept": code.code,
            "rating": rated.get(code.code),
        }
        for ev in evaluations
        for rated in [{r["row"]: r.get("rating") for r in ev.records.get("quality_concepts", ())}]
        for code in ev.schema.codelist("quality_concept").codes
    ]
    return pd.DataFrame(rows, columns=["pilot", "family", "concept", "rating"]).astype("string")


def implementer_engagement(evaluations: Iterable[SelfEvaluation]) -> pd.DataFrame:
    """How the implementers were engaged, per component (sheet *Implementation*; seed 001
    l.4837-4838): ``pilot, component, engagement`` for the components that answer it."""
    rows = [
        {"pilot": ev.pilot, "component": r.get("component"), "engagement": r.get("engagement")}
        for ev in evaluations
        for r in ev.records.get("implementation", ())
        if r.get("engagement")
    ]
    return pd.DataFrame(rows, columns=["pilot", "component", "engagement"]).astype("string")
