"""The unified social credit code (统一社会信用代码) of GB 32100-2015.

A landing counts as REGISTERED only with a company whose code is well-formed, so a typo must be
caught at the door: the 18th character is a mod-31 check over the first 17.
"""

from __future__ import annotations

from typing import Final

from services.common.credit_code import (
    CHARACTER_VALUE,
    CREDIT_CODE_CHARSET,
    CREDIT_CODE_LENGTH,
    CREDIT_CODE_WEIGHTS,
    check_character,
    normalise_credit_code,
)
from services.common.errors import invalid_field

__all__ = [
    "CREDIT_CODE_CHARSET",
    "CREDIT_CODE_LENGTH",
    "CREDIT_CODE_WEIGHTS",
    "INVALID_CREDIT_CODE",
    "check_character",
    "normalise_credit_code",
    "validate_credit_code",
]

INVALID_CREDIT_CODE: Final = "INVALID_CREDIT_CODE"


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
    bad = [
        f"{char!r} at position {position}" for position, char in enumerate(normalised, 1) if char not in CHARACTER_VALUE
    ]
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
