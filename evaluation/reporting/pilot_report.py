"""Content of the pilot report (``reports/pilot.qmd``) for a pilot and its steering group.

:func:`build_pilot` reads the tables of :mod:`evaluation.reporting.pilot_results` (and,
where an impact design was run, those of :mod:`evaluation.reporting.impact_results`) and
returns translated, disclosure-controlled display tables, figures and plain-language
texts. The document only lays them out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from evaluation.errors import ReportError
from evaluation.reporting.blocks import figure_text
from evaluation.reporting.compare import RATING_COLOURS
from evaluation.reporting.disclosure import DEFAULT_THRESHOLD, ID_COLUMN_NAMES
from evaluation.reporting.i18n import Translator, translator
from evaluation.reporting.impact_report import event_study_figure, plain_effect, shown_events
from evaluation.reporting.impact_results import read_table
from evaluation.reporting.ledger import (
    Ledger,
    build_ledger,
    effect_count_cell,
    effect_key,
    timeline_table_name,
)
from evaluation.reporting.register_results import need_table
from evaluation.reporting.tables_io import read_csv
from evaluation.workbook.instrument import ethics_rule

#: Pilot-level table sections shown in the process-evaluation part, in this order.
PROCESS_SECTIONS = ("implementation", "mechanisms", "context")
#: Other sections shown after the known ones, when the workbook has them.
SKIP_SECTIONS = frozenset(
    {"logic_model", "criteria", "target_groups", "organisations", *PROCESS_SECTIONS}
)
#: Indicators of the pilot report's indicator table (overall values; others by group).
SHOWN_INDICATORS_MAX = 25
#: Scores of the report's Tables 10-11 (work ability and the overall score, as the seed).
CHANGE_SCORES = ("work_ability", "overall")


@dataclass(frozen=True)
class PilotReport:
    """Everything the pilot report shows, in one language."""

    pilot: str
    lang: str
    threshold: int
    intro: str
    intervention_table: pd.DataFrame
    target_table: pd.DataFrame
    logic_table: pd.DataFrame
    process_tables: tuple[tuple[str, pd.DataFrame], ...]
    criteria_table: pd.DataFrame
    criteria_figure: Figure | None
    rating_counts: dict[str, int]
    indicator_table: pd.DataFrame
    timeline_table: pd.DataFrame
    timeline_figure: Figure | None
    scores_table: pd.DataFrame
    effect_texts: tuple[str, ...]
    effect_table: pd.DataFrame
    effect_figure: Figure | None
    #: Alt text of each figure (``criteria``, ``timeline``, ``effect``): its finding in words.
    figure_alts: Mapping[str, str] = field(default_factory=dict)
    instrument_change_table: pd.DataFrame = field(default_factory=pd.DataFrame)
    instrument_validity_table: pd.DataFrame = field(default_factory=pd.DataFrame)
    ethics: str = ""
    #: Service need in the pilot's regions, latest year, as published (empty without
    #: ``need_indicators.csv`` or when no region names the pilot).
    need_table: pd.DataFrame = field(default_factory=pd.DataFrame)


def rating_counts_text(counts: Mapping[str, int], t: Translator) -> str:
    """How many criteria got each rating, in words ("vihreä 11, keltainen 6, ...")."""
    return ", ".join(f"{t(f'rating.{code}')} {n}" for code, n in counts.items() if n)


def timeline_alt(shown: pd.DataFrame, t: Translator) -> str:
    """The quarter with the most new clients among the shown cells, in words."""
    entered = [
        (str(q), int(v))
        for q, v in zip(shown.iloc[:, 0], shown.iloc[:, 1], strict=True)
        if str(v).isdigit() and str(q) != t("total")
    ]
    quarter, n = max(entered, key=lambda qv: qv[1], default=("", 0))
    return t("alt.timeline", quarter=quarter, n=n) if n > 0 else t("alt.timeline_none")


class _Labels:
    """Schema labels (``pilot_labels.csv``) in one language."""

    def __init__(self, frame: pd.DataFrame, lang: str) -> None:
        self._d: dict[tuple[str, str], str] = {}
        if len(frame):
            for kind, key, text in zip(frame["kind"], frame["key"], frame[lang], strict=True):
                self._d[(str(kind), str(key))] = str(text)

    def __call__(self, kind: str, key: str, default: str | None = None) -> str:
        return self._d.get((kind, key), default if default is not None else key)


def _section_frame(cells: pd.DataFrame, section: str) -> pd.DataFrame:
    sub = cells[cells["section"] == section]
    if sub.empty:
        return pd.DataFrame()
    wide = sub.pivot(index="row_no", columns="field", values="value")
    order = list(dict.fromkeys(sub["field"]))
    return wide[order].reset_index(drop=True).fillna("")


def _value_label(lab: _Labels, value: str) -> str:
    """A code's label, or the names of the indicators a logic-model row lists."""
    if not value:
        return ""
    one = lab("code", value, lab("indicator", value, value))
    if one != value or ", " not in value:
        return one
    return ", ".join(lab("indicator", part, part) for part in value.split(", "))


