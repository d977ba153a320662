"""The generated files in templates/ are up to date with the schema."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from evaluation.schema import load_schema
from evaluation.workbook.export import export_templates, field_contract, indicator_dictionary

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def test_checked_in_contracts_are_fresh() -> None:
    schema = load_schema()
    for name, frame in (
        ("field_contract.csv", field_contract(schema)),
        ("indicator_dictionary.csv", indicator_dictionary(schema)),
    ):
        stored = (TEMPLATES / name).read_text(encoding="utf-8")
        assert stored == frame.to_csv(index=False, lineterminator="\n"), (
            f"templates/{name} is stale: run python -m evaluation.workbook.export templates"
        )


def test_export_writes_workbooks_and_tables(tmp_path: Path) -> None:
    paths = export_templates(tmp_path)
    assert sorted(p.name for p in paths) == [
        "field_contract.csv",
        "indicator_dictionary.csv",
        "self_evaluation_en.xlsx",
        "self_evaluation_fi.xlsx",
        "self_evaluation_sv.xlsx",
    ]
    contract = pd.read_csv(tmp_path / "field_contract.csv")
    assert len(contract) == len(load_schema().field_table())
