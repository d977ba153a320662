"""Filled self-evaluation workbooks of the six synthetic OTE 4 pilots.

Each pilot gets a realistic workbook: TIDieR description, target groups, organisations,
logic model with indicator links, MRC process evaluation, traffic-light ratings, a client
follow-up sheet and baseline/follow-up self-assessments. Quality varies: "Savon Ote" has
empty required sections (mechanisms, context) and invalid cells, as a real submission might,
so that the reader's located messages can be seen in the demo.

The client data follow a latent "readiness" per client: readiness raises the self-assessment
scores, the chance of paid employment after job coaching or work activity, and the chance of
being in work or education 3 months after exit (so baseline scores predict the outcome).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
from openpyxl import load_workbook

from evaluation.errors import OptionError
from evaluation.schema import LANGS, Lang, Schema, load_schema
from evaluation.synthetic.ote4 import (
    OTE4_PILOTS,
    TARGET_DISABLED,
    TARGET_LONG_TERM_UNEMPLOYED,
    TARGET_MENTAL_HEALTH,
    TARGET_PARTIAL_WORK_ABILITY,
    TARGET_STUDENT,
    Ote4Pilot,
)
from evaluation.workbook.model import Record, SelfEvaluation, Value
from evaluation.workbook.writer import write_workbook

#: The pilot whose workbook has missing sections and invalid cells.
FLAWED_PILOT = "Savon Ote"
#: Report date of every synthetic workbook (after the pilots ended).
REPORT_DATE = dt.date(2019, 3, 31)

_TARGET_CODES = {
    TARGET_PARTIAL_WORK_ABILITY: "partial_work_ability",
    TARGET_LONG_TERM_UNEMPLOYED: "long_term_unemployed",
    TARGET_DISABLED: "disabled",
    TARGET_MENTAL_HEALTH: "mental_health_substance",
    TARGET_STUDENT: "youth_special_support",
}

#: Typical invalid entries (a date typed as words, a made-up group, a colour not offered).
_SPOILERS = {
    "fi": ("ensi viikolla", "työtön", "sininen"),
    "sv": ("nästa vecka", "arbetslös", "blå"),
    "en": ("next week", "jobless", "blue"),
}

#: Prefix of the pseudonymous client ids of each pilot.
_PREFIX = {
    "Yhdessä hyvä Ote": "YHO",
    "Sataosaa": "SAT",
    "KP Ote": "KPO",
    "Pähee Ote": "PAH",
    "Fokus": "FOK",
    "Savon Ote": "SAV",
}

# Short texts per language; {pilot} and {town} are filled in.
_TEXT: dict[str, dict[str, str]] = {
    "fi": {
        "why": "Osatyökykyisten työllistymistä tukevat palvelut ovat hajallaan; {pilot} "
        "kokoaa ne yhteen ja suuntaa toiminnan palkkatyöhön.",
        "materials": "Työhönvalmennuksen käsikirja, asiakkaan työelämäsuunnitelma, "
        "työnantajaesite.",
        "procedures": "Alkukartoitus, yksilöllinen työhönvalmennus, työpaikkojen etsiminen "
        "yhdessä asiakkaan kanssa ja tuki työssä pysymiseen.",
        "who": "Työhönvalmentajat, sosiaaliohjaajat ja TE-toimiston asiantuntijat.",
        "how_detail": "Pääosin kasvokkain, seurannassa myös puhelimitse.",
        "where": "{town}: työpaikat, TE-toimisto ja kunnan palvelupisteet.",
        "when": "Valmennus 6–12 kuukautta, tapaaminen noin kerran viikossa.",
        "tailoring": "Tuen määrä ja työtehtävät sovitetaan asiakkaan toimintakykyyn.",
        "modifications": "Ryhmämuotoinen alkuvaihe lisättiin syksyllä 2017.",
        "fid_plan": "Tapaamiset kirjattiin asiakastietojärjestelmään ja käytiin läpi "
        "kuukausittain.",
        "fid_act": "Suurin osa tapaamisista toteutui suunnitellusti.",
        "tg": "Pääkohderyhmä.",
        "role": "Osallistuu asiakasohjaukseen ja yhteisiin palavereihin.",
        "res": "Osa työajasta.",
        "input": "Kaksi työhönvalmentajaa ja projektipäällikkö",
        "activity": "Yksilöllinen työhönvalmennus",
        "output": "Valmennusjaksot ja työnantajakontaktit",
        "short": "Asiakkaat aloittavat palkkatyön",
        "long": "Osatyökykyisten työllisyys paranee alueella",
        "assumption": "Alueen työnantajat ovat valmiita palkkaamaan osatyökykyisiä",
        "component": "Työhönvalmennus",
        "component2": "Työnantajayhteistyö",
        "planned": "Jokaiselle asiakkaalle valmennus viikoittain.",
        "delivered": "Valmennus toteutui useimmille asiakkaille.",
        "adaptation": "Tapaamistiheyttä harvennettiin kesällä.",
        "reason": "Henkilöstön lomat.",
        "engagement": "Yhteinen koulutus ja viikoittaiset tiimipalaverit; johto antoi aikaa.",
        "resp": "Asiakkaat kokivat saavansa yksilöllistä tukea.",
        "mediator": "Nimetty vastuutyöntekijä lisäsi luottamusta.",
        "unexpected": "Osa asiakkaista hakeutui koulutukseen.",
        "source": "Asiakashaastattelut",
        "barrier": "Tiedonkulku organisaatioiden välillä oli hidasta.",
        "facilitator": "Johto tuki kokeilua.",
        "response": "Sovittiin yhteiset palaverit.",
        "just": "Perustuu kokeilun dokumentteihin ja haastatteluihin.",
        "contact": "Projektipäällikkö",
    },
    "sv": {
        "why": "Tjänsterna som stöder sysselsättning för personer med partiell arbetsförmåga "
        "är splittrade; {pilot} samlar dem och inriktar verksamheten på lönearbete.",
        "materials": "Handbok för arbetscoachning, klientens arbetslivsplan, broschyr för "
        "arbetsgivare.",
        "procedures": "Inledande kartläggning, individuell arbetscoachning, sökande av "
        "arbetsplatser tillsammans med klienten och stöd för att behålla arbetet.",
        "who": "Arbetscoacher, socialhandledare och sakkunniga vid TE-byrån.",
        "how_detail": "Främst fysiska möten, i uppföljningen även per telefon.",
        "where": "{town}: arbetsplatser, TE-byrån och kommunens serviceställen.",
        "when": "Coachning i 6–12 månader, möte ungefär en gång i veckan.",
        "tailoring": "Stödets omfattning och arbetsuppgifterna anpassas till klientens "
        "funktionsförmåga.",
        "modifications": "En inledande gruppfas lades till hösten 2017.",
        "fid_plan": "Mötena registrerades i klientdatasystemet och gicks igenom varje månad.",
        "fid_act": "De flesta möten genomfördes enligt plan.",
        "tg": "Huvudmålgrupp.",
        "role": "Deltar i klienthänvisningen och i gemensamma möten.",
        "res": "En del av arbetstiden.",
        "input": "Två arbetscoacher och en projektledare",
        "activity": "Individuell arbetscoachning",
        "output": "Coachningsperioder och arbetsgivarkontakter",
        "short": "Klienterna inleder lönearbete",
        "long": "Sysselsättningen för personer med partiell arbetsförmåga förbättras i regionen",
        "assumption": "Arbetsgivarna i regionen är beredda att anställa personer med partiell "
        "arbetsförmåga",
        "component": "Arbetscoachning",
        "component2": "Samarbete med arbetsgivare",
        "planned": "Varje klient får coachning varje vecka.",
        "delivered": "Coachningen genomfördes för de flesta klienter.",
        "adaptation": "Mötena glesades ut under sommaren.",
        "reason": "Personalens semestrar.",
        "engagement": "Gemensam utbildning och veckovisa teammöten; cheferna gav tid.",
        "resp": "Klienterna upplevde att de fick individuellt stöd.",
        "mediator": "En namngiven ansvarig arbetstagare ökade förtroendet.",
        "unexpected": "En del klienter sökte sig till utbildning.",
        "source": "Klientintervjuer",
        "barrier": "Informationsflödet mellan organisationerna var långsamt.",
        "facilitator": "Ledningen stödde försöket.",
        "response": "Man kom överens om gemensamma möten.",
        "just": "Baserar sig på försökets dokument och intervjuer.",
        "contact": "Projektledare",
    },
    "en": {
        "why": "Services supporting employment of people with partial work ability are "
        "fragmented; {pilot} brings them together and orients the work to paid jobs.",
        "materials": "Job coaching handbook, client's working-life plan, employer leaflet.",
        "procedures": "Initial assessment, individual job coaching, searching for jobs "
        "together with the client and support for keeping the job.",
        "who": "Job coaches, social counsellors and TE office experts.",
        "how_detail": "Mostly face to face, follow-up also by phone.",
        "where": "{town}: workplaces, TE office and municipal service points.",
        "when": "Coaching for 6–12 months, meeting about once a week.",
        "tailoring": "The amount of support and the tasks are adapted to the client's functioning.",
        "modifications": "A group phase at the start was added in autumn 2017.",
        "fid_plan": "Meetings were recorded in the client system and reviewed monthly.",
        "fid_act": "Most meetings took place as planned.",
        "tg": "Main target group.",
        "role": "Takes part in client guidance and joint meetings.",
        "res": "Part of working time.",
        "input": "Two job coaches and a project manager",
        "activity": "Individual job coaching",
        "output": "Coaching periods and employer contacts",
        "short": "Clients start paid employment",
        "long": "Employment of people with partial work ability improves in the region",
        "assumption": "Employers in the region are willing to hire people with partial "
        "work ability",
        "component": "Job coaching",
        "component2": "Cooperation with employers",
        "planned": "Weekly coaching for every client.",
        "delivered": "Coaching was delivered to most clients.",
        "adaptation": "Meetings were less frequent in the summer.",
        "reason": "Staff holidays.",
        "engagement": "Joint training and weekly team meetings; managers set aside working time.",
        "resp": "Clients felt they received individual support.",
        "mediator": "A named responsible worker increased trust.",
        "unexpected": "Some clients moved on to education.",
        "source": "Client interviews",
        "barrier": "Information flowed slowly between organisations.",
        "facilitator": "Management supported the pilot.",
        "response": "Joint meetings were agreed.",
        "just": "Based on the pilot's documents and interviews.",
        "contact": "Project manager",
    },
}


def _service_groups(p: Ote4Pilot) -> tuple[list[str], list[float]]:
    if p.name == "Fokus":
        return ["education", "te", "ngo"], [0.7, 0.2, 0.1]
    if p.kind == "targeted":
        return ["social_institutional", "social_outpatient", "ngo"], [0.3, 0.6, 0.1]
    return (
        ["municipality", "te", "health", "social_outpatient", "ngo", "other"],
        [0.3, 0.25, 0.1, 0.2, 0.1, 0.05],
    )


def _concept_ratings(schema: Schema, why: str, rng: np.random.Generator) -> tuple[Record, ...]:
    """Ratings of the quality, participation and cooperation dimensions; a few are left
    unrated (a blank row is no record)."""
    out: list[Record] = []
    for code in schema.codelist("quality_concept").codes:
        rating = str(rng.choice(["green", "yellow", "red", ""], p=[0.35, 0.35, 0.15, 0.15]))
        if rating:
            out.append({"row": code.code, **code.attrs, "rating": rating, "justification": why})
    return tuple(out)


def _age_education(z: float, rng: np.random.Generator) -> tuple[int, str]:
    """Age and 3-level education, both a little related to the client's prospects ``z``."""
    age = int(np.clip(round(38 - 4 * z + rng.normal(0, 10)), 18, 64))
    u = 1 / (1 + np.exp(-(0.6 * z + rng.normal(0, 1))))
    edu = "no_vocational" if u < 0.3 else "vocational" if u < 0.75 else "college_or_higher"
    return age, edu


