"""AIP-158 pagination: page sizes and opaque, tamper-proof page tokens over a keyset.

A token carries the keyset position of the last row returned and a fingerprint of the request's
filter, signed with HMAC-SHA256. A forged token or a filter changed between pages is
INVALID_ARGUMENT.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from google.protobuf.message import Message

from services.common.errors import invalid_field

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


def page_size(requested: int) -> int:
    if requested < 0:
        raise invalid_field("page_size", "must not be negative")
    if requested == 0:
        return DEFAULT_PAGE_SIZE
    return min(requested, MAX_PAGE_SIZE)


def literal_limit(limit: int) -> int:
    """A page's LIMIT, to be written into the statement rather than passed as a parameter: with
    ``LIMIT $n`` PostgreSQL keeps planning the prepared statement anew on every call (its generic
    plan, blind to the limit, is estimated dearer than the custom ones), which cost several times the
    execution. A statement per page size is cached instead: every page size is bounded by its
    method (page_size() above, or the competition's per-collection maxima), so their number is too.
    ``int`` keeps anything but a number out of the statement's text."""
    return int(limit)


def filter_fingerprint(request: Message) -> str:
    """The request without its paging fields: what must stay the same from page to page. The message
    type is part of it, so a token of one collection is refused by another."""
    copy = type(request)()
    copy.CopyFrom(request)
    for field in ("page_token", "page_size"):
        copy.ClearField(field)
    digest = hashlib.sha256(request.DESCRIPTOR.full_name.encode() + b"\n")
    digest.update(copy.SerializeToString(deterministic=True))
    return digest.hexdigest()[:32]


# json.dumps with any non-default option builds a new encoder per call; a page token is made per page.
_COMPACT = json.JSONEncoder(separators=(",", ":"))


class PageTokens:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _sign(self, body: bytes) -> bytes:
        return hmac.new(self._secret, body, hashlib.sha256).digest()[:16]

    def encode(self, position: list[Any], request: Message) -> str:
        body = _COMPACT.encode({"p": position, "f": filter_fingerprint(request)}).encode()
        return base64.urlsafe_b64encode(body + self._sign(body)).decode().rstrip("=")

    def decode(self, token: str, request: Message) -> list[Any] | None:
        """The keyset position after which the page starts, or None for the first page."""
        if not token:
            return None
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            body, signature = raw[:-16], raw[-16:]
            if not hmac.compare_digest(signature, self._sign(body)):
                raise ValueError("bad signature")
            content = json.loads(body)
            position = content["p"]
            fingerprint = content["f"]
        except (ValueError, KeyError, TypeError):
            raise invalid_field("page_token", "is not a page token this server issued") from None
        if fingerprint != filter_fingerprint(request):
            raise invalid_field("page_token", "belongs to a request with different filters or ordering")
        if not isinstance(position, list):
            raise invalid_field("page_token", "is not a page token this server issued")
        return position
