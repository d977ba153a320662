"""Codebook, coded-excerpt import (CSV), code counts and masked quotes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from evaluation.errors import InputDataError, MissingColumnError
from evaluation.process import (
    Codebook,
    ExcerptImportError,
    code_counts,
    default_codebook,
    mask_identifiers,
    read_coded_excerpts,
    select_quotes,
)


def test_default_codebook_is_the_reports_coding_frame() -> None:
    book = default_codebook().codes
    assert len(book) == 25  # the 25 codes of the seed report's interview coding frame
    assert set(book["dimension"]) == {"implementation", "mechanism", "context"}
    assert "Asiakastyöprosessi" in set(book["label_fi"])
    assert "Yhteistyö: Kela" in set(book["label_fi"])
    assert default_codebook().lookup("ohjaustyön ESTEET") == "guidance_barriers"
    assert default_codebook().lookup("Samarbete: FPA") == "coop_kela"


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_import_with_tool_column_names_and_several_codes(tmp_path: Path) -> None:
    csv = _write(
        tmp_path / "atlas.csv",
        "Quotation Content;Codes;Source;Pilot;Date\n"
        '"Kaikki olivat samassa palaverissa.";"coop_client_in_network; Seuranta";'
        "Asiakas;Fokus;2018-03-01\n"
        "Tiedonkulku oli hidasta.;Ohjaustyön esteet;professional;Fokus;1.4.2018\n",
    )
    got = read_coded_excerpts(csv)
    assert list(got.columns) == ["pilot", "excerpt", "code", "dimension", "source_type", "date"]
    assert list(got["code"]) == ["coop_client_in_network", "follow_up", "guidance_barriers"]
    assert list(got["dimension"]) == ["mechanism", "implementation", "context"]
    assert list(got["source_type"]) == ["client", "client", "professional"]
    assert str(got["date"].iloc[2].date()) == "2018-04-01"


def test_bad_rows_give_one_message_each_and_nothing_is_imported(tmp_path: Path) -> None:
    csv = _write(
        tmp_path / "coded.csv",
        "excerpt,code,source_type,pilot,date\n"
        "Hyvä ote.,meeting_content,client,Fokus,2018-01-01\n"  # line 2: fine
        "Toinen ote.,no_such_code,client,Fokus,2018-01-02\n"  # line 3: unknown code
        "Kolmas ote.,solutions,professional,,2018-01-03\n"  # line 4: pilot missing
        ",solutions,management,Fokus,2018-01-04\n"  # line 5: empty excerpt
        ",made_up,boss,,yesterday\n"  # line 6: everything wrong: still one message
        "Viides ote.,follow_up,management,KP Ote,\n",  # line 7: fine
    )
    with pytest.raises(ExcerptImportError) as info:
        read_coded_excerpts(csv)
    problems = info.value.problems
    assert [p.where for p in problems] == [f"{csv} row {n}" for n in (3, 4, 5, 6)]
    assert "unknown code(s) 'no_such_code'" in problems[0].what
    assert problems[1].what == "the pilot is missing"
    assert problems[2].what == "the excerpt is empty"
    last = problems[3].what
    for part in ("excerpt is empty", "pilot is missing", "'made_up'", "'boss'", "'yesterday'"):
        assert part in last
    assert "codebook" in problems[0].fix
    assert "4 problem(s)" in info.value.message


def test_pilot_option_custom_codebook_and_missing_columns(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"excerpt": ["a", "b"], "code": ["x1", "X2"], "source_type": ["client"] * 2}
    )
    book = Codebook.from_frame(
        pd.DataFrame({"code": ["x1", "x2"], "dimension": ["context", "Mechanism"]})
    )
    got = read_coded_excerpts(frame, codebook=book, pilot="Sataosaa")
    assert list(got["pilot"]) == ["Sataosaa"] * 2 and list(got["code"]) == ["x1", "x2"]
    with pytest.raises(MissingColumnError, match="pilot"):
        read_coded_excerpts(frame, codebook=book)
    with pytest.raises(InputDataError, match="codebook row 2"):
        Codebook.from_frame(pd.DataFrame({"code": ["x", "x"], "dimension": ["context"] * 2}))
    with pytest.raises(InputDataError, match="does not exist"):
        read_coded_excerpts(tmp_path / "nope.csv")


def _excerpts() -> pd.DataFrame:
    rows = [
        ("A", "e1", "solutions", "client"),
        ("A", "e2", "solutions", "client"),
        ("A", "e3", "coop_kela", "client"),
        ("A", "e4", "coop_kela", "professional"),
        ("B", "e5", "solutions", "management"),
    ]
    frame = pd.DataFrame(rows, columns=["pilot", "excerpt", "code", "source_type"])
    return read_coded_excerpts(frame)


def test_code_counts_by_hand() -> None:
    counts = code_counts(_excerpts())
    assert list(counts.columns) == ["pilot", "code", "dimension", "source_type", "n"]
    assert len(counts) == 2 * 25 * 3  # every pilot x code x source, zeros included
    n = counts.set_index(["pilot", "code", "source_type"])["n"]
    assert n[("A", "solutions", "client")] == 2
    assert n[("A", "coop_kela", "client")] == 1
    assert n[("A", "coop_kela", "professional")] == 1
    assert n[("B", "solutions", "management")] == 1
    assert n[("B", "solutions", "client")] == 0
    assert counts["n"].sum() == 5
    shuffled = code_counts(_excerpts().sample(frac=1, random_state=2))
    pd.testing.assert_frame_equal(counts, shuffled)


def test_masking() -> None:
    text = (
        "Matti Virtanen (131052-308T) soitti numerosta 040 123 4567, asiakas FOK012 ja "
        "Kalle; sähköposti kalle.k@example.fi. [nimi] on jo peitetty."
    )
    got = mask_identifiers(text, names=["Kalle"])
    for leak in ("Matti", "Virtanen", "131052-308T", "4567", "FOK012", "Kalle", "example.fi"):
        assert leak not in got
    assert "[name]" in got and "[id code]" in got and "[id]" in got and "[phone]" in got
    assert "[nimi] on jo peitetty." in got
    assert "TE-toimisto" in mask_identifiers("TE-toimisto ja Kela auttoivat.")


def test_quotes_need_a_large_enough_group_and_are_masked() -> None:
    rows = [("A", f"Liisa auttoi minua {i}.", "solutions", "client") for i in range(5)]
    rows += [("A", "Ote ammattilaiselta.", "solutions", "professional")]  # group of 1
    frame = read_coded_excerpts(
        pd.DataFrame(rows, columns=["pilot", "excerpt", "code", "source_type"])
    )
    q = select_quotes(frame, per_group=2, min_group=5, seed=1)
    assert list(q.columns) == ["pilot", "source_type", "code", "dimension", "quote"]
    assert len(q) == 2 and set(q["source_type"]) == {"client"}
    assert all(s.startswith("[name] auttoi") for s in q["quote"])
    assert select_quotes(frame, min_group=6).empty
    pd.testing.assert_frame_equal(q, select_quotes(frame, per_group=2, min_group=5, seed=1))
