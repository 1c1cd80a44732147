"""Rounds, their state and the entries taking part in each."""

from __future__ import annotations

from typing import Any

import asyncpg

from services.common.errors import already_exists, not_found
from services.common.sql import Connection, Executor
from services.competition.domain.models import Advancement, Round, RoundFields
from services.competition.domain.stages import RoundState

COLUMNS = (
    "contest_id, id, display_name, kind, sequence, state, criteria, judges_per_entry, aggregation, advancement,"
    " award_tiers, judging_deadline, leaderboard_digest, force_close_reason, version, create_time, update_time"
)


def to_round(row: asyncpg.Record) -> Round:
    values: dict[str, Any] = dict(row)
    values["advancement"] = Advancement(**row["advancement"]) if row["advancement"] else None
    return Round(**values)


def _values(fields: RoundFields) -> list[Any]:
    return [
        fields.display_name,
        fields.kind.value,
        fields.sequence,
        [spec.model_dump() for spec in fields.criteria],
        fields.judges_per_entry,
        fields.aggregation.value,
        fields.advancement.model_dump(exclude_none=True) if fields.advancement else {},
        [tier.model_dump() for tier in fields.award_tiers],
        fields.judging_deadline,
    ]


async def next_sequence(connection: Connection, contest_id: str) -> int:
    value: int = await connection.fetchval(
        "SELECT coalesce(max(sequence), 0) + 1 FROM rounds WHERE contest_id = $1", contest_id
    )
    return value


async def highest_started_sequence(executor: Executor, contest_id: str) -> int | None:
    """The highest sequence of the contest's rounds that have left DRAFT; None when none has."""
    value: int | None = await executor.fetchval(
        "SELECT max(sequence) FROM rounds WHERE contest_id = $1 AND state <> 'DRAFT'", contest_id
    )
    return value


async def ensure_free(executor: Executor, contest_id: str, round_id: str, sequence: int) -> None:
    """ALREADY_EXISTS when the round id or the sequence is taken in the contest."""
    taken = await executor.fetchrow(
        "SELECT id, sequence FROM rounds WHERE contest_id = $1 AND (id = $2 OR sequence = $3)",
        contest_id,
        round_id,
        sequence,
    )
    if taken is not None:
        name = f"contests/{contest_id}/rounds/{taken['id']}"
        if taken["id"] == round_id:
            raise already_exists("ROUND_EXISTS", f"{name} already exists", {"resource": name})
        raise already_exists("SEQUENCE_TAKEN", f"{name} already has sequence {sequence}", {"resource": name})


async def insert(connection: Connection, contest_id: str, round_id: str, fields: RoundFields) -> Round:
    await ensure_free(connection, contest_id, round_id, fields.sequence)
    row = await connection.fetchrow(
        "INSERT INTO rounds (contest_id, id, display_name, kind, sequence, criteria, judges_per_entry, aggregation,"
        " advancement, award_tiers, judging_deadline) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        f" ON CONFLICT DO NOTHING RETURNING {COLUMNS}",
        contest_id,
        round_id,
        *_values(fields),
    )
    if row is None:
        raise already_exists("ROUND_EXISTS", f"contests/{contest_id}/rounds/{round_id} already exists")
    return to_round(row)


async def get(executor: Executor, contest_id: str, round_id: str) -> Round:
    return await _get(executor, contest_id, round_id, "")


async def get_record(executor: Executor, contest_id: str, round_id: str) -> asyncpg.Record:
    """The round's row itself (the columns of ``COLUMNS``), for a reader that encodes it directly
    (GetRound) instead of building the model first; NOT_FOUND like :func:`get`."""
    row = await executor.fetchrow(
        f"SELECT {COLUMNS} FROM rounds WHERE contest_id = $1 AND id = $2", contest_id, round_id
    )
    if row is None:
        raise not_found("round", f"contests/{contest_id}/rounds/{round_id}")
    return row


async def lock_for_state_change(connection: Connection, contest_id: str, round_id: str) -> Round:
    """The round, locked against every other writer into it until the transaction ends (FOR UPDATE):
    for state changes, edits and AutoAssign."""
    return await _get(connection, contest_id, round_id, "FOR UPDATE")


async def hold_for_writing(connection: Connection, contest_id: str, round_id: str) -> Round:
    """The round, kept from changing state while the caller writes into it (FOR SHARE): a state
    change waits for this transaction, and concurrent writers into the round do not wait."""
    return await _get(connection, contest_id, round_id, "FOR SHARE")


