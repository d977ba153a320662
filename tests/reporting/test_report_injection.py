"""Nothing from input is markup: an injection corpus through every report, HTML and PDF.

Every free-text field of a filled self-evaluation workbook, the pilot names, the codes and
labels of the tidy result tables and the text of an evaluation plan's evidence and
deviations are filled with strings that would run, load, style or include something if
they reached pandoc, typst, Quarto or a browser as markup. The pilot, impact and
comparison reports are rendered (HTML and PDF) and the HTML is opened in headless
Chromium: its DOM must be exactly what the toolkit writes, the corpus must be visible as
text, and no byte of a local file (``/etc/hostname``, a planted pseudonymisation key) may
reach any output.
"""

from __future__ import annotations

import base64
import dataclasses
import re
import secrets
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from evaluation.demo.navigation import add_navigation
from evaluation.privacy import CODE_SHAPE
from evaluation.reporting import REPORTS_DIR, example_impact_results, example_results
from evaluation.reporting import render_report as render
from evaluation.reporting.blocks import (
    BRACE_BREAK,
    Markdown,
    bullets,
    escape_markdown,
    heading,
    paragraph,
    show_table,
)
from evaluation.reporting.commands import app
from evaluation.reporting.disclosure import IdentifierLeakError
from evaluation.reporting.pandoc import plain_text, read_markdown
from evaluation.reporting.pilot_results import write_pilot_results
from evaluation.safe_io import FORMULA_STARTS
from evaluation.synthetic.filled_workbooks import filled_evaluation
from evaluation.workbook import SelfEvaluation, read_workbook
from evaluation.workbook.writer import write_workbook

HOSTNAME = Path("/etc/hostname")
KEY_NAME = "x.pseudonym-key"
#: Shortest file content whose appearance in an output counts as a leak (not by chance).
MIN_SECRET_LEN = 6
REPORTS = ("pilot", "impact", "compare")
#: Style attributes pandoc writes for the toolkit's markdown (column alignment, figures).
PANDOC_STYLE = re.compile(r"^(text-align: (left|right|center);|width: ?[0-9.]+%;?)$")
#: Links of the report set itself: another report beside it.
REPORT_LINK = re.compile(r"^[A-Za-z0-9._-]+\.html$")


def corpus(key: Path) -> list[str]:
    """Strings that are markup somewhere (HTML, pandoc markdown, typst, Quarto, Excel)."""
    return [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "<svg onload=alert(1)>",
        "`<b>x</b>`{=html}",
        "```{=html}\n<script>alert(2)</script>\n```",
        '```{=typst}\n#panic("x")\n```',
        "[click](javascript:alert(1))",
        '<iframe srcdoc="<script>alert(3)</script>"></iframe>',
        "<object data=x.swf></object><embed src=x.swf>",
        "<style>body{display:none}</style>",
        '<p style="display:none">hidden</p>',
        "![x](/etc/hostname)",
        '<img src="/etc/hostname">',
        f'<img src="{key}">',
        f"![k]({key})",
        "<link rel=stylesheet href=http://example.invalid/x.css>",
        '<a href="http://example.invalid/">out</a> <http://example.invalid/auto>',
        '#import "/etc/passwd"',
        f'#read("{key}")',
        '#image("/etc/hostname")',
        "$x$ and $$y$$",
        "@ref and [@cite]",
        "\\\\ back\\slash \\",
        "{{< include /etc/hostname >}} {{< env HOME >}}",
        "&lt;script&gt; &#x3C;b&#x3E; &amp;",
        "*em* **strong** _u_ ~~s~~ ^sup^ ~sub~",
        "# heading\n- item\n> quote\n1. list\n| a | b |",
        "<!-- comment --> \\begin{document} $\\frac{1}{0}$",
        '=HYPERLINK("http://example.invalid","x")',
        "+cmd|' /C calc'!A0",
        "-2+3 and @SUM(1)",
    ]


def _norm(text: str) -> str:
    """Text as a reader compares it: no word joiners, whitespace collapsed."""
    return " ".join(text.replace(BRACE_BREAK, "").split())


