"""A navigation bar across the demo's report set.

Each rendered report is a self-contained HTML file. In the demo they form one set (the
comparison, the impact report, the pilot reports and each plan's report), so every report
gets a bar linking back to ``index.html`` and to all the others, named by pilot.
"""

from __future__ import annotations

import html
import os
import re
from pathlib import Path

from evaluation.safe_io import write_text

_BODY = re.compile(r"<body[^>]*>", re.IGNORECASE)
_STYLE = (
    "font-family:system-ui,sans-serif;font-size:13px;background:#12395b;color:#fff;"
    "padding:6px 14px;line-height:1.8"
)
_LINK_STYLE = "color:#fff;margin-right:12px"


def add_navigation(out: Path, links: list[tuple[str, Path]]) -> None:
    """Insert a navigation bar after ``<body>`` of every linked HTML report.

    Parameters
    ----------
    out:
        The demo output folder (holds ``index.html``).
    links:
        ``(label, path)`` of each report, in display order. Paths are absolute or relative
        to the working directory; each page gets hrefs relative to itself.
    """
    for _, page in links:
        text = page.read_text(encoding="utf-8")
        match = _BODY.search(text)
        if match is None or 'class="pe-nav"' in text:
            continue
        here = page.parent

        def rel(target: Path, here: Path = here) -> str:
            return html.escape(Path(os.path.relpath(target, here)).as_posix())

        items = [f'<a style="{_LINK_STYLE}" href="{rel(out / "index.html")}">← demo index</a>']
        items += [
            f'<a style="{_LINK_STYLE}" href="{rel(target)}">{html.escape(label)}</a>'
            if target != page
            else f'<b style="{_LINK_STYLE}">{html.escape(label)}</b>'  # you are here
            for label, target in links
        ]
        nav = f'<nav class="pe-nav" style="{_STYLE}">{"".join(items)}</nav>'
        write_text(page, text[: match.end()] + nav + text[match.end() :], where="demo report")
