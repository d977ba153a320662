"""A small, self-contained HTML page builder for the demo's ``index.html``.

Figures are embedded as base64 PNG so the page is one file that opens anywhere, also
offline and from an e-mail attachment.
"""

from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from evaluation.safe_io import write_text

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2733;
background:#f6f7f9;line-height:1.45}
header{background:#12395b;color:#fff;padding:1.4rem 2rem}
header h1{margin:0 0 .3rem 0;font-size:1.6rem}
header p{margin:0;opacity:.85}
main{max-width:1100px;margin:0 auto;padding:1rem 2rem 3rem}
section{background:#fff;border-radius:8px;padding:1rem 1.4rem;margin:1.2rem 0;
box-shadow:0 1px 3px rgba(0,0,0,.08);overflow-x:auto}
h2{font-size:1.25rem;color:#12395b;margin-top:.2rem}
table{border-collapse:collapse;font-size:.88rem;margin:.6rem 0}
th,td{border-bottom:1px solid #e3e6ea;padding:.3rem .6rem;text-align:right}
th:first-child,td:first-child{text-align:left}
th{background:#eef2f6}
img{max-width:100%;height:auto}
.note{color:#5b6670;font-size:.88rem}
.links li{margin:.25rem 0}
.bad{color:#a4161a;font-weight:600}.good{color:#1b7a3c;font-weight:600}
"""


def figure_to_html(fig: Figure, *, alt: str) -> str:
    """Return an ``<img>`` tag with the figure embedded as a base64 PNG."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def table_to_html(frame: pd.DataFrame, *, float_format: str = "{:.3f}") -> str:
    """Return an HTML table of ``frame`` (values escaped, no index)."""
    return frame.to_html(
        index=False,
        escape=True,
        border=0,
        na_rep="",
        float_format=lambda v: float_format.format(v),
    )


@dataclass
class Page:
    """An HTML page assembled section by section."""

    title: str
    subtitle: str = ""
    sections: list[str] = field(default_factory=list)
    lang: str = "en"

    def add(self, heading: str, *parts: str) -> None:
        """Append a section with a heading (escaped) and HTML parts.

        The parts are HTML as it is: build them with :func:`paragraph`,
        :func:`table_to_html` and :func:`figure_to_html` (which escape their text), and
        pass any other text through ``html.escape``.
        """
        body = "\n".join(parts)
        self.sections.append(f"<section><h2>{html.escape(heading)}</h2>\n{body}\n</section>")

    def write(self, path: Path) -> Path:
        """Write the page to ``path`` (atomically, never through a symlink) and return it."""
        text = (
            f'<!DOCTYPE html>\n<html lang="{html.escape(self.lang)}"><head><meta charset="utf-8">'
            f"<title>{html.escape(self.title)}</title>"
            '<meta name="viewport" content="width=device-width,initial-scale=1">'
            f"<style>{_CSS}</style></head><body>"
            f"<header><h1>{html.escape(self.title)}</h1><p>{html.escape(self.subtitle)}</p>"
            "</header><main>" + "\n".join(self.sections) + "</main></body></html>\n"
        )
        return write_text(path, text, where=f"demo {path.name}")


def paragraph(text: str, *, css_class: str = "") -> str:
    """Return an escaped paragraph."""
    cls = f' class="{html.escape(css_class)}"' if css_class else ""
    return f"<p{cls}>{html.escape(text)}</p>"
