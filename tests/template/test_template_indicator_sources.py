"""Every indicator of the dictionary names the seed line it answers (issue 20, item 2;
the indicator list of ``002_…`` l.1034-1053).

The cited lines are stored in ``reference/seed_lines.json``, written from the seeds
(``../shared/seeds/``, outside the repository) by ``reference/make_seed_lines.py``: each cited
line must be there and hold the quoted words (the seed's own words, hyphenation undone).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from evaluation.schema import load_schema
from evaluation.workbook.export import indicator_dictionary

#: The cited seed lines: citation -> {file, lines} (see the module docstring).
SEED_LINES = Path(__file__).with_name("reference") / "seed_lines.json"
#: "002 l.1041" or "001 l.4908-4912": seed file prefix and first/last line.
CITE = re.compile(r"^(00[0-4]) l\.(\d+)(?:-(\d+))?")


def _dictionary() -> pd.DataFrame:
    return indicator_dictionary(load_schema())


def test_every_indicator_has_a_seed_source() -> None:
    table = _dictionary()
    assert table["seed_source"].map(lambda s: bool(CITE.match(str(s)))).all()
    # The 002_… list (l.1034-1053) is covered: need, availability and use of job coaching and
    # social rehabilitation, users' assessments, effectiveness, and the register-based need.
    cited = set(table["seed_source"].str.extract(CITE)[1].astype(int))
    assert {1036, 1041, 1043, 1045, 1051} <= cited
    assert (table["compute"] == "register").sum() >= 7


def test_cited_seed_lines_hold_the_quoted_words() -> None:
    excerpts = json.loads(SEED_LINES.read_text(encoding="utf-8"))
    for source in _dictionary()["seed_source"]:
        m = CITE.match(source)
        assert m is not None
        assert m.group(0) in excerpts, f"{m.group(0)}: run reference/make_seed_lines.py"
        cited = excerpts[m.group(0)]
        assert cited["file"].startswith(f"{m.group(1)}_")
        first, last = int(m.group(2)), int(m.group(3) or m.group(2))
        assert len(cited["lines"]) == last - first + 1
        text = " ".join(cited["lines"]).replace("- ", "").casefold()
        quoted = source.split(": ", 1)[1].split(";")[0].split(" ... ")[0]
        words = " ".join(quoted.split()[:2]).casefold()
        assert words in " ".join(text.split()), (source, text)
