"""The unified social credit code (统一社会信用代码) of GB 32100-2015: its alphabet and its check
character. Pure and dependency-free, so that clients (the demo, the CLI) generate and check codes
with the same arithmetic as the competition service (services.competition.domain.credit_code)."""

from __future__ import annotations

import unicodedata
from typing import Final

CREDIT_CODE_LENGTH: Final = 18
# I, O, Z, S and V are left out by the standard because they read like 1, 0, 2, 5 and U.
CREDIT_CODE_CHARSET: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS: Final = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

CHARACTER_VALUE: Final = {char: value for value, char in enumerate(CREDIT_CODE_CHARSET)}
_MODULUS: Final = len(CREDIT_CODE_CHARSET)


def normalise_credit_code(code: str) -> str:
    # NFKC folds the full-width characters a Chinese input method produces (９１３５…) to ASCII.
    return unicodedata.normalize("NFKC", code).strip().upper()


def check_character(first17: str) -> str:
    """The check character for the first 17 characters (already normalised)."""
    if len(first17) != CREDIT_CODE_LENGTH - 1:
        raise ValueError(f"expected {CREDIT_CODE_LENGTH - 1} characters, got {len(first17)}")
    try:
        total = sum(CHARACTER_VALUE[char] * weight for char, weight in zip(first17, CREDIT_CODE_WEIGHTS, strict=True))
    except KeyError as exc:
        raise ValueError(f"character {exc.args[0]!r} is not in the credit code charset") from None
    return CREDIT_CODE_CHARSET[(_MODULUS - total % _MODULUS) % _MODULUS]
