"""The bridges from the person-month panel to the design inputs."""

from __future__ import annotations

import pandas as pd
import pytest

from evaluation.errors import OptionError
from evaluation.impact import covariates_with_variation, did_input, matching_input
from evaluation.registers import GROUP_COLUMNS, PersonMonthPanel, build_person_month_panel
from evaluation.synthetic import SyntheticRegisters, generate_registers

PILOT = "Sataosaa"


@pytest.fixture(scope="module")
def synthetic() -> tuple[SyntheticRegisters, PersonMonthPanel]:
    data = generate_registers(persons=3_000, seed=11)
    panel = build_person_month_panel(
        data.spells,
        start=data.months[0],
        end=data.months[-1],
        participants=data.participants,
        persons=data.persons["person_id"],
    )
    return data, panel


def test_did_input_codes_cohorts_and_leaves_out_other_pilots(
    synthetic: tuple[SyntheticRegisters, PersonMonthPanel],
) -> None:
    data, panel = synthetic
    frame = did_input(panel, pilot=PILOT).df()
    own = data.participants[data.participants["pilot"] == PILOT]
    others = set(data.participants["person_id"]) - set(own["person_id"])
    assert not others & set(frame["person_id"])
    entry = own.set_index("person_id")["entry_date"]
    expected = (entry.dt.year * 12 + entry.dt.month - 1).rename("cohort")
    cohorts = frame[frame["cohort"] > 0].groupby("person_id")["cohort"].agg(["min", "max"])
    assert (cohorts["min"] == cohorts["max"]).all()  # one cohort per person
    pd.testing.assert_series_equal(
        cohorts["min"].sort_index(), expected.sort_index(), check_names=False, check_dtype=False
    )
    n_never = len(data.persons) - len(data.participants)
    assert frame.loc[frame["cohort"] == 0, "person_id"].nunique() == n_never
    assert len(frame) == frame["person_id"].nunique() * len(data.months)  # balanced


def test_did_input_without_never_participants_keeps_only_the_pilot(
    synthetic: tuple[SyntheticRegisters, PersonMonthPanel],
) -> None:
    _, panel = synthetic
    frame = did_input(panel, pilot=PILOT, never_participants=False).df()
    assert (frame["cohort"] > 0).all()


def test_matching_input_has_one_row_per_person_with_full_windows(
    synthetic: tuple[SyntheticRegisters, PersonMonthPanel],
) -> None:
    data, panel = synthetic
    frame = matching_input(panel, data.persons, pilot=PILOT, follow_up=12, history=24, seed=1)
    assert frame["person_id"].is_unique
    assert frame["treated"].sum() + frame.attrs["excluded_short_follow_up"] == (
        (data.participants["pilot"] == PILOT).sum()
    )
    assert frame[["pre_outcome", "post_outcome"]].stack().between(0, 1).all()
    # Comparison persons' reference months are drawn from the participants' entry months.
    treated_months = set(frame.loc[frame["treated"] == 1, "reference_month"])
    assert set(frame.loc[frame["treated"] == 0, "reference_month"]) <= treated_months
    again = matching_input(panel, data.persons, pilot=PILOT, follow_up=12, history=24, seed=1)
    pd.testing.assert_frame_equal(frame, again)


def test_covariates_without_variation_are_named_with_the_reason() -> None:
    frame = pd.DataFrame(
        {"treated": [1, 1, 0, 0], "x": [1.0, 2.0, 3.0, 1.0], "sv": [0, 0, 1, 0], "k": [1] * 4}
    )
    kept, dropped = covariates_with_variation(
        frame, treatment="treated", covariates=["x", "sv", "k"]
    )
    assert kept == ["x"]
    assert "participants" in dropped["sv"] and set(dropped) == {"sv", "k"}


def test_unknown_outcome_is_a_clear_error(
    synthetic: tuple[SyntheticRegisters, PersonMonthPanel],
) -> None:
    _, panel = synthetic
    with pytest.raises(OptionError, match="unknown outcome"):
        did_input(panel, pilot=PILOT, outcome="salary")


def test_did_input_takes_a_benefit_group_as_outcome(
    synthetic: tuple[SyntheticRegisters, PersonMonthPanel],
) -> None:
    # One list of DiD outcomes (evaluation.impact.did_rules.DID_OUTCOMES) for both the
    # in-process and the Ibis did_input: the benefit-group columns are 0/1 outcomes too.
    _, panel = synthetic
    column = GROUP_COLUMNS[0]
    frame = did_input(panel, pilot=PILOT, outcome=column).df()
    cells = panel.to_pandas()[["person_id", "month_index", column]]
    merged = frame.merge(cells, on=["person_id", "month_index"], how="left")
    assert len(merged) == len(frame) > 0
    assert (merged["y"] == merged[column].astype("float64")).all()
