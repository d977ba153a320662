"""The ASCII fast path of ``normalise_text`` agrees with the full normalisation."""

from __future__ import annotations

import string
import unicodedata

import numpy as np

from evaluation.privacy.identity import find_identity_codes, normalise_text

#: Random ASCII texts tried (seeded); each mixes digits, letters, dashes and spaces.
TEXTS = 500


def _slow(text: str) -> str:
    """The normalisation without the fast path: NFKC, then the two character maps."""
    dashes = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
    invisible = "\u200b\u200c\u200d\u200e\u200f\u2060\u00ad\ufeff"
    out = unicodedata.normalize("NFKC", text)
    out = out.translate(dict.fromkeys(map(ord, invisible)))
    return out.translate(dict.fromkeys(map(ord, dashes), "-"))


def test_ascii_fast_path_equals_the_full_normalisation() -> None:
    rng = np.random.default_rng(20)
    alphabet = list(string.printable)
    for _ in range(TEXTS):
        text = "".join(rng.choice(alphabet, size=int(rng.integers(0, 60))))
        assert normalise_text(text) == _slow(text)


def test_codes_found_alike_in_ascii_and_in_disguise() -> None:
    plain = "asiakas 131052-308T kävi"
    disguised = "asiakas １３１０５２\u2011３０８Ｔ\u200b kävi"  # fullwidth, a non-breaking dash
    assert [h.kind for h in find_identity_codes(plain)] == ["identity_code"]
    assert [h.kind for h in find_identity_codes(disguised)] == ["identity_code"]
    assert normalise_text(disguised) == _slow(disguised)
