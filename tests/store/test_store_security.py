"""The store as an attacker sees it: no raw ids, no codes, a key that is not beside it,
key changes detected, rotation, old layouts and read-only folders."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import re
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from openpyxl import load_workbook
from openpyxl.comments import Comment
from openpyxl.workbook.defined_name import DefinedName

from evaluation.errors import InputDataError, IntakeRefusedError, OptionError
from evaluation.privacy import CHECK_CHARACTERS
from evaluation.store import (
    KEY_ENV,
    KEY_FILE_ENV,
    SubmissionStore,
    SubmitResult,
    generate_key_file,
    load_pseudonymiser,
    rekey_store,
    submit_file,
)
from evaluation.synthetic.filled_workbooks import filled_evaluation
from evaluation.workbook.writer import write_workbook

#: Century marks of identity codes (1800s, 1900s, 2000s, including the 2023 additions).
CENTURY_MARKS = "+-YXWVUABCDEF"
BIRTH_DATE = "131052"


@pytest.fixture(autouse=True)
def _no_env_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    monkeypatch.delenv(KEY_FILE_ENV, raising=False)


@dataclass(frozen=True)
class Base:
    """A store with one accepted submission whose free text names two clients."""

    workbook: Path
    key: Path
    store: SubmissionStore
    result: SubmitResult


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Base:
    folder = tmp_path_factory.mktemp("base")
    key = generate_key_file(folder / "keys" / "pilot.key")
    store = SubmissionStore(folder / "store" / "s.duckdb", timeout=30)
    workbook = _fokus(folder, note="Asiakkaan FOK003 tiedot siirretty, ks. myös fok004")
    return Base(workbook, key, store, submit_file(workbook, store=store, key_file=key))


@pytest.fixture
def copy(base: Base, tmp_path: Path) -> Base:
    """A copy of the base store and key of this test's own."""
    shutil.copytree(base.store.path.parent, tmp_path / "store")
    key = tmp_path / "keys" / "pilot.key"
    key.parent.mkdir()
    shutil.copy(base.key, key)
    store = SubmissionStore(tmp_path / "store" / base.store.path.name, timeout=30)
    return Base(base.workbook, key, store, base.result)


def _fokus(tmp_path: Path, name: str = "fokus.xlsx", note: str | None = None) -> Path:
    path = write_workbook(filled_evaluation("Fokus", seed=2), tmp_path / name)
    if note is not None:
        wb = load_workbook(path)
        wb["Asiakasseuranta"]["J5"] = note  # free text: "other services"
        wb.save(path)
    return path


def _unpacked(content: bytes) -> bytes:
    if not content:
        return b""
    with zipfile.ZipFile(io.BytesIO(content)) as zf:
        return b"".join(zf.read(n) for n in zf.namelist())


def _every_stored_byte(store: SubmissionStore) -> bytes:
    """Every file of the store's folder, plus each stored workbook decompressed."""
    raw = b"".join(p.read_bytes() for p in store.path.parent.iterdir() if p.is_file())
    con = duckdb.connect(str(store.path), read_only=True)
    try:
        contents = [bytes(r[0]) for r in con.execute("SELECT content FROM submissions").fetchall()]
    finally:
        con.close()
    return raw + b"".join(_unpacked(c) for c in contents)


def test_free_text_ids_replaced_in_rows_and_workbook(base: Base) -> None:
    store, result = base.store, base.result
    assert result.stored.status == "accepted"
    p = result.pseudonymiser
    rows = store.table("submission_rows")
    records = [json.loads(r) for r in rows.loc[rows["table_name"] == "clients", "record"]]
    note = records[0]["other_services"]
    assert note == f"Asiakkaan {p.one('FOK003')} tiedot siirretty, ks. myös {p.one('FOK004')}"
    kept = store.content(result.stored.submission_id)
    assert re.search(rb"(?i)FOK0\d\d", _unpacked(kept)) is None  # no raw id in any part
    ws = load_workbook(io.BytesIO(kept))["Asiakasseuranta"]
    assert ws["B5"].value == p.one("FOK001")  # the id column holds pseudonyms
    assert ws["J5"].value == note
    assert re.search(rb"(?i)FOK0\d\d", _every_stored_byte(store)) is None


