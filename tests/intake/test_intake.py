"""The intake refuses identity codes anywhere, macros, links and oversized files, at once."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
import typer
from openpyxl.comments import Comment
from openpyxl.workbook.defined_name import DefinedName
from typer.testing import CliRunner

from evaluation.checks.commands import check_command
from evaluation.checks.submission import parse_submission
from evaluation.errors import IntakeRefusedError, OptionError
from evaluation.intake import IntakeLimits, inspect_workbook
from evaluation.privacy import CHECK_CHARACTERS
from evaluation.synthetic.filled_workbooks import filled_evaluation
from evaluation.workbook.errors import LocalizedWorkbookError, RefusedWorkbookError
from evaluation.workbook.reader import read_workbook
from evaluation.workbook.writer import write_template, write_workbook


def _code(mark: str, date: str = "010203", nnn: str = "123") -> str:
    return f"{date}{mark}{nnn}{CHECK_CHARACTERS[int(date + nnn) % 31]}"


FORMS = [
    "131052-308T",
    "131052 308T",
    "131052308T",
    "131052-308t",
    *(_code(m) for m in "+-YXWVUABCDEF"),
    "PS" + "0123456789abcdef" * 2,
    "PS" + "0123456789ABCDEF" * 4,
]


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ev = filled_evaluation("Fokus", seed=7)
    return write_workbook(ev, tmp_path_factory.mktemp("intake") / "fokus.xlsx")


def _copy(clean: Path, tmp: Path, edit: Callable[[openpyxl.Workbook], None], name: str) -> Path:
    wb = openpyxl.load_workbook(clean)
    edit(wb)
    out = tmp / name
    wb.save(out)
    return out


def _no_trace(text: str, code: str) -> None:
    digits = "".join(ch for ch in code if ch.isalnum())
    assert code not in text and digits[:6] not in text and digits[-4:] not in text


@pytest.mark.parametrize("code", FORMS)
def test_every_form_refused_in_free_text(clean: Path, tmp_path: Path, code: str) -> None:
    path = _copy(
        clean, tmp_path, lambda wb: wb["Asiakasseuranta"].__setitem__("J6", code), "f.xlsx"
    )
    with pytest.raises(RefusedWorkbookError) as exc:
        read_workbook(path)
    assert exc.value.problems[0].where == "välilehti 'Asiakasseuranta', solu J6"
    assert "######-####" in exc.value.message or "PS####" in exc.value.message
    _no_trace(exc.value.message, code)
    parsed = parse_submission(path)
    assert parsed.refused and not parsed.tables and parsed.evaluation is None
    assert "FOK001" in parsed.person_ids


def _places() -> dict[str, tuple[Callable[[openpyxl.Workbook, str], None], str]]:
    def cell(sheet: str, ref: str) -> Callable[[openpyxl.Workbook, str], None]:
        return lambda wb, c: wb[sheet].__setitem__(ref, f"huom {c}")

    def comment(wb: openpyxl.Workbook, c: str) -> None:
        wb["Asiakasseuranta"]["B5"].comment = Comment(f"soita {c}", "x")

    def name(wb: openpyxl.Workbook, c: str) -> None:
        wb.defined_names["muistio"] = DefinedName("muistio", attr_text=f'"{c}"')

    def author(wb: openpyxl.Workbook, c: str) -> None:
        wb.properties.creator = c

    def title(wb: openpyxl.Workbook, c: str) -> None:
        wb["Asiakasseuranta"].title = f"A {c}"

    return {
        "data sheet": (cell("Asiakasseuranta", "J6"), "solu J6"),
        "instructions": (cell("Ohjeet", "F40"), "välilehti 'Ohjeet', solu F40"),
        "hidden meta": (cell("_meta", "C9"), "välilehti '_meta', solu C9"),
        "hidden lists": (cell("_lists", "Z2"), "välilehti '_lists', solu Z2"),
        "comment": (comment, "solun B5 kommentti"),
        "defined name": (name, "nimetty alue 'muistio'"),
        "author": (author, "tiedoston ominaisuus 'creator'"),
        "sheet name": (title, "välilehden nimi"),
    }


@pytest.mark.parametrize("place", list(_places()))
def test_code_refused_in_every_place(clean: Path, tmp_path: Path, place: str) -> None:
    edit, where = _places()[place]
    code = "131052-308T"
    path = _copy(clean, tmp_path, lambda wb: edit(wb, code), "p.xlsx")
    result = inspect_workbook(path)
    assert result.refused, place
    wheres = [p.where for p in result.problems]
    assert any(where in w for w in wheres), wheres
    _no_trace(str(result.problems), code)


def test_code_in_file_name_refused_and_never_the_pilot(clean: Path, tmp_path: Path) -> None:
    path = tmp_path / "131052-308T.xlsx"
    path.write_bytes(clean.read_bytes())
    parsed = parse_submission(path)
    assert parsed.refused and parsed.pilot == "Fokus"  # from the workbook, not the name
    assert parsed.refused[0].where == "tiedoston nimi"
    _no_trace(str(parsed.refused) + parsed.pilot, "131052-308T")


def test_wrong_check_character_is_not_refused(clean: Path, tmp_path: Path) -> None:
    path = _copy(
        clean, tmp_path, lambda wb: wb["Asiakasseuranta"].__setitem__("J6", "131052-308U"), "w.xlsx"
    )
    assert not inspect_workbook(path).refused
    read_workbook(path)


_MAIN = """
import sys
from evaluation.cli import main
sys.argv = ["pilot-eval", *sys.argv[1:]]
main()
"""


def test_cli_read_and_check_exit_2_without_the_code(clean: Path, tmp_path: Path) -> None:
    code = "131052308T"
    path = _copy(clean, tmp_path, lambda wb: wb["Ohjeet"].__setitem__("F40", code), "c.xlsx")
    for args in (("template", "read", str(path)), ("check", str(path))):
        res = subprocess.run(
            [sys.executable, "-c", _MAIN, *args], capture_output=True, text=True, timeout=300
        )
        out = res.stdout + res.stderr
        assert res.returncode == 2, out
        assert "Traceback" not in out and "solu F40" in out
        _no_trace(out, code)
    html = (tmp_path / "c.xlsx.report.html").read_text(encoding="utf-8")
    assert "solu F40" in html
    _no_trace(html, code)


def test_check_command_raises_the_named_error(clean: Path, tmp_path: Path) -> None:
    path = _copy(clean, tmp_path, lambda wb: wb["_meta"].__setitem__("C9", "131052-308T"), "d.xlsx")
    app = typer.Typer()
    app.command("check")(check_command)
    app.command("other")(lambda: None)
    res = CliRunner().invoke(app, ["check", str(path), "--html", str(tmp_path / "r.html")])
    assert isinstance(res.exception, IntakeRefusedError)
    _no_trace(res.output + (tmp_path / "r.html").read_text(encoding="utf-8"), "131052-308T")


def _rezip(
    src: Path, out: Path, replace: dict[str, Callable[[zipfile.ZipFile, str], None]]
) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename in replace:
                replace[info.filename](zout, info.filename)
            else:
                zout.writestr(info.filename, zin.read(info.filename))
    return out


def _sheet_path(path: Path) -> str:
    return "xl/worksheets/sheet5.xml"


def test_zip_bomb_refused_fast_with_bounded_memory(clean: Path, tmp_path: Path) -> None:
    def bomb(z: zipfile.ZipFile, name: str) -> None:
        with z.open(name, "w", force_zip64=True) as fh:
            fh.write(
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            )
            block = b" " * (1 << 20)
            for _ in range(300):
                fh.write(block)
            fh.write(b"<sheetData/></worksheet>")

    path = _rezip(clean, tmp_path / "bomb.xlsx", {"xl/worksheets/sheet5.xml": bomb})
    assert path.stat().st_size < 2_000_000
    tracemalloc.start()
    t0 = time.perf_counter()
    result = inspect_workbook(path)
    elapsed = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert result.refused and not result.safe_to_parse
    assert elapsed < 2 and peak < 50_000_000, (elapsed, peak)
    with pytest.raises(RefusedWorkbookError):
        read_workbook(path)
    parsed = parse_submission(path)
    assert parsed.refused and not parsed.person_ids


@pytest.mark.parametrize("dimension", [True, False])
def test_million_rows_refused(clean: Path, tmp_path: Path, dimension: bool) -> None:
    def rows(z: zipfile.ZipFile, name: str) -> None:
        with z.open(name, "w", force_zip64=True) as fh:
            fh.write(
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            )
            if dimension:
                fh.write(b'<dimension ref="A1:A1048576"/>')
            fh.write(b"<sheetData>")
            for start in range(1, 1_048_577, 4096):
                fh.write(
                    b"".join(
                        b'<row r="%d"><c r="A%d"><v>1</v></c></row>' % (r, r)
                        for r in range(start, min(start + 4096, 1_048_577))
                    )
                )
            fh.write(b"</sheetData></worksheet>")

    path = _rezip(clean, tmp_path / "rows.xlsx", {"xl/worksheets/sheet5.xml": rows})
    t0 = time.perf_counter()
    result = inspect_workbook(path)
    assert time.perf_counter() - t0 < 10
    assert any(p.reason == "rows" for p in result.problems)
    assert "PILOT_EVAL_MAX_ROWS" in result.problems[0].fix


def test_macros_and_links_refused(clean: Path, tmp_path: Path) -> None:
    xlsm = tmp_path / "m.xlsm"
    xlsm.write_bytes(clean.read_bytes())
    assert {p.reason for p in inspect_workbook(xlsm).problems} == {"extension"}

    def vba(z: zipfile.ZipFile, name: str) -> None:
        z.writestr(name, b"x")
        z.writestr("xl/vbaProject.bin", b"\x00macro")

    path = _rezip(clean, tmp_path / "v.xlsx", {"docProps/app.xml": vba})
    assert "macro" in {p.reason for p in inspect_workbook(path).problems}

    def link(wb: openpyxl.Workbook) -> None:
        wb["Ohjeet"]["F3"].hyperlink = "http://example.org/x"

    linked = _copy(clean, tmp_path, link, "l.xlsx")
    assert "external" in {p.reason for p in inspect_workbook(linked).problems}


def test_limits_from_env() -> None:
    assert IntakeLimits.from_env({"PILOT_EVAL_MAX_ROWS": "10"}).max_rows == 10
    assert IntakeLimits.from_env({"PILOT_EVAL_MAX_FILE_MB": "1"}).max_file_bytes == 1_000_000
    with pytest.raises(OptionError):
        IntakeLimits.from_env({"PILOT_EVAL_MAX_ROWS": "many"})


@pytest.mark.parametrize("text", ["  =1+1", "\u00a0=1+1", "\t=1+1", "\u200b=1+1"])
def test_formula_after_whitespace_is_refused(clean: Path, tmp_path: Path, text: str) -> None:
    path = _copy(
        clean, tmp_path, lambda wb: wb["Asiakasseuranta"].__setitem__("J6", text), "x.xlsx"
    )
    with pytest.raises(LocalizedWorkbookError) as exc:
        read_workbook(path)
    assert any("kaava" in p.what and p.where.endswith("J6") for p in exc.value.problems)


@pytest.mark.parametrize("formula", ["=+1", "=-1", "=@A1"])
def test_formula_cells_are_refused(clean: Path, tmp_path: Path, formula: str) -> None:
    path = _copy(
        clean, tmp_path, lambda wb: wb["Asiakasseuranta"].__setitem__("J6", formula), "y.xlsx"
    )
    with pytest.raises(LocalizedWorkbookError) as exc:
        read_workbook(path)
    assert any("kaava" in p.what for p in exc.value.problems)


def test_new_pilot_formula_is_written_as_text(tmp_path: Path) -> None:
    path = write_template(tmp_path / "h.xlsx", pilot='=HYPERLINK("http://x")', lang="en")
    with zipfile.ZipFile(path) as z:
        sheets = [z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/")]
    formulas = [f for s in sheets for f in re.findall(rb"<f(?: [^>]*)?>(.*?)</f>", s, re.S)]
    # the only formulas are the generator's own indicator formulas (and, in the by-group
    # blocks, references to the whole-pilot value cells), never the user's text
    own = (b"SUMPRODUCT(", b"IFERROR(")
    assert formulas and all(f.startswith(own) or re.fullmatch(rb"C\d+", f) for f in formulas)
    assert not any(b"HYPERLINK" in f for f in formulas)


def test_out_symlink_refused(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.xlsx"
    target.write_bytes(b"keep")
    link = tmp_path / "link.xlsx"
    link.symlink_to(target)
    with pytest.raises(OptionError):
        write_template(link, pilot="X", lang="fi")
    assert target.read_bytes() == b"keep"


def test_export_cells_are_spreadsheet_safe(tmp_path: Path) -> None:
    from evaluation.workbook.export import export_templates

    for p in export_templates(tmp_path):
        if p.suffix == ".csv":
            for line in p.read_text(encoding="utf-8").splitlines():
                for cell in line.split(","):
                    assert not cell.lstrip('"').startswith(("=", "+", "@")), cell
