"""Render a parameterised Quarto document (``reports/*.qmd``) to HTML or PDF.

Two paths give the same content:

``quarto``
    Where the ``quarto`` CLI is on PATH, ``quarto render`` runs with each parameter as
    ``-P name:value`` (HTML with ``embed-resources``; PDF through Quarto's typst format).
    This path cannot be exercised on machines without Quarto (such as the CI machine);
    the command line it builds is unit-tested.

``builtin``
    Otherwise the toolkit renders the document itself: it reads the YAML front matter,
    runs the ``{python}`` cells in order in one namespace (the parameters injected right
    after the cell tagged ``parameters``, as Quarto does), honours the cell options
    ``echo``, ``output`` (``true``/``false``/``asis``), ``include``, ``eval`` and
    ``fig-cap``, evaluates inline ``{python} expr`` code (its value escaped, unless it is
    :class:`~evaluation.reporting.blocks.Markdown`), and embeds matplotlib figures. The
    markdown is converted with pandoc (from the ``pypandoc-binary`` wheel, see
    :mod:`evaluation.reporting.pandoc`): read without raw HTML, raw attributes or raw
    TeX, its AST made safe, and written in pandoc's ``--sandbox`` (it reads and fetches
    nothing) to one self-contained HTML file (the toolkit's CSS in a ``<style>`` element,
    its figures embedded by the toolkit as ``data:`` URIs), or to typst markup compiled
    to PDF with the ``typst`` wheel (which reads files only inside the build folder).

Input text is escaped where the document prints it
(:func:`evaluation.reporting.blocks.escape_markdown`), so both paths read the same safe
text. Before conversion the whole report text is checked for person identifiers
(:func:`evaluation.reporting.disclosure.assert_no_identifiers`). Output files are written
atomically and never through a symlink (:mod:`evaluation.safe_io`).
"""

from __future__ import annotations

import ast
import contextlib
import io
import os
import re
import shutil
import subprocess
import tempfile
import traceback
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

import pandas as pd
import yaml
from matplotlib.figure import Figure

from evaluation.errors import OptionError, ReportError
from evaluation.reporting.blocks import (
    FIGURE_DIR_ENV,
    FIGURE_LINK_ENV,
    code_block,
    escape_markdown,
    show_figure,
    show_table,
)
from evaluation.reporting.disclosure import DEFAULT_THRESHOLD, assert_no_identifiers
from evaluation.reporting.i18n import check_language
from evaluation.reporting.ledger import build_ledger
from evaluation.reporting.pandoc import (
    figure_targets,
    first_heading,
    plain_text,
    read_markdown,
    sanitise,
    write_ast,
)
from evaluation.safe_io import output_folder, write_bytes, write_text

Format = Literal["html", "pdf"]
Engine = Literal["auto", "quarto", "builtin"]
CSS_PATH = Path(__file__).with_name("assets") / "report.css"

_FENCE_OPEN = re.compile(r"^```+\s*\{python(?:[\s,][^}]*)?\}\s*$")
_FENCE_CLOSE = re.compile(r"^```+\s*$")
_OPTION = re.compile(r"^#\|\s?(.*)$")
_INLINE = re.compile(r"`\{python\}\s+([^`]+)`")


@dataclass(frozen=True)
class Cell:
    """One fenced ``{python}`` cell of a document."""

    source: str
    options: Mapping[str, Any]
    line: int  # 1-based line of the opening fence


@dataclass(frozen=True)
class QmdDocument:
    """A parsed document: front matter and an alternating list of markdown and cells."""

    path: Path
    front_matter: Mapping[str, Any]
    parts: tuple[str | Cell, ...] = field(default_factory=tuple)


