"""One detector of Finnish personal identity codes (henkilötunnus) and store pseudonyms.

A code is ``DDMMYY`` + century mark + ``NNN`` + check character, where the check character
is ``CHECK_CHARACTERS[int(DDMMYYNNN) % 31]``. The detector finds codes

* with any century mark, including those added in 2023 (``+``; ``-YXWVU`` for the 1900s;
  ``A``-``F`` for the 2000s), with a space (``131052 308T``) or with no separator at all
  (``131052308T``), in any letter case, with dash look-alikes (en dash, minus sign, ...),
  and with zero-width characters or full-width digits planted inside;
* only when the check character is right (so ordinary numbers rarely match);
* and also the toolkit's own pseudonyms (``PS`` + 32 or 64 hex digits): a pseudonym in
  input would link a person across stores.

Nothing here returns a code's characters: a hit carries where it is and its *shape*
(:data:`CODE_SHAPE`), which is all that any message may show.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

#: The check character of ``int(DDMMYYNNN) % 31``.
CHECK_CHARACTERS = "0123456789ABCDEFHJKLMNPRSTUVWXY"
#: What a message shows in place of an identity code (never any of its characters).
CODE_SHAPE = "######-####"
#: What a message shows in place of a store pseudonym.
PSEUDONYM_SHAPE = "PS################"

#: Characters removed before matching: zero-width spaces and joiners, soft hyphen, BOM.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u200e\u200f\u2060\u00ad\ufeff"))
#: Dash look-alikes that NFKC keeps apart from ``-``.
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
_DASH_MAP = dict.fromkeys(map(ord, _DASHES), "-")
#: Both in one table (one pass over the text).
_CLEAN: dict[int, str | None] = {**_INVISIBLE, **_DASH_MAP}

_DATE = r"(?P<dd>0[1-9]|[12][0-9]|3[01])(?P<mm>0[1-9]|1[0-2])(?P<yy>[0-9]{2})"
_MARK = r"(?P<sep>[-+A-FU-Y]|[ \u00a0]|)"
_CODE = rf"{_DATE}{_MARK}(?P<nnn>[0-9]{{3}})(?P<check>[0-9A-Y])"
_PSEUDONYM = r"(?P<ps>PS[0-9A-F]{32}(?:[0-9A-F]{32})?)"
_PATTERN = re.compile(rf"(?<![0-9A-Z])(?:{_CODE}|{_PSEUDONYM})(?![0-9A-Z])", re.IGNORECASE)

Kind = Literal["identity_code", "pseudonym"]


@dataclass(frozen=True)
class IdentityCodeHit:
    """Where an identity code or pseudonym sits in a (normalised) text.

    Attributes
    ----------
    kind:
        ``"identity_code"`` or ``"pseudonym"``.
    start, end:
        Character offsets in :func:`normalise_text` of the text.
    """

    kind: Kind
    start: int
    end: int

    @property
    def shape(self) -> str:
        """What may be shown instead of the hit."""
        return CODE_SHAPE if self.kind == "identity_code" else PSEUDONYM_SHAPE


def normalise_text(text: str) -> str:
    """NFKC, dash look-alikes as ``-``, and zero-width characters removed."""
    if text.isascii():  # NFKC leaves ASCII alone; invisibles and dashes are not ASCII
        return text
    return unicodedata.normalize("NFKC", text).translate(_CLEAN)


def normalise_person_id(value: str) -> str:
    """A person id as it is compared: NFKC, zero-width removed, trimmed, upper case.

    ``" fok012"``, ``"FOK\u200b012"`` and ``"FOK012\t"`` are all ``"FOK012"``.
    """
    return "".join(normalise_text(value).split()).upper()


def is_valid_identity_code(text: str) -> bool:
    """Whether ``text`` as a whole is an identity code with a correct check character."""
    hits = list(_hits(normalise_text(text).strip()))
    return len(hits) == 1 and hits[0].kind == "identity_code" and hits[0].start == 0


def _check_ok(m: re.Match[str]) -> bool:
    number = int(m["dd"] + m["mm"] + m["yy"] + m["nnn"])
    return CHECK_CHARACTERS[number % 31] == m["check"].upper()


def _hits(text: str) -> Iterator[IdentityCodeHit]:
    for m in _PATTERN.finditer(text):
        if m["ps"] is not None:
            yield IdentityCodeHit("pseudonym", m.start(), m.end())
        elif _check_ok(m):
            yield IdentityCodeHit("identity_code", m.start(), m.end())


def find_identity_codes(text: object) -> list[IdentityCodeHit]:
    """Every identity code and pseudonym in ``text`` (offsets in its normalised form)."""
    if text is None:
        return []
    return list(_hits(normalise_text(str(text))))


def contains_identity_code(text: object) -> bool:
    """Whether ``text`` holds an identity code or a store pseudonym anywhere."""
    if text is None:
        return False
    return next(_hits(normalise_text(str(text))), None) is not None


def mask_identity_codes(text: str) -> str:
    """``text`` normalised, with every code and pseudonym replaced by its shape.

    Text without a hit is returned unchanged (not normalised).
    """
    norm = normalise_text(text)
    hits = list(_hits(norm))
    if not hits:
        return text
    out, last = [], 0
    for h in hits:
        out += [norm[last : h.start], h.shape]
        last = h.end
    out.append(norm[last:])
    return "".join(out)
