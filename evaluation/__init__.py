"""pilot-evaluation: shared self-evaluation, indicators and register-based impact evaluation.

The public API is re-exported here; see README.md for a tour.
"""

from __future__ import annotations

from evaluation.errors import PilotEvalError

__version__ = "0.1.0"

__all__ = ["PilotEvalError", "__version__"]
