"""The demo's index page in Finnish and Swedish (``index-fi.html``, ``index-sv.html``).

The page a funder or pilot coordinator opens first: what the report set holds, the pilots,
their key indicators from the self-evaluation workbooks and how their submissions fared,
the register outcomes, trajectory groups and service need (the English page's builder,
:func:`evaluation.demo.registers.add_register_sections`, in the page's language), every
text from the language catalogue and every number in the language's notation. The
methods appendix (the register panel, the estimators beside the synthetic truth) stays on
the English ``index.html``, linked from here.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import pandas as pd

from evaluation.demo.navigation import index_name, language_links
from evaluation.demo.page import Page, paragraph
from evaluation.demo.registers import add_register_sections
from evaluation.demo.steps import DEMO_THRESHOLD, DemoContext
from evaluation.reporting.i18n import Lang, Translator, translator
from evaluation.reporting.ledger import Ledger, build_ledger
from evaluation.workbook.overview import KEY_INDICATORS


def _table(head: list[str], rows: list[list[str]]) -> str:
    """An HTML table of already formatted cells (escaped here)."""
    th = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows
    )
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def _reports(ctx: DemoContext, t: Translator) -> str:
    """The report set, one line each: a link and what the report is for."""
    items = []
    for path in ctx.reports:
        href = html.escape(path.relative_to(ctx.out).as_posix())
        if path.name in ("vertailu.html", "compare.html", "impact.html", "vaikutus.html"):
            label, about = t(f"demo.report.{path.stem}"), t(f"demo.report.{path.stem}.about")
        else:  # pilot-<slug>.html
            pilot = _pilot_of(path, ctx)
            label, about = pilot, t("demo.report.pilot.about", pilot=pilot)
        items.append(f"<li><a href='{href}'>{html.escape(label)}</a>: {html.escape(about)}</li>")
    for label, path in ctx.plan_reports:
        href = html.escape(path.relative_to(ctx.out).as_posix())
        pilot = label.split(": ", 1)[-1]
        text = html.escape(t("nav.plan", pilot=pilot))
        items.append(f"<li><a href='{href}'>{text}</a>: {html.escape(t('demo.report.plan'))}</li>")
    return "<ul class='links'>" + "".join(items) + "</ul>"


def _pilot_of(path: Path, ctx: DemoContext) -> str:
    from evaluation.demo.steps import slug

    pilots = ctx.registers().pilots["pilot"].astype(str)
    return next((p for p in pilots if path.stem == f"pilot-{slug(p)}"), path.stem)


def _pilots(ctx: DemoContext, t: Translator) -> str:
    p = ctx.registers().pilots
    head = [t(f"demo.col.{c}") for c in ("pilot", "town", "regions", "kind", "start", "n")]
    rows = []
    for r in p.to_dict(orient="records"):
        regions: Any = r["regions"]
        start = pd.Timestamp(str(r["start_month"]))
        rows.append(
            [
                str(r["pilot"]),
                str(r["town"]),
                regions if isinstance(regions, str) else ", ".join(map(str, regions)),
                t(f"demo.kind.{r['kind']}"),
                f"{start.month}/{start.year}",
                t.num(float(str(r["n_participants"])), 0),
            ]
        )
    return _table(head, rows)


def _indicators(ctx: DemoContext, t: Translator, ledger: Ledger) -> str:
    if ctx.overview is None:
        return ""
    table = ctx.overview.indicators
    head = [t("demo.col.pilot"), *[t.get(f"indicator.{i}", i) for i in KEY_INDICATORS]]
    rows = []
    for r in table.to_dict(orient="records"):
        pilot = str(r["pilot"])
        cells = [pilot]
        for ind in KEY_INDICATORS:
            v = r.get(ind)
            if v is None or pd.isna(v):
                cells.append(t("not_available"))
            elif ledger.shows(f"pilot_indicators:{pilot}", ind, 0):
                cells.append(t.num(float(v), 1))
            else:
                cells.append(f"n < {ledger.threshold}")
        rows.append(cells)
    return _table(head, rows)


def _submissions(ctx: DemoContext, t: Translator) -> str:
    if ctx.submissions is None:
        return ""
    listing = ctx.submissions.listing
    head = [t("demo.col.pilot"), *[t(f"cli.col.{c}") for c in ("period", "version", "status")]]
    head.append(t("cli.col.n_failures"))
    rows = [
        [
            str(r.pilot),
            t.date(str(r.period)),
            str(r.version),
            t(f"cli.status.{r.status}"),
            str(r.n_failures),
        ]
        for r in listing.itertuples(index=False)
    ]
    return _table(head, rows)


def write_index_in(ctx: DemoContext, lang: Lang) -> Path:
    """Write the index page in ``lang`` (Finnish or Swedish) and return its path."""
    t = translator(lang)
    ledger = build_ledger(ctx.results_dir, threshold=DEMO_THRESHOLD)
    page = Page(
        title=t("demo.title"),
        subtitle=t("demo.subtitle", persons=t.num(float(ctx.persons), 0), seed=ctx.seed),
        lang=lang,
    )
    intro = paragraph(t("demo.reports.intro"))
    page.add(t("demo.reports"), language_links(lang), intro, _reports(ctx, t))
    page.add(t("demo.pilots"), paragraph(t("demo.pilots.intro")), _pilots(ctx, t))
    indicators = _indicators(ctx, t, ledger)
    page.add(t("demo.indicators"), paragraph(t("demo.indicators.intro")), indicators)
    submissions = _submissions(ctx, t)
    page.add(t("demo.submissions"), paragraph(t("demo.submissions.intro")), submissions)
    add_register_sections(page, ctx.results_dir, ledger, t)
    appendix = f"<p><a href='index.html'>{html.escape(t('demo.appendix.link'))}</a></p>"
    page.add(t("demo.appendix"), paragraph(t("demo.appendix.intro")), appendix)
    return page.write(ctx.out / index_name(lang))
