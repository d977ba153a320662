"""One result contract (issue 18, item 5): every public result type keeps it.

The public result types are found from the package's exports: every class in the
``__all__`` of the estimator packages and of ``evaluation.power_analysis`` that is not an
error, a warning, an option or input type, or a numerical kernel's output (listed below
with the reason). Each is built once from small data and must offer ``tidy()`` (a
DataFrame; an estimate table also has ``statistic`` and ``p_value``), ``glance()`` (one
row), ``summary()`` (text), ``plot()`` (a Figure) and a one-line ``repr()``.

The process, register, workbook and trajectory results (issue 18 follow-up) are found the
same way and also through the return annotations of every public function of those
packages' modules, so a new result class that misses the contract fails here. Each is built
from a tiny fixture and must be frozen, declare its ``tidy()`` columns (``tidy_columns``,
a module constant) and return exactly those, be an estimate table (``term`` and
:data:`~evaluation.contract.ESTIMATE_COLUMNS`) or say in its docstring that it is a
descriptive table, and leave its inputs unchanged. Classes that are data containers, not
results, are listed in :data:`DATA_CONTAINERS` with the reason.
"""

from __future__ import annotations

import copy
import dataclasses
import importlib
import inspect
import pkgutil
import re
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd
import pytest
from matplotlib import pyplot as plt
from matplotlib.figure import Figure

from evaluation.contract import (
    ESTIMATE_COLUMNS,
    REPR_WIDTH,
    TERM_COLUMN,
    Result,
    is_estimate_table,
)
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
from evaluation.process import (
    client_process,
    dose_response,
    goal_attainment,
    intended_reach,
    process_report,
    readiness_scores,
)
from evaluation.registers import need_indicators, register_outcomes
from evaluation.synthetic.filled_workbooks import filled_evaluation
from evaluation.workbook import (
    SelfEvaluation,
    baseline_means,
    compute_indicators,
    instrument_analyses,
    paired_change,
    predictive_validity,
    submissions_overview,
    write_workbook,
)

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


# --- process, register, workbook and trajectory results -------------------------------

ANALYSIS_PACKAGES = (
    "evaluation.process",
    "evaluation.registers",
    "evaluation.workbook",
    "evaluation.estimators.trajectories",
)
#: Classes exported or returned by :data:`ANALYSIS_PACKAGES` that are not results, and why.
DATA_CONTAINERS = {
    "Codebook": "data container: the qualitative codebook (codes and their dimensions)",
    "Dialect": "SQL dialect protocol of the panel rules, not a result",
    "DuckTable": "data container: a DuckDB table wrapper",
    "GroupBlock": "layout of the indicator sheet: the indicators of one disaggregation",
    "MixtureFit": "kernel output (TrajectoryModel wraps it)",
    "Params": "kernel state of the trajectory EM algorithm",
    "PersonMonthPanel": "data container: the person-month panel (a DuckDB table)",
    "PersonYearPanel": "data container: the person-year panel (a DuckDB table)",
    "Prepared": "validated trajectory inputs as arrays (input type)",
    "Problem": "one located problem of an input (part of error reports)",
    "RegisterIndicator": "catalogue entry: one register indicator's definition",
    "SelfEvaluation": "data container: one read workbook",
    "SheetRows": "rows of one sheet while a workbook is written",
    "Spells": "data container: validated register spells (a DuckDB table)",
    "Sql": "SQL text fragment of the panel rules",
    "SqlDialect": "SQL dialect of the panel rules",
    "StatusCode": "catalogue entry: one register status code",
    "Submissions": "data container: the read workbooks and the errors of the others",
    "Sufficient": "kernel state of the trajectory EM algorithm",
    "TrajectoryData": "input type",
}


def _modules(package: str) -> list[ModuleType]:
    """The package and its public submodules."""
    root = importlib.import_module(package)
    subs = [
        importlib.import_module(info.name)
        for info in pkgutil.iter_modules(root.__path__, f"{package}.")
        if not info.name.rsplit(".", 1)[-1].startswith("_")
    ]
    return [root, *subs]


def _result_candidate(obj: object) -> bool:
    return (
        inspect.isclass(obj)
        and obj.__module__.startswith("evaluation.")
        and not issubclass(obj, Exception | Warning)
    )


def _returned_classes(module: ModuleType) -> Iterator[type]:
    """Classes named in the return annotations of the module's own public functions."""
    for name, func in vars(module).items():
        if (
            name.startswith("_")
            or not inspect.isfunction(func)
            or func.__module__ != module.__name__
        ):
            continue
        annotation = func.__annotations__.get("return")
        text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
        for ident in re.findall(r"[A-Za-z_]\w*", text):
            obj = getattr(module, ident, None)
            if _result_candidate(obj):
                yield obj


def analysis_result_candidates() -> dict[str, type]:
    """Every class exported (``__all__``) or returned by a public function of
    :data:`ANALYSIS_PACKAGES`, by name."""
    found: dict[str, type] = {}
    for package in ANALYSIS_PACKAGES:
        for module in _modules(package):
            exported = (getattr(module, n) for n in getattr(module, "__all__", ()))
            for obj in (*filter(_result_candidate, exported), *_returned_classes(module)):
                found[obj.__name__] = obj
    return found


