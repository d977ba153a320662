"""Meta-analysis against reference values (see reference/make_reference.py for sources)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evaluation.estimators.meta import meta_analysis, meta_regression

REF = json.loads((Path(__file__).parent / "reference" / "reference_values.json").read_text())

# Acceptance tolerance of issue 7: reference values are reproduced to 1e-6 (absolute).
TOL = 1e-6
# metafor prints 4 decimals in its documentation; agreement to half a unit of the last digit.
PRINTED_TOL = 5e-5


@pytest.fixture(scope="module")
def bcg() -> tuple[np.ndarray, np.ndarray]:
    b = REF["bcg"]
    return np.array(b["yi"]), np.sqrt(np.array(b["vi"]))


@pytest.mark.parametrize("method", ["DL", "PM"])
def test_bcg_dl_pm_match_statsmodels(bcg: tuple[np.ndarray, np.ndarray], method: str) -> None:
    r = meta_analysis(*bcg, method=method)  # type: ignore[arg-type]
    ref = REF["bcg"][method]
    assert r.tau2 == pytest.approx(ref["tau2"], abs=TOL)
    assert r.estimate == pytest.approx(ref["estimate"], abs=TOL)
    assert r.std_error == pytest.approx(ref["se"], abs=TOL)
    assert r.q == pytest.approx(ref["q"], abs=TOL)


def test_bcg_reml_matches_likelihood_maximisation(bcg: tuple[np.ndarray, np.ndarray]) -> None:
    r = meta_analysis(*bcg, method="REML")
    ref = REF["bcg"]["REML"]
    assert r.tau2 == pytest.approx(ref["tau2"], abs=TOL)
    assert r.estimate == pytest.approx(ref["beta"][0], abs=TOL)
    assert r.std_error == pytest.approx(ref["se"][0], abs=TOL)
    assert r.i2 == pytest.approx(ref["i2"], abs=TOL)
    assert r.h2 == pytest.approx(ref["h2"], abs=TOL)
    assert (r.conf_low, r.conf_high) == pytest.approx(tuple(ref["ci"]), abs=TOL)
    assert (r.pred_low, r.pred_high) == pytest.approx(tuple(ref["pi"]), abs=TOL)


def test_bcg_matches_metafor_printed_values(bcg: tuple[np.ndarray, np.ndarray]) -> None:
    dl = meta_analysis(*bcg, method="DL")
    reml = meta_analysis(*bcg, method="REML")
    assert dl.tau2 == pytest.approx(0.3088, abs=PRINTED_TOL)
    assert reml.tau2 == pytest.approx(0.3132, abs=PRINTED_TOL)
    assert reml.estimate == pytest.approx(-0.7145, abs=PRINTED_TOL)
    assert reml.std_error == pytest.approx(0.1798, abs=PRINTED_TOL)
    assert reml.q == pytest.approx(152.2330, abs=PRINTED_TOL)
    assert reml.q_df == 12
    assert (reml.pred_low, reml.pred_high) == pytest.approx((-1.8667, 0.4376), abs=PRINTED_TOL)
    assert reml.i2 == pytest.approx(92.22, abs=0.005)


def test_bcg_meta_regression_reml(bcg: tuple[np.ndarray, np.ndarray]) -> None:
    mods = pd.DataFrame({"ablat": REF["bcg"]["ablat"]})
    r = meta_regression(*bcg, moderators=mods, method="REML")
    ref = REF["bcg"]["REML_ablat"]
    assert r.tau2 == pytest.approx(ref["tau2"], abs=TOL)
    assert r.estimates == pytest.approx(tuple(ref["beta"]), abs=TOL)
    assert r.std_errors == pytest.approx(tuple(ref["se"]), abs=TOL)
    assert r.qe == pytest.approx(ref["qe"], abs=TOL)
    assert r.qm == pytest.approx(ref["qm"], abs=TOL)
    assert r.i2 == pytest.approx(ref["i2"], abs=TOL)
    assert r.terms == ("intercept", "ablat")


@pytest.mark.parametrize(
    ("key", "method", "test"),
    [("PM", "PM", "z"), ("DL", "DL", "z"), ("DL_knha", "DL", "knha"), ("FE", "FE", "z")],
)
def test_kacker_matches_metafor(key: str, method: str, test: str) -> None:
    k = REF["kacker"]
    r = meta_analysis(k["y"], np.sqrt(k["v"]), method=method, test=test)  # type: ignore[arg-type]
    ref = k[key]
    assert r.estimate == pytest.approx(ref["estimate"], abs=TOL)
    assert r.std_error == pytest.approx(ref["se"], abs=TOL)
    assert (r.conf_low, r.conf_high) == pytest.approx(tuple(ref["ci"]), abs=TOL)
    assert r.tau2 == pytest.approx(ref["tau2"], abs=TOL)
    assert r.i2 == pytest.approx(ref["i2"], abs=TOL)
    assert r.h2 == pytest.approx(ref["h2"], abs=TOL)
    if "q" in ref:
        assert r.q == pytest.approx(ref["q"], abs=TOL)
    if "q_p" in ref:
        assert r.q_p_value == pytest.approx(ref["q_p"], abs=TOL)
    if "p" in ref:
        assert r.p_value == pytest.approx(ref["p"], rel=1e-6)
