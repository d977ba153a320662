"""Output files: never written through a symlink, never half-written; spreadsheet text
that would run as a formula is neutralised."""

from __future__ import annotations

from pathlib import Path

import pytest

from evaluation.errors import OptionError
from evaluation.safe_io import (
    atomic_write,
    output_folder,
    spreadsheet_safe,
    write_bytes,
    write_text,
)


def test_write_text_refuses_planted_symlink(tmp_path: Path) -> None:
    target = tmp_path / "victim.txt"
    target.write_text("keep me")
    link = tmp_path / "out.html"
    link.symlink_to(target)
    with pytest.raises(OptionError, match="symbolic link"):
        write_text(link, "attack")
    assert target.read_text() == "keep me"


def test_output_folder_refuses_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "out").symlink_to(real)
    with pytest.raises(OptionError, match="symbolic link"):
        output_folder(tmp_path / "out")
    assert output_folder(tmp_path / "new" / "deep").is_dir()


def test_output_folder_refuses_file(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    with pytest.raises(OptionError, match="not a folder"):
        output_folder(tmp_path / "f")


def test_atomic_write_leaves_nothing_on_error(tmp_path: Path) -> None:
    target = tmp_path / "t.csv"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_write(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("boom")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["t.csv"]


def test_write_bytes_replaces(tmp_path: Path) -> None:
    target = write_bytes(tmp_path / "a" / "b.bin", b"1")
    write_bytes(target, b"22")
    assert target.read_bytes() == b"22"
    assert oct(target.stat().st_mode & 0o777) == "0o644"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("  =1+1", "'  =1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("ok", "ok"),
        ("−6,83", "−6,83"),  # U+2212 is text, not a formula start
        (-1, -1),
        (None, None),
    ],
)
def test_spreadsheet_safe(value: object, expected: object) -> None:
    assert spreadsheet_safe(value) == expected
