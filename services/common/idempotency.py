"""Request-id idempotency (AIP-155) for creates and state changes, folded into the write itself.

A write with a ``request_id`` stores its key and its response in the write's own last statement
(:func:`store_statement`, ``ON CONFLICT DO NOTHING``). Nothing is claimed up front, so the happy path
costs no extra round trip:

- a sequential retry runs the write again; its last statement finds the key taken, the transaction
  rolls back, and the first call's stored response is returned;
- a retry racing the first call blocks on the key's unique index until the first commits, then
  does the same;
- a retry that fails on the way (the first call already moved the state, took the unique name…)
  is answered with the stored response when one exists, so the client sees the first result rather
  than an error caused by its own first attempt.

The same request_id with a different request is INVALID_ARGUMENT (reason REQUEST_ID_REUSED): the
client sent a bad request, not a duplicate of an existing resource.

Privacy: the request digest is an HMAC under a server key, never a plain hash, so a stored digest
cannot be brute-forced back into a request (an identity number, say); services pass ``redact`` to
replace such fields by their own keyed hash before hashing. Stored responses carry a ``resource``
name so that erasing a person can rewrite every response about them (:func:`rewrite_responses`).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import asyncpg
from google.protobuf.message import Message

from services.common.auth import current_caller
from services.common.db import transaction
from services.common.errors import DomainError, ViolationCollector, invalid_field
from services.common.sql import Connection, Executor
from services.common.text import check_text

ResponseT = TypeVar("ResponseT", bound=Message)

MAX_REQUEST_ID_LENGTH = 128
_KEY_LABEL = b"services.common.idempotency request digest v2"


@dataclass(frozen=True)
class RequestKey:
    """Who asked (``scope``: caller subject and request type), which request id, and the request's keyed digest."""

    scope: str
    request_id: str
    digest: bytes


class RequestKeys:
    """Derives the key of a request. One per service; the secret never leaves the process."""

    def __init__(self, secret: bytes) -> None:
        # A key of its own, so that digests and page tokens never share one.
        self._key = hmac.new(secret, _KEY_LABEL, hashlib.sha256).digest()

    def key(self, request: Message, *, redact: Callable[[Message], None] | None = None) -> RequestKey | None:
        """None when the request carries no request_id; INVALID_ARGUMENT for a malformed one.

        ``redact`` edits a copy of the request before it is hashed (never the request itself)."""
        request_id: str = getattr(request, "request_id", "")
        if not request_id:
            return None
        violations = ViolationCollector()
        check_text(request_id, "request_id", violations, limit=MAX_REQUEST_ID_LENGTH)
        violations.raise_if_any()
        copy = type(request)()
        copy.CopyFrom(request)
        copy.ClearField("request_id")
        if redact is not None:
            redact(copy)
        digest = hmac.new(self._key, copy.SerializeToString(deterministic=True), hashlib.sha256).digest()
        return RequestKey(scope_of(request), request_id, digest)


def scope_of(request: Message) -> str:
    """Request ids are the caller's own and per request type: another caller, or the same id sent to
    another method, never replays someone else's result."""
    caller = current_caller.get()
    return f"{caller.subject if caller else ''}:{request.DESCRIPTOR.full_name}"


def replayed(
    key: RequestKey, stored_hash: bytes | None, stored_response: bytes | None, response_type: type[ResponseT]
) -> ResponseT | None:
    """The earlier call's response when the key's row (already fetched by the caller) holds one; None
    when there is no such row; REQUEST_ID_REUSED when the row belongs to a different request."""
    if stored_hash is None:
        return None
    if not hmac.compare_digest(bytes(stored_hash), key.digest):
        raise invalid_field("request_id", "was already used for a different request", reason="REQUEST_ID_REUSED")
    if stored_response is None:
        return None
    return response_type.FromString(bytes(stored_response))


async def replay(executor: Executor, key: RequestKey | None, response_type: type[ResponseT]) -> ResponseT | None:
    """The stored response of an earlier call with ``key``, or None."""
    if key is None:
        return None
    row = await executor.fetchrow(
        "SELECT request_hash, response FROM idempotency_keys WHERE scope = $1 AND request_id = $2",
        key.scope,
        key.request_id,
    )
    if row is None:
        return None
    return replayed(key, row["request_hash"], row["response"], response_type)


def store_statement(
    key: RequestKey,
    response: Message | bytes,
    resource: str | None = None,
    *,
    first_param: int = 1,
    source: str | None = None,
) -> tuple[str, list[Any]]:
    """The INSERT that stores ``key`` with ``response``, for the write's own last statement (alone or
    as a data-modifying CTE). It returns one row (``true``) when stored, none when the key was taken.

    ``source`` (a CTE name) makes it store one row per row of that CTE: a guard that returned no
    row (the write's preconditions no longer held) then stores nothing."""
    sql = store_sql(first_param, source)
    return sql, stored_values(key, response, resource)