async def _get(executor: Executor, contest_id: str, round_id: str, lock: str) -> Round:
    row = await executor.fetchrow(
        f"SELECT {COLUMNS} FROM rounds WHERE contest_id = $1 AND id = $2 {lock}", contest_id, round_id
    )
    if row is None:
        raise not_found("round", f"contests/{contest_id}/rounds/{round_id}")
    return to_round(row)


async def update(connection: Connection, current: Round, fields: RoundFields) -> Round:
    row = await connection.fetchrow(
        "UPDATE rounds SET display_name = $3, kind = $4, sequence = $5, criteria = $6, judges_per_entry = $7,"
        " aggregation = $8, advancement = $9, award_tiers = $10, judging_deadline = $11, version = version + 1,"
        f" update_time = clock_timestamp() WHERE contest_id = $1 AND id = $2 RETURNING {COLUMNS}",
        current.contest_id,
        current.id,
        *_values(fields),
    )
    assert row is not None, "the row was read under a lock"
    return to_round(row)


async def set_state(
    connection: Connection,
    current: Round,
    state: RoundState,
    *,
    force_close_reason: str | None = None,
    leaderboard_digest: str | None = None,
) -> Round:
    row = await connection.fetchrow(
        "UPDATE rounds SET state = $3, force_close_reason = coalesce($4, force_close_reason),"
        " leaderboard_digest = coalesce($5, leaderboard_digest), version = version + 1,"
        f" update_time = clock_timestamp() WHERE contest_id = $1 AND id = $2 RETURNING {COLUMNS}",
        current.contest_id,
        current.id,
        state.value,
        force_close_reason,
        leaderboard_digest,
    )
    assert row is not None, "the row was read under a lock"
    return to_round(row)


async def list_page(
    pool: asyncpg.Pool, contest_id: str, after: int | None, limit: int
) -> tuple[list[Round], int | None]:
    rows = await pool.fetch(
        f"SELECT {COLUMNS} FROM rounds WHERE contest_id = $1 AND sequence > $2 ORDER BY sequence LIMIT $3",
        contest_id,
        after if after is not None else -1,
        limit + 1,
    )
    rounds = [to_round(r) for r in rows[:limit]]
    return rounds, rounds[-1].sequence if len(rows) > limit else None


async def previous(executor: Executor, current: Round) -> Round | None:
    row = await executor.fetchrow(
        f"SELECT {COLUMNS} FROM rounds WHERE contest_id = $1 AND sequence < $2 ORDER BY sequence DESC LIMIT 1",
        current.contest_id,
        current.sequence,
    )
    return to_round(row) if row else None


async def entry_ids(executor: Executor, current: Round) -> list[str]:
    """The entries taking part in the round: a finalized round's are those it has results for; else
    every entry of the contest for the first round, and those the previous round ADVANCED for a later
    one (none while the previous round is not finalized)."""
    if current.state is RoundState.FINALIZED:
        rows = await executor.fetch(
            "SELECT entry_id FROM round_results WHERE contest_id = $1 AND round_id = $2 ORDER BY entry_id",
            current.contest_id,
            current.id,
        )
        return [r["entry_id"] for r in rows]
    before = await previous(executor, current)
    if before is None:
        rows = await executor.fetch("SELECT id FROM entries WHERE contest_id = $1 ORDER BY id", current.contest_id)
        return [r["id"] for r in rows]
    rows = await executor.fetch(
        "SELECT entry_id FROM round_results WHERE contest_id = $1 AND round_id = $2 AND outcome = 'ADVANCED'"
        " ORDER BY entry_id",
        current.contest_id,
        before.id,
    )
    return [r["entry_id"] for r in rows]


async def entries_fingerprint(executor: Executor, current: Round) -> str:
    """Identifies :func:`entry_ids` of the round without returning them (hashed in PostgreSQL): a
    cache of the round's leaderboard stays valid while it is unchanged."""
    if current.state is RoundState.FINALIZED:
        source, args = "SELECT entry_id FROM round_results WHERE contest_id = $1 AND round_id = $2", [current.id]
    else:
        before = await previous(executor, current)
        if before is None:
            source, args = "SELECT id FROM entries WHERE contest_id = $1", []
        else:
            source = (
                "SELECT entry_id FROM round_results WHERE contest_id = $1 AND round_id = $2 AND outcome = 'ADVANCED'"
            )
            args = [before.id]
    value: str = await executor.fetchval(
        f"SELECT count(*) || ':' || coalesce(md5(string_agg(m.id, ',' ORDER BY m.id)), '') FROM ({source}) AS m(id)",
        current.contest_id,
        *args,
    )
    return value
