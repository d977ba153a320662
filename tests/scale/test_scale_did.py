"""The staggered DiD on an Ibis table gives the in-process estimates (and R did's)."""

from __future__ import annotations

import warnings
from typing import Any

import moderndid
import numpy as np
import pandas as pd
import pytest

from evaluation.errors import EstimatorNote, InputDataError
from evaluation.estimators.did import att_gt as att_gt_in_process
from evaluation.impact import did_input as did_input_in_process
from evaluation.registers import build_person_month_panel, validated_panel_inputs
from evaluation.scale import att_gt, did_input, gram_from_sums, person_month_panel, upload
from evaluation.synthetic import generate_registers

#: Same estimator and kernel; only the summation order of the cell sums differs between
#: engines (observed ~1e-14), so 1e-9 (the acceptance tolerance) leaves a wide margin.
AGREE = 1e-9
#: Published R did values are rounded to 4 dp.
R_ROUND = 5.01e-5
KW: dict[str, Any] = {
    "outcome": "lemp",
    "time": "year",
    "unit": "countyreal",
    "cohort": "first.treat",
}


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    """The mpdta panel (500 counties x 2003-2007) shipped by moderndid."""
    return moderndid.load_mpdta().to_pandas()


@pytest.mark.parametrize("control_group", ["nevertreated", "notyettreated"])
@pytest.mark.parametrize("base_period", ["varying", "universal"])
def test_mpdta_matches_in_process_and_r(
    con: Any, mpdta: pd.DataFrame, control_group: str, base_period: str
) -> None:
    table = upload(con, mpdta, kind="mpdta")
    ours = att_gt(table, **KW, control_group=control_group, base_period=base_period).tidy()
    ref = att_gt_in_process(
        mpdta, **KW, method="reg", control_group=control_group, base_period=base_period
    ).tidy()
    pd.testing.assert_frame_equal(ours, ref, check_exact=False, rtol=0, atol=AGREE)
    if control_group == "nevertreated" and base_period == "varying":
        cell = ours.set_index(["cohort", "time"]).loc[(2004, 2006), "estimate"]
        assert abs(cell - (-0.1373)) < R_ROUND  # R did vignette


def test_aggregations_match_in_process(con: Any, mpdta: pd.DataFrame) -> None:
    ours = att_gt(upload(con, mpdta, kind="mpdta"), **KW)
    ref = att_gt_in_process(mpdta, **KW, method="reg")
    for kind in ("simple", "dynamic", "group", "calendar"):
        a, b = ours.aggregate(kind).tidy(), ref.aggregate(kind).tidy()  # type: ignore[arg-type]
        pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=0, atol=AGREE)
    assert abs(ours.aggregate("simple").estimate - (-0.0400)) < R_ROUND


def test_did_input_matches_in_process(con: Any) -> None:
    data = generate_registers(persons=2000, seed=5)
    start, end = f"{data.months[0]:%Y-%m}", f"{data.months[-1]:%Y-%m}"
    kw: dict[str, Any] = {"participants": data.participants, "persons": data.persons["person_id"]}
    fast = build_person_month_panel(data.spells, start=start, end=end, **kw)
    spells, people = validated_panel_inputs(data.spells, **kw)
    panel = person_month_panel(
        upload(con, spells, kind="spells"), upload(con, people, kind="people"), start=start, end=end
    )
    pilot = str(data.participants["pilot"].iloc[0])
    some = data.persons["person_id"].iloc[::3]
    for ids, never in ((None, True), (some, True), (None, False)):
        ours = did_input(panel, pilot=pilot, comparison_ids=ids, never_participants=never)
        ref = did_input_in_process(fast, pilot=pilot, comparison_ids=ids, never_participants=never)
        a = ours.to_pandas().sort_values(["person_id", "month_index"], ignore_index=True)
        b = ref.df().sort_values(["person_id", "month_index"], ignore_index=True)
        assert len(a) == len(b) > 0
        np.testing.assert_array_equal(a["person_id"].astype(str), b["person_id"].astype(str))
        for col in ("month_index", "cohort", "y"):
            np.testing.assert_array_equal(a[col].to_numpy(float), b[col].to_numpy(float))


def test_unbalanced_and_missing_rows_are_clear_errors(con: Any, mpdta: pd.DataFrame) -> None:
    gap = mpdta.drop(index=[3])
    with pytest.raises(InputDataError, match="not observed once in each of the 5 periods"):
        att_gt(upload(con, gap, kind="gap"), **KW)
    hole = mpdta.assign(lemp=mpdta["lemp"].where(mpdta.index != 7))
    with pytest.raises(InputDataError, match="1 row\\(s\\) lack a time, unit or outcome"):
        att_gt(upload(con, hole, kind="hole"), **KW)


def test_cohort_notes_are_estimator_notes(con: Any, mpdta: pd.DataFrame) -> None:
    treated_only = mpdta[mpdta["first.treat"] > 0]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        att_gt(upload(con, treated_only, kind="treated"), **KW, control_group="notyettreated")
    notes = [w for w in caught if issubclass(w.category, EstimatorNote)]
    assert any("no never-treated units" in str(w.message) for w in notes)


def test_gram_from_sums_equals_the_direct_gram() -> None:
    rng = np.random.default_rng(1)
    y = rng.normal(size=(40, 3))
    code = rng.integers(0, 2, size=40)
    counts = np.bincount(code, minlength=2).astype(float)
    sums = np.stack([y[code == c].sum(axis=0) for c in range(2)])
    cross = np.stack([y[code == c].T @ y[code == c] for c in range(2)])
    gram, shift = gram_from_sums(counts, sums, cross)
    for c in range(2):
        f = np.column_stack([y[code == c] - shift, np.ones((counts[c].astype(int), 2))])
        np.testing.assert_allclose(gram[c], f.T @ f, atol=1e-12)


def test_missing_columns_are_named(con: Any, mpdta: pd.DataFrame) -> None:
    from evaluation.errors import MissingColumnError

    table = upload(con, mpdta.drop(columns=["lemp"]), kind="nolemp")
    with pytest.raises(MissingColumnError, match="'lemp'") as info:
        att_gt(table, **KW)
    assert "countyreal" in info.value.fix  # lists the columns the data has
    with pytest.raises(MissingColumnError, match="'code'"):
        person_month_panel(table, table, start="2016-01", end="2016-12")
    with pytest.raises(MissingColumnError, match="'pilot'"):
        did_input(table, pilot="Fokus")
