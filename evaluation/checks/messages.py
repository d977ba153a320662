"""Readable messages of failed expectations, in Finnish, Swedish and English.

One message per defect family (``meta.family`` of the suites); each has ``what`` and ``fix``
format strings with ``{n}`` (failing rows or values), ``{column}``, ``{other}``, ``{values}``,
``{min}``, ``{max}`` and ``{detail}``.
"""

from __future__ import annotations

from typing import Any, Literal

from evaluation.privacy import mask_identity_codes
from evaluation.schema.model import plural_category

Lang = Literal["fi", "sv", "en"]

_M: dict[str, dict[str, tuple[str, str]]] = {
    "columns": {
        "fi": ("sarake '{column}' puuttuu", "lisää sarake tai korjaa sen nimi"),
        "sv": ("kolumnen '{column}' saknas", "lägg till kolumnen eller rätta dess namn"),
        "en": ("column '{column}' is missing", "add the column or correct its name"),
    },
    "required": {
        "fi": ("{n} tyhjää arvoa pakollisessa kentässä '{column}'", "täytä puuttuvat arvot"),
        "sv": (
            "{n} tomma värden i det obligatoriska fältet '{column}'",
            "fyll i de saknade värdena",
        ),
        "en": ("{n} empty value(s) in required column '{column}'", "fill in the missing values"),
    },
    "code": {
        "fi": (
            "{n} arvoa kentässä '{column}' ei ole sallittuja koodeja: {values}",
            "valitse arvo sallittujen koodien luettelosta",
        ),
        "sv": (
            "{n} värden i fältet '{column}' är inte tillåtna koder: {values}",
            "välj ett värde ur listan över tillåtna koder",
        ),
        "en": (
            "{n} value(s) of '{column}' are not allowed codes: {values}",
            "choose a value from the list of allowed codes",
        ),
    },
    "range": {
        "fi": (
            "{n} arvoa kentässä '{column}' on välin {min}–{max} ulkopuolella: {values}",
            "korjaa arvot välille {min}–{max}",
        ),
        "sv": (
            "{n} värden i fältet '{column}' ligger utanför {min}–{max}: {values}",
            "rätta värdena till intervallet {min}–{max}",
        ),
        "en": (
            "{n} value(s) of '{column}' are outside {min}..{max}: {values}",
            "correct the values to lie within {min}..{max}",
        ),
    },
    "domain": {
        "fi": (
            "{n} arvoa kentässä '{column}' on arvoalueen ulkopuolella: {values}",
            "sallitut arvot: {detail}",
        ),
        "sv": (
            "{n} värden i fältet '{column}' ligger utanför värdemängden: {values}",
            "tillåtna värden: {detail}",
        ),
        "en": (
            "{n} value(s) of '{column}' are outside its domain: {values}",
            "allowed values: {detail}",
        ),
    },
    "length": {
        "fi": (
            "{n} arvoa kentässä '{column}' on yli {max} merkkiä pitkiä",
            "lyhennä teksti enintään {max} merkkiin",
        ),
        "sv": (
            "{n} värden i fältet '{column}' är längre än {max} tecken",
            "korta texten till högst {max} tecken",
        ),
        "en": (
            "{n} value(s) of '{column}' are longer than {max} characters",
            "shorten the text to at most {max} characters",
        ),
    },
    "pattern": {
        "fi": (
            "{n} arvoa kentässä '{column}' ei ole vaaditussa muodossa: {values}",
            "korjaa arvot muotoon {detail}",
        ),
        "sv": (
            "{n} värden i fältet '{column}' har inte den krävda formen: {values}",
            "rätta värdena till formen {detail}",
        ),
        "en": (
            "{n} value(s) of '{column}' do not have the required form: {values}",
            "correct the values to the form {detail}",
        ),
    },
    "unique": {
        "fi": (
            "{n} riviä toistaa saman arvon kentässä '{column}': {values}",
            "poista kaksoiskappaleet tai korjaa tunnisteet",
        ),
        "sv": (
            "{n} rader upprepar samma värde i fältet '{column}': {values}",
            "ta bort dubbletterna eller rätta identifierarna",
        ),
        "en": (
            "{n} row(s) repeat a value of '{column}': {values}",
            "remove the duplicates or correct the identifiers",
        ),
    },
    "required_if": {
        "fi": (
            "{n} riviä, joilta puuttuu ehdollisesti pakollinen '{column}'",
            "täytä '{column}' näillä riveillä ({detail})",
        ),
        "sv": (
            "{n} rader saknar det villkorligt obligatoriska fältet '{column}'",
            "fyll i '{column}' på dessa rader ({detail})",
        ),
        "en": (
            "{n} row(s) miss '{column}', which is required there",
            "fill in '{column}' on these rows ({detail})",
        ),
    },
    "months_since_entry": {
        "fi": (
            "{n} riviä, joilla months_since_entry ei vastaa tulokuukautta",
            "rakenna paneeli uudelleen osallistujatiedoista",
        ),
        "sv": (
            "{n} rader där months_since_entry inte stämmer med inträdesmånaden",
            "bygg panelen på nytt från deltagaruppgifterna",
        ),
        "en": (
            "{n} row(s) whose months_since_entry does not match the entry month",
            "rebuild the panel from the participant table",
        ),
    },
    "date_order": {
        "fi": (
            "{n} riviä, joilla '{column}' on ennen päivämäärää '{other}'",
            "korjaa päivämäärät tai vaihda ne keskenään",
        ),
        "sv": (
            "{n} rader där '{column}' ligger före '{other}'",
            "rätta datumen eller byt plats på dem",
        ),
        "en": ("{n} row(s) where '{column}' is before '{other}'", "correct the dates or swap them"),
    },
    "personal_id": {
        "fi": (
            "{n} arvoa kentässä '{column}' sisältää henkilötunnuksen",
            "poista henkilötunnukset; käytä vain pseudonyymejä tunnuksia",
        ),
        "sv": (
            "{n} värden i fältet '{column}' innehåller en personbeteckning",
            "ta bort personbeteckningarna; använd endast pseudonyma koder",
        ),
        "en": (
            "{n} value(s) of '{column}' contain a Finnish personal identity code",
            "remove the identity codes; use pseudonymous ids only",
        ),
    },
    "month_index": {
        "fi": (
            "{n} riviä, joilla kuukausi ei ole kuun 1. päivä tai month_index ei vastaa sitä",
            "laske month_index = vuosi*12 + kuukausi-1 kuun ensimmäisestä päivästä",
        ),
        "sv": (
            "{n} rader där månaden inte är den 1:a eller month_index inte stämmer",
            "räkna month_index = år*12 + månad-1 från månadens första dag",
        ),
        "en": (
            "{n} row(s) whose month is not a first day or whose month_index does not match",
            "use the first day of the month and month_index = year*12 + month-1",
        ),
    },
    "gaps": {
        "fi": (
            "{n} riviä yksiköillä, joiden jaksot eivät ole peräkkäisiä (aukkoja paneelissa)",
            "täydennä puuttuvat jaksot tai rakenna paneeli uudelleen",
        ),
        "sv": (
            "{n} rader för enheter vars perioder inte är i följd (luckor i panelen)",
            "komplettera de saknade perioderna eller bygg panelen på nytt",
        ),
        "en": (
            "{n} row(s) of units whose periods are not consecutive (gaps in the panel)",
            "add the missing periods or rebuild the panel",
        ),
    },
    "cohort": {
        "fi": (
            "{n} riviä yksiköillä, joilla on useampi kohortti (ensimmäinen hoitojakso)",
            "anna jokaiselle yksikölle yksi kohortti",
        ),
        "sv": (
            "{n} rader för enheter med mer än en kohort (första behandlade period)",
            "ge varje enhet en enda kohort",
        ),
        "en": (
            "{n} row(s) of units with more than one cohort (first treated period)",
            "give each unit a single cohort",
        ),
    },
    "cohort_window": {
        "fi": (
            "{n} riviä yksiköillä, jotka ovat hoidettuja jo ensimmäisestä jaksosta",
            "poista aina hoidetut yksiköt tai lisää jaksoja ennen hoitoa",
        ),
        "sv": (
            "{n} rader för enheter som är behandlade från första perioden",
            "ta bort alltid behandlade enheter eller lägg till perioder före behandlingen",
        ),
        "en": (
            "{n} row(s) of units treated from the first period on (no pre-period)",
            "drop always-treated units or add periods before treatment",
        ),
    },
    "absorbing": {
        "fi": (
            "{n} riviä, joilla hoito ei ole pysyvä tai ei vastaa kohorttia",
            "treated = 1 kohortin jaksosta alkaen, muuten 0",
        ),
        "sv": (
            "{n} rader där behandlingen inte är bestående eller inte stämmer med kohorten",
            "treated = 1 från kohortens period, annars 0",
        ),
        "en": (
            "{n} row(s) where treatment is not absorbing or disagrees with the cohort",
            "set treated = 1 from the cohort period on and 0 before",
        ),
    },
    "comparison": {
        "fi": (
            "{n} kohorttia, joilla on liian vähän vertailuyksiköitä: {values}",
            "yhdistä kohortteja tai lisää koskaan hoitamattomia yksiköitä ({detail})",
        ),
        "sv": (
            "{n} kohorter med för få jämförelseenheter: {values}",
            "slå ihop kohorter eller lägg till aldrig behandlade enheter ({detail})",
        ),
        "en": (
            "{n} cohort(s) with too few comparison units: {values}",
            "merge cohorts or add never-treated units ({detail})",
        ),
    },
    "intake": {
        "fi": ("{detail}", "{other}"),
        "sv": ("{detail}", "{other}"),
        "en": ("{detail}", "{other}"),
    },
    "workbook": {
        "fi": ("{detail}", "{other}"),
        "sv": ("{detail}", "{other}"),
        "en": ("{detail}", "{other}"),
    },
}