def _clients(
    p: Ote4Pilot, rng: np.random.Generator, extra: np.random.Generator
) -> tuple[list[Record], list[Record]]:
    """Client follow-up and self-assessment records of one pilot (``extra``: the stream of
    the content added with schema 1.2: age, education, the motivation and self-efficacy
    items and second follow-ups)."""
    n = int(rng.integers(40, 90))
    groups, weights = _service_groups(p)
    tgs = [_TARGET_CODES[t] for t in p.target_groups]
    start = p.start.date()
    clients: list[Record] = []
    assessments: list[Record] = []
    for i in range(n):
        z = float(rng.normal())
        entry = start + dt.timedelta(days=int(rng.integers(0, 30 * p.enrolment_months)))
        stay = int(rng.integers(90, 420))
        exit_date = entry + dt.timedelta(days=stay)
        exited = exit_date <= REPORT_DATE
        jc = wa = sr = None
        if rng.random() < (0.6 if p.kind == "general" or p.name == "Fokus" else 0.35):
            jc = entry + dt.timedelta(days=int(rng.integers(0, 60)))
        if rng.random() < (0.35 if p.kind == "general" else 0.7):
            wa = entry + dt.timedelta(days=int(rng.integers(0, 45)))
        if rng.random() < 0.2:
            sr = entry + dt.timedelta(days=int(rng.integers(0, 90)))
        emp = None
        first = min((d for d in (jc, wa) if d is not None), default=None)
        if first is not None and rng.random() < 1 / (1 + np.exp(-(z - 0.6))):
            emp = first + dt.timedelta(days=int(rng.gamma(2.0, 80.0)))
            if emp > REPORT_DATE:
                emp = None
        outcome = None
        if exited and exit_date + dt.timedelta(days=92) <= REPORT_DATE:
            u = rng.random()
            p_work = 1 / (1 + np.exp(-(1.2 * z - 0.8)))
            if emp is not None and u < 0.8:
                outcome = "work_contract"
            elif u < p_work:
                outcome = (
                    "degree_education"
                    if p.name == "Fokus" or rng.random() < 0.3
                    else "work_contract"
                )
            else:
                outcome = str(
                    rng.choice(
                        ["other_employment_service", "unemployed", "other"], p=[0.4, 0.45, 0.15]
                    )
                )
        feedback = None
        benefit = participation = None
        if exited:
            feedback = "yes" if rng.random() < 0.65 else "no"
            if feedback == "yes":
                benefit = int(np.clip(round(3.6 + 0.5 * z + rng.normal(0, 0.8)), 1, 5))
                participation = int(np.clip(round(3.4 + 0.4 * z + rng.normal(0, 0.9)), 1, 5))
        cid = f"{_PREFIX[p.name]}{i + 1:03d}"
        age, edu = _age_education(z, extra)
        clients.append(
            {
                "client_id": cid,
                "entry_date": entry,
                "exit_date": exit_date if exited else None,
                "target_group": str(rng.choice(tgs)),
                "service_group": str(rng.choice(groups, p=weights)),
                "job_coaching_start": jc,
                "work_activity_start": wa,
                "social_rehab_start": sr,
                "other_services": None,
                "employment_start": emp,
                "outcome_3m": outcome,
                "feedback_given": feedback,
                "perceived_benefit": benefit,
                "experienced_participation": participation,
                "age": age,
                "education": edu,
            }
        )
        if rng.random() < 0.85:
            d0 = entry + dt.timedelta(days=int(rng.integers(0, 15)))
            assessments.append(_assessment(cid, "baseline", d0, z, (rng, extra)))
            d1 = d0 + dt.timedelta(days=int(rng.integers(150, 260)))
            if rng.random() < 0.6 and d1 <= REPORT_DATE:
                assessments.append(_assessment(cid, "follow_up", d1, z + 0.15, (rng, extra)))
                d2 = d1 + dt.timedelta(days=int(extra.integers(90, 200)))
                if extra.random() < 0.4 and d2 <= REPORT_DATE:
                    assessments.append(_assessment(cid, "follow_up", d2, z + 0.3, (extra, extra)))
    return clients, assessments


