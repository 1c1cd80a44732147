"""The audit log's SQL: appending (no lock: a row and an append id), sealing rows into the chain
(one sealer at a time), checkpoints, and reading the chain back (see domain.audit)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from services.common.sql import Connection, Executor
from services.common.uow import AuditEntry
from services.competition.domain.audit import (
    AuditRecord,
    AuditRow,
    Checkpoint,
    StoredRow,
    format_occurred_at,
    payload_text,
)

SEALED = "seq, occurred_at, actor, action, payload, previous_hash, hash, id"
SEALER_LOCK = "competition.audit_sealer"


def _text(payload: Mapping[str, Any] | str) -> str:
    return payload if isinstance(payload, str) else payload_text(payload)


class AuditLog:
    """The audit sink of the competition's units of work: their buffered records, appended by the
    transaction's last statement (services.common.uow)."""

    def statement(self, entries: Sequence[AuditEntry], first_param: int) -> tuple[str, list[Any]]:
        return append_statement(entries, first_param)


def append_statement(entries: Sequence[AuditEntry], first_param: int = 1) -> tuple[str, list[Any]]:
    """One INSERT of every record (for a CTE or alone): actor, action and the canonical payload
    text; the append id and the time come from the database."""
    p = first_param
    sql = (
        "INSERT INTO audit_log (actor, action, payload)"
        f" SELECT * FROM unnest(${p}::text[], ${p + 1}::text[], ${p + 2}::text[])"
    )
    return sql, [[e.actor for e in entries], [e.action for e in entries], [_text(e.payload) for e in entries]]


# --- sealing ------------------------------------------------------------------------------------


async def lead_sealing(connection: Connection) -> bool:
    """Become the one sealer for the rest of the caller's transaction, or False when another
    transaction is sealing (never waits)."""
    taken: bool = await connection.fetchval("SELECT pg_try_advisory_xact_lock(hashtext($1))", SEALER_LOCK)
    return taken


async def sealing_due(executor: Executor) -> bool:
    """Whether a sealing pass has anything to do: records to seal, or a head no checkpoint covers.
    One cheap query, so that idle replicas do not open a transaction every pass."""
    due: bool = await executor.fetchval(
        "SELECT EXISTS (SELECT 1 FROM audit_log WHERE seq IS NULL)"
        " OR coalesce((SELECT max(seq) FROM audit_log WHERE seq IS NOT NULL), 0)"
        " > coalesce((SELECT max(seq) FROM audit_checkpoints), 0)"
    )
    return due


async def chain_head(executor: Executor) -> tuple[int, str] | None:
    row = await executor.fetchrow("SELECT seq, hash FROM audit_log WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1")
    return (row["seq"], row["hash"]) if row else None


async def unsealed(executor: Executor, limit: int) -> list[AuditRecord]:
    """The oldest committed records not yet in the chain, in append order."""
    rows = await executor.fetch(
        "SELECT id, occurred_at, actor, action, payload FROM audit_log WHERE seq IS NULL ORDER BY id LIMIT $1",
        limit,
    )
    return [
        AuditRecord(
            id=r["id"],
            occurred_at=format_occurred_at(r["occurred_at"]),
            actor=r["actor"],
            action=r["action"],
            payload=r["payload"],
        )
        for r in rows
    ]


async def seal(connection: Connection, rows: Sequence[AuditRow]) -> None:
    """Write the chain positions and hashes of ``rows`` (one statement)."""
    await connection.execute(
        "UPDATE audit_log a SET seq = s.seq, previous_hash = s.previous_hash, hash = s.hash"
        " FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[]) AS s(id, seq, previous_hash, hash)"
        " WHERE a.id = s.id AND a.seq IS NULL",
        [r.id for r in rows],
        [r.seq for r in rows],
        [r.previous_hash for r in rows],
        [r.hash for r in rows],
    )


def _checkpoint(row: asyncpg.Record) -> Checkpoint:
    return Checkpoint(row["seq"], row["head_hash"], row["sealed_at"], row["signature"])


async def latest_checkpoint(executor: Executor) -> Checkpoint | None:
    row = await executor.fetchrow(
        "SELECT seq, head_hash, sealed_at, signature FROM audit_checkpoints ORDER BY seq DESC LIMIT 1"
    )
    return _checkpoint(row) if row else None


async def insert_checkpoint(connection: Connection, checkpoint: Checkpoint, public_key: str) -> None:
    await connection.execute(
        "INSERT INTO audit_checkpoints (seq, head_hash, sealed_at, signature, public_key)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (seq) DO NOTHING",
        checkpoint.seq,
        checkpoint.head_hash,
        checkpoint.sealed_at,
        checkpoint.signature,
        public_key,
    )


async def checkpoints(executor: Executor) -> list[Checkpoint]:
    rows = await executor.fetch("SELECT seq, head_hash, sealed_at, signature FROM audit_checkpoints ORDER BY seq")
    return [_checkpoint(r) for r in rows]


# --- reading --------------------------------------------------------------------------------------


async def read_sealed(executor: Executor) -> list[StoredRow]:
    """Every sealed row as stored, damaged or not (verification must not trust the types)."""
    rows = await executor.fetch(
        "SELECT seq, occurred_at, actor, action, payload, previous_hash, hash FROM audit_log"
        " WHERE seq IS NOT NULL ORDER BY seq"
    )
    return [
        StoredRow(r["seq"], r["occurred_at"], r["actor"], r["action"], r["payload"], r["previous_hash"], r["hash"])
        for r in rows
    ]


def to_row(record: asyncpg.Record) -> AuditRow:
    return AuditRow(
        seq=record["seq"],
        occurred_at=format_occurred_at(record["occurred_at"]),
        actor=record["actor"],
        action=record["action"],
        payload=record["payload"],
        previous_hash=record["previous_hash"],
        hash=record["hash"],
        id=record["id"],
    )


async def list_page(executor: Executor, after_seq: int, limit: int) -> list[AuditRow]:
    """Sealed rows only, in chain order (a row shows up here once sealed, within seconds)."""
    rows = await executor.fetch(
        f"SELECT {SEALED} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2", after_seq, limit
    )
    return [to_row(r) for r in rows]


@dataclass(frozen=True)
class SealingState:
    sealed_seq: int
    checkpoint_seq: int
    checkpoint_time: datetime | None
    unsealed: int
    oldest_unsealed: datetime | None


async def sealing_state(executor: Executor) -> SealingState:
    """For the gauges: one query."""
    row = await executor.fetchrow(
        "SELECT (SELECT coalesce(max(seq), 0) FROM audit_log WHERE seq IS NOT NULL) AS sealed,"
        " (SELECT count(*) FROM audit_log WHERE seq IS NULL) AS unsealed,"
        " (SELECT min(occurred_at) FROM audit_log WHERE seq IS NULL) AS oldest,"
        " (SELECT seq FROM audit_checkpoints ORDER BY seq DESC LIMIT 1) AS checkpoint_seq,"
        " (SELECT sealed_at FROM audit_checkpoints ORDER BY seq DESC LIMIT 1) AS checkpoint_time"
    )
    assert row is not None
    return SealingState(
        sealed_seq=row["sealed"],
        checkpoint_seq=row["checkpoint_seq"] or 0,
        checkpoint_time=datetime.fromisoformat(row["checkpoint_time"]) if row["checkpoint_time"] else None,
        unsealed=row["unsealed"],
        oldest_unsealed=row["oldest"],
    )