_UI: dict[str, dict[str, str]] = {
    "ok": {
        "fi": "Kaikki tarkistukset läpäisty",
        "sv": "Alla kontroller godkända",
        "en": "All checks passed",
    },
    "failed": {
        "fi": "{n} tarkistusta epäonnistui",
        "sv": "{n} kontroller misslyckades",
        "en": "{n} checks failed",
    },
    "failed_one": {
        "fi": "1 tarkistus epäonnistui",
        "sv": "1 kontroll misslyckades",
        "en": "1 check failed",
    },
    "checked": {
        "fi": "{n} tarkistusta, {rows} riviä",
        "sv": "{n} kontroller, {rows} rader",
        "en": "{n} checks, {rows} rows",
    },
    "fix": {"fi": "Korjaus", "sv": "Åtgärd", "en": "Fix"},
    "where": {"fi": "Sijainti", "sv": "Plats", "en": "Where"},
    "rows": {"fi": "rivit", "sv": "rader", "en": "rows"},
    "table": {"fi": "taulu", "sv": "tabell", "en": "table"},
    "quarantined": {
        "fi": "{n} riviä siirretty karanteeniin",
        "sv": "{n} rader i karantän",
        "en": "{n} rows quarantined",
    },
    "quarantined_one": {
        "fi": "1 rivi siirretty karanteeniin",
        "sv": "1 rad i karantän",
        "en": "1 row quarantined",
    },
    "report": {"fi": "Tarkistusraportti", "sv": "Kontrollrapport", "en": "Validation report"},
    "pilot": {"fi": "Kokeilu", "sv": "Försök", "en": "Pilot"},
    "period": {"fi": "Kausi", "sv": "Period", "en": "Period"},
    "rule": {"fi": "Sääntö", "sv": "Regel", "en": "Rule"},
    "row": {"fi": "Rivi", "sv": "Rad", "en": "Row"},
    "column": {"fi": "sarake", "sv": "kolumn", "en": "column"},
    "kind_submission": {
        "fi": "itsearviointipohja",
        "sv": "självvärderingsmall",
        "en": "self-evaluation workbook",
    },
    "kind_spells": {"fi": "rekisterijaksot", "sv": "registerperioder", "en": "register spells"},
    "kind_panel": {
        "fi": "henkilö–kuukausi-paneeli",
        "sv": "person–månad-panel",
        "en": "person-month panel",
    },
    "kind_did_input": {
        "fi": "vaikutusarvioinnin aineisto",
        "sv": "data för effektutvärderingen",
        "en": "impact evaluation data",
    },
}

