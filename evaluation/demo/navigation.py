"""A navigation bar across the demo's report set.

Each rendered report is a self-contained HTML file. In the demo they form one set (the
comparison, the impact report, the pilot reports and each plan's report), so every report
gets a bar linking back to the demo's index page and to all the others, named by pilot. The
bar speaks the page's own language (``<html lang>``): a label that is a catalogue key
(``nav.*``) is translated, ``plan: NAME`` becomes the language's "plan: NAME", other labels
(pilot names) stay as they are; the index link leads to the index page in that language.
"""

from __future__ import annotations

import html
import os
import re
from pathlib import Path

from evaluation.reporting.i18n import LANGUAGES, Lang, Translator, load_catalogue, translator
from evaluation.safe_io import write_text

_BODY = re.compile(r"<body[^>]*>", re.IGNORECASE)
_STYLE = (
    "font-family:system-ui,sans-serif;font-size:13px;background:#12395b;color:#fff;"
    "padding:6px 14px;line-height:1.8"
)
_LINK_STYLE = "color:#fff;margin-right:12px"
_LANG = re.compile(r"<html[^>]*\blang=[\"']?([a-z]{2})", re.IGNORECASE)
#: Label prefix of an evaluation plan's report (``plan: Fokus``).
PLAN_PREFIX = "plan: "


def index_name(lang: Lang) -> str:
    """File name of the demo's index page in ``lang`` (``index.html`` is the English one)."""
    return "index.html" if lang == "en" else f"index-{lang}.html"


def language_links(lang: Lang) -> str:
    """A line of links to the demo's index page in the other languages."""
    links = [
        f"<a href='{index_name(other)}'>{html.escape(translator(other)('lang.name'))}</a>"
        for other in LANGUAGES
        if other != lang
    ]
    return "<p class='note'>" + " · ".join(links) + "</p>"


def page_language(text: str) -> Lang:
    """The language a page declares in ``<html lang>`` (English if none or unknown)."""
    match = _LANG.search(text[:2000])
    code = match.group(1).lower() if match else "en"
    return next((lang for lang in LANGUAGES if lang == code), "en")


def nav_label(label: str, t: Translator) -> str:
    """A link label in ``t``'s language (see the module docstring)."""
    if label in load_catalogue():
        return t(label)
    if label.startswith(PLAN_PREFIX):
        return t("nav.plan", pilot=label.removeprefix(PLAN_PREFIX))
    return label


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

        lang = page_language(text)
        t = translator(lang)
        index = out / index_name(lang)
        if not index.exists():
            index = out / "index.html"
        items = [f'<a style="{_LINK_STYLE}" href="{rel(index)}">{html.escape(t("nav.index"))}</a>']
        items += [
            f'<a style="{_LINK_STYLE}" href="{rel(target)}">{html.escape(nav_label(label, t))}</a>'
            if target != page
            else f'<b style="{_LINK_STYLE}">{html.escape(nav_label(label, t))}</b>'  # here
            for label, target in links
        ]
        aria = html.escape(t("nav.aria"))
        nav = f'<nav class="pe-nav" aria-label="{aria}" style="{_STYLE}">{"".join(items)}</nav>'
        write_text(page, text[: match.end()] + nav + text[match.end() :], where="demo report")
