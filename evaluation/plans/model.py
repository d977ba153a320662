"""The evaluation plan: a strict pydantic model, the single source of the plan's JSON Schema.

A plan is written once, before the data are seen, as a YAML file in ``designs/``. Every
model forbids unknown keys and coerces nothing (``strict``), so that a typo is an error,
not a silently ignored option. :func:`plan_schema` exports the published JSON Schema
(``designs/plan.schema.json``).
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from evaluation.impact import MATCHING_COVARIATES
from evaluation.registers import OUTCOME_COLUMNS
from evaluation.safe_io import write_text
from evaluation.tables import Design as TableDesign

#: Version of the plan format (the ``version`` key of a plan).
PLAN_VERSION = 1

#: The design kinds (declared once, in the table registry: ``effects.csv`` records them).
Design = TableDesign
ControlGroup = Literal["nevertreated", "notyettreated"]
Sensitivity = Literal[
    "notyettreated_comparison", "rosenbaum_bounds", "history_covariates", "honest_did"
]
MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Study(_Strict):
    """What is evaluated and by whom."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", description="Short ASCII id of the study.")
    title: str = Field(min_length=1, description="Title shown in reports.")
    evaluator: str = Field(default="", description="Who wrote the plan.")
    registered: str = Field(
        default="", description="Date the plan was fixed (YYYY-MM-DD), before data were seen."
    )


class SyntheticData(_Strict):
    """Built-in synthetic register extract with known truth."""

    persons: int = Field(ge=2000, le=1_000_000, description="Persons in the extract.")
    seed: int = Field(ge=0, description="Seed of the synthetic data generator.")


class DataFiles(_Strict):
    """Register files (CSV or parquet); relative paths are relative to the plan file."""

    spells: str = Field(description="Spells: person_id, code, start, end.")
    participants: str = Field(description="Client sheet: person_id, pilot, entry_date[, ...].")
    persons: str = Field(description="Persons: person_id, birth_year, sex, region, ...")


class Window(_Strict):
    """Months of the person-month panel (inclusive)."""

    start: str = Field(pattern=MONTH_PATTERN, description="First month, YYYY-MM.")
    end: str = Field(pattern=MONTH_PATTERN, description="Last month, YYYY-MM.")

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}; swap them")
        return self


class Data(_Strict):
    """The data source: exactly one of ``synthetic`` or ``files``."""

    synthetic: SyntheticData | None = None
    files: DataFiles | None = None
    window: Window | None = Field(
        default=None, description="Panel window; default the synthetic extract's window."
    )

    @model_validator(mode="after")
    def _one_source(self) -> Data:
        if (self.synthetic is None) == (self.files is None):
            raise ValueError("give exactly one data source: 'synthetic' or 'files'")
        if self.files is not None and self.window is None:
            raise ValueError("register files need a 'window' with start and end months")
        return self


class Eligibility(_Strict):
    """Who may be in the comparison group (participants are eligible by definition)."""

    age_min: int = Field(default=16, ge=0, le=120, description="Minimum age at pilot start.")
    age_max: int = Field(default=64, ge=0, le=120, description="Maximum age at pilot start.")

    @model_validator(mode="after")
    def _ordered(self) -> Eligibility:
        if self.age_max < self.age_min:
            raise ValueError(f"age_max {self.age_max} is below age_min {self.age_min}")
        return self


class Population(_Strict):
    """Study population and comparison pool."""

    comparison: Literal["national", "pilot_regions"] = Field(
        default="national",
        description="Never-participants from the whole extract or from the pilot's regions.",
    )
    eligibility: Eligibility = Field(default_factory=Eligibility)


class Treatment(_Strict):
    """How treatment (pilot entry) is defined."""

    entry: Literal["client_sheet", "service_spells"] = Field(
        default="client_sheet",
        description="Entry month from the pilot's client sheet or from service spells.",
    )


class FollowUp(_Strict):
    """Follow-up windows, in months relative to entry."""

    months: int = Field(default=12, ge=1, le=60, description="Follow-up of matching outcomes.")
    history: int = Field(default=24, ge=1, le=60, description="Pre-entry months (history).")
    event_window: list[int] = Field(
        default_factory=lambda: [-12, 18],
        description="First and last event time of the event study, e.g. [-12, 18].",
    )

    @field_validator("event_window")
    @classmethod
    def _window(cls, v: list[int]) -> list[int]:
        if len(v) != 2 or not v[0] < 0 <= v[1]:
            raise ValueError("give two event times [first, last] with first < 0 <= last")
        return v


class DesignOptions(_Strict):
    """The design and its options."""

    kind: Design = Field(description="staggered_did, matching or matched_did.")
    control_group: ControlGroup = Field(default="nevertreated", description="DiD comparison.")
    method: Literal["dr", "ipw", "reg"] = Field(default="dr", description="DiD estimator.")
    base_period: Literal["varying", "universal"] = "varying"
    anticipation: int = Field(default=0, ge=0, le=12)
    ratio: int = Field(default=1, ge=1, le=10, description="Matching: controls per treated.")
    caliper: float | None = Field(default=None, gt=0, description="Matching caliper (SD).")
    replace: bool = False
    pretrend_alpha: float = Field(
        default=0.05, gt=0, lt=1, description="Level of the event-study pre-trend test."
    )


