"""One result contract (issue 18, item 5): every public result type keeps it.

The public result types are found from the package's exports: every class in the
``__all__`` of the estimator packages and of ``evaluation.power_analysis`` that is not an
error, a warning, an option or input type, or a numerical kernel's output (listed below
with the reason). Each is built once from small data and must offer ``tidy()`` (a
DataFrame; an estimate table also has ``statistic`` and ``p_value``), ``glance()`` (one
row), ``summary()`` (text), ``plot()`` (a Figure) and a one-line ``repr()``.
"""

from __future__ import annotations

import importlib
import inspect
import warnings
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from evaluation.contract import REPR_WIDTH, Result
from evaluation.estimators.did import (
    att_gt,
    randomization_inference,
    simulate_staggered,
    twfe_comparison,
)
from evaluation.estimators.matching import match, risk_set_match
from evaluation.estimators.meta import meta_analysis, meta_regression
from evaluation.estimators.trajectories import trajectories
from evaluation.power_analysis import power

PACKAGES = (
    "evaluation.estimators.did",
    "evaluation.estimators.matching",
    "evaluation.estimators.meta",
    "evaluation.estimators.trajectories",
    "evaluation.power_analysis",
)
#: Exported classes that are not results, and why.
NOT_RESULTS = {
    "BootstrapSpec": "option type",
    "MatchSpec": "option type",
    "TrajectoryData": "input type",
    "MixtureFit": "kernel output (TrajectoryModel wraps it)",
    "WildTest": "kernel output (AggregateResult.tidy() carries it)",
}


def public_result_types() -> list[type]:
    """Every exported result class of :data:`PACKAGES` (see the module docstring)."""
    found: dict[str, type] = {}
    for name in PACKAGES:
        module = importlib.import_module(name)
        for export in module.__all__:
            obj = getattr(module, export)
            if not inspect.isclass(obj) or issubclass(obj, Exception | Warning):
                continue
            if export not in NOT_RESULTS:
                found[export] = obj
    return [found[k] for k in sorted(found)]


def _did_results() -> Iterator[object]:
    data = simulate_staggered(120, n_periods=6, cohorts=(3, 5), seed=1)
    opts = {"outcome": "y", "time": "time", "unit": "unit", "cohort": "cohort"}
    res = att_gt(data, **opts, base_period="universal")  # type: ignore[arg-type]
    dyn = res.aggregate("dynamic")
    yield from (res, dyn, res.pretrend_test(), res.event_study_pretrend())
    yield dyn.sensitivity("relative_magnitude", [0, 1], grid_points=50)
    yield randomization_inference(res, reps=19, seed=1)
    yield twfe_comparison(data, **opts)


def _matching_results() -> Iterator[object]:
    rng = np.random.default_rng(3)
    n = 300
    x = rng.normal(size=n)
    d = rng.random(n) < 1 / (1 + np.exp(-x))
    y = x + d + rng.normal(size=n)
    data = pd.DataFrame({"treat": d.astype(int), "x": x, "y": y, "g": rng.integers(0, 2, n)})
    m = match(data, treatment="treat", covariates=["x"])
    yield from (m, m.att("y"), m.rosenbaum("y"), m.by_subgroup("y", "g"))
    yield m.refute("y", engine="native", refuter="data_subset", n_simulations=3, seed=1)
    panel = pd.DataFrame(
        {
            "person": np.repeat(np.arange(60), 8),
            "month": np.tile(np.arange(8), 60),
            "x": rng.normal(size=480),
        }
    )
    entry = np.repeat(np.where(np.arange(60) < 20, rng.integers(3, 6, 60), 99), 8)
    panel["treated"] = (panel["month"] >= entry).astype(int)
    yield risk_set_match(panel, unit="person", time="month", treatment="treated", covariates=["x"])


def _other_results() -> Iterator[object]:
    est, se = [0.10, 0.25, -0.05, 0.30], [0.08, 0.12, 0.10, 0.15]
    yield meta_analysis(est, se, labels=list("ABCD"))
    yield meta_regression(est, se, moderators=pd.DataFrame({"m": [0.0, 1.0, 0.0, 1.0]}))
    rng = np.random.default_rng(5)
    ids = np.repeat(np.arange(80), 6)
    rate = np.where(ids < 40, 1.0, 4.0)
    counts = pd.DataFrame(
        {"id": ids, "time": np.tile(np.arange(6), 80), "count": rng.poisson(rate)}
    )
    traj = trajectories(counts, "count", groups=[1, 2], time="time", person="id", seed=1)
    yield from (traj, traj.chosen)
    yield power(rng.standard_normal((400, 8)), n_treated=40, cohorts=1, follow_up=2,
                pre_periods=2, rollouts=20, seed=1)  # fmt: skip


@pytest.fixture(scope="module")
def instances() -> dict[str, object]:
    built: dict[str, object] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for maker in (_did_results, _matching_results, _other_results):
            for obj in maker():
                built.setdefault(type(obj).__name__, obj)
    return built


def _check(obj: object) -> None:
    assert isinstance(obj, Result)
    tidy = obj.tidy()
    assert isinstance(tidy, pd.DataFrame)
    if {"estimate", "std_error"} <= set(tidy.columns):
        assert {"statistic", "p_value"} <= set(tidy.columns), list(tidy.columns)
    glance = obj.glance()
    assert isinstance(glance, pd.DataFrame) and len(glance) == 1
    assert isinstance(obj.summary(), str) and obj.summary()
    assert isinstance(obj.plot(), Figure)
    text = repr(obj)
    assert len(text) <= REPR_WIDTH and "\n" not in text, text


def test_every_public_result_type_keeps_the_contract(instances: dict[str, object]) -> None:
    types = public_result_types()
    assert len(types) >= 15  # the walk found the estimators' results
    missing = [t.__name__ for t in types if t.__name__ not in instances]
    assert not missing, f"no instance built for {missing}: add one to the makers above"
    failures = []
    for t in types:
        try:
            _check(instances[t.__name__])
        except Exception as exc:  # collect all, report together
            failures.append(f"{t.__name__}: {type(exc).__name__}: {exc}")
    assert not failures, "\n".join(failures)
