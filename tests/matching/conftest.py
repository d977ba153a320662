"""Shared fixtures of the matching tests: NSW/CPS (causaldata) and synthetic designs."""

from __future__ import annotations

from pathlib import Path

import causaldata
import numpy as np
import pandas as pd
import pytest

REFERENCE = Path(__file__).parent / "reference"
COVARIATES = ["age", "educ", "black", "hisp", "marr", "nodegree", "re74", "re75"]


@pytest.fixture(scope="session")
def nsw() -> pd.DataFrame:
    """The NSW experimental sample (185 treated, 260 controls)."""
    return causaldata.nsw_mixtape.load_pandas().data


@pytest.fixture(scope="session")
def nsw_cps(nsw: pd.DataFrame) -> pd.DataFrame:
    """NSW treated stacked on CPS controls, index 0..16176 (as the R reference script)."""
    cps = causaldata.cps_mixtape.load_pandas().data
    return pd.concat([nsw[nsw["treat"] == 1], cps], ignore_index=True)


def synthetic(n: int = 600, *, seed: int = 0, effect: float = 2.0) -> pd.DataFrame:
    """Confounded observational data with a known constant ATT ``effect``.

    Columns: treat, x1, x2 (continuous), x3 (binary), region (3 levels), y, y_pre, y_post.
    """
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    x2 = rng.normal(size=n)
    x3 = rng.binomial(1, 0.4, size=n)
    region = rng.choice(["north", "south", "east"], size=n)
    lin = -1.0 + 0.8 * x1 - 0.5 * x2 + 0.5 * x3
    treat = rng.binomial(1, 1 / (1 + np.exp(-lin)))
    base = 1.0 + x1 + 0.5 * x2 + x3 + rng.normal(size=n)
    y_pre = base + rng.normal(scale=0.5, size=n)
    y_post = base + 0.3 + effect * treat + rng.normal(scale=0.5, size=n)
    return pd.DataFrame(
        {
            "treat": treat,
            "x1": x1,
            "x2": x2,
            "x3": x3,
            "region": region,
            "y": base + effect * treat,
            "y_pre": y_pre,
            "y_post": y_post,
        },
        index=pd.Index(np.arange(1000, 1000 + n), name="person"),
    )


@pytest.fixture(scope="session")
def make_synthetic() -> object:
    """The :func:`synthetic` generator (test modules cannot import conftest directly)."""
    return synthetic


@pytest.fixture(scope="session")
def covariates() -> list[str]:
    """The standard Lalonde covariates."""
    return list(COVARIATES)


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """Folder of the stored R MatchIt outputs."""
    return REFERENCE
