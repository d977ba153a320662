"""Spells -> person-month panel: rules checked on hand-made spells and a naive reference."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evaluation.errors import OptionError, SpellError
from evaluation.registers import (
    CODE_TABLE,
    CODES,
    GROUP_COLUMNS,
    NO_STATUS,
    OUTCOME_COLUMNS,
    PANEL_COLUMNS,
    ParticipantError,
    build_person_month_panel,
    build_person_year_panel,
    connect,
    months_employed_in_window,
    months_in_window,
    outcome_at_months,
    validate_spells,
)

WINDOW = {"start": "2020-01", "end": "2020-06"}


def _status(panel: pd.DataFrame, person: str) -> list[str]:
    return list(panel.loc[panel["person_id"] == person, "status"])


def _col(panel: pd.DataFrame, person: str, col: str) -> list[int]:
    return [int(v) for v in panel.loc[panel["person_id"] == person, col]]


def test_hand_made_spells(basic_spells: pd.DataFrame) -> None:
    panel = build_person_month_panel(basic_spells, **WINDOW).to_pandas()
    assert list(panel.columns) == list(PANEL_COLUMNS)
    assert len(panel) == 4 * 6  # every person x every month, C too (spells outside window)
    assert list(panel["month"].iloc[:6]) == list(pd.date_range("2020-01-01", periods=6, freq="MS"))
    assert list(panel["month_index"].iloc[:2]) == [2020 * 12, 2020 * 12 + 1]
    lms, emp, none = "labour_market_subsidy", "employment_open", NO_STATUS
    # overlap: employment beats the labour market subsidy (Mar 31 and Apr 1 are enough);
    # May is a gap; a one-day spell on Jun 30 counts in June.
    assert _status(panel, "A") == [lms, lms, emp, emp, none, "social_assistance_basic"]
    assert _col(panel, "A", "employed") == [0, 0, 1, 1, 0, 0]
    assert _col(panel, "A", "on_unemployment_benefit") == [1, 1, 1, 1, 0, 0]  # not masked
    assert _col(panel, "A", "on_main_benefit") == [1, 1, 1, 1, 0, 0]
    assert _col(panel, "A", "benefit_social_assistance") == [0, 0, 0, 0, 0, 1]
    # housing ends on Feb 1 (one day of Feb counts); open sickness spell runs to the window end
    sick = "sickness_allowance"
    assert _status(panel, "B") == ["housing_allowance", sick, sick, sick, sick, sick]
    assert _col(panel, "B", "benefit_housing") == [1, 1, 0, 0, 0, 0]
    assert _col(panel, "B", "on_health_benefit") == [0, 1, 1, 1, 1, 1]
    assert _status(panel, "C") == [none] * 6
    assert _col(panel, "C", "in_education") == [0] * 6
    # service beats benefit; pay-subsidised job beats service; employed but not open-market
    pay, coach = "employment_pay_subsidy", "service_job_coaching"
    assert _status(panel, "D") == [lms, coach, pay, pay, pay, none]
    assert _col(panel, "D", "in_service") == [0, 1, 1, 0, 0, 0]
    assert _col(panel, "D", "employed") == [0, 0, 1, 1, 1, 0]
    assert _col(panel, "D", "employed_open_market") == [0] * 6
    for col in (*OUTCOME_COLUMNS, *GROUP_COLUMNS):
        assert panel[col].dtype == np.int8
    assert panel["pilot"].isna().all() and panel["months_since_entry"].isna().all()


def test_extract_date_ends_open_spells(basic_spells: pd.DataFrame) -> None:
    panel = build_person_month_panel(basic_spells, extract_date="2020-04-15", **WINDOW)
    frame = panel.to_pandas()
    assert _col(frame, "B", "benefit_incapacity") == [0, 1, 1, 1, 0, 0]
    assert "2020-04-15" in panel.summary()


def test_participants_and_windows(basic_spells: pd.DataFrame) -> None:
    participants = pd.DataFrame(
        {
            "person_id": ["A", "D", "E"],  # E has no spells at all: still in the panel
            "pilot": ["Fokus", "Sataosaa", "KP Ote"],
            "entry_date": pd.to_datetime(["2020-02-20", "2020-01-05", "2020-03-01"]),
            "exit_date": pd.to_datetime(["2020-04-30", None, None]),
            "target_group": ["x", "y", "z"],
        }
    )
    panel = build_person_month_panel(basic_spells, participants=participants, **WINDOW)
    frame = panel.to_pandas()
    assert frame["person_id"].nunique() == 5
    a = frame[frame["person_id"] == "A"]
    assert set(a["pilot"]) == {"Fokus"}
    assert set(a["first_pilot_month"]) == {pd.Timestamp("2020-02-01")}
    assert list(a["months_since_entry"]) == [-1, 0, 1, 2, 3, 4]
    assert list(a["in_pilot"]) == [0, 1, 1, 1, 0, 0]
    assert _status(frame, "E") == [NO_STATUS] * 6
    assert frame.loc[frame["person_id"] == "B", "pilot"].isna().all()

    # months employed in months 1..3 after entry (A: Mar, Apr, May -> 2; D: Feb-Apr -> 2)
    win = months_employed_in_window(panel, window=(1, 3))
    assert list(win["person_id"]) == ["A", "D", "E"]
    assert list(win["months_employed"]) == [2, 2, 0]
    assert list(win["complete"]) == [True, True, True]
    # window leaving the panel: kept, marked incomplete, share of observed months
    late = months_in_window(panel, window=(1, 6), outcome="on_main_benefit")
    assert list(late["months_observed"]) == [4, 5, 3]
    assert list(late["complete"]) == [False, False, False]
    assert late["share_on_main_benefit"].iloc[0] == pytest.approx(2 / 4)
    at = outcome_at_months(panel, months=(1, 3, 5))
    assert list(at["employed_at_1"]) == [1, 0, 0]
    assert list(at["employed_at_3"]) == [0, 1, 0]
    assert at["employed_at_5"].isna().tolist() == [True, False, True]
    # a common anchor month for everyone, and a per-person anchor table
    common = months_employed_in_window(panel, anchor="2020-02", window=(1, 2))
    assert len(common) == 5
    assert dict(zip(common["person_id"], common["months_employed"], strict=True))["D"] == 2
    anchors = pd.DataFrame({"person_id": ["B"], "anchor_month": pd.to_datetime(["2020-01-01"])})
    own = months_in_window(panel, anchor=anchors, window=(0, 1), outcome="benefit_housing")
    assert own["months_benefit_housing"].tolist() == [2]
    with pytest.raises(OptionError, match="unknown outcome"):
        months_in_window(panel, outcome="happy")


def test_bad_participants_all_listed(basic_spells: pd.DataFrame) -> None:
    participants = pd.DataFrame(
        {
            "person_id": ["A", "A", None],
            "pilot": ["Fokus", None, "Fokus"],
            "entry_date": pd.to_datetime(["2020-02-20", "2020-01-05", "2020-03-01"]),
            "exit_date": pd.to_datetime(["2020-01-30", None, None]),
        }
    )
    with pytest.raises(ParticipantError) as info:
        build_person_month_panel(basic_spells, participants=participants, **WINDOW)
    wheres = list(info.value.to_frame()["where"])
    assert wheres == [
        "participants row 1, column 'person_id'",
        "participants row 1, column 'exit_date'",
        "participants row 2, column 'person_id'",
        "participants row 2, column 'pilot'",
        "participants row 3, column 'person_id'",
    ]


def test_bad_spells_raise_before_building(
    basic_spells: pd.DataFrame, make_spells: Callable[..., pd.DataFrame]
) -> None:
    bad = pd.concat(
        [basic_spells, make_spells([("Z", "employment_open", "2020-05-01", "2020-04-01")])],
        ignore_index=True,
    )
    with pytest.raises(SpellError, match="row 11, column 'end'"):
        build_person_month_panel(bad, **WINDOW)
    with pytest.raises(OptionError, match="before start month"):
        build_person_month_panel(basic_spells, start="2020-06", end="2020-01")


def test_invariances(basic_spells: pd.DataFrame, tmp_path: Path) -> None:
    reference = build_person_month_panel(basic_spells, **WINDOW).to_pandas()
    before = basic_spells.copy(deep=True)
    shuffled = basic_spells.sample(frac=1.0, random_state=3).reset_index(drop=True)
    pd.testing.assert_frame_equal(
        reference, build_person_month_panel(shuffled, **WINDOW).to_pandas()
    )
    pd.testing.assert_frame_equal(basic_spells, before)  # input not mutated
    path = tmp_path / "spells.parquet"
    basic_spells.to_parquet(path)
    pd.testing.assert_frame_equal(reference, build_person_month_panel(path, **WINDOW).to_pandas())
    # a relation of the same connection, and tiny batches, give the same panel
    con = connect()
    rel = con.from_df(basic_spells)
    same = build_person_month_panel(rel, con=con, batch_persons=1, **WINDOW)
    pd.testing.assert_frame_equal(reference, same.to_pandas())
    # exports agree with each other
    out = same.to_parquet(tmp_path / "panel.parquet")
    back = duckdb.sql(f"SELECT * FROM read_parquet('{out.as_posix()}')").df()
    pd.testing.assert_frame_equal(reference, back)
    assert same.to_arrow().num_rows == len(reference)
    assert same.relation.shape == reference.shape
    some = same.to_pandas(columns=["person_id", "status"])
    pd.testing.assert_frame_equal(some, reference[["person_id", "status"]])
    with pytest.raises(OptionError, match="unknown column"):
        same.to_arrow(columns=["nope"])


def test_file_backed_connection(basic_spells: pd.DataFrame, tmp_path: Path) -> None:
    db = tmp_path / "panels.duckdb"
    panel = build_person_month_panel(basic_spells, con=connect(db), **WINDOW)
    table = panel.table
    panel.con.close()
    with duckdb.connect(str(db)) as con:
        assert con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0] == 24


def test_tidy_summary_plot(basic_spells: pd.DataFrame) -> None:
    panel = build_person_month_panel(basic_spells, **WINDOW)
    tidy = panel.tidy()
    assert len(tidy) == 6 * len(OUTCOME_COLUMNS)
    march = tidy[(tidy["month"] == "2020-03-01") & (tidy["outcome"] == "employed")]
    assert march["n_with_outcome"].item() == 2 and march["share"].item() == pytest.approx(0.5)
    assert "4 persons x 6 months" in panel.summary()
    counts = panel.status_counts()
    assert counts["n"].sum() == 24
    fig = panel.plot()
    assert len(fig.axes) == 1


# --- property test against a naive reference -----------------------------------------------

CODE_LIST = [c.code for c in CODE_TABLE]
FLAG_OF = {
    "employed": lambda c: c.kind == "employment",
    "employed_open_market": lambda c: c.code == "employment_open",
    "on_main_benefit": lambda c: c.is_main_benefit,
    "on_unemployment_benefit": lambda c: c.is_unemployment_benefit,
    "on_health_benefit": lambda c: c.is_health_benefit,
    "in_education": lambda c: c.kind == "study" or c.benefit_group == "education",
    "in_service": lambda c: c.kind == "service",
}


def naive_panel(
    spells: pd.DataFrame, start: str, end: str, extract: pd.Timestamp | None = None
) -> pd.DataFrame:
    """Loop-by-loop reference implementation of the documented rules."""
    months = pd.date_range(start, end, freq="MS")
    window_end = months[-1] + pd.offsets.MonthEnd(0) if extract is None else extract
    rows = []
    for person in sorted(spells["person_id"].unique()):
        own = spells[spells["person_id"] == person]
        for m in months:
            last = m + pd.offsets.MonthEnd(0)
            ends = own["end"].fillna(window_end)
            cover = own[(own["start"] <= last) & (ends >= m)]
            codes = [CODES[c] for c in cover["code"]]
            row = {
                "person_id": person,
                "month": m,
                "status": min(codes, key=lambda c: c.precedence).code if codes else NO_STATUS,
            }
            for col, rule in FLAG_OF.items():
                row[col] = int(any(rule(c) for c in codes))
            rows.append(row)
    return pd.DataFrame(rows)


spell_rows = st.lists(
    st.tuples(
        st.sampled_from(["P1", "P2", "P3"]),
        st.sampled_from(CODE_LIST),
        st.integers(0, 500),  # start: days after 2019-06-01
        st.one_of(st.none(), st.integers(0, 200)),  # length in days, None = open
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=spell_rows, extract_day=st.one_of(st.none(), st.integers(0, 600)))
def test_matches_naive_reference(
    rows: list[tuple[str, str, int, int | None]], extract_day: int | None
) -> None:
    day0 = pd.Timestamp("2019-06-01")
    extract = None if extract_day is None else day0 + pd.Timedelta(days=extract_day)
    spells = pd.DataFrame(
        {
            "person_id": [r[0] for r in rows],
            "code": [r[1] for r in rows],
            "start": [day0 + pd.Timedelta(days=r[2]) for r in rows],
            "end": [
                pd.NaT if r[3] is None else day0 + pd.Timedelta(days=r[2] + r[3]) for r in rows
            ],
        }
    )
    got = build_person_month_panel(
        spells, start="2019-10", end="2020-09", extract_date=extract
    ).to_pandas()
    want = naive_panel(spells, "2019-10-01", "2020-09-01", extract)
    got = got[list(want.columns)]
    for col in FLAG_OF:
        got[col] = got[col].astype("int64")
    pd.testing.assert_frame_equal(got, want, check_dtype=False)


def test_batches_do_not_change_the_panel(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(7)
    n = 900
    persons = rng.integers(0, 300, n)
    start = pd.Timestamp("2019-01-01") + pd.to_timedelta(rng.integers(0, 700, n), unit="D")
    length = pd.to_timedelta(rng.integers(0, 300, n), unit="D")
    spells = pd.DataFrame(
        {
            "person_id": [f"P{p:04d}" for p in persons],
            "code": rng.choice([c.code for c in CODE_TABLE], n),
            "start": start,
            "end": (start + length).where(rng.random(n) > 0.1),
        }
    )
    whole = build_person_month_panel(spells, start="2019-06", end="2020-11").to_pandas()
    batched = build_person_month_panel(
        spells, start="2019-06", end="2020-11", batch_persons=37
    ).to_pandas()
    pd.testing.assert_frame_equal(whole, batched)
    assert len(whole) == spells["person_id"].nunique() * 18
    keys = list(zip(whole["person_id"], whole["month_index"], strict=True))
    assert keys == sorted(keys)  # canonical order: person, month
    # person-years in batches of 37 persons agree with one batch
    panel = build_person_month_panel(spells, start="2019-06", end="2020-11")
    years_whole = build_person_year_panel(panel).to_pandas()
    monkeypatch.setattr("evaluation.registers.yearly.BATCH_ROWS", 37 * 18)
    pd.testing.assert_frame_equal(years_whole, build_person_year_panel(panel).to_pandas())
    assert len(years_whole) == spells["person_id"].nunique() * 2


def test_prevalidated_spells_are_reused(basic_spells: pd.DataFrame) -> None:
    con = connect()
    valid = validate_spells(basic_spells, con=con)
    first = build_person_month_panel(valid, **WINDOW)
    second = build_person_month_panel(valid, start="2020-03", end="2020-04")
    assert first.con is con and second.con is con
    assert valid.n_rows == len(basic_spells)  # the caller's spells are kept
    assert first.n_rows == 24 and second.n_rows == 8
    pd.testing.assert_frame_equal(
        first.to_pandas().query("month_index in (24242, 24243)").reset_index(drop=True),
        second.to_pandas(),
    )
    with pytest.raises(OptionError, match="another DuckDB connection"):
        build_person_month_panel(valid, con=connect(), **WINDOW)
