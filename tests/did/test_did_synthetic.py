"""Synthetic panels with known truth: accuracy, interval coverage, DuckDB and plots."""

from __future__ import annotations

from typing import Any

import duckdb
import matplotlib.figure
import numpy as np
import pandas as pd
import pytest

from evaluation.estimators.did import att_gt
from evaluation.estimators.did.simulate import (
    simulate_staggered,
    simulate_staggered_sql,
    true_att,
)
from evaluation.estimators.did.twfe import twfe_comparison

KW: dict[str, Any] = {"outcome": "y", "time": "time", "unit": "unit", "cohort": "cohort"}
Z_MAX = 4.0  # |estimate - truth| / SE below 4 for every cell: a 4-sigma sampling bound
N_REPS = 200  # Monte Carlo replications for coverage
COVERAGE_BAND = (0.92, 0.98)  # 95% intervals; 200 reps give a binomial SD of ~1.5 points


def _truth(res: Any, effect: float = 1.0, slope: float = 0.1) -> np.ndarray:
    return np.array(
        [
            true_att(g, int(t), effect, slope) if g <= t else 0.0
            for g, t in zip(res.cohort, res.time, strict=True)
        ]
    )


@pytest.mark.parametrize(
    "opts", [{}, {"control_group": "notyettreated"}, {"base_period": "universal"}]
)
def test_estimates_within_sampling_error(opts: dict[str, Any]) -> None:
    d = simulate_staggered(3000, n_periods=10, cohorts=(4, 6, 8), seed=21)
    res = att_gt(d, **KW, **opts)
    ok = ~res.reference
    z = (res.estimate[ok] - _truth(res)[ok]) / res.std_error[ok]
    assert np.all(np.abs(z) < Z_MAX)
    dyn = res.aggregate("dynamic")
    for row in dyn.tidy().itertuples():
        truth = 1.0 + 0.1 * row.event_time if row.event_time >= 0 else 0.0
        if np.isnan(row.std_error):  # universal base: the reference period is fixed at 0
            assert row.estimate == 0.0
            continue
        assert abs(row.estimate - truth) < Z_MAX * row.std_error


def test_doubly_robust_removes_covariate_confounding() -> None:
    d = simulate_staggered(4000, n_periods=8, cohorts=(4, 6), covariate_confounding=1.0, seed=5)
    truth_simple = np.mean([true_att(g, t, 1.0, 0.1) for g in (4, 6) for t in range(g, 9)])
    dr = att_gt(d, **KW, covariates=("x",), method="dr").aggregate("simple")
    reg = att_gt(d, **KW, covariates=("x",), method="reg").aggregate("simple")
    naive = att_gt(d, **KW).aggregate("simple")
    for est in (dr, reg):
        assert abs(est.estimate - truth_simple) < Z_MAX * est.std_error
    assert abs(naive.estimate - truth_simple) > Z_MAX * naive.std_error  # confounded


def test_monte_carlo_coverage_of_95_percent_intervals() -> None:
    rng = np.random.default_rng(2026)
    cover_cells: list[np.ndarray] = []
    cover_simple: list[bool] = []
    cover_dyn: list[bool] = []
    for _ in range(N_REPS):
        d = simulate_staggered(150, n_periods=5, cohorts=(3, 4), never_share=0.4, seed=rng)
        res = att_gt(d, **KW)
        truth = _truth(res)
        t = res.tidy()
        cover_cells.append(((t["conf_low"] <= truth) & (truth <= t["conf_high"])).to_numpy())
        s = res.aggregate("simple")
        post = res.cohort <= res.time
        s_truth = float(truth[post].mean())  # equal cohort probabilities in the simulator
        cover_simple.append(s.conf_low <= s_truth <= s.conf_high)
        dyn = res.aggregate("dynamic")
        e_truth = np.mean([1.0 + 0.1 * e for e in dyn.labels if e >= 0])
        cover_dyn.append(dyn.conf_low <= e_truth <= dyn.conf_high)
    for rate in (np.mean(np.concatenate(cover_cells)), np.mean(cover_simple), np.mean(cover_dyn)):
        assert COVERAGE_BAND[0] <= rate <= COVERAGE_BAND[1]


