"""Compare two folders of plan runs (``pilot-eval run designs/X.yaml --out DIR/X``), e.g. the
outputs before and after a refactoring: byte by byte, and for the files that differ, whether
they differ only as CHANGELOG.md (issue 18) says.

Usage: ``python benchmarks/compare_plan_runs.py BEFORE AFTER [PLAN ...]``. Manifests and
HTML are skipped (they hold times and paths). Prints one line per differing file with the
verdict and a count; exit code 1 if a file differs in an undocumented way.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from evaluation.tables import TABLES, upgrade_effects

#: Columns added to diagnostics.csv (few-cluster p-value; CHANGELOG).
NEW_DIAGNOSTICS = ("wild_p_value", "wild_clusters")
#: Matched designs' comparison label before the one vocabulary (CHANGELOG).
OLD_MATCHED = "matched never-participants"


def _documented(rel: str, before: pd.DataFrame, after: pd.DataFrame) -> str:
    """Why ``after`` differs from ``before`` as documented, or ``""``."""
    name = rel.removeprefix("reports/results/").removeprefix("reports/").removesuffix(".csv")
    if before.empty and after.empty and tuple(after.columns) == TABLES[name].names:
        return "empty table, now with every column"
    if name == "diagnostics":
        same = after.drop(columns=list(NEW_DIAGNOSTICS)).equals(before)
        return "two new columns (wild cluster p-value), the rest equal" if same else ""
    if name in ("effects", "published/effects"):
        old = upgrade_effects(before).replace({"comparison": {OLD_MATCHED: None}})
        new = after.replace({"comparison": {"matched comparison group": None}})
        if rel.startswith("reports/"):  # the impact writers: former 9-column layout
            new = new.drop(columns=["comparison", "term", "design"])
            old = old[list(new.columns)]
        else:
            old, new = old[list(after.columns)], new
        return "one effects layout, values equal" if _equal(old, new) else ""
    if name == "disclosure":
        renamed = before.replace(
            {"cell": {r"\|did$": "|staggered_did", r"\|matching$": "|matched_did"}}, regex=True
        )
        return "effect keys named by design" if renamed.equals(after) else ""
    return ""


def _equal(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    a, b = a.reset_index(drop=True), b.reset_index(drop=True)
    return a.shape == b.shape and a.astype(str).equals(b.astype(str))


def main(argv: list[str]) -> int:
    before, after = Path(argv[0]), Path(argv[1])
    plans = argv[2:] or sorted(p.name for p in before.iterdir() if p.is_dir())
    same, documented, other = 0, 0, 0
    for plan in plans:
        for path in sorted((before / plan).rglob("*")):
            rel = path.relative_to(before / plan).as_posix()
            if not path.is_file() or "manifest" in rel or rel.endswith(".html"):
                continue
            new = after / plan / rel
            if new.is_file() and new.read_bytes() == path.read_bytes():
                same += 1
                continue
            why = _documented(rel, pd.read_csv(path), pd.read_csv(new)) if new.is_file() else ""
            print(f"{plan}/{rel}: {why or 'DIFFERS (undocumented)'}")
            documented, other = documented + bool(why), other + (not why)
    print(f"{same} identical, {documented} differ as documented, {other} undocumented")
    return 1 if other else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
