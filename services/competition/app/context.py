"""What every use case gets: the pool and settings, and the unit of work wired to the audit log."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import asyncpg
from google.protobuf.message import Message

from services.common import uow
from services.common.idempotency import RequestKey
from services.competition.settings import CompetitionSettings
from services.competition.store.audit import AuditLog

ResponseT = TypeVar("ResponseT", bound=Message)

AUDIT = AuditLog()


@dataclass(frozen=True)
class App:
    pool: asyncpg.Pool
    settings: CompetitionSettings


async def run(
    app: App,
    key: RequestKey | None,
    response_type: type[ResponseT],
    work: Callable[[uow.UnitOfWork], Awaitable[ResponseT]],
) -> ResponseT:
    """One command in one unit of work, audited into the competition's audit log."""
    return await uow.run(app.pool, key, response_type, work, audit=AUDIT)
