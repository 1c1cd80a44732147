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
import operator
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from google.protobuf.descriptor import FieldDescriptor as F
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


PAGING_FIELDS = ("page_token", "page_size")
# Filters whose fingerprint (the tokens of one filter all share it) and whose decision
# (FilterDecisions) are kept; past this many, all are forgotten and computed again.
FINGERPRINTS_KEPT = 4096
# Field types whose Python values do not decide their serialised bytes (0.0 == -0.0, NaN != NaN), or
# are not hashable.
_UNKEYED_TYPES = frozenset((F.TYPE_DOUBLE, F.TYPE_FLOAT, F.TYPE_MESSAGE, F.TYPE_GROUP))
_filters: dict[type[Message], Callable[[Message], tuple[Any, ...]] | None] = {}
Request = TypeVar("Request", bound=Message)
Decided = TypeVar("Decided")
_fingerprints: dict[tuple[type[Message], tuple[Any, ...]], str] = {}


def _fingerprint(request: Message) -> str:
    copy = type(request)()
    copy.CopyFrom(request)
    # Fields this server does not know filter nothing; dropped, a filter has one fingerprint whether
    # its first page was computed here or taken from _fingerprints.
    copy.DiscardUnknownFields()
    for field in PAGING_FIELDS:
        copy.ClearField(field)
    digest = hashlib.sha256(request.DESCRIPTOR.full_name.encode() + b"\n")
    digest.update(copy.SerializeToString(deterministic=True))
    return digest.hexdigest()[:32]


def _filter_values(message_type: type[Message]) -> Callable[[Message], tuple[Any, ...]] | None:
    """The request's filter as a tuple of its fields' values, for a request type whose filter fields
    are all singular scalars without presence (every list request's, so far): then those values are
    the filter, and key its fingerprint. None for any other type (its fingerprint is not kept)."""
    if message_type in _filters:
        return _filters[message_type]
    fields = [f for f in message_type.DESCRIPTOR.fields if f.name not in PAGING_FIELDS]
    values: Callable[[Message], tuple[Any, ...]] | None = None
    if not any(f.is_repeated or f.has_presence or f.type in _UNKEYED_TYPES for f in fields):
        names = [f.name for f in fields]
        # attrgetter of several names gives their values as a tuple in one call; of one, the value.
        values = operator.attrgetter(*names) if len(names) > 1 else lambda r: tuple(getattr(r, n) for n in names)
    _filters[message_type] = values
    return values


def filter_fingerprint(request: Message) -> str:
    """The request without its paging fields: what must stay the same from page to page. The message
    type is part of it, so a token of one collection is refused by another.

    Computed once per filter and then looked up: under load the copy, serialisation and hash cost
    about 10 µs of CPU per page, a tenth of a list page's own work (bench/README.md, "Page tokens")."""
    values = _filter_values(type(request))
    if values is None:
        return _fingerprint(request)
    key = (type(request), values(request))
    found = _fingerprints.get(key)
    if found is None:
        if len(_fingerprints) >= FINGERPRINTS_KEPT:
            _fingerprints.clear()
        found = _fingerprints[key] = _fingerprint(request)
    return found


class FilterDecisions(Generic[Request, Decided]):
    """What a list method makes of a request's filter (its checks, then the query they allow),
    decided once per filter and then looked up, keyed like the fingerprints: by the filter fields'
    values. A portal's pages share a handful of filters (every next page repeats its first page's),
    and deciding one cost a page about as much CPU under load as its page token.

    ``decide`` must depend on the filter fields alone (not on the caller, the paging fields or the
    time) and return an immutable value; when it raises (a violation), nothing is kept, so a bad
    filter is checked, and refused, every time."""

    def __init__(self, request_type: type[Request], decide: Callable[[Request], Decided]) -> None:
        self._values = _filter_values(request_type)
        self._decide = decide
        self._kept: dict[tuple[Any, ...], Decided] = {}

    def __call__(self, request: Request) -> Decided:
        if self._values is None:
            return self._decide(request)
        key = self._values(request)
        kept = self._kept
        try:
            return kept[key]
        except KeyError:
            pass
        decided = self._decide(request)
        if len(kept) >= FINGERPRINTS_KEPT:
            kept.clear()
        kept[key] = decided
        return decided


# json.dumps with any non-default option builds a new encoder per call; a page token is made per page.
_COMPACT = json.JSONEncoder(separators=(",", ":"))
_quoted = json.encoder.encode_basestring_ascii
_SHA256_BLOCK = hashlib.sha256().block_size


def _body(position: list[Any], fingerprint: str) -> bytes:
    """``_COMPACT.encode({"p": position, "f": fingerprint})``, formatted directly when the position
    is all text (most are): the encoder's set-up per call was most of its cost."""
    if all(type(value) is str for value in position):
        return f'{{"p":[{",".join(map(_quoted, position))}],"f":"{fingerprint}"}}'.encode()
    return _COMPACT.encode({"p": position, "f": fingerprint}).encode()


class PageTokens:
    def __init__(self, secret: bytes) -> None:
        # HMAC-SHA256 (RFC 2104) from its two keyed states, derived once: hmac.new derives them
        # again and sets up OpenSSL's HMAC for every token, about 9 µs of a page's CPU under load.
        key = hashlib.sha256(secret).digest() if len(secret) > _SHA256_BLOCK else secret
        key = key.ljust(_SHA256_BLOCK, b"\0")
        self._inner = hashlib.sha256(bytes(byte ^ 0x36 for byte in key))
        self._outer = hashlib.sha256(bytes(byte ^ 0x5C for byte in key))

    def _sign(self, body: bytes) -> bytes:
        inner = self._inner.copy()
        inner.update(body)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()[:16]

    def encode(self, position: list[Any], request: Message) -> str:
        body = _body(position, filter_fingerprint(request))
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
