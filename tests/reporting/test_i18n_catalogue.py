"""The language catalogue: every key in fi, sv and en with the same placeholders."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from evaluation.errors import OptionError, ReportError
from evaluation.reporting.i18n import LANGUAGES, load_catalogue, placeholders, translator

ROOT = Path(__file__).resolve().parents[2]


def test_every_key_has_all_languages_and_same_placeholders() -> None:
    cat = load_catalogue()
    assert len(cat) > 50
    for key, texts in cat.items():
        assert set(texts) == set(LANGUAGES), key
        assert all(texts[lang].strip() for lang in LANGUAGES), key
        ph = {lang: placeholders(texts[lang]) for lang in LANGUAGES}
        assert ph["fi"] == ph["sv"] == ph["en"], (key, ph)


def test_keys_used_in_code_exist() -> None:
    cat = load_catalogue()
    sources = [
        *(ROOT / "evaluation" / "reporting").glob("*.py"),
        *(ROOT / "reports").glob("*.qmd"),
    ]
    used: set[str] = set()
    for path in sources:
        used |= set(re.findall(r"\bt\(\s*[\"']([a-z0-9_.]+)[\"']", path.read_text("utf-8")))
    assert used, "no catalogue keys found in the sources"
    missing = sorted(k for k in used if k not in cat)
    assert missing == []


def test_number_formats_by_language() -> None:
    assert translator("en").num(1234.5, 1) == "1,234.5"
    assert translator("fi").num(1234.5, 1) == "1\u202f234,5"
    assert translator("sv").ci(-0.5, 1.25) == "[\u22120,50; 1,25]"  # U+2212, not a hyphen
    assert translator("en").ci(-0.5, 1.25) == "[\u22120.50, 1.25]"
    assert translator("fi").p_phrase(0.0001) == "p < 0,001"


def test_translation_and_errors() -> None:
    assert translator("fi")("col.pilot") == "Kokeilu"
    assert translator("sv")("total") == "Totalt"
    assert "7" in translator("en")("compare.subtitle", k=7)
    with pytest.raises(OptionError):
        translator("de")
    with pytest.raises(ReportError):
        translator("en")("no.such.key")


def test_dates_as_the_reader_writes_them() -> None:
    assert translator("fi").date("2017-06-01") == "1.6.2017"
    assert translator("sv").date("2018-12-31 00:00:00") == "31.12.2018"
    assert translator("en").date("2017-06-01") == "2017-06-01"
    assert translator("fi").date("") == ""  # missing stays missing