def _squeeze(text: str) -> str:
    """Text with no whitespace (PDF text extraction wraps lines anywhere)."""
    return re.sub(r"\s+", "", text.replace(BRACE_BREAK, "").replace("\u00ad", ""))


def _text_fields(ev: SelfEvaluation) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(section, field) of every free-text form field and table column (ids excluded)."""
    forms = [
        (sid, fid)
        for sid, form in ev.forms.items()
        for fid in form
        if ev.schema.section(sid).field(fid).type == "text"
    ]
    tables = [
        (sid, f.id)
        for sid in ev.records
        for f in ev.schema.section(sid).fields
        if f.type == "text" and not f.id.endswith("_id")
    ]
    return forms, tables


def _inject(ev: SelfEvaluation, texts: list[str], pilot: str) -> tuple[SelfEvaluation, dict]:
    """``ev`` with every free-text value replaced by corpus strings (in turn)."""
    forms_f, tables_f = _text_fields(ev)
    counter = iter(range(10**6))
    placed: dict[tuple[str, str], list[str]] = {}

    def take(where: tuple[str, str]) -> str:
        text = texts[next(counter) % len(texts)]
        placed.setdefault(where, []).append(text)
        return text

    forms = {
        sid: {
            fid: take((sid, fid)) if (sid, fid) in forms_f and v is not None else v
            for fid, v in form.items()
        }
        for sid, form in ev.forms.items()
    }
    forms["pilot"] = {**forms["pilot"], "pilot_name": pilot}
    records = {
        sid: tuple(
            {
                c: take((sid, c)) if (sid, c) in tables_f and v is not None else v
                for c, v in r.items()
            }
            for r in recs
        )
        for sid, recs in ev.records.items()
    }
    return dataclasses.replace(ev, pilot=pilot, forms=forms, records=records), placed


def _rewrite(folder: Path, name: str, changes: dict[str, Any]) -> None:
    """Overwrite columns of a results table as an attacker could (plain pandas)."""
    path = folder / f"{name}.csv"
    frame = pd.read_csv(path, dtype=str)
    for col, fn in changes.items():
        frame[col] = [fn(v) for v in frame[col]]
    frame.to_csv(path, index=False)


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A pseudonymisation key file whose bytes must never reach an output."""
    folder = tmp_path_factory.mktemp("secret")
    key = folder / KEY_NAME
    token = "KEY" + secrets.token_hex(24)
    key.write_text(token + "\n", encoding="utf-8")
    return {"key": key, "token": token, "texts": corpus(key)}


