"""Write the NSW treated + CPS controls sample that the R reference script reads.

Usage: ``python tests/matching/reference/export_nsw_cps.py /tmp/nsw_cps.csv``.
Row ``id`` is the 0-based position in ``pd.concat([nsw[nsw.treat == 1], cps])`` with a
fresh RangeIndex, the frame the tests build.
"""

from __future__ import annotations

import sys

import causaldata
import pandas as pd


def nsw_cps() -> pd.DataFrame:
    """NSW treated (185) stacked on CPS controls (15,992), index 0..16176."""
    nsw = causaldata.nsw_mixtape.load_pandas().data
    cps = causaldata.cps_mixtape.load_pandas().data
    return pd.concat([nsw[nsw["treat"] == 1], cps], ignore_index=True)


if __name__ == "__main__":
    frame = nsw_cps().drop(columns=["data_id"])
    frame.insert(0, "id", range(len(frame)))
    frame.to_csv(sys.argv[1], index=False, float_format="%.10g")
