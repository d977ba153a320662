"""What a Finnish or Swedish reader would trip over in a page or a message: internal codes
(snake_case ids), English words and untranslated catalogue keys. Shared by the tests that
render every report, page and message in fi and sv."""

from __future__ import annotations

import html
import re

from evaluation.reporting.i18n import load_catalogue

#: An internal code as a reader would spot it: snake_case words (file names aside).
SNAKE_CODE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
#: File names a page may show as they are (links to result files, workbooks).
FILE_NAME = re.compile(r"\S+\.(?:html|csv|pdf|xlsx|json|parquet|yaml)\b")
#: English words that never occur in Finnish or Swedish prose (function words and the
#: toolkit's own English labels), matched as whole words, case-insensitive.
ENGLISH = re.compile(
    r"\b(?:the|and|of|with|written|rows|answers|answered|error|report|checks?|failed|"
    r"passed|indicators?|submissions?|comparison|impact|not available)\b",
    re.IGNORECASE,
)


def visible_text(page: str) -> str:
    """The text of an HTML page a reader sees (no styles, scripts, tags or attributes)."""
    page = re.sub(r"(?is)<(style|script)\b.*?</\1>", " ", page)
    return html.unescape(re.sub(r"(?s)<[^>]+>", " ", page))


def alt_texts(page: str) -> list[str]:
    """The alt texts of the page's images (read aloud in place of each figure)."""
    return [html.unescape(a) for a in re.findall(r'<img[^>]*\balt="([^"]*)"', page)]


def problems(text: str, *, english: bool = True) -> set[str]:
    """Internal codes, English words (unless ``english=False``: for pages that quote what
    a pilot wrote, in whatever language) and catalogue keys in ``text`` (file names aside)."""
    text = FILE_NAME.sub(" ", text)
    found = set(SNAKE_CODE.findall(text))
    if english:
        found |= {w.lower() for w in ENGLISH.findall(text)}
    # a report catalogue key left untranslated (``nav.index``, ``demo.report.pilot``, ...)
    found |= {k for k in load_catalogue() if "." in k and re.search(rf"\b{re.escape(k)}\b", text)}
    return found
