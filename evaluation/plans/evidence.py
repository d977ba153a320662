"""Transparent strength-of-evidence rating on the Maryland Scientific Methods Scale (SMS).

The rating is a pure function of a design's diagnostics, so funders see comparable
strength-of-evidence per pilot, with every reason listed.

Mapping (What Works Centre for Local Economic Growth's reading of the SMS)
--------------------------------------------------------------------------
Start level by design:

* ``staggered_did``: **4**, staggered entry gives variation in timing, many treated and
  untreated units are compared before and after (Callaway & Sant'Anna).
* ``matched_did``: **3**, before/after comparison with a matched comparison group.
* ``matching``: **3**, comparison with a matched group on observables incl. pre-entry history.

Downgrades (one level each, never below 1):

* DiD with a failed event-study pre-trend test (p < ``pretrend_alpha``) or none possible
  -> at most 3 (the parallel-trends assumption is not supported by the data).
* Matching with poor covariate balance after matching (any |SMD| > 0.1 or a variance ratio
  outside [0.5, 2]) -> one level.
* Poor overlap: fewer than :data:`MIN_MATCHED_SHARE` of participants matched -> one level.
* Small sample: fewer than ``min_treated`` participants -> one level; fewer than
  :data:`TINY_TREATED` -> two levels.
* Attrition: more than :data:`MAX_ATTRITION` of participants lost (short follow-up) ->
  one level.
* A failed sensitivity analysis -> one level.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from evaluation.plans.model import Design

#: Start level of each design on the Maryland SMS.
START_LEVEL: dict[str, int] = {"staggered_did": 4, "matched_did": 3, "matching": 3}
#: Below this many participants the sample is "tiny" (two levels down).
TINY_TREATED = 30
#: Share of participants that must be matched (common support).
MIN_MATCHED_SHARE = 0.9
#: Largest acceptable share of participants lost to short follow-up.
MAX_ATTRITION = 0.2
#: Labels of the SMS levels.
SMS_LABELS = {
    1: "Level 1: correlation, no comparison group",
    2: "Level 2: comparison with a group that is not comparable, or before/after only",
    3: "Level 3: comparison with a comparable group before and after (DiD / matching)",
    4: "Level 4: quasi-random variation exploited (e.g. staggered timing) with checks",
    5: "Level 5: randomised assignment",
}


@dataclass(frozen=True)
class Diagnostics:
    """What the rating looks at, for one pilot, outcome and design.

    ``None`` means "not applicable / not computed" (e.g. balance for a DiD).
    """

    design: Design
    n_treated: int
    n_control: int
    pretrend_p: float | None = None
    pretrend_alpha: float = 0.05
    balance_ok: bool | None = None
    matched_share: float | None = None
    attrition: float | None = None
    sensitivity_passed: bool | None = None
    min_treated: int = 100


@dataclass(frozen=True)
class Criterion:
    """One line of the rating: what was looked at, its value and the effect on the level."""

    criterion: str
    value: str
    change: int
    reason: str


@dataclass(frozen=True)
class EvidenceRating:
    """A rating on the Maryland SMS with the reasons."""

    scale: str
    level: int
    start_level: int
    criteria: tuple[Criterion, ...]

    @property
    def label(self) -> str:
        """The level's description."""
        return SMS_LABELS[self.level]

    @property
    def reasons(self) -> tuple[str, ...]:
        """Reasons, in order (start level first)."""
        return tuple(c.reason for c in self.criteria)

    def tidy(self) -> pd.DataFrame:
        """One row per criterion: criterion, value, change, reason."""
        return pd.DataFrame(
            [(c.criterion, c.value, c.change, c.reason) for c in self.criteria],
            columns=["criterion", "value", "change", "reason"],
        )

    def summary(self) -> str:
        """Text summary: the level and each reason."""
        return "\n".join([f"{self.scale}: {self.label}", *(f"  - {r}" for r in self.reasons)])


