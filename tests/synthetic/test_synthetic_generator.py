"""The synthetic register generator: determinism, the data contract and the stored truth."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from evaluation.errors import OptionError
from evaluation.registers import build_person_month_panel
from evaluation.registers.codes import CODES
from evaluation.synthetic import (
    OTE4_PILOTS,
    PILOT_NAMES,
    REGIONS,
    TARGET_GROUPS,
    SyntheticRegisters,
    generate_registers,
)

#: Tiny extract for determinism and option tests (fast: about 0.2 s).
TINY = 3_000
#: Monthly employment share of non-participants vs. mean(a_i) + tau_t: binomial SE at 20,000
#: persons is about 0.0035 per month; 0.015 is over 4 SEs for the worst of 60 months.
MARGINAL_TOL = 0.015

PERSON_COLUMNS = [
    "person_id",
    "birth_year",
    "sex",
    "region",
    "education",
    "mother_tongue",
    "partial_work_ability",
    "disability",
]
FRAMES = ("persons", "spells", "participants", "pilots", "truth", "latent", "potential_outcomes")


def _assert_same(a: SyntheticRegisters, b: SyntheticRegisters) -> None:
    for name in FRAMES:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    np.testing.assert_array_equal(a.employment, b.employment)


# --- determinism --------------------------------------------------------------------------


def test_same_seed_gives_identical_frames() -> None:
    _assert_same(generate_registers(persons=TINY, seed=5), generate_registers(persons=TINY, seed=5))


def test_different_seeds_differ() -> None:
    a = generate_registers(persons=TINY, seed=5)
    b = generate_registers(persons=TINY, seed=6)
    assert not a.spells.equals(b.spells)
    assert not a.persons.equals(b.persons)
    assert not np.array_equal(a.employment, b.employment)


# --- data contract ------------------------------------------------------------------------


def test_persons_follow_the_contract(small_reg: SyntheticRegisters) -> None:
    p = small_reg.persons
    assert list(p.columns) == PERSON_COLUMNS
    assert p["person_id"].dtype == "str"
    assert p["person_id"].is_unique
    assert p["person_id"].str.fullmatch(r"P\d{7}").all()
    assert p["birth_year"].dtype == np.int64
    assert p["birth_year"].between(1954, 1998).all()
    assert set(p["sex"]) == {"F", "M"}
    assert set(p["region"]) <= set(REGIONS)
    assert set(p["education"]) == {"basic", "secondary", "tertiary"}
    assert set(p["mother_tongue"]) == {"fi", "sv", "other"}
    assert p["partial_work_ability"].dtype == bool
    assert p["disability"].dtype == bool


def test_spells_follow_the_contract(small_reg: SyntheticRegisters) -> None:
    s = small_reg.spells
    assert list(s.columns) == ["person_id", "code", "start", "end"]
    assert s["person_id"].dtype == "str"
    assert s["code"].dtype == "str"
    assert str(s["start"].dtype).startswith("datetime64")
    assert str(s["end"].dtype).startswith("datetime64")
    assert set(s["code"]) <= set(CODES)
    assert set(s["person_id"]) <= set(small_reg.persons["person_id"])
    assert s["start"].notna().all()
    assert (s["start"].dt.day == 1).all()
    closed = s["end"].notna()
    assert (s.loc[closed, "end"] >= s.loc[closed, "start"]).all()
    assert s.loc[closed, "end"].dt.is_month_end.all()
    # every spell overlaps the window; open spells run in the window's last month
    assert (s.loc[closed, "end"] >= small_reg.months[0]).all()
    assert (s["start"] <= small_reg.months[-1]).all()
    assert s["end"].isna().any()


def test_spells_of_one_code_never_overlap_for_a_person(small_reg: SyntheticRegisters) -> None:
    s = small_reg.spells.sort_values(["person_id", "code", "start"])
    end = s["end"].fillna(pd.Timestamp("2262-01-01"))
    same = (s["person_id"] == s["person_id"].shift()) & (s["code"] == s["code"].shift())
    assert (s.loc[same, "start"] > end.shift()[same]).all()


def test_participants_follow_the_contract(small_reg: SyntheticRegisters) -> None:
    pt = small_reg.participants
    assert list(pt.columns) == ["person_id", "pilot", "entry_date", "exit_date", "target_group"]
    assert pt["person_id"].is_unique
    assert set(pt["person_id"]) <= set(small_reg.persons["person_id"])
    assert set(pt["pilot"]) == set(PILOT_NAMES)
    assert set(pt["target_group"]) <= set(TARGET_GROUPS)
    assert str(pt["entry_date"].dtype).startswith("datetime64")
    ended = pt["exit_date"].notna()
    assert (pt.loc[ended, "exit_date"] > pt.loc[ended, "entry_date"]).all()
    assert (pt.loc[ended, "exit_date"] <= small_reg.months[-1] + pd.offsets.MonthEnd(0)).all()
    assert pt["exit_date"].isna().any()  # some still in the pilot at the extract date


def test_participants_live_in_their_pilot_regions(small_reg: SyntheticRegisters) -> None:
    merged = small_reg.participants.merge(small_reg.persons, on="person_id")
    for p in OTE4_PILOTS:
        rows = merged[merged["pilot"] == p.name]
        assert set(rows["region"]) <= set(p.regions), p.name
        assert set(rows["target_group"]) <= set(p.target_groups), p.name
        if p.kind == "targeted" and p.target_groups == ("disabled",):
            assert rows["disability"].all(), p.name


# --- pilots and staggered rollout ---------------------------------------------------------


def test_six_pilots_with_distinct_staggered_start_months(small_reg: SyntheticRegisters) -> None:
    pil = small_reg.pilots
    assert list(pil["pilot"]) == list(PILOT_NAMES)
    assert pil["start_month"].is_unique
    assert (pil["n_participants"] > 0).all()
    first_start = pil["start_month"].min()
    assert (first_start - small_reg.months[0]).days >= 24 * 30  # >= 24 months pre-history
    entry_month = small_reg.participants["entry_date"].dt.to_period("M").dt.to_timestamp()
    start = small_reg.participants["pilot"].map(pil.set_index("pilot")["start_month"])
    months_after = (
        (entry_month.dt.year - start.dt.year) * 12 + entry_month.dt.month - start.dt.month
    )
    enrol = small_reg.participants["pilot"].map(pil.set_index("pilot")["enrolment_months"])
    assert (months_after >= 0).all()
    assert (months_after < enrol).all()
    # entry is spread over several months in every pilot
    per_pilot = entry_month.groupby(small_reg.participants["pilot"]).nunique()
    assert (per_pilot >= 4).all()


# --- the truth ----------------------------------------------------------------------------


def test_truth_table_matches_potential_outcomes(small_reg: SyntheticRegisters) -> None:
    truth = small_reg.truth
    assert list(truth.columns) == [
        "pilot",
        "months_since_entry",
        "true_att",
        "sample_att",
        "n_participants",
    ]
    assert set(truth["pilot"]) == set(PILOT_NAMES)
    po = small_reg.potential_outcomes
    post = po[po["months_since_entry"] >= 0]
    again = (
        post.assign(d=post["employed_1"] - post["employed_0"])
        .groupby(["pilot", "months_since_entry"])["d"]
        .agg(["mean", "size"])
    )
    t = truth.set_index(["pilot", "months_since_entry"])
    np.testing.assert_allclose(t["sample_att"], again.loc[t.index, "mean"], atol=1e-12)
    np.testing.assert_array_equal(t["n_participants"], again.loc[t.index, "size"])
    for p in OTE4_PILOTS:
        rows = truth[truth["pilot"] == p.name]
        np.testing.assert_allclose(rows["true_att"], p.true_effect(rows["months_since_entry"]))


def test_potential_outcomes_coincide_before_entry(small_reg: SyntheticRegisters) -> None:
    po = small_reg.potential_outcomes
    pre = po[po["months_since_entry"] < 0]
    assert len(pre) > 0
    assert (pre["employed_0"] == pre["employed_1"]).all()
    assert (pre["effect"] == 0).all()


def test_observed_employment_is_the_treated_outcome_for_participants(
    small_reg: SyntheticRegisters,
) -> None:
    ids = pd.Index(small_reg.persons["person_id"])
    rows = ids.get_indexer(small_reg.participants["person_id"])
    n_months = small_reg.employment.shape[1]
    y1 = small_reg.potential_outcomes["employed_1"].to_numpy().reshape(rows.size, n_months)
    np.testing.assert_array_equal(small_reg.employment[rows], y1)


def test_chain_keeps_the_marginal_employment_probability(small_reg: SyntheticRegisters) -> None:
    lat = small_reg.latent
    others = ~lat["participant"].to_numpy()
    tau = np.array(list(small_reg.parameters["calendar_trend"].values()))
    expected = lat.loc[others, "propensity"].mean() + tau
    observed = small_reg.employment[others].mean(axis=0)
    assert np.abs(observed - expected).max() < MARGINAL_TOL


def test_participants_have_much_worse_baselines(small_reg: SyntheticRegisters) -> None:
    lat = small_reg.latent
    part = lat["participant"]
    assert lat.loc[part, "propensity"].mean() < lat.loc[~part, "propensity"].mean() - 0.25


def test_zero_effects_give_zero_truth() -> None:
    pilots = tuple(dataclasses.replace(p, effect_max=0.0) for p in OTE4_PILOTS)
    reg = generate_registers(persons=TINY, seed=3, pilots=pilots)
    assert (reg.truth["true_att"] == 0).all()
    assert (reg.truth["sample_att"] == 0).all()
    po = reg.potential_outcomes
    assert (po["employed_0"] == po["employed_1"]).all()


def test_tidy_and_plot_show_the_truth(small_reg: SyntheticRegisters) -> None:
    tidy = small_reg.tidy()
    pd.testing.assert_frame_equal(tidy, small_reg.truth)
    tidy.loc[0, "true_att"] = 99.0  # a copy: the result stays unchanged
    assert small_reg.truth.loc[0, "true_att"] != 99.0
    fig = small_reg.plot()
    assert isinstance(fig, Figure)
    assert len(fig.axes[0].get_legend().get_texts()) == 6


def test_pilot_truth_summarises_post_entry_months(small_reg: SyntheticRegisters) -> None:
    pt = small_reg.pilot_truth()
    assert list(pt["pilot"]) == list(PILOT_NAMES)
    assert (pt["person_months"] > 0).all()
    assert (pt["true_att"] > 0).all()
    assert "Fokus" in small_reg.summary()


# --- panel spine agrees with the simulated state ------------------------------------------


def test_panel_from_spells_reproduces_simulated_employment() -> None:
    reg = generate_registers(persons=TINY, seed=9)
    panel = build_person_month_panel(
        reg.spells,
        start=reg.months[0],
        end=reg.months[-1],
        participants=reg.participants,
        persons=reg.persons,
    ).to_pandas()
    panel = panel.sort_values(["person_id", "month"]).reset_index(drop=True)
    n, t = reg.employment.shape
    assert len(panel) == n * t
    np.testing.assert_array_equal(panel["employed"].to_numpy().reshape(n, t), reg.employment)
    # months since entry in the panel agree with the potential-outcome frame
    po = reg.potential_outcomes.set_index(["person_id", "month"])["months_since_entry"]
    part = panel[panel["pilot"].notna()].set_index(["person_id", "month"])["months_since_entry"]
    np.testing.assert_array_equal(part.loc[po.index].to_numpy(dtype=np.int64), po.to_numpy())
    # participants' job coaching shows up as a service in the entry month
    entry = part[part == 0].index
    assert panel.set_index(["person_id", "month"]).loc[entry, "in_service"].all()


def test_employment_panel_is_long_form(small_reg: SyntheticRegisters) -> None:
    long = small_reg.employment_panel()
    assert list(long.columns) == ["person_id", "month", "month_index", "employed"]
    n, t = small_reg.employment.shape
    assert len(long) == n * t
    assert long["employed"].sum() == small_reg.employment.sum()


# --- writing ------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_write_round_trips(tmp_path: Path, fmt: str) -> None:
    reg = generate_registers(persons=TINY, seed=4)
    out = reg.write(tmp_path / "extract", fmt=fmt)  # type: ignore[arg-type]
    meta = json.loads((out / "parameters.json").read_text(encoding="utf-8"))
    assert meta["options"]["seed"] == 4
    assert set(meta["files"]) == {
        f"persons.{fmt}",
        f"spells.{fmt}",
        f"participants.{fmt}",
        f"latent.{fmt}",
        f"potential_outcomes.{fmt}",
        "pilots.csv",
        "truth.csv",
    }
    truth = pd.read_csv(out / "truth.csv")
    np.testing.assert_allclose(truth["true_att"], reg.truth["true_att"])
    if fmt == "parquet":
        back = pd.read_parquet(out / "spells.parquet")
        pd.testing.assert_frame_equal(back, reg.spells, check_dtype=False)
    else:
        back = pd.read_csv(out / "spells.csv", parse_dates=["start", "end"])
        assert len(back) == len(reg.spells)
        assert (back["end"].isna() == reg.spells["end"].isna()).all()


def test_write_rejects_unknown_format(tmp_path: Path) -> None:
    reg = generate_registers(persons=TINY, seed=4)
    with pytest.raises(OptionError, match="format"):
        reg.write(tmp_path, fmt="xlsx")  # type: ignore[arg-type]


# --- options ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"persons": 10}, "persons"),
        ({"persistence": 0.99}, "persistence"),
        ({"persistence": 0.95}, "persistence"),
        ({"unobserved_sd": -1.0}, "unobserved_sd"),
        ({"participant_scale": 0.0}, "participant_scale"),
        ({"start": "2016-01"}, "24 months"),
        ({"end": "2017-12"}, "enrolment"),
        ({"start": "last year"}, "not a month"),
    ],
)
def test_bad_options_raise_option_error(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(OptionError, match=match):
        generate_registers(**kwargs)  # type: ignore[arg-type]


def test_unknown_pilot_region_is_reported() -> None:
    bad = (dataclasses.replace(OTE4_PILOTS[0], regions=("Atlantis",)),)
    with pytest.raises(OptionError, match="Atlantis"):
        generate_registers(persons=TINY, pilots=bad)


def test_too_large_effect_is_reported() -> None:
    bad = (dataclasses.replace(OTE4_PILOTS[0], effect_max=0.9, effect_months=0.5),)
    with pytest.raises(OptionError, match="effect_max"):
        generate_registers(persons=TINY, pilots=bad)
