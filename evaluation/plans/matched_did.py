"""The matched difference-in-differences design of a plan (``design.kind: matched_did``).

As :mod:`evaluation.plans.matching` (same matching, balance, sensitivity and subgroups),
but the effect is the matched DiD: the ATT on the change of the outcome from the
pre-entry history to the follow-up (``MatchResult.did``), and subgroups and Rosenbaum
bounds use that change.
"""

from __future__ import annotations

from typing import Any

from evaluation.estimators.matching import MatchResult
from evaluation.plans.context import DesignContext
from evaluation.plans.matching import MatchedDesign, run_matched

__all__ = ["MATCHED_DID", "run_matched_did"]


def _did(m: MatchResult) -> Any:
    return m.did("post_outcome", "pre_outcome")


#: Matched DiD: the ATT on the change from the pre-entry outcome to the follow-up.
MATCHED_DID = MatchedDesign("matched_did", "did", "change_outcome", _did)


def run_matched_did(ctx: DesignContext) -> None:
    """Run the matched DiD of one pilot and outcome into ``ctx.records``."""
    run_matched(ctx, MATCHED_DID)
