"""The unified social credit code (统一社会信用代码) of GB 32100-2015.

A landing counts as REGISTERED only with a company whose code is well-formed, so a typo must be
caught at the door: the 18th character is a mod-31 check over the first 17.
"""

from __future__ import annotations

import unicodedata
from typing import Final

from services.common.errors import invalid_field

CREDIT_CODE_LENGTH: Final = 18
# I, O, Z, S and V are left out by the standard because they read like 1, 0, 2, 5 and U.
CREDIT_CODE_CHARSET: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS: Final = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
INVALID_CREDIT_CODE: Final = "INVALID_CREDIT_CODE"

_VALUE: Final = {char: value for value, char in enumerate(CREDIT_CODE_CHARSET)}
_MODULUS: Final = len(CREDIT_CODE_CHARSET)


def normalise_credit_code(code: str) -> str:
    # NFKC folds the full-width characters a Chinese input method produces (９１３５…) to ASCII.
    return unicodedata.normalize("NFKC", code).strip().upper()


def check_character(first17: str) -> str:
    """The check character for the first 17 characters (already normalised)."""
    if len(first17) != CREDIT_CODE_LENGTH - 1:
        raise ValueError(f"expected {CREDIT_CODE_LENGTH - 1} characters, got {len(first17)}")
    try:
        total = sum(_VALUE[char] * weight for char, weight in zip(first17, CREDIT_CODE_WEIGHTS, strict=True))
    except KeyError as exc:
        raise ValueError(f"character {exc.args[0]!r} is not in the credit code charset") from None
    return CREDIT_CODE_CHARSET[(_MODULUS - total % _MODULUS) % _MODULUS]


def validate_credit_code(code: str, field_path: str = "landing.credit_code") -> str:
    """Return the normalised code, or raise INVALID_ARGUMENT with one violation on ``field_path``.

    Only the charset and the check character are verified: the registration-authority, category
    and region parts are not cross-checked against registries the service cannot see.
    """
    normalised = normalise_credit_code(code)
    if not normalised:
        raise invalid_field(field_path, "a unified social credit code is required", INVALID_CREDIT_CODE)
    if len(normalised) != CREDIT_CODE_LENGTH:
        raise invalid_field(
            field_path,
            f"a unified social credit code has {CREDIT_CODE_LENGTH} characters, got {len(normalised)}",
            INVALID_CREDIT_CODE,
        )
    bad = [f"{char!r} at position {position}" for position, char in enumerate(normalised, 1) if char not in _VALUE]
    if bad:
        raise invalid_field(
            field_path,
            f"{'character' if len(bad) == 1 else 'characters'} {', '.join(bad)} "
            f"{'is' if len(bad) == 1 else 'are'} not allowed (allowed: digits and A-Z except I, O, Z, S, V)",
            INVALID_CREDIT_CODE,
        )
    expected = check_character(normalised[:-1])
    if normalised[-1] != expected:
        raise invalid_field(
            field_path,
            f"check character (position 18) is {normalised[-1]!r} but {expected!r} was expected; "
            "the code probably contains a typo",
            INVALID_CREDIT_CODE,
        )
    return normalised
