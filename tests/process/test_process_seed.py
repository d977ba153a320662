"""Process measures and concepts as the seeds define them (issue 20, item 5).

Seeds: ``001_f30848f05d3f04a5.txt`` (VN TEAS 2020:40) l.4837-4838 (how implementers were
engaged, whether the intended target group was reached), l.4928-4930 ("other" left out),
l.8722-8723 (seven quality dimensions), l.717-721 (four cooperation dimensions);
``002_1a0a8ae220cc67ba.txt`` (THL) l.637-639 (the legend), l.670-672 and 700-701 (the two
client-involvement questions); ``000_43f0b558463f3d76.txt`` l.137, 179 (participation
levels).
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import pytest

from evaluation.process import (
    client_process,
    concept_ratings,
    dose_response,
    implementer_engagement,
    intended_reach,
)
from evaluation.reporting.i18n import Translator
from evaluation.schema import load_schema
from evaluation.synthetic.filled_workbooks import filled_evaluation
from evaluation.workbook.model import SelfEvaluation

#: Shares of a handful of persons are exact up to rounding.
TOL = 1e-12


def _with(ev: SelfEvaluation, **records: tuple[dict[str, object], ...]) -> SelfEvaluation:
    return dataclasses.replace(ev, records={**ev.records, **records})


def _clients(groups: list[str], outcomes: list[str | None]) -> tuple[dict[str, object], ...]:
    base = dict(filled_evaluation("Fokus", seed=2, lang="en").records["clients"][0])
    return tuple(
        {
            **base,
            "client_id": f"C{i:03d}",
            "target_group": g,
            "outcome_3m": o,
            "entry_date": dt.date(2017, 1, 1),
            "exit_date": dt.date(2017, 1, 1) + dt.timedelta(days=30 * (i + 1)),
        }
        for i, (g, o) in enumerate(zip(groups, outcomes, strict=True))
    )


def test_reach_is_the_intended_groups_reached_capped_at_the_plan() -> None:
    # seed 001 l.4837-4838: "saavuttiko toteutus aiotun kohderyhmän"
    ev = filled_evaluation("Fokus", seed=2, lang="en")
    tg = tuple(
        {
            **r,
            "included": "yes" if r["row"] in ("disabled", "immigrants") else "no",
            "planned_clients": {"disabled": 4, "immigrants": 10}.get(str(r["row"])),
        }
        for r in ev.records["target_groups"]
    )
    # 6 disabled (2 over the plan of 4), 3 immigrants (plan 10), 1 outside the intended groups
    groups = ["disabled"] * 6 + ["immigrants"] * 3 + ["long_term_unemployed"]
    ev = _with(ev, target_groups=tg, clients=_clients(groups, [None] * 10))
    res = intended_reach(ev)
    by = res.groups.set_index("target_group")
    assert by.loc["disabled", "reached"] == 4 and by.loc["disabled", "share"] == 1.0
    assert by.loc["immigrants", "share"] == pytest.approx(0.3, abs=TOL)
    # overall: (4 + 3) / (4 + 10); the 2 extra disabled clients do not make up for the
    # immigrants not reached, so the share never exceeds 1 (participants / plan = 10/14)
    assert res.share == pytest.approx(7 / 14, abs=TOL)
    assert (res.participants, res.outside) == (10, 1)
    assert "each group counted up to its plan" in res.summary()
    assert res.tidy().set_index("target_group").loc["all", "reached"] == 7
    assert res.plot().axes


def test_dose_response_leaves_out_the_outcome_other() -> None:
    # seed 001 l.4930: "Muuhun tilanteeseen siirtyneet jätettiin analyysin ulkopuolelle."
    ev = filled_evaluation("Fokus", seed=2, lang="en")
    outcomes = ["work_contract", "other", "unemployed", "other", "degree_education", None]
    ev = _with(ev, clients=_clients(["disabled"] * 6, outcomes), service_dose=())
    cp = client_process([ev])
    got = [None if pd.isna(v) else int(v) for v in cp["positive_outcome"]]
    assert got == [1, None, 0, None, 1, None]
    res = dose_response(cp, dose="months_in_service", bands=2)
    # followed up and not "other": clients 0, 2, 4 (months 1, 3, 5 -> bands Q1: 0-2, Q2: 3-5)
    assert res.n == 3
    assert res.tidy()["n_followed"].tolist() == [2, 1]
    assert res.tidy()["positive_share"].tolist() == [0.5, 1.0]


def test_the_two_client_involvement_questions_are_two_criteria() -> None:
    # seed 002 l.670-672: two questions; l.700-701: built into the models, but clients were
    # hardly involved in building them.
    codes = {c.code: c for c in load_schema().codelist("criterion").codes}
    assert len(codes) == 33
    for t in ("t1", "t2", "t3"):
        built, involved = codes[f"{t}_client_involvement"], codes[f"{t}_clients_involved"]
        assert built.label.fi == (
            "Onko osatyökykyisten henkilöiden systemaattinen osallistuminen rakennettu "
            "osaksi mallia?"
        )
        assert "mukana mallin mukaisen toiminnan suunnittelussa, toteutuksessa ja arvioinnissa" in (
            involved.label.fi
        )
        assert built.attrs == involved.attrs


def test_quality_participation_and_cooperation_are_rateable() -> None:
    schema = load_schema()
    codes = schema.codelist("quality_concept").codes
    by_family: dict[str, list[str]] = {}
    for c in codes:
        by_family.setdefault(c.attrs["concept_family"], []).append(c.label.fi)
    # seed 001 l.8722-8723: "systemaattisuuden, johdonmukaisuuden, oikea-aikaisuuden,
    # osuvuuden, tavoittavuuden, tasapuolisuuden ja lähestyttävyyden"
    assert by_family["service_quality"] == [
        "Systemaattisuus",
        "Johdonmukaisuus",
        "Oikea-aikaisuus",
        "Osuvuus",
        "Tavoittavuus",
        "Tasapuolisuus",
        "Lähestyttävyys",
    ]
    # seed 000 l.137, 179: participation in services ("osallisuudesta palveluissa", l.179),
    # representative ("edustukselliseen osallisuuteen", l.137), societal (l.137, 179)
    assert len(by_family["participation_level"]) == 3
    assert by_family["participation_level"][0] == "Perustaso: osallisuus omissa palveluissa"
    assert by_family["participation_level"][1].startswith("Edustuksellinen osallisuus")
    assert by_family["participation_level"][2] == "Yhteiskunnallinen osallisuus"
    # seed 001 l.717-721: monitasoisuus, monisektorisuus, monitoimijuus, moniammatillisuus
    assert [x.split(":")[0] for x in by_family["cooperation_dimension"]] == [
        "Monitasoisuus",
        "Monisektorisuus",
        "Monitoimijuus",
        "Moniammatillisuus",
    ]
    section = schema.section("quality_concepts")
    assert section.rows_from == "quality_concept"
    assert section.field("rating").codelist == "rating"
    ev = filled_evaluation("Fokus", seed=2, lang="en")
    table = concept_ratings([ev])
    assert len(table) == 14 and table["rating"].notna().any()


def test_implementer_engagement_is_a_field() -> None:
    # seed 001 l.4837-4838: "kuinka toteuttajat saatiin toimimaan"
    field = load_schema().section("implementation").field("engagement")
    assert field.label.fi == "Miten toteuttajat saatiin toimimaan"
    ev = filled_evaluation("Fokus", seed=2, lang="en")
    got = implementer_engagement([ev])
    assert len(got) == 1 and got["engagement"].iloc[0].startswith("Joint training")
    # by hand: three components, two answer how the implementers were engaged, one is blank
    rows = (
        {"component": "Job coaching", "engagement": "Shared training days."},
        {"component": "Cooperation with employers", "engagement": None},
        {"component": "Peer groups", "engagement": "Paid working time for the groups."},
    )
    got = implementer_engagement([_with(ev, implementation=rows)])
    assert got["component"].tolist() == ["Job coaching", "Peer groups"]
    assert got["engagement"].tolist() == [
        "Shared training days.",
        "Paid working time for the groups.",
    ]
    assert set(got["pilot"]) == {ev.pilot}


def test_the_legend_uses_the_reports_wording() -> None:
    # seed 002 l.637-639: "toteutunut hyvin (vihreä), toteutunut osin (keltainen) tai ei ole
    # toteutunut/ toteutunut hyvin heikosti (punainen)"
    labels = {c.code: c.label.fi for c in load_schema().codelist("rating").codes}
    assert labels["green"].endswith("toteutunut hyvin")
    assert labels["yellow"].endswith("toteutunut osin")
    assert labels["red"].endswith("ei toteutunut tai hyvin heikosti")
    legend = Translator("fi")("traffic.text")
    for words in ("toteutunut hyvin", "toteutunut osin", "ei toteutunut tai hyvin heikosti"):
        assert words in legend
