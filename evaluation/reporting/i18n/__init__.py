"""Language catalogue of the reports: labels and prose in Finnish, Swedish and English.

All report text comes from ``catalogue.yaml`` beside this module (one entry per key with
``fi``, ``sv`` and ``en``). Use :func:`translator` to get a :class:`Translator` for one
language; it also formats numbers the way the language writes them (decimal comma in
Finnish and Swedish).
"""

from __future__ import annotations

import math
import string
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal, get_args

import yaml

from evaluation.errors import OptionError, ReportError, SchemaError

Lang = Literal["fi", "sv", "en"]
LANGUAGES: tuple[Lang, ...] = get_args(Lang)
CATALOGUE_PATH = Path(__file__).with_name("catalogue.yaml")


@cache
def load_catalogue() -> dict[str, dict[str, str]]:
    """Read the catalogue (cached); checks that every key has all three languages."""
    raw = yaml.safe_load(CATALOGUE_PATH.read_text(encoding="utf-8"))
    if not isinstance(raw, dict):
        raise SchemaError("the catalogue is not a mapping", where=str(CATALOGUE_PATH))
    out: dict[str, dict[str, str]] = {}
    for key, entry in raw.items():
        if not isinstance(entry, dict) or any(
            not isinstance(entry.get(lang), str) for lang in LANGUAGES
        ):
            raise SchemaError(
                f"key {key!r} lacks a text in one of {', '.join(LANGUAGES)}",
                where=str(CATALOGUE_PATH),
                fix="give fi, sv and en texts for every key",
            )
        out[str(key)] = {lang: str(entry[lang]) for lang in LANGUAGES}
    return out


def placeholders(text: str) -> set[str]:
    """Names of the ``{placeholders}`` in a catalogue text."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def check_language(lang: str) -> Lang:
    """Return ``lang`` if it is a supported language, else raise :class:`OptionError`."""
    if lang not in LANGUAGES:
        raise OptionError(
            f"unknown report language {lang!r}",
            where="--lang",
            fix=f"use one of {', '.join(LANGUAGES)}",
        )
    return lang  # type: ignore[return-value]


#: The minus sign of every number in the reports (U+2212, not the hyphen).
MINUS = "\u2212"

#: Catalogue prefixes whose codes are labelled by the schema's code list of the same name.
SCHEMA_CODELIST_PREFIXES = (
    "criterion",
    "theme",
    "dimension",
    "target_group",
    "outcome_3m",
    "quality_concept",
    "concept_family",
)


def schema_label(key: str, lang: Lang) -> str | None:
    """The schema's label of ``indicator.<id>`` or ``<codelist>.<code>`` (``None`` if none):
    the schema is the one source of the names of indicators and criteria."""
    from evaluation.schema import load_schema

    prefix, _, code = key.partition(".")
    schema = load_schema()
    if prefix == "indicator":
        found = [i for i in schema.indicators if i.id == code]
        return found[0].name(lang) if found else None
    if prefix in SCHEMA_CODELIST_PREFIXES and prefix in schema.codelists:
        codes = schema.codelists[prefix]
        return codes.label_of(code, lang) if code in codes.ids else None
    return None


@dataclass(frozen=True)
class Translator:
    """Texts and number formats of one language."""

    lang: Lang

    def __call__(self, key: str, **values: object) -> str:
        """The text of ``key``, with ``{placeholders}`` filled from ``values``."""
        cat = load_catalogue()
        if key not in cat:
            raise ReportError(
                f"no text for key {key!r} in the language catalogue",
                where=str(CATALOGUE_PATH),
                fix="add the key with fi, sv and en texts",
            )
        text = cat[key][self.lang]
        return text.format(**values) if values else text

    def get(self, key: str, default: str) -> str:
        """The text of ``key``: from the catalogue, else the schema's own label of a code
        (``indicator.<id>``, ``criterion.<code>``, ...), else ``default``."""
        cat = load_catalogue()
        if key in cat:
            return str(cat[key][self.lang])
        return schema_label(key, self.lang) or default

    def file_label(self, name: str) -> str:
        """What a results file holds, in words (``traffic_lights.csv`` -> "Liikennevaloarviot
        (CSV)"); an unknown file keeps its name."""
        stem, dot, ext = name.rpartition(".")
        if not dot:
            stem, ext = name, ""
        if f"file.{stem}" not in load_catalogue():
            return name
        label = self(f"file.{stem}")
        return f"{label} ({ext.upper()})" if ext else label

    def date(self, iso: str) -> str:
        """An ISO date (``2017-06-01``, a time part ignored) as the reader writes dates:
        ``1.6.2017`` in Finnish and Swedish; ISO in English; other text unchanged."""
        import datetime as dt

        try:
            day = dt.date.fromisoformat(str(iso)[:10])
        except ValueError:
            return str(iso)
        return day.isoformat() if self.lang == "en" else f"{day.day}.{day.month}.{day.year}"

    def num(self, x: float | None, digits: int = 2) -> str:
        """A number with ``digits`` decimals in the language's notation."""
        if x is None or (isinstance(x, float) and math.isnan(x)):
            return "–"
        s = f"{x:,.{digits}f}".replace("-", MINUS)  # one minus sign everywhere
        if self.lang == "en":
            return s
        # fi/sv: thin space (U+202F) as thousands separator, decimal comma.
        return s.replace(",", "\u202f").replace(".", ",")

    def ci(self, low: float, high: float, digits: int = 2) -> str:
        """An interval ``[low; high]`` (semicolon where the decimal mark is a comma)."""
        sep = ", " if self.lang == "en" else "; "
        return f"[{self.num(low, digits)}{sep}{self.num(high, digits)}]"

    def pvalue(self, p: float) -> str:
        """A p-value with three decimals, ``<0.001`` below that."""
        if p < 0.001:
            return "<" + self.num(0.001, 3)
        return self.num(p, 3)

    def p_phrase(self, p: float) -> str:
        """``p = 0.012`` or ``p < 0.001`` for running text."""
        if p < 0.001:
            return f"p < {self.num(0.001, 3)}"
        return f"p = {self.num(p, 3)}"


#: Environment variable with the command line's language when no workbook sets it.
LANG_ENV = "PILOT_EVAL_LANG"


def cli_language(lang: str | None = None) -> Lang:
    """The command line's language: ``lang`` (e.g. a workbook's), else ``$PILOT_EVAL_LANG``,
    else English; an unknown value falls back to English."""
    import os

    for candidate in (lang, os.environ.get(LANG_ENV)):
        if candidate in LANGUAGES:
            return candidate  # type: ignore[return-value]
    return "en"


def translator(lang: str) -> Translator:
    """A :class:`Translator` for ``lang`` (``fi``, ``sv`` or ``en``)."""
    return Translator(check_language(lang))


__all__ = [
    "CATALOGUE_PATH",
    "LANGUAGES",
    "LANG_ENV",
    "Lang",
    "Translator",
    "check_language",
    "cli_language",
    "load_catalogue",
    "placeholders",
    "translator",
]