#: Share of a targeted pilot's clients in day activity (the general pilots have none).
DAY_ACTIVITY_SHARE = 0.3


def _service_use(
    p: Ote4Pilot, clients: list[Record], rng: np.random.Generator
) -> tuple[Record, ...]:
    """One row per client and service started: work activity is social-welfare work activity
    in the targeted pilots (disability-service clients) and rehabilitative work activity in
    the general ones; feedback and perceived benefit for exited clients."""
    work = "rehabilitative_work_activity" if p.kind == "general" else "work_activity_social_welfare"
    rows: list[Record] = []
    for c in clients:
        started: list[tuple[str, Value]] = [
            ("job_coaching", c["job_coaching_start"]),
            ("social_rehabilitation", c["social_rehab_start"]),
            (work, c["work_activity_start"]),
        ]
        if p.kind != "general" and rng.random() < DAY_ACTIVITY_SHARE:
            started.append(("day_activity", c["entry_date"]))
        for service, start in started:
            if start is None:
                continue
            feedback = benefit = None
            if c["exit_date"] is not None:
                feedback = "yes" if rng.random() < 0.6 else "no"
                if feedback == "yes":
                    benefit = int(rng.integers(2, 6))
            rows.append(
                {
                    "client_id": c["client_id"],
                    "service": service,
                    "start_date": start,
                    "feedback_given": feedback,
                    "benefit": benefit,
                }
            )
    return tuple(rows)


