"""The pre-encoded read model's backfill: rounds and assignments whose stored messages are missing
(rows from before migration 0007) or were written by another codec (an ``encoding`` bump, or a
round changed by a writer that predates the columns) get them re-encoded, batch by batch. Until then
their reads take the slow path, which encodes the columns, so the backfill only saves work."""

from __future__ import annotations

import asyncio
import logging

import asyncpg

from services.competition.api import codec
from services.competition.store import assignments as assignment_store
from services.competition.store import rounds as round_store

log = logging.getLogger(__name__)

BATCH = 500


async def backfill(pool: asyncpg.Pool, batch: int = BATCH) -> int:
    """Re-encode every stale round and assignment, in one pass in key order; how many rows were
    stored. A round written while its batch was encoded keeps its newer bytes (the update matches the
    version read); an assignment's columns never change."""
    stored = 0
    after_round: tuple[str, str] | None = None
    while rounds := await round_store.stale_encoded(pool, codec.ROUND_ENCODING.version, after_round, batch):
        stored += await round_store.store_encoded(pool, rounds, codec.ROUND_ENCODING)
        after_round = (rounds[-1].contest_id, rounds[-1].id)
    after: tuple[str, str, str, str] | None = None
    while assignments := await assignment_store.stale_encoded(pool, codec.ASSIGNMENT_ENCODING.version, after, batch):
        stored += await assignment_store.store_encoded(pool, assignments, codec.ASSIGNMENT_ENCODING)
        last = assignments[-1]
        after = (last.contest_id, last.round_id, last.entry_id, last.judge_id)
    return stored


async def run_backfill(pool: asyncpg.Pool) -> None:
    """:func:`backfill` once at start-up, in the background; a failure is logged (reads stay correct)."""
    try:
        stored = await backfill(pool)
    except asyncio.CancelledError:
        raise
    except Exception:
        log.warning("read model backfill failed; stale rows stay on the slow path", exc_info=True)
        return
    if stored:
        log.info("read model backfilled", extra={"fields": {"rows": stored}})
