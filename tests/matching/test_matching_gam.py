"""Distances "gam" and "elasticnet": a smooth score finds selection a linear logit misses."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evaluation.estimators.matching import match

#: Correlation of the estimated with the true logit that the GAM must reach (it is ~0.99
#: with 2,000 units; the linear logit cannot follow a U-shaped selection: ~0.1).
GAM_MIN_CORRELATION = 0.9


@pytest.fixture(scope="module")
def u_shaped() -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(3)
    n = 2000
    age = rng.uniform(18, 64, n)
    educ = rng.integers(0, 3, n).astype(float)
    true_logit = -1.5 + 0.004 * (age - 41) ** 2 + 0.3 * educ
    treat = rng.random(n) < 1 / (1 + np.exp(-true_logit))
    data = pd.DataFrame({"treat": treat.astype(int), "age": age, "educ": educ, "y": rng.random(n)})
    return data, true_logit


def test_gam_follows_a_u_shaped_selection_that_a_logit_misses(
    u_shaped: tuple[pd.DataFrame, np.ndarray],
) -> None:
    data, true_logit = u_shaped
    gam = match(data, treatment="treat", covariates=["age", "educ"], distance="gam", seed=1)
    logit = match(data, treatment="treat", covariates=["age", "educ"], distance="logit")

    def est_logit(result: object) -> np.ndarray:
        ps = result.propensity.to_numpy()  # type: ignore[attr-defined]
        return np.log(ps / (1 - ps))

    r_gam = np.corrcoef(est_logit(gam), true_logit)[0, 1]
    r_logit = np.corrcoef(est_logit(logit), true_logit)[0, 1]
    assert r_gam > GAM_MIN_CORRELATION > abs(r_logit)


def test_elasticnet_runs_and_is_deterministic(u_shaped: tuple[pd.DataFrame, np.ndarray]) -> None:
    data, _ = u_shaped
    a = match(data, treatment="treat", covariates=["age", "educ"], distance="elasticnet", seed=2)
    b = match(
        data.sample(frac=1, random_state=0),
        treatment="treat",
        covariates=["age", "educ"],
        distance="elasticnet",
        seed=2,
    )
    assert a.att("y").estimate == pytest.approx(b.att("y").estimate, abs=0.05)