class Subgroup(_Strict):
    """A subgroup analysis: effects by the levels of a covariate (matching designs)."""

    name: str = Field(min_length=1, description="Name shown in results.")
    covariate: str = Field(min_length=1, description="A matching covariate, e.g. female.")

    @field_validator("covariate")
    @classmethod
    def _known(cls, v: str) -> str:
        if v not in MATCHING_COVARIATES:
            close = difflib.get_close_matches(v, MATCHING_COVARIATES, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(
                f"unknown covariate {v!r}{hint}; allowed: {', '.join(MATCHING_COVARIATES)}"
            )
        return v


class Report(_Strict):
    """A report to render from the results."""

    kind: Literal["impact", "compare"] = "impact"
    language: Literal["fi", "sv", "en"] = "en"


class Evidence(_Strict):
    """The evidence scale and its thresholds."""

    scale: Literal["maryland_sms"] = "maryland_sms"
    min_treated: int = Field(default=100, ge=1, description="Below: downgrade one level.")


class PowerOptions(_Strict):
    """Power before the pilot: placebo rollouts on the target group's register history
    (``pilot-eval power PLAN.yaml``). Follow-up months, pre-trend months (the event window's
    first event time) and the pre-trend level come from ``follow_up`` and ``design``."""

    n_treated: int | None = Field(
        default=None, ge=2, description="Planned participants; default: the client sheet's."
    )
    cohorts: int | None = Field(
        default=None,
        ge=1,
        le=36,
        description="Monthly entry cohorts; default: the client sheet's entry months.",
    )
    n_control: int | None = Field(
        default=None, ge=2, description="Comparison persons; default: the whole target group."
    )
    outcome: str | None = Field(default=None, description="Outcome; default the first one.")
    history_end: str | None = Field(
        default=None,
        pattern=MONTH_PATTERN,
        description="Last month of the history, YYYY-MM; default the month before the first "
        "entry (or the end of the data).",
    )
    rollouts: int = Field(default=200, ge=20, le=10_000, description="Placebo rollouts.")
    target_power: float = Field(default=0.8, gt=0, lt=1, description="Power of the MDE.")
    alpha: float = Field(default=0.05, gt=0, lt=1, description="Level of the effect test.")

    @field_validator("outcome")
    @classmethod
    def _outcome(cls, v: str | None) -> str | None:
        if v is not None and v not in OUTCOME_COLUMNS:
            close = difflib.get_close_matches(v, OUTCOME_COLUMNS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(
                f"unknown outcome {v!r}{hint}; the register catalogue has "
                f"{', '.join(OUTCOME_COLUMNS)}"
            )
        return v


class Plan(_Strict):
    """An evaluation plan (``designs/*.yaml``)."""

    version: Literal[1] = Field(description="Plan format version (1).")
    study: Study
    data: Data
    pilots: list[str] = Field(min_length=1, description="Pilot names as in the client sheet.")
    population: Population = Field(default_factory=Population)
    treatment: Treatment = Field(default_factory=Treatment)
    outcomes: list[str] = Field(min_length=1, description="Outcomes of the register catalogue.")
    follow_up: FollowUp = Field(default_factory=FollowUp)
    design: DesignOptions
    covariates: list[str] = Field(default_factory=list, description="Matching covariates.")
    subgroups: list[Subgroup] = Field(default_factory=list)
    sensitivity: list[Sensitivity] = Field(default_factory=list)
    reports: list[Report] = Field(default_factory=list)
    evidence: Evidence = Field(default_factory=Evidence)
    power: PowerOptions | None = Field(
        default=None, description="Power before the pilot (pilot-eval power)."
    )
    seed: int = Field(default=0, ge=0, description="Seed of every random step of the run.")

    @field_validator("covariates")
    @classmethod
    def _covariates(cls, v: list[str]) -> list[str]:
        bad = [c for c in v if c not in MATCHING_COVARIATES]
        if bad:
            close = [difflib.get_close_matches(b, MATCHING_COVARIATES, n=1) for b in bad]
            hint = "".join(f" (did you mean {c[0]!r}?)" for c in close if c)
            raise ValueError(
                f"unknown covariate(s) {', '.join(map(repr, bad))}{hint}; "
                f"allowed: {', '.join(MATCHING_COVARIATES)}"
            )
        return v

    @field_validator("outcomes")
    @classmethod
    def _outcomes(cls, v: list[str]) -> list[str]:
        bad = [o for o in v if o not in OUTCOME_COLUMNS]
        if bad:
            close = [difflib.get_close_matches(b, OUTCOME_COLUMNS, n=1) for b in bad]
            hint = "".join(f" (did you mean {c[0]!r}?)" for c in close if c)
            raise ValueError(
                f"unknown outcome(s) {', '.join(map(repr, bad))}{hint}; "
                f"the register catalogue has {', '.join(OUTCOME_COLUMNS)}"
            )
        if len(set(v)) != len(v):
            raise ValueError("an outcome is listed twice")
        return v


def plan_schema() -> dict[str, Any]:
    """The plan's JSON Schema (draft 2020-12), as published in ``designs/plan.schema.json``."""
    schema = Plan.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://pilot-evaluation/designs/plan.schema.json"
    return schema


def schema_text() -> str:
    """The JSON Schema as the exact text of ``designs/plan.schema.json``."""
    return json.dumps(plan_schema(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def write_schema(path: str | Path) -> Path:
    """Write the plan JSON Schema to ``path`` and return the path."""
    return write_text(Path(path), schema_text(), where="option --out")
