"""Privacy at the door: the one detector of identity codes and store pseudonyms, and the
normalisation of person ids. Imports nothing of the toolkit but :mod:`evaluation.errors`.
"""

from evaluation.privacy.identity import (
    CHECK_CHARACTERS,
    CODE_SHAPE,
    IdentityCodeHit,
    contains_identity_code,
    find_identity_codes,
    is_valid_identity_code,
    mask_identity_codes,
    normalise_person_id,
    normalise_text,
)

__all__ = [
    "CHECK_CHARACTERS",
    "CODE_SHAPE",
    "IdentityCodeHit",
    "contains_identity_code",
    "find_identity_codes",
    "is_valid_identity_code",
    "mask_identity_codes",
    "normalise_person_id",
    "normalise_text",
]
