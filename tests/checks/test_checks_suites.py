"""The committed suites in checks/ are exactly the generated ones, and GE loads them."""

from __future__ import annotations

import json
from pathlib import Path

import great_expectations as gx

from evaluation.checks import all_suites, suite_documents, write_suites
from evaluation.schema import load_schema

CHECKS = Path(__file__).resolve().parents[2] / "checks"


def test_committed_suites_equal_generated() -> None:
    docs = suite_documents()
    committed = {p.name: p.read_text(encoding="utf-8") for p in CHECKS.glob("*.json")}
    assert set(committed) == set(docs), "run `python -m evaluation.checks` to regenerate"
    for name, text in docs.items():
        assert committed[name] == text, f"{name} is stale: run `python -m evaluation.checks`"


def test_write_suites_is_idempotent(tmp_path: Path) -> None:
    (tmp_path / "old_suite.json").write_text("{}", encoding="utf-8")
    paths = write_suites(tmp_path)
    assert sorted(p.name for p in paths) == sorted(suite_documents())
    assert not (tmp_path / "old_suite.json").exists()  # stale suites are removed


def test_great_expectations_loads_every_suite() -> None:
    for text in suite_documents().values():
        data = json.loads(text)
        suite = gx.ExpectationSuite(**data)
        assert len(suite.expectations) == len(data["expectations"])
        assert all(e.meta["family"] for e in suite.expectations)


def test_suites_follow_schema_metadata() -> None:
    schema = load_schema()
    by_name = {s.name: s for s in all_suites()}
    for section in schema.sections:
        if section.kind != "table":
            continue
        suite = by_name[f"submission.{section.id}"]
        kinds = {(e.type, e.column) for e in suite.expectations}
        for f in section.fields:
            assert ("expect_column_to_exist", f.id) in kinds
            if f.required:
                assert ("expect_column_values_to_not_be_null", f.id) in kinds
            if f.codelist:
                exp = next(
                    e
                    for e in suite.expectations
                    if e.type == "expect_column_values_to_be_in_set" and e.column == f.id
                )
                assert list(exp.kwargs["value_set"]) == list(schema.codelist(f.codelist).ids)
            if f.min is not None:
                assert ("expect_column_values_to_be_between", f.id) in kinds


def test_spell_suite_uses_the_register_code_table() -> None:
    from evaluation.registers.codes import CODES

    spells = next(s for s in all_suites() if s.name == "spells")
    exp = next(e for e in spells.expectations if e.family == "code")
    assert list(exp.kwargs["value_set"]) == list(CODES)
