"""DoWhy's refuters run on the matched sample (the optional ``engine="dowhy"`` of ``refute``).

The matched (or weighted) sample becomes a ``dowhy.CausalModel`` with the treatment, the
outcome and the matching covariates as common causes. The estimator is DoWhy's
``backdoor.linear_regression`` made weighted: weighted least squares of the outcome on the
treatment and the covariates with the matching weights, i.e. our
``MatchResult.att(outcome, adjust=True)`` for matching without replacement and for IPW
(the same coefficient, to rounding). DoWhy's ``placebo_treatment_refuter`` (permute),
``random_common_cause`` and ``data_subset_refuter`` then re-estimate it; every re-estimate
is recorded so the result carries the whole distribution, not only DoWhy's mean.

DoWhy is imported lazily: the module imports without it, and :func:`dowhy_available` says
whether it can be used.
"""

from __future__ import annotations

import importlib.util
import logging
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

FloatArray = npt.NDArray[np.float64]

#: DoWhy's method names of our refuters.
DOWHY_METHODS = {
    "placebo_treatment": "placebo_treatment_refuter",
    "random_common_cause": "random_common_cause",
    "data_subset": "data_subset_refuter",
}


def dowhy_available() -> bool:
    """Whether DoWhy is installed (checked without importing it, which takes seconds)."""
    return importlib.util.find_spec("dowhy") is not None


@dataclass(frozen=True)
class DowhyRefutation:
    """What DoWhy returned: the original estimate, every re-estimate and its p-value."""

    estimate: float
    new_effects: FloatArray
    p_value: float  # DoWhy's own significance test (normal fit for < 100 simulations)


def refute_matched_sample(
    y: FloatArray,
    d: FloatArray,
    x: FloatArray,
    w: FloatArray,
    *,
    refuter: str,
    n_simulations: int,
    subset_fraction: float,
    seed: int | None,
) -> DowhyRefutation:
    """Run one DoWhy refuter on a matched sample.

    Parameters
    ----------
    y, d, x, w:
        Outcome, treatment (0/1), covariates (columns) and matching weights of the units
        in the matched sample (weight > 0).
    refuter:
        ``placebo_treatment``, ``random_common_cause`` or ``data_subset``.
    n_simulations, subset_fraction, seed:
        DoWhy's ``num_simulations``, ``subset_fraction`` and ``random_state`` (a
        ``RandomState`` built from ``seed``: DoWhy's subset refuter would reuse an integer
        seed for every simulation and draw the same subset each time).
    """
    import statsmodels.api as sm
    from dowhy import CausalModel
    from dowhy.causal_estimator import estimate_effect
    from dowhy.causal_estimators.linear_regression_estimator import LinearRegressionEstimator

    # Plain column names: DoWhy builds a graph from them.
    common = [f"w{j}" for j in range(x.shape[1])]
    frame = pd.DataFrame(x, columns=common)
    frame.insert(0, "treatment", d.astype(np.int64))
    frame.insert(1, "outcome", y)
    frame["match_weight"] = w
    recorded: list[float] = []

    class WeightedLinearRegression(LinearRegressionEstimator):  # type: ignore[misc]
        """DoWhy's linear regression estimator fitted by WLS with the matching weights."""

        def _build_model(self, data: pd.DataFrame) -> tuple[Any, Any]:
            features = self._build_features(data)
            outcome = data["outcome"].to_numpy(dtype=np.float64)
            weights = data["match_weight"].to_numpy(dtype=np.float64)
            # Plain arrays, so ``params`` is an array: DoWhy 0.12 reads ``params[0]``, which
            # on a labelled Series is a KeyError under pandas >= 3 (no positional fallback).
            return features, sm.WLS(outcome, features, weights=weights).fit()

        def estimate_effect(self, data: pd.DataFrame, *args: Any, **kwargs: Any) -> Any:
            result = super().estimate_effect(data, *args, **kwargs)
            recorded.append(float(result.value))
            return result

    logger = logging.getLogger("dowhy")
    old_level = logger.level
    logger.setLevel(logging.ERROR)  # DoWhy logs a warning for < 100 simulations
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = CausalModel(
                data=frame, treatment="treatment", outcome="outcome", common_causes=common
            )
            estimand = model.identify_effect(proceed_when_unidentifiable=True)
            original = estimate_effect(
                frame,
                "treatment",
                "outcome",
                "backdoor",
                WeightedLinearRegression(estimand),
                target_units="att",
                method_params={},
            )
            recorded.clear()
            extra: dict[str, Any] = {}
            if refuter == "placebo_treatment":
                extra["placebo_type"] = "permute"
            elif refuter == "data_subset":
                extra["subset_fraction"] = subset_fraction
            out = model.refute_estimate(
                estimand,
                original,
                method_name=DOWHY_METHODS[refuter],
                num_simulations=n_simulations,
                random_state=np.random.RandomState(seed),
                **extra,
            )
    finally:
        logger.setLevel(old_level)
    return DowhyRefutation(
        estimate=float(original.value),
        new_effects=np.asarray(recorded, dtype=np.float64),
        p_value=float(out.refutation_result["p_value"]),
    )
