"""Produce reference values for the mpdta tests.

Run: python tests/did/reference/make_mpdta_reference.py

Source: R did is not installable here (no CRAN access), so the covariate case
(xformla = ~lpop, doubly robust, never-treated comparison, varying base, analytic SEs) is
computed with three independent Python ports of R did and stored side by side:
moderndid 0.2.0 (primary), csdid 0.4.3 and differences 0.3.0. The no-covariate values are the
published R did values (did vignette / Callaway & Sant'Anna 2021), stored for convenience.
The unbalanced case (mpdta minus ~10% random county-years, allow_unbalanced_panel) comes from
csdid 0.4.3 only: moderndid 0.2.0 fails on it.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import moderndid as md
import numpy as np

OUT = Path(__file__).with_name("mpdta_reference.json")


def _moderndid(xformla: str | None, method: str) -> dict[str, Any]:
    d = md.load_mpdta()
    r = md.att_gt(
        d,
        yname="lemp",
        tname="year",
        idname="countyreal",
        gname="first.treat",
        xformla=xformla,
        est_method=method,
        boot=False,
        cband=False,
    )
    out: dict[str, Any] = {
        "att_gt": {
            "cohort": [int(g) for g in r.groups],
            "time": [int(t) for t in r.times],
            "estimate": list(map(float, r.att_gt)),
            "std_error": list(map(float, r.se_gt)),
        },
        "wald": float(r.wald_stat),
    }
    for kind in ("simple", "group", "dynamic", "calendar"):
        a = md.aggte(r, type=kind, boot=False, cband=False)
        entry: dict[str, Any] = {"estimate": float(a.overall_att), "std_error": float(a.overall_se)}
        if kind != "simple":
            entry["labels"] = [int(e) for e in a.event_times]
            entry["element_estimate"] = list(map(float, a.att_by_event))
            entry["element_std_error"] = list(map(float, a.se_by_event))
        out[kind] = entry
    return out


def _csdid() -> dict[str, Any]:
    from csdid.att_gt import ATTgt

    d = md.load_mpdta().to_pandas()
    a = ATTgt(
        yname="lemp",
        gname="first.treat",
        idname="countyreal",
        tname="year",
        xformla="lemp~lpop",
        data=d,
    ).fit(est_method="dr", bstrap=False)
    out: dict[str, Any] = {
        "att_gt": {
            "estimate": list(map(float, a.results["att"])),
            "std_error": list(map(float, a.results["se"])),
        }
    }
    names = {"simple": "simple", "group": "group", "dynamic": "dynamic", "calendar": "calendar"}
    for kind, typec in names.items():
        with contextlib.redirect_stdout(io.StringIO()):
            a.aggte(typec=typec, bstrap=False)
        out[kind] = {
            "estimate": float(a.atte["overall_att"]),
            "std_error": float(a.atte["overall_se"]),
        }
    return out


def unbalanced_mpdta() -> Any:
    """mpdta with about 10% of the county-years removed at random (seeded)."""
    d = md.load_mpdta().to_pandas()
    keep = np.random.default_rng(0).random(len(d)) > 0.1
    return d[keep].reset_index(drop=True)


def _csdid_unbalanced() -> dict[str, Any]:
    from csdid.att_gt import ATTgt

    a = ATTgt(
        yname="lemp",
        gname="first.treat",
        idname="countyreal",
        tname="year",
        data=unbalanced_mpdta(),
        allow_unbalanced_panel=True,
    ).fit(est_method="reg", bstrap=False)
    out: dict[str, Any] = {
        "att_gt": {
            "estimate": list(map(float, a.results["att"])),
            "std_error": list(map(float, a.results["se"])),
        }
    }
    for kind in ("simple", "group", "dynamic", "calendar"):
        with contextlib.redirect_stdout(io.StringIO()):
            a.aggte(typec=kind, bstrap=False)
        out[kind] = {
            "estimate": float(a.atte["overall_att"]),
            "std_error": float(a.atte["overall_se"]),
        }
    return out


def _differences() -> dict[str, Any]:
    from differences import ATTgt

    d = md.load_mpdta().to_pandas()
    d["cohort"] = d["first.treat"].where(d["first.treat"] > 0)
    panel = d.set_index(["countyreal", "year"])
    att = ATTgt(data=panel, cohort_column="cohort")
    res = att.fit(formula="lemp ~ lpop", est_method="dr", progress_bar=False).to_pandas()
    out: dict[str, Any] = {
        "att_gt": {
            "cohort": [int(i[0]) for i in res.index],
            "time": [int(i[2]) for i in res.index],
            "estimate": res.iloc[:, 0].astype(float).tolist(),
            "std_error": res.iloc[:, 1].astype(float).tolist(),
        }
    }
    for kind, name in (
        ("simple", "simple"),
        ("group", "cohort"),
        ("dynamic", "event"),
        ("calendar", "time"),
    ):
        agg = att.aggregate(name, overall=True) if kind != "simple" else att.aggregate(name)
        out[kind] = {"estimate": float(agg.iloc[0, 0]), "std_error": float(agg.iloc[0, 1])}
    return out


def main() -> None:
    ref: dict[str, Any] = {
        "source": "moderndid 0.2.0 (primary), csdid 0.4.3, differences 0.3.0; R did not "
        "installable here (no CRAN)",
        "no_covariates_moderndid": _moderndid(None, "reg"),
        "lpop_dr_moderndid": _moderndid("~lpop", "dr"),
    }
    peers = (
        ("lpop_dr_csdid", _csdid),
        ("lpop_dr_differences", _differences),
        # moderndid 0.2.0 fails with allow_unbalanced_panel=True, so csdid is the reference
        ("unbalanced_csdid", _csdid_unbalanced),
    )
    for name, fn in peers:
        try:
            ref[name] = fn()
        except Exception as exc:  # record why a peer could not be run
            ref[name] = {"error": f"{type(exc).__name__}: {exc}"}
    OUT.write_text(json.dumps(ref, indent=1))
    print(f"wrote {OUT}")
    print(np.round(ref["lpop_dr_moderndid"]["att_gt"]["estimate"], 4))


if __name__ == "__main__":
    main()
