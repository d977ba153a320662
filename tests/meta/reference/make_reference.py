"""Produce the reference values of the meta-analysis tests (``reference_values.json``).

Run from the project root: ``python tests/meta/reference/make_reference.py``.

Two sources, both independent of ``evaluation.estimators.meta``:

1. BCG vaccine trials (Colditz et al. 1994; metafor's ``dat.bcg``), log risk ratios as
   metafor's ``escalc(measure="RR")``. DL and PM come from statsmodels'
   ``combine_effects`` (its own implementation, verified against metafor by statsmodels'
   test suite); REML, intercept-only and with the moderator ``ablat`` (absolute
   latitude), from a direct maximisation of the restricted log-likelihood with scipy's
   bounded Brent minimiser, with the coefficients by weighted least squares. metafor's
   documentation prints, for the same data, DL tau^2 = 0.3088, REML tau^2 = 0.3132,
   REML estimate -0.7145 (se 0.1798), CI [-1.0669, -0.3622], PI [-1.8667, 0.4376],
   I^2 = 92.22%, H^2 = 12.86, Q(12) = 152.2330; the values below agree to those digits.
2. Kacker (2004) interlaboratory example computed with R metafor
   (``rma(y, v, method=..., control=list(tol=1e-9))``) as recorded, to 15 digits, in
   statsmodels' test suite (``statsmodels/stats/tests/results/results_meta.py``,
   objects ``exk1_metafor`` (PM), ``exk1_dl``, ``exk1_dl_hksj`` (DL, test="knha"),
   ``exk1_fe``). Those numbers are copied here verbatim.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from scipy import optimize, stats
from statsmodels.stats.meta_analysis import combine_effects

HERE = Path(__file__).parent

# dat.bcg: tpos, tneg, cpos, cneg, ablat (13 trials)
BCG = {
    "trial": [
        "Aronson 1948",
        "Ferguson & Simes 1949",
        "Rosenthal et al 1960",
        "Hart & Sutherland 1977",
        "Frimodt-Moller et al 1973",
        "Stein & Aronson 1953",
        "Vandiviere et al 1973",
        "TPT Madras 1980",
        "Coetzee & Berjak 1968",
        "Rosenthal et al 1961",
        "Comstock et al 1974",
        "Comstock & Webster 1969",
        "Comstock et al 1976",
    ],
    "tpos": [4, 6, 3, 62, 33, 180, 8, 505, 29, 17, 186, 5, 27],
    "tneg": [119, 300, 228, 13536, 5036, 1361, 2537, 87886, 7470, 1699, 50448, 2493, 16886],
    "cpos": [11, 29, 11, 248, 47, 372, 10, 499, 45, 65, 141, 3, 29],
    "cneg": [128, 274, 209, 12619, 5761, 1079, 619, 87892, 7232, 1600, 27197, 2338, 17825],
    "ablat": [44, 55, 42, 52, 13, 44, 19, 13, 27, 42, 18, 33, 33],
}


def bcg_yi_vi() -> tuple[np.ndarray, np.ndarray]:
    t1, t0 = np.array(BCG["tpos"], float), np.array(BCG["tneg"], float)
    c1, c0 = np.array(BCG["cpos"], float), np.array(BCG["cneg"], float)
    yi = np.log(t1 / (t1 + t0)) - np.log(c1 / (c1 + c0))
    vi = 1 / t1 - 1 / (t1 + t0) + 1 / c1 - 1 / (c1 + c0)
    return yi, vi


def reml_by_likelihood(yi: np.ndarray, vi: np.ndarray, x: np.ndarray) -> dict[str, object]:
    def negll(t: float) -> float:
        w = 1 / (vi + t)
        a = x.T @ (x * w[:, None])
        b = np.linalg.solve(a, x.T @ (w * yi))
        r = yi - x @ b
        return 0.5 * (np.sum(np.log(vi + t)) + np.linalg.slogdet(a)[1] + np.sum(w * r * r))

    res = optimize.minimize_scalar(
        negll, bounds=(0.0, 10.0), method="bounded", options={"xatol": 1e-13}
    )
    tau2 = float(res.x)
    w = 1 / (vi + tau2)
    vb = np.linalg.inv(x.T @ (x * w[:, None]))
    b = vb @ (x.T @ (w * yi))
    se = np.sqrt(np.diag(vb))
    k, p = x.shape
    w0 = 1 / vi
    a0 = x.T @ (x * w0[:, None])
    p0 = np.diag(w0) - (x * w0[:, None]) @ np.linalg.solve(a0, (x * w0[:, None]).T)
    qe = float(yi @ p0 @ yi)
    s2 = (k - p) / float(np.trace(p0))
    z = stats.norm.ppf(0.975)
    out: dict[str, object] = {
        "tau2": tau2,
        "beta": [float(v) for v in b],
        "se": [float(v) for v in se],
        "qe": qe,
        "i2": 100 * tau2 / (tau2 + s2),
        "h2": (tau2 + s2) / s2,
    }
    if p == 1:
        half = z * np.sqrt(se[0] ** 2 + tau2)
        out["pi"] = [float(b[0] - half), float(b[0] + half)]
        out["ci"] = [float(b[0] - z * se[0]), float(b[0] + z * se[0])]
    else:
        out["qm"] = float(b[1:] @ np.linalg.solve(vb[1:, 1:], b[1:]))
    return out


def main() -> None:
    yi, vi = bcg_yi_vi()
    ref: dict[str, object] = {"bcg": {"yi": list(yi), "vi": list(vi), "ablat": BCG["ablat"]}}
    for name, m in (("DL", "dl"), ("PM", "pm")):
        r = combine_effects(yi, vi, method_re=m)
        ref["bcg"][name] = {  # type: ignore[index]
            "tau2": float(r.tau2),
            "estimate": float(r.mean_effect_re),
            "se": float(r.sd_eff_w_re),
            "q": float(r.q),
        }
    ones = np.ones((yi.size, 1))
    ref["bcg"]["REML"] = reml_by_likelihood(yi, vi, ones)  # type: ignore[index]
    x = np.column_stack([ones, np.array(BCG["ablat"], float)])
    ref["bcg"]["REML_ablat"] = reml_by_likelihood(yi, vi, x)  # type: ignore[index]
    # Kacker (2004), R metafor output copied from statsmodels' results_meta.py.
    ref["kacker"] = {
        "y": [61.0, 61.4, 62.21, 62.3, 62.34, 62.6, 62.7, 62.84, 65.9],
        "v": [0.2025, 1.2100, 0.0900, 0.2025, 0.3844, 0.5625, 0.0676, 0.0225, 1.8225],
        "PM": {
            "estimate": 62.4076199113286,
            "se": 0.338030602684471,
            "ci": [61.7450921043947, 63.0701477182625],
            "tau2": 0.705395309224248,
            "q": 24.801897741835,
            "q_p": 0.00167935146372742,
            "i2": 83.7218626490482,
            "h2": 6.14320900751909,
        },
        "DL": {
            "estimate": 62.3901386044504,
            "se": 0.245749668040304,
            "ci": [61.9084781058787, 62.8717991030221],
            "tau2": 0.288049246973751,
            "q": 24.801897741835,
            "q_p": 0.00167935146372742,
            "i2": 67.744403741711,
            "h2": 3.10023721772938,
        },
        "DL_knha": {
            "estimate": 62.3901386044504,
            "se": 0.29477605699879,
            "ci": [61.710383798052, 63.0698934108488],
            "tau2": 0.288049246973751,
            "p": 2.77938607433693e-16,
            "i2": 67.744403741711,
            "h2": 3.10023721772938,
        },
        "FE": {
            "estimate": 62.5833970939982,
            "se": 0.107845705498231,
            "ci": [62.3720233953344, 62.7947707926621],
            "tau2": 0.0,
            "q": 24.801897741835,
            "i2": 67.744403741711,
            "h2": 3.10023721772938,
        },
    }
    path = HERE / "reference_values.json"
    path.write_text(json.dumps(ref, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
