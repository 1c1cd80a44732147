"""Personal data: normalisation (for duplicate detection), validation, masking and the keyed hash
of identity documents, which are never stored in clear."""

from __future__ import annotations

import hashlib
import hmac
import re

from services.common.contact import normalise_document, normalise_email, normalise_phone

__all__ = ["normalise_document", "normalise_email", "normalise_phone"]

EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})+$")
MAINLAND_MOBILE = re.compile(r"^1[3-9]\d{9}$")
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
DOCUMENT = re.compile(r"^[A-Z0-9]{6,32}$")


def valid_email(email: str) -> bool:
    return len(email) <= 254 and EMAIL.match(email) is not None


def valid_phone(phone: str) -> bool:
    return MAINLAND_MOBILE.match(phone) is not None or E164.match(phone) is not None


def valid_document(document: str) -> bool:
    return DOCUMENT.match(document) is not None


def document_hash(key: bytes, document: str) -> bytes:
    return hmac.new(key, normalise_document(document).encode(), hashlib.sha256).digest()


def mask_email(email: str) -> str:
    local, _, host = email.partition("@")
    return f"{local[:1]}***@{host}"


def mask_phone(phone: str) -> str:
    if len(phone) <= 7:
        return "*" * len(phone)
    return f"{phone[:3]}{'*' * (len(phone) - 7)}{phone[-4:]}"
