"""Content of the evaluator's impact report (``reports/impact.qmd``).

:func:`build_impact` reads the tidy tables of :mod:`evaluation.reporting.impact_results`
and returns, per pilot, outcome and design, the display tables (translated and
disclosure-controlled), figures and texts. The document only lays them out, so every
number in the report is a number of these tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from evaluation.errors import ReportError
from evaluation.reporting.blocks import figure_text
from evaluation.reporting.compare import software_versions as render_software
from evaluation.reporting.disclosure import DEFAULT_THRESHOLD
from evaluation.reporting.i18n import Translator, translator
from evaluation.reporting.impact_results import read_manifest, read_table
from evaluation.reporting.ledger import Ledger, build_ledger, flow_table_name
from evaluation.reporting.ledger import period_label as period_label
from evaluation.reporting.register_results import (
    register_outcome_table,
    trajectory_group_figure,
    trajectory_group_table,
)

REFERENCES = (
    "Abadie A, Imbens GW (2011). Bias-corrected matching estimators for average treatment "
    "effects. Journal of Business & Economic Statistics 29(1):1-11.",
    "Austin PC (2009). Balance diagnostics for comparing the distribution of baseline "
    "covariates between treatment groups in propensity-score matched samples. Statistics "
    "in Medicine 28(25):3083-3107.",
    "Callaway B, Sant'Anna PHC (2021). Difference-in-differences with multiple time "
    "periods. Journal of Econometrics 225(2):200-230.",
    "Goodman-Bacon A (2021). Difference-in-differences with variation in treatment "
    "timing. Journal of Econometrics 225(2):254-277.",
    "Rosenbaum PR (2002). Observational Studies, 2nd ed. Springer.",
    "Sant'Anna PHC, Zhao J (2020). Doubly robust difference-in-differences estimators. "
    "Journal of Econometrics 219(1):101-122.",
    "Stuart EA (2010). Matching methods for causal inference: a review and a look "
    "forward. Statistical Science 25(1):1-21.",
)


def _label(t: Translator, prefix: str, code: str) -> str:
    return t.get(f"{prefix}.{code}", code.replace("_", " "))


@dataclass(frozen=True)
class DesignSection:
    """One pilot x outcome x design of the impact report."""

    pilot: str
    outcome: str
    design: str
    heading: str
    design_text: str
    estimate: float
    conf_low: float
    conf_high: float
    estimate_text: str
    flow_table: pd.DataFrame
    tables: tuple[tuple[str, pd.DataFrame], ...]  # (caption, table)
    figures: tuple[tuple[str, Figure], ...]  # (caption, figure)
    diagnostics: tuple[str, ...]
    truth: float | None
    scale: float = 1.0

    @property
    def figure_alt(self) -> str:
        """What the section's figures show, in words (their alt text): the estimate and the
        first diagnostic (parallel pre-trends for DiD, covariate balance for matching)."""
        return " ".join([self.estimate_text, *self.diagnostics[:1]])


@dataclass(frozen=True)
class ImpactReport:
    """Everything the impact report shows, in one language."""

    lang: str
    threshold: int
    sections: tuple[DesignSection, ...]
    references: tuple[str, ...]
    software_table: pd.DataFrame
    inputs_table: pd.DataFrame
    tables_table: pd.DataFrame
    #: Evidence rating of an evaluation plan run (``plan_evidence.csv``); empty without a plan.
    evidence_table: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: Deviations from the plan (``plan_deviations.csv``); ``None`` without a plan.
    deviations_table: pd.DataFrame | None = None
    #: Register outcomes and trajectory groups as published (:mod:`.register_results`).
    register_table: pd.DataFrame = field(default_factory=pd.DataFrame)
    trajectory_table: pd.DataFrame = field(default_factory=pd.DataFrame)
    trajectory_figure: Figure | None = None


def _plan_tables(
    folder: Path, t: Translator, pilot: str | None
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Evidence rating and deviations of a plan run, translated (empty/None without)."""
    path = folder / "plan_evidence.csv"
    if not path.exists():
        return pd.DataFrame(), None
    ev = read_table(folder, "plan_evidence")
    dev = read_table(folder, "plan_deviations").fillna("")
    if pilot:
        ev = ev[ev["pilot"] == pilot]
        dev = dev[dev["pilot"].isin(["", pilot])]
    ev_cols = {
        "pilot": t("col.pilot"),
        "outcome": t("col.outcome"),
        "level": t("col.sms_level"),
        "label": t("col.rating"),
        "reasons": t("col.reasons"),
    }
    dev_cols = {
        "pilot": t("col.pilot"),
        "outcome": t("col.outcome"),
        "plan_item": t("col.plan_item"),
        "kind": t("col.deviation"),
        "detail": t("col.detail"),
    }
    ev = ev[[c for c in ev_cols if c in ev.columns]].rename(columns=ev_cols)
    dev = dev[[c for c in dev_cols if c in dev.columns]].rename(columns=dev_cols)
    return ev.reset_index(drop=True), dev.reset_index(drop=True)


