"""Spell validation: every bad row listed, nothing dropped, input not mutated."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from evaluation.errors import InputDataError, MissingColumnError, SpellError
from evaluation.registers import validate_spells


def test_bad_rows_all_listed(make_spells: Callable[..., pd.DataFrame]) -> None:
    spells = make_spells(
        [
            ("P1", "employment_open", "2020-01-01", "2020-02-01"),  # fine
            ("P2", "sickness_allowance", "2020-03-01", "2020-02-01"),  # end before start
            ("P3", "sickness", "2020-01-01", None),  # unknown code
            (None, "study_degree", "2020-01-01", None),  # missing person id
            ("P5", "housing_allowance", None, "2020-01-01"),  # missing start
            ("", "labour_market_subsidy", "2020-01-01", "2019-01-01"),  # two problems
            ("P7", None, "2020-01-01", None),  # missing code
        ]
    )
    with pytest.raises(SpellError) as info:
        validate_spells(spells, source="spells.csv")
    frame = info.value.to_frame()
    wheres = list(frame["where"])
    assert wheres == [
        "spells.csv row 2, column 'end'",
        "spells.csv row 3, column 'code'",
        "spells.csv row 4, column 'person_id'",
        "spells.csv row 5, column 'start'",
        "spells.csv row 6, column 'person_id'",
        "spells.csv row 6, column 'end'",
        "spells.csv row 7, column 'code'",
    ]
    assert "before start date" in frame["what"][0]
    assert "'sickness'" in frame["what"][1]
    assert "sickness_allowance" in frame["fix"][1]  # closest known code suggested
    assert "missing" in frame["what"][2]
    message = str(info.value)
    assert "7 problem(s)" in message
    assert all(f"row {n}" in message for n in (2, 3, 4, 5, 6, 7))
    assert "row 1," not in message


def test_unparseable_dates_in_text(tmp_path: Path) -> None:
    csv = tmp_path / "spells.csv"
    csv.write_text(
        "person_id,code,start,end,note\n"
        "P1,employment_open,2020-01-01,,a\n"
        "P2,employment_open,1.2.2020,31.3.2020,b\n"
        "P3,employment_open,2020-13-01,2020-04-01,c\n"
        "P4,employment_open,2020-01-01,soon,d\n"
    )
    with pytest.raises(SpellError) as info:
        validate_spells(csv, source="spells.csv")
    frame = info.value.to_frame()
    assert list(frame["where"]) == [
        "spells.csv row 3, column 'start'",
        "spells.csv row 4, column 'end'",
    ]
    assert "'2020-13-01'" in frame["what"][0]
    assert "'soon'" in frame["what"][1]


def test_valid_spells_keep_every_row_and_extra_columns(
    basic_spells: pd.DataFrame,
) -> None:
    spells = basic_spells.assign(source_system=["kela"] * len(basic_spells), weight=1.5)
    before = spells.copy(deep=True)
    valid = validate_spells(spells)
    out = valid.to_pandas()
    pd.testing.assert_frame_equal(spells, before)  # input not mutated
    assert len(out) == len(spells)
    assert {"source_system", "weight", "spell_row"} <= set(out.columns)
    assert sorted(out["spell_row"]) == list(range(1, len(spells) + 1))
    assert out["end"].isna().sum() == basic_spells["end"].isna().sum()  # open spells kept
    assert "10 spells of 4 persons" in valid.summary()


def test_finnish_and_iso_dates_and_object_columns() -> None:
    spells = pd.DataFrame(
        {
            "person_id": ["P1", "P2"],
            "code": ["employment_open", "study_degree"],
            "start": pd.Series(["2020-01-15", "1.2.2020"], dtype="object"),
            "end": pd.Series([pd.Timestamp("2020-03-01"), None], dtype="object"),
        }
    )
    out = validate_spells(spells).to_pandas()
    assert list(out["start"]) == [pd.Timestamp("2020-01-15"), pd.Timestamp("2020-02-01")]
    assert out["end"].iloc[0] == pd.Timestamp("2020-03-01")
    assert pd.isna(out["end"].iloc[1])


def test_missing_column_and_bad_types(basic_spells: pd.DataFrame) -> None:
    with pytest.raises(MissingColumnError, match="'end'"):
        validate_spells(basic_spells.drop(columns="end"))
    with pytest.raises(InputDataError, match="cannot hold dates"):
        validate_spells(basic_spells.assign(start=1))
    with pytest.raises(InputDataError, match="decimal numbers"):
        validate_spells(basic_spells.assign(person_id=1.0))
    with pytest.raises(InputDataError, match="reserved"):
        validate_spells(basic_spells.assign(spell_row=1))


def test_parquet_and_relation_inputs(basic_spells: pd.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "spells.parquet"
    basic_spells.to_parquet(path)
    from_pandas = validate_spells(basic_spells).to_pandas()
    from_parquet = validate_spells(path).to_pandas()
    pd.testing.assert_frame_equal(from_pandas, from_parquet)
    other = duckdb.connect()
    rel = other.from_parquet(str(path))
    pd.testing.assert_frame_equal(from_pandas, validate_spells(rel).to_pandas())
