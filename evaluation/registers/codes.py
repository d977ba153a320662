"""Status and benefit codes of register spells: the single source of truth.

Every spell in a register extract carries one ``code`` from :data:`CODES`. A code says

* its *kind*: ``"benefit"``, ``"employment"``, ``"study"`` or ``"service"`` (TE-office or
  municipal service);
* for benefits, its *benefit group* as in the seed report's Liite 4 ("Vähintään kuukauden
  ajan etuutta saaneiden henkilöiden määrä etuuksittain ja vuosittain") and the text on
  lines ~5322-5343 of ``001_…``: education (kouluttautuminen), unemployment (työttömyys),
  rehabilitation (kuntoutus), family (perhe- ja vanhempainetuudet), incapacity
  (työkyvyttömyysetuudet), accident (tapaturmavakuutuskorvaukset), social_assistance
  (toimeentulotuki) and housing (yleinen asumistuki);
* three flags used by the panel outcomes: *main benefit* (an earnings-replacement benefit a
  person lives on; last-resort social assistance, the supplementary housing allowance and the
  study grant are not main benefits), *unemployment benefit* and *health-related benefit*;
* its *precedence rank* (1 = strongest): when several spells cover the same month, the
  person's ``status`` in that month is the covering code with the smallest rank. Employment
  beats study, study beats services, services beat benefits; among benefits, health-related
  benefits beat unemployment benefits, and the supplementary benefits (study grant, social
  assistance, housing allowance) come last because they accompany other statuses;
* for benefits, its *counting unit* in the report's distinct-benefit count: the code
  itself, except that the family and parental benefits count as one benefit and the accident
  compensations as one (``001_…`` l.5345-5348); :data:`BENEFIT_UNITS` lists the units;
* labels in Finnish, Swedish and English.

Every benefit row of Liite 4 (l.9956-10021) and of the benefit list on l.5323-5345 has a
code (``seed_name_fi`` is the row's name), including the supplementary, preventive and
rehabilitative social assistance, the training allowances and the rehabilitation variants.

Months without any spell get the status :data:`NO_STATUS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

import pandas as pd

Kind = Literal["benefit", "employment", "study", "service"]
BenefitGroup = Literal[
    "education",
    "unemployment",
    "rehabilitation",
    "family",
    "incapacity",
    "accident",
    "social_assistance",
    "housing",
]

#: Allowed kinds and benefit groups, in display order.
KINDS: tuple[str, ...] = get_args(Kind)
BENEFIT_GROUPS: tuple[str, ...] = get_args(BenefitGroup)

#: Benefit groups the report counts as one benefit each (``001_…`` l.5345-5348).
MERGED_GROUPS: tuple[str, ...] = ("family", "accident")

#: Status of a person-month not covered by any spell.
NO_STATUS = "none"


@dataclass(frozen=True)
class StatusCode:
    """One status/benefit code of the spell data.

    Attributes
    ----------
    code:
        Lowercase snake-case identifier used in the ``code`` column of spells.
    kind:
        ``"benefit"``, ``"employment"``, ``"study"`` or ``"service"``.
    benefit_group:
        Liite 4 benefit group for benefits; ``None`` for other kinds.
    is_main_benefit:
        Earnings-replacement benefit a person lives on (counts in ``on_main_benefit``).
    is_unemployment_benefit:
        Counts in ``on_unemployment_benefit`` and in unemployment months.
    is_health_benefit:
        Sickness, incapacity, rehabilitation or accident benefit (``on_health_benefit``).
    precedence:
        Rank when spells overlap; 1 is the strongest. Unique across codes.
    label_fi, label_sv, label_en:
        Human-readable labels.
    seed_name_fi:
        Name of the benefit (or benefit family) in the seed report's Liite 4 / text, for
        traceability; empty for codes the seed report does not cover.
    """

    code: str
    kind: Kind
    benefit_group: BenefitGroup | None
    is_main_benefit: bool
    is_unemployment_benefit: bool
    is_health_benefit: bool
    precedence: int
    label_fi: str
    label_sv: str
    label_en: str
    seed_name_fi: str = ""

    @property
    def is_employment(self) -> bool:
        """Counts in ``employed``."""
        return self.kind == "employment"

    @property
    def is_open_market_employment(self) -> bool:
        """Counts in ``employed_open_market`` (not pay-subsidised)."""
        return self.code == "employment_open"

    @property
    def is_education(self) -> bool:
        """Counts in ``in_education``: degree study or an education-group benefit."""
        return self.kind == "study" or self.benefit_group == "education"

    @property
    def is_service(self) -> bool:
        """Counts in ``in_service``: a TE-office or municipal service."""
        return self.kind == "service"

    @property
    def counting_unit(self) -> str | None:
        """The benefit this code counts as in distinct-benefit counts (None if no benefit).

        The report counts distinct benefits, with the family and parental benefits and the
        accident compensations each merged into one benefit (``001_…`` l.5326-5329,
        5339-5348, 5633-5634): their codes count as ``"family"`` and ``"accident"``; every
        other benefit code counts as itself.
        """
        if self.benefit_group is None:
            return None
        if self.benefit_group in MERGED_GROUPS:
            return self.benefit_group
        return self.code


def _c(
    code: str,
    kind: Kind,
    group: BenefitGroup | None,
    flags: str,
    rank: int,
    fi: str,
    sv: str,
    en: str,
    seed: str = "",
) -> StatusCode:
    # flags: "M" main benefit, "U" unemployment benefit, "H" health-related benefit
    return StatusCode(
        code=code,
        kind=kind,
        benefit_group=group,
        is_main_benefit="M" in flags,
        is_unemployment_benefit="U" in flags,
        is_health_benefit="H" in flags,
        precedence=rank,
        label_fi=fi,
        label_sv=sv,
        label_en=en,
        seed_name_fi=seed,
    )


_Row = tuple[str, Kind, BenefitGroup | None, str, str, str, str, str]

# (code, kind, benefit group, flags, label_fi, label_sv, label_en, seed_name_fi); flags: "M"
# main benefit, "U" unemployment benefit, "H" health-related benefit. Rank = position.
_ROWS: tuple[_Row, ...] = (
    # --- employment -------------------------------------------------------------
    ("employment_open", "employment", None, "",
     "Työsuhde avoimilla työmarkkinoilla", "Anställning på den öppna arbetsmarknaden",
     "Open-market employment", "työssäolokuukaudet"),
    ("employment_pay_subsidy", "employment", None, "",
     "Palkkatuettu työ", "Lönesubventionerat arbete", "Pay-subsidised employment",
     "työssäolokuukaudet"),
    # --- study ------------------------------------------------------------------
    ("study_degree", "study", None, "",
     "Tutkintoon johtava koulutus", "Examensinriktad utbildning", "In degree education",
     "Ammatillinen tutkinto / Korkeakoulututkinto"),
    # --- services (TE office, municipality) -------------------------------------
    ("service_labour_market_training", "service", None, "",
     "Työvoimakoulutus", "Arbetskraftsutbildning", "Labour market training", ""),
    ("service_work_trial", "service", None, "",
     "Työkokeilu", "Arbetsprövning", "Work trial", ""),
    ("service_job_coaching", "service", None, "",
     "Työhönvalmennus", "Arbetsträning (jobbcoachning)", "Job coaching", ""),
    ("service_rehabilitative_work_activity", "service", None, "",
     "Kuntouttava työtoiminta", "Arbetsverksamhet i rehabiliteringssyfte",
     "Rehabilitative work activity", ""),
    ("service_social_rehabilitation", "service", None, "",
     "Sosiaalinen kuntoutus", "Social rehabilitering", "Social rehabilitation", ""),
    # --- rehabilitation benefits ------------------------------------------------
    ("vocational_rehabilitation", "benefit", "rehabilitation", "MH",
     "Ammatillinen kuntoutus", "Yrkesinriktad rehabilitering",
     "Vocational rehabilitation", "Työeläkelakien mukainen kuntoutusraha"),
    ("partial_rehabilitation_allowance_earnings_related", "benefit", "rehabilitation",
     "MH", "Työeläkelakien mukainen osakuntoutusraha",
     "Partiell rehabiliteringspenning enligt arbetspensionslagarna",
     "Earnings-related partial rehabilitation allowance",
     "Työeläkelakien mukainen osakuntoutusraha"),
    ("rehabilitation_assistance_earnings_related", "benefit", "rehabilitation", "MH",
     "Kuntoutusavustus (TEL)", "Rehabiliteringsunderstöd (ArPL)",
     "Earnings-related rehabilitation assistance", "Kuntoutusavustus TEL"),
    ("partial_rehabilitation_assistance_earnings_related", "benefit", "rehabilitation",
     "MH", "Osakuntoutusavustus (TEL)", "Partiellt rehabiliteringsunderstöd (ArPL)",
     "Earnings-related partial rehabilitation assistance", "Osakuntoutusavustus TEL"),
    ("rehabilitation_allowance", "benefit", "rehabilitation", "MH",
     "Kuntoutusraha", "Rehabiliteringspenning", "Rehabilitation allowance",
     "Kelan kuntoutusraha"),
    # --- incapacity -------------------------------------------------------------
    ("disability_pension", "benefit", "incapacity", "MH",
     "Työkyvyttömyyseläke", "Invalidpension", "Disability pension",
     "Työkyvyttömyyseläke"),
    ("sickness_allowance", "benefit", "incapacity", "MH",
     "Sairauspäiväraha", "Sjukdagpenning", "Sickness allowance", "Sairauspäiväraha"),
    ("partial_sickness_allowance", "benefit", "incapacity", "MH",
     "Osasairauspäiväraha", "Partiell sjukdagpenning", "Partial sickness allowance",
     "Osasairauspäiväraha"),
    # --- accident (one benefit in the report: Tapaturmavakuutuskorvaukset) ------
    ("accident_allowance", "benefit", "accident", "MH",
     "Tapaturmavakuutuksen päiväraha", "Dagpenning från olycksfallsförsäkringen",
     "Accident insurance allowance", "Tapaturmavakuutuskorvaukset"),
    ("accident_rehabilitation_allowance", "benefit", "accident", "MH",
     "Tapaturmavakuutuksen kuntoutuksen päiväraha",
     "Rehabiliteringsdagpenning från olycksfallsförsäkringen",
     "Accident insurance rehabilitation allowance", "Tapaturmavakuutuskorvaukset"),
    ("accident_pension", "benefit", "accident", "MH",
     "Tapaturmavakuutuksen eläke", "Olycksfallspension",
     "Accident insurance pension", "Tapaturmavakuutuskorvaukset"),
    ("traffic_accident_earnings_loss", "benefit", "accident", "MH",
     "Liikennevakuutuksen ansionmenetyskorvaus",
     "Ersättning för inkomstbortfall från trafikförsäkringen",
     "Motor insurance compensation for loss of earnings", "Tapaturmavakuutuskorvaukset"),
    ("traffic_accident_rehabilitation_earnings_loss", "benefit", "accident", "MH",
     "Liikennevakuutuksen kuntoutuksen ansionmenetyskorvaus",
     "Ersättning för inkomstbortfall under rehabilitering från trafikförsäkringen",
     "Motor insurance rehabilitation compensation for loss of earnings",
     "Tapaturmavakuutuskorvaukset"),
    ("military_accident_allowance", "benefit", "accident", "MH",
     "Sotilastapaturmavakuutuksen päiväraha",
     "Dagpenning från militärolycksfallsförsäkringen",
     "Military accident insurance allowance", "Tapaturmavakuutuskorvaukset"),
    ("military_accident_rehabilitation_allowance", "benefit", "accident", "MH",
     "Sotilastapaturmavakuutuksen kuntoutuksen päiväraha",
     "Rehabiliteringsdagpenning från militärolycksfallsförsäkringen",
     "Military accident insurance rehabilitation allowance",
     "Tapaturmavakuutuskorvaukset"),
    ("military_accident_pension", "benefit", "accident", "MH",
     "Sotilastapaturmavakuutuksen eläke", "Pension från militärolycksfallsförsäkringen",
     "Military accident insurance pension", "Tapaturmavakuutuskorvaukset"),
    # --- family (one benefit in the report: Perhe- ja vanhempainetuudet) ---------
    ("parental_allowance", "benefit", "family", "M",
     "Vanhempainpäiväraha", "Föräldradagpenning", "Parental allowance",
     "Perhe- ja vanhempainetuudet"),
    ("maternity_allowance", "benefit", "family", "M",
     "Äitiysraha", "Moderskapspenning", "Maternity allowance",
     "Perhe- ja vanhempainetuudet"),
    ("special_maternity_allowance", "benefit", "family", "M",
     "Erityisäitiysraha", "Särskild moderskapspenning", "Special maternity allowance",
     "Perhe- ja vanhempainetuudet"),
    ("paternity_allowance", "benefit", "family", "M",
     "Isyysraha", "Faderskapspenning", "Paternity allowance",
     "Perhe- ja vanhempainetuudet"),
    ("partial_parental_allowance", "benefit", "family", "M",
     "Osittainen vanhempainraha", "Partiell föräldrapenning",
     "Partial parental allowance", "Perhe- ja vanhempainetuudet"),
    ("parental_allowance_during_sickness_allowance", "benefit", "family", "M",
     "Sairauspäivärahan aikainen vanhempainraha",
     "Föräldrapenning under sjukdagpenningperiod",
     "Parental allowance during sickness allowance", "Perhe- ja vanhempainetuudet"),
    ("child_home_care_allowance", "benefit", "family", "M",
     "Kotihoidon tuki", "Hemvårdsstöd", "Child home care allowance",
     "Perhe- ja vanhempainetuudet"),
    ("special_care_allowance", "benefit", "family", "M",
     "Erityishoitoraha", "Specialvårdspenning", "Special care allowance",
     "Perhe- ja vanhempainetuudet"),
    # --- unemployment -----------------------------------------------------------
    ("unemployment_allowance_earnings_related", "benefit", "unemployment", "MU",
     "Ansiosidonnainen työttömyyspäiväraha", "Inkomstrelaterad arbetslöshetsdagpenning",
     "Earnings-related unemployment allowance",
     "Ansioon suhteutettu työttömyyspäiväraha"),
    ("training_allowance_earnings_related", "benefit", "unemployment", "MU",
     "Ansioon suhteutettu koulutuspäiväraha", "Inkomstrelaterad utbildningsdagpenning",
     "Earnings-related training allowance", "Ansioon suhteutettu koulutuspäiväraha"),
    ("unemployment_allowance_self_employed", "benefit", "unemployment", "MU",
     "Ansioon suhteutettu päiväraha YEL-/MYEL-vakuutetuille",
     "Inkomstrelaterad dagpenning för FöPL-/LFöPL-försäkrade",
     "Earnings-related allowance for the self-employed (YEL/MYEL)",
     "Ansioon suhteutettu päiväraha YEL-/MYEL-vakuutetuille"),
    ("training_allowance_self_employed", "benefit", "unemployment", "MU",
     "Koulutuspäiväraha YEL-/MYEL-vakuutetuille",
     "Utbildningsdagpenning för FöPL-/LFöPL-försäkrade",
     "Training allowance for the self-employed (YEL/MYEL)",
     "Koulutuspäiväraha YEL-/MYEL-vakuutetuille"),
    ("unemployment_allowance_basic", "benefit", "unemployment", "MU",
     "Työttömyysturvan peruspäiväraha", "Grunddagpenning", "Basic unemployment allowance",
     "Työttömyysturvan peruspäiväraha"),
    ("training_allowance_kela", "benefit", "unemployment", "MU",
     "Kelan työttömyysturvan koulutuspäiväraha", "FPA:s utbildningsdagpenning",
     "Kela training allowance (unemployment security)",
     "Kelan työttömyysturvan koulutuspäiväraha"),
    ("labour_market_subsidy", "benefit", "unemployment", "MU",
     "Työmarkkinatuki", "Arbetsmarknadsstöd", "Labour market subsidy", "Työmarkkinatuki"),
    ("pes_training_support", "benefit", "unemployment", "MU",
     "Julkisen työvoimapalvelun koulutustuki", "Utbildningsstöd inom den offentliga "
     "arbetskraftsservicen", "Public employment service training support",
     "Julkisen työvoimapalvelun koulutustuki"),
    ("pes_training_support_employees", "benefit", "unemployment", "MU",
     "Julkisen työvoimapalvelun koulutustuki palkansaajille",
     "Utbildningsstöd inom den offentliga arbetskraftsservicen för löntagare",
     "Public employment service training support for employees",
     "Julkisen työvoimapalvelun koulutustuki palkansaajille"),
    ("pes_training_support_self_employed", "benefit", "unemployment", "MU",
     "Julkisen työvoimapalvelun koulutustuki YEL-/MYEL-vakuutetuille",
     "Utbildningsstöd inom den offentliga arbetskraftsservicen för FöPL-/LFöPL-försäkrade",
     "Public employment service training support for the self-employed (YEL/MYEL)",
     "Julkisten työvoimapalvelun koulutustuki YEL-/MYEL-vakuutetuille"),
    # --- supplementary benefits -------------------------------------------------
    ("study_grant", "benefit", "education", "",
     "Opintotuki", "Studiestöd", "Study grant",
     "Opintotuki (ammatillinen / korkeakoulututkinto), aikuiskoulutustuki"),
    ("study_grant_vocational", "benefit", "education", "",
     "Opintotuki, ammatillinen tutkinto", "Studiestöd, yrkesinriktad examen",
     "Study grant, vocational degree", "Ammatillinen tutkinto"),
    ("study_grant_higher_education", "benefit", "education", "",
     "Opintotuki, korkeakoulututkinto", "Studiestöd, högskoleexamen",
     "Study grant, higher education degree", "Korkeakoulututkinto"),
    ("adult_education_allowance", "benefit", "education", "",
     "Aikuiskoulutustuki", "Vuxenutbildningsstöd", "Adult education allowance",
     "Aikuiskoulutustuki"),
    ("social_assistance_basic", "benefit", "social_assistance", "",
     "Perustoimeentulotuki", "Grundläggande utkomststöd", "Basic social assistance",
     "Toimeentulotuki, varsinainen"),
    ("social_assistance_supplementary", "benefit", "social_assistance", "",
     "Täydentävä toimeentulotuki", "Kompletterande utkomststöd",
     "Supplementary social assistance", "Toimeentulotuki, täydentävä"),
    ("social_assistance_preventive", "benefit", "social_assistance", "",
     "Ehkäisevä toimeentulotuki", "Förebyggande utkomststöd",
     "Preventive social assistance", "Toimeentulotuki, ehkäisevä"),
    ("social_assistance_rehabilitative", "benefit", "social_assistance", "",
     "Kuntouttava toimeentulotuki", "Rehabiliterande utkomststöd",
     "Rehabilitative social assistance", "Toimeentulotuki, kuntouttava"),
    ("housing_allowance", "benefit", "housing", "",
     "Yleinen asumistuki", "Allmänt bostadsbidrag", "General housing allowance",
     "Yleinen asumistuki"),
)  # fmt: skip

#: All codes, ordered by precedence (strongest first). Benefits follow the seed report's
#: Liite 4 (``001_…`` l.9956-10021) and the benefit list on l.5323-5345: every Liite 4 row
#: has a code whose ``seed_name_fi`` is the row's name; the family and accident benefits,
#: which the report merges into one benefit each (l.5326-5329, 5339-5348), have one code per
#: component benefit and share one counting unit (:attr:`StatusCode.counting_unit`).
CODE_TABLE: tuple[StatusCode, ...] = tuple(
    _c(code, kind, group, flags, rank, fi, sv, en, seed)
    for rank, (code, kind, group, flags, fi, sv, en, seed) in enumerate(_ROWS, start=1)
)

#: Codes by identifier.
CODES: dict[str, StatusCode] = {c.code: c for c in CODE_TABLE}

#: Distinct benefits of the report's benefit count, in code-table order (bit k of the
#: panel's ``benefit_units`` column is unit k).
BENEFIT_UNITS: tuple[str, ...] = tuple(
    dict.fromkeys(c.counting_unit for c in CODE_TABLE if c.counting_unit is not None)
)

#: Labels of the benefit groups (fi = Liite 4 heading).
BENEFIT_GROUP_LABELS: dict[str, dict[str, str]] = {
    "education": {"fi": "Kouluttautuminen", "sv": "Utbildning", "en": "Education"},
    "unemployment": {"fi": "Työttömyys", "sv": "Arbetslöshet", "en": "Unemployment"},
    "rehabilitation": {"fi": "Kuntoutus", "sv": "Rehabilitering", "en": "Rehabilitation"},
    "family": {
        "fi": "Perhe- ja vanhempainetuudet",
        "sv": "Familje- och föräldraförmåner",
        "en": "Family and parental benefits",
    },
    "incapacity": {
        "fi": "Työkyvyttömyysetuudet",
        "sv": "Förmåner vid arbetsoförmåga",
        "en": "Incapacity benefits",
    },
    "accident": {
        "fi": "Tapaturmavakuutuskorvaukset",
        "sv": "Ersättningar från olycksfallsförsäkringen",
        "en": "Accident compensation",
    },
    "social_assistance": {"fi": "Toimeentulotuki", "sv": "Utkomststöd", "en": "Social assistance"},
    "housing": {
        "fi": "Yleinen asumistuki",
        "sv": "Allmänt bostadsbidrag",
        "en": "Housing allowance",
    },
}


def _check_table() -> None:
    # Developer invariants of the table itself (not user input): fail at import if broken.
    from evaluation.errors import SchemaError

    ranks = [c.precedence for c in CODE_TABLE]
    if sorted(ranks) != list(range(1, len(CODE_TABLE) + 1)):
        raise SchemaError("precedence ranks of CODE_TABLE are not 1..n without ties")
    for c in CODE_TABLE:
        if (c.kind == "benefit") != (c.benefit_group is not None):
            raise SchemaError(f"code {c.code!r}: benefit_group must be set iff kind is benefit")
        if c.kind not in KINDS or (c.benefit_group not in (None, *BENEFIT_GROUPS)):
            raise SchemaError(f"code {c.code!r}: unknown kind or benefit group")
    if len(CODES) != len(CODE_TABLE) or NO_STATUS in CODES:
        raise SchemaError("CODE_TABLE has duplicate codes or uses the reserved code 'none'")
    if len(BENEFIT_UNITS) > 31:
        raise SchemaError("more than 31 benefit units do not fit the INTEGER benefit_units mask")


_check_table()

#: Column order of :func:`code_table`.
CODE_TABLE_COLUMNS: tuple[str, ...] = (
    "code",
    "kind",
    "benefit_group",
    "is_main_benefit",
    "is_unemployment_benefit",
    "is_health_benefit",
    "is_employment",
    "is_open_market_employment",
    "is_education",
    "is_service",
    "precedence",
    "label_fi",
    "label_sv",
    "label_en",
    "seed_name_fi",
)


def code_table() -> pd.DataFrame:
    """Return the code table as a DataFrame, one row per code, ordered by precedence.

    Returns
    -------
    pandas.DataFrame
        Columns ``code, kind, benefit_group`` (missing for non-benefits), the boolean flags
        ``is_main_benefit, is_unemployment_benefit, is_health_benefit, is_employment,
        is_open_market_employment, is_education, is_service``, ``precedence`` (int, 1 =
        strongest), ``label_fi, label_sv, label_en, seed_name_fi``.
    """
    rows = [{col: getattr(c, col) for col in CODE_TABLE_COLUMNS} for c in CODE_TABLE]
    frame = pd.DataFrame(rows, columns=list(CODE_TABLE_COLUMNS))
    return frame.astype({"precedence": "int64"})


def get_code(code: str) -> StatusCode:
    """Return the :class:`StatusCode` for ``code``.

    Raises
    ------
    evaluation.errors.OptionError
        If the code is unknown; the message names the closest known code.
    """
    from evaluation.errors import OptionError

    try:
        return CODES[code]
    except KeyError:
        near = closest_code(code)
        hint = f"did you mean {near!r}? " if near else ""
        raise OptionError(
            f"unknown status code {code!r}",
            fix=f"{hint}use one of: {', '.join(CODES)}",
        ) from None


def closest_code(code: str) -> str | None:
    """Return the known code closest to ``code`` (or ``None`` if nothing is close)."""
    import difflib

    text = str(code).strip().lower().replace(" ", "_").replace("-", "_")
    if text in CODES:
        return text
    hits = difflib.get_close_matches(text, list(CODES), n=1, cutoff=0.5)
    if hits:
        return hits[0]
    # fall back to a prefix/substring match (e.g. "sickness" -> "sickness_allowance")
    for c in CODES:
        if text and (text in c or c in text):
            return c
    return None
