"""Random-effects meta-analysis and meta-regression of pilot effects.

Conventions (those of R's metafor ``rma.uni``, which the reference tests reproduce):

- Model ``y_i = x_i' beta + u_i + e_i``, ``u_i ~ N(0, tau^2)``, ``e_i ~ N(0, se_i^2)``.
- ``tau^2`` estimators: ``REML`` (root of the restricted score equation, default), ``DL``
  (DerSimonian-Laird), ``PM`` (Paule-Mandel), ``FE`` (``tau^2 = 0``). Negative solutions
  are truncated at zero.
- ``Q`` (``QE`` in a meta-regression) is Cochran's statistic with fixed-effect weights
  ``1 / se_i^2`` and ``k - p`` degrees of freedom, whatever the tau^2 estimator.
- ``I^2 = 100 tau^2 / (tau^2 + s^2)`` and ``H^2 = (tau^2 + s^2) / s^2`` with the
  "typical" within-study variance ``s^2 = (k - p) / tr(P)`` (Higgins & Thompson 2002);
  for ``FE``, ``I^2 = 100 (Q - df) / Q`` and ``H^2 = Q / df``. ``I^2`` is in percent.
- Intervals: ``estimate +/- z * se`` (``test="z"``) or, with ``test="knha"``, Knapp-Hartung
  standard errors (untruncated scale factor) and ``t(k - p)`` quantiles.
- Prediction interval (metafor's ``predict.rma``): ``estimate +/- crit * sqrt(se^2 +
  tau^2)`` with the same critical value as the confidence interval (``z`` by default).
  Note Higgins, Thompson & Spiegelhalter (2009) propose ``t(k - 2)``; with few pilots
  the ``knha`` option gives the wider t-based interval.
- Meta-regression ``R^2 = 100 (tau^2_0 - tau^2) / tau^2_0`` (truncated at 0), with
  ``tau^2_0`` of the intercept-only model fitted by the same method; ``QM`` is the Wald
  chi-square test of all moderators (an F test divided by ``m`` under ``knha``).
"""

from __future__ import annotations

from evaluation.estimators.meta.api import from_tidy, meta_analysis, meta_regression
from evaluation.estimators.meta.plot import forest_plot
from evaluation.estimators.meta.results import MetaAnalysisResult, MetaRegressionResult

__all__ = [
    "MetaAnalysisResult",
    "MetaRegressionResult",
    "forest_plot",
    "from_tidy",
    "meta_analysis",
    "meta_regression",
]
