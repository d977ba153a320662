"""Pandoc as the built-in renderer runs it: no raw markup in, nothing fetched, a safe AST.

The report markdown is read into pandoc's JSON AST with :data:`READER` (raw HTML, raw
attributes, raw TeX and YAML blocks switched off: the toolkit's own markup needs none of
them), made safe by :func:`sanitise` and written with ``--sandbox`` (pandoc then reads no
file and fetches no URL). :func:`sanitise` is the second line of defence behind
:func:`evaluation.reporting.blocks.escape_markdown`:

* a raw block or raw inline left in the AST becomes a code block or code span (its text
  shown, never run);
* an image is kept only when it is one of the toolkit's own figures in the build folder
  (:func:`figure_targets`); in HTML its file is embedded by the toolkit itself as a
  ``data:`` URI. Any other image becomes its caption text;
* a link is kept only when it points into the page (``#...``); others become their text;
* attributes keep their id and classes and only ``width``/``height`` sizes.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from evaluation.errors import ReportError
from evaluation.reporting.blocks import FIGURE_NAME

#: Pandoc reader of report markdown: no raw HTML, raw attributes, raw TeX or YAML blocks.
READER = "markdown-raw_html-raw_attribute-raw_tex-yaml_metadata_block"
#: Options of every pandoc run: read no file and fetch no URL while converting.
SANDBOX = ("--sandbox",)
#: Attributes kept on elements (sizes of the toolkit's figures).
SIZE_ATTRIBUTES = frozenset({"width", "height"})

_SIZE = re.compile(r"^[0-9]+(\.[0-9]+)?(%|px|em|cm|mm|in)?$")
_EMPTY_ATTR: list[Any] = ["", [], []]
_BLOCKS = frozenset(
    {
        "Plain",
        "Para",
        "LineBlock",
        "CodeBlock",
        "RawBlock",
        "BlockQuote",
        "OrderedList",
        "BulletList",
        "DefinitionList",
        "Header",
        "HorizontalRule",
        "Table",
        "Figure",
        "Div",
    }
)
_IMAGE_TYPES = {".svg": "image/svg+xml", ".png": "image/png"}


def run_pandoc(
    text: str, to: str, build_dir: Path, extra: list[str], *, source: str = READER
) -> str:
    """Convert ``text`` (format ``source``) to ``to`` in a pandoc sandbox."""
    try:
        import pypandoc  # type: ignore[import-untyped]
    except ImportError as exc:  # pragma: no cover - dependency missing
        raise ReportError(
            "pandoc is not available",
            where="report rendering",
            fix="pip install pypandoc-binary (or install quarto)",
        ) from exc
    try:
        return str(
            pypandoc.convert_text(
                text,
                to,
                format=source,
                extra_args=[*SANDBOX, *extra],
                cworkdir=str(build_dir),
            )
        )
    except (RuntimeError, OSError) as exc:
        raise ReportError(
            f"pandoc failed to convert the report to {to}: {str(exc).strip()[:500]}",
            where="report rendering (pandoc)",
            fix="check the markdown the document produces (run with --debug)",
        ) from exc


def read_markdown(md: str, build_dir: Path) -> dict[str, Any]:
    """The pandoc JSON AST of report markdown (read with :data:`READER`)."""
    ast: dict[str, Any] = json.loads(run_pandoc(md, "json", build_dir, []))
    return ast


def write_ast(ast: Mapping[str, Any], to: str, build_dir: Path, extra: list[str]) -> str:
    """Write a (sanitised) AST as ``to`` (``html5``, ``typst``) in a pandoc sandbox."""
    return run_pandoc(json.dumps(ast), to, build_dir, extra, source="json")


def figure_targets(build_dir: Path, *, embed: bool) -> dict[str, str]:
    """The toolkit's figures of a build folder: link in the markdown -> link to write.

    Only regular files (not symlinks) named as :func:`~evaluation.reporting.blocks.
    show_figure` names them, in ``build_dir / "figures"``, count. With ``embed`` the link
    written is a ``data:`` URI of the file's bytes (HTML), else the same relative path
    (typst, which reads files only under the build folder).
    """
    folder = build_dir / "figures"
    out: dict[str, str] = {}
    if not folder.is_dir() or folder.is_symlink():
        return out
    for path in sorted(folder.iterdir()):
        if path.is_symlink() or not path.is_file() or not FIGURE_NAME.match(path.name):
            continue
        link = f"figures/{path.name}"
        if embed:
            data = base64.b64encode(path.read_bytes()).decode("ascii")
            out[link] = f"data:{_IMAGE_TYPES[path.suffix]};base64,{data}"
        else:
            out[link] = link
    return out


def _is_attr(node: list[Any]) -> bool:
    return (
        len(node) == 3
        and isinstance(node[0], str)
        and isinstance(node[1], list)
        and all(isinstance(c, str) for c in node[1])
        and isinstance(node[2], list)
        and all(
            isinstance(kv, list) and len(kv) == 2 and all(isinstance(x, str) for x in kv)
            for kv in node[2]
        )
    )


def _safe_attr(attr: list[Any]) -> list[Any]:
    keep = [
        [k, v] for k, v in attr[2] if (k in SIZE_ATTRIBUTES and _SIZE.match(v)) or k == "alt"
    ]  # alt is plain text: pandoc escapes it in every output
    return [attr[0], list(attr[1]), keep]


def _sanitise(node: Any, figures: Mapping[str, str]) -> Any:
    if isinstance(node, list):
        if _is_attr(node):
            return _safe_attr(node)
        return [_sanitise(x, figures) for x in node]
    if not isinstance(node, dict):
        return node
    kind: Any = node.get("t")
    content: Any = node.get("c")
    if kind == "RawInline":
        return {"t": "Code", "c": [_EMPTY_ATTR, str(content[1])]}
    if kind == "RawBlock":
        return {"t": "CodeBlock", "c": [_EMPTY_ATTR, str(content[1])]}
    if kind in ("Image", "Link"):
        attr, inlines, (url, title) = content
        text = _sanitise(inlines, figures)
        if kind == "Image" and url in figures:
            return {"t": "Image", "c": [_safe_attr(attr), text, [figures[url], str(title)]]}
        if kind == "Link" and str(url).startswith("#"):
            return {"t": "Link", "c": [_safe_attr(attr), text, [str(url), str(title)]]}
        return {"t": "Span", "c": [_EMPTY_ATTR, text]}
    return {k: _sanitise(v, figures) for k, v in node.items()}


def sanitise(ast: Mapping[str, Any], figures: Mapping[str, str]) -> dict[str, Any]:
    """A copy of ``ast`` that can run, load and style nothing (see the module docstring).

    Parameters
    ----------
    ast:
        Pandoc JSON AST (:func:`read_markdown`).
    figures:
        Image links that are the toolkit's own figures, and what to write for each
        (:func:`figure_targets`); every other image is dropped.
    """
    return {
        "pandoc-api-version": ast["pandoc-api-version"],
        "meta": {},
        "blocks": _sanitise(ast["blocks"], figures),
    }


def plain_text(ast: Mapping[str, Any]) -> str:
    """The text of an AST as a reader sees it (escapes resolved, one block a line).

    Image targets are left out (the figures' bytes are not text); link targets are in.
    """
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for x in node:
                walk(x)
            return
        if not isinstance(node, dict):
            return
        kind: Any = node.get("t")
        content: Any = node.get("c")
        if kind == "Str":
            out.append(str(content))
        elif kind == "Space":
            out.append(" ")
        elif kind in ("SoftBreak", "LineBreak"):
            out.append("\n")
        elif kind in ("Code", "CodeBlock", "RawInline", "RawBlock", "Math"):
            out.append(f"\n{content[1]}\n")
        elif kind in ("Image", "Link"):
            walk(content[1])
            out.append("\n" if kind == "Image" else f"\n{content[2][0]}\n")
        else:
            walk(content)
            if kind in _BLOCKS:
                out.append("\n")

    walk(ast.get("blocks", []))
    return "".join(out)


def first_heading(ast: Mapping[str, Any]) -> str | None:
    """Plain text of the first level-1 heading (the page title), if any."""
    for block in ast.get("blocks", []):
        if block.get("t") == "Header" and block["c"][0] == 1:
            text = plain_text({"blocks": [{"t": "Plain", "c": block["c"][2]}]}).strip()
            return text or None
    return None


__all__ = [
    "READER",
    "SANDBOX",
    "SIZE_ATTRIBUTES",
    "figure_targets",
    "first_heading",
    "plain_text",
    "read_markdown",
    "run_pandoc",
    "sanitise",
    "write_ast",
]