def _scale(design: dict[str, str]) -> float:
    """Display factor: shares are shown in percentage points."""
    return 100.0 if design.get("unit", "share") == "share" else 1.0


def _design_map(frame: pd.DataFrame, pilot: str, outcome: str) -> dict[str, str]:
    sub = frame[(frame["pilot"] == pilot) & (frame["outcome"] == outcome)]
    return {
        str(k): "" if pd.isna(v) else str(v) for k, v in zip(sub["key"], sub["value"], strict=True)
    }


def shown_events(dyn: pd.DataFrame, ledger: Ledger, pilot: str, outcome: str) -> pd.DataFrame:
    """The ``dynamic`` rows whose estimate rests on at least ``threshold`` treated persons
    (none when the pilot's overall estimate does not)."""
    if not ledger.shows(f"did:{pilot}:{outcome}", "overall", 0):
        return dyn.iloc[:0]
    keep = [ledger.shows(f"did_event:{pilot}:{outcome}", str(int(e)), 0) for e in dyn["label"]]
    return dyn[np.asarray(keep, dtype=bool)]


def event_study_figure(dyn: pd.DataFrame, t: Translator, k: float) -> Figure:
    """Event-study plot from the ``dynamic`` rows of ``did_aggregations``."""
    fig = Figure(figsize=(7.5, 3.8))
    ax = fig.add_subplot()
    e = dyn["label"].to_numpy(dtype=float)
    est = k * dyn["estimate"].to_numpy(dtype=float)
    lo = k * dyn["conf_low"].to_numpy(dtype=float)
    hi = k * dyn["conf_high"].to_numpy(dtype=float)
    pre = e < 0
    ax.fill_between(e, lo, hi, color="C0", alpha=0.15, step=None, label=t("impact.band"))
    for mask, colour, key in ((pre, "C7", "impact.pre"), (~pre, "C0", "impact.post")):
        ax.plot(e[mask], est[mask], "o", color=colour, label=t(key))
    ax.axhline(0, color="black", linewidth=0.8)
    ax.axvline(-0.5, color="grey", linestyle=":", linewidth=0.8)
    ax.set_xlabel(t("impact.event_time"))
    ax.set_ylabel(t("impact.effect_axis"))
    ax.legend(loc="best", fontsize="small")
    fig.tight_layout()
    return fig


