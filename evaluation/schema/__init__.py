"""The self-evaluation schema: the single source of truth of the common template.

Sections, fields, code lists, the shared indicator dictionary and self-assessment
instruments, with labels in Finnish, Swedish and English. The content is YAML in
``evaluation/schema/content``; :func:`load_schema` parses it into frozen typed models.
"""

from __future__ import annotations

from evaluation.schema.load import (
    CONTENT_DIR,
    OLDEST_READABLE,
    SCHEMA_VERSION,
    build_schema,
    load_schema,
)
from evaluation.schema.model import (
    LANGS,
    Code,
    CodeList,
    Compute,
    Condition,
    FieldSpec,
    Indicator,
    Instrument,
    InstrumentItem,
    Lang,
    Schema,
    Score,
    Section,
    Text,
    version_key,
)

__all__ = [
    "CONTENT_DIR",
    "LANGS",
    "OLDEST_READABLE",
    "SCHEMA_VERSION",
    "Code",
    "CodeList",
    "Compute",
    "Condition",
    "FieldSpec",
    "Indicator",
    "Instrument",
    "InstrumentItem",
    "Lang",
    "Schema",
    "Score",
    "Section",
    "Text",
    "build_schema",
    "load_schema",
    "version_key",
]
