"""A unit of work: the one transaction of a command, with its request-id replay, its locks taken in
one documented order, and its audit records written by the transaction's last statement.

A use case (``services/<service>/app``) runs its command as ``await run(pool, key, Response, work,
audit=...)``, where ``work(uow)`` reads, decides, writes through the store with ``uow.connection``
and returns the response message. Three rules are enforced here rather than repeated by hand:

- **Lock order.** Each service names its lock levels in one ``IntEnum`` (its docstring is the
  documented order). A store function that takes a lock is called with ``uow.at(Level.X)``: taking a
  level lower than one already taken raises :class:`LockOrderError` at once, so an out-of-order
  writer fails its tests loudly instead of deadlocking one day in production. A level may be taken
  again (several rows of one kind, in a stable order the store function chooses).
- **Audit at commit.** ``uow.audit(actor, action, payload)`` buffers a record; the records are
  appended by the transaction's last statement, together with the request id's key and response
  (services.common.idempotency), so a command costs one statement more than its reads and writes.
  Appending takes no lock: the audit sink is an append-only table (e.g. competition's sealed chain).
- **Request ids.** As :func:`services.common.idempotency.run_once`: no claim up front; a key taken
  by a concurrent duplicate rolls this transaction back and answers the stored response; a domain
  error on a retry whose first attempt committed answers the first attempt's response.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, Protocol, TypeVar

import asyncpg
from google.protobuf.message import Message

from services.common.db import transaction
from services.common.errors import DomainError
from services.common.idempotency import RequestKey, replay, store_statement
from services.common.sql import Connection

ResponseT = TypeVar("ResponseT", bound=Message)


class LockOrderError(RuntimeError):
    """A lock was requested after a lock that comes later in the documented order."""


@dataclass(frozen=True)
class AuditEntry:
    actor: str
    action: str
    payload: Mapping[str, Any]


class AuditSink(Protocol):
    """Turns buffered records into one INSERT (used alone or as a data-modifying CTE)."""

    def statement(self, entries: Sequence[AuditEntry], first_param: int) -> tuple[str, list[Any]]: ...


class UnitOfWork:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._highest: IntEnum | None = None
        self._taken: list[IntEnum] = []
        self.entries: list[AuditEntry] = []

    def at(self, level: IntEnum) -> Connection:
        """The connection, for a store call that locks at ``level``; refuses out-of-order locking."""
        if self._highest is not None and (type(level) is not type(self._highest) or level < self._highest):
            raise LockOrderError(
                f"lock {level.name} requested after {self._highest.name}: the documented order is "
                + " → ".join(member.name for member in type(level))
                + f" (taken so far: {', '.join(t.name for t in self._taken)})"
            )
        self._highest = level
        self._taken.append(level)
        return self.connection

    @property
    def locks_taken(self) -> tuple[IntEnum, ...]:
        return tuple(self._taken)

    def audit(self, actor: str, action: str, payload: Mapping[str, Any]) -> None:
        self.entries.append(AuditEntry(actor, action, payload))


class _KeyTaken(Exception):
    """A concurrent call with the same request id committed first: roll back and replay."""


def final_statement(
    entries: Sequence[AuditEntry], sink: AuditSink | None, key: RequestKey | None, response: Any, resource: str | None
) -> tuple[str, list[Any]] | None:
    """The transaction's last statement: the audit records and the request key with the response.
    It returns a row (``stored``) with true unless the key was already taken."""
    parts: list[tuple[str, str]] = []
    args: list[Any] = []
    if entries:
        if sink is None:
            raise RuntimeError("audit records were buffered but the unit of work has no audit sink")
        sql, values = sink.statement(entries, len(args) + 1)
        parts.append(("audit", sql))
        args += values
    if key is not None:
        sql, values = store_statement(key, response, resource, first_param=len(args) + 1)
        parts.append(("stored", sql))
        args += values
    if not parts:
        return None
    ctes = ", ".join(f"{name} AS ({sql})" for name, sql in parts)
    result = "EXISTS (SELECT 1 FROM stored)" if key is not None else "true"
    return f"WITH {ctes} SELECT {result}", args


async def run(
    pool: asyncpg.Pool,
    key: RequestKey | None,
    response_type: type[ResponseT],
    work: Callable[[UnitOfWork], Awaitable[ResponseT]],
    *,
    audit: AuditSink | None = None,
    resource: Callable[[ResponseT], str | None] | None = None,
) -> ResponseT:
    """Run ``work`` in one transaction, at most once per request key."""
    try:
        async with transaction(pool) as connection:
            uow = UnitOfWork(connection)
            response = await work(uow)
            statement = final_statement(
                uow.entries, audit, key, response, resource(response) if resource and key else None
            )
            if statement is not None:
                sql, args = statement
                if not await connection.fetchval(sql, *args):
                    raise _KeyTaken
            return response
    except _KeyTaken:
        pass
    except DomainError:
        if key is None:
            raise
        earlier = await replay(pool, key, response_type)
        if earlier is None:
            raise
        return earlier
    earlier = await replay(pool, key, response_type)
    if earlier is None:
        raise RuntimeError("request key taken without a stored response")
    return earlier
