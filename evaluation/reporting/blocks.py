"""Markdown building blocks for report documents.

Every helper returns a markdown string; a report cell prints it under ``#| output: asis``.
Quarto and the built-in renderer treat such output identically, so a document looks the
same on both paths. Figures are written as SVG files into the figure folder (the
environment variable ``PILOT_EVAL_FIGURE_DIR``, set by the renderer; otherwise a
``figures`` folder in the working directory) and linked by path.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from evaluation.reporting.disclosure import assert_no_identifiers

FIGURE_DIR_ENV = "PILOT_EVAL_FIGURE_DIR"
#: Prefix of figure links in the markdown (the renderer links relative to its build folder).
FIGURE_LINK_ENV = "PILOT_EVAL_FIGURE_LINK"
_counter: dict[str, int] = {}


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


_NUMERIC_TEXT = re.compile(r"^[-−+]?[\d\u202f ,.]+%?$|^<\d+$|^\*$|^–$|^$")


def _looks_numeric(col: pd.Series) -> bool:
    """Numbers, or strings that are formatted numbers and suppression markers."""
    if pd.api.types.is_numeric_dtype(col):
        return True
    values = [str(v).strip() for v in col.tolist()]
    return any(values) and all(_NUMERIC_TEXT.match(v) for v in values)


def show_table(
    frame: pd.DataFrame,
    *,
    caption: str | None = None,
    align: Sequence[str] | None = None,
    where: str = "report table",
) -> str:
    """A pipe table of ``frame`` (index dropped) with an optional caption.

    The frame is checked with :func:`assert_no_identifiers` first, so a table with a
    person id column or an identity code never reaches a report.
    """
    assert_no_identifiers(frame, where=where)
    cols = [str(c) for c in frame.columns]
    if align is None:
        align = ["r" if _looks_numeric(frame[c]) else "l" for c in frame.columns]
    rule = {"l": ":---", "r": "---:", "c": ":---:"}
    lines = [
        "| " + " | ".join(_cell(c) for c in cols) + " |",
        "|" + "|".join(rule.get(a, "---") for a in align) + "|",
    ]
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join(_cell(v) for v in row) + " |")
    out = "\n".join(lines)
    if caption:
        out += f"\n\n: {caption}"
    return "\n" + out + "\n"


def figure_dir() -> Path:
    """The folder figures are written to (created when missing)."""
    folder = Path(os.environ.get(FIGURE_DIR_ENV, "figures"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "figure"


def show_figure(fig: Figure, *, caption: str, name: str | None = None) -> str:
    """Save ``fig`` as SVG into :func:`figure_dir` and return a markdown image with caption."""
    folder = figure_dir()
    base = _slug(name or caption)[:40]
    _counter[base] = _counter.get(base, 0) + 1
    path = folder / f"{base}-{_counter[base]}.svg"
    fig.savefig(path, format="svg", metadata={"Date": None}, bbox_inches="tight")
    prefix = os.environ.get(FIGURE_LINK_ENV)
    link = f"{prefix}/{path.name}" if prefix else path.as_posix()
    return f"\n![{caption}]({link}){{width=100%}}\n"


def heading(text: str, level: int = 2) -> str:
    """A markdown heading."""
    return f"\n{'#' * level} {text}\n"


def paragraph(text: str) -> str:
    """A paragraph (checked for identifiers)."""
    assert_no_identifiers(text, where="report text")
    return f"\n{text}\n"


def bullets(items: Sequence[str]) -> str:
    """A bullet list."""
    return "\n" + "\n".join(f"- {it}" for it in items) + "\n"