#: What each defect family's rule asks, as a sentence (shown instead of the internal
#: Great Expectations name of the check).
_RULES: dict[str, dict[str, str]] = {
    "columns": {
        "fi": "Kaikkien sarakkeiden on oltava paikallaan.",
        "sv": "Alla kolumner ska finnas.",
        "en": "Every column must be present.",
    },
    "required": {
        "fi": "Pakollinen tieto ei saa puuttua.",
        "sv": "En obligatorisk uppgift får inte saknas.",
        "en": "A required value must not be missing.",
    },
    "required_if": {
        "fi": "Tieto on pakollinen, kun toinen tieto on annettu.",
        "sv": "Uppgiften är obligatorisk när en annan uppgift är ifylld.",
        "en": "The value is required when another value is given.",
    },
    "code": {
        "fi": "Arvon on oltava jokin luettelon vaihtoehdoista.",
        "sv": "Värdet ska vara ett av alternativen i listan.",
        "en": "The value must be one of the choices in the list.",
    },
    "range": {
        "fi": "Arvon on oltava sallitulla välillä.",
        "sv": "Värdet ska ligga inom det tillåtna intervallet.",
        "en": "The value must lie within the allowed range.",
    },
    "domain": {
        "fi": "Arvon on oltava mahdollinen (esimerkiksi päivä ei tulevaisuudessa).",
        "sv": "Värdet ska vara möjligt (till exempel inget datum i framtiden).",
        "en": "The value must be possible (for example no date in the future).",
    },
    "length": {
        "fi": "Teksti ei saa olla liian pitkä.",
        "sv": "Texten får inte vara för lång.",
        "en": "The text must not be too long.",
    },
    "pattern": {
        "fi": "Arvon on oltava sovitussa muodossa.",
        "sv": "Värdet ska ha det överenskomna formatet.",
        "en": "The value must have the agreed form.",
    },
    "personal_id": {
        "fi": "Henkilötunnuksia ei saa olla missään kentässä.",
        "sv": "Personbeteckningar får inte förekomma i något fält.",
        "en": "No personal identity code may appear in any field.",
    },
    "unique": {
        "fi": "Sama tunnus saa esiintyä vain kerran.",
        "sv": "Samma kod får förekomma endast en gång.",
        "en": "The same id may appear only once.",
    },
    "date_order": {
        "fi": "Myöhemmän päivän on oltava aiemman jälkeen.",
        "sv": "Det senare datumet ska komma efter det tidigare.",
        "en": "The later date must come after the earlier one.",
    },
    "months_since_entry": {
        "fi": "Kuukausien määrän on vastattava tulopäivää.",
        "sv": "Antalet månader ska stämma med inträdesdagen.",
        "en": "The number of months must agree with the entry date.",
    },
    "month_index": {
        "fi": "Kuukausien on oltava peräkkäisiä ja yksikäsitteisiä.",
        "sv": "Månaderna ska vara på varandra följande och entydiga.",
        "en": "Months must be consecutive and unambiguous.",
    },
    "gaps": {
        "fi": "Henkilön kuukausisarjassa ei saa olla aukkoja.",
        "sv": "En persons månadsserie får inte ha luckor.",
        "en": "A person's monthly series must have no gaps.",
    },
    "cohort": {
        "fi": "Aloituskohortin on oltava sama henkilön kaikilla riveillä.",
        "sv": "Startkohorten ska vara densamma på alla en persons rader.",
        "en": "The entry cohort must be the same on all of a person's rows.",
    },
    "cohort_window": {
        "fi": "Kohortin on osuttava seuranta-ajalle.",
        "sv": "Kohorten ska falla inom uppföljningsperioden.",
        "en": "The cohort must fall within the follow-up period.",
    },
    "absorbing": {
        "fi": "Kun henkilö on kerran osallistunut, hän pysyy osallistuneena.",
        "sv": "En person som en gång deltagit förblir deltagare.",
        "en": "Once a person has taken part, they stay a participant.",
    },
    "comparison": {
        "fi": "Jokaisella kohortilla on oltava vertailuryhmä.",
        "sv": "Varje kohort ska ha en jämförelsegrupp.",
        "en": "Every cohort must have a comparison group.",
    },
    "intake": {
        "fi": "Tiedoston on oltava turvallinen avata ja kokorajojen sisällä.",
        "sv": "Filen ska vara säker att öppna och inom storleksgränserna.",
        "en": "The file must be safe to open and within the size limits.",
    },
    "workbook": {
        "fi": "Työkirjan on oltava täytetty pohjan ohjeiden mukaan.",
        "sv": "Arbetsboken ska vara ifylld enligt mallens anvisningar.",
        "en": "The workbook must be filled in as the template says.",
    },
}


