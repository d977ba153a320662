"""The audit table of issue 20 (``tests/seed_fidelity.md``) names tests that exist.

Each row names an item of the issue, the tests that check it with hand-computed values and
the seed lines they cite. Every named test must be a test function of the named file, and
where the row gives seed lines the test or its module docstring must cite a seed line.
"""

from __future__ import annotations

import ast
import json
import re
import sys
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TABLE = Path(__file__).with_name("seed_fidelity.md")
#: "tests/x/test_y.py::test_z"
TEST_REF = re.compile(r"(tests/[\w/]+\.py)::(test_\w+)")
#: A seed line citation as the tests write it: "l.5132" or "l.5132-5135".
SEED_LINE = re.compile(r"\bl\.\d{3,5}")
#: The issue's five parts; every part has rows.
PARTS = {"1", "2", "3", "4", "5"}
#: The seed documents beside the project (``../shared/seeds``; absent outside the project).
SEEDS = ROOT.parent / "shared" / "seeds"
#: The stored excerpts of every cited range and the script that writes them.
STORED = ROOT / "tests" / "reference" / "seed_fidelity_lines.json"
MAKE_STORED = "python tests/reference/make_seed_fidelity_lines.py"

sys.path.insert(0, str(STORED.parent))
from make_seed_fidelity_lines import cited_ranges, excerpts, key  # noqa: E402


def _rows() -> list[list[str]]:
    """The table's body rows as lists of cells (header and rule left out)."""
    lines = TABLE.read_text(encoding="utf-8").splitlines()
    cells = [[c.strip() for c in ln.strip().strip("|").split("|")] for ln in lines]
    return [c for c in cells if len(c) == 4 and re.fullmatch(r"\d\.\d+", c[0])]


@cache
def _functions(path: str) -> tuple[str | None, dict[str, str]]:
    """Module docstring and the source of each top-level test function of a test file."""
    source = (ROOT / path).read_text(encoding="utf-8")
    tree = ast.parse(source)
    funcs = {
        node.name: ast.get_source_segment(source, node) or ""
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
    }
    return ast.get_docstring(tree), funcs


def test_every_part_of_the_issue_has_rows_with_tests() -> None:
    rows = _rows()
    assert {r[0].split(".")[0] for r in rows} == PARTS
    assert len({r[0] for r in rows}) == len(rows), "an item number is used twice"
    for item, _, tests, seed in rows:
        assert TEST_REF.findall(tests), f"item {item}: no test named"
        assert seed, f"item {item}: seed lines (or '-') missing"


def test_named_tests_exist_and_cite_the_seed() -> None:
    for item, _, tests, seed in _rows():
        for path, name in TEST_REF.findall(tests):
            assert (ROOT / path).is_file(), f"item {item}: {path} not found"
            doc, funcs = _functions(path)
            assert name in funcs, f"item {item}: {path}::{name} not found"
            if SEED_LINE.search(seed):
                cited = SEED_LINE.search(funcs[name]) or SEED_LINE.search(doc or "")
                assert cited, f"item {item}: {path}::{name} cites no seed line"


def test_cited_seed_lines_are_text_lines_of_the_seed() -> None:
    """Every cited range is stored (``reference/seed_fidelity_lines.json``, written by the
    script beside it) as whole, not all blank lines; where the seeds are beside the project
    the stored lines are checked against them too."""
    stored = json.loads(STORED.read_text(encoding="utf-8"))
    for prefix, first, last in cited_ranges(TABLE):
        name = key(prefix, first, last)
        assert name in stored, f"{name} not stored: run {MAKE_STORED}"
        lines = stored[name]["lines"]
        assert len(lines) == last - first + 1, f"{name}: past the end of the seed"
        assert any(ln.strip() for ln in lines), f"{name}: blank lines only"
    if SEEDS.is_dir():  # the seeds themselves: the stored excerpt is still theirs
        assert excerpts(SEEDS) == stored, f"the seeds changed: run {MAKE_STORED}"
