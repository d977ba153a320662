"""Numerical kernels: finite mixtures of polynomial trajectories fitted by EM.

Model (Nagin's group-based trajectory model; the finite mixture of R ``flexmix`` with a
``| person`` grouping). Person ``i`` belongs to one of ``K`` latent groups with prior
probabilities ``pi_k``; given group ``k`` the outcomes ``y_it`` are independent with

- ``family="poisson"``: ``y_it ~ Poisson(lambda_kt)``, ``log lambda_kt = x_t' beta_k``;
- ``family="binomial"``: ``y_it ~ Binomial(m, p_kt)``, ``logit p_kt = x_t' beta_k``
  (``m`` trials per cell, 1 for a 0/1 outcome);
- ``family="zip"``: zero-inflated Poisson, ``P(y = 0) = w_k + (1 - w_k) exp(-lambda_kt)``,
  one zero-inflation probability ``w_k = expit(gamma_k)`` per group (``traj``'s ``iorder 0``).

``x_t = (1, s_t, ..., s_t^degree)`` with the scaled time ``s_t = (t - centre) / scale``.
The log-likelihood ``sum_i log sum_k pi_k prod_t f(y_it | k)`` includes the constants
(``-log y!``, ``log C(m, y)``), as R's ``logLik`` does; cells with ``mask = 0`` are missing.

Every group's linear predictor depends on time only, so the E-step is a few
``(persons x months) @ (months x groups)`` products and the M-step maximises the
posterior-weighted log-likelihood from ``groups x months`` sufficient statistics
(weighted sums of ``y``, of observed cells and of zero cells): there is no loop over
persons. Standard errors use the empirical information (the outer product of the persons'
score vectors of the marginal log-likelihood).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import optimize
from scipy.special import expit, gammaln

FloatArray = npt.NDArray[np.float64]
Family = Literal["poisson", "binomial", "zip"]

_SHORT_TOL = 1e-6  # relative log-likelihood change that ends a short (screening) run
_SHORT_ITER = 100  # at most this many EM iterations per start before the best is refined
_NEWTON_TOL = 1e-12
_NEWTON_ITER = 100
_EMPTY_GROUP = 1e-10  # a group whose prior falls below this has collapsed
_LEVEL_BINS = 12  # time blocks of the level features of the starts
SCREEN_PERSONS = 20_000  # starts are screened on a random subsample of at most this many


@dataclass(frozen=True)
class TrajectoryData:
    """Outcomes as ``persons x times`` arrays (the kernels' only input data).

    Attributes
    ----------
    y:
        Outcomes, 0 where missing, shape ``(n, T)``.
    mask:
        1.0 where observed, 0.0 where missing, shape ``(n, T)``.
    basis:
        Polynomial design ``x_t`` of the time points, shape ``(T, degree + 1)``.
    trials:
        Trials per cell of the binomial family (1 for a 0/1 outcome; unused otherwise).
    """

    y: FloatArray
    mask: FloatArray
    basis: FloatArray
    trials: int

    @property
    def zeros(self) -> FloatArray:
        """1.0 where an observed cell is zero."""
        out: FloatArray = self.mask * (self.y == 0)
        return out

    @property
    def constants(self) -> FloatArray:
        """Per-person sum of the density constants (``-log y!`` or ``log C(m, y)``)."""
        if self.trials > 1:
            m = float(self.trials)
            c = gammaln(m + 1) - gammaln(self.y + 1) - gammaln(m - self.y + 1)
        else:
            c = -gammaln(self.y + 1)
        out: FloatArray = (c * self.mask).sum(axis=1)
        return out


@dataclass(frozen=True)
class Sufficient:
    """Per-data arrays computed once, stored ``times x persons`` (C order).

    Every product of the E- and M-steps has the form ``(K, T) @ (T, n)`` or
    ``(T, n) @ (n, K)`` on these arrays, the fast orders for BLAS on this layout.
    """

    y: FloatArray  # (y * mask).T
    mask: FloatArray
    zeros: FloatArray
    positive: FloatArray  # mask - zeros
    constants: FloatArray  # (n,)


@dataclass(frozen=True)
class Params:
    """Parameters of one mixture: ``beta`` (K, p), ``gamma`` (K,) or None, ``log_prior`` (K,)."""

    beta: FloatArray
    gamma: FloatArray | None
    log_prior: FloatArray


@dataclass(frozen=True)
class MixtureFit:
    """One fitted K-group mixture (groups ordered by their mean fitted level).

    Attributes
    ----------
    family, n_groups, trials:
        The model.
    beta:
        Polynomial coefficients per group, ``(K, degree + 1)``, on the scaled time.
    gamma:
        Logit of the zero-inflation probability per group (``family="zip"``), else None.
    prior:
        Group probabilities ``pi_k``.
    loglik, n_params:
        Maximised log-likelihood and the number of free parameters.
    posterior:
        Posterior group probabilities per person, ``(n, K)``.
    covariance:
        Covariance of ``(beta_1, [gamma_1], ..., beta_K, [gamma_K], alpha_2..alpha_K)`` from
        the empirical information (``alpha`` are the multinomial logits of ``pi``, group 1
        the reference); NaN where the information is singular.
    iterations, converged:
        EM iterations of the final (refined) run and whether it met the tolerance.
    start_logliks:
        Log-likelihood reached by each start's short run (the best one was refined).
    """

    family: Family
    n_groups: int
    trials: int
    beta: FloatArray
    gamma: FloatArray | None
    prior: FloatArray
    loglik: float
    n_params: int
    posterior: FloatArray
    covariance: FloatArray
    iterations: int
    converged: bool
    start_logliks: tuple[float, ...]


def sufficient(data: TrajectoryData) -> Sufficient:
    """Precompute the arrays the E- and M-steps multiply against."""
    zeros = data.zeros
    return Sufficient(
        y=np.ascontiguousarray((data.y * data.mask).T),
        mask=np.ascontiguousarray(data.mask.T),
        zeros=np.ascontiguousarray(zeros.T),
        positive=np.ascontiguousarray((data.mask - zeros).T),
        constants=data.constants,
    )


def _log_zero_prob(eta: FloatArray, gamma: FloatArray) -> FloatArray:
    """``log(w + (1 - w) exp(-lambda))`` per (group, time), computed stably."""
    g = gamma[:, None]
    log_w = -np.logaddexp(0.0, -g)
    log_1mw = -np.logaddexp(0.0, g)
    out: FloatArray = np.logaddexp(log_w, log_1mw - np.exp(eta))
    return out


def _family_loglik(
    s: Sufficient, eta: FloatArray, gamma: FloatArray | None, trials: int
) -> FloatArray:
    if gamma is not None:  # zip
        log_w1 = -np.logaddexp(0.0, gamma)  # log(1 - w)
        out: FloatArray = (
            _log_zero_prob(eta, gamma) @ s.zeros
            + (log_w1[:, None] - np.exp(eta)) @ s.positive
            + eta @ s.y
        ).T
        return out
    if trials > 0:  # binomial
        out = (eta @ s.y - float(trials) * (np.logaddexp(0.0, eta) @ s.mask)).T
        return out
    out = (eta @ s.y - np.exp(eta) @ s.mask).T  # poisson
    return out


def e_step(
    s: Sufficient, basis: FloatArray, p: Params, trials: int
) -> tuple[float, FloatArray, FloatArray]:
    """Return the log-likelihood, the posterior ``(n, K)`` and ``log f`` per person/group."""
    eta = p.beta @ basis.T
    comp = _family_loglik(s, eta, p.gamma, trials) + s.constants[:, None]
    joint = comp + p.log_prior[None, :]
    top = joint.max(axis=1, keepdims=True)
    lse = top[:, 0] + np.log(np.exp(joint - top).sum(axis=1))
    post: FloatArray = np.exp(joint - lse[:, None])
    return float(lse.sum()), post, comp


def _newton_glm(
    x: FloatArray, ysum: FloatArray, nsum: FloatArray, beta0: FloatArray, trials: int
) -> FloatArray:
    """Maximise ``sum_t ysum_t eta_t - nsum_t b(eta_t)`` (canonical GLM) by damped Newton."""

    def objective(beta: FloatArray) -> tuple[float, FloatArray, FloatArray]:
        eta = x @ beta
        if trials > 0:
            mu = trials * expit(eta)
            b = trials * np.logaddexp(0.0, eta)
            var = mu * (1.0 - expit(eta))
        else:
            mu = np.exp(eta)
            b = mu
            var = mu
        value = float(ysum @ eta - nsum @ b)
        grad = x.T @ (ysum - nsum * mu)
        hess = (x * (nsum * var)[:, None]).T @ x
        return value, grad, hess

    beta = beta0.copy()
    value, grad, hess = objective(beta)
    for _ in range(_NEWTON_ITER):
        try:
            step = np.linalg.solve(hess + 1e-12 * np.eye(len(beta)), grad)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(hess, grad, rcond=None)[0]
        t = 1.0
        while True:
            cand = beta + t * step
            new_value, new_grad, new_hess = objective(cand)
            if new_value >= value - 1e-12 * abs(value) or t < 1e-8:
                break
            t /= 2.0
        done = abs(new_value - value) <= _NEWTON_TOL * (1.0 + abs(value))
        beta, value, grad, hess = cand, new_value, new_grad, new_hess
        if done and float(np.max(np.abs(t * step))) < 1e-9:
            break
    return beta


def _zip_m_step(
    x: FloatArray,
    ysum: FloatArray,
    nsum: FloatArray,
    zsum: FloatArray,
    theta0: FloatArray,
) -> FloatArray:
    """Maximise one group's posterior-weighted zero-inflated Poisson log-likelihood."""
    p = x.shape[1]

    def negative(theta: FloatArray) -> tuple[float, FloatArray]:
        beta, gamma = theta[:p], theta[p]
        eta = x @ beta
        lam = np.exp(eta)
        w = float(expit(gamma))
        log_zero = np.logaddexp(np.log(w) if w > 0 else -np.inf, np.log1p(-w) - lam)
        pos = nsum - zsum
        value = zsum @ log_zero + pos.sum() * np.log1p(-w) + ysum @ eta - pos @ lam
        share = np.exp(np.log1p(-w) - lam - log_zero)  # P(Poisson part | y = 0)
        d_eta = -zsum * share * lam + ysum - pos * lam
        d_gamma = float(zsum @ (w * (1 - w) * (1 - np.exp(-lam)) / np.exp(log_zero))) - float(
            pos.sum() * w
        )
        grad = np.concatenate([x.T @ d_eta, [d_gamma]])
        return -float(value), -grad

    res = optimize.minimize(
        negative, theta0, jac=True, method="BFGS", options={"gtol": 1e-10, "maxiter": 500}
    )
    out: FloatArray = np.asarray(res.x, dtype=float)
    return out


def m_step(s: Sufficient, basis: FloatArray, post: FloatArray, p: Params, trials: int) -> Params:
    """Maximise the expected complete-data log-likelihood given the posterior."""
    ysum = (s.y @ post).T  # (K, T)
    nsum = (s.mask @ post).T
    weight = post.sum(axis=0)
    log_prior = np.log(np.maximum(weight, 1e-300) / weight.sum())
    if p.gamma is not None:
        zsum = (s.zeros @ post).T
        thetas = [
            _zip_m_step(basis, ysum[k], nsum[k], zsum[k], np.append(p.beta[k], p.gamma[k]))
            for k in range(post.shape[1])
        ]
        beta = np.array([t[:-1] for t in thetas])
        gamma = np.array([t[-1] for t in thetas])
        return Params(beta=beta, gamma=gamma, log_prior=log_prior)
    beta = np.array(
        [_newton_glm(basis, ysum[k], nsum[k], p.beta[k], trials) for k in range(post.shape[1])]
    )
    return Params(beta=beta, gamma=None, log_prior=log_prior)


def _initial_params(
    s: Sufficient, basis: FloatArray, post: FloatArray, family: Family, trials: int
) -> Params:
    k = post.shape[1]
    ybar = float(s.y.sum() / max(s.mask.sum(), 1.0))
    if family == "binomial":
        q = min(max(ybar / trials, 1e-3), 1 - 1e-3)
        level = float(np.log(q / (1 - q)))
    else:
        level = float(np.log(max(ybar, 1e-3)))
    beta = np.zeros((k, basis.shape[1]))
    beta[:, 0] = level
    gamma = np.full(k, -2.0) if family == "zip" else None
    start = Params(beta=beta, gamma=gamma, log_prior=np.full(k, -np.log(k)))
    return m_step(s, basis, post, start, _trials_code(family, trials))


def _trials_code(family: Family, trials: int) -> int:
    """The kernels' family switch: ``trials > 0`` is binomial, 0 is Poisson (or zip)."""
    return trials if family == "binomial" else 0


def _subsample(data: TrajectoryData, rng: np.random.Generator) -> TrajectoryData:
    """At most :data:`SCREEN_PERSONS` random persons (all of them in smaller data)."""
    n = data.y.shape[0]
    if n <= SCREEN_PERSONS:
        return data
    keep = np.sort(rng.choice(n, size=SCREEN_PERSONS, replace=False))
    return TrajectoryData(
        y=data.y[keep], mask=data.mask[keep], basis=data.basis, trials=data.trials
    )


def start_features(data: TrajectoryData) -> tuple[FloatArray, FloatArray]:
    """Two summaries of each person's trajectory for seeding the starts.

    ``shape``: the person's own least-squares polynomial on the observed cells,
    standardised per coefficient. ``level``: the square roots of the outcomes (variance
    stabilising for counts), missing cells filled with the person's mean, averaged over at
    most 12 consecutive blocks of time points.
    """
    x = data.basis
    gram = np.einsum("it,tp,tq->ipq", data.mask, x, x) + 1e-6 * np.eye(x.shape[1])
    coef = np.linalg.solve(gram, ((data.y * data.mask) @ x)[:, :, None])[:, :, 0]
    sd = coef.std(axis=0)
    shape = (coef - coef.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    root = np.sqrt(data.y)
    person_mean = (root * data.mask).sum(axis=1) / np.maximum(data.mask.sum(axis=1), 1.0)
    level = np.where(data.mask > 0, root, person_mean[:, None])
    bins = np.array_split(np.arange(level.shape[1]), min(level.shape[1], _LEVEL_BINS))
    return shape, np.column_stack([level[:, b].mean(axis=1) for b in bins])


def _sq_distances(feats: FloatArray, centres: FloatArray) -> FloatArray:
    """Squared distances persons x centres without a persons x centres x features array."""
    out: FloatArray = (
        (feats**2).sum(axis=1)[:, None] - 2.0 * feats @ centres.T + (centres**2).sum(axis=1)
    )
    return np.maximum(out, 0.0)


def _kmeans_partition(feats: FloatArray, n_groups: int, rng: np.random.Generator) -> FloatArray:
    """One k-means++ seeding with five Lloyd iterations, as a hard posterior ``(n, K)``."""
    n = feats.shape[0]
    centres = feats[[int(rng.integers(n))]]
    for _ in range(1, n_groups):
        d2 = _sq_distances(feats, centres).min(axis=1)
        prob = d2 / d2.sum() if d2.sum() > 0 else np.full(n, 1.0 / n)
        centres = np.vstack([centres, feats[[int(rng.choice(n, p=prob))]]])
    label = _sq_distances(feats, centres).argmin(axis=1)
    for _ in range(5):
        centres = np.array(
            [
                feats[label == k].mean(axis=0) if np.any(label == k) else centres[k]
                for k in range(n_groups)
            ]
        )
        label = _sq_distances(feats, centres).argmin(axis=1)
    post: FloatArray = np.eye(n_groups)[label]
    if np.any(post.sum(axis=0) == 0):  # an empty seed group: fall back to a random split
        post = np.eye(n_groups)[rng.integers(n_groups, size=n)]
    return post


def seed_partitions(
    data: TrajectoryData, n_groups: int, starts: int, rng: np.random.Generator
) -> list[FloatArray]:
    """Hard starting partitions: seeded k-means++ on the persons' trajectory summaries.

    Starts alternate between the ``level`` and the ``shape`` features of
    :func:`start_features`, so that groups differing mainly in level and groups differing
    mainly in shape both get good starts.
    """
    if n_groups == 1:
        return [np.ones((data.y.shape[0], 1))]
    shape, level = start_features(data)
    return [_kmeans_partition(level if r % 2 == 0 else shape, n_groups, rng) for r in range(starts)]


def run_em(
    s: Sufficient,
    basis: FloatArray,
    p: Params,
    trials: int,
    *,
    tol: float,
    max_iter: int,
) -> tuple[Params, float, FloatArray, int, bool]:
    """EM from ``p`` until the relative log-likelihood change is below ``tol``.

    Returns the parameters, log-likelihood, posterior, iterations and convergence flag.
    A start whose group collapses (prior below 1e-10) stops with ``-inf``.
    """
    previous = -np.inf
    loglik, post, _ = e_step(s, basis, p, trials)
    for it in range(1, max_iter + 1):
        p = m_step(s, basis, post, p, trials)
        if float(np.exp(p.log_prior).min()) < _EMPTY_GROUP:
            return p, -np.inf, post, it, False
        previous = loglik
        loglik, post, _ = e_step(s, basis, p, trials)
        if abs(loglik - previous) <= tol * (1.0 + abs(loglik)):
            return p, loglik, post, it, True
    return p, loglik, post, max_iter, False


def fit_mixture(
    data: TrajectoryData,
    n_groups: int,
    family: Family,
    *,
    starts: int,
    rng: np.random.Generator,
    tol: float,
    max_iter: int,
) -> MixtureFit:
    """Fit a K-group mixture: short EM runs from ``starts`` seeds, then refine the best.

    The short runs (relative change 1e-6 or 100 iterations) use a random subsample of
    :data:`SCREEN_PERSONS` persons when the data are larger; the best of them is refined
    by EM on all persons until the relative change is below ``tol``.

    Raises
    ------
    ValueError
        If every start collapsed to fewer than ``n_groups`` groups (the caller turns this
        into an :class:`~evaluation.errors.EstimationError` naming the group count).
    """
    s = sufficient(data)
    trials = _trials_code(family, data.trials)
    screen = _subsample(data, rng)
    s_screen = sufficient(screen)
    screened: list[tuple[float, Params]] = []
    for post in seed_partitions(screen, n_groups, starts, rng):
        p0 = _initial_params(s_screen, screen.basis, post, family, screen.trials)
        p, ll, _, _, _ = run_em(
            s_screen, screen.basis, p0, trials, tol=max(tol, _SHORT_TOL), max_iter=_SHORT_ITER
        )
        screened.append((ll, p))
    best_ll, best = max(screened, key=lambda item: item[0])
    if not np.isfinite(best_ll):
        raise ValueError(f"every start collapsed to fewer than {n_groups} groups")
    p, loglik, post, iters, converged = run_em(
        s, data.basis, best, trials, tol=tol, max_iter=max_iter
    )
    if not np.isfinite(loglik):
        raise ValueError(f"the best start collapsed to fewer than {n_groups} groups")
    p, post = _order_groups(p, post, data.basis, family, data.trials)
    n_params = (
        n_groups * data.basis.shape[1] + (n_groups - 1) + (n_groups if p.gamma is not None else 0)
    )
    return MixtureFit(
        family=family,
        n_groups=n_groups,
        trials=data.trials,
        beta=p.beta,
        gamma=p.gamma,
        prior=np.exp(p.log_prior),
        loglik=loglik,
        n_params=n_params,
        posterior=post,
        covariance=covariance(s, data.basis, p, post, family, data.trials),
        iterations=iters,
        converged=converged,
        start_logliks=tuple(ll for ll, _ in screened),
    )


def mean_curve(
    beta: FloatArray, gamma: FloatArray | None, basis: FloatArray, family: Family, trials: int
) -> FloatArray:
    """Expected outcome per group and time, ``(K, T)``."""
    eta = beta @ basis.T
    if family == "binomial":
        out: FloatArray = trials * expit(eta)
        return out
    lam = np.exp(eta)
    if gamma is not None:
        out = (1.0 - expit(gamma))[:, None] * lam
        return out
    return lam


def _order_groups(
    p: Params, post: FloatArray, basis: FloatArray, family: Family, trials: int
) -> tuple[Params, FloatArray]:
    level = mean_curve(p.beta, p.gamma, basis, family, trials).mean(axis=1)
    order = np.argsort(level, kind="stable")
    gamma = None if p.gamma is None else p.gamma[order]
    return Params(beta=p.beta[order], gamma=gamma, log_prior=p.log_prior[order]), post[:, order]


def _cell_scores(
    s: Sufficient, eta: FloatArray, gamma: float | None, basis: FloatArray, trials: int
) -> list[FloatArray]:
    """Per-person score of ``log f(y_i | k)`` w.r.t. ``beta_k`` (and ``gamma_k``)."""
    if gamma is None:
        mu = trials * expit(eta) if trials > 0 else np.exp(eta)
        return [(basis.T @ s.y - (mu[:, None] * basis).T @ s.mask).T]
    lam = np.exp(eta)
    w = float(expit(gamma))
    p0 = w + (1 - w) * np.exp(-lam)
    g0 = -(1 - w) * np.exp(-lam) * lam / p0
    d_beta = (
        basis.T @ s.y - (lam[:, None] * basis).T @ s.positive + (g0[:, None] * basis).T @ s.zeros
    ).T
    h0 = w * (1 - w) * (1 - np.exp(-lam)) / p0
    d_gamma = -w * s.positive.sum(axis=0) + h0 @ s.zeros
    return [d_beta, d_gamma[:, None]]


def covariance(
    s: Sufficient, basis: FloatArray, p: Params, post: FloatArray, family: Family, trials: int
) -> FloatArray:
    """Inverse of the empirical information ``sum_i g_i g_i'`` of the marginal likelihood.

    The score of person ``i`` is ``tau_ik d log f(y_i | k)`` for group ``k``'s parameters and
    ``tau_ik - pi_k`` for the multinomial logit ``alpha_k`` of group ``k >= 2``.
    """
    trials_code = _trials_code(family, trials)
    eta = p.beta @ basis.T
    blocks: list[FloatArray] = []
    for k in range(post.shape[1]):
        gamma = None if p.gamma is None else float(p.gamma[k])
        for part in _cell_scores(s, eta[k], gamma, basis, trials_code):
            blocks.append(post[:, [k]] * part)
    prior = np.exp(p.log_prior)
    blocks.append(post[:, 1:] - prior[None, 1:])
    scores = np.hstack(blocks)
    info = scores.T @ scores
    try:
        cov: FloatArray = np.asarray(np.linalg.inv(info), dtype=np.float64)
    except np.linalg.LinAlgError:
        cov = np.full(info.shape, np.nan)
    return cov


def group_diagnostics(posterior: FloatArray, prior: FloatArray) -> dict[str, FloatArray]:
    """Nagin's adequacy measures per group (assignment by the largest posterior).

    ``assigned`` persons per group, ``avepp`` (mean posterior of the assigned group among
    those assigned to it, NaN for an empty group) and ``occ`` (odds of correct
    classification: ``(avepp / (1 - avepp)) / (pi / (1 - pi))``; infinite when AvePP is 1).
    """
    label = posterior.argmax(axis=1)
    k = posterior.shape[1]
    assigned = np.bincount(label, minlength=k).astype(float)
    top = posterior[np.arange(len(label)), label]
    sums = np.bincount(label, weights=top, minlength=k)
    with np.errstate(divide="ignore", invalid="ignore"):
        avepp = np.where(assigned > 0, sums / assigned, np.nan)
        occ = (avepp / (1 - avepp)) / (prior / (1 - prior)) if k > 1 else np.full(k, np.inf)
    return {"assigned": assigned, "avepp": avepp, "occ": np.asarray(occ, dtype=float)}


def relative_entropy(posterior: FloatArray) -> float:
    """``1 - sum(-tau log tau) / (n log K)`` (1 = perfect separation); 1 for one group."""
    n, k = posterior.shape
    if k == 1:
        return 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        ent = -np.nansum(np.where(posterior > 0, posterior * np.log(posterior), 0.0))
    return float(1.0 - ent / (n * np.log(k)))