def rule(family: str, lang: str) -> str:
    """What the rule of ``family`` asks, as a sentence in ``lang``."""
    entry = _RULES.get(family, _RULES["workbook"])
    return entry.get(lang, entry["en"])


def column_label(table: str, column: str | None, lang: str) -> str | None:
    """The header a person sees for a workbook field (the column name for other data)."""
    from evaluation.schema import LANGS, load_schema

    schema = load_schema()
    sections = {s.id: s for s in schema.sections}
    sec = sections.get(table)
    if column is None or sec is None or column not in sec.field_ids or lang not in LANGS:
        return column
    return sec.field(column).label(lang)  # type: ignore[arg-type]


def show_date(value: Any, lang: str) -> str:
    """A date, or text starting with an ISO date, as the reader writes dates (1.6.2017 in
    Finnish and Swedish; the reports' rule); any other value as text."""
    import datetime as dt

    from evaluation.reporting.i18n import LANGUAGES, translator

    text = value.isoformat() if isinstance(value, dt.date) else str(value)
    if lang not in LANGUAGES or len(text) < 10 or text[4] != "-" or text[7] != "-":
        return text
    return translator(lang).date(text)


def message(family: str, lang: str, **kw: Any) -> tuple[str, str]:
    """``(what, fix)`` of ``family`` in ``lang`` (English when unknown)."""
    entry = _M.get(family, _M["workbook"])
    what, fix = entry.get(lang, entry["en"])
    fields = {"n": "", "column": "", "other": "", "values": "", "min": "", "max": "", "detail": ""}
    fields.update({k: "" if v is None else v for k, v in kw.items()})
    # no message ever echoes an identity code or a store pseudonym: only their shape
    return mask_identity_codes(what.format(**fields)), mask_identity_codes(fix.format(**fields))


def ui(key: str, lang: str, **kw: Any) -> str:
    """A user-interface text of the report in ``lang`` (singular ``<key>_one`` where the
    language's plural rule calls count ``n`` "one")."""
    if "n" in kw and f"{key}_one" in _UI and plural_category(lang, kw["n"]) == "one":
        key = f"{key}_one"
    entry = _UI[key]
    return entry.get(lang, entry["en"]).format(**kw)


FAMILIES: tuple[str, ...] = tuple(_M)
