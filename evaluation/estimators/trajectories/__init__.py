"""Group-based trajectory models (Nagin): finite mixtures of polynomial trajectories.

``trajectories`` fits a mixture for each number of groups by EM with several seeded starts
and picks the smallest BIC; the result gives group trajectories with bands, group sizes,
AvePP, OCC and posterior memberships. The national report grouped social-assistance month
trajectories this way (seed ``001_…`` l.5697-5706). Inner split: ``kernels`` (pure EM,
frozen :class:`~evaluation.estimators.trajectories.kernels.MixtureFit`), ``api``
(validation, persons x times arrays), ``results`` and ``plot``. The log-likelihood and the
group trajectories agree with R ``flexmix`` (tests/trajectories/reference).
"""

from __future__ import annotations

from evaluation.estimators.trajectories.api import trajectories
from evaluation.estimators.trajectories.kernels import MixtureFit, TrajectoryData, fit_mixture
from evaluation.estimators.trajectories.results import TrajectoryModel, TrajectoryResult

__all__ = [
    "MixtureFit",
    "TrajectoryData",
    "TrajectoryModel",
    "TrajectoryResult",
    "fit_mixture",
    "trajectories",
]