def test_key_file_beside_the_store_or_readable_by_others_is_refused(
    tmp_path: Path, base: Base
) -> None:
    store = SubmissionStore(tmp_path / "store" / "s.duckdb")
    inside = generate_key_file(store.path.parent / "k.key")
    with pytest.raises(OptionError, match="inside the store's folder"):
        submit_file(base.workbook, store=store, key_file=inside)
    loose = generate_key_file(tmp_path / "keys" / "loose.key")
    loose.chmod(0o644)
    with pytest.raises(OptionError, match="chmod 600"):
        submit_file(base.workbook, store=store, key_file=loose)
    assert not store.path.exists()  # nothing was written


def test_another_key_is_refused_until_rekey(tmp_path: Path, copy: Base) -> None:
    other = generate_key_file(tmp_path / "keys" / "other.key")
    with pytest.raises(OptionError, match="not this store's key"):
        submit_file(copy.workbook, store=copy.store, key_file=other)
    assert copy.store.info().key_fingerprint == copy.result.pseudonymiser.fingerprint
    assert len(copy.store.submissions()) == 1


def test_rekey_takes_every_pseudonym_one_step_and_old_key_stops_matching(copy: Base) -> None:
    store, key = copy.store, copy.key
    old = copy.result.pseudonymiser.one("FOK001")
    done = rekey_store(store, key)
    assert not done.resumed and done.n_submissions == 1
    new_key = key.read_text().split()[-1].encode()
    expected = "PS" + hmac.new(new_key, old[2:].encode(), hashlib.sha256).hexdigest()
    rows = store.table("submission_rows")
    ids = {json.loads(r)["client_id"] for r in rows.loc[rows["table_name"] == "clients", "record"]}
    assert expected in ids and old not in ids
    kept = store.content(copy.result.stored.submission_id)
    assert load_workbook(io.BytesIO(kept))["Asiakasseuranta"]["B5"].value == expected
    assert hashlib.sha256(kept).hexdigest() == store.submissions()["sha256"].iloc[0]
    assert old.encode() not in _every_stored_byte(store)  # a new file: no old block left
    with pytest.raises(OptionError, match="not this store's key"):
        store.verify_key(copy.result.pseudonymiser)  # a copy of the old key is useless
    now = load_pseudonymiser(key_file=key, store=store.path)
    store.verify_key(now)
    assert now.one("FOK001") == expected  # new submissions link up with stored ones
    content_key = store.table("submissions")["content_key"].iloc[0]
    assert content_key == now.digest(copy.workbook.read_bytes())  # duplicates still found


def test_interrupted_rekey_is_named_and_finished(copy: Base) -> None:
    with open(copy.key, "a", encoding="utf-8") as fh:  # key added, store not rewritten
        fh.write("ab" * 32 + "\n")
    chain = load_pseudonymiser(key_file=copy.key, store=copy.store.path)
    with pytest.raises(OptionError, match="interrupted"):
        copy.store.verify_key(chain)
    done = rekey_store(copy.store, copy.key)
    assert done.resumed and len(copy.key.read_text().split()) == 2  # no third key added
    copy.store.verify_key(chain)


def _codes_of_one_birth_date() -> list[str]:
    out = []
    for mark in CENTURY_MARKS:
        for n in range(2, 900):
            check = CHECK_CHARACTERS[int(f"{BIRTH_DATE}{n:03d}") % 31]
            out.append(f"{BIRTH_DATE}{mark}{n:03d}{check}")
    return out


def _plant_codes(path: Path, code: str) -> Path:
    """A workbook with ``code`` in a cell, the instructions sheet, a hidden sheet, a comment,
    a defined name and the document properties, and in its file name."""
    wb = load_workbook(path)
    wb["Asiakasseuranta"]["J6"] = f"hetu {code}"
    wb["Asiakasseuranta"]["J7"].comment = Comment(f"asiakas {code.lower()}", "staff")
    wb["_meta"]["D1"] = code.replace("-", "")  # a hidden sheet
    wb.worksheets[0]["F2"] = f"yhteyshenkilö {code}"  # the instructions sheet (Ohjeet)
    wb.defined_names["asiakas"] = DefinedName("asiakas", attr_text=f'"{code}"')
    wb.properties.title = code
    target = path.with_name(f"fokus {code}.xlsx")
    wb.save(target)
    return target