# A stored key's columns, in the order of stored_values, with their types.
STORED_KEY_COLUMNS = (
    ("scope", "text"),
    ("request_id", "text"),
    ("request_hash", "bytea"),
    ("response", "bytea"),
    ("resource", "text"),
)
_STORED_KEY_NAMES = ", ".join(name for name, _ in STORED_KEY_COLUMNS)


def stored_values(key: RequestKey, response: Message | bytes, resource: str | None) -> list[Any]:
    """What a stored key's row holds, in the order of ``STORED_KEY_COLUMNS``."""
    return [key.scope, key.request_id, key.digest, _wire(response), resource]


def _wire(response: Message | bytes) -> bytes:
    """A response as stored: already encoded (a read model's bytes), or serialised here."""
    return response if isinstance(response, bytes) else response.SerializeToString(deterministic=True)


@functools.lru_cache(maxsize=64)
def store_sql(first_param: int, source: str | None) -> str:
    """The text of :func:`store_statement`'s INSERT, built once per shape: the same ``str`` object
    every call, so that a caller's statement text built from it can be cached too, and asyncpg's
    statement cache looks up a string whose hash is already known."""
    values = ", ".join(f"${i}::{kind}" for i, (_, kind) in enumerate(STORED_KEY_COLUMNS, start=first_param))
    rows = f"SELECT {values} FROM {source}" if source else f"VALUES ({values})"
    return f"INSERT INTO idempotency_keys ({_STORED_KEY_NAMES}) {rows} ON CONFLICT DO NOTHING RETURNING true"


def store_each_sql(source: str, prefix: str) -> str:
    """The INSERT, for a data-modifying CTE, that stores the key of each row of ``source`` that has
    one (its ``STORED_KEY_COLUMNS`` named with ``prefix``, NULL where it has none). It returns the
    (scope, request_id) of each key stored: a taken key is not."""
    columns = ", ".join(prefix + name for name, _ in STORED_KEY_COLUMNS)
    return (
        f"INSERT INTO idempotency_keys ({_STORED_KEY_NAMES}) SELECT {columns} FROM {source}"
        f" WHERE {prefix}request_id IS NOT NULL ON CONFLICT DO NOTHING RETURNING scope, request_id"
    )


class _KeyTaken(Exception):
    """The key was stored by another call while this one ran: roll back and replay."""


async def run_once(
    pool: asyncpg.Pool,
    key: RequestKey | None,
    response_type: type[ResponseT],
    work: Callable[[asyncpg.Connection], Awaitable[ResponseT]],
    *,
    resource: Callable[[ResponseT], str | None] | None = None,
) -> ResponseT:
    """Run ``work`` in a transaction, at most once per key; the key and the response are stored by
    the transaction's last statement. ``resource`` names what the response is about (for erasure)."""
    if key is None:
        async with transaction(pool) as connection:
            # A pool connection is a proxy of one (the stubs type them apart).
            return await work(cast(asyncpg.Connection, connection))
    try:
        async with transaction(pool) as connection:
            response = await work(cast(asyncpg.Connection, connection))
            sql, args = store_statement(key, response, resource(response) if resource else None)
            if not await connection.fetchval(sql, *args):
                raise _KeyTaken
            return response
    except _KeyTaken:
        pass
    except DomainError:
        # The first attempt may be what made this one fail (it took the name, moved the stage).
        earlier = await replay(pool, key, response_type)
        if earlier is None:
            raise
        return earlier
    earlier = await replay(pool, key, response_type)
    if earlier is None:  # the other call stored its key without a response: not done by this module
        raise RuntimeError("request key taken without a stored response")
    return earlier


async def rewrite_responses(connection: Connection, resource: str, response: Message) -> int:
    """Replace every stored response about ``resource`` (e.g. ``candidates/<id>``) by ``response``, so
    that a retry of an old request returns what the resource is now (e.g. anonymized)."""
    status: str = await connection.execute(
        "UPDATE idempotency_keys SET response = $2 WHERE resource = $1",
        resource,
        response.SerializeToString(deterministic=True),
    )
    return int(status.rsplit(" ", 1)[1])


async def expire(pool: asyncpg.Pool, older_than_hours: float) -> int:
    """Forget request ids older than the retention (AIP-155 lets a server honour them for a while)."""
    status: str = await pool.execute(
        "DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(secs => $1)", older_than_hours * 3600
    )
    return int(status.rsplit(" ", 1)[1])
