"""Generate the files in ``templates/``: blank workbooks and the schema's contract tables.

Run ``python -m evaluation.workbook.export templates`` after changing the schema content.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from evaluation.registers.indicators import register_indicators
from evaluation.safe_io import atomic_write, output_folder, spreadsheet_safe
from evaluation.schema import LANGS, Schema, load_schema
from evaluation.workbook.writer import write_template

#: Pilot name written into the blank example workbooks.
EXAMPLE_PILOT = "Kokeilu / Försök / Pilot"


def field_contract(schema: Schema) -> pd.DataFrame:
    """Every field with its type, required flag, codes and range (one row per field)."""
    table = schema.field_table()
    table["codes"] = table["codes"].map(lambda c: "|".join(c))
    return table


def indicator_dictionary(schema: Schema) -> pd.DataFrame:
    """The indicator dictionary in all three languages (one row per indicator).

    The workbook's indicators first, then the register-based ones
    (:func:`evaluation.registers.indicators.register_indicators`: ``compute`` is
    ``register`` and ``table`` the function computing them); ``seed_source`` names the seed
    line each answers.
    """
    rows = []
    for ind in schema.indicators:
        row: dict[str, object] = {"id": ind.id, "domain": ind.domain, "unit": ind.unit}
        for lang in LANGS:
            row[f"name_{lang}"] = ind.name(lang)
            row[f"definition_{lang}"] = ind.definition(lang)
        row["disaggregations"] = "|".join(ind.disaggregations)
        row["compute"] = ind.compute.kind
        row["table"] = ind.compute.table
        row["esf_plus"] = "|".join(f"{m.code}:{m.relation}" for m in ind.esf_plus)
        row["seed_source"] = ind.seed_source
        rows.append(row)
    for reg in register_indicators():
        row = {"id": reg.id, "domain": reg.domain, "unit": reg.unit}
        for lang in LANGS:
            row[f"name_{lang}"] = reg.name(lang)
            row[f"definition_{lang}"] = reg.definition(lang)
        row.update(
            disaggregations="", compute="register", table=reg.function, esf_plus="",
            seed_source=reg.seed_source,
        )  # fmt: skip
        rows.append(row)
    return pd.DataFrame(rows)


def export_templates(folder: str | Path) -> list[Path]:
    """Write the blank workbooks (fi, sv, en) and the contract CSVs into ``folder``."""
    out = output_folder(folder, where="folder")
    schema = load_schema()
    paths = [
        write_template(out / f"self_evaluation_{lang}.xlsx", pilot=EXAMPLE_PILOT, lang=lang)
        for lang in LANGS
    ]
    for name, frame in (
        ("field_contract.csv", field_contract(schema)),
        ("indicator_dictionary.csv", indicator_dictionary(schema)),
    ):
        path = out / name
        safe = frame.map(spreadsheet_safe)  # no cell a spreadsheet would run as a formula
        with atomic_write(path) as tmp:
            safe.to_csv(tmp, index=False, lineterminator="\n")
        paths.append(path)
    return paths


if __name__ == "__main__":
    for p in export_templates(sys.argv[1] if len(sys.argv) > 1 else "templates"):
        print(p)
