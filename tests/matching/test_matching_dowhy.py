"""DoWhy's refuters on the matched sample (``refute(engine="dowhy")``) beside the native ones.

DoWhy is a project dependency: these tests run (not skip) wherever the project is installed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from evaluation.errors import EstimationError, OptionError
from evaluation.estimators.matching import MatchResult, match
from evaluation.estimators.matching import _dowhy as dowhy_module

#: DoWhy fits the same WLS as ``att(adjust=True)``; differences are float rounding only.
NUMERIC = 1e-9
#: Synthetic data (true ATT 2, 800 units): a placebo ATT has sd ~0.1 per draw, so the mean
#: of 10 draws within 0.2 of zero is ~6 of its standard deviations.
PLACEBO_ABS = 0.2
#: An independent N(0, 1) common cause moves the regression-adjusted ATT by ~0.003
#: (synthetic) per draw; 0.05 is > 10 standard deviations of that shift.
RCC_ABS = 0.05
#: NSW: the random common cause moves the ATT (~1875 dollars) by ~40 per draw; 5% of the
#: estimate is > 7 standard deviations of the mean of 10 draws.
NSW_RCC_REL = 0.05
COVS = ["x1", "x2", "x3"]

pytestmark = pytest.mark.filterwarnings("ignore::evaluation.estimators.matching.MatchWarning")


@pytest.fixture(scope="module")
def result(make_synthetic) -> MatchResult:  # type: ignore[no-untyped-def]
    data: pd.DataFrame = make_synthetic(800, seed=7)
    return match(data, treatment="treat", covariates=COVS)


def test_dowhy_is_the_default_engine(result: MatchResult) -> None:
    assert dowhy_module.dowhy_available()
    ref = result.refute("y", refuter="random_common_cause", n_simulations=3, seed=1)
    assert ref.engine == "dowhy" and ref.note == ""
    assert ref.tidy().loc[0, "engine"] == "dowhy"


def test_dowhy_estimate_is_the_weighted_adjusted_att(result: MatchResult) -> None:
    ref = result.refute(
        "y", refuter="random_common_cause", engine="dowhy", n_simulations=10, seed=1
    )
    assert ref.estimate == pytest.approx(result.att("y", adjust=True).estimate, rel=NUMERIC)
    assert ref.new_effects.shape == (10,)
    assert abs(ref.new_effect - ref.estimate) < RCC_ABS
    assert ref.passed
    assert 0.05 <= ref.engine_p_value <= 1  # DoWhy's own test agrees


def test_dowhy_placebo_effect_vanishes(result: MatchResult) -> None:
    ref = result.refute("y", refuter="placebo_treatment", engine="dowhy", n_simulations=10, seed=2)
    assert abs(ref.new_effect) < PLACEBO_ABS
    assert ref.passed
    assert "placebo_treatment (dowhy)" in ref.summary()
    assert isinstance(ref.plot(), Figure)


def test_dowhy_data_subset_draws_differ_and_pass(result: MatchResult) -> None:
    ref = result.refute("y", refuter="data_subset", engine="dowhy", n_simulations=6, seed=4)
    # DoWhy reuses an integer seed for every subset; we pass a RandomState so draws differ.
    assert np.unique(ref.new_effects).size == 6
    assert abs(ref.new_effect - ref.estimate) < PLACEBO_ABS
    assert ref.passed


def test_dowhy_is_seeded(result: MatchResult) -> None:
    a = result.refute("y", refuter="placebo_treatment", engine="dowhy", n_simulations=4, seed=5)
    b = result.refute("y", refuter="placebo_treatment", engine="dowhy", n_simulations=4, seed=5)
    c = result.refute("y", refuter="placebo_treatment", engine="dowhy", n_simulations=4, seed=6)
    np.testing.assert_array_equal(a.new_effects, b.new_effects)
    assert not np.array_equal(a.new_effects, c.new_effects)


def test_engines_agree_qualitatively(result: MatchResult) -> None:
    est = result.att("y").estimate
    for engine in ("dowhy", "native"):
        placebo = result.refute(
            "y", refuter="placebo_treatment", engine=engine, n_simulations=10, seed=3
        )
        assert abs(placebo.new_effect) < abs(est) / 3, engine
        assert placebo.passed, engine
        rcc = result.refute(
            "y", refuter="random_common_cause", engine=engine, n_simulations=4, seed=3
        )
        assert rcc.passed and abs(rcc.new_effect - est) < 0.5, engine


def test_dowhy_refuters_on_nsw(nsw: pd.DataFrame, covariates: list[str]) -> None:
    res = match(nsw, treatment="treat", covariates=covariates)
    est = res.att("re78", adjust=True).estimate
    rcc = res.refute(
        "re78", refuter="random_common_cause", engine="dowhy", n_simulations=10, seed=3
    )
    assert rcc.estimate == pytest.approx(est, rel=NUMERIC)
    assert abs(rcc.new_effect - est) < NSW_RCC_REL * abs(est)
    assert rcc.passed
    placebo = res.refute(
        "re78", refuter="placebo_treatment", engine="dowhy", n_simulations=20, seed=3
    )
    assert abs(placebo.new_effect) < abs(est) / 3
    assert placebo.passed


def test_dowhy_with_ipw_weights(result: MatchResult, make_synthetic) -> None:  # type: ignore[no-untyped-def]
    data: pd.DataFrame = make_synthetic(800, seed=7)
    ipw = match(data, treatment="treat", covariates=COVS, method="ipw")
    ref = ipw.refute("y", refuter="random_common_cause", engine="dowhy", n_simulations=3, seed=1)
    assert ref.estimate == pytest.approx(ipw.att("y", adjust=True).estimate, rel=NUMERIC)


def test_fallback_without_dowhy(result: MatchResult, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dowhy_module, "dowhy_available", lambda: False)
    ref = result.refute("y", refuter="random_common_cause", n_simulations=2, seed=1)
    assert ref.engine == "native"
    assert "pip install dowhy" in ref.note and "pip install dowhy" in ref.summary()
    with pytest.raises(EstimationError, match="pip install dowhy"):
        result.refute("y", engine="dowhy")


def test_refute_option_errors(result: MatchResult) -> None:
    with pytest.raises(OptionError, match="engine"):
        result.refute("y", engine="stata")  # type: ignore[arg-type]
    with pytest.raises(OptionError, match="subset_fraction"):
        result.refute("y", refuter="data_subset", subset_fraction=1.5)
