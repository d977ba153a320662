"""Covariate distances as points: Euclidean distance between rows = the matching distance.

MatchIt's covariate distances (``distance = "mahalanobis"``, ``"robust_mahalanobis"``,
``"euclidean"``, ``"scaled_euclidean"``), all on the model matrix of the covariates:

* ``mahalanobis``: covariates times the inverse Cholesky factor of the pooled within-group
  covariance ``((n1 - 1) S1 + (n0 - 1) S0) / (n - 2)``;
* ``robust_mahalanobis`` (Rosenbaum 2010, ch. 8): each covariate replaced by its ranks
  (ties averaged), the rank covariance rescaled so every variable has the variance of
  untied ranks ``var(1..n)``, then as above on the ranks;
* ``euclidean``: the covariates as they are;
* ``scaled_euclidean``: each covariate divided by its pooled within-group SD.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy.stats import rankdata

from evaluation.errors import OverlapError

FloatArray = npt.NDArray[np.float64]
CovariateDistance = Literal["mahalanobis", "robust_mahalanobis", "euclidean", "scaled_euclidean"]
COVARIATE_DISTANCES: tuple[CovariateDistance, ...] = (
    "mahalanobis",
    "robust_mahalanobis",
    "euclidean",
    "scaled_euclidean",
)


def pooled_covariance(x: FloatArray, d: npt.NDArray[np.bool_]) -> FloatArray:
    """Pooled within-group covariance ``((n1 - 1) S1 + (n0 - 1) S0) / (n1 + n0 - 2)``."""
    n1, n0 = int(d.sum()), int((~d).sum())
    s1 = np.atleast_2d(np.cov(x[d], rowvar=False))
    s0 = np.atleast_2d(np.cov(x[~d], rowvar=False))
    out: FloatArray = ((n1 - 1) * s1 + (n0 - 1) * s0) / (n1 + n0 - 2)
    return out


def whiten(x: FloatArray, cov: FloatArray, where: str) -> FloatArray:
    """``x`` times the inverse Cholesky factor of ``cov`` (OverlapError if singular)."""
    try:
        chol = np.linalg.cholesky(cov)
    except np.linalg.LinAlgError as exc:
        raise OverlapError(
            "the covariance of the covariates is singular",
            where=where,
            fix="drop covariates that are constant within groups or collinear",
        ) from exc
    out: FloatArray = np.linalg.solve(chol, x.T).T
    return out


def covariate_points(
    x: FloatArray, d: npt.NDArray[np.bool_], kind: CovariateDistance, where: str
) -> FloatArray:
    """Points whose Euclidean distances are the ``kind`` distances (module docstring)."""
    if kind == "euclidean":
        return x.copy()
    if kind == "scaled_euclidean":
        sd = np.sqrt(np.diag(pooled_covariance(x, d)))
        if np.any(sd == 0):
            raise OverlapError(
                "a covariate is constant within both groups",
                where=where,
                fix="drop constant covariates",
            )
        out: FloatArray = x / sd
        return out
    if kind == "robust_mahalanobis":
        ranks = np.column_stack([rankdata(col) for col in x.T]).astype(np.float64)
        cov = np.atleast_2d(np.cov(ranks, rowvar=False))
        untied = float(np.var(np.arange(1, x.shape[0] + 1), ddof=1))
        scale = np.sqrt(untied / np.diag(cov))
        return whiten(ranks, cov * np.outer(scale, scale), where)
    return whiten(x, pooled_covariance(x, d), where)