def _display(frame: pd.DataFrame, section: str, lab: _Labels) -> pd.DataFrame:
    """Translate a section's codes and column names with the schema's labels."""
    out = frame.copy()
    for col in out.columns:
        out[col] = [_value_label(lab, str(v)) for v in out[col]]
    names = [lab("field", f"{section}.{c}", c.replace("_", " ")) for c in out.columns]
    # A label such as "Id" (of a logic-model element) is not a person id; keep the guard.
    out.columns = [f"{n} #" if n.strip().lower() in ID_COLUMN_NAMES else n for n in names]
    return out


def criteria_figure(crit: pd.DataFrame, lab: _Labels, t: Translator) -> Figure:
    """Traffic-light column of the criteria (one square per criterion)."""
    n = len(crit)
    fig = Figure(figsize=(7.5, 0.28 * n + 0.8))
    ax = fig.add_subplot()
    for i, (row, rating) in enumerate(zip(crit["row"], crit["rating"], strict=True)):
        y = n - 1 - i
        colour = RATING_COLOURS.get(str(rating), RATING_COLOURS["na"])
        ax.add_patch(Rectangle((0, y + 0.1), 0.8, 0.8, color=colour))
        ax.text(1.0, y + 0.5, figure_text(lab("code", str(row))[:90]), va="center", fontsize=7)
    ax.set_xlim(0, 12)
    ax.set_ylim(0, n)
    ax.axis("off")
    fig.tight_layout()
    return fig


def timeline_figure(tl: pd.DataFrame, shown: pd.DataFrame, t: Translator) -> Figure:
    """Clients entering, leaving and starting work by quarter (hidden cells left out)."""
    fig = Figure(figsize=(7.5, 3.2))
    ax = fig.add_subplot()
    x = np.arange(len(tl))
    width = 0.27
    for j, col in enumerate(("entered", "exited", "employed")):
        vals = [
            float(v) if str(s).isdigit() else np.nan
            for v, s in zip(tl[col], shown.iloc[: len(tl), j + 1], strict=True)
        ]
        ax.bar(x + (j - 1) * width, vals, width=width, label=t(f"timeline.{col}"))
    ax.set_xticks(x, [str(q) for q in tl["quarter"]], rotation=45, fontsize=7)
    ax.set_ylabel(t("col.n"))
    ax.legend(fontsize="small")
    fig.tight_layout()
    return fig


def _p_text(t: Translator, p: object) -> str:
    v = pd.to_numeric(pd.Series([p]), errors="coerce").iloc[0]
    if pd.isna(v):
        return "–"
    return "<" + t.num(0.001, 3) if v < 0.001 else t.num(float(v), 3)


