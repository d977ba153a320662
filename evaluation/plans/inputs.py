"""Inputs of a plan run: read (or generate) the register data, check, order and hash them.

The tidy results must not depend on the row order of the inputs, so every frame is put in
a canonical order (:func:`canonical`) and hashed (:func:`evaluation.provenance.frame_sha256`)
for the manifest; files are hashed as read (:func:`evaluation.provenance.file_sha256`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from evaluation.errors import InputDataError, OptionError
from evaluation.plans.model import Plan
from evaluation.provenance import file_sha256, frame_sha256
from evaluation.registers import SPELL_COLUMNS
from evaluation.registers.ids import normalise_ids
from evaluation.registers.intake import (
    check_text_file,
    csv_header,
    missing_column_error,
    refuse_codes_in_path,
)
from evaluation.registers.panel import PARTICIPANT_INPUT_COLUMNS
from evaluation.registers.screening import refuse_identity_codes_in_frame
from evaluation.synthetic import SyntheticRegisters, generate_registers

__all__ = [
    "MATCHING_PERSON_COLUMNS",
    "REQUIRED_COLUMNS",
    "Inputs",
    "canonical",
    "load_inputs",
    "make_inputs",
    "synthetic_inputs",
]


@dataclass(frozen=True)
class Inputs:
    """Register inputs of a run, in canonical row order."""

    spells: pd.DataFrame
    participants: pd.DataFrame
    persons: pd.DataFrame
    start: str
    end: str
    hashes: dict[str, str]


#: Columns every plan needs in each data file (more for some designs: :func:`required`).
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "spells": SPELL_COLUMNS,
    "participants": PARTICIPANT_INPUT_COLUMNS,
    "persons": ("person_id", "birth_year"),
}
#: Person columns the matching designs build covariates from.
MATCHING_PERSON_COLUMNS = (
    "sex",
    "education",
    "mother_tongue",
    "partial_work_ability",
    "disability",
)
#: Date columns of each data file.
_DATES: dict[str, tuple[str, ...]] = {
    "spells": ("start", "end"),
    "participants": ("entry_date", "exit_date"),
    "persons": (),
}


def required(plan: Plan, name: str) -> tuple[str, ...]:
    """Columns the plan needs in data file ``name``."""
    need = REQUIRED_COLUMNS[name]
    if name == "persons" and plan.population.comparison == "pilot_regions":
        need = (*need, "region")
    if name == "persons" and plan.design.kind != "staggered_did":
        need = (*need, *MATCHING_PERSON_COLUMNS)
    return need


def canonical(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Sort by ``keys`` (stable, missing last) so results do not depend on input row order."""
    return frame.sort_values(keys, kind="mergesort", na_position="last", ignore_index=True)


def _read_file(path: Path) -> pd.DataFrame:
    where = path.name
    refuse_codes_in_path(path, where=where)
    if not path.is_file():
        raise InputDataError(
            "data file not found", where=str(path), fix="correct the path under data.files"
        )
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            return pd.read_parquet(path)
        if suffix == ".csv":
            check_text_file(path, where=where)
            delimiter, _names = csv_header(path, where=where)
            return pd.read_csv(path, sep=delimiter, dtype={"person_id": "string"})
    except (pd.errors.ParserError, ValueError, OSError) as exc:
        raise InputDataError(
            f"cannot be read as a {suffix[1:]} table ({type(exc).__name__})",
            where=where,
            fix="export the table again (CSV: UTF-8 with a header line; or parquet)",
        ) from None
    raise InputDataError(
        f"unsupported file type {path.suffix!r}",
        where=str(path),
        fix="give a .csv or .parquet file",
    )


def _read_table(path: Path, dates: tuple[str, ...], need: tuple[str, ...]) -> pd.DataFrame:
    """A data file, checked: no identity codes, the needed columns, normalised ids."""
    frame = _read_file(path)
    frame.columns = [str(c) for c in frame.columns]
    refuse_identity_codes_in_frame(frame, source=path.name)
    missing = [c for c in need if c not in frame.columns]
    if missing:
        raise missing_column_error(missing, where=path.name, available=list(frame.columns))
    frame["person_id"] = normalise_ids(frame["person_id"])
    for col in dates:
        if col in frame.columns:
            try:
                frame[col] = pd.to_datetime(frame[col])
            except (ValueError, TypeError):
                raise InputDataError(
                    f"column {col!r} holds values that are not dates",
                    where=path.name,
                    fix="write dates like 2021-03-15",
                ) from None
    return frame


def make_inputs(
    spells: pd.DataFrame,
    participants: pd.DataFrame,
    persons: pd.DataFrame,
    start: str,
    end: str,
    hashes: dict[str, str],
) -> Inputs:
    """Inputs in canonical row order, with their content hashes added to ``hashes``."""
    spells = canonical(spells, [c for c in ("person_id", "start", "code", "end") if c in spells])
    participants = canonical(participants, ["person_id"])
    persons = canonical(persons, ["person_id"])
    for name, frame in (("spells", spells), ("participants", participants), ("persons", persons)):
        hashes[f"{name}_content_sha256"] = frame_sha256(frame)
    return Inputs(spells, participants, persons, start, end, hashes)


def synthetic_inputs(data: SyntheticRegisters, hashes: dict[str, str]) -> Inputs:
    """The inputs of a synthetic extract (its whole window)."""
    start, end = f"{data.months[0]:%Y-%m}", f"{data.months[-1]:%Y-%m}"
    return make_inputs(data.spells, data.participants, data.persons, start, end, hashes)


def _file_inputs(plan: Plan, plan_dir: Path) -> Inputs:
    files = plan.data.files
    if files is None:  # excluded by the model; kept for the type checker
        raise OptionError("no data source", where="data", fix="add data.files")
    paths = {
        "spells": plan_dir / files.spells,
        "participants": plan_dir / files.participants,
        "persons": plan_dir / files.persons,
    }
    hashes = {f"{n}_file_sha256": file_sha256(p) for n, p in paths.items() if p.is_file()}
    frames = {n: _read_table(p, _DATES[n], required(plan, n)) for n, p in paths.items()}
    return make_inputs(frames["spells"], frames["participants"], frames["persons"], "", "", hashes)


def load_inputs(plan: Plan, plan_dir: Path) -> Inputs:
    """Generate the synthetic extract or read the register files of the plan (the plan's
    ``data.window``, when given, sets the panel window)."""
    if plan.data.synthetic is not None:
        syn = plan.data.synthetic
        inputs = synthetic_inputs(generate_registers(persons=syn.persons, seed=syn.seed), {})
    else:
        inputs = _file_inputs(plan, plan_dir)
    if plan.data.window is None:
        return inputs
    window = plan.data.window
    return Inputs(
        inputs.spells,
        inputs.participants,
        inputs.persons,
        window.start,
        window.end,
        inputs.hashes,
    )