def test_brute_force_of_one_birth_date_finds_nothing_without_the_key(
    tmp_path: Path, copy: Base
) -> None:
    codes = _codes_of_one_birth_date()
    planted = codes[::997][:4]
    for code in planted:
        with pytest.raises(IntakeRefusedError):
            path = _plant_codes(_fokus(tmp_path, note="x"), code)
            submit_file(path, store=copy.store, key_file=copy.key)
    stolen = tmp_path / "stolen"  # what an attacker takes: the store's folder alone
    shutil.copytree(copy.store.path.parent, stolen)
    assert not any(p.suffix == ".key" for p in stolen.iterdir())
    data = _every_stored_byte(SubmissionStore(stolen / copy.store.path.name))
    found = {
        m.group(0).decode().upper()
        for m in re.finditer(rb"(?i)131052[-+A-FU-Y ]?\d{3}[0-9A-Y]", data)
    }
    forms = {c for code in codes for c in (code, code[:6] + code[7:], code.lower())}
    assert not {f.upper() for f in forms} & found
    listing = copy.store.submissions()
    assert list(listing["status"]) == ["accepted"] + ["rejected"] * len(planted)


def test_store_of_another_layout_is_a_located_error(tmp_path: Path) -> None:
    old = tmp_path / "old.duckdb"
    con = duckdb.connect(str(old))
    con.execute("CREATE TABLE submissions (submission_id VARCHAR, content BLOB)")
    con.close()
    with pytest.raises(InputDataError, match="older pilot-eval") as info:
        SubmissionStore(old).submissions()
    assert str(old) in info.value.message and "new store" in info.value.message
    new = tmp_path / "new.duckdb"
    con = duckdb.connect(str(new))
    con.execute("CREATE TABLE store_meta (key VARCHAR, value VARCHAR)")
    con.execute("INSERT INTO store_meta VALUES ('layout_version', '99')")
    con.close()
    with pytest.raises(InputDataError, match="newer pilot-eval"):
        SubmissionStore(new).submissions()


def test_read_only_store_can_be_listed(copy: Base, monkeypatch: pytest.MonkeyPatch) -> None:
    store = copy.store
    store.lock_path.unlink(missing_ok=True)
    real_open = os.open

    def read_only_folder(path: object, flags: int, *args: object) -> int:
        if Path(str(path)).parent == store.path.parent and flags & (os.O_CREAT | os.O_RDWR):
            raise PermissionError(13, "Permission denied")
        return real_open(path, flags, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", read_only_folder)
    assert list(store.submissions()["pilot"]) == ["Fokus"]
    with pytest.raises(InputDataError, match="cannot write to the submission store's folder"):
        store.add(
            content=b"x",
            file_name="x.xlsx",
            pilot="Fokus",
            period="2024",
            lang="fi",
            submitter="t",
            report=copy.result.report,
            tables={},
            pseudonymiser=copy.result.pseudonymiser,
        )


def test_full_disk_is_a_located_error_and_loses_nothing(
    copy: Base, monkeypatch: pytest.MonkeyPatch
) -> None:
    import evaluation.store.store as store_module

    def full_disk(*args: object, **kwargs: object) -> None:
        raise duckdb.IOException("Could not write file: No space left on device")

    monkeypatch.setattr(store_module, "_append", full_disk)
    with pytest.raises(InputDataError, match="No space left") as info:
        copy.store.add(
            content=b"x",
            file_name="kp.xlsx",
            pilot="KP Ote",
            period="2024",
            lang="fi",
            submitter="t",
            report=copy.result.report,
            tables={},
            pseudonymiser=copy.result.pseudonymiser,
        )
    assert "kp.xlsx" in info.value.message and "free disk space" in info.value.message
    assert list(copy.store.submissions()["pilot"]) == ["Fokus"]  # rolled back
