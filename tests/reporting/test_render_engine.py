"""The built-in renderer: qmd parsing, parameters, cell options, errors, quarto command."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from evaluation.errors import ReportError
from evaluation.reporting.disclosure import IdentifierLeakError
from evaluation.reporting.render import parse_qmd, quarto_command, render_report

DOC = """---
title: "Engine test"
execute:
  echo: false
---

Intro text.

```{python}
#| tags: [parameters]
answer = 1
name = "default"
```

Inline value `{python} answer * 2`.

```{python}
#| output: asis
print(f"## Section for {name}")
print(f"The answer is **{answer}**.")
```

```{python}
#| echo: true
print("plain output")
```

```{python}
#| include: false
hidden = "HIDDEN-TEXT"
print(hidden)
```

```{python}
#| fig-cap: "A line"
from matplotlib.figure import Figure
fig = Figure(figsize=(3, 2))
fig.add_subplot(1, 1, 1).plot([0, 1], [0, 1])
fig
```

```{python}
import pandas as pd
pd.DataFrame({"pilot": ["Fokus"], "n": [12]})
```
"""


@pytest.fixture
def doc(tmp_path: Path) -> Path:
    p = tmp_path / "doc.qmd"
    p.write_text(DOC, encoding="utf-8")
    return p


def test_parse_qmd(doc: Path) -> None:
    parsed = parse_qmd(doc)
    cells = [p for p in parsed.parts if not isinstance(p, str)]
    assert parsed.front_matter["title"] == "Engine test"
    assert len(cells) == 6
    assert cells[0].options["tags"] == ["parameters"]
    assert cells[1].options["output"] == "asis"
    assert cells[0].line == 9


def test_render_html_with_params(doc: Path, tmp_path: Path) -> None:
    out = render_report(
        doc, params={"answer": 42, "name": "Fokus"}, output=tmp_path / "o.html", lang="en"
    )
    html = out.read_text(encoding="utf-8")
    assert "Section for Fokus" in html and "<strong>42</strong>" in html
    assert "value 84" in html  # inline code sees the injected parameter
    assert "plain output" in html and "sourceCode python" in html  # echo: true shows code
    assert "HIDDEN-TEXT" not in html  # include: false
    assert re.search(r'<img[^>]+src="data:image/svg\+xml', html)  # embedded figure
    assert "A line" in html
    assert re.search(r"<td[^>]*>Fokus</td>", html)  # DataFrame as last expression -> table
    assert 'lang="en"' in html


def test_failing_cell_raises_report_error(tmp_path: Path) -> None:
    p = tmp_path / "bad.qmd"
    p.write_text("# T\n\n```{python}\nx = 1\n1 / 0\n```\n", encoding="utf-8")
    with pytest.raises(ReportError) as exc:
        render_report(p, params={}, output=tmp_path / "bad.html")
    assert "ZeroDivisionError" in str(exc.value) and "line 3" in str(exc.value)


def test_unclosed_cell_raises(tmp_path: Path) -> None:
    p = tmp_path / "bad.qmd"
    p.write_text("# T\n\n```{python}\nx = 1\n", encoding="utf-8")
    with pytest.raises(ReportError):
        parse_qmd(p)


def test_identifier_in_output_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "leak.qmd"
    p.write_text("# T\n\n```{python}\n#| output: asis\nprint('131052-308T')\n```\n", "utf-8")
    with pytest.raises(IdentifierLeakError):
        render_report(p, params={}, output=tmp_path / "leak.html")
    assert not (tmp_path / "leak.html").exists()


def test_pandoc_failure_is_a_report_error(tmp_path: Path) -> None:
    from evaluation.reporting.pandoc import run_pandoc

    with pytest.raises(ReportError) as exc:
        run_pandoc("# x", "no-such-format", tmp_path, [])
    assert "pandoc" in str(exc.value)


def test_quarto_command_line() -> None:
    cmd = quarto_command(
        Path("reports/compare.qmd"),
        {"results_dir": "/r", "threshold": 5, "lang": "sv"},
        Path("/out/x.pdf"),
        "pdf",
        "sv",
    )
    assert cmd[:3] == ["quarto", "render", "reports/compare.qmd"]
    assert cmd[cmd.index("--to") + 1] == "typst"
    assert "results_dir:/r" in cmd and "threshold:5" in cmd and "lang:sv" in cmd
    assert cmd[cmd.index("--output") + 1] == "x.pdf"


def test_pdf_headings_are_kept_with_the_text_after_them(tmp_path: Path) -> None:
    """Whatever the filler above it, a heading lands on the page of its first paragraph
    (the PDF rules make headings sticky, whatever typst's default)."""
    import typst
    from pypdf import PdfReader

    from evaluation.reporting.render import PDF_RULES

    def pages(lines: int) -> tuple[int, int]:
        filler = "\n\n".join(f"Rivi {i}." for i in range(lines))
        src = f'{PDF_RULES}#set page(paper: "a6")\n{filler}\n\n= Otsikko\n\nEnsimmäinen kappale.\n'
        path = tmp_path / "h.typ"
        path.write_text(src, encoding="utf-8")
        reader = PdfReader(io.BytesIO(typst.compile(str(path))))
        texts = [page.extract_text() for page in reader.pages]
        return tuple(next(i for i, t in enumerate(texts) if w in t) for w in ("Otsikko", "Ensim"))  # type: ignore[return-value]

    placed = [pages(n) for n in range(8, 24)]
    assert {h for h, _ in placed} == {0, 1}  # the fillers push the heading across a page end
    assert all(h == p for h, p in placed)