@pytest.fixture(scope="module")
def built(planted: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    texts: list[str] = planted["texts"]
    pilot = "Sataosaa <img src=x onerror=alert(1)> $x$ {{< env HOME >}} `y`{=html}"
    root = tmp_path_factory.mktemp("injection")
    # Impact results of a synthetic pilot, then renamed and relabelled by "the input".
    impact = root / "impact-results"
    example_impact_results(impact, pilots=("Sataosaa",), persons=3000)
    for csv in impact.glob("*.csv"):
        frame = pd.read_csv(csv, dtype=str)
        if "pilot" in frame.columns:
            _rewrite(impact, csv.stem, {"pilot": lambda v: pilot if v == "Sataosaa" else v})
    it = iter(range(10**6))
    _rewrite(impact, "matching_balance", {"covariate": lambda v: texts[next(it) % len(texts)]})
    _rewrite(
        impact,
        "did_design",
        {"value": lambda v: texts[next(it) % len(texts)] if not str(v)[:1].isdigit() else v},
    )
    evidence = pd.DataFrame(
        {
            "pilot": pilot,
            "outcome": "employed",
            "level": "3",
            "label": texts[0],
            "reasons": texts[1:6],
        }
    )
    evidence.to_csv(impact / "plan_evidence.csv", index=False)
    pd.DataFrame(
        {"pilot": "", "outcome": "", "plan_item": texts, "kind": "changed", "detail": texts}
    ).to_csv(impact / "plan_deviations.csv", index=False)
    # The pilot's own workbook, every free-text field injected, through xlsx and back.
    # Formulas (text starting with '=') are refused by the workbook reader (tested
    # there); '+', '-' and '@' texts go through and must come out quoted.
    in_book = [t for t in texts if not t.lstrip().startswith("=")]
    ev, placed = _inject(filled_evaluation("Sataosaa", seed=7, lang="en"), in_book, pilot)
    back = read_workbook(write_workbook(ev, root / "injected.xlsx"))
    assert back.pilot == pilot
    write_pilot_results(impact, back)
    # The funders' comparison with injected pilot names, indicator and criterion codes.
    compare = root / "compare-results"
    pilots = tuple(f"P{i} {texts[i]}" for i in range(6))
    example_results(compare, seed=7, pilots=pilots)
    fresh = iter(texts[6:])
    codes: dict[str, str] = {}

    def relabel(code: str) -> str:
        if code not in codes:
            codes[code] = next(fresh)
        return codes[code]

    _rewrite(compare, "indicators", {"indicator": relabel})
    _rewrite(compare, "traffic_lights", {"criterion": relabel})
    out = root / "out"
    out.mkdir()
    params = {
        "pilot": ("pilot.qmd", {"results_dir": str(impact), "pilot": pilot}),
        "impact": ("impact.qmd", {"results_dir": str(impact), "pilot": ""}),
        "compare": ("compare.qmd", {"results_dir": str(compare)}),
    }
    files: dict[str, Path] = {}
    for kind, (qmd, p) in params.items():
        for fmt in ("html", "pdf"):
            files[f"{kind}.{fmt}"] = render(
                REPORTS_DIR / qmd,
                params=p,
                output=out / f"{kind}.{fmt}",
                format=fmt,  # type: ignore[arg-type]
                lang="en",
                engine="builtin",
            )
    (out / "index.html").write_text("<!DOCTYPE html><title>i</title><body></body>", "utf-8")
    add_navigation(out, [(texts[i], files[f"{k}.html"]) for i, k in enumerate(REPORTS)])
    return {
        "files": files,
        "placed": placed,
        "texts": texts,
        "pilot": pilot,
        "folders": (impact, compare),
        "codes": codes,
    }


_DOM = """
const all = [...document.querySelectorAll('*')];
const attrs = (e) => [...e.attributes].map((a) => [a.name.toLowerCase(), a.value]);
const urls = [];
for (const e of all) {
  for (const [n, v] of attrs(e)) {
    if (['src', 'href', 'srcset', 'poster', 'data', 'action', 'formaction', 'xlink:href',
         'background', 'srcdoc', 'ping', 'manifest'].includes(n)) {
      urls.push([e.tagName.toLowerCase(), n, v, !!e.closest('nav.pe-nav')]);
    }
  }
}
return {
  scripts: document.querySelectorAll('script').length,
  frames: document.querySelectorAll(
    'iframe, frame, frameset, object, embed, applet, base, form, input, button, ' +
    'meta[http-equiv], svg, math, video, audio, source, track, picture').length,
  handlers: all.flatMap((e) => attrs(e).filter(([n]) => n.startsWith('on'))
                                        .map(([n]) => e.tagName + ' ' + n)),
  styleElements: [...document.querySelectorAll('style')].map((s) => s.parentElement.tagName),
  styleAttributes: all.filter((e) => e.hasAttribute('style') && !e.closest('nav.pe-nav'))
                      .map((e) => e.getAttribute('style')),
  links: document.querySelectorAll('link').length,
  urls: urls,
  resources: performance.getEntriesByType('resource').map((r) => r.name),
  bodyDisplay: getComputedStyle(document.body).display,
  hidden: all.filter((e) => e.closest('body') && getComputedStyle(e).display === 'none')
             .map((e) => e.tagName),
  text: document.body.innerText,
};
"""


@pytest.fixture(scope="module")
def doms(built: dict[str, Any], browser: Any) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for kind in REPORTS:
        browser.get(built["files"][f"{kind}.html"].resolve().as_uri())
        out[kind] = browser.execute_script(_DOM)
    return out


@pytest.mark.parametrize("kind", REPORTS)
def test_dom_runs_loads_and_styles_nothing_from_input(
    doms: dict[str, dict[str, Any]], kind: str
) -> None:
    dom = doms[kind]
    assert dom["scripts"] == 0
    assert dom["frames"] == 0
    assert dom["handlers"] == []
    assert dom["links"] == 0
    # Only the toolkit's own styles: pandoc's and the report CSS in <head>, pandoc's
    # alignment and figure widths, and the navigation bar of the report set.
    assert set(dom["styleElements"]) == {"HEAD"}
    assert all(PANDOC_STYLE.match(s) for s in dom["styleAttributes"]), dom["styleAttributes"]
    assert dom["bodyDisplay"] != "none" and dom["hidden"] == []
    for tag, name, value, in_nav in dom["urls"]:
        if in_nav:
            assert tag == "a" and name == "href" and REPORT_LINK.match(value), value
        elif tag == "img":
            assert name == "src" and value.startswith("data:image/svg+xml;base64,"), value
        else:
            assert tag == "a" and name == "href" and value.startswith("#"), (tag, name, value)
    assert all(r.startswith("data:") for r in dom["resources"]), dom["resources"]


@pytest.mark.parametrize("kind", REPORTS)
def test_corpus_is_visible_as_text(
    built: dict[str, Any], doms: dict[str, dict[str, Any]], kind: str
) -> None:
    text = _norm(doms[kind]["text"])
    assert _norm(built["pilot"]) in text or kind == "compare"
    if kind == "pilot":
        shown = ("intervention", "logic_model", "implementation", "mechanisms", "context")
        expected = {t for (sid, _), ts in built["placed"].items() if sid in shown for t in ts}
    elif kind == "impact":
        expected = set(built["texts"])  # the plan's deviations carry every string
    else:
        expected = {f"P{i} {built['texts'][i]}" for i in range(6)} | set(built["codes"].values())
    missing = [t for t in expected if _norm(t) not in text]
    assert not missing, missing
    # Spreadsheet-safe CSV cells are shown as entered (no leading ').
    assert "'=HYPERLINK" not in text


@pytest.mark.parametrize("kind", REPORTS)
def test_pdf_renders_with_the_text(built: dict[str, Any], kind: str) -> None:
    from pypdf import PdfReader

    pdf = built["files"][f"{kind}.pdf"]
    assert pdf.read_bytes().startswith(b"%PDF-")
    text = _squeeze("".join(p.extract_text() for p in PdfReader(pdf).pages))
    # Strings every report shows (pilot names carry them into the comparison too).
    for token in ("alert(1)", "<img"):
        assert _squeeze(token) in text, token
    if kind != "compare":
        assert _squeeze(built["pilot"]) in text
    if kind == "impact":
        for token in ('#import "/etc/passwd"', '#panic("x")', "{=typst}", "{{< env HOME >}}"):
            assert _squeeze(token) in text, token


def _leaks(data: bytes, secret: bytes) -> bool:
    secret = secret.strip()
    if len(secret) < MIN_SECRET_LEN:
        return False
    b64 = base64.b64encode(secret).rstrip(b"=")[:-2]  # any alignment of the start
    return secret in data or b64 in data


def test_no_byte_of_a_local_file_reaches_an_output(
    built: dict[str, Any], planted: dict[str, Any]
) -> None:
    key = planted["key"].read_bytes()
    host = HOSTNAME.read_bytes() if HOSTNAME.exists() else b""
    for path in built["files"].values():
        data = path.read_bytes()
        assert not _leaks(data, key), path
        assert not _leaks(data, host), path
        assert planted["token"].encode() not in data
    for name in REPORTS:
        html = built["files"][f"{name}.html"].read_text(encoding="utf-8")
        # Every embedded resource is one of the toolkit's SVG figures.
        for payload in re.findall(r'src="data:([^"]*)"', html):
            kind, _, b64 = payload.partition(";base64,")
            assert kind == "image/svg+xml"
            svg = base64.b64decode(b64)
            assert svg.startswith(b"<?xml") and b"<svg" in svg[:2000]
            # matplotlib keeps label text in XML comments; outside them nothing is markup.
            svg = re.sub(rb"<!--.*?-->", b"", svg, flags=re.DOTALL)
            assert b"<script" not in svg and b"onload" not in svg


def test_result_tables_are_spreadsheet_safe(built: dict[str, Any]) -> None:
    """No text cell of any result table starts a formula; the injected ones are quoted."""
    seen_formula = False
    for folder in built["folders"]:
        for csv in Path(folder).glob("*.csv"):
            if csv.stem in ("plan_evidence", "plan_deviations"):  # written by this test
                continue
            frame = pd.read_csv(csv, dtype=str, keep_default_na=False)
            for value in frame.to_numpy().ravel():
                if value.startswith("'"):
                    seen_formula = True
                else:
                    assert not value.lstrip(" \u00a0").startswith(FORMULA_STARTS) or (
                        re.fullmatch(r"-?[0-9.eE+-]+", value)
                    ), (csv.name, value)
    assert seen_formula


def test_out_never_follows_a_symlink(built: dict[str, Any], tmp_path: Path) -> None:
    _, compare = built["folders"]
    target = tmp_path / "victim.txt"
    target.write_text("keep", encoding="utf-8")
    link = tmp_path / "report.html"
    link.symlink_to(target)
    res = CliRunner().invoke(
        app, ["compare", "--results", str(compare), "--out", str(link), "--engine", "builtin"]
    )
    assert res.exit_code != 0
    assert "symbolic link" in str(res.exception)
    assert target.read_text(encoding="utf-8") == "keep" and link.is_symlink()


def test_identity_code_in_free_text_is_refused_by_shape(tmp_path: Path) -> None:
    ev = filled_evaluation("Sataosaa", seed=7, lang="en")
    forms = {**ev.forms, "intervention": {**ev.forms["intervention"], "why": "asiakas 131052-308T"}}
    with pytest.raises(IdentifierLeakError) as exc:
        write_pilot_results(tmp_path, dataclasses.replace(ev, forms=forms))
    assert "308T" not in str(exc.value) and CODE_SHAPE in str(exc.value)
    # An escaped code is still a code: the blocks check the text before escaping it.
    with pytest.raises(IdentifierLeakError):
        paragraph("see 131052-308T")
    with pytest.raises(IdentifierLeakError):
        show_table(pd.DataFrame({"a": ["x"]}), caption="131052-308T")


# -- escape_markdown on its own ----------------------------------------------------------
_TEXT = st.text(
    alphabet=st.characters(
        codec="utf-8", categories=("L", "N", "P", "S", "Zs"), include_characters="\n\t"
    ),
    max_size=60,
)


def _inline_nodes(ast: dict[str, Any]) -> set[str]:
    kinds: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            kinds.add(str(node.get("t")))
            walk(node.get("c"))
        elif isinstance(node, list):
            for x in node:
                walk(x)

    walk(ast["blocks"])
    return kinds


@settings(max_examples=40, deadline=None)
@given(_TEXT)
def test_escaped_text_reads_back_as_itself(tmp_path_factory: Any, text: str) -> None:
    ast = read_markdown(paragraph(text), tmp_path_factory.getbasetemp())
    assert _inline_nodes(ast) <= {"Para", "Str", "Space", "None"}
    assert _norm(plain_text(ast)) == _norm(" ".join(text.split()))


def test_blocks_escape_and_keep_the_toolkits_markup(tmp_path: Path) -> None:
    md = (
        heading("<b>h</b>", 1)
        + paragraph(Markdown("*own*"))
        + bullets(["[a](b)", "`c`"])
        + show_table(pd.DataFrame({"<i>col</i>": ["a|b", "x\ny"]}), caption="$c$")
    )
    ast = read_markdown(md, tmp_path)
    kinds = _inline_nodes(ast)
    assert "Emph" in kinds and "Table" in kinds and "BulletList" in kinds
    assert not kinds & {"Link", "Image", "Code", "Math", "RawInline", "RawBlock", "Strong"}
    text = plain_text(ast)
    for s in ("<b>h</b>", "[a](b)", "`c`", "<i>col</i>", "a|b", "x y", "$c$"):
        assert s in text, s
    assert escape_markdown(Markdown("*x*")) == "*x*"
