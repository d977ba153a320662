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
* labels in Finnish, Swedish and English.

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


#: All codes, ordered by precedence (strongest first).
CODE_TABLE: tuple[StatusCode, ...] = (
    # --- employment -------------------------------------------------------------------
    _c(
        "employment_open", "employment", None, "", 1,
        "Työsuhde avoimilla työmarkkinoilla", "Anställning på den öppna arbetsmarknaden",
        "Open-market employment", "työssäolokuukaudet",
    ),
    _c(
        "employment_pay_subsidy", "employment", None, "", 2,
        "Palkkatuettu työ", "Lönesubventionerat arbete", "Pay-subsidised employment",
        "työssäolokuukaudet",
    ),
    # --- study ------------------------------------------------------------------------
    _c(
        "study_degree", "study", None, "", 3,
        "Tutkintoon johtava koulutus", "Examensinriktad utbildning", "In degree education",
        "Ammatillinen tutkinto / Korkeakoulututkinto",
    ),
    # --- services (TE office, municipality) ----------------------------------------------
    _c(
        "service_labour_market_training", "service", None, "", 4,
        "Työvoimakoulutus", "Arbetskraftsutbildning", "Labour market training",
    ),
    _c(
        "service_work_trial", "service", None, "", 5,
        "Työkokeilu", "Arbetsprövning", "Work trial",
    ),
    _c(
        "service_job_coaching", "service", None, "", 6,
        "Työhönvalmennus", "Arbetsträning (jobbcoachning)", "Job coaching",
    ),
    _c(
        "service_rehabilitative_work_activity", "service", None, "", 7,
        "Kuntouttava työtoiminta", "Arbetsverksamhet i rehabiliteringssyfte",
        "Rehabilitative work activity",
    ),
    _c(
        "service_social_rehabilitation", "service", None, "", 8,
        "Sosiaalinen kuntoutus", "Social rehabilitering", "Social rehabilitation",
    ),
    # --- rehabilitation benefits --------------------------------------------------------
    _c(
        "vocational_rehabilitation", "benefit", "rehabilitation", "MH", 9,
        "Ammatillinen kuntoutus", "Yrkesinriktad rehabilitering", "Vocational rehabilitation",
        "Työeläkelakien mukainen kuntoutusraha / kuntoutusavustus",
    ),
    _c(
        "rehabilitation_allowance", "benefit", "rehabilitation", "MH", 10,
        "Kuntoutusraha", "Rehabiliteringspenning", "Rehabilitation allowance",
        "Kelan kuntoutusraha",
    ),
    # --- incapacity -----------------------------------------------------------------------
    _c(
        "disability_pension", "benefit", "incapacity", "MH", 11,
        "Työkyvyttömyyseläke", "Invalidpension", "Disability pension", "Työkyvyttömyyseläke",
    ),
    _c(
        "sickness_allowance", "benefit", "incapacity", "MH", 12,
        "Sairauspäiväraha", "Sjukdagpenning", "Sickness allowance", "Sairauspäiväraha",
    ),
    _c(
        "partial_sickness_allowance", "benefit", "incapacity", "MH", 13,
        "Osasairauspäiväraha", "Partiell sjukdagpenning", "Partial sickness allowance",
        "Osasairauspäiväraha",
    ),
    # --- accident -------------------------------------------------------------------------
    _c(
        "accident_allowance", "benefit", "accident", "MH", 14,
        "Tapaturmavakuutuksen päiväraha", "Dagpenning från olycksfallsförsäkringen",
        "Accident insurance allowance", "Tapaturmavakuutuskorvaukset",
    ),
    # --- family ---------------------------------------------------------------------------
    _c(
        "parental_allowance", "benefit", "family", "M", 15,
        "Vanhempainpäiväraha", "Föräldradagpenning", "Parental allowance",
        "Perhe- ja vanhempainetuudet",
    ),
    # --- unemployment ---------------------------------------------------------------------
    _c(
        "unemployment_allowance_earnings_related", "benefit", "unemployment", "MU", 16,
        "Ansiosidonnainen työttömyyspäiväraha", "Inkomstrelaterad arbetslöshetsdagpenning",
        "Earnings-related unemployment allowance",
        "Ansioon suhteutettu työttömyyspäiväraha",
    ),
    _c(
        "unemployment_allowance_basic", "benefit", "unemployment", "MU", 17,
        "Työttömyysturvan peruspäiväraha", "Grunddagpenning", "Basic unemployment allowance",
        "Työttömyysturvan peruspäiväraha",
    ),
    _c(
        "labour_market_subsidy", "benefit", "unemployment", "MU", 18,
        "Työmarkkinatuki", "Arbetsmarknadsstöd", "Labour market subsidy", "Työmarkkinatuki",
    ),
    # --- supplementary benefits -----------------------------------------------------------
    _c(
        "study_grant", "benefit", "education", "", 19,
        "Opintotuki", "Studiestöd", "Study grant",
        "Opintotuki (ammatillinen / korkeakoulututkinto), aikuiskoulutustuki",
    ),
    _c(
        "social_assistance_basic", "benefit", "social_assistance", "", 20,
        "Perustoimeentulotuki", "Grundläggande utkomststöd", "Basic social assistance",
        "Toimeentulotuki, varsinainen",
    ),
    _c(
        "housing_allowance", "benefit", "housing", "", 21,
        "Yleinen asumistuki", "Allmänt bostadsbidrag", "General housing allowance",
        "Yleinen asumistuki",
    ),
)  # fmt: skip

#: Codes by identifier.
CODES: dict[str, StatusCode] = {c.code: c for c in CODE_TABLE}

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
