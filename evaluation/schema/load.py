"""Loading the schema content (YAML) into the typed :class:`~evaluation.schema.model.Schema`."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from evaluation.errors import SchemaError
from evaluation.schema.model import Schema

#: Folder of the schema's YAML content (shipped inside the package).
CONTENT_DIR = Path(__file__).with_name("content")
#: Version of the schema; written into every workbook.
SCHEMA_VERSION = "1.2"
#: The oldest template version still read as it is: the sheets, columns and fixed rows added
#: later (``since`` in the content) are left out and a note names them.
OLDEST_READABLE = "1.1"


def _read(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    except (OSError, yaml.YAMLError) as exc:
        raise SchemaError(
            f"cannot read schema content: {exc}", where=str(path), fix="correct the YAML file"
        ) from exc


def _expand_instrument(section: dict[str, Any], instruments: list[dict[str, Any]]) -> None:
    """Append the items of the section's instrument as integer fields."""
    inst_id = section.get("instrument")
    if not inst_id:
        return
    inst = next((i for i in instruments if i["id"] == inst_id), None)
    if inst is None:
        raise SchemaError(
            f"section {section['id']!r} names unknown instrument {inst_id!r}",
            where=str(CONTENT_DIR / "sections.yaml"),
            fix="add the instrument to instruments.yaml or correct the name",
        )
    for item in inst["items"]:
        section.setdefault("fields", []).append(
            {
                "id": item["id"],
                "type": "integer",
                "min": item["min"],
                "max": item["max"],
                "label": item["label"],
                "width": 14,
                **({"since": item["since"]} if "since" in item else {}),
            }
        )


def build_schema(content_dir: Path = CONTENT_DIR) -> Schema:
    """Parse and check the schema content in ``content_dir``.

    Raises
    ------
    SchemaError
        If a file is unreadable or the content is inconsistent.
    """
    codes = _read(content_dir / "codes.yaml")
    codes.update(_read(content_dir / "criteria.yaml"))
    codes.update(_read(content_dir / "process_codes.yaml"))
    sections = _read(content_dir / "sections.yaml")
    indicators = _read(content_dir / "indicators.yaml")
    instruments = _read(content_dir / "instruments.yaml")
    messages = _read(content_dir / "messages.yaml")
    for sec in sections:
        _expand_instrument(sec, instruments)
    raw = {
        "version": SCHEMA_VERSION,
        "ui": messages["ui"],
        "messages": messages["messages"],
        "codelists": {k: {"id": k, **v} for k, v in codes.items()},
        "sections": sections,
        "indicators": indicators,
        "instruments": instruments,
    }
    try:
        return Schema.model_validate(raw)
    except ValidationError as exc:
        raise SchemaError(
            f"schema content does not match the model: {exc}",
            where=str(content_dir),
            fix="correct the YAML files",
        ) from exc


@cache
def load_schema() -> Schema:
    """The shipped schema (parsed once and cached; the result is immutable)."""
    return build_schema()


__all__ = ["CONTENT_DIR", "OLDEST_READABLE", "SCHEMA_VERSION", "build_schema", "load_schema"]
