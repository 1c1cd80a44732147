"""The tamper-evident audit log: every state change appends one row in the same transaction."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import asyncpg

from services.competition.domain.audit import AuditRow, canonical_payload, format_occurred_at, next_audit_row

COLUMNS = "seq, occurred_at, actor, action, payload, previous_hash, hash"


def to_row(record: asyncpg.Record) -> AuditRow:
    return AuditRow(
        seq=record["seq"],
        occurred_at=format_occurred_at(record["occurred_at"]),
        actor=record["actor"],
        action=record["action"],
        payload=json.loads(record["payload"]),
        previous_hash=record["previous_hash"],
        hash=record["hash"],
    )


async def append(connection: asyncpg.Connection, actor: str, action: str, payload: Mapping[str, Any]) -> AuditRow:
    """Append to the chain inside the caller's transaction. The transaction-level lock orders
    concurrent appenders, so each links to the row committed before it."""
    await connection.execute("SELECT pg_advisory_xact_lock(hashtext('competition.audit_log'))")
    last = await connection.fetchrow(f"SELECT {COLUMNS} FROM audit_log ORDER BY seq DESC LIMIT 1")
    row = next_audit_row(to_row(last) if last else None, datetime.now(UTC), actor, action, payload)
    await connection.execute(
        f"INSERT INTO audit_log ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        row.seq,
        datetime.fromisoformat(row.occurred_at),
        row.actor,
        row.action,
        canonical_payload(row.payload).decode("utf-8"),
        row.previous_hash,
        row.hash,
    )
    return row


async def read_all(pool: asyncpg.Pool) -> list[AuditRow]:
    return [to_row(r) for r in await pool.fetch(f"SELECT {COLUMNS} FROM audit_log ORDER BY seq")]


async def list_page(pool: asyncpg.Pool, after_seq: int, limit: int) -> list[AuditRow]:
    rows = await pool.fetch(f"SELECT {COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2", after_seq, limit)
    return [to_row(r) for r in rows]
