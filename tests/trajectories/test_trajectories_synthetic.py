"""Recovery of known groups in seeded synthetic data, invariances and input errors.

The report's use (``001_…`` l.5697-5706): groups of benefit-month trajectories, their number
chosen by BIC; the adequacy measures (AvePP, OCC) follow Nagin (2005, ch. 5).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats
from scipy.special import expit, logsumexp

from evaluation import trajectories
from evaluation.errors import InputDataError, MissingColumnError, OptionError
from evaluation.estimators.trajectories.kernels import group_diagnostics, relative_entropy

# Three groups, quadratic log-rates on the scaled time s in [-1, 1] (low and flat;
# rising then levelling; high and falling), shares 50/30/20%.
TRUE_BETA = np.array([[np.log(0.2), 0.0, 0.0], [np.log(2.0), 1.0, -0.5], [np.log(5.0), -1.0, 0.2]])
TRUE_SHARE = np.array([0.5, 0.3, 0.2])
N_PERSONS, N_MONTHS = 1500, 24
# With 1500 persons the shares are within 3.5 binomial standard errors (~0.04).
SHARE_TOL = 0.04
# Expected counts per group and month: relative error of the fitted trajectories.
CURVE_RTOL = 0.15


def _synthetic(seed: int, zero_inflation: float = 0.0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    s = np.linspace(-1.0, 1.0, N_MONTHS)
    group = rng.choice(3, size=N_PERSONS, p=TRUE_SHARE)
    rate = np.exp(TRUE_BETA[group] @ np.vstack([np.ones_like(s), s, s**2]))
    y = rng.poisson(rate) * (rng.random(rate.shape) >= zero_inflation)
    frame = pd.DataFrame(
        {
            "person_id": np.repeat([f"P{i:05d}" for i in range(N_PERSONS)], N_MONTHS),
            "month_index": np.tile(np.arange(24_200, 24_200 + N_MONTHS), N_PERSONS),
            "months": y.ravel(),
        }
    )
    return frame, group


@pytest.fixture(scope="module")
def poisson_fit() -> tuple[object, np.ndarray, pd.DataFrame]:
    frame, group = _synthetic(seed=11)
    return trajectories(frame, "months", groups=range(1, 6), seed=5), group, frame


def test_bic_chooses_the_true_number_of_groups(poisson_fit: tuple) -> None:
    result, _, _ = poisson_fit
    sel = result.selection()
    assert result.chosen.n_groups == 3
    assert sel.loc[sel["chosen"], "groups"].item() == 3
    assert (np.diff(sel["loglik"]) > -1e-6).all()  # more groups never fit worse


def test_known_groups_are_recovered(poisson_fit: tuple) -> None:
    result, group, _ = poisson_fit
    members = result.membership()
    agreement = (members["group"].to_numpy() - 1 == group).mean()
    assert agreement > 0.99
    np.testing.assert_allclose(result.groups()["share"], TRUE_SHARE, atol=SHARE_TOL)
    s = np.linspace(-1.0, 1.0, N_MONTHS)
    truth = np.exp(TRUE_BETA @ np.vstack([np.ones_like(s), s, s**2]))
    fitted = result.trajectories().pivot(index="group", columns="time", values="estimate")
    np.testing.assert_allclose(fitted.to_numpy(), truth, rtol=CURVE_RTOL)


def test_adequacy_measures_follow_their_definitions(poisson_fit: tuple) -> None:
    result, _, _ = poisson_fit
    model = result.chosen
    post = model.fit.posterior
    label = post.argmax(axis=1)
    g = model.groups()
    for k in range(3):
        assert g["avepp"][k] == pytest.approx(post[label == k, k].mean(), abs=1e-12)
        assert g["assigned"][k] == (label == k).sum()
    assert model.bic == pytest.approx(-2 * model.loglik + 11 * np.log(N_PERSONS))


def test_avepp_occ_and_entropy_by_hand() -> None:
    # Four persons, two groups; hand computation (Nagin 2005, ch. 5):
    # assigned 2 and 2; AvePP 0.85 and 0.65; OCC (0.85/0.15)/(0.6/0.4) = 3.7778 and
    # (0.65/0.35)/(0.4/0.6) = 2.7857; relative entropy 1 - 2.109361/(4 ln 2) = 0.239208.
    post = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.4, 0.6]])
    diag = group_diagnostics(post, np.array([0.6, 0.4]))
    np.testing.assert_allclose(diag["assigned"], [2, 2])
    np.testing.assert_allclose(diag["avepp"], [0.85, 0.65], atol=1e-12)
    np.testing.assert_allclose(diag["occ"], [3.777778, 2.785714], atol=1e-6)
    assert relative_entropy(post) == pytest.approx(0.239208, abs=1e-6)


def test_bands_cover_the_estimate_and_observed_means(poisson_fit: tuple) -> None:
    result, _, _ = poisson_fit
    tr = result.trajectories()
    assert (tr["conf_low"] < tr["estimate"]).all()
    assert (tr["estimate"] < tr["conf_high"]).all()
    # observed posterior-weighted means lie close to the fitted trajectories
    np.testing.assert_allclose(tr["observed"], tr["estimate"], rtol=0.35, atol=0.15)
    fig = result.plot()
    assert len(fig.axes[0].lines) == 3
    assert result.plot("bic").axes[0].get_xlabel() == "Number of groups"


def test_invariant_to_row_order_time_shift_and_id_labels(poisson_fit: tuple) -> None:
    result, _, frame = poisson_fit
    moved = frame.sample(frac=1.0, random_state=3).assign(
        month_index=lambda f: f["month_index"] - 24_000,
        person_id=lambda f: "X" + f["person_id"],
    )
    again = trajectories(moved, "months", groups=[3], seed=5)
    assert again.chosen.loglik == pytest.approx(result.model(3).loglik, abs=1e-6)
    np.testing.assert_allclose(
        again.trajectories()["estimate"], result.model(3).trajectories()["estimate"], rtol=1e-6
    )


def _zip_marginal_loglik(theta: np.ndarray, y: np.ndarray, s: np.ndarray) -> float:
    # Straight from the definition with scipy's Poisson density, for K = 2 groups:
    # sum_i log sum_k pi_k prod_t [(1 - w_k) Poisson(y_it; lambda_kt) + w_k 1{y_it = 0}].
    b = theta[:6].reshape(2, 3)
    w = expit(theta[6:8])
    prior = np.array([1 - expit(theta[8]), expit(theta[8])])
    x = np.vstack([np.ones_like(s), s, s**2])
    comp = []
    for k in range(2):
        dens = (1 - w[k]) * stats.poisson.pmf(y, np.exp(b[k] @ x)[None, :]) + w[k] * (y == 0)
        comp.append(np.log(prior[k]) + np.log(dens).sum(axis=1))
    return float(logsumexp(np.column_stack(comp), axis=1).sum())


def test_zip_fit_is_a_maximum_of_the_definitional_likelihood() -> None:
    rng = np.random.default_rng(4)
    n, s = 200, np.linspace(-1.0, 1.0, 8)
    group = rng.random(n) < 0.4
    lam = np.where(group[:, None], np.exp(1.2 - 0.5 * s), np.exp(0.2 + 0.4 * s**2))
    y = rng.poisson(lam) * (rng.random(lam.shape) >= np.where(group, 0.3, 0.1)[:, None])
    frame = pd.DataFrame(
        {"person_id": np.repeat(np.arange(n), 8), "t": np.tile(np.arange(8), n), "y": y.ravel()}
    )
    model = trajectories(frame, "y", groups=[2], family="zip", time="t", seed=2, tol=1e-13)
    fit = model.chosen.fit
    assert fit.gamma is not None
    theta = np.concatenate([fit.beta.ravel(), fit.gamma, [np.log(fit.prior[1] / fit.prior[0])]])
    assert _zip_marginal_loglik(theta, y, s) == pytest.approx(fit.loglik, abs=1e-8)
    grad = optimize.approx_fprime(theta, _zip_marginal_loglik, 1e-6, y, s)
    # central to the optimum: the score is zero up to the finite-difference error
    assert np.abs(grad).max() < 1e-2
    assert model.chosen.loglik > trajectories(frame, "y", groups=[2], time="t").chosen.loglik


def test_binomial_recovers_groups_of_a_zero_one_outcome() -> None:
    rng = np.random.default_rng(8)
    n, s = 800, np.linspace(-1.0, 1.0, 36)
    group = rng.random(n) < 0.35
    p = np.where(group[:, None], expit(1.5 - 3.0 * s), expit(-2.5 + 0.5 * s))
    y = (rng.random(p.shape) < p).astype(int)
    frame = pd.DataFrame(
        {"person_id": np.repeat(np.arange(n), 36), "month_index": np.tile(np.arange(36), n)}
    ).assign(on_benefit=y.ravel())
    result = trajectories(frame, "on_benefit", groups=[1, 2, 3], family="binomial", seed=1)
    assert result.chosen.n_groups == 2
    label = result.membership()["group"].to_numpy() == 2  # group 2: the higher trajectory
    assert (label == group).mean() > 0.97


def test_input_errors_say_what_and_how() -> None:
    frame, _ = _synthetic(seed=1)
    small = frame.head(240)
    with pytest.raises(OptionError, match="family"):
        trajectories(small, "months", family="gaussian")  # type: ignore[arg-type]
    with pytest.raises(OptionError, match="degree"):
        trajectories(small, "months", degree=5)  # type: ignore[arg-type]
    with pytest.raises(OptionError, match="groups"):
        trajectories(small, "months", groups=[0, 2])
    with pytest.raises(MissingColumnError):
        trajectories(small, "benefit_months")
    with pytest.raises(InputDataError, match=r"whole numbers 0\.\.1"):
        trajectories(small, "months", family="binomial")
    with pytest.raises(InputDataError, match="several rows"):
        trajectories(pd.concat([small, small.head(1)]), "months", groups=[1])
    with pytest.raises(InputDataError, match="whole numbers >= 0"):
        trajectories(small.assign(months=-1), "months", groups=[1])


def test_person_year_panel_months_received_as_binomial_out_of_twelve() -> None:
    # The report's use (001_… l.5697-5706): trajectories of benefit months per year.
    from evaluation.registers import build_person_year_panel
    from evaluation.synthetic import generate_registers

    data = generate_registers(persons=2000, seed=2)
    years = build_person_year_panel(data.spells, start="2014-01", end="2018-12")
    result = trajectories(
        years,
        "months_benefit_unemployment",
        groups=[1, 2],
        degree=2,
        family="binomial",
        time="year",
        trials=12,
        seed=1,
    )
    assert result.model(2).loglik > result.model(1).loglik
    tr = result.model(2).trajectories()
    assert set(tr["time"]) == {2014, 2015, 2016, 2017, 2018}
    assert tr["estimate"].between(0, 12).all()
    assert len(result.membership()) == years.n_persons
