"""Register intake: identity codes refused by shape, ids normalised, overlaps noted, bad
encodings and planted symlinks refused with a located exit 2."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from evaluation.errors import IntakeRefusedError, PilotEvalError
from evaluation.privacy import CHECK_CHARACTERS, CODE_SHAPE
from evaluation.registers import validate_spells
from evaluation.registers.commands import app

#: 1900s marks '-YXWVU', 2000s 'A-F' (the 2023 reform added Y-U and B-F), 1800s '+'.
CENTURY_MARKS = "+-YXWVUABCDEF"


def code(date: str, number: str, mark: str = "-") -> str:
    return f"{date}{mark}{number}{CHECK_CHARACTERS[int(date + number) % 31]}"


def spells(person_ids: list[str], note: list[str] | None = None) -> pd.DataFrame:
    n = len(person_ids)
    frame = pd.DataFrame(
        {
            "person_id": person_ids,
            "code": ["employment_open"] * n,
            "start": pd.to_datetime(["2020-01-01"] * n),
            "end": pd.to_datetime(["2020-03-31"] * n),
        }
    )
    if note is not None:
        frame["note"] = note
    return frame


FORMS = [code("131052", "308", m) for m in CENTURY_MARKS] + [
    "131052308T",
    "131052 308T",
    "131052-308t",
    "PS" + "ab" * 16,
    "PS" + "cd" * 32,
]


@pytest.mark.parametrize("form", FORMS)
def test_code_in_person_id_refused_by_shape(form: str) -> None:
    with pytest.raises(IntakeRefusedError) as info:
        validate_spells(spells(["FOK001", form]), source="spells.csv")
    message = info.value.message
    assert "spells.csv" in message
    assert form not in message and form.upper() not in message
    assert CODE_SHAPE in message or "PS#" in message


def test_code_in_text_column_refused() -> None:
    with pytest.raises(IntakeRefusedError) as info:
        validate_spells(spells(["A1", "A2"], note=["ok", f"soitti {code('010203', '456')}"]))
    assert "note" in info.value.message
    assert "010203" not in info.value.message


def test_wrong_check_character_passes() -> None:
    good = code("131052", "308")
    wrong = good[:-1] + ("A" if good[-1] != "A" else "B")
    validated = validate_spells(spells(["A1", wrong]))
    assert validated.con.execute(f"SELECT count(*) FROM {validated.table}").fetchall()[0][0] == 2


def test_ids_normalised_to_one_person() -> None:
    validated = validate_spells(spells([" fok012", "FOK\u200b012", "fok012\t"]))
    ids = validated.con.execute(f"SELECT DISTINCT person_id FROM {validated.table}").fetchall()
    assert ids == [("FOK012",)]
    assert validated.notes


def test_cli_refuses_code_with_exit_2_and_no_echo(tmp_path: Path) -> None:
    form = code("131052", "308", "A")
    path = tmp_path / "spells.csv"
    spells(["FOK001", form]).to_csv(path, index=False)
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert isinstance(result.exception, PilotEvalError)
    assert form not in result.output and form not in str(result.exception)


def test_latin1_csv_is_a_located_error(tmp_path: Path) -> None:
    path = tmp_path / "spells.csv"
    path.write_bytes(
        "person_id,code,start,end,note\nA1,employment_open,2020-01-01,,Jyväskylä\n".encode(
            "latin-1"
        )
    )
    with pytest.raises(PilotEvalError) as info:
        validate_spells(path, source="spells.csv")
    assert "UTF-8" in info.value.message and "spells.csv" in info.value.message


def test_panel_out_symlink_refused(tmp_path: Path) -> None:
    source = tmp_path / "spells.parquet"
    spells(["A1", "A2"]).to_parquet(source)
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    out = tmp_path / "pm.parquet"
    out.symlink_to(victim)
    result = CliRunner().invoke(
        app, ["panel", str(source), "--start", "2020-01", "--end", "2020-03", "--out", str(out)]
    )
    assert isinstance(result.exception, PilotEvalError)
    assert "symbolic link" in str(result.exception)
    assert victim.read_text() == "keep me"