def _assessment(
    cid: str,
    wave: str,
    date: dt.date,
    z: float,
    rngs: tuple[np.random.Generator, np.random.Generator],
) -> Record:
    """One answer; ``rngs``: the streams of the items of schema 1.1 and of those added."""
    inst = load_schema().instrument("work_ability_functioning")
    rec: dict[str, Value] = {"client_id": cid, "wave": wave, "date": date}
    for it in inst.items:
        rng = rngs[1] if it.since else rngs[0]
        mid = (it.min + it.max) / 2 + 0.05 * (it.max - it.min)
        spread = 0.22 * (it.max - it.min)
        v = mid + spread * (z + rng.normal(0, 0.8))
        rec[it.id] = int(np.clip(round(v), it.min, it.max))
    return rec


def _evaluation(p: Ote4Pilot, lang: Lang, rng: np.random.Generator) -> SelfEvaluation:
    schema = load_schema()
    tx = {k: v.format(pilot=p.name, town=p.town) for k, v in _TEXT[lang].items()}
    forms: dict[str, dict[str, Value]] = {
        "pilot": {
            "pilot_name": p.name,
            "region": ", ".join(p.regions),
            "coordinator": ", ".join(p.organisers),
            "contact_person": tx["contact"],
            "period_start": p.start.date(),
            "period_end": dt.date(2018, 12, 31),
            "report_date": REPORT_DATE,
        },
        "intervention": {
            "brief_name": p.name,
            "why": tx["why"],
            "materials": tx["materials"],
            "procedures": tx["procedures"],
            "who_provides": tx["who"],
            "how_mode": str(rng.choice(["individual", "mixed"])),
            "how_detail": tx["how_detail"],
            "where": tx["where"],
            "when_how_much": tx["when"],
            "tailoring": tx["tailoring"],
            "modifications": tx["modifications"],
            "fidelity_planned": tx["fid_plan"],
            "fidelity_actual": tx["fid_act"],
        },
    }
    tgs = {_TARGET_CODES[t] for t in p.target_groups}
    target_rows: list[Record] = [
        {
            "row": c,
            "included": "yes" if c in tgs else "no",
            "planned_clients": int(rng.integers(20, 80)) if c in tgs else None,
            "description": tx["tg"] if c in tgs else None,
        }
        for c in schema.codelist("target_group").ids
    ]
    org_rows: list[Record] = []
    for c in schema.codelist("organisation").ids:
        inv = c in ("te_office", "municipal_social_health", "kela") or rng.random() < 0.5
        org_rows.append(
            {
                "row": c,
                "involved": "yes" if inv else "no",
                "role": tx["role"] if inv else None,
                "resources": tx["res"] if inv else None,
            }
        )
    logic: list[Record] = [
        {"element": "input", "element_id": "P1", "description": tx["input"], "indicators": None},
        {
            "element": "activity",
            "element_id": "T1",
            "description": tx["activity"],
            "indicators": None,
        },
        {
            "element": "output",
            "element_id": "O1",
            "description": tx["output"],
            "indicators": "started_job_coaching",
        },
        {
            "element": "short_term_outcome",
            "element_id": "S1",
            "description": tx["short"],
            "indicators": "employed_6m_after_job_coaching, employed_6m_after_work_activity",
        },
        {
            "element": "long_term_outcome",
            "element_id": "L1",
            "description": tx["long"],
            "indicators": "work_or_education_3m_after_exit",
        },
        {
            "element": "assumption",
            "element_id": "A1",
            "description": tx["assumption"],
            "indicators": None,
        },
    ]
    impl: list[Record] = [
        {
            "component": tx["component"],
            "planned": tx["planned"],
            "delivered": tx["delivered"],
            "fidelity": str(rng.choice(["as_planned", "partly"])),
            "dose_delivered": float(rng.integers(200, 900)),
            "dose_received": 14.5,
            "reach_intended": 80,
            "reach_actual": int(rng.integers(40, 90)),
            "adaptation": tx["adaptation"],
            "adaptation_reason": tx["reason"],
            "engagement": tx["engagement"],
        },
        {
            "component": tx["component2"],
            "planned": None,
            "delivered": tx["delivered"],
            "fidelity": "partly",
            "dose_delivered": None,
            "dose_received": None,
            "reach_intended": None,
            "reach_actual": None,
            "adaptation": None,
            "adaptation_reason": None,
            "engagement": None,
        },
    ]
    mech: list[Record] = [
        {"mechanism": "participant_response", "description": tx["resp"], "source": tx["source"]},
        {"mechanism": "mediator", "description": tx["mediator"], "source": tx["source"]},
        {"mechanism": "unexpected", "description": tx["unexpected"], "source": None},
    ]
    ctx: list[Record] = [
        {
            "factor": "barrier",
            "level": "network",
            "description": tx["barrier"],
            "response": tx["response"],
        },
        {
            "factor": "facilitator",
            "level": "organisation",
            "description": tx["facilitator"],
            "response": None,
        },
    ]
    relevant = (
        {"work_activity_to_work", "participation"}
        if p.name != "Fokus"
        else {"studies_to_work", "participation"}
    )
    # Content added with schema 1.2 draws from its own stream, so the earlier content of a
    # seed stays as it was.
    extra = rng.spawn(1)[0]
    crit: list[Record] = []
    for code in schema.codelist("criterion").codes:
        theme = code.attrs["theme"]
        if theme in relevant:
            src = extra if code.since else rng
            rating = str(src.choice(["green", "yellow", "red"], p=[0.45, 0.4, 0.15]))
            if code.code.endswith("_clients_involved"):
                rating = (
                    "red"  # THL: clients hardly involved in building the models (002 l.700-701)
                )
            if code.code.endswith("_indicators"):
                rating = "red"  # as THL found: no pilot considered follow-up indicators
            crit.append(
                {"row": code.code, **code.attrs, "rating": rating, "justification": tx["just"]}
            )
        else:
            crit.append({"row": code.code, **code.attrs, "rating": "na", "justification": None})
    clients, assess = _clients(p, rng, extra)
    records: dict[str, tuple[Record, ...]] = {
        "target_groups": tuple(target_rows),
        "organisations": tuple(org_rows),
        "logic_model": tuple(logic),
        "implementation": tuple(impl),
        "mechanisms": tuple(mech),
        "context": tuple(ctx),
        "criteria": tuple(crit),
        "clients": tuple(clients),
        "self_assessment": tuple(assess),
    }
    integration, process = _process_content(p, lang, rng, clients)
    forms["integration_model"] = integration
    records.update(process)
    # own stream: the content drawn above does not change
    records["service_use"] = _service_use(p, clients, rng.spawn(1)[0])
    records["quality_concepts"] = _concept_ratings(schema, tx["just"], extra)
    if p.name == FLAWED_PILOT:
        records["mechanisms"] = ()
        records["context"] = ()
    return SelfEvaluation(
        pilot=p.name,
        lang=lang,
        forms=forms,
        records=records,
        schema_version=schema.version,
        schema=schema,
    )


