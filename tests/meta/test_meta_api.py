"""Behaviour of the meta-analysis API: validation, invariance, tidy tables and plots."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from evaluation.errors import InputDataError, MissingColumnError, OptionError
from evaluation.estimators.meta import from_tidy, meta_analysis, meta_regression

# Pure re-ordering changes only floating-point summation order.
ORDER_TOL = 1e-10

Y = [0.10, 0.25, -0.05, 0.30, 0.18, 0.02]
SE = [0.08, 0.12, 0.10, 0.15, 0.07, 0.09]
LABELS = ["A", "B", "C", "D", "E", "F"]


def test_result_is_frozen_and_tidy_has_documented_columns() -> None:
    r = meta_analysis(Y, SE, labels=LABELS)
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.tau2 = 1.0  # type: ignore[misc]
    t = r.tidy()
    assert list(t.columns) == [
        "term",
        "kind",
        "estimate",
        "std_error",
        "statistic",
        "p_value",
        "conf_low",
        "conf_high",
        "weight",
    ]
    assert list(t["term"]) == [*LABELS, "pooled"]
    assert t.loc[t["kind"] == "study", "weight"].sum() == pytest.approx(100.0)
    g = r.glance()
    assert g.loc[0, "i2"] == r.i2 and g.loc[0, "k"] == 6
    assert "I^2" in r.summary()


def test_row_order_invariance() -> None:
    a = meta_analysis(Y, SE, labels=LABELS)
    idx = [5, 2, 0, 4, 1, 3]
    b = meta_analysis([Y[i] for i in idx], [SE[i] for i in idx], labels=[LABELS[i] for i in idx])
    for f in ("estimate", "std_error", "tau2", "i2", "q", "pred_low"):
        assert getattr(a, f) == pytest.approx(getattr(b, f), abs=ORDER_TOL)


def test_homogeneous_effects_give_zero_tau2() -> None:
    r = meta_analysis([0.2, 0.2, 0.2], [0.1, 0.2, 0.3])
    assert r.tau2 == 0.0
    assert r.i2 == 0.0
    assert r.pred_low == pytest.approx(r.conf_low)


def test_input_not_mutated_and_from_tidy() -> None:
    df = pd.DataFrame({"pilot": LABELS, "estimate": Y, "std_error": SE})
    before = df.copy()
    r = from_tidy(df)
    pd.testing.assert_frame_equal(df, before)
    assert r.labels == tuple(LABELS)
    with pytest.raises(MissingColumnError):
        from_tidy(df.drop(columns="std_error"))


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"effects": [0.1], "std_errors": [0.1]}, InputDataError),
        ({"effects": [0.1, 0.2], "std_errors": [0.1]}, InputDataError),
        ({"effects": [0.1, 0.2], "std_errors": [0.1, 0.0]}, InputDataError),
        ({"effects": [0.1, float("nan")], "std_errors": [0.1, 0.1]}, InputDataError),
        ({"effects": [0.1, 0.2], "std_errors": [0.1, 0.1], "method": "HS"}, OptionError),
        ({"effects": [0.1, 0.2], "std_errors": [0.1, 0.1], "level": 95}, OptionError),
    ],
)
def test_invalid_input_raises_named_errors(kwargs: dict[str, object], error: type) -> None:
    with pytest.raises(error) as exc:
        meta_analysis(**kwargs)  # type: ignore[arg-type]
    assert "Fix:" in str(exc.value)


def test_meta_regression_validation_and_outputs() -> None:
    mods = pd.DataFrame({"fidelity": [0.6, 0.8, 0.5, 0.9, 0.7, 0.55], "dose": [4, 6, 3, 8, 5, 4]})
    r = meta_regression(Y, SE, moderators=mods, labels=LABELS, method="DL")
    t = r.tidy()
    assert list(t["term"]) == ["intercept", "fidelity", "dose"]
    assert {"estimate", "std_error", "p_value", "conf_low", "conf_high"} <= set(t.columns)
    assert r.qm_df == 2 and r.qe_df == 3
    assert isinstance(r.plot(moderator="dose"), Figure)
    assert "fidelity" in r.summary()
    with pytest.raises(InputDataError):
        meta_regression(Y, SE, moderators=mods.iloc[:4])
    with pytest.raises(InputDataError):
        meta_regression(Y, SE, moderators=mods.assign(dose=mods["fidelity"] * 2))
    with pytest.raises(InputDataError):
        meta_regression(Y, SE, moderators=mods.assign(site=list("abcdef")))


def test_forest_plot_draws_each_study() -> None:
    r = meta_analysis(Y, SE, labels=LABELS)
    fig = r.plot(title="t")
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[:6] == LABELS and len(labels) == 7
    assert np.isfinite(r.pred_low)
