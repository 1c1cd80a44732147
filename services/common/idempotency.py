"""Request-id idempotency (AIP-155) for creates and state changes.

The key is claimed in the same transaction as the write, so a retry — even one racing the first
call — either waits for the first call's commit and returns its stored response, or finds no key
because the first call rolled back, and then does the work itself.

The same request_id with a different request is INVALID_ARGUMENT (reason REQUEST_ID_REUSED): the
client sent a bad request, not a duplicate of an existing resource.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import TypeVar

import asyncpg
from google.protobuf.message import Message

from services.common.auth import current_caller
from services.common.db import transaction
from services.common.errors import ViolationCollector, invalid_field
from services.common.text import check_text

ResponseT = TypeVar("ResponseT", bound=Message)

MAX_REQUEST_ID_LENGTH = 128


def request_hash(request: Message) -> bytes:
    copy = type(request)()
    copy.CopyFrom(request)
    copy.ClearField("request_id")
    return hashlib.sha256(copy.SerializeToString(deterministic=True)).digest()


def scope_of(request: Message) -> str:
    """Request ids are the caller's own and per method: another caller, or the same id sent to another
    method, never replays someone else's result."""
    caller = current_caller.get()
    return f"{caller.subject if caller else ''}:{request.DESCRIPTOR.full_name}"


async def run_once(
    pool: asyncpg.Pool,
    *,
    request: Message,
    response_type: type[ResponseT],
    work: Callable[[asyncpg.Connection], Awaitable[ResponseT]],
) -> ResponseT:
    """Run ``work`` in a transaction, at most once per (caller, method, request.request_id)."""
    scope = scope_of(request)
    request_id: str = getattr(request, "request_id", "")
    violations = ViolationCollector()
    check_text(request_id, "request_id", violations, limit=MAX_REQUEST_ID_LENGTH)
    violations.raise_if_any()
    async with transaction(pool) as connection:
        if not request_id:
            return await work(connection)
        digest = request_hash(request)
        claimed = await connection.fetchval(
            "INSERT INTO idempotency_keys (scope, request_id, request_hash) VALUES ($1, $2, $3)"
            " ON CONFLICT DO NOTHING RETURNING true",
            scope,
            request_id,
            digest,
        )
        if not claimed:
            row = await connection.fetchrow(
                "SELECT request_hash, response FROM idempotency_keys WHERE scope = $1 AND request_id = $2",
                scope,
                request_id,
            )
            assert row is not None
            if bytes(row["request_hash"]) != digest:
                raise invalid_field(
                    "request_id", "was already used for a different request", reason="REQUEST_ID_REUSED"
                )
            return response_type.FromString(row["response"])
        response = await work(connection)
        await connection.execute(
            "UPDATE idempotency_keys SET response = $3 WHERE scope = $1 AND request_id = $2",
            scope,
            request_id,
            response.SerializeToString(deterministic=True),
        )
        return response


async def expire(pool: asyncpg.Pool, older_than_hours: float) -> int:
    """Forget request ids older than the retention (AIP-155 lets a server honour them for a while)."""
    status: str = await pool.execute(
        "DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(secs => $1)", older_than_hours * 3600
    )
    return int(status.rsplit(" ", 1)[1])