def _spoil(path: Path, lang: Lang) -> None:
    """Put typical invalid cells into a written workbook (the flawed pilot)."""
    schema = load_schema()
    wb = load_workbook(path)
    clients = wb[schema.section("clients").sheet(lang)]
    words = _SPOILERS[lang]
    clients["C7"] = words[0]  # text in the entry-date column
    clients["E9"] = words[1]  # not a target-group label
    assess = wb[schema.section("self_assessment").sheet(lang)]
    assess["H6"] = 15  # work ability on a 0-10 scale
    crit = wb[schema.section("criteria").sheet(lang)]
    crit["E6"] = words[2]  # not a traffic-light colour
    goals = wb[schema.section("client_goals").sheet(lang)]
    goals["I6"] = 3  # goal attainment on the -2..+2 scale
    wb.save(path)


def write_filled_workbooks(folder: str | Path, *, seed: int, lang: str = "fi") -> list[Path]:
    """Write the six pilots' filled workbooks into ``folder``.

    Parameters
    ----------
    folder:
        Output folder (created if needed).
    seed:
        Seed of the generator; the same seed gives the same workbooks.
    lang:
        Language of the workbooks (``fi``, ``sv`` or ``en``).

    Returns
    -------
    list of Path
        One ``.xlsx`` per pilot, in the order of :data:`OTE4_PILOTS`. The workbook of
        :data:`FLAWED_PILOT` has missing sections and invalid cells on purpose.
    """
    if lang not in LANGS:
        raise OptionError(
            f"unknown language {lang!r}", where="option lang", fix=f"use one of {', '.join(LANGS)}"
        )
    code: Lang = lang
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for k, p in enumerate(OTE4_PILOTS):
        rng = np.random.default_rng([seed, k])
        ev = _evaluation(p, code, rng)
        slug = "".join(ch if ch.isalnum() else "_" for ch in p.name.lower())
        path = write_workbook(ev, out / f"{slug}.xlsx")
        if p.name == FLAWED_PILOT:
            _spoil(path, code)
        paths.append(path)
    return paths


def filled_evaluation(pilot: str, *, seed: int, lang: str = "fi") -> SelfEvaluation:
    """The clean :class:`SelfEvaluation` behind one pilot's workbook (for tests and docs)."""
    k = next((i for i, p in enumerate(OTE4_PILOTS) if p.name == pilot), None)
    if k is None:
        raise OptionError(
            f"unknown OTE 4 pilot {pilot!r}",
            fix=f"use one of: {', '.join(p.name for p in OTE4_PILOTS)}",
        )
    code: Any = lang if lang in LANGS else "fi"
    return _evaluation(OTE4_PILOTS[k], code, np.random.default_rng([seed, k]))


