"""How talent writes carry their request key: the key and the response are stored by the write's own
statement (services.common.idempotency), and the key's row is read by the write's own read."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from google.protobuf.message import Message

from services.common.idempotency import RequestKey, store_statement


@dataclass(frozen=True)
class Remember:
    """Store ``key`` with ``response`` (about ``resource``, e.g. ``candidates/<id>``) in the write."""

    key: RequestKey
    response: Message | bytes
    resource: str | None = None

    def claim(self, first_param: int, *, source: str | None = None) -> tuple[str, list[Any]]:
        """The key's INSERT for a CTE; with ``source`` (a guard CTE), stored only if the guard found its row."""
        return store_statement(self.key, self.response, self.resource, first_param=first_param, source=source)


class Outcome(Enum):
    """What a guarded write did."""

    WRITTEN = "written"
    # What the write was read against changed (a concurrent write): read again and decide again.
    STALE = "stale"
    # Another call with the same request key committed first: replay its response.
    KEY_TAKEN = "key taken"


@dataclass(frozen=True)
class StoredKey:
    """The key's row as a read found it (both None when there is none)."""

    request_hash: bytes | None = None
    response: bytes | None = None


KEY_JOIN = "LEFT JOIN idempotency_keys k ON k.scope = {scope} AND k.request_id = {request_id}"


def key_args(key: RequestKey | None) -> tuple[str | None, str | None]:
    """The (scope, request_id) parameters of :data:`KEY_JOIN`; NULLs match no row."""
    return (key.scope, key.request_id) if key else (None, None)


def stored_key(row: Any) -> StoredKey:
    return StoredKey(row["request_hash"], row["response"])
