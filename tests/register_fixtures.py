"""Register result tables shared by the reporting and portal tests."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from evaluation.reporting.register_results import TRAJECTORY_GROUPS_TABLE
from evaluation.reporting.tables_io import write_csv


def write_small_trajectory_groups(folder: Path) -> Path:
    """``trajectory_groups.csv`` with groups of 3, 40 and 57 persons (the 3 is below 5)."""
    groups = pd.DataFrame(
        {
            "population": "participants",
            "outcome": "months_on_main_benefit",
            "group": [1, 2, 3],
            "share": [0.03, 0.40, 0.57],
            "share_se": 0.01,
            "persons": [3, 40, 57],
            "assigned_share": [0.03, 0.40, 0.57],
            "avepp": [0.9, 0.95, 0.97],
            "occ": [300.0, 30.0, 20.0],
        }
    )
    return write_csv(groups, folder / f"{TRAJECTORY_GROUPS_TABLE}.csv")
