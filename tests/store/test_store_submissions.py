"""The submission store: versions, nothing lost, pseudonymisation, atomicity, concurrency."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from evaluation.checks.report import ValidationReport
from evaluation.errors import IntakeRefusedError, OptionError
from evaluation.store import (
    KEY_ENV,
    KEY_FILE_ENV,
    SubmissionStore,
    generate_key_file,
    load_pseudonymiser,
    mask_identity_codes,
    submit_file,
)
from evaluation.synthetic.filled_workbooks import filled_evaluation
from evaluation.workbook.writer import write_template, write_workbook

KEY = "0123456789abcdef" * 4  # 64 hex characters, as `pilot-eval store keygen` writes


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SubmissionStore:
    monkeypatch.setenv(KEY_ENV, KEY)
    return SubmissionStore(tmp_path / "store" / "store.duckdb", timeout=30)


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ev = filled_evaluation("Sataosaa", seed=5)
    return write_workbook(ev, tmp_path_factory.mktemp("wb") / "sataosaa.xlsx")


@pytest.fixture(scope="module")
def submitted(filled: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """One store with the filled workbook submitted twice (key from the environment)."""
    mp = pytest.MonkeyPatch()
    mp.setenv(KEY_ENV, KEY)
    try:
        store = SubmissionStore(tmp_path_factory.mktemp("st") / "store.duckdb", timeout=30)
        first = submit_file(filled, store=store, submitter="tester")
        second = submit_file(filled, store=store, submitter="tester")  # the same file again
    finally:
        mp.undo()
    return store, first, second


def test_submit_accepted_and_same_file_not_stored_twice(submitted, filled: Path) -> None:  # type: ignore[no-untyped-def]
    store, first, second = submitted
    assert first.report.ok and first.stored.status == "accepted"
    assert not first.stored.duplicate and second.stored.duplicate
    assert second.stored.submission_id == first.stored.submission_id
    assert first.stored.period == "2019-03-31"
    listing = store.submissions()
    assert list(listing["version"]) == [1] and set(listing["pilot"]) == {"Sataosaa"}
    assert set(listing["submitter"]) == {"tester"}
    # the stored workbook is the submitted one with ids replaced, and its hash is kept
    kept = store.content(first.stored.submission_id)
    assert kept != filled.read_bytes() and first.stored.sha256 == hashlib.sha256(kept).hexdigest()
    assert store.report(first.stored.submission_id)["ok"] is True
    rows = store.table("submission_rows")
    assert (rows["submission_id"] == first.stored.submission_id).sum() == first.stored.n_rows > 50


def test_person_ids_pseudonymised_and_key_not_stored(submitted) -> None:  # type: ignore[no-untyped-def]
    store, result, _ = submitted
    rows = store.table("submission_rows")
    clients = [json.loads(r) for r in rows.loc[rows["table_name"] == "clients", "record"]]
    ids = {c["client_id"] for c in clients}
    assert all(i.startswith("PS") and len(i) == 66 for i in ids)  # full HMAC-SHA-256
    assert result.pseudonymiser.one("SAT001") in ids  # same keyed hash
    assessed = [json.loads(r) for r in rows.loc[rows["table_name"] == "self_assessment", "record"]]
    assert {a["client_id"] for a in assessed} <= ids  # references keep matching
    con = duckdb.connect(str(store.path), read_only=True)
    try:
        tables = con.sql("SELECT table_name FROM duckdb_tables()").fetchall()
        for (t,) in tables:
            text = str(
                con.sql(
                    f"SELECT * EXCLUDE (content) FROM {t}"
                    if t == "submissions"
                    else f"SELECT * FROM {t}"
                ).fetchall()
            )
            assert KEY not in text and "SAT001" not in text
    finally:
        con.close()
    assert b"SAT001" not in _unpacked(store.content(result.stored.submission_id))


def _unpacked(content: bytes) -> bytes:
    """Every part of a stored xlsx, decompressed (the raw-bytes scan must look inside)."""
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(content)) as zf:
        return b"".join(zf.read(n) for n in zf.namelist())


def test_unfilled_template_is_stored_as_rejected(store: SubmissionStore, tmp_path: Path) -> None:
    path = write_template(tmp_path / "kp.xlsx", pilot="KP Ote", lang="fi")
    a = submit_file(path, store=store)
    changed = write_template(tmp_path / "kp2.xlsx", pilot="KP Ote", lang="sv")
    b = submit_file(changed, store=store)
    assert a.stored.status == "rejected" and (a.stored.version, b.stored.version) == (1, 2)
    listing = store.submissions()
    assert list(listing["pilot"]) == ["KP Ote", "KP Ote"]
    assert list(listing["status"]) == ["rejected", "rejected"]
    assert store.report(a.stored.submission_id)["failures"][0]["where"].startswith("välilehti")
    assert store.content(a.stored.submission_id)[:2] == b"PK"  # the workbook is kept


def test_identity_code_rejected_and_masked(store: SubmissionStore, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    path = write_workbook(filled_evaluation("Fokus", seed=2), tmp_path / "fokus.xlsx")
    wb = load_workbook(path)
    wb["Asiakasseuranta"]["J5"] = "soitti, hetu 131052-308T"
    wb.save(path)
    with pytest.raises(IntakeRefusedError) as info:
        submit_file(path, store=store)
    assert "131052-308T" not in info.value.message and "######-####" in info.value.message
    listed = store.submissions()
    assert list(listed["status"]) == ["rejected"]
    assert store.content(listed["submission_id"].iloc[0]) == b""  # no byte of the file kept
    assert len(store.table("quarantine")) == 0
    for part in store.path.parent.iterdir():  # raw bytes of every store file
        if part.is_file():
            data = part.read_bytes()
            assert b"131052-308T" not in data and b"131052308T" not in data


def test_mask_identity_codes() -> None:
    assert mask_identity_codes("a 010101A123N b") == "a ######-#### b"
    assert mask_identity_codes("id X010101A123N9") == "id X010101A123N9"  # inside a word


def test_missing_key_says_how_to_make_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    monkeypatch.delenv(KEY_FILE_ENV, raising=False)
    with pytest.raises(OptionError, match="store keygen"):
        load_pseudonymiser(store=tmp_path / "s.duckdb")
    key_file = generate_key_file(tmp_path / "keys" / "k")
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    made = load_pseudonymiser(key_file=key_file, store=tmp_path / "store" / "s.duckdb")
    key = key_file.read_text().strip()
    assert len(key) == 64 and key not in repr(made)
    with pytest.raises(OptionError, match="never overwritten"):
        generate_key_file(key_file)


def test_busy_store_times_out(store: SubmissionStore, filled: Path) -> None:
    quick = SubmissionStore(store.path, timeout=0.3)
    store.path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(quick.lock_path, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with pytest.raises(OptionError, match="busy"):
            quick.submissions()
    finally:
        os.close(fd)
    assert quick.submissions().empty


_WRITER = textwrap.dedent(
    """
    import os
    import sys
    from pathlib import Path
    import pandas as pd
    from evaluation.checks.report import ValidationReport
    from evaluation.store import SubmissionStore
    from evaluation.store.pseudonym import Pseudonymiser

    path, pilot, n, crash = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1"
    store = SubmissionStore(Path(path), timeout=60)
    report = ValidationReport("submission", "x.xlsx", "en", 1, {"clients": 2}, (), "test")
    tables = {"clients": pd.DataFrame({"client_id": ["A1", "B2"], "n": [1, 2]})}
    for i in range(n):
        store.add(content=b"bytes-%d-%d" % (os.getpid(), i), file_name="x.xlsx",
                  pilot=pilot, period="2024", lang="en", submitter="t", report=report,
                  tables=tables,
                  pseudonymiser=Pseudonymiser((b"k" * 32,), "test"),
                  id_columns={"clients": ("client_id",)}, _crash_after_rows=crash)
    print("done")
    """
)


def _writer(tmp_path: Path, store: Path, pilot: str, n: int, crash: bool) -> subprocess.Popen[str]:
    script = tmp_path / "writer.py"
    script.write_text(_WRITER, encoding="utf-8")
    return subprocess.Popen(
        [sys.executable, str(script), str(store), pilot, str(n), "1" if crash else "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_kill_9_mid_write_leaves_store_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "store.duckdb"
    ok = _writer(tmp_path, path, "Fokus", 1, crash=False)
    assert ok.wait(timeout=120) == 0, ok.stderr.read() if ok.stderr else ""
    crashed = _writer(tmp_path, path, "Fokus", 1, crash=True)
    assert crashed.wait(timeout=120) == -9  # killed between its writes
    store = SubmissionStore(path)
    listing = store.submissions()  # still readable
    assert list(listing["version"]) == [1]
    rows = store.table("submission_rows")
    assert set(rows["submission_id"]) == set(listing["submission_id"])  # no partial rows
    again = _writer(tmp_path, path, "Fokus", 1, crash=False)
    assert again.wait(timeout=120) == 0
    assert list(store.submissions()["version"]) == [1, 2]


def test_concurrent_submits_from_two_processes_all_land(tmp_path: Path) -> None:
    path = tmp_path / "store.duckdb"
    procs = [_writer(tmp_path, path, "KP Ote", 4, crash=False) for _ in range(2)]
    for p in procs:
        assert p.wait(timeout=170) == 0, p.stderr.read() if p.stderr else ""
    listing = SubmissionStore(path).submissions()
    assert len(listing) == 8 and sorted(listing["version"]) == list(range(1, 9))
    assert len(SubmissionStore(path).table("submission_rows")) == 16


def test_report_object_roundtrip() -> None:
    report = ValidationReport("spells", "s.csv", "sv", 3, {"spells": 0}, (), "duckdb")
    assert report.ok and json.loads(report.to_json())["lang"] == "sv"
    assert "Alla kontroller godkända" in report.summary()


def test_demo_submits_all_and_reports_the_faulty_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from evaluation.store import submit_demo_workbooks
    from evaluation.synthetic.filled_workbooks import FLAWED_PILOT

    monkeypatch.delenv(KEY_ENV, raising=False)
    monkeypatch.delenv(KEY_FILE_ENV, raising=False)
    demo = submit_demo_workbooks(tmp_path, seed=11)
    assert demo.key_file == tmp_path / "keys" / "pilot-eval.key"  # not in the store's folder
    assert demo.store.path.parent == tmp_path / "store"
    listing = demo.listing
    assert len(listing) == 6
    rejected = listing[listing["status"] == "rejected"]
    assert list(rejected["pilot"]) == [FLAWED_PILOT]
    assert demo.report_html is not None and demo.report_html.exists()
    assert demo.faulty_report is not None and "solu C7" in demo.report_html.read_text("utf-8")
    assert "5 accepted, 1 rejected" in demo.summary()


def test_pseudonymise_spells_keeps_rows_and_links() -> None:
    import pandas as pd

    from evaluation.store import Pseudonymiser, pseudonymise

    spells = pd.DataFrame({"person_id": ["A1", "A1", None, "B2"], "code": ["x", "y", "z", "w"]})
    before = spells.copy()
    p = Pseudonymiser((b"k" * 32,), "test")
    out = pseudonymise(spells, p)
    assert len(out) == 4 and out["person_id"].iloc[0] == out["person_id"].iloc[1] == p.one("A1")
    assert pd.isna(out["person_id"].iloc[2]) and out["person_id"].iloc[3] != p.one("A1")
    assert Pseudonymiser((b"j" * 32,), "other").one("A1") != p.one("A1")  # keyed
    assert p.one(" a\u200b1\t") == p.one("A1")  # ids compared normalised
    pd.testing.assert_frame_equal(spells, before)
    with pytest.raises(OptionError, match="missing"):
        pseudonymise(spells, p, columns=("hetu",))
