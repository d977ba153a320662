"""Repeated cross-sections, ``att_gt(panel=False)`` (issue 16, item 2), against csdid."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from evaluation.errors import EstimatorNote, OptionError
from evaluation.estimators.did import att_gt

REFERENCE = Path(__file__).with_name("reference") / "mpdta_rc_reference.json"
PEER_TOL = 1e-8  # the same closed form as csdid's panel=False (issue 16 asks for 1e-6)
KW: dict[str, Any] = {"outcome": "lemp", "time": "year", "cohort": "first.treat"}


def _draws(mpdta: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """As reference/make_mpdta_rc_reference.py: all rows, and a 60% draw of them."""
    keep = np.random.default_rng(16).random(len(mpdta)) < 0.6
    return {"all_rows": mpdta, "draw_60": mpdta[keep].reset_index(drop=True)}


@pytest.mark.parametrize("name", ["all_rows", "draw_60"])
def test_cross_sections_match_csdid(mpdta: pd.DataFrame, name: str) -> None:
    ref = json.loads(REFERENCE.read_text())[name]
    data = _draws(mpdta)[name].drop(columns="countyreal")  # no unit ids in cross-sections
    with warnings.catch_warnings():
        warnings.simplefilter("error", EstimatorNote)  # nothing to note on clean sections
        res = att_gt(data, **KW, panel=False)
    tab = res.tidy()
    np.testing.assert_array_equal(tab["cohort"], ref["att_gt"]["cohort"])
    np.testing.assert_array_equal(tab["time"], ref["att_gt"]["time"])
    np.testing.assert_allclose(tab["estimate"], ref["att_gt"]["estimate"], atol=PEER_TOL)
    np.testing.assert_allclose(tab["std_error"], ref["att_gt"]["std_error"], atol=PEER_TOL)
    for kind in ("simple", "group", "dynamic", "calendar"):
        agg = res.aggregate(kind)  # type: ignore[arg-type]
        assert agg.estimate == pytest.approx(ref[kind]["estimate"], abs=PEER_TOL)
        assert agg.std_error == pytest.approx(ref[kind]["std_error"], abs=PEER_TOL)
    assert res.n_units == len(data)


def test_cross_sections_are_not_the_panel_estimator(mpdta: pd.DataFrame) -> None:
    """Same point estimates on a balanced panel, but the panel's SEs use the pairing."""
    rc = att_gt(mpdta, **KW, panel=False)
    pn = att_gt(mpdta, **KW, unit="countyreal")
    np.testing.assert_allclose(rc.estimate, pn.estimate, atol=1e-12)
    assert (rc.std_error > 5 * pn.std_error).all()


def test_cross_section_options(mpdta: pd.DataFrame) -> None:
    with pytest.raises(OptionError, match="without covariates"):
        att_gt(mpdta, **KW, panel=False, covariates=("lpop",))
    with pytest.raises(OptionError, match="panel=False"):
        att_gt(mpdta, **KW)  # no unit and a panel
    d = mpdta.assign(lemp=mpdta["lemp"].mask(mpdta.index % 10 == 0))
    with pytest.warns(EstimatorNote, match="250 row"):
        res = att_gt(d, **KW, panel=False, missing_outcome="balance")
    assert res.n_units == 2250
