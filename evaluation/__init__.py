"""pilot-evaluation: shared self-evaluation, indicators and register-based impact evaluation.

The main entry points are re-exported here; see README.md for a tour.
"""

from __future__ import annotations

from evaluation.errors import PilotEvalError
from evaluation.estimators.did import att_gt
from evaluation.estimators.matching import match
from evaluation.estimators.meta import meta_analysis, meta_regression

__version__ = "0.1.0"

__all__ = ["PilotEvalError", "__version__", "att_gt", "match", "meta_analysis", "meta_regression"]