@dataclasses.dataclass(frozen=True)
class Built:
    """A result and its inputs, each with a deep copy taken before the call."""

    result: object
    inputs: tuple[tuple[object, object], ...] = ()


def _call(func: Callable[..., object], *args: object, **kwargs: object) -> Built:
    given = (*args, *kwargs.values())
    snapshots = tuple((value, copy.deepcopy(value)) for value in given)
    return Built(func(*args, **kwargs), snapshots)


def _assert_same(after: object, before: object, where: str) -> None:
    """``after`` equals its snapshot ``before`` (frames, containers and dataclasses)."""
    if isinstance(before, pd.DataFrame):
        assert isinstance(after, pd.DataFrame), where
        pd.testing.assert_frame_equal(after, before, obj=where)
    elif isinstance(before, list | tuple):
        assert isinstance(after, list | tuple) and len(after) == len(before), where
        for i, (a, b) in enumerate(zip(after, before, strict=True)):
            _assert_same(a, b, f"{where}[{i}]")
    elif isinstance(before, dict):
        assert isinstance(after, dict) and after.keys() == before.keys(), where
        for key in before:
            _assert_same(after[key], before[key], f"{where}[{key!r}]")
    elif dataclasses.is_dataclass(before) and not isinstance(before, type):
        for f in dataclasses.fields(before):
            _assert_same(getattr(after, f.name), getattr(before, f.name), f"{where}.{f.name}")
    elif not callable(before):
        assert after == before, where


@pytest.fixture(scope="module")
def evaluations() -> tuple[SelfEvaluation, ...]:
    """Two synthetic pilots' clean self-evaluations (no workbook files)."""
    return tuple(filled_evaluation(p, seed=2, lang="en") for p in ("Fokus", "Sataosaa"))


def _process_results(evs: tuple[SelfEvaluation, ...]) -> Iterator[Built]:
    goals = pd.concat([ev.frame("client_goals").assign(pilot=ev.pilot) for ev in evs])
    yield _call(goal_attainment, goals.reset_index(drop=True), min_n=2)
    answers = pd.concat([ev.frame("readiness").assign(pilot=ev.pilot) for ev in evs])
    yield _call(readiness_scores, answers.reset_index(drop=True), min_n=2)
    yield _call(dose_response, client_process(evs), bands=3)
    yield _call(intended_reach, evs[0])
    yield _call(process_report, list(evs), min_n=2)


def _workbook_results(evs: tuple[SelfEvaluation, ...], folder: Path) -> Iterator[Built]:
    yield _call(compute_indicators, evs[0])
    scores = pd.concat([ev.scores() for ev in evs], ignore_index=True)
    for func in (baseline_means, paired_change, instrument_analyses):
        yield _call(func, scores, min_n=2)
    yield _call(predictive_validity, scores)
    yield _call(submissions_overview, [write_workbook(evs[0], folder / "fokus.xlsx")])


def _register_results() -> Iterator[Built]:
    years = pd.DataFrame(
        {
            "person_id": ["A", "A", "B", "C", "C", "D"],
            "year": [2017, 2018, 2017, 2017, 2018, 2018],
            "n_benefits": [1, 0, 2, 0, 3, 1],
        }
    )
    population = pd.DataFrame({"person_id": list("ABCDE"), "region": list("XXYYY")})
    yield _call(need_indicators, years, population)
    anchors = pd.DataFrame(
        {
            "person_id": ["A", "B", "C", "D"],
            "group": ["pilot", "comparison", "pilot", "comparison"],
            "anchor_month": ["2017-04-20", "2017-04-01", "2017-04-01", "2017-04-30"],
        }
    )
    jobseeker = pd.DataFrame(
        {
            "person_id": ["A", "A", "B", "C", "D"],
            "status": ["unemployed", "laid_off", "unemployed", "unemployed", "in_service"],
            "start": ["2017-01-15", "2017-03-01", "2016-11-01", "2017-06-01", "2017-01-01"],
            "end": ["2017-03-10", "2017-03-31", "2017-08-31", None, "2017-12-31"],
        }
    )
    yield _call(register_outcomes, anchors, jobseeker=jobseeker, reference="comparison")


def _trajectory_results() -> Iterator[Built]:
    rng = np.random.default_rng(5)
    ids = np.repeat(np.arange(60), 5)
    counts = pd.DataFrame(
        {
            "id": ids,
            "time": np.tile(np.arange(5), 60),
            "count": rng.poisson(np.where(ids < 30, 1.0, 4.0)),
        }
    )
    built = _call(trajectories, counts, "count", groups=[1, 2], time="time", person="id", seed=1)
    yield built
    yield Built(built.result.chosen)  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def analysis_results(
    evaluations: tuple[SelfEvaluation, ...], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Built]:
    folder = tmp_path_factory.mktemp("contract")
    makers: list[Iterator[Built]] = [
        _process_results(evaluations),
        _workbook_results(evaluations, folder),
        _register_results(),
        _trajectory_results(),
    ]
    built: dict[str, Built] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for maker in makers:
            for item in maker:
                built.setdefault(type(item.result).__name__, item)
    return built


