"""A group at the binomial ceiling (every person on a benefit all 12 months) fits quietly."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from evaluation import trajectories

#: Persons in the saturated group (outcome = trials every year) and in the rising group.
SATURATED, RISING = 60, 40


def test_saturated_binomial_group_gives_no_warning_and_its_ceiling() -> None:
    rows = [
        (p, year, 12 if p < SATURATED else year - 2016)
        for p in range(SATURATED + RISING)
        for year in range(2016, 2021)
    ]
    panel = pd.DataFrame(rows, columns=["person_id", "year", "months"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a divide-by-zero warning would fail here
        fit = trajectories(
            panel,
            "months",
            groups=[2],
            degree=1,
            family="binomial",
            trials=12,
            time="year",
            starts=2,
            seed=1,
        )
        curves = fit.chosen.trajectories()
    top = curves[curves["estimate"] > 11.5]
    assert len(top) == 5  # one group, every year, at the ceiling of 12 months
    np.testing.assert_allclose(top["estimate"], 12.0)
    np.testing.assert_allclose(top["observed"], 12.0)
    assert set(fit.chosen.groups()["assigned"]) == {SATURATED, RISING}
