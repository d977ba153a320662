"""Produce the repeated cross-section reference values (issue 16, ``att_gt(panel=False)``).

Run: python tests/did/reference/make_mpdta_rc_reference.py

Source: csdid 0.4.3 (a port of R did) with ``panel=False``, never-treated comparison,
varying base period, analytic standard errors, on two repeated cross-sections drawn from
mpdta: all 2,500 county-years as independent observations ("all_rows"), and a 60% random
draw of them (``numpy.random.default_rng(16).random(2500) < 0.6``, "draw_60"); without
covariates, and with ``xformla = lemp ~ lpop`` for reg, ipw and dr ("<draw>_lpop_<method>").
moderndid 0.2.0's ``att_gt(panel=False)`` is not used: its standard errors are scaled by the
number of ids instead of rows (5x csdid's on mpdta) and its ``aggte`` fails (shape
mismatch); its cell estimator ``drdid_rc`` is compared with ours live in the tests.
"""

from __future__ import annotations

import contextlib
import io
import json
import warnings
from pathlib import Path
from typing import Any

import moderndid as md
import numpy as np
import pandas as pd
from csdid.att_gt import ATTgt

OUT = Path(__file__).with_name("mpdta_rc_reference.json")


def draws() -> dict[str, pd.DataFrame]:
    """The two cross-section draws of mpdta (also used by the tests)."""
    d = md.load_mpdta().to_pandas()
    keep = np.random.default_rng(16).random(len(d)) < 0.6
    return {"all_rows": d, "draw_60": d[keep].reset_index(drop=True)}


def _csdid(d: pd.DataFrame, xformla: str | None = None, method: str = "dr") -> dict[str, Any]:
    rows = d.assign(row=np.arange(len(d)))
    fit = ATTgt(
        yname="lemp",
        gname="first.treat",
        idname="row",
        tname="year",
        data=rows,
        xformla=xformla,
        panel=False,
    ).fit(est_method=method, bstrap=False)
    out: dict[str, Any] = {
        "att_gt": {
            "cohort": [int(g) for g in fit.results["group"]],
            "time": [int(t) for t in fit.results["year"]],
            "estimate": [float(v) for v in fit.results["att"]],
            "std_error": [float(v) for v in fit.results["se"]],
        }
    }
    for kind in ("simple", "group", "dynamic", "calendar"):
        with contextlib.redirect_stdout(io.StringIO()):
            fit.aggte(typec=kind, bstrap=False)
        out[kind] = {
            "estimate": float(fit.atte["overall_att"]),
            "std_error": float(fit.atte["overall_se"]),
        }
    return out


def main() -> None:
    """Write the reference file."""
    warnings.simplefilter("ignore")
    ref = {name: _csdid(d) for name, d in draws().items()}
    for name, d in draws().items():
        for method in ("reg", "ipw", "dr"):
            ref[f"{name}_lpop_{method}"] = _csdid(d, "lemp~lpop", method)
    OUT.write_text(json.dumps(ref, indent=1) + "\n")


if __name__ == "__main__":
    main()
