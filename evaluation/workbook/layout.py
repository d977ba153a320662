"""Where things are in a generated workbook: shared by the writer and the reader.

Every sheet has a hidden key column A whose cell A1 holds the section id (so a renamed
sheet is still recognised) and a hidden row 3 holding the field ids of the columns (so a
moved column is detected). Titles are in row 1, instructions in row 2, headers in row 4
and data from row 5. Forms hold one question per row: the field id in A, the question in
B, the answer in C and guidance in D.
"""

from __future__ import annotations

from typing import Final

from evaluation.schema import Lang, Schema, Section

TITLE_ROW: Final = 1
INSTRUCTIONS_ROW: Final = 2
IDS_ROW: Final = 3
HEADER_ROW: Final = 4
FIRST_ROW: Final = 5
KEY_COL: Final = 1  # column A
FORM_QUESTION_COL: Final = 2
FORM_ANSWER_COL: Final = 3
FORM_GUIDANCE_COL: Final = 4
#: Indicator sheet: column of the whole-pilot value (C, on the dictionary rows and in the
#: by-group blocks) and of the first group level in a block (E: after the name, the
#: whole-pilot value and the unit).
INDICATOR_VALUE_COL: Final = 3
GROUP_LEVEL_COL: Final = 5

#: Keys (cell A1) of the non-section sheets.
INSTRUCTIONS_KEY: Final = "_instructions"
LISTS_SHEET: Final = "_lists"
META_SHEET: Final = "_meta"
#: Field id of the locked row-label column of fixed-row tables.
ROW_KEY: Final = "row"

FORM_IDS: Final = ("question", "answer", "guidance")


def table_columns(section: Section) -> tuple[str, ...]:
    """Ids of the columns B, C, ... of a table section (row label and attributes first)."""
    fixed = (ROW_KEY, *section.row_attrs) if section.rows_from else ()
    return (*fixed, *section.field_ids)


def first_data_col(section: Section) -> int:
    """Column number of the first editable column of a table section."""
    return 2 + (1 + len(section.row_attrs) if section.rows_from else 0)


def column_header(schema: Schema, section: Section, column: str, lang: Lang) -> str:
    """The header a person sees above a column (``column``: an id of :func:`table_columns`
    or :data:`FORM_IDS`), without the required mark and help line the writer adds."""
    if column in FORM_IDS:
        return schema.text(column, lang)
    if column == ROW_KEY:
        return section.row_label(lang) if section.row_label else ""
    if column in section.row_attrs:
        return schema.codelist(column).label(lang)
    return section.field(column).label(lang)
