"""Rounds, their state and the entries taking part in each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from services.common.errors import already_exists, not_found
from services.common.sql import Connection, Executor
from services.common.wire import Encoding
from services.competition.domain.models import Advancement, Round, RoundFields
from services.competition.domain.stages import RoundState

COLUMNS = (
    "contest_id, id, display_name, kind, sequence, state, criteria, judges_per_entry, aggregation, advancement,"
    " award_tiers, judging_deadline, leaderboard_digest, force_close_reason, version, create_time, update_time"
)


RoundEncoding = Encoding[Round]
"""The round's stored message (GetRound's answer): every write of a row decides the new row first,
encodes it and writes the bytes in the same statement (columns encoding, encoded, encoded_version)."""


def _next_time(current: datetime | None = None) -> datetime:
    """update_time of a new write: now, and never before the row's previous update_time (replicas'
    clocks may differ by a little)."""
    now = datetime.now(UTC)
    return now if current is None or now > current else current + timedelta(microseconds=1)


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


async def insert(
    connection: Connection, contest_id: str, round_id: str, fields: RoundFields, encoding: RoundEncoding
) -> Round:
    await ensure_free(connection, contest_id, round_id, fields.sequence)
    now = _next_time()
    created = Round(
        **fields.model_dump(),
        contest_id=contest_id,
        id=round_id,
        state=RoundState.DRAFT,
        version=1,
        create_time=now,
        update_time=now,
    )
    row = await connection.fetchrow(
        "INSERT INTO rounds (contest_id, id, display_name, kind, sequence, criteria, judges_per_entry, aggregation,"
        " advancement, award_tiers, judging_deadline, state, version, create_time, update_time, encoding, encoded,"
        " encoded_version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'DRAFT', 1, $12, $12, $13, $14, 1)"
        f" ON CONFLICT DO NOTHING RETURNING {COLUMNS}",
        contest_id,
        round_id,
        *_values(fields),
        now,
        encoding.version,
        encoding.encode(created),
    )
    if row is None:
        raise already_exists("ROUND_EXISTS", f"contests/{contest_id}/rounds/{round_id} already exists")
    return await _settled(connection, row, created, encoding)


async def get_encoded(executor: Executor, contest_id: str, round_id: str, encoding: int) -> bytes | None:
    """The round's stored message when it was encoded by ``encoding`` from the row as it is; None when
    it was not (written before the read model, or by another codec: read the row instead); NOT_FOUND
    when there is no such round."""
    row = await executor.fetchrow(
        "SELECT CASE WHEN encoding = $3 AND encoded_version = version THEN encoded END FROM rounds"
        " WHERE contest_id = $1 AND id = $2",
        contest_id,
        round_id,
        encoding,
    )
    if row is None:
        raise not_found("round", f"contests/{contest_id}/rounds/{round_id}")
    encoded: bytes | None = row[0]
    return encoded


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


async def update(connection: Connection, current: Round, fields: RoundFields, encoding: RoundEncoding) -> Round:
    """Write ``fields`` over ``current`` (read under a lock: FOR UPDATE)."""
    return await _write(connection, current, current.model_copy(update=dict(fields)), encoding)


async def set_state(
    connection: Connection,
    current: Round,
    state: RoundState,
    encoding: RoundEncoding,
    *,
    force_close_reason: str | None = None,
    leaderboard_digest: str | None = None,
) -> Round:
    changes: dict[str, Any] = {"state": state}
    if force_close_reason is not None:
        changes["force_close_reason"] = force_close_reason
    if leaderboard_digest is not None:
        changes["leaderboard_digest"] = leaderboard_digest
    return await _write(connection, current, current.model_copy(update=changes), encoding)


async def _write(connection: Connection, current: Round, changed: Round, encoding: RoundEncoding) -> Round:
    """Replace ``current`` (read under a lock) by ``changed`` with the next version and update_time,
    its message encoded from the row as written, in one statement."""
    written = changed.model_copy(
        update={"version": current.version + 1, "update_time": _next_time(current.update_time)}
    )
    row = await connection.fetchrow(
        "UPDATE rounds SET display_name = $4, kind = $5, sequence = $6, criteria = $7, judges_per_entry = $8,"
        " aggregation = $9, advancement = $10, award_tiers = $11, judging_deadline = $12, state = $13,"
        " force_close_reason = $14, leaderboard_digest = $15, version = $16, update_time = $17, encoding = $18,"
        " encoded = $19, encoded_version = $16 WHERE contest_id = $1 AND id = $2 AND version = $3"
        f" RETURNING {COLUMNS}",
        current.contest_id,
        current.id,
        current.version,
        *_values(written),
        written.state.value,
        written.force_close_reason,
        written.leaderboard_digest,
        written.version,
        written.update_time,
        encoding.version,
        encoding.encode(written),
    )
    assert row is not None, "the row was read under a lock"
    return await _settled(connection, row, written, encoding)


async def _settled(connection: Connection, row: asyncpg.Record, written: Round, encoding: RoundEncoding) -> Round:
    """The round as stored. Its bytes were encoded from the model the write decided; should the
    database have stored something else (a value normalised on the way), they are encoded again from
    the stored row, so the bytes are always those of the row (never seen: a safety net)."""
    stored = to_round(row)
    if stored != written:
        await connection.execute(
            "UPDATE rounds SET encoded = $4 WHERE contest_id = $1 AND id = $2 AND version = $3",
            stored.contest_id,
            stored.id,
            stored.version,
            encoding.encode(stored),
        )
    return stored


async def stale_encoded(executor: Executor, encoding: int, after: tuple[str, str] | None, limit: int) -> list[Round]:
    """Rounds after ``after`` (contest, round) whose stored message is missing, an older codec's, or
    not of the row as it is, in key order."""
    rows = await executor.fetch(
        f"SELECT {COLUMNS} FROM rounds WHERE (encoding < $1 OR encoded_version IS DISTINCT FROM version)"
        " AND (contest_id, id) > ($2, $3) ORDER BY contest_id, id LIMIT $4",
        encoding,
        *(after or ("", "")),
        limit,
    )
    return [to_round(r) for r in rows]


async def store_encoded(executor: Executor, rounds: list[Round], encoding: RoundEncoding) -> int:
    """Store the messages of ``rounds`` (as read by :func:`stale_encoded`) where the row has not changed
    since; the number stored."""
    result: str = await executor.execute(
        "UPDATE rounds r SET encoding = $1, encoded = k.encoded, encoded_version = k.version"
        " FROM unnest($2::text[], $3::text[], $4::int[], $5::bytea[]) AS k(contest_id, id, version, encoded)"
        " WHERE r.contest_id = k.contest_id AND r.id = k.id AND r.version = k.version",
        encoding.version,
        [r.contest_id for r in rounds],
        [r.id for r in rounds],
        [r.version for r in rounds],
        [encoding.encode(r) for r in rounds],
    )
    return int(result.split()[-1])


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