def parse_qmd(path: Path) -> QmdDocument:
    """Split a ``.qmd`` file into front matter, markdown text and python cells."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ReportError(
            f"cannot read the report document ({exc.strerror})",
            where=str(path),
            fix="check the path of the .qmd file",
        ) from exc
    lines = text.splitlines()
    front: dict[str, Any] = {}
    start = 0
    if lines and lines[0].strip() == "---":
        for i in range(1, len(lines)):
            if lines[i].strip() in ("---", "..."):
                try:
                    loaded = yaml.safe_load("\n".join(lines[1:i])) or {}
                except yaml.YAMLError as exc:
                    raise ReportError(
                        f"invalid YAML front matter ({exc})",
                        where=str(path),
                        fix="correct the block between the first two '---' lines",
                    ) from exc
                front = dict(loaded)
                start = i + 1
                break
    parts: list[str | Cell] = []
    buf: list[str] = []
    i = start
    while i < len(lines):
        if _FENCE_OPEN.match(lines[i]):
            parts.append("\n".join(buf))
            buf = []
            open_line = i + 1
            i += 1
            body: list[str] = []
            while i < len(lines) and not _FENCE_CLOSE.match(lines[i]):
                body.append(lines[i])
                i += 1
            if i >= len(lines):
                raise ReportError(
                    "a python cell is not closed",
                    where=f"{path}, line {open_line}",
                    fix="end the cell with a line of three backticks",
                )
            opts: list[str] = []
            while body and _OPTION.match(body[0]):
                m = _OPTION.match(body.pop(0))
                opts.append(m.group(1) if m else "")
            try:
                options = yaml.safe_load("\n".join(opts)) or {} if opts else {}
            except yaml.YAMLError as exc:
                raise ReportError(
                    f"invalid cell options ({exc})",
                    where=f"{path}, line {open_line}",
                    fix="write options as '#| key: value' lines",
                ) from exc
            parts.append(Cell(source="\n".join(body), options=dict(options), line=open_line))
        else:
            buf.append(lines[i])
        i += 1
    parts.append("\n".join(buf))
    return QmdDocument(path=path, front_matter=front, parts=tuple(parts))


def _display(value: object, options: Mapping[str, Any]) -> str:
    """Markdown for the value of a cell's last expression (as Jupyter would display it)."""
    if value is None:
        return ""
    if isinstance(value, Figure):
        return show_figure(
            value, caption=str(options.get("fig-cap", "")), name=options.get("label")
        )
    if isinstance(value, pd.DataFrame):
        return show_table(value, caption=options.get("tbl-cap"))
    md = getattr(value, "_repr_markdown_", None)
    if callable(md):
        return f"\n{md()}\n"
    return code_block(repr(value))


def _run_cell(cell: Cell, ns: dict[str, Any], doc: Path, defaults: Mapping[str, Any]) -> str:
    opts = {**defaults, **cell.options}
    if opts.get("eval", True) is False:
        return ""
    where = f"{doc}, cell at line {cell.line}" + (
        f" ({opts['label']})" if opts.get("label") else ""
    )
    try:
        tree = ast.parse(cell.source, filename=str(doc))
    except SyntaxError as exc:
        raise ReportError(
            f"syntax error in a python cell: {exc.msg} (cell line {exc.lineno})",
            where=where,
            fix="correct the cell's code",
        ) from exc
    last: ast.expr | None = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = tree.body.pop().value  # type: ignore[attr-defined]
    out = io.StringIO()
    value: object = None
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(tree, str(doc), "exec"), ns)
            if last is not None:
                value = eval(compile(ast.Expression(last), str(doc), "eval"), ns)
    except ReportError:
        raise
    except Exception as exc:
        tb = traceback.extract_tb(exc.__traceback__)
        line = next((f.lineno for f in reversed(tb) if f.filename == str(doc)), None)
        at = f" (cell line {line})" if line else ""
        raise ReportError(
            f"a python cell failed{at}: {type(exc).__name__}: {exc}",
            where=where,
            fix="check the report parameters and the result tables the cell reads",
        ) from exc
    if opts.get("include", True) is False:
        return ""
    chunks: list[str] = []
    if opts.get("echo", False) is True:
        chunks.append(code_block(cell.source, "python"))
    output = opts.get("output", True)
    printed = out.getvalue()
    if output == "asis":
        chunks.append(printed)
        if last is not None and value is not None:
            chunks.append(_display(value, opts))
    elif output is not False:
        if printed.strip():
            chunks.append(code_block(printed.rstrip()))
        chunks.append(_display(value, opts))
    return "\n".join(chunks)


