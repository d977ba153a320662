"""Uploads through the portal: refused files are never stored or echoed; cell text is never
markup."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from openpyxl import load_workbook

from evaluation.schema import load_schema
from evaluation.store import SubmissionStore
from evaluation.synthetic.filled_workbooks import write_filled_workbooks

from .conftest import PILOT_A, SEED, PortalEnv, csrf_of

CODE = "131052-308T"  # a valid identity code (check character T)
SCRIPT = "<script>alert('x')</script>"


@pytest.fixture(scope="module")
def flawed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("uploads")
    return next(p for p in write_filled_workbooks(folder, seed=SEED + 7) if "savon" in p.name)


def _edited(src: Path, out: Path, section: str, cell: str, value: str) -> Path:
    wb = load_workbook(src)
    wb[load_schema().section(section).sheet("fi")][cell] = value
    wb.save(out)
    return out


def _send(env: PortalEnv, path: Path) -> tuple[int, str]:
    s = env.login("pilot")
    with path.open("rb") as fh:
        r = s.post(
            f"{env.url}/pilot/upload",
            data={"csrf": csrf_of(s, f"{env.url}/pilot")},
            files={"workbook": (path.name, fh)},
        )
    return r.status_code, r.text


def test_identity_code_is_refused_never_stored_never_shown(
    portal_env: PortalEnv, flawed: Path, tmp_path: Path
) -> None:
    path = _edited(flawed, tmp_path / "with-code.xlsx", "clients", "P40", f"soita {CODE}")
    status, page = _send(portal_env, path)
    assert status == 422
    assert "######-####" in page and "P40" in page  # located, shape only
    assert CODE not in page and CODE.lower() not in page
    store = SubmissionStore(portal_env.config.store)
    for table in ("submissions", "submission_rows", "quarantine"):
        assert CODE not in store.table(table).to_csv()


def test_cell_text_is_shown_as_text_not_markup(
    portal_env: PortalEnv, flawed: Path, tmp_path: Path
) -> None:
    path = _edited(flawed, tmp_path / "with-script.xlsx", "criteria", "E6", SCRIPT)
    status, page = _send(portal_env, path)
    assert status == 200  # redirected to the submission's page
    assert "<script" not in page.lower()
    assert "&lt;script&gt;" in page


def test_a_file_that_is_not_a_workbook_is_rejected_with_its_message(
    portal_env: PortalEnv, tmp_path: Path
) -> None:
    path = tmp_path / "notes.xlsx"
    path.write_bytes(b"just some text, not a spreadsheet")
    before = len(SubmissionStore(portal_env.config.store).submissions())
    status, page = _send(portal_env, path)
    assert status == 200  # stored as rejected, like `pilot-eval submit` does
    assert "file &#39;notes.xlsx&#39;" in page and "not a readable Excel workbook" in page
    stored = SubmissionStore(portal_env.config.store).submissions()
    assert len(stored) == before + 1
    assert stored["status"].iloc[-1] == "rejected"


def test_parallel_uploads_all_land_with_gapless_versions(
    portal_env: PortalEnv, tmp_path: Path
) -> None:
    books = [
        next(
            p for p in write_filled_workbooks(tmp_path / str(k), seed=500 + k) if "savon" in p.name
        )
        for k in range(3)
    ]
    before = SubmissionStore(portal_env.config.store).submissions()
    with ThreadPoolExecutor(len(books)) as pool:
        results = list(pool.map(lambda p: _send(portal_env, p), books))
    assert [status for status, _ in results] == [200] * len(books)
    after = SubmissionStore(portal_env.config.store).submissions()
    new = after[~after["submission_id"].isin(before["submission_id"])]
    assert len(new) == len(books)
    mine = after[(after["pilot"] == PILOT_A) & (after["period"] == new["period"].iloc[0])]
    assert sorted(mine["version"]) == list(range(1, len(mine) + 1))
