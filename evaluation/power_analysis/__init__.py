"""Power before the pilot: minimum detectable effect and the pre-trend test's size from
placebo rollouts on historic register data (:func:`power`, ``pilot-eval power PLAN.yaml``).

* :mod:`evaluation.power_analysis.kernel`: placebo rollouts (estimator, standard error,
  pre-trend test) on a persons x months outcome matrix.
* :mod:`evaluation.power_analysis.api`: :func:`power` and :class:`PowerResult`.
* :mod:`evaluation.power_analysis.plan`: :func:`plan_power`, the plan's ``power:`` section on
  the plan's register data.
"""

from __future__ import annotations

from evaluation.power_analysis.api import PowerResult, analytic_mde, power

__all__ = ["PowerResult", "analytic_mde", "power"]