# -- process evaluation content (issue 9) ---------------------------------------------
#: Integration model of each pilot (synthetic; the typology of the seed report's Table 4).
_MODEL = {
    "Yhdessä hyvä Ote": "partnership",
    "Sataosaa": "multisectoral_team",
    "KP Ote": "coordination",
    "Pähee Ote": "coordination",
    "Fokus": "one_stop",
    "Savon Ote": "partnership",
}
#: Mean readiness answer (1-5) per theme at round 1 for each pilot.
_READY = {
    "Yhdessä hyvä Ote": (3.6, 3.4, 3.1, 2.6, 2.8),
    "Sataosaa": (3.3, 3.5, 3.3, 2.4, 2.6),
    "KP Ote": (3.0, 3.2, 3.4, 2.9, 2.5),
    "Pähee Ote": (3.4, 3.8, 3.2, 2.7, 2.4),
    "Fokus": (3.7, 3.6, 3.5, 3.1, 3.0),
    "Savon Ote": (2.9, 3.1, 2.8, 2.3, 2.2),
}
_READINESS_THEME_ITEMS = ("leadership", "culture", "competence", "technology", "economics")

_PTEXT: dict[str, dict[str, str]] = {
    "fi": {
        "funding": "ESR-rahoitus ja kuntien omarahoitus; TE-toimisto ja Kela omilla "
        "resursseillaan.",
        "actors": "Hallinnoija {coordinator}; mukana TE-toimisto, Kela, kunnan sosiaali- ja "
        "terveyspalvelut ja järjestöt.",
        "target": "Osatyökykyiset ja pitkäaikaistyöttömät, joiden palvelutarve on monialainen.",
        "goal": "Sovittaa yhteen palvelut niin, että asiakas etenee kohti työtä tai koulutusta.",
        "practices": "Yhteiset asiakaspalaverit, nimetty vastuutyöntekijä ja sovittu "
        "palveluohjaus organisaatioiden välillä.",
        "benefits": "Kelan ja TE-toimiston edustaja neuvoo etuuksissa; päätökset tehdään "
        "omissa organisaatioissa.",
        "results": "Asiakkaiden työhön ja koulutukseen siirtymistä seurataan "
        "asiakasseurannalla ja rekistereistä.",
        "just_pre": "Perustuu ohjausryhmän ja työntekijöiden arvioon.",
        "harm_desc": "Asiakkaat kertoivat saaneensa eri ohjeita eri toimijoilta.",
        "harm_resp": "Sovittiin, että vastuutyöntekijä kokoaa ohjeet yhteen.",
        "code_def": "Myös tietojärjestelmien ja tietosuojan aiheuttamat esteet.",
    },
    "sv": {
        "funding": "ESF-finansiering och kommunernas egen finansiering; TE-byrån och FPA med "
        "egna resurser.",
        "actors": "Förvaltare {coordinator}; med TE-byrån, FPA, kommunens social- och "
        "hälsovårdstjänster och organisationer.",
        "target": "Personer med partiell arbetsförmåga och långtidsarbetslösa med "
        "sektorsövergripande servicebehov.",
        "goal": "Samordna tjänsterna så att klienten går vidare mot arbete eller utbildning.",
        "practices": "Gemensamma klientmöten, en utsedd ansvarig arbetstagare och "
        "överenskommen servicehänvisning mellan organisationerna.",
        "benefits": "En representant för FPA och TE-byrån ger råd om förmåner; besluten fattas "
        "i respektive organisation.",
        "results": "Klienternas övergång till arbete och utbildning följs upp i "
        "klientuppföljningen och i register.",
        "just_pre": "Baserar sig på styrgruppens och personalens bedömning.",
        "harm_desc": "Klienterna berättade att de fått olika anvisningar av olika aktörer.",
        "harm_resp": "Man kom överens om att den ansvariga arbetstagaren samlar anvisningarna.",
        "code_def": "Även hinder som beror på informationssystem och dataskydd.",
    },
    "en": {
        "funding": "ESF funding and the municipalities' own share; TE office and Kela with "
        "their own resources.",
        "actors": "Coordinated by {coordinator}; with the TE office, Kela, municipal social "
        "and health services and NGOs.",
        "target": "People with partial work ability and the long-term unemployed whose "
        "service needs span several sectors.",
        "goal": "Integrate the services so that the client moves towards work or education.",
        "practices": "Joint client meetings, a named responsible worker and agreed service "
        "guidance between the organisations.",
        "benefits": "A Kela and TE office representative advises on benefits; decisions are "
        "made in each organisation.",
        "results": "Clients' moves to work and education are followed in the client "
        "follow-up and from registers.",
        "just_pre": "Based on the steering group's and staff's assessment.",
        "harm_desc": "Clients said they got different instructions from different actors.",
        "harm_resp": "The responsible worker now brings the instructions together.",
        "code_def": "Includes barriers caused by information systems and data protection.",
    },
}

