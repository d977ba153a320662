"""Markdown building blocks for report documents.

Every helper returns :class:`Markdown`; a report cell prints it under ``#| output: asis``.
Quarto and the built-in renderer treat such output identically, so a document looks the
same on both paths. Figures are written as SVG files into the figure folder (the
environment variable ``PILOT_EVAL_FIGURE_DIR``, set by the renderer; otherwise a
``figures`` folder in the working directory) and linked by path.

Nothing from input is markup
    Every text a block receives (table cells and column names, captions, paragraphs,
    bullets, headings: pilot names, workbook free text, plan titles, translated sentences
    filled with such values) goes through :func:`escape_markdown`, which backslash-escapes
    every ASCII punctuation character. Pandoc reads an escaped character as itself, so
    no raw HTML, raw attribute (``{=html}``, ``{=typst}``), link, image, code span,
    emphasis, math, citation or shortcode can come from input; the escaping lives in the
    document's text, so it holds on the Quarto path too. The toolkit's own markup is a
    :class:`Markdown` value (made by :func:`emphasis`, :func:`small` and the blocks
    themselves), which the blocks pass on as it is.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from evaluation.reporting.disclosure import assert_no_identifiers
from evaluation.safe_io import atomic_write, output_folder

FIGURE_DIR_ENV = "PILOT_EVAL_FIGURE_DIR"
#: Prefix of figure links in the markdown (the renderer links relative to its build folder).
FIGURE_LINK_ENV = "PILOT_EVAL_FIGURE_LINK"
#: Names of the figure files :func:`show_figure` writes (the renderer embeds only these).
FIGURE_NAME = re.compile(r"^[a-z0-9-]+-[0-9]+\.svg$")
#: Class of the small print span made by :func:`small` (styled in ``assets/report.css``).
SMALL_CLASS = "small"

_counter: dict[str, int] = {}
#: Every ASCII punctuation character: pandoc's markdown reads each one literally after ``\``.
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
#: Whitespace holding a line break (a break would end a table row, list item or paragraph).
_LINE_BREAK = re.compile(r"\s*[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]\s*")
#: Between two braces: Quarto reads ``{{<`` as a shortcode even after pandoc's escapes.
_DOUBLE_BRACE = re.compile(r"(?<=\{)(?=\{)|(?<=\})(?=\})")
#: Invisible character that keeps two braces apart (U+2060 WORD JOINER).
BRACE_BREAK = "\u2060"


class Markdown(str):
    """Markdown written by the toolkit itself; the blocks pass it on unescaped.

    Never wrap input text in it: build it with :func:`escape_markdown`, :func:`emphasis`,
    :func:`small` or the blocks.
    """

    __slots__ = ()


def escape_markdown(text: object) -> Markdown:
    """``text`` as pandoc markdown that shows exactly its characters.

    Every ASCII punctuation character gets a backslash (pandoc reads ``\\<`` as ``<``,
    ``\\[`` as ``[``, and so on) and line breaks become spaces, so input can open no
    block, tag, link, image, code span, raw attribute, entity or emphasis. Two braces in
    a row are kept apart by :data:`BRACE_BREAK` (no Quarto shortcode ``{{< ... >}}``). A
    :class:`Markdown` value (the toolkit's own markup) is returned unchanged; ``None`` is
    the empty text.
    """
    if isinstance(text, Markdown):
        return text
    plain = _DOUBLE_BRACE.sub(BRACE_BREAK, _LINE_BREAK.sub(" ", "" if text is None else str(text)))
    return Markdown(_PUNCTUATION.sub(r"\\\1", plain))


def figure_text(text: object) -> str:
    """``text`` for a matplotlib label: ``$`` escaped, so input is never mathtext."""
    return str(text).replace("$", r"\$")


def emphasis(text: object) -> Markdown:
    """``text`` (escaped) in italics."""
    inner = escape_markdown(text).strip()
    return Markdown(f"*{inner}*") if inner else Markdown("")


def small(text: object) -> Markdown:
    """``text`` (escaped) as small print (a span of class :data:`SMALL_CLASS`)."""
    return Markdown(f"[{escape_markdown(text).strip()}]{{.{SMALL_CLASS}}}")


def _cell(value: object) -> str:
    return escape_markdown(value).strip()


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
) -> Markdown:
    """A pipe table of ``frame`` (index dropped) with an optional caption.

    The frame is checked with :func:`assert_no_identifiers` first, so a table with a
    person id column or an identity code never reaches a report. Column names, cells
    and the caption are escaped (:func:`escape_markdown`).
    """
    assert_no_identifiers(frame, where=where)
    if caption:
        assert_no_identifiers(str(caption), where=where)
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
        out += f"\n\n: {_cell(caption)}"
    return Markdown("\n" + out + "\n")


def figure_dir() -> Path:
    """The folder figures are written to (created when missing; never a symlink)."""
    return output_folder(os.environ.get(FIGURE_DIR_ENV, "figures"), where="figure folder")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "figure"


def show_figure(
    fig: Figure, *, caption: str, name: str | None = None, alt: str | None = None
) -> Markdown:
    """Save ``fig`` as SVG into :func:`figure_dir` and return a markdown image with caption.

    ``alt`` is what the figure shows, in words (the finding, for readers who do not see
    the image); without it the caption is the alt text.
    """
    assert_no_identifiers(str(caption), where="figure caption")
    assert_no_identifiers(str(alt or ""), where="figure alt text")
    folder = figure_dir()
    base = _slug(name or caption)[:40]
    _counter[base] = _counter.get(base, 0) + 1
    path = folder / f"{base}-{_counter[base]}.svg"
    with atomic_write(path, where="report figure") as tmp:
        fig.savefig(tmp, format="svg", metadata={"Date": None}, bbox_inches="tight")
    prefix = os.environ.get(FIGURE_LINK_ENV)
    link = f"{prefix}/{path.name}" if prefix else path.as_posix()
    alt_attr = f' alt="{_attr(alt)}"' if alt else ""
    return Markdown(f"\n![{_cell(caption)}]({link}){{width=100%{alt_attr}}}\n")


def _attr(text: str) -> str:
    """Text for a quoted markdown attribute value (no quote or backslash breaks out)."""
    return " ".join(str(text).replace("\\", " ").replace('"', "'").split())


def heading(text: str, level: int = 2) -> Markdown:
    """A markdown heading (escaped)."""
    assert_no_identifiers(str(text), where="report heading")
    return Markdown(f"\n{'#' * level} {_cell(text)}\n")


def paragraph(text: str) -> Markdown:
    """A paragraph (checked for identifiers, escaped)."""
    assert_no_identifiers(str(text), where="report text")
    return Markdown(f"\n{_cell(text)}\n")


def bullets(items: Sequence[str]) -> Markdown:
    """A bullet list (each item checked for identifiers and escaped)."""
    for it in items:
        assert_no_identifiers(str(it), where="report list")
    return Markdown("\n" + "\n".join(f"- {_cell(it)}" for it in items) + "\n")


def code_block(text: str, language: str = "") -> Markdown:
    """``text`` verbatim in a fenced code block (the fence is longer than any run of
    backticks in ``text``, so the text cannot close it)."""
    runs = [len(m) for m in re.findall(r"`+", text)]
    fence = "`" * max(3, max(runs, default=0) + 1)
    return Markdown(f"\n{fence}{language}\n{text}\n{fence}\n")


__all__ = [
    "BRACE_BREAK",
    "FIGURE_DIR_ENV",
    "FIGURE_LINK_ENV",
    "FIGURE_NAME",
    "SMALL_CLASS",
    "Markdown",
    "bullets",
    "code_block",
    "emphasis",
    "escape_markdown",
    "figure_dir",
    "figure_text",
    "heading",
    "paragraph",
    "show_figure",
    "show_table",
    "small",
]