def _inline(text: str, ns: dict[str, Any], doc: Path) -> str:
    def repl(m: re.Match[str]) -> str:
        try:
            return escape_markdown(eval(m.group(1), ns))
        except Exception as exc:
            raise ReportError(
                f"inline expression `{m.group(1)}` failed: {type(exc).__name__}: {exc}",
                where=str(doc),
                fix="check the expression and the names it uses",
            ) from exc

    return _INLINE.sub(repl, text)


@contextlib.contextmanager
def _env(values: Mapping[str, str]) -> Iterator[None]:
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def execute_qmd(doc: QmdDocument, params: Mapping[str, Any], build_dir: Path) -> str:
    """Run the document's cells and return the resulting markdown (figures in build_dir)."""
    execute = doc.front_matter.get("execute", {}) or {}
    defaults = {k: v for k, v in dict(execute).items() if k in ("echo", "output", "eval")}
    ns: dict[str, Any] = {"__name__": "__report__"}
    chunks: list[str] = []
    fig_dir = build_dir / "figures"
    with _env({FIGURE_DIR_ENV: str(fig_dir), FIGURE_LINK_ENV: "figures"}):
        injected = False
        for part in doc.parts:
            if isinstance(part, Cell):
                chunks.append(_run_cell(part, ns, doc.path, defaults))
                tags = part.options.get("tags") or []
                if "parameters" in tags and not injected:
                    ns.update(params)
                    injected = True
            else:
                chunks.append(_inline(part, ns, doc.path))
        if not injected:
            ns.update(params)
    return "\n".join(chunks)


def _page_title(ast: Mapping[str, Any], front: Mapping[str, Any]) -> str:
    if front.get("title"):
        return str(front["title"])
    return first_heading(ast) or "Report"


#: PDF page: A4 (Finnish and Swedish practice), the region that sets hyphenation with ``lang``.
PDF_PAGE = ("--variable", "papersize=a4", "--variable", "region=FI")
#: Typst rules put before the document: a heading never ends a page (it is kept with the
#: block after it), and words are hyphenated by the patterns of the document's ``lang``
#: (pandoc's template sets ``lang``; Finnish and Swedish compounds break at syllables).
PDF_RULES = "#show heading: set block(sticky: true)\n#set text(hyphenate: true)\n"


def _style_header(build: Path) -> str:
    """Write the toolkit's CSS as a ``<style>`` element for pandoc's document head."""
    css = CSS_PATH.read_text(encoding="utf-8").replace("</", "<\\/")
    (build / "style.html").write_text(f"<style>\n{css}</style>\n", encoding="utf-8")
    return "style.html"