#: Goals in clients' own words, by goal area.
_GOALS: dict[str, dict[str, str]] = {
    "fi": {
        "work": "Haluan löytää osa-aikatyön, jossa jaksan.",
        "education": "Haluan aloittaa ammatilliset opinnot ensi syksynä.",
        "health_functioning": "Haluan saada unirytmini kuntoon.",
        "everyday_life": "Haluan hoitaa asiointini itse.",
        "social_relations": "Haluan käydä ryhmässä kerran viikossa.",
        "finances": "Haluan saada velkani järjestykseen.",
    },
    "sv": {
        "work": "Jag vill hitta ett deltidsarbete som jag orkar med.",
        "education": "Jag vill börja yrkesstudier nästa höst.",
        "health_functioning": "Jag vill få ordning på min dygnsrytm.",
        "everyday_life": "Jag vill sköta mina ärenden själv.",
        "social_relations": "Jag vill gå i en grupp en gång i veckan.",
        "finances": "Jag vill få ordning på mina skulder.",
    },
    "en": {
        "work": "I want to find a part-time job I can manage.",
        "education": "I want to start vocational studies next autumn.",
        "health_functioning": "I want to get my sleep rhythm back on track.",
        "everyday_life": "I want to handle my errands myself.",
        "social_relations": "I want to join a group once a week.",
        "finances": "I want to get my debts in order.",
    },
}

#: Interview excerpts: (code, source type, text). Some name a person or an id on purpose,
#: so that the masking of quotes can be seen.
_EXCERPTS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "fi": (
        ("meeting_content", "client", "Tapaamisissa käytiin läpi, mitä minä itse haluan."),
        ("client_participation_decisions", "client", "Sain vihdoin sanoa, mikä minulle sopii."),
        ("guidance_benefits", "client", "Matti Virtanen auttoi minua hakemaan työpaikkaa."),
        ("solutions", "client", "Löydettiin työkokeilu, jossa pystyin aloittamaan pienesti."),
        (
            "coop_client_in_network",
            "client",
            "Kaikki olivat samassa palaverissa, ei tarvinnut kertoa asioita monta kertaa.",
        ),
        (
            "transition_support",
            "professional",
            "Nivelvaiheissa asiakas jää helposti tyhjän päälle, jos kukaan ei ota koppia.",
        ),
        ("coop_te", "professional", "TE-toimiston kanssa sovittiin yhteiset tapaamiset."),
        (
            "coop_kela",
            "professional",
            "Kelan kuntoutukseen ohjaus sujui, kun yhteyshenkilö oli tuttu.",
        ),
        (
            "guidance_barriers",
            "professional",
            "Asiakkaan FOK012 tiedot piti kysyä kolmesta järjestelmästä.",
        ),
        ("process_monitoring", "professional", "Seurasimme asiakkaan etenemistä kuukausittain."),
        ("environment_barriers", "management", "Alueella on vähän osa-aikaisia työpaikkoja."),
        (
            "services_benefits_coordination",
            "management",
            "Etuuksien ja palvelujen yhteensovittaminen vaatii sopimista johdon tasolla.",
        ),
        ("guidance_facilitators", "management", "Johdon tuki ja yhteinen tavoite auttoivat."),
    ),
    "sv": (
        ("meeting_content", "client", "På mötena gick vi igenom vad jag själv vill."),
        ("client_participation_decisions", "client", "Äntligen fick jag säga vad som passar mig."),
        ("guidance_benefits", "client", "Matti Virtanen hjälpte mig att söka arbete."),
        ("solutions", "client", "Vi hittade en arbetsprövning där jag kunde börja i liten skala."),
        (
            "coop_client_in_network",
            "client",
            "Alla var på samma möte, jag behövde inte berätta saker många gånger.",
        ),
        (
            "transition_support",
            "professional",
            "I övergångsskeden blir klienten lätt utan stöd om ingen tar ansvar.",
        ),
        ("coop_te", "professional", "Med TE-byrån kom vi överens om gemensamma möten."),
        (
            "coop_kela",
            "professional",
            "Hänvisningen till FPA:s rehabilitering gick smidigt när kontaktpersonen var bekant.",
        ),
        (
            "guidance_barriers",
            "professional",
            "Uppgifterna om klient FOK012 måste sökas i tre system.",
        ),
        ("process_monitoring", "professional", "Vi följde klientens framsteg varje månad."),
        ("environment_barriers", "management", "I regionen finns få deltidsarbeten."),
        (
            "services_benefits_coordination",
            "management",
            "Samordningen av förmåner och tjänster kräver överenskommelser på ledningsnivå.",
        ),
        ("guidance_facilitators", "management", "Ledningens stöd och ett gemensamt mål hjälpte."),
    ),
    "en": (
        ("meeting_content", "client", "In the meetings we went through what I want myself."),
        ("client_participation_decisions", "client", "At last I could say what suits me."),
        ("guidance_benefits", "client", "Matti Virtanen helped me apply for a job."),
        ("solutions", "client", "We found a work trial where I could start small."),
        (
            "coop_client_in_network",
            "client",
            "Everyone was in the same meeting, I did not have to tell things many times.",
        ),
        (
            "transition_support",
            "professional",
            "At transitions the client easily falls through the cracks if no one takes charge.",
        ),
        ("coop_te", "professional", "We agreed joint meetings with the TE office."),
        (
            "coop_kela",
            "professional",
            "Referral to Kela rehabilitation went smoothly when the contact person was familiar.",
        ),
        (
            "guidance_barriers",
            "professional",
            "Client FOK012's details had to be looked up in three systems.",
        ),
        ("process_monitoring", "professional", "We followed the client's progress monthly."),
        ("environment_barriers", "management", "There are few part-time jobs in the region."),
        (
            "services_benefits_coordination",
            "management",
            "Coordinating benefits and services needs agreement at management level.",
        ),
        ("guidance_facilitators", "management", "Management support and a shared goal helped."),
    ),
}


def _positive(c: Record) -> bool:
    return c.get("outcome_3m") in ("work_contract", "degree_education")