def test_duckdb_table_generated_in_sql_matches_pandas() -> None:
    con = duckdb.connect()
    con.execute(f"CREATE TABLE panel AS {simulate_staggered_sql(2000, n_periods=20)}")
    via_sql = att_gt(con.table("panel"), **KW, chunk_size=700)
    frame = con.table("panel").df()
    via_pd = att_gt(frame, **KW)
    np.testing.assert_allclose(via_sql.estimate, via_pd.estimate, atol=1e-10)
    np.testing.assert_allclose(via_sql.std_error, via_pd.std_error, rtol=1e-8)
    assert len(via_sql.tidy()) == 4 * 19


def test_duckdb_path_raises_named_errors() -> None:
    from evaluation.estimators.did import (
        MissingValueError,
        TimeVaryingCohortError,
        UnbalancedPanelError,
    )

    con = duckdb.connect()
    con.execute(f"CREATE TABLE p AS {simulate_staggered_sql(50, n_periods=6, cohorts=(3, 5))}")
    con.execute("CREATE TABLE unbal AS SELECT * FROM p WHERE NOT (unit = 3 AND time = 2)")
    with pytest.raises(UnbalancedPanelError):
        att_gt(con.table("unbal"), **KW)
    con.execute(
        "CREATE TABLE tv AS SELECT unit, time, y, CASE WHEN unit = 1 AND time = 6 "
        "THEN 5 ELSE cohort END AS cohort FROM p"
    )
    if con.execute("SELECT cohort FROM p WHERE unit = 1 LIMIT 1").fetchall()[0][0] != 5:
        with pytest.raises(TimeVaryingCohortError):
            att_gt(con.table("tv"), **KW)
    con.execute(
        "CREATE TABLE miss AS SELECT unit, time, cohort, "
        "CASE WHEN unit = 2 THEN NULL ELSE y END AS y FROM p"
    )
    with pytest.raises(MissingValueError):
        att_gt(con.table("miss"), **KW)


def test_results_render_summary_and_plots() -> None:
    d = simulate_staggered(500, n_periods=8, cohorts=(4, 6), seed=3)
    res = att_gt(d, **KW, bootstrap=199, seed=1)
    assert "Callaway & Sant'Anna" in res.summary()
    assert "Pre-trend Wald test" in res.summary()
    dyn = res.aggregate("dynamic")
    t = dyn.tidy()
    assert (
        t["conf_high_uniform"] - t["conf_low_uniform"]
        > t["conf_high_pointwise"] - t["conf_low_pointwise"]
    ).all()
    for fig in (
        res.plot(),
        dyn.plot(),
        res.aggregate("group").plot(),
        res.aggregate("simple").plot(),
    ):
        assert isinstance(fig, matplotlib.figure.Figure)
        assert fig.axes
    assert "event_time" in dyn.summary()


def test_pretrend_test_detects_violations() -> None:
    d = simulate_staggered(2000, n_periods=8, cohorts=(5, 7), seed=8)
    ok = att_gt(d, **KW).pretrend_test()
    assert ok is not None and ok.p_value > 0.01
    bad = d.copy()
    bad.loc[bad["cohort"] == 7, "y"] += 0.3 * bad.loc[bad["cohort"] == 7, "time"]
    test = att_gt(bad, **KW).pretrend_test()
    # pre cells: t = 2..4 for cohort 5 and t = 2..6 for cohort 7
    assert test is not None and test.p_value < 1e-6 and test.df == 3 + 5


def test_twfe_comparison_and_bacon_decomposition() -> None:
    d = simulate_staggered(1500, n_periods=10, cohorts=(3, 6, 8), slope=0.3, seed=4)
    comp = twfe_comparison(d, **KW)
    b = comp.bacon
    assert b["weight"].sum() == pytest.approx(1.0, abs=1e-10)
    assert float((b["weight"] * b["estimate"]).sum()) == pytest.approx(comp.twfe_estimate, abs=1e-8)
    assert set(b["comparison"]) == {"treated_vs_never", "earlier_vs_later", "later_vs_earlier"}
    # growing effects: TWFE is pulled below CS by the later-vs-earlier comparisons
    assert comp.twfe_estimate < comp.cs_estimate
    assert list(comp.tidy()["term"]) == ["TWFE", "CS simple"]
    assert "Goodman-Bacon" in comp.summary()
    assert isinstance(comp.plot(), matplotlib.figure.Figure)


def test_twfe_on_mpdta_matches_known_value(mpdta: pd.DataFrame) -> None:
    # TWFE of lemp on the treatment dummy with county and year effects (did vignette: -0.0365)
    comp = twfe_comparison(
        mpdta, outcome="lemp", time="year", unit="countyreal", cohort="first.treat"
    )
    assert comp.twfe_estimate == pytest.approx(-0.0365, abs=5e-5)
