"""The one identity-code detector: every form found, wrong check characters not, and the
shape is all a mask shows."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evaluation.privacy import (
    CHECK_CHARACTERS,
    CODE_SHAPE,
    contains_identity_code,
    find_identity_codes,
    is_valid_identity_code,
    mask_identity_codes,
    normalise_person_id,
)

#: Century marks of the 2023 reform: '+' 1800s, '-YXWVU' 1900s, 'A-F' 2000s.
CENTURY_MARKS = "+-YXWVUABCDEF"


def code(date: str, number: str, mark: str = "-") -> str:
    """A valid identity code of ``date`` (DDMMYY) and individual ``number`` (NNN)."""
    return f"{date}{mark}{number}{CHECK_CHARACTERS[int(date + number) % 31]}"


def test_known_code_check_character() -> None:
    # The Digital and Population Data Services Agency's example code.
    assert code("131052", "308") == "131052-308T"
    assert is_valid_identity_code("131052-308T")
    assert not is_valid_identity_code("131052-308U")


@pytest.mark.parametrize("mark", list(CENTURY_MARKS))
def test_every_century_mark_found(mark: str) -> None:
    text = f"Asiakas {code('010203', '456', mark)} kävi"
    assert contains_identity_code(text)
    assert contains_identity_code(text.lower())


@pytest.mark.parametrize(
    "form",
    [
        "131052-308T",
        "131052-308t",
        "131052308T",
        "131052 308T",
        "131052\u00a0308T",
        "131052\u2013308T",  # en dash
        "131052\u2212308T",  # minus sign
        "1310\u200b52-308T",  # zero-width space planted inside
        "\uff11\uff13\uff11\uff10\uff15\uff12-308T",  # full-width digits
        "(131052-308T)",
        "id_131052-308T",
        "hetu:131052-308T.",
    ],
)
def test_forms_found_and_masked(form: str) -> None:
    assert contains_identity_code(form)
    masked = mask_identity_codes(form)
    assert CODE_SHAPE in masked
    assert "308" not in masked and "131052" not in masked


@pytest.mark.parametrize(
    "text",
    [
        "131052-308U",  # wrong check character
        "131052308U",
        "abc131052-308Tx",  # inside a longer word
        "321052-308T",  # day 32
        "131352-308T",  # month 13
        "Puhelin 0401234567",
        "2019-03-31",
        "PS" + "g" * 32,
        "PS" + "a" * 31,
        "",
    ],
)
def test_not_codes(text: str) -> None:
    assert not contains_identity_code(text)
    assert mask_identity_codes(text) == text


@pytest.mark.parametrize("length", [32, 64])
def test_store_pseudonyms_found(length: int) -> None:
    pseudonym = "PS" + "0123456789abcdef" * (length // 16)
    assert [h.kind for h in find_identity_codes(f"x {pseudonym} y")] == ["pseudonym"]
    assert pseudonym not in mask_identity_codes(f"x {pseudonym} y")


def test_all_codes_of_one_birth_date_found() -> None:
    """Every valid code of 13 October 1952, in every separator form, is found."""
    for mark, n in itertools.product(CENTURY_MARKS, range(1000)):
        c = code("131052", f"{n:03d}", mark)
        assert contains_identity_code(c), c
        assert contains_identity_code(c[:6] + c[7:]), c


def test_several_hits_all_masked() -> None:
    text = f"{code('010101', '123')} ja {code('020202', '234', 'A')} sekä {code('030303', '345')}"
    hits = find_identity_codes(text)
    assert len(hits) == 3
    assert mask_identity_codes(text) == f"{CODE_SHAPE} ja {CODE_SHAPE} sekä {CODE_SHAPE}"


@given(st.text(alphabet="0123456789-+ABCDEFUVWXY ", max_size=40))
def test_mask_leaves_no_hit(text: str) -> None:
    assert not contains_identity_code(mask_identity_codes(text))


def test_non_text_values() -> None:
    assert not contains_identity_code(None)
    assert not contains_identity_code(131052308)
    assert find_identity_codes(None) == []


@pytest.mark.parametrize("raw", [" fok012", "FOK\u200b012", "fok012\t", "\uff26OK012", "FOK 012"])
def test_person_ids_normalised(raw: str) -> None:
    assert normalise_person_id(raw) == "FOK012"