def _builtin(qmd: Path, params: Mapping[str, Any], output: Path, fmt: Format, lang: str) -> Path:
    doc = parse_qmd(qmd)
    with tempfile.TemporaryDirectory(prefix="pilot-eval-report-") as tmp:
        build = Path(tmp)
        md = execute_qmd(doc, params, build)
        (build / "report.md").write_text(md, encoding="utf-8")
        ast = read_markdown(md, build)
        # The guard sees the whole report text as a reader does (escapes resolved), but
        # not the SVG files' glyph paths.
        assert_no_identifiers(plain_text(ast), where=f"report {qmd.name}")
        meta = ["--metadata", f"pagetitle={_page_title(ast, doc.front_matter)}"]
        meta += ["--metadata", f"lang={lang}"]
        if doc.front_matter.get("title"):
            meta += ["--metadata", f"title={doc.front_matter['title']}"]
        output_folder(output.parent, where="option --out")
        if fmt == "html":
            safe = sanitise(ast, figure_targets(build, embed=True))
            header = ["--include-in-header", _style_header(build)]
            html = write_ast(safe, "html5", build, ["--standalone", "--wrap=none", *header, *meta])
            write_text(output, html, where="option --out")
        else:
            safe = sanitise(ast, figure_targets(build, embed=False))
            typ = write_ast(safe, "typst", build, ["--standalone", *PDF_PAGE, *meta])
            typ_path = build / "report.typ"
            typ_path.write_text(PDF_RULES + typ, encoding="utf-8")
            try:
                import typst

                pdf = typst.compile(str(typ_path), root=str(build))
            except Exception as exc:
                raise ReportError(
                    f"typst failed to compile the PDF: {str(exc).strip()[:500]}",
                    where="report rendering (typst)",
                    fix="render to HTML instead, or check the document with --debug",
                ) from exc
            if not isinstance(pdf, bytes):
                raise ReportError(
                    "typst returned no PDF",
                    where="report rendering (typst)",
                    fix="update the typst wheel (pip install -U typst)",
                )
            write_bytes(output, pdf, where="option --out")
    return output


def quarto_command(
    qmd: Path, params: Mapping[str, Any], output: Path, fmt: Format, lang: str
) -> list[str]:
    """The ``quarto render`` command line for a document and its parameters."""
    to = "html" if fmt == "html" else "typst"
    cmd = ["quarto", "render", str(qmd), "--to", to, "--output", output.name]
    cmd += ["--output-dir", str(output.parent.resolve())]
    cmd += ["-M", "embed-resources:true", "-M", f"lang:{lang}", "-M", "papersize:a4"]
    for key, value in params.items():
        cmd += ["-P", f"{key}:{value}"]
    return cmd


def _quarto(
    qmd: Path, params: Mapping[str, Any], output: Path, fmt: Format, lang: str
) -> Path:  # pragma: no cover - needs the quarto CLI
    cmd = quarto_command(qmd, params, output, fmt, lang)
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise ReportError(
            f"quarto render failed: {proc.stderr.strip()[-500:]}",
            where=str(qmd),
            fix="run the command with --debug, or uninstall quarto to use the built-in path",
        )
    return output


def render_report(
    qmd_path: Path,
    *,
    params: Mapping[str, Any],
    output: Path,
    format: Format = "html",
    lang: str = "en",
    engine: Engine = "auto",
) -> Path:
    """Render a report document to a self-contained HTML file or a PDF.

    Parameters
    ----------
    qmd_path:
        The Quarto document (e.g. ``reports/compare.qmd``).
    params:
        Values of the document's parameters (``lang`` is added).
    output:
        File to write (``.html`` or ``.pdf``).
    format:
        ``"html"`` or ``"pdf"``.
    lang:
        Report language: ``"fi"``, ``"sv"`` or ``"en"``.
    engine:
        ``"auto"`` (Quarto when on PATH, else built-in), ``"quarto"`` or ``"builtin"``.

    Returns
    -------
    Path
        The written file. Beside it, ``disclosure.csv`` logs every disclosure decision of
        the report set read from ``params["results_dir"]``
        (:mod:`evaluation.reporting.ledger`).
    """
    if format not in get_args(Format):
        raise OptionError(f"unknown format {format!r}", where="--format", fix="use html or pdf")
    if engine not in get_args(Engine):
        raise OptionError(
            f"unknown engine {engine!r}",
            where="render_report(engine=...)",
            fix="use auto, quarto or builtin",
        )
    lang = check_language(lang)
    full = {**params, "lang": lang}
    use_quarto = engine == "quarto" or (engine == "auto" and shutil.which("quarto") is not None)
    if use_quarto:
        written = _quarto(Path(qmd_path), full, Path(output), format, lang)
    else:
        written = _builtin(Path(qmd_path), full, Path(output), format, lang)
    if "results_dir" in params:
        threshold = int(params.get("threshold", DEFAULT_THRESHOLD))
        build_ledger(params["results_dir"], threshold=threshold).write(written.parent)
    return written
