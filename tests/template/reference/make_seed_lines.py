"""Write ``seed_lines.json``: the seed lines the indicator dictionary cites (issue 20).

The seed documents live outside the repository (``../shared/seeds/``), so the test of the
citations reads the cited lines from this stored excerpt instead. Run from the repo root
whenever ``seed_source`` of an indicator changes::

    python tests/template/reference/make_seed_lines.py [SEEDS_DIR]
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from evaluation.schema import load_schema
from evaluation.workbook.export import indicator_dictionary

CITE = re.compile(r"^(00[0-4]) l\.(\d+)(?:-(\d+))?")
OUT = Path(__file__).with_name("seed_lines.json")


def main() -> None:
    """Store the cited lines of every indicator's ``seed_source``."""
    default = Path(__file__).resolve().parents[4] / "shared" / "seeds"
    seeds = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    excerpts: dict[str, dict[str, object]] = {}
    for source in indicator_dictionary(load_schema())["seed_source"]:
        m = CITE.match(str(source))
        if m is None:
            raise SystemExit(f"not a citation: {source!r}")
        (path,) = seeds.glob(f"{m.group(1)}_*.txt")
        lines = path.read_text(encoding="utf-8").splitlines()
        first, last = int(m.group(2)), int(m.group(3) or m.group(2))
        excerpts[m.group(0)] = {"file": path.name, "lines": lines[first - 1 : last]}
    OUT.write_text(json.dumps(excerpts, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(excerpts)} excerpts to {OUT}")


if __name__ == "__main__":
    main()
