"""Group commit under test: a transaction that holds a table in SHARE mode keeps a group's first
statement in flight (its INSERT waits), for as long as a test needs, so that what queues behind it
is known. Shared by the services' group-commit tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from services.common.server import RunningService
from tests.monitoring.metric_names import scrape

Call = Callable[[], "asyncio.Future[Any]"]


async def group_counters(service: RunningService, method: str, prefix: str) -> dict[str, float]:
    """Calls of ``method`` started, and the group's statements and rows (``<prefix>_group_…``)."""
    samples = await asyncio.to_thread(scrape, service.metrics.port)
    started = sum(
        value
        for (name, labels), value in samples.items()
        if name == "grpc_server_started_total" and ("grpc_method", method) in labels
    )
    return {
        "started": started,
        "statements": samples[(f"{prefix}_group_statements_total", ())],
        "rows": samples[(f"{prefix}_group_rows_total", ())],
    }


async def until(condition: Callable[[], Awaitable[bool]]) -> None:
    for _ in range(500):
        if await condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the condition did not come true within 5 s")


async def queued_behind_a_held_statement(
    service: RunningService,
    table: str,
    counters: Callable[[], Awaitable[dict[str, float]]],
    first: Call,
    queued: Sequence[Call],
    held_after: float = 0.1,
) -> tuple[Any, list[Any]]:
    """The first call (its statement held: ``table`` is locked in SHARE mode), and the calls
    ``queued`` while it was in flight; the statement is let go ``held_after`` seconds after they
    all started (``counters`` says how many have)."""

    async def insert_waiting() -> bool:
        waiting = await service.pool.fetchval(
            "SELECT count(*) FROM pg_locks WHERE relation = $1::regclass AND NOT granted", table
        )
        return bool(waiting)

    before = (await counters())["started"]

    async def all_started() -> bool:
        return (await counters())["started"] >= before + 1 + len(queued)

    async with _held(service, table):
        held = first()
        await until(insert_waiting)
        calls = [call() for call in queued]
        await until(all_started)
        # A started call reaches the group's queue without waiting for anything on the way.
        await asyncio.sleep(held_after)
    return held, calls


@asynccontextmanager
async def _held(service: RunningService, table: str) -> AsyncIterator[None]:
    async with service.pool.acquire() as connection, connection.transaction():
        await connection.execute(f"LOCK TABLE {table} IN SHARE MODE")
        yield
