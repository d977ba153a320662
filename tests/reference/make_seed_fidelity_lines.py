"""Write ``seed_fidelity_lines.json``: the seed lines cited by ``tests/seed_fidelity.md``.

The seed documents live outside the repository (``../shared/seeds/``), so the test of the
audit table's citations reads the cited lines from this stored excerpt; where the seeds are
beside the project it also checks the excerpt against them. Run from the repo root whenever
the table's seed lines change::

    python tests/reference/make_seed_fidelity_lines.py [SEEDS_DIR]
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

OUT = Path(__file__).with_name("seed_fidelity_lines.json")
TABLE = Path(__file__).resolve().parents[1] / "seed_fidelity.md"
#: "001 l.5132-5135, l.4908" -> the file prefix and its ranges.
SEED_PART = re.compile(r"(00[0-4])((?:,? ?l\.\d+(?:-\d+)?)+)")
#: One range of a seed part: "l.5132-5135" or "l.4908".
RANGE = re.compile(r"l\.(\d+)(?:-(\d+))?")


def cited_ranges(table: Path = TABLE) -> list[tuple[str, int, int]]:
    """Every (file prefix, first line, last line) the table's seed column cites."""
    out: list[tuple[str, int, int]] = []
    for line in table.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 4 or not re.fullmatch(r"\d\.\d+", cells[0]):
            continue
        for prefix, ranges in SEED_PART.findall(cells[3]):
            for first, last in RANGE.findall(ranges):
                out.append((prefix, int(first), int(last or first)))
    return out


def key(prefix: str, first: int, last: int) -> str:
    """The excerpt's key, e.g. ``"001 l.5132-5135"``."""
    return f"{prefix} l.{first}" + (f"-{last}" if last != first else "")


def excerpts(seeds: Path) -> dict[str, dict[str, object]]:
    """The cited lines of every range, read from the seed files in ``seeds``."""
    out: dict[str, dict[str, object]] = {}
    for prefix, first, last in cited_ranges():
        (path,) = seeds.glob(f"{prefix}_*.txt")
        lines = path.read_text(encoding="utf-8").split("\n")
        out[key(prefix, first, last)] = {"file": path.name, "lines": lines[first - 1 : last]}
    return out


def main() -> None:
    """Store the excerpts of every range the audit table cites."""
    default = Path(__file__).resolve().parents[3] / "shared" / "seeds"
    seeds = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    stored = excerpts(seeds)
    OUT.write_text(json.dumps(stored, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(stored)} excerpts to {OUT}")


if __name__ == "__main__":
    main()
