"""The table registry (evaluation.tables) and the provenance module (evaluation.provenance):
generated documents current, schema valid, one effects layout, validation located."""

from __future__ import annotations

import hashlib
import json
from dataclasses import fields
from pathlib import Path

import jsonschema
import numpy as np
import pandas as pd
import pytest

from evaluation import provenance, tables
from evaluation.errors import InputDataError, MissingColumnError
from evaluation.reporting.impact_results import EFFECT_COLUMNS, IMPACT_TABLES
from evaluation.reporting.results import TABLE_COLUMNS

DOCS = Path(tables.__file__).resolve().parents[1] / "docs"


def test_generated_documents_are_current() -> None:
    stale = tables.write_docs(DOCS, check=True)
    assert stale == [], "run: python -m evaluation.tables"
    assert tables.main(["--check"]) == 0


def test_schema_is_valid_and_describes_every_table() -> None:
    schema = json.loads((DOCS / "tables.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    assert set(schema["$defs"]) == set(tables.TABLES)
    effects = schema["$defs"]["effects"]
    assert effects["x-columns"] == list(tables.TABLES["effects"].names)
    row = dict.fromkeys(effects["x-columns"])
    row |= {"design": "matched_did", "estimate": 0.1, "n_treated": 12}
    jsonschema.validate(row, {**schema, "$ref": "#/$defs/effects"})
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**row, "design": "did"}, {**schema, "$ref": "#/$defs/effects"})


def test_one_effects_layout_everywhere() -> None:
    names = tables.TABLES["effects"].names
    assert TABLE_COLUMNS["effects"] == EFFECT_COLUMNS == names
    assert tuple(f.name for f in fields(tables.EffectRow)) == names
    assert names[:3] == ("pilot", "outcome", "design")
    assert "effects" not in IMPACT_TABLES
    assert set(tables.DESIGN_SECTION) == set(tables.DESIGNS)


def test_legacy_effects_are_upgraded() -> None:
    legacy = pd.DataFrame(
        {
            "pilot": ["A", "B"],
            "outcome": "employed",
            "estimate": [1.0, 2.0],
            "std_error": 0.5,
            "conf_low": 0.0,
            "conf_high": 3.0,
            "n_treated": 10,
            "n_control": 20,
            "design": ["did", "matching"],
        }
    )
    up = tables.TABLES["effects"].frame(tables.upgrade_effects(legacy))
    assert up["design"].tolist() == ["staggered_did", "matching"]
    assert up["analysis"].tolist() == ["main", "main"]
    tables.TABLES["effects"].validate(up, where="effects.csv")


def test_validation_names_row_and_column() -> None:
    spec = tables.TABLES["diagnostics"]
    row = {c: np.nan for c in spec.names} | {"pilot": "A", "outcome": "y", "design": "matching"}
    frame = spec.frame([row, {**row, "n_treated": "many"}])
    with pytest.raises(InputDataError) as err:
        spec.validate(frame, where="diagnostics.csv")
    assert "row 3" in err.value.where and "n_treated" in err.value.where
    with pytest.raises(InputDataError, match="one of staggered_did"):
        spec.validate(frame.assign(design="did", n_treated=1), where="diagnostics.csv")
    with pytest.raises(MissingColumnError):
        spec.validate(frame.drop(columns="mde"), where="diagnostics.csv")


def test_empty_tables_carry_every_column() -> None:
    from typing import get_args

    for spec in tables.TABLES.values():
        assert {c.dtype for c in spec.columns} <= set(get_args(tables.Dtype)), spec.name
        assert len(set(spec.names)) == len(spec.names), spec.name
        assert tuple(spec.empty().columns) == spec.names
        assert tuple(spec.frame([]).columns) == spec.names


def test_provenance_one_list_one_marker_one_hasher(tmp_path: Path) -> None:
    versions = provenance.software_versions()
    assert list(versions) == ["python", *provenance.PACKAGES]
    assert provenance.package_version("no-such-package-xyz") == provenance.MISSING
    path = tmp_path / "a.bin"
    path.write_bytes(b"x" * 100_000)
    assert provenance.file_sha256(path) == hashlib.sha256(b"x" * 100_000).hexdigest()
    assert provenance.hash_input("a", path) == provenance.file_sha256(path)
    assert provenance.hash_input("b", b"abc") == hashlib.sha256(b"abc").hexdigest()
    frame = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    assert provenance.frame_sha256(frame) == provenance.frame_sha256(frame.copy())
    assert provenance.frame_sha256(frame) != provenance.frame_sha256(frame.iloc[::-1])
    renamed = frame.rename(columns={"a": "a,b", "b": ""})
    assert provenance.frame_sha256(renamed) != provenance.frame_sha256(frame)


def _log(tmp_path: Path, status: str) -> Path:
    from evaluation.reporting.ledger import LEDGER_FILE, LOG_COLUMNS

    row = ["effects", "A|employed|matching", "", "", 10, "estimate", status, np.nan, np.nan, 5]
    folder = tmp_path / status
    folder.mkdir()
    pd.DataFrame([row], columns=list(LOG_COLUMNS)).to_csv(folder / LEDGER_FILE, index=False)
    return folder


def test_disclosure_audit_validates_against_the_registry(tmp_path: Path) -> None:
    from evaluation.reporting.ledger import audit_log

    assert audit_log(_log(tmp_path, "shown")) == []
    problems = audit_log(_log(tmp_path, "visible"))
    assert any("status" in p.where and "visible" in p.what for p in problems)