@dataclass
class _Rating:
    """A rating in progress: the level and the criteria so far."""

    d: Diagnostics
    start: int
    level: int
    crit: list[Criterion]

    def keep(self, name: str, value: str, reason: str) -> None:
        self.crit.append(Criterion(name, value, 0, reason))

    def cap(self, name: str, value: str, at_most: int, reason: str) -> None:
        self.level = min(self.level, at_most)
        self.crit.append(Criterion(name, value, self.level - self.start, reason))

    def down(self, name: str, value: str, steps: int, reason: str) -> None:
        new = max(1, self.level - steps)
        self.crit.append(Criterion(name, value, new - self.level, reason))
        self.level = new

    def pre_trends(self) -> None:
        d = self.d
        if d.design != "staggered_did":
            return
        if d.pretrend_p is None:
            reason = "no pre-entry periods to test parallel trends: at most level 3"
            self.cap("pre_trends", "not testable", 3, reason)
        elif d.pretrend_p < d.pretrend_alpha:
            self.cap(
                "pre_trends",
                f"p = {d.pretrend_p:.4f}",
                3,
                f"pre-trend test failed (p = {d.pretrend_p:.4f} < {d.pretrend_alpha}): "
                "parallel trends not supported, at most level 3",
            )
        else:
            self.keep(
                "pre_trends",
                f"p = {d.pretrend_p:.4f}",
                f"pre-trend test passed (p = {d.pretrend_p:.4f} >= {d.pretrend_alpha})",
            )

    def matching(self) -> None:
        d = self.d
        if d.balance_ok is not None:
            if d.balance_ok:
                self.keep("balance", "ok", "covariates balanced after matching")
            else:
                self.down(
                    "balance", "poor", 1, "poor covariate balance after matching: one level down"
                )
        if d.matched_share is not None:
            share = f"{d.matched_share:.3f}"
            if d.matched_share < MIN_MATCHED_SHARE:
                self.down(
                    "overlap",
                    share,
                    1,
                    f"only {d.matched_share:.0%} of participants matched "
                    f"(< {MIN_MATCHED_SHARE:.0%}): poor overlap, one level down",
                )
            else:
                self.keep("overlap", share, f"{d.matched_share:.0%} matched")

    def sample_size(self) -> None:
        d, n = self.d, str(self.d.n_treated)
        if d.n_treated < TINY_TREATED:
            reason = f"tiny sample: {n} participants (< {TINY_TREATED}): two levels down"
            self.down("sample_size", n, 2, reason)
        elif d.n_treated < d.min_treated:
            reason = f"small sample: {n} participants (< {d.min_treated}): one level down"
            self.down("sample_size", n, 1, reason)
        else:
            self.keep("sample_size", n, f"{n} participants, {d.n_control} comparison persons")

    def attrition_and_sensitivity(self) -> None:
        d = self.d
        if d.attrition is not None:
            value = f"{d.attrition:.3f}"
            if d.attrition > MAX_ATTRITION:
                self.down(
                    "attrition",
                    value,
                    1,
                    f"{d.attrition:.0%} of participants lost to follow-up "
                    f"(> {MAX_ATTRITION:.0%}): one level down",
                )
            else:
                self.keep("attrition", value, f"attrition {d.attrition:.0%}")
        if d.sensitivity_passed is not None:
            if d.sensitivity_passed:
                self.keep("sensitivity", "passed", "sensitivity analyses agree")
            else:
                self.down(
                    "sensitivity", "failed", 1, "a sensitivity analysis failed: one level down"
                )


def rate_evidence(d: Diagnostics) -> EvidenceRating:
    """Rate the strength of evidence of one analysis on the Maryland SMS (see module doc)."""
    start = START_LEVEL[d.design]
    crit = [Criterion("design", d.design, 0, f"design {d.design}: start at level {start}")]
    rating = _Rating(d, start, start, crit)
    rating.pre_trends()
    rating.matching()
    rating.sample_size()
    rating.attrition_and_sensitivity()
    return EvidenceRating("Maryland Scientific Methods Scale", rating.level, start, tuple(crit))