def att_gt_figure(cells: pd.DataFrame, small: set[int], t: Translator, k: float) -> Figure:
    """Heat map of ATT(g, t) by cohort and event time (small cohorts left blank)."""
    c = cells[~cells["cohort"].isin(small)]
    cohorts = sorted(c["cohort"].unique())
    events = sorted(c["event_time"].unique())
    grid = np.full((len(cohorts), len(events)), np.nan)
    ci = {g: i for i, g in enumerate(cohorts)}
    ei = {e: j for j, e in enumerate(events)}
    for g, e, v in zip(c["cohort"], c["event_time"], c["estimate"], strict=True):
        grid[ci[g], ei[e]] = k * float(v)
    fig = Figure(figsize=(7.5, max(2.5, 0.28 * len(cohorts) + 1.5)))
    ax = fig.add_subplot()
    if not cohorts or not events:  # every cohort hidden by disclosure control
        ax.text(0.5, 0.5, t("impact.attgt_all_hidden"), ha="center", va="center", wrap=True)
        ax.set_axis_off()
        return fig
    lim = float(np.nanmax(np.abs(grid))) if np.isfinite(grid).any() else 1.0
    im = ax.imshow(grid, aspect="auto", cmap="RdBu", vmin=-lim, vmax=lim, origin="lower")
    ax.set_yticks(range(len(cohorts)), [period_label(g) for g in cohorts], fontsize=7)
    step = max(1, len(events) // 12)
    ax.set_xticks(range(0, len(events), step), [str(e) for e in events][::step])
    ax.set_xlabel(t("impact.event_time"))
    ax.set_ylabel(t("impact.cohort"))
    fig.colorbar(im, ax=ax, label=t("impact.effect_axis"))
    fig.tight_layout()
    return fig


def love_figure(bal: pd.DataFrame, t: Translator) -> Figure:
    """Love plot (absolute standardised mean differences before and after matching)."""
    fig = Figure(figsize=(7, 0.35 * len(bal) + 1.2))
    ax = fig.add_subplot()
    y = np.arange(len(bal))
    ax.plot(bal["smd_before"].abs(), y, "o", color="C7", label=t("impact.before"))
    ax.plot(bal["smd_after"].abs(), y, "o", color="C0", label=t("impact.after"))
    ax.axvline(0.1, color="C3", linestyle="--", linewidth=0.8)
    ax.set_yticks(y, [figure_text(t.get(f"covariate.{c}", str(c))) for c in bal["covariate"]])
    ax.set_xlabel(t("impact.abs_smd"))
    ax.legend(loc="best", fontsize="small")
    fig.tight_layout()
    return fig


def _ci(t: Translator, lo: float, hi: float, k: float, d: int = 1) -> str:
    return t.ci(k * lo, k * hi, d)


def _did_section(
    folder: Path, pilot: str, outcome: str, t: Translator, ledger: Ledger
) -> DesignSection:
    threshold = ledger.threshold
    design = _design_map(read_table(folder, "did_design"), pilot, outcome)
    k = _scale(design)
    sel = {"pilot": pilot, "outcome": outcome}

    def rows(name: str) -> pd.DataFrame:
        f = read_table(folder, name)
        return f[(f["pilot"] == sel["pilot"]) & (f["outcome"] == sel["outcome"])]

    aggs = rows("did_aggregations")
    simple = aggs[(aggs["kind"] == "simple") & aggs["overall"].astype(bool)].iloc[0]
    flow = rows("sample_flow")
    flow = flow[flow["design"] == "did"]
    cohorts = flow[flow["step"] == "cohort"]
    cohort_key = f"did_cohort:{pilot}:{outcome}"
    small = {
        int(g)
        for g, n in zip(cohorts["group"], cohorts["persons"], strict=True)
        if not ledger.shows(cohort_key, str(int(g)), n)
    }
    # Counts exactly as the ledger publishes them (the cohorts are cells of the
    # entry-month x pilot table; the total is hidden where it would reveal one).
    shown_flow = ledger.display(flow_table_name("did", pilot, outcome))["n"].tolist()
    flow_table = pd.DataFrame(
        {
            t("col.group"): [
                f"{t('impact.cohort')} {period_label(int(g))}"
                if s == "cohort"
                else _label(t, "flow", str(s) if s != "comparison" else "never_treated")
                for s, g in zip(flow["step"], flow["group"], strict=True)
            ]
            + [t("total")],
            t("col.n"): shown_flow,
        }
    )
    # Overall aggregations.
    overall = aggs[aggs["overall"].astype(bool)]
    agg_table = pd.DataFrame(
        {
            t("col.aggregation"): [_label(t, "agg", str(x)) for x in overall["kind"]],
            t("col.estimate"): [t.num(k * v, 2) for v in overall["estimate"]],
            t("col.se"): [t.num(k * v, 2) for v in overall["std_error"]],
            t("col.ci"): [
                _ci(t, a, b, k, 2)
                for a, b in zip(overall["conf_low"], overall["conf_high"], strict=True)
            ],
        }
    )
    # By cohort, hiding cohorts smaller than the threshold.
    grp = aggs[(aggs["kind"] == "group") & ~aggs["overall"].astype(bool)]
    # Counts exactly as the flow table shows them (primary and secondary suppression).
    is_cohort = (flow["step"] == "cohort").to_numpy()
    shown_n = np.asarray(shown_flow[: len(flow)], dtype=object)[is_cohort]
    size = {int(g): str(n) for g, n in zip(cohorts["group"], shown_n, strict=True)}
    by_cohort = pd.DataFrame(
        {
            t("impact.cohort"): [period_label(int(g)) for g in grp["label"]],
            t("col.n"): [size.get(int(g), "–") for g in grp["label"]],
            t("col.estimate"): [
                "–" if int(g) in small else t.num(k * v, 2)
                for g, v in zip(grp["label"], grp["estimate"], strict=True)
            ],
            t("col.ci"): [
                "–" if int(g) in small else _ci(t, a, b, k, 2)
                for g, a, b in zip(grp["label"], grp["conf_low"], grp["conf_high"], strict=True)
            ],
        }
    )
    dyn = aggs[(aggs["kind"] == "dynamic") & ~aggs["overall"].astype(bool)].copy()
    dyn["label"] = dyn["label"].astype(float)
    dyn = shown_events(dyn, ledger, pilot, outcome)
    event_table = pd.DataFrame(
        {
            t("impact.event_time"): [str(int(e)) for e in dyn["label"]],
            t("col.estimate"): [t.num(k * v, 2) for v in dyn["estimate"]],
            t("col.ci"): [
                _ci(t, a, b, k, 2) for a, b in zip(dyn["conf_low"], dyn["conf_high"], strict=True)
            ],
        }
    )
    sens = rows("did_sensitivity")
    sens_table = pd.DataFrame(
        {
            t("col.analysis"): [_label(t, "analysis", str(a)) for a in sens["analysis"]],
            t("col.estimate"): [t.num(k * v, 2) for v in sens["estimate"]],
            t("col.ci"): [
                _ci(t, a, b, k, 2) for a, b in zip(sens["conf_low"], sens["conf_high"], strict=True)
            ],
        }
    )
    tables: list[tuple[str, pd.DataFrame]] = [
        (t("impact.tab_aggregations"), agg_table),
        (t("impact.tab_event"), event_table),
        (t("impact.tab_cohort", threshold=threshold), by_cohort),
        (t("impact.tab_sensitivity"), sens_table),
    ]
    bacon = rows("did_bacon")
    if len(bacon):
        bw = bacon.assign(wx=bacon["weight"] * bacon["estimate"])
        b = bw.groupby("comparison", sort=False)[["weight", "wx"]].sum()
        b["estimate"] = (b["wx"] / b["weight"]).where(b["weight"] > 0)
        tables.append(
            (
                t("impact.tab_bacon"),
                pd.DataFrame(
                    {
                        t("col.comparison"): [_label(t, "bacon", str(c)) for c in b.index],
                        t("col.weight"): [t.num(100 * w, 1) for w in b["weight"]],
                        t("col.estimate"): [t.num(k * v, 2) for v in b["estimate"]],
                    }
                ),
            )
        )
    diagnostics: list[str] = []
    pre = rows("did_pretrend")
    if len(pre):
        p = float(pre["p_value"].iloc[0])
        diagnostics.append(
            t(
                "impact.pretrend_ok" if p >= 0.05 else "impact.pretrend_bad",
                stat=t.num(float(pre["statistic"].iloc[0]), 1),
                df=int(pre["df"].iloc[0]),
                p=t.p_phrase(p),
            )
        )
    else:
        diagnostics.append(t("impact.pretrend_none"))
    if len(small):
        diagnostics.append(t("impact.small_cohorts", n=len(small), threshold=threshold))
    diagnostics.extend(_robustness_text(rows("did_power"), rows("did_honest"), t, k))
    cells = rows("did_att_gt")
    figures: list[tuple[str, Figure]] = []
    if len(dyn):
        figures.append((t("impact.fig_event"), event_study_figure(dyn, t, k)))
    if len(cells):
        figures.append((t("impact.fig_attgt"), att_gt_figure(cells, small, t, k)))
    truth = rows("truth")
    truth = truth[truth["design"] == "did"]
    design_text = t(
        "impact.design_did",
        control=_label(t, "control", design.get("control_group", "")),
        method=design.get("method", ""),
        first=period_label(float(design.get("first_period", "0") or 0)),
        last=period_label(float(design.get("last_period", "0") or 0)),
        cells=design.get("n_cells", ""),
        se=design.get("se_kind", ""),
    )
    main = _main_estimate(simple, t, k)
    mde = _mde_text(rows("did_power"), t, k)
    if mde:  # beside the estimate: the smallest effect the pilot could have detected
        main["estimate_text"] = f"{main['estimate_text']} {mde}"
    section = DesignSection(
        pilot=pilot,
        outcome=outcome,
        design="did",
        heading=f"{pilot}: {_label(t, 'outcome', outcome)} ({t('design.did')})",
        design_text=design_text,
        **main,
        flow_table=flow_table,
        tables=tuple(tables),
        figures=tuple(figures),
        diagnostics=tuple(diagnostics),
        truth=float(truth["value"].iloc[0]) if len(truth) else None,
        scale=k,
    )
    shown = ledger.shows(f"did:{pilot}:{outcome}", "overall", 0)
    return section if shown else _without_estimates(section, t, threshold)


def _without_estimates(section: DesignSection, t: Translator, threshold: int) -> DesignSection:
    """A design section whose estimates rest on fewer than ``threshold`` treated persons:
    its sample flow only (no estimate, interval, diagnostic, table or figure)."""
    hidden = t("impact.estimate_hidden", threshold=threshold)
    return replace(
        section,
        estimate=float("nan"),
        conf_low=float("nan"),
        conf_high=float("nan"),
        estimate_text=hidden,
        tables=(),
        figures=(),
        diagnostics=(hidden,),
        truth=None,
    )


def _mde_text(power: pd.DataFrame, t: Translator, k: float) -> str:
    """ "The pilot could only have detected effects >= X" (empty without a power row)."""
    if not len(power):
        return ""
    row = power.iloc[0]
    return t(
        "impact.mde",
        value=t.num(k * float(row["mde"]), 1),
        unit=t("unit.pp") if k == 100 else "",
        power=t.num(100 * float(row["target_power"]), 0),
        n=int(row["n_treated"]),
    )


def _robustness_text(
    power: pd.DataFrame, honest: pd.DataFrame, t: Translator, k: float
) -> list[str]:
    """Diagnostics bullets: the pre-trend test's false-alarm rate in placebo rollouts and
    the relative-magnitude breakdown value (HonestDiD)."""
    out = []
    if len(power) and np.isfinite(float(power["pretrend_size"].iloc[0])):
        rate = float(power["pretrend_size"].iloc[0])
        out.append(t("impact.pretrend_size", rate=t.num(100 * rate, 0)))
    if len(honest):
        bd = float(honest["breakdown"].iloc[0])
        top = float(honest["value"].max())
        if not np.isfinite(bd):
            out.append(t("impact.honest_none"))
        elif bd >= top:
            out.append(t("impact.honest_all", mbar=t.num(bd, 2)))
        else:
            out.append(t("impact.honest_breakdown", mbar=t.num(bd, 2)))
    return out


def _main_estimate(row: Any, t: Translator, k: float) -> dict[str, Any]:
    """The main estimate of a design section: its numbers and its sentence (scale ``k``)."""
    est, lo, hi = (float(row[c]) for c in ("estimate", "conf_low", "conf_high"))
    return {
        "estimate": est,
        "conf_low": lo,
        "conf_high": hi,
        "estimate_text": t(
            "impact.main_estimate",
            estimate=t.num(k * est, 1),
            ci=_ci(t, lo, hi, k),
            unit=t("unit.pp") if k == 100 else "",
        ),
    }


def _matching_section(
    folder: Path, pilot: str, outcome: str, t: Translator, ledger: Ledger
) -> DesignSection:
    design = _design_map(read_table(folder, "matching_design"), pilot, outcome)
    k = _scale(design)

    def rows(name: str) -> pd.DataFrame:
        f = read_table(folder, name)
        return f[(f["pilot"] == pilot) & (f["outcome"] == outcome)]

    shown = ledger.display(flow_table_name("matching", pilot, outcome), total_label=t("total"))
    shown.columns = [t("flow.matched"), t("flow.unmatched"), t("flow.all")]
    shown.insert(
        0,
        t("col.group"),
        [t("flow.treated"), t("flow.control"), t("total")],
    )
    flow_table = shown.reset_index(drop=True)
    bal = rows("matching_balance")
    bal_table = pd.DataFrame(
        {
            t("col.covariate"): [t.get(f"covariate.{c}", str(c)) for c in bal["covariate"]],
            t("impact.smd_before"): [t.num(v, 3) for v in bal["smd_before"]],
            t("impact.smd_after"): [t.num(v, 3) for v in bal["smd_after"]],
            t("impact.vr_after"): [
                t.num(v, 2) if pd.notna(v) else "–" for v in bal["var_ratio_after"]
            ],
            t("impact.balanced"): [
                t("yes") if str(b).lower() == "true" else t("no") for b in bal["balanced"]
            ],
        }
    )
    est = rows("matching_estimates")
    est_table = pd.DataFrame(
        {
            t("col.analysis"): [_label(t, "analysis", str(x)) for x in est["term"]],
            t("col.estimate"): [t.num(k * v, 2) for v in est["estimate"]],
            t("col.ci"): [
                _ci(t, a, b, k, 2) for a, b in zip(est["conf_low"], est["conf_high"], strict=True)
            ],
            t("col.p"): [t.pvalue(float(p)) for p in est["p_value"]],
            t("impact.naive"): [t.num(k * v, 2) for v in est["naive"]],
        }
    )
    tables: list[tuple[str, pd.DataFrame]] = [
        (t("impact.tab_balance"), bal_table),
        (t("impact.tab_matching"), est_table),
    ]
    diagnostics: list[str] = []
    n_bad = int((bal["balanced"].astype(str).str.lower() != "true").sum())
    diagnostics.append(
        t("impact.balance_ok") if n_bad == 0 else t("impact.balance_bad", n=n_bad, k=len(bal))
    )
    rb = rows("matching_rosenbaum")
    if len(rb):
        tables.append(
            (
                t("impact.tab_rosenbaum"),
                pd.DataFrame(
                    {
                        "Γ": [t.num(g, 2) for g in rb["gamma"]],
                        t("impact.p_lower"): [t.pvalue(float(p)) for p in rb["p_lower"]],
                        t("impact.p_upper"): [t.pvalue(float(p)) for p in rb["p_upper"]],
                    }
                ),
            )
        )
        over = rb[rb["p_upper"] > 0.05]
        if float(rb["p_upper"].iloc[0]) > 0.05:
            diagnostics.append(t("impact.rosenbaum_ns"))
        elif len(over):
            diagnostics.append(t("impact.rosenbaum", gamma=t.num(float(over["gamma"].iloc[0]), 2)))
        else:
            diagnostics.append(
                t("impact.rosenbaum_robust", gamma=t.num(float(rb["gamma"].max()), 2))
            )
    ref = rows("matching_refutations")
    if len(ref):
        tables.append(
            (
                t("impact.tab_refutations"),
                pd.DataFrame(
                    {
                        t("col.analysis"): [_label(t, "refuter", str(r)) for r in ref["refuter"]],
                        t("impact.new_effect"): [t.num(k * v, 2) for v in ref["new_effect"]],
                        t("col.p"): [t.pvalue(float(p)) for p in ref["p_value"]],
                        t("impact.passed"): [
                            t("yes") if str(x).lower() == "true" else t("no") for x in ref["passed"]
                        ],
                    }
                ),
            )
        )
    main = est[est["term"] == "att"].iloc[0]
    main_text = _main_estimate(main, t, k)
    mde = _mde_text(rows("matching_power"), t, k)
    if mde:  # beside the estimate, as for the DiD
        main_text["estimate_text"] = f"{main_text['estimate_text']} {mde}"
    truth = rows("truth")
    truth = truth[truth["design"] == "matching"]
    figures = [(t("impact.fig_love"), love_figure(bal, t))] if len(bal) else []
    section = DesignSection(
        pilot=pilot,
        outcome=outcome,
        design="matching",
        heading=f"{pilot}: {_label(t, 'outcome', outcome)} ({t('design.matching')})",
        design_text=t(
            "impact.design_matching",
            method=design.get("method", ""),
            distance=design.get("distance", ""),
            ratio=design.get("ratio", ""),
            replace=t("yes") if design.get("replace") == "True" else t("no"),
            k=design.get("n_covariates", ""),
        ),
        **main_text,
        flow_table=flow_table,
        tables=tuple(tables),
        figures=tuple(figures),
        diagnostics=tuple(diagnostics),
        truth=float(truth["value"].iloc[0]) if len(truth) else None,
        scale=k,
    )
    n_treated = est.loc[est["term"] == "att", "n_treated"]
    if ledger.shows(f"matching:{pilot}:{outcome}", "att", n_treated.iloc[0]):
        return section
    return _without_estimates(section, t, ledger.threshold)


def build_impact(
    results_dir: str | Path,
    *,
    lang: str = "en",
    threshold: int = DEFAULT_THRESHOLD,
    pilot: str | None = None,
) -> ImpactReport:
    """Compute the content of the impact report from a results folder.

    Parameters
    ----------
    results_dir:
        Folder written by :func:`~evaluation.reporting.impact_results.write_did_results`
        and :func:`~evaluation.reporting.impact_results.write_matching_results`.
    lang:
        ``fi``, ``sv`` or ``en``.
    threshold:
        Smallest person count shown.
    pilot:
        Only this pilot (default: every pilot with impact results).
    """
    folder = Path(results_dir)
    if not folder.is_dir():
        raise ReportError(
            "results folder does not exist",
            where=str(folder),
            fix="give the folder the impact writers wrote into",
        )
    t = translator(lang)
    runs: list[tuple[str, str, str]] = []
    for design, table in (("did", "did_design"), ("matching", "matching_design")):
        f = read_table(folder, table)
        for p, o in f[["pilot", "outcome"]].drop_duplicates().itertuples(index=False):
            runs.append((str(p), str(o), design))
    if pilot:
        runs = [r for r in runs if r[0] == pilot]
    if not runs:
        raise ReportError(
            "no impact results" + (f" for pilot {pilot!r}" if pilot else ""),
            where=str(folder),
            fix="write results with write_did_results / write_matching_results first "
            "(or try: pilot-eval report example-results --out DIR)",
        )
    runs.sort()
    ledger = build_ledger(folder, threshold=threshold)
    sections = tuple(
        _did_section(folder, p, o, t, ledger)
        if d == "did"
        else _matching_section(folder, p, o, t, ledger)
        for p, o, d in runs
    )
    manifest = read_manifest(folder)
    sw = manifest.get("software", {})
    soft = pd.DataFrame(
        {
            t("col.package"): list(sw.keys()),
            t("col.version"): list(sw.values()),
        }
    )
    rend = render_software().rename(
        columns={"package": t("col.package"), "version": t("col.version")}
    )
    rend[t("col.package")] = [f"{p} ({t('impact.rendering')})" for p in rend[t("col.package")]]
    soft = pd.concat([soft, rend], ignore_index=True)
    inputs = manifest.get("inputs", {})
    tables = manifest.get("tables", {})
    evidence, deviations = _plan_tables(folder, t, pilot)
    return ImpactReport(
        lang=lang,
        threshold=int(threshold),
        sections=sections,
        references=REFERENCES,
        software_table=soft,
        inputs_table=pd.DataFrame(
            {
                t("col.file"): [t.file_label(n) for n in inputs],
                "SHA-256": list(map(str, inputs.values())),
            }
        ),
        tables_table=pd.DataFrame(
            {
                t("col.file"): [t.file_label(n) for n in tables],
                "SHA-256": [str(h)[:16] for h in tables.values()],
            }
        ),
        evidence_table=evidence,
        deviations_table=deviations,
        register_table=register_outcome_table(folder, t, ledger, pilot=pilot),
        trajectory_table=trajectory_group_table(folder, t, ledger),
        trajectory_figure=trajectory_group_figure(folder, t, ledger),
    )


def plain_effect(t: Translator, estimate: float, low: float, high: float, unit: str) -> str:
    """Plain-language sentence on an effect of a share outcome (values in points)."""
    est = t.num(abs(estimate), 1)
    ci = t.ci(low, high, 1)
    if low > 0:
        return t("plain.raised", outcome=unit, estimate=est, ci=ci)
    if high < 0:
        return t("plain.lowered", outcome=unit, estimate=est, ci=ci)
    return t("plain.unclear", outcome=unit, estimate=t.num(estimate, 1), ci=ci)


__all__ = ["DesignSection", "ImpactReport", "build_impact", "period_label", "plain_effect"]