def _process_content(
    p: Ote4Pilot, lang: Lang, rng: np.random.Generator, clients: list[Record]
) -> tuple[dict[str, Value], dict[str, tuple[Record, ...]]]:
    """Integration model form and the process sheets of one pilot (drawn after the
    clients, so the earlier content does not depend on them)."""
    schema = load_schema()
    tx = {k: v.format(coordinator=", ".join(p.organisers)) for k, v in _PTEXT[lang].items()}
    model = _MODEL[p.name]
    form: dict[str, Value] = {
        "model_type": model,
        "level_administration": "yes" if model in ("one_stop", "partnership") else "no",
        "level_organisation": "no" if model == "coordination" else "yes",
        "level_client_work": "yes",
        "benefit_link": "integrated" if model == "one_stop" else "coordinated",
        "pooled_budget": "yes" if model == "one_stop" else "no",
        "funding_detail": tx["funding"],
        "responsible_actors": tx["actors"],
        "target_group": tx["target"],
        "goal_task": tx["goal"],
        "organisation_practices": tx["practices"],
        "benefit_link_detail": tx["benefits"],
        "results": tx["results"],
    }
    pre: list[Record] = []
    for code in schema.codelist("precondition").ids:
        rating = str(rng.choice(["green", "yellow", "red"], p=[0.4, 0.45, 0.15]))
        pre.append({"row": code, "rating": rating, "justification": tx["just_pre"]})
    harms: list[Record] = []
    for code in schema.codelist("harm").ids:
        status = str(rng.choice(["not_observed", "risk", "observed"], p=[0.6, 0.3, 0.1]))
        seen = status != "not_observed"
        harms.append(
            {
                "row": code,
                "status": status,
                "description": tx["harm_desc"] if seen else None,
                "response": tx["harm_resp"] if seen else None,
            }
        )
    # per-client dose: more months and meetings for those with a positive outcome
    dose: list[Record] = []
    goals: list[Record] = []
    domains = list(_GOALS[lang])
    for c in clients:
        entry = c["entry_date"]
        assert isinstance(entry, dt.date)  # synthetic data, not user input
        end = c["exit_date"] if isinstance(c["exit_date"], dt.date) else REPORT_DATE
        months = max((end - entry).days / 30.4375, 0.5)
        boost = 1.25 if _positive(c) else 1.0
        meetings = int(rng.poisson(2.2 * months * boost))
        hours = round(meetings * float(rng.uniform(1.0, 2.0)) + float(rng.uniform(0, 4)), 1)
        fid = str(rng.choice(["as_planned", "partly", "not_delivered"], p=[0.6, 0.3, 0.1]))
        exited = c["exit_date"] is not None
        dose.append(
            {
                "client_id": c["client_id"],
                "meetings": meetings,
                "service_hours": hours,
                "fidelity": fid,
                "completed": (
                    "yes" if rng.random() < (0.85 if fid == "as_planned" else 0.6) else "no"
                )
                if exited
                else None,
            }
        )
        if rng.random() < 0.75:
            for g in range(int(rng.integers(1, 4))):
                domain = domains[int(rng.integers(0, len(domains)))]
                follow = None
                level = None
                if exited:
                    follow = end
                    mu = 0.5 if _positive(c) else -0.4
                    level = int(np.clip(round(mu + rng.normal(0, 0.9)), -2, 2))
                goals.append(
                    {
                        "client_id": c["client_id"],
                        "goal_no": g + 1,
                        "goal": _GOALS[lang][domain],
                        "domain": domain,
                        "weight": int(rng.choice([1, 1, 2, 3])),
                        "set_date": entry,
                        "follow_up_date": follow,
                        "attainment": level,
                    }
                )
    # readiness survey: two rounds; the flawed pilot's second round is too small to report
    ready: list[Record] = []
    base = _READY[p.name]
    for rnd, when in ((1, dt.date(2017, 5, 15)), (2, dt.date(2018, 11, 15))):
        n = 4 if (p.name == FLAWED_PILOT and rnd == 2) else int(rng.integers(8, 16))
        for i in range(n):
            rec: dict[str, Value] = {
                "respondent_id": f"R{_PREFIX[p.name]}{i + 1:02d}",
                "survey_round": rnd,
                "date": when,
                "role": "management" if i < 2 else "professional",
            }
            person = float(rng.normal(0, 0.4))
            for t, stem in enumerate(_READINESS_THEME_ITEMS):
                mu = base[t] + (0.3 if rnd == 2 else 0.0) + person
                for k in (1, 2, 3):
                    rec[f"{stem}_{k}"] = int(np.clip(round(mu + rng.normal(0, 0.7)), 1, 5))
            ready.append(rec)
    # coded excerpts from interviews
    bank = _EXCERPTS[lang]
    exc: list[Record] = []
    for _ in range(int(rng.integers(26, 40))):
        code, src, text = bank[int(rng.integers(0, len(bank)))]
        exc.append(
            {
                "excerpt": text,
                "code": code,
                "source_type": src,
                "date": dt.date(2018, int(rng.integers(1, 12)), int(rng.integers(1, 28))),
            }
        )
    book: list[Record] = [
        {"row": "guidance_barriers", "mrc_dimension": "context", "local_definition": tx["code_def"]}
    ]
    records: dict[str, tuple[Record, ...]] = {
        "service_dose": tuple(dose),
        "client_goals": tuple(goals),
        "preconditions": tuple(pre),
        "harms": tuple(harms),
        "readiness": tuple(ready),
        "codebook": tuple(book),
        "excerpts": tuple(exc),
    }
    return form, records
