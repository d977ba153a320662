"""Content of the funder's comparison report (``reports/compare.qmd``).

:func:`build_comparison` turns the tidy tables of a results folder into everything the
document shows: display tables (already disclosure-controlled and translated), figures
and the meta-analysis result objects. The document itself only lays them out, so the
numbers in a report are exactly those of these objects.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from evaluation import provenance
from evaluation.errors import ReportError
from evaluation.estimators.meta import (
    MetaAnalysisResult,
    MetaRegressionResult,
    meta_analysis,
    meta_regression,
)
from evaluation.reporting.blocks import figure_text
from evaluation.reporting.disclosure import DEFAULT_THRESHOLD, SuppressedTable
from evaluation.reporting.i18n import Translator, translator
from evaluation.reporting.ledger import Ledger, build_ledger, effect_count_cell, effect_key
from evaluation.reporting.register_results import need_table, register_outcome_table
from evaluation.reporting.results import ComparisonResults, load_comparison_results
from evaluation.tables import upgrade_effects

RATING_COLOURS = {
    "green": "#2e8b57",
    "yellow": "#f2c12e",
    "red": "#c0392b",
    "na": "#d5d8dc",
    "missing": "#f4f6f7",
}
MODERATORS = ("fidelity", "dose", "reach")


@dataclass(frozen=True)
class ModeratorRow:
    """One univariable meta-regression of the effects on a process measure."""

    moderator: str
    result: MetaRegressionResult

    @property
    def slope(self) -> float:
        """Change in the effect per unit of the moderator."""
        return self.result.estimates[1]

    @property
    def p_value(self) -> float:
        """p-value of the slope."""
        return self.result.p_values[1]


@dataclass(frozen=True)
class ComparisonReport:
    """Everything the comparison report shows, in one language."""

    lang: str
    threshold: int
    outcome: str
    outcome_label: str
    pilots: tuple[str, ...]
    meta: MetaAnalysisResult
    moderators: tuple[ModeratorRow, ...]
    effects_table: pd.DataFrame
    meta_table: pd.DataFrame
    moderator_table: pd.DataFrame
    indicator_table: pd.DataFrame
    traffic_table: pd.DataFrame
    reach_table: pd.DataFrame
    destinations: SuppressedTable
    destinations_table: pd.DataFrame
    inputs_table: pd.DataFrame
    software_table: pd.DataFrame
    findings: tuple[str, ...]
    forest: Figure
    indicator_figure: Figure
    traffic_figure: Figure
    reach_figure: Figure
    moderator_figure: Figure | None  # bubble plot of the strongest moderator
    #: Alt text of each figure (``forest``, ``metareg``, ``indicators``, ``traffic``,
    #: ``reach``): the finding the figure shows, in words.
    figure_alts: Mapping[str, str] = field(default_factory=dict)
    #: Register outcomes of every pilot as published (:mod:`.register_results`).
    register_table: pd.DataFrame = field(default_factory=pd.DataFrame)
    concepts_table: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: Service need in each pilot's regions, latest year, as published (:func:`.need_table`).
    need_table: pd.DataFrame = field(default_factory=pd.DataFrame)


#: Significance level below which a test's result is stated as a finding.
FINDING_ALPHA = 0.05


def _pilot_findings(effects: pd.DataFrame, t: Translator) -> list[str]:
    """One sentence per shown effect, in words: the estimate, its interval and whether the
    data show an effect (an interval that crosses zero does not)."""
    out = []
    for pilot, design, estimate, low, high in zip(
        effects["pilot"].astype(str),
        effects["design"].astype(str),
        effects["estimate"].astype(float),
        effects["conf_low"].astype(float),
        effects["conf_high"].astype(float),
        strict=True,
    ):
        shows = low > 0 or high < 0
        out.append(
            t(
                "compare.finding_pilot_effect" if shows else "compare.finding_pilot_none",
                pilot=pilot,
                design=_label(t, "design", design).lower(),
                estimate=t.num(estimate),
                ci=t.ci(low, high),
                direction=t("compare.increase") if low > 0 else t("compare.decrease"),
            )
        )
    return out


def _label(t: Translator, prefix: str, code: str) -> str:
    return t.get(f"{prefix}.{code}", code)


def _choose_outcome(effects: pd.DataFrame, outcome: str | None, where: str) -> str:
    if outcome:
        if outcome not in set(effects["outcome"].astype(str)):
            raise ReportError(
                f"no effects for outcome {outcome!r}",
                where=where,
                fix=f"use one of {', '.join(sorted(set(effects['outcome'].astype(str))))}",
            )
        return outcome
    # The outcome estimated for the most pilots (not rows: a pilot may have two designs).
    per = effects.drop_duplicates(["pilot", "outcome"])["outcome"].astype(str)
    return str(per.value_counts().index[0])


#: Design kept when a pilot has several estimates of the pooled outcome.
DESIGN_PREFERENCE = ("staggered_did", "matched_did", "matching")


def _one_per_pilot(eff: pd.DataFrame) -> pd.DataFrame:
    """Keep one estimate per pilot (staggered DiD before matching before others).

    Pooling two designs of the same pilot would count its participants twice.
    """
    rank = {d: i for i, d in enumerate(DESIGN_PREFERENCE)}
    order = eff["design"].astype(str).map(lambda d: rank.get(d, len(rank)))
    keep = eff.assign(_rank=order.to_numpy()).sort_values("_rank", kind="stable")
    keep = keep.drop_duplicates("pilot", keep="first").sort_index()
    return keep.drop(columns="_rank").reset_index(drop=True)


def _moderator_values(results: ComparisonResults, pilots: list[str]) -> pd.DataFrame:
    proc = results.process.set_index(results.process["pilot"].astype(str))
    missing = [p for p in pilots if p not in proc.index]
    if missing:
        raise ReportError(
            f"no process measures for pilot(s) {', '.join(missing)}",
            where=str(results.folder / "process"),
            fix="add a row per pilot to the process table",
        )
    proc = proc.loc[pilots]
    return pd.DataFrame(
        {
            "fidelity": proc["fidelity"].astype(float).to_numpy(),
            "dose": proc["mean_dose_hours"].astype(float).to_numpy(),
            "reach": 100.0
            * proc["participants"].astype(float).to_numpy()
            / proc["target_group"].astype(float).to_numpy(),
        }
    )


def _indicator_parts(
    results: ComparisonResults, t: Translator, ledger: Ledger
) -> tuple[pd.DataFrame, Figure, str]:
    ind = results.indicators.copy()
    ind["indicator"] = ind["indicator"].astype(str)
    codes = list(dict.fromkeys(ind["indicator"]))
    pilots = list(results.pilots)
    table = pd.DataFrame({t("col.pilot"): pilots})
    fig = Figure(figsize=(8.0, 2.2 * ((len(codes) + 1) // 2) + 0.4), dpi=100)
    axes = fig.subplots(max(1, (len(codes) + 1) // 2), 2, squeeze=False).ravel()
    extremes: list[str] = []
    for ax, code in zip(axes, codes, strict=False):
        sub = ind[ind["indicator"] == code].set_index(ind.loc[ind["indicator"] == code, "pilot"])
        col: list[str] = []
        ys, est, lo, hi = [], [], [], []
        for i, p in enumerate(pilots):
            if p not in sub.index:
                col.append(t("not_available"))
                continue
            r = sub.loc[p]
            n = int(r["n"])
            if not ledger.shows("indicators", f"{p}|{code}", n):
                col.append(f"n <{ledger.threshold}")
                continue
            col.append(
                f"{t.num(float(r['estimate']))} {t.ci(float(r['conf_low']), float(r['conf_high']))}"
                f" ({n})"
            )
            ys.append(len(pilots) - i)
            est.append(float(r["estimate"]))
            lo.append(float(r["conf_low"]))
            hi.append(float(r["conf_high"]))
        table[_label(t, "indicator", code)] = col
        extremes.append(_extremes_text(t, _label(t, "indicator", code), pilots, ys, est))
        ax.errorbar(
            est,
            ys,
            xerr=[np.subtract(est, lo), np.subtract(hi, est)],
            fmt="o",
            color="#1f4e79",
            capsize=3,
        )
        ax.set_yticks(range(len(pilots), 0, -1))
        ax.set_yticklabels([figure_text(p) for p in pilots], fontsize=8)
        ax.set_ylim(0.4, len(pilots) + 0.6)
        ax.set_title(figure_text(_label(t, "indicator", code)), fontsize=9)
        ax.tick_params(axis="x", labelsize=8)
        ax.spines[["top", "right"]].set_visible(False)
    for ax in axes[len(codes) :]:
        ax.set_visible(False)
    fig.tight_layout()
    return table, fig, " ".join(extremes)


def _extremes_text(
    t: Translator, label: str, pilots: list[str], ys: list[int], est: list[float]
) -> str:
    """Which shown pilot has the highest and which the lowest value of one indicator."""
    if not est:
        return t("alt.indicator_none", indicator=label)
    shown = [pilots[len(pilots) - y] for y in ys]
    hi, lo = int(np.argmax(est)), int(np.argmin(est))
    return t(
        "alt.indicator",
        indicator=label,
        high=shown[hi],
        high_value=t.num(est[hi], 1),
        low=shown[lo],
        low_value=t.num(est[lo], 1),
    )


def _traffic_alt(t: Translator, wide: pd.DataFrame, pilots: list[str]) -> str:
    """Per pilot, how many criteria got each rating, in words."""
    parts = []
    for p in pilots:
        counts = wide[p].map(lambda v: v if isinstance(v, str) else "missing").value_counts()
        words = ", ".join(
            f"{_rating_word(t, code if code != 'missing' else None)} {int(counts[code])}"
            for code in ("green", "yellow", "red", "na", "missing")
            if code in counts
        )
        parts.append(f"{p}: {words}")
    return t("alt.traffic", counts="; ".join(parts))


def _traffic_parts(results: ComparisonResults, t: Translator) -> tuple[pd.DataFrame, Figure, str]:
    """The traffic-light matrix: one row per criterion, one column per pilot (a table in
    words, and a figure of the same cells that stays legible at page width)."""
    tl = results.traffic_lights.copy()
    tl["criterion"] = tl["criterion"].astype(str)
    crits = list(dict.fromkeys(tl["criterion"]))
    pilots = list(results.pilots)
    wide = tl.pivot_table(index="criterion", columns="pilot", values="rating", aggfunc="first")
    wide = wide.reindex(index=crits, columns=pilots)
    labels = [_label(t, "criterion", c) for c in crits]
    table = pd.DataFrame({t("col.criterion"): labels})
    for p in pilots:
        table[p] = [_rating_word(t, v) for v in wide[p].tolist()]
    fig = Figure(figsize=(3.4 + 1.0 * len(pilots), 0.6 + 0.32 * len(crits)), dpi=100)
    ax = fig.add_subplot(1, 1, 1)
    for i, c in enumerate(crits):
        for j, p in enumerate(pilots):
            v = wide.loc[c, p]
            rating = v if isinstance(v, str) else "missing"
            y = len(crits) - 1 - i
            ax.add_patch(Rectangle((j, y), 0.96, 0.9, color=RATING_COLOURS[rating], ec="white"))
            dark = rating in ("green", "red")
            ax.text(
                j + 0.48,
                y + 0.45,
                _rating_word(t, v),
                ha="center",
                va="center",
                fontsize=6.5,
                color="white" if dark else "black",
            )
    ax.set_xlim(0, len(pilots))
    ax.set_ylim(0, len(crits))
    ax.xaxis.tick_top()
    ax.set_xticks(np.arange(len(pilots)) + 0.48)
    ax.set_xticklabels([figure_text(p) for p in pilots], fontsize=8)
    ax.set_yticks(np.arange(len(crits)) + 0.45)
    short = [figure_text(x if len(x) <= 48 else x[:46].rsplit(" ", 1)[0] + " …") for x in labels]
    ax.set_yticklabels(list(reversed(short)), fontsize=7)
    for side in ("top", "right", "left", "bottom"):
        ax.spines[side].set_visible(False)
    ax.tick_params(length=0)
    fig.tight_layout()
    return table, fig, _traffic_alt(t, wide, pilots)


def _with_intended_reach(
    table: pd.DataFrame, results: ComparisonResults, t: Translator
) -> pd.DataFrame:
    """Add the share of the intended target groups reached (each group up to its plan, so
    at most 100 %) when the results carry it."""
    ir = results.intended_reach
    if ir.empty:
        return table
    by = {
        str(p): (float(pl), float(r))
        for p, pl, r in zip(ir["pilot"], ir["planned"], ir["reached"], strict=True)
    }

    def share(planned: float, reached: float) -> str:
        return t.num(100.0 * reached / planned, 1) if planned > 0 else "–"

    col = []
    for p in table[t("col.pilot")]:
        if p == t("total"):
            planned = sum(v[0] for v in by.values())
            col.append(share(planned, sum(v[1] for v in by.values())))
        else:
            col.append(share(*by[p]) if p in by else "–")
    return table.assign(**{t("col.intended_reach"): col})


def _concept_parts(results: ComparisonResults, t: Translator) -> pd.DataFrame:
    """Service quality, participation levels and cooperation dimensions: one row per
    concept, one column per pilot, the rating in words (empty without the table)."""
    con = results.concepts
    if con.empty:
        return pd.DataFrame()
    con = con.assign(concept=con["concept"].astype(str), family=con["family"].astype(str))
    order = list(dict.fromkeys(con["concept"]))
    family = dict(zip(con["concept"], con["family"], strict=True))
    wide = con.pivot_table(index="concept", columns="pilot", values="rating", aggfunc="first")
    wide = wide.reindex(index=order, columns=list(results.pilots))
    table = pd.DataFrame(
        {
            t("col.family"): [_label(t, "concept_family", family[c]) for c in order],
            t("col.concept"): [_label(t, "quality_concept", c) for c in order],
        }
    )
    for p in results.pilots:
        table[p] = [_rating_word(t, v) for v in wide[p].tolist()]
    return table


def _rating_word(t: Translator, value: object) -> str:
    """A rating in words; a missing rating is "not rated", never "not applicable"."""
    return t(f"rating.{value}") if isinstance(value, str) else t("rating.missing")


#: Reach is shown as a share of the planned target group, at most this (%).
REACH_CAP = 100.0


def _reach_text(t: Translator, reach: float) -> str:
    """Reach capped at :data:`REACH_CAP`; more participants than planned read "100+"."""
    if not np.isfinite(reach):
        return t("missing")
    return f"{t.num(REACH_CAP, 0)}+" if reach > REACH_CAP else t.num(reach, 1)


def _reach_parts(
    results: ComparisonResults, t: Translator, ledger: Ledger
) -> tuple[pd.DataFrame, Figure, str]:
    proc = results.process.copy()
    proc["pilot"] = proc["pilot"].astype(str)
    # A pilot without process measures (e.g. its workbook was rejected) has no row here.
    proc = proc[proc["participants"].notna()].reset_index(drop=True)
    shown = {
        col: ledger.display(f"process:{col}", total_label=t("total"))["n"].tolist()
        for col in ("target_group", "participants", "completed")
    }
    reach = 100.0 * proc["participants"].astype(float) / proc["target_group"].astype(float)
    total_reach = 100.0 * proc["participants"].sum() / proc["target_group"].sum()
    shown_reach = [
        _reach_text(t, float(r)) if str(a).isdigit() and str(b).isdigit() else "–"
        for r, a, b in zip(
            [*reach, total_reach], shown["participants"], shown["target_group"], strict=True
        )
    ]
    dose_ok = np.array(
        [
            ledger.shows("process:mean_dose_hours", p, n)
            for p, n in zip(proc["pilot"], proc["participants"], strict=True)
        ],
        dtype=bool,
    )
    dose = [
        t.num(float(d), 1) if ok else "–"
        for d, ok in zip(proc["mean_dose_hours"], dose_ok, strict=True)
    ] + [""]
    fid = [t.num(float(f), 2) for f in proc["fidelity"]] + [""]
    table = pd.DataFrame(
        {
            t("col.pilot"): [*proc["pilot"], t("total")],
            t("col.target_group"): shown["target_group"],
            t("col.participants"): shown["participants"],
            t("col.completed"): shown["completed"],
            t("col.reach"): shown_reach,
            t("col.dose"): dose,
            t("col.fidelity"): fid,
        }
    )
    fig = Figure(figsize=(8.0, 0.8 + 0.42 * len(proc)), dpi=100)
    ax1, ax2 = fig.subplots(1, 2, sharey=True)
    ys = np.arange(len(proc))[::-1]
    ok = np.array([s != "–" for s in shown_reach[:-1]])
    ax1.barh(ys[ok], np.minimum(reach.to_numpy()[ok], REACH_CAP), color="#1f4e79")
    ax1.set_xlim(0, REACH_CAP)
    ax1.set_xlabel(t("col.reach"))
    ax1.set_yticks(ys)
    ax1.set_yticklabels([figure_text(p) for p in proc["pilot"]], fontsize=8)
    ax2.barh(ys[dose_ok], proc["mean_dose_hours"].astype(float)[dose_ok], color="#7a9cc6")
    ax2.set_xlabel(t("col.dose"))
    for ax in (ax1, ax2):
        ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    values = [
        f"{p} {r} %" if t.lang != "en" else f"{p} {r}%"
        for p, r in zip(proc["pilot"], shown_reach[:-1], strict=True)
        if r != "–"
    ]
    alt = t("alt.reach", values=", ".join(values) or t("not_available"))
    return table, fig, alt


def _destination_parts(
    results: ComparisonResults, t: Translator, ledger: Ledger
) -> tuple[SuppressedTable, pd.DataFrame]:
    table = ledger.table("destinations")
    if table is None:
        raise ReportError(
            "no destinations table",
            where=str(results.folder),
            fix="write destinations.csv with the toolkit",
        )
    sup = table.suppressed(ledger.threshold, total_label=t("total"))
    shown = sup.display(totals=True)
    shown.columns = [_label(t, "destination", str(c)) for c in shown.columns[:-1]] + [t("total")]
    shown.insert(0, t("col.pilot"), [str(i) for i in shown.index])
    return sup, shown.reset_index(drop=True)


def software_versions() -> pd.DataFrame:
    """Versions of Python, the packages of :data:`evaluation.provenance.PACKAGES` and
    pandoc that produced the report (columns ``package, version``)."""
    versions = provenance.software_versions()
    rows = [("Python", versions.pop("python")), *versions.items()]
    try:
        import pypandoc  # type: ignore[import-untyped]

        rows.append(("pandoc", str(pypandoc.get_pandoc_version())))
    except (ImportError, OSError):
        rows.append(("pandoc", provenance.MISSING))
    return pd.DataFrame(rows, columns=["package", "version"])


def build_comparison(
    results: ComparisonResults | str | Path,
    *,
    lang: str = "en",
    threshold: int = DEFAULT_THRESHOLD,
    outcome: str | None = None,
    method: str = "REML",
) -> ComparisonReport:
    """Compute the content of the comparison report from a results folder.

    Parameters
    ----------
    results:
        Loaded results or the path of a results folder.
    lang:
        ``fi``, ``sv`` or ``en``.
    threshold:
        Smallest person count shown.
    outcome:
        Outcome code whose effects are pooled; default the most common one.
    method:
        tau^2 estimator of the meta-analysis and meta-regressions (default REML).
    """
    res = results if isinstance(results, ComparisonResults) else load_comparison_results(results)
    t = translator(lang)
    eff = upgrade_effects(res.effects)
    eff = eff[eff["analysis"].astype(str) == "main"].reset_index(drop=True)
    eff["outcome"] = eff["outcome"].astype(str)
    chosen = _choose_outcome(eff, outcome, str(res.folder / "effects"))
    eff = _one_per_pilot(eff[eff["outcome"] == chosen].reset_index(drop=True))
    ledger = build_ledger(res.folder, threshold=threshold)
    # Effects resting on fewer than threshold treated persons are shown nowhere: not in
    # the table, the forest plot, the pooled estimate or the meta-regressions.
    shown = np.array(
        [
            ledger.shows("effects", effect_key(str(p), chosen, str(d)), n)
            for p, d, n in zip(eff["pilot"], eff["design"], eff["n_treated"], strict=True)
        ],
        dtype=bool,
    )
    pooled = eff[shown].reset_index(drop=True)
    if len(pooled) < 2 <= len(eff):
        raise ReportError(
            f"only {len(pooled)} pilot(s) have an effect on {chosen!r} resting on at least "
            f"{threshold} treated persons; the comparison needs two",
            where=str(res.folder / "effects"),
            fix="choose another outcome (--outcome) or wait for more participants",
        )
    pilots_eff = [str(p) for p in pooled["pilot"]]
    outcome_label = _label(t, "outcome", chosen)
    meta = meta_analysis(
        pooled["estimate"].astype(float).to_numpy(),
        pooled["std_error"].astype(float).to_numpy(),
        labels=[figure_text(p) for p in pilots_eff],
        method=method,  # type: ignore[arg-type]
    )
    mods = _moderator_values(res, pilots_eff)
    mod_rows: list[ModeratorRow] = []
    labels = np.asarray(pilots_eff, dtype=object)
    for name in MODERATORS:
        # Pilots without this process measure (e.g. a rejected workbook) are left out of
        # this regression only; the table says with how many pilots each was fitted.
        known = np.isfinite(mods[name].to_numpy(dtype="float64"))
        if known.sum() >= 3 and float(mods[name][known].std()) > 0:
            mr = meta_regression(
                np.asarray(meta.effects)[known],
                np.asarray(meta.std_errors)[known],
                moderators=mods.loc[known, [name]],
                labels=[figure_text(p) for p in labels[known]],
                method=method,  # type: ignore[arg-type]
            )
            mod_rows.append(ModeratorRow(name, mr))
    moderator_table = pd.DataFrame(
        {
            t("col.term"): [t(f"moderator.{m.moderator}") for m in mod_rows],
            t("col.slope"): [t.num(m.slope, 3) for m in mod_rows],
            t("col.ci"): [t.ci(m.result.conf_lows[1], m.result.conf_highs[1], 3) for m in mod_rows],
            t("col.p"): [t.pvalue(m.p_value) for m in mod_rows],
            t("col.r2"): [t.num(m.result.r2, 1) for m in mod_rows],
            "k": [str(m.result.k) for m in mod_rows],
        }
    )
    tidy = meta.tidy()
    weights = iter(tidy.loc[tidy["kind"] == "study", "weight"].astype(float))
    effects_table = pd.DataFrame(
        {
            t("col.pilot"): [str(p) for p in eff["pilot"]],
            t("col.design"): [_label(t, "design", str(d)) for d in eff["design"]],
            t("col.estimate"): [
                t.num(float(x)) if ok else "–" for x, ok in zip(eff["estimate"], shown, strict=True)
            ],
            t("col.ci"): [
                t.ci(float(a), float(b)) if ok else "–"
                for a, b, ok in zip(eff["conf_low"], eff["conf_high"], shown, strict=True)
            ],
            t("col.effect_n"): [
                ledger.cell_text(effect_count_cell(str(p), chosen, str(d)), n)
                for p, d, n in zip(eff["pilot"], eff["design"], eff["n_treated"], strict=True)
            ],
            t("col.weight"): [t.num(next(weights), 1) if ok else "–" for ok in shown],
        }
    )
    meta_table = pd.DataFrame(
        {
            t("col.statistic"): [
                t("meta.k"),
                t("meta.pooled"),
                t("meta.ci"),
                t("meta.pi"),
                t("meta.tau2"),
                t("meta.i2"),
                t("meta.q", df=meta.q_df),
            ],
            t("col.value"): [
                str(meta.k),
                t.num(meta.estimate),
                t.ci(meta.conf_low, meta.conf_high),
                t.ci(meta.pred_low, meta.pred_high),
                t.num(meta.tau2, 3),
                t.num(meta.i2, 1),
                f"{t.num(meta.q, 2)}; {t.pvalue(meta.q_p_value)}",
            ],
        }
    )
    i2_words = t("i2.low") if meta.i2 < 25 else t("i2.moderate") if meta.i2 < 75 else t("i2.high")
    findings = _pilot_findings(pooled, t)
    findings += [
        t(
            "compare.finding_pooled",
            outcome=outcome_label,
            estimate=t.num(meta.estimate),
            ci=t.ci(meta.conf_low, meta.conf_high),
        ),
        t("compare.finding_heterogeneity", i2=t.num(meta.i2, 1), i2_words=i2_words),
        t("compare.finding_prediction", pi=t.ci(meta.pred_low, meta.pred_high)),
    ]
    moderator_figure: Figure | None = None
    if mod_rows:
        best = min(mod_rows, key=lambda m: m.p_value)
        moderator_figure = best.result.plot(
            moderator=best.moderator,
            ylabel=figure_text(outcome_label),
            xlabel=t(f"moderator.{best.moderator}"),
        )
        # A slope is a finding only when its test says so; otherwise say that none was.
        if best.p_value < FINDING_ALPHA:
            findings.append(
                t(
                    "metareg.larger",
                    moderator=t(f"moderator.{best.moderator}").lower(),
                    slope=t.num(best.slope, 3),
                    p=t.p_phrase(best.p_value),
                )
            )
        else:
            findings.append(t("compare.finding_no_moderator", k=len(mod_rows)))
    indicator_table, indicator_fig, indicator_alt = _indicator_parts(res, t, ledger)
    traffic_table, traffic_fig, traffic_alt = _traffic_parts(res, t)
    concepts_table = _concept_parts(res, t)
    reach_table, reach_fig, reach_alt = _reach_parts(res, t, ledger)
    reach_table = _with_intended_reach(reach_table, res, t)
    alts = {
        "forest": " ".join(findings[: len(pooled) + 1]),
        "metareg": findings[-1] if mod_rows else "",
        "indicators": indicator_alt,
        "traffic": traffic_alt,
        "reach": reach_alt,
    }
    dest, dest_table = _destination_parts(res, t, ledger)
    inputs = pd.DataFrame(
        {
            t("col.file"): [t.file_label(n) for n, _ in res.hashes],
            t("col.sha256"): [h[:16] for _, h in res.hashes],
        }
    )
    sw = software_versions().rename(
        columns={"package": t("col.package"), "version": t("col.version")}
    )
    forest = meta.plot(
        xlabel=figure_text(outcome_label),
        pooled_label=t("effects.pooled_label"),
        prediction_label=t("meta.pi"),
    )
    return ComparisonReport(
        lang=lang,
        threshold=threshold,
        outcome=chosen,
        outcome_label=outcome_label,
        pilots=res.pilots,
        meta=meta,
        moderators=tuple(mod_rows),
        effects_table=effects_table,
        meta_table=meta_table,
        moderator_table=moderator_table,
        indicator_table=indicator_table,
        traffic_table=traffic_table,
        concepts_table=concepts_table,
        reach_table=reach_table,
        destinations=dest,
        destinations_table=dest_table,
        inputs_table=inputs,
        software_table=sw,
        findings=tuple(findings),
        forest=forest,
        indicator_figure=indicator_fig,
        traffic_figure=traffic_fig,
        reach_figure=reach_fig,
        moderator_figure=moderator_figure,
        figure_alts=alts,
        register_table=register_outcome_table(res.folder, t, ledger),
        need_table=need_table(res.folder, t, ledger, by_pilot=True),
    )