def _check_tidy(obj: Any) -> None:
    declared = type(obj).tidy_columns
    assert declared, "no tidy_columns: point it at the module constant naming the columns"
    tidy = obj.tidy()
    assert isinstance(tidy, pd.DataFrame)
    assert list(tidy.columns) == list(declared), list(tidy.columns)
    if is_estimate_table(declared):
        missing = {TERM_COLUMN, *ESTIMATE_COLUMNS} - set(declared)
        assert not missing, f"an estimate table without {sorted(missing)}"
    else:
        doc = " ".join((type(obj).__doc__ or "").split())
        assert "descriptive table" in doc, "docstring must say it is a descriptive table"
    pd.testing.assert_frame_equal(obj.tidy(), tidy)  # no state kept between calls


def _check_analysis(item: Built) -> None:
    obj: Any = item.result
    assert dataclasses.is_dataclass(obj) and type(obj).__dataclass_params__.frozen
    first = dataclasses.fields(obj)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(obj, first, None)
    assert isinstance(obj, Result)
    _check_tidy(obj)
    glance = obj.glance()
    assert isinstance(glance, pd.DataFrame) and glance.shape[0] == 1 and glance.shape[1] >= 1
    assert isinstance(obj.summary(), str) and obj.summary()
    fig = obj.plot()
    assert isinstance(fig, Figure)
    plt.close(fig)
    text = repr(obj)
    assert len(text) <= REPR_WIDTH and "\n" not in text, text
    for i, (after, before) in enumerate(item.inputs):
        _assert_same(after, before, f"input {i}")


def test_the_walk_finds_every_analysis_result_and_no_stale_exemption() -> None:
    found = analysis_result_candidates()
    stale = sorted(set(DATA_CONTAINERS) - set(found))
    assert not stale, f"DATA_CONTAINERS lists classes the walk no longer finds: {stale}"
    results = set(found) - set(DATA_CONTAINERS)
    # The results of the issue: process (5), registers (2), workbook (6), trajectories (2).
    assert {
        "ProcessReport",
        "GasResult",
        "DoseResponse",
        "Reach",
        "ReadinessResult",
        "NeedIndicators",
        "RegisterOutcomes",
        "IndicatorResult",
        "GroupMeans",
        "PairedChange",
        "PredictiveValidity",
        "InstrumentAnalyses",
        "SubmissionsOverview",
        "TrajectoryModel",
        "TrajectoryResult",
    } <= results


def test_every_analysis_result_keeps_the_contract(analysis_results: dict[str, Built]) -> None:
    names = sorted(set(analysis_result_candidates()) - set(DATA_CONTAINERS))
    missing = [n for n in names if n not in analysis_results]
    assert not missing, f"no instance built for {missing}: add one to the makers above"
    failures = []
    for name in names:
        try:
            _check_analysis(analysis_results[name])
        except Exception as exc:  # collect all, report together
            failures.append(f"{name}: {type(exc).__name__}: {exc}")
    assert not failures, "\n".join(failures)


def test_paired_change_statistic_is_the_paired_t(analysis_results: dict[str, Built]) -> None:
    # The estimate table's statistic is estimate / std_error, the paired t statistic whose
    # two-sided p-value scipy's ttest_rel gives (the p_value column).
    from scipy import stats

    tidy = analysis_results["PairedChange"].result.tidy()  # type: ignore[attr-defined]
    ok = tidy[~tidy["suppressed"] & (tidy["std_error"] > 0)]
    assert len(ok) and (ok[TERM_COLUMN] == "change").all()
    df = ok["n"].to_numpy() - 1
    p = 2 * stats.t.sf(np.abs(ok["statistic"].to_numpy(dtype=float)), df)
    np.testing.assert_allclose(p, ok["p_value"].to_numpy(dtype=float), rtol=1e-9)


def test_glance_reports_the_options_and_agrees_with_tidy(
    evaluations: tuple[SelfEvaluation, ...],
) -> None:
    # alpha given is alpha reported; the counts of glance() are sums over tidy().
    goals = pd.concat([ev.frame("client_goals").assign(pilot=ev.pilot) for ev in evaluations])
    gas = goal_attainment(goals.reset_index(drop=True), min_n=2, alpha=0.1)
    glance = gas.glance().iloc[0]
    assert glance["alpha"] == 0.1 and glance["min_n"] == 2
    assert glance["pilots"] == len(gas.tidy()) == len(evaluations)
    assert glance["clients_scored"] == gas.tidy()["clients_scored"].sum()
    scores = pd.concat([ev.scores() for ev in evaluations], ignore_index=True)
    means = baseline_means(scores, min_n=2, alpha=0.1)
    assert means.glance().iloc[0]["alpha"] == 0.1
    assert means.glance().iloc[0]["suppressed"] == means.tidy()["suppressed"].sum()
    analyses = instrument_analyses(scores, min_n=2)
    assert analyses.glance().iloc[0]["validity"] == (analyses.validity is not None)