def instrument_tables(
    ins: pd.DataFrame, lab: _Labels, t: Translator, shows: Callable[[str, float], bool]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Display tables of Tables 10-11 (first vs latest answer by service) and Table 12.

    ``shows(cell, n)`` is the disclosure decision; a hidden estimate reads "–".
    """
    if ins.empty:
        return pd.DataFrame(), pd.DataFrame()
    return _change_table(ins, lab, t, shows), _validity_table(ins, lab, t, shows)


def _change_table(
    ins: pd.DataFrame, lab: _Labels, t: Translator, shows: Callable[[str, float], bool]
) -> pd.DataFrame:
    """(1) all who answered, first answer; (2) those who answered twice or more."""
    base = ins[ins["analysis"] == "baseline"].set_index(["score", "group"])
    change = ins[(ins["analysis"] == "change") & ins["score"].isin(CHANGE_SCORES)]
    rows = []
    for r in change.to_dict("records"):
        ok = shows(f"change|{r['score']}|{r['group']}", r["n"])
        b = base.loc[(r["score"], r["group"])] if (r["score"], r["group"]) in base.index else None
        b_ok = b is not None and shows(f"baseline|{r['score']}|{r['group']}", b["n"])
        group = (
            t("total")
            if r["group"] == "all"
            else lab("code", f"service_group.{r['group']}", r["group"])
        )
        ci = f"({t.num(float(r['conf_low']), 1)}…{t.num(float(r['conf_high']), 1)})"
        rows.append(
            {
                t("col.score"): lab("score", str(r["score"]), str(r["score"])),
                t("col.group"): group,
                t("col.n") + " (1)": str(int(b["n"])) if b_ok and b is not None else "–",
                t("col.first_answer") + " (1)": (
                    t.num(float(b["estimate"]), 1) if b_ok and b is not None else "–"
                ),
                t("col.n") + " (2)": str(int(r["n"])) if ok else "–",
                t("col.first_answer") + " (2)": t.num(float(r["mean_baseline"]), 1) if ok else "–",
                t("col.latest_answer") + " (2)": t.num(float(r["mean_follow_up"]), 1)
                if ok
                else "–",
                t("col.change"): (
                    f"{t.num(float(r['estimate']), 1)} {ci}"
                    if ok and pd.notna(r["conf_low"])
                    else "–"
                ),
            }
        )
    return pd.DataFrame(rows)


def _validity_table(
    ins: pd.DataFrame, lab: _Labels, t: Translator, shows: Callable[[str, float], bool]
) -> pd.DataFrame:
    """Table 12: means by outcome group, raw and adjusted p, adjusted difference, AUC."""
    rows = []
    for r in ins[ins["analysis"] == "validity"].to_dict("records"):
        ok = shows(f"validity|{r['score']}|{r['group']}", r["n"])
        adj = pd.notna(r["adjusted_estimate"])
        rows.append(
            {
                t("col.score"): lab("score", str(r["score"]), str(r["score"])),
                t("col.work_or_study"): (
                    f"{t.num(float(r['mean_positive']), 1)} (n={int(r['n_positive'])})"
                    if ok
                    else "–"
                ),
                t("col.other_or_unemployed"): (
                    f"{t.num(float(r['mean_negative']), 1)} (n={int(r['n_negative'])})"
                    if ok
                    else "–"
                ),
                t("col.p_raw"): _p_text(t, r["p_value"]) if ok else "–",
                t("col.adjusted_difference"): (
                    t.num(float(r["adjusted_estimate"]), 1) if ok and adj else "–"
                ),
                t("col.p_adjusted"): _p_text(t, r["adjusted_p_value"]) if ok and adj else "–",
                t("col.auc"): t.num(float(r["auc"]), 2) if ok else "–",
            }
        )
    return pd.DataFrame(rows)


def build_pilot(
    results_dir: str | Path,
    *,
    pilot: str,
    lang: str = "en",
    threshold: int = DEFAULT_THRESHOLD,
) -> PilotReport:
    """Compute the content of one pilot's report from a results folder."""
    folder = Path(results_dir)
    if not folder.is_dir():
        raise ReportError(
            "results folder does not exist",
            where=str(folder),
            fix="give the folder write_pilot_results wrote into",
        )
    t = translator(lang)
    ledger = build_ledger(folder, threshold=threshold)
    forms = read_table(folder, "pilot_forms")
    if "section" not in forms.columns or not (forms["pilot"] == pilot).any():
        known = sorted(set(forms["pilot"])) if "pilot" in forms.columns else []
        raise ReportError(
            f"no self-evaluation results for pilot {pilot!r}",
            where=str(folder / "pilot_forms.csv"),
            fix=f"use one of: {', '.join(known)}" if known else "run write_pilot_results first",
        )
    labels_path = folder / "pilot_labels.csv"
    lab = _Labels(read_csv(labels_path) if labels_path.exists() else pd.DataFrame(), lang)
    forms = forms[forms["pilot"] == pilot].fillna("")
    cells = read_table(folder, "pilot_sections")
    cells = cells[cells["pilot"] == pilot].fillna("")
    inter = forms[forms["section"] == "intervention"]
    intervention_table = pd.DataFrame(
        {
            t("col.question"): [lab("field", f"intervention.{f}", f) for f in inter["field"]],
            t("col.answer"): [lab("code", str(v), str(v)) for v in inter["value"]],
        }
    )
    head = forms[forms["section"] == "pilot"]
    info = dict(zip(head["field"], head["value"], strict=True))
    intro = t(
        "pilot.intro",
        pilot=pilot,
        region=info.get("region", ""),
        start=t.date(info.get("period_start", "")),
        end=t.date(info.get("period_end", "")),
        date=t.date(info.get("report_date", "")),
    )
    tg = _section_frame(cells, "target_groups")
    if len(tg) and "included" in tg.columns:
        tg = tg[tg["included"] == "yes"].drop(columns=["included"])
    target_table = _display(tg, "target_groups", lab)
    logic_table = _display(_section_frame(cells, "logic_model"), "logic_model", lab)
    process: list[tuple[str, pd.DataFrame]] = []
    seen = list(PROCESS_SECTIONS) + [
        s for s in dict.fromkeys(cells["section"]) if s not in SKIP_SECTIONS
    ]
    for s in seen:
        f = _section_frame(cells, s)
        if len(f):
            f = f.loc[:, [c for c in f.columns if (f[c] != "").any()]]
            process.append((lab("section", s, s.replace("_", " ")), _display(f, s, lab)))
    crit = _section_frame(cells, "criteria")
    rating_counts = {r: 0 for r in ("green", "yellow", "red", "na", "missing")}
    if len(crit):
        for r in crit.get("rating", pd.Series(dtype=str)):
            rating_counts[str(r) if str(r) in rating_counts else "missing"] += 1
        criteria_table = pd.DataFrame(
            {
                t("col.theme"): [lab("code", v) for v in crit.get("theme", "")],
                t("col.criterion"): [lab("code", v) for v in crit["row"]],
                t("col.rating"): [
                    t.get(f"rating.{r}", t("rating.missing")) for r in crit["rating"]
                ],
            }
        )
        crit_fig: Figure | None = criteria_figure(crit, lab, t)
    else:
        criteria_table, crit_fig = pd.DataFrame(), None
    # Indicators: overall rows; values resting on fewer than threshold persons hidden.
    ind = read_table(folder, "pilot_indicators")
    ind = ind[(ind["pilot"] == pilot)]
    if "group_var" in ind.columns:
        ind = ind[ind["group_var"] == "all"]
    ind = ind.head(SHOWN_INDICATORS_MAX)

    def small(n: object) -> bool:
        v = pd.to_numeric(pd.Series([n]), errors="coerce").iloc[0]
        return bool(pd.notna(v) and 0 < v < threshold)

    indicator_table = pd.DataFrame(
        {
            t("col.indicator"): [lab("indicator", str(i)) for i in ind["indicator"]],
            t("col.value"): [
                f"n <{threshold}"
                if small(n) or small(d) or not ledger.shows(f"pilot_indicators:{pilot}", str(i), 0)
                else (t.num(float(v), 0 if u == "count" else 1) + (" %" if u == "percent" else ""))
                if pd.notna(v)
                else "–"
                for i, v, n, d, u in zip(
                    ind["indicator"],
                    ind["value"],
                    ind["numerator"],
                    ind["denominator"],
                    ind["unit"],
                    strict=True,
                )
            ],
            t("col.n"): [
                f"<{threshold}" if small(d) else ("" if pd.isna(d) else str(int(d)))
                for d in ind["denominator"]
            ],
        }
    )
    tl = read_table(folder, "pilot_timeline")
    tl = tl[tl["pilot"] == pilot].reset_index(drop=True)
    if len(tl):
        shown = ledger.display(timeline_table_name(pilot), total_label=t("total"))
        shown = shown.reset_index(names=t("col.quarter"))
        shown.columns = [
            t("col.quarter"),
            *(t(f"timeline.{c}") for c in ("entered", "exited", "employed")),
            t("total"),
        ]
        shown = shown.iloc[:, :-1]  # the row total adds nothing here
        timeline_table = shown
        tl_fig: Figure | None = timeline_figure(tl, shown, t)
    else:
        timeline_table, tl_fig = pd.DataFrame(), None
    sc = read_table(folder, "pilot_scores")
    sc = sc[sc["pilot"] == pilot]
    scores_table = pd.DataFrame()
    if len(sc):
        piv = sc.pivot(index="measure", columns="wave", values="mean")
        nn = sc.pivot(index="measure", columns="wave", values="n")
        scores_table = pd.DataFrame(
            {t("col.measure"): [lab("code", str(m), str(m).replace("_", " ")) for m in piv.index]}
        )
        for w in piv.columns:
            w_mean = piv[w].to_numpy(dtype=float)
            w_n = nn[w].to_numpy(dtype=float)
            scores_table[lab("code", str(w), str(w))] = [
                t.num(float(v), 1)
                if ledger.shows(f"pilot_scores:{pilot}", f"{m}|{w}", n)
                else f"n <{threshold}"
                for m, v, n in zip(piv.index, w_mean, w_n, strict=True)
            ]
    ins = read_table(folder, "pilot_instrument")
    ins = ins[ins["pilot"] == pilot] if "pilot" in ins.columns else ins
    ins_change, ins_validity = instrument_tables(
        ins, lab, t, lambda cell, n: ledger.shows(f"pilot_instrument:{pilot}", cell, n)
    )
    # Impact results of this pilot, if any.
    eff = read_table(folder, "effects")
    eff = eff[eff["pilot"] == pilot] if len(eff) else eff
    # Effects resting on fewer than threshold treated persons: no number, text or figure.
    shown_eff = [
        ledger.shows("effects", effect_key(pilot, str(o), str(d)), n)
        for o, d, n in zip(eff["outcome"], eff["design"], eff["n_treated"], strict=True)
    ]
    texts: list[str] = []
    for outcome, est, lo, hi, design, ok in zip(
        eff["outcome"].astype(str),
        eff["estimate"].to_numpy(dtype=float),
        eff["conf_low"].to_numpy(dtype=float),
        eff["conf_high"].to_numpy(dtype=float),
        eff["design"].astype(str),
        shown_eff,
        strict=True,
    ):
        if not ok:
            texts.append(t("impact.estimate_hidden", threshold=threshold))
            continue
        unit = t.get(f"outcome_short.{outcome}", outcome.replace("_", " "))
        texts.append(
            plain_effect(t, float(est), float(lo), float(hi), unit)
            + " "
            + t("plain.design", design=t.get(f"design.{design}", design))
        )
    effect_table = pd.DataFrame(
        {
            t("col.design"): [t.get(f"design.{d}", str(d)) for d in eff.get("design", [])],
            t("col.estimate"): [
                t.num(float(v), 1) if ok else "–"
                for v, ok in zip(eff.get("estimate", []), shown_eff, strict=True)
            ],
            t("col.ci"): [
                t.ci(float(a), float(b), 1) if ok else "–"
                for a, b, ok in zip(
                    eff.get("conf_low", []), eff.get("conf_high", []), shown_eff, strict=True
                )
            ],
            t("col.effect_n"): [
                ledger.cell_text(effect_count_cell(pilot, str(o), str(d)), n)
                for o, d, n in zip(
                    eff.get("outcome", []),
                    eff.get("design", []),
                    eff.get("n_treated", []),
                    strict=True,
                )
            ],
        }
    )
    # Diagnostics in plain language.
    pre = read_table(folder, "did_pretrend")
    pre = pre[pre["pilot"] == pilot]
    if len(pre):
        p = float(pre["p_value"].iloc[0])
        texts.append(t("plain.pretrend_ok" if p >= 0.05 else "plain.pretrend_bad"))
    bal = read_table(folder, "matching_balance")
    bal = bal[bal["pilot"] == pilot]
    if len(bal):
        ok = bool((bal["balanced"].astype(str).str.lower() == "true").all())
        texts.append(t("plain.balance_ok" if ok else "plain.balance_bad"))
    aggs = read_table(folder, "did_aggregations")
    dyn = aggs[(aggs["pilot"] == pilot) & (aggs["kind"] == "dynamic")]
    dyn = dyn[~dyn["overall"].astype(bool)].copy()
    fig = None
    if len(dyn):
        dyn = dyn[dyn["outcome"] == dyn["outcome"].iloc[0]]
        dyn["label"] = dyn["label"].astype(float)
        dyn = shown_events(dyn, ledger, pilot, str(dyn["outcome"].iloc[0]))
    if len(dyn):
        did_design = read_table(folder, "did_design")
        unit = did_design[
            (did_design["pilot"] == pilot)
            & (did_design["outcome"] == dyn["outcome"].iloc[0])
            & (did_design["key"] == "unit")
        ]["value"]
        share = len(unit) == 0 or str(unit.iloc[0]) == "share"
        fig = event_study_figure(dyn, t, 100.0 if share else 1.0)
    return PilotReport(
        pilot=pilot,
        lang=lang,
        threshold=int(threshold),
        intro=intro,
        intervention_table=intervention_table,
        target_table=target_table,
        logic_table=logic_table,
        process_tables=tuple(process),
        criteria_table=criteria_table,
        criteria_figure=crit_fig,
        rating_counts=rating_counts,
        indicator_table=indicator_table,
        timeline_table=timeline_table,
        timeline_figure=tl_fig,
        scores_table=scores_table,
        effect_texts=tuple(texts),
        effect_table=effect_table,
        effect_figure=fig,
        figure_alts={
            "criteria": t("alt.criteria", counts=rating_counts_text(rating_counts, t)),
            "timeline": timeline_alt(timeline_table, t) if len(timeline_table) else "",
            "effect": " ".join(texts),
        },
        instrument_change_table=ins_change,
        instrument_validity_table=ins_validity,
        ethics=ethics_rule(t.lang),
        need_table=pilot_need_table(folder, t, ledger, pilot),
    )


def pilot_need_table(folder: Path, t: Translator, ledger: Ledger, pilot: str) -> pd.DataFrame:
    """Service need in ``pilot``'s regions (the rows of ``need_indicators.csv`` whose
    ``pilots`` name it), latest year: the comparison report's table
    (:func:`evaluation.reporting.register_results.need_table`) without the pilot column."""
    table = need_table(folder, t, ledger, pilot=pilot)
    return table.drop(columns=t("col.pilot")) if len(table) else table


__all__ = ["PilotReport", "build_pilot", "pilot_need_table"]
