"""How contact data and identity documents are compared: the normalisation the talent service
applies before it stores or matches them (its API documents the rules), shared with clients such as
the CLI that must tell two rows of a spreadsheet apart the same way. Pure functions, no I/O."""

from __future__ import annotations

import re
import unicodedata


def normalise_email(email: str) -> str:
    return unicodedata.normalize("NFKC", email).strip().lower()


def normalise_phone(phone: str) -> str:
    """Mainland mobiles become 11 digits (the +86 prefix dropped); others stay E.164."""
    digits = re.sub(r"[\s\-()]", "", unicodedata.normalize("NFKC", phone))
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("00"):
        digits = "+" + digits[2:]
    return digits


def normalise_document(document: str) -> str:
    """Spaces and dashes removed, letters upper-cased: "g-1234 5678" is "G12345678"."""
    return re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", document)).upper()
