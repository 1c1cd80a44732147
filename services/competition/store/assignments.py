"""Declared conflicts of interest and assignments of judges to entries in a round."""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg

from services.common.errors import already_exists, not_found
from services.common.pagination import literal_limit
from services.common.sql import Connection, Executor, Where
from services.common.wire import Encoding
from services.competition.domain.models import Assignment, Conflict, ConflictSource
from services.competition.domain.stages import RoundState

Pair = tuple[str, str]
"""(judge_id, entry_id), as in domain.assignment."""

CONFLICT_COLUMNS = "contest_id, entry_id, judge_id, source, reason, declared_by, create_time"
ASSIGNMENT_SELECT = (
    "SELECT a.contest_id, a.round_id, a.entry_id, a.judge_id, a.create_time, (s.judge_id IS NOT NULL) AS submitted"
    " FROM assignments a LEFT JOIN score_sheets s ON s.contest_id = a.contest_id AND s.round_id = a.round_id"
    " AND s.entry_id = a.entry_id AND s.judge_id = a.judge_id"
)


AssignmentEncoding = Encoding[Assignment]
"""An assignment's stored page items (its message framed as an item of ListAssignments' repeated
field, see api.codec), one per value of ``submitted``: written with the row; which one a page shows
is decided by the sheet's presence when it is read."""


def to_conflict(row: asyncpg.Record) -> Conflict:
    return Conflict(**dict(row))


def to_assignment(row: asyncpg.Record) -> Assignment:
    return Assignment(**dict(row))


# --- conflicts ----------------------------------------------------------------------------------


async def declared(
    executor: Executor, contest_id: str, *, judge_id: str | None = None, entry_id: str | None = None
) -> list[Conflict]:
    where = Where()
    where.add("contest_id = {}", contest_id)
    if judge_id is not None:
        where.add("judge_id = {}", judge_id)
    if entry_id is not None:
        where.add("entry_id = {}", entry_id)
    rows = await executor.fetch(
        f"SELECT {CONFLICT_COLUMNS} FROM declared_conflicts WHERE {where.sql()} ORDER BY entry_id, judge_id",
        *where.args,
    )
    return [to_conflict(r) for r in rows]


async def insert_declared(
    connection: Connection,
    contest_id: str,
    entry_id: str,
    judge_id: str,
    source: ConflictSource,
    reason: str,
    declared_by: str,
) -> Conflict:
    row = await connection.fetchrow(
        "INSERT INTO declared_conflicts (contest_id, entry_id, judge_id, source, reason, declared_by)"
        f" VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING {CONFLICT_COLUMNS}",
        contest_id,
        entry_id,
        judge_id,
        source.value,
        reason,
        declared_by,
    )
    if row is None:
        raise already_exists(
            "CONFLICT_EXISTS",
            f"judges/{judge_id} already has a declared conflict with contests/{contest_id}/entries/{entry_id}",
        )
    return to_conflict(row)


# --- assignments --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Withdrawn:
    round_id: str
    judge_id: str
    entry_id: str
    had_sheet: bool


WITHDRAW_SELECT = (
    "SELECT a.round_id, a.judge_id, a.entry_id FROM assignments a"
    " JOIN rounds r ON r.contest_id = a.contest_id AND r.id = a.round_id"
)


async def withdraw(connection: Connection, contest_id: str, pairs: Sequence[Pair]) -> list[Withdrawn]:
    """Delete the assignments of ``pairs`` in every round of the contest that is not FINALIZED, with
    their current sheets (the versions stay as history). The assignment rows are locked first, so a
    sheet being submitted for one of them commits before and is deleted here, never left dangling."""
    if not pairs:
        return []
    judge_ids = [judge for judge, _ in pairs]
    entry_ids = [entry for _, entry in pairs]
    rows = await connection.fetch(
        f"{WITHDRAW_SELECT} AND r.state <> 'FINALIZED'"
        " JOIN unnest($2::text[], $3::text[]) AS p(judge_id, entry_id)"
        " ON p.judge_id = a.judge_id AND p.entry_id = a.entry_id"
        " WHERE a.contest_id = $1 ORDER BY a.round_id, a.entry_id, a.judge_id FOR UPDATE OF a",
        contest_id,
        judge_ids,
        entry_ids,
    )
    return await _delete_withdrawn(connection, contest_id, rows)


async def withdraw_off_panel(
    connection: Connection, contest_id: str, panel: Sequence[str], states: Collection[RoundState]
) -> list[Withdrawn]:
    """Like ``withdraw``, for every assignment of a judge not in ``panel`` (non-empty) in the
    contest's rounds whose state is one of ``states``."""
    rows = await connection.fetch(
        f"{WITHDRAW_SELECT} AND r.state = ANY($3::text[])"
        " WHERE a.contest_id = $1 AND a.judge_id <> ALL($2::text[])"
        " ORDER BY a.round_id, a.entry_id, a.judge_id FOR UPDATE OF a",
        contest_id,
        list(panel),
        sorted(state.value for state in states),
    )
    return await _delete_withdrawn(connection, contest_id, rows)


async def _delete_withdrawn(connection: Connection, contest_id: str, rows: Sequence[asyncpg.Record]) -> list[Withdrawn]:
    """Delete the locked assignment ``rows`` (round_id, judge_id, entry_id) and their current sheets."""
    if not rows:
        return []
    keys = (
        [r["round_id"] for r in rows],
        [r["judge_id"] for r in rows],
        [r["entry_id"] for r in rows],
    )
    deleted_sheets = await connection.fetch(
        "DELETE FROM score_sheets s USING unnest($2::text[], $3::text[], $4::text[]) AS k(round_id, judge_id, entry_id)"
        " WHERE s.contest_id = $1 AND s.round_id = k.round_id AND s.judge_id = k.judge_id AND s.entry_id = k.entry_id"
        " RETURNING s.round_id, s.judge_id, s.entry_id",
        contest_id,
        *keys,
    )
    with_sheet = {(r["round_id"], r["judge_id"], r["entry_id"]) for r in deleted_sheets}
    await connection.execute(
        "DELETE FROM assignments a USING unnest($2::text[], $3::text[], $4::text[]) AS k(round_id, judge_id, entry_id)"
        " WHERE a.contest_id = $1 AND a.round_id = k.round_id AND a.judge_id = k.judge_id AND a.entry_id = k.entry_id",
        contest_id,
        *keys,
    )
    return [
        Withdrawn(
            r["round_id"], r["judge_id"], r["entry_id"], (r["round_id"], r["judge_id"], r["entry_id"]) in with_sheet
        )
        for r in rows
    ]


async def for_round(executor: Executor, contest_id: str, round_id: str) -> list[Assignment]:
    rows = await executor.fetch(
        f"{ASSIGNMENT_SELECT} WHERE a.contest_id = $1 AND a.round_id = $2 ORDER BY a.entry_id, a.judge_id",
        contest_id,
        round_id,
    )
    return [to_assignment(r) for r in rows]


def _encoded(
    contest_id: str, round_id: str, pairs: Sequence[Pair], create_time: datetime, encoding: AssignmentEncoding
) -> tuple[list[bytes], list[bytes]]:
    """The stored messages of new assignments: without a sheet, and with one."""
    unsubmitted, submitted = [], []
    for judge_id, entry_id in pairs:
        fresh = Assignment(
            contest_id=contest_id,
            round_id=round_id,
            entry_id=entry_id,
            judge_id=judge_id,
            submitted=False,
            create_time=create_time,
        )
        unsubmitted.append(encoding.encode(fresh))
        submitted.append(encoding.encode(fresh.model_copy(update={"submitted": True})))
    return unsubmitted, submitted


async def insert_many(
    connection: Connection, contest_id: str, round_id: str, pairs: Sequence[Pair], encoding: AssignmentEncoding
) -> None:
    now = datetime.now(UTC)
    # In page order (entry, judge): a page's rows then share a few heap pages instead of one each.
    pairs = sorted(pairs, key=lambda pair: (pair[1], pair[0]))
    unsubmitted, submitted = _encoded(contest_id, round_id, pairs, now, encoding)
    await connection.execute(
        "INSERT INTO assignments (contest_id, round_id, judge_id, entry_id, create_time, encoding, encoded,"
        " encoded_submitted) SELECT $1, $2, p.judge_id, p.entry_id, $5, $6, p.encoded, p.encoded_submitted"
        " FROM unnest($3::text[], $4::text[], $7::bytea[], $8::bytea[]) AS p(judge_id, entry_id, encoded,"
        " encoded_submitted)",
        contest_id,
        round_id,
        [judge for judge, _ in pairs],
        [entry for _, entry in pairs],
        now,
        encoding.version,
        unsubmitted,
        submitted,
    )


async def insert_one(
    connection: Connection, contest_id: str, round_id: str, judge_id: str, entry_id: str, encoding: AssignmentEncoding
) -> Assignment:
    now = datetime.now(UTC)
    (unsubmitted,), (submitted,) = _encoded(contest_id, round_id, [(judge_id, entry_id)], now, encoding)
    inserted = await connection.fetchval(
        "INSERT INTO assignments (contest_id, round_id, judge_id, entry_id, create_time, encoding, encoded,"
        " encoded_submitted) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING RETURNING true",
        contest_id,
        round_id,
        judge_id,
        entry_id,
        now,
        encoding.version,
        unsubmitted,
        submitted,
    )
    if not inserted:
        raise already_exists(
            "ASSIGNMENT_EXISTS", f"judges/{judge_id} is already assigned to entry {entry_id} in this round"
        )
    found = await get(connection, contest_id, round_id, judge_id, entry_id)
    assert found is not None
    return found


async def stale_encoded(
    executor: Executor, encoding: int, after: tuple[str, str, str, str] | None, limit: int
) -> list[Assignment]:
    """Assignments (submitted False) after ``after`` (contest, round, entry, judge) whose stored
    messages are missing or an older codec's, in key order."""
    rows = await executor.fetch(
        "SELECT contest_id, round_id, entry_id, judge_id, create_time, false AS submitted FROM assignments"
        " WHERE encoding < $1 AND (contest_id, round_id, entry_id, judge_id) > ($2, $3, $4, $5)"
        " ORDER BY contest_id, round_id, entry_id, judge_id LIMIT $6",
        encoding,
        *(after or ("", "", "", "")),
        limit,
    )
    return [to_assignment(r) for r in rows]


async def store_encoded(executor: Executor, assignments: list[Assignment], encoding: AssignmentEncoding) -> int:
    """Store the messages of ``assignments`` (as read by :func:`stale_encoded`; their columns never
    change); the number stored."""
    result: str = await executor.execute(
        "UPDATE assignments a SET encoding = $1, encoded = k.encoded, encoded_submitted = k.encoded_submitted"
        " FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::bytea[], $7::bytea[])"
        " AS k(contest_id, round_id, entry_id, judge_id, encoded, encoded_submitted)"
        " WHERE a.contest_id = k.contest_id AND a.round_id = k.round_id AND a.entry_id = k.entry_id"
        " AND a.judge_id = k.judge_id AND a.encoding < $1",
        encoding.version,
        [a.contest_id for a in assignments],
        [a.round_id for a in assignments],
        [a.entry_id for a in assignments],
        [a.judge_id for a in assignments],
        [encoding.encode(a) for a in assignments],
        [encoding.encode(a.model_copy(update={"submitted": True})) for a in assignments],
    )
    return int(result.split()[-1])


async def get(executor: Executor, contest_id: str, round_id: str, judge_id: str, entry_id: str) -> Assignment | None:
    row = await executor.fetchrow(
        f"{ASSIGNMENT_SELECT} WHERE a.contest_id = $1 AND a.round_id = $2 AND a.judge_id = $3 AND a.entry_id = $4",
        contest_id,
        round_id,
        judge_id,
        entry_id,
    )
    return to_assignment(row) if row else None


async def delete_one(connection: Connection, contest_id: str, round_id: str, judge_id: str, entry_id: str) -> bool:
    """Delete one assignment and its current sheet (versions stay); False when there was none."""
    locked = await connection.fetchval(
        "SELECT true FROM assignments WHERE contest_id = $1 AND round_id = $2 AND judge_id = $3 AND entry_id = $4"
        " FOR UPDATE",
        contest_id,
        round_id,
        judge_id,
        entry_id,
    )
    if not locked:
        return False
    key = (contest_id, round_id, judge_id, entry_id)
    where = "contest_id = $1 AND round_id = $2 AND judge_id = $3 AND entry_id = $4"
    await connection.execute(f"DELETE FROM score_sheets WHERE {where}", *key)
    await connection.execute(f"DELETE FROM assignments WHERE {where}", *key)
    return True


def _keyset(
    contest_id: str, round_id: str, judge_id: str | None, entry_id: str | None, after: list[str] | None
) -> Where:
    where = Where()
    where.add("a.contest_id = {}", contest_id)
    where.add("a.round_id = {}", round_id)
    if judge_id is not None:
        where.add("a.judge_id = {}", judge_id)
    if entry_id is not None:
        where.add("a.entry_id = {}", entry_id)
    if after is not None:
        where.add("(a.entry_id, a.judge_id) > ({}, {})", after[0], after[1])
    return where


@functools.lru_cache(maxsize=256)
def _round_page_sql(conditions: tuple[str, ...], current: str, size: int) -> str:
    """round_page_encoded's statement for a shape of page (its conditions hold placeholders only,
    so there are few): built once, the same str object every call, whose hash asyncpg's statement
    cache then has already. Building it per call was 8 µs of a ListAssignments' CPU under load.

    The page is aggregated in a LATERAL of its own (one row, whatever the page holds) joined to
    the round's row (none: NOT_FOUND). Its ORDER BY is the order the page's rows come in, so
    PostgreSQL (16 and later) concatenates them as they come; aggregated under a GROUP BY of the
    round instead, it sorted the page's items again first."""
    return (
        "SELECT g.n, g.items, g.stale, g.last_entry, g.last_judge FROM rounds r, LATERAL (SELECT"
        " count(p.entry_id) AS n,"
        f" string_agg(p.item, ''::bytea ORDER BY p.entry_id, p.judge_id) FILTER (WHERE p.rn <= {size}) AS items,"
        " count(p.entry_id) FILTER (WHERE p.item IS NULL) AS stale,"
        f" max(p.entry_id) FILTER (WHERE p.rn = {size}) AS last_entry,"
        f" max(p.judge_id) FILTER (WHERE p.rn = {size}) AS last_judge"
        " FROM (SELECT a.entry_id, a.judge_id,"
        f" CASE WHEN a.encoding = {current} THEN CASE WHEN s.judge_id IS NULL THEN a.encoded"
        " ELSE a.encoded_submitted END END AS item, row_number() OVER (ORDER BY a.entry_id, a.judge_id) AS rn"
        " FROM assignments a LEFT JOIN score_sheets s ON s.contest_id = a.contest_id AND s.round_id = a.round_id"
        f" AND s.entry_id = a.entry_id AND s.judge_id = a.judge_id WHERE {' AND '.join(conditions) or 'true'}"
        f" ORDER BY a.entry_id, a.judge_id LIMIT {size + 1}) p) g"
        " WHERE r.contest_id = $1 AND r.id = $2"
    )


async def round_page_encoded(
    executor: Executor,
    contest_id: str,
    round_id: str,
    judge_id: str | None,
    entry_id: str | None,
    after: list[str] | None,
    limit: int,
    encoding: int,
) -> tuple[bytes | None, list[str] | None]:
    """Like :func:`round_page`, from the stored items, in one statement and one row: the page's
    ``assignments`` field as it goes on the wire (the concatenated stored items, each the variant
    for whether its sheet exists), and the position of the next page. None for the
    bytes when an assignment of the page has no message of ``encoding`` (read it by
    :func:`round_page`); b"" for an empty page; NOT_FOUND (round) when the round does not exist."""
    where = _keyset(contest_id, round_id, judge_id, entry_id, after)
    current = where.param(encoding)
    size = literal_limit(limit)
    row = await executor.fetchrow(_round_page_sql(tuple(where.conditions), current, size), *where.args)
    if row is None:
        raise not_found("round", f"contests/{contest_id}/rounds/{round_id}")
    if row["stale"]:
        return None, None
    if row["n"] <= limit:
        return row["items"] or b"", None
    return row["items"], [row["last_entry"], row["last_judge"]]


async def round_page(
    pool: Executor,
    contest_id: str,
    round_id: str,
    judge_id: str | None,
    entry_id: str | None,
    after: list[str] | None,
    limit: int,
) -> tuple[list[asyncpg.Record], list[str] | None]:
    """A page of the round's assignments in (entry, judge) order after ``after``, and the position of
    the next page (None: the last page). Rows (entry_id, judge_id, create_time, submitted) for the
    servicer to encode directly; NOT_FOUND (round) when the round does not exist, found by the same
    statement (the round's row joined to its page) rather than by a look-up of its own."""
    where = _keyset(contest_id, round_id, judge_id, entry_id, after)
    rows = await pool.fetch(
        "SELECT p.entry_id, p.judge_id, p.create_time, p.submitted FROM rounds r LEFT JOIN LATERAL"
        " (SELECT a.entry_id, a.judge_id, a.create_time, (s.judge_id IS NOT NULL) AS submitted FROM assignments a"
        " LEFT JOIN score_sheets s ON s.contest_id = a.contest_id AND s.round_id = a.round_id"
        f" AND s.entry_id = a.entry_id AND s.judge_id = a.judge_id WHERE {where.sql()}"
        f" ORDER BY a.entry_id, a.judge_id LIMIT {literal_limit(limit) + 1}) p ON true"
        " WHERE r.contest_id = $1 AND r.id = $2 ORDER BY p.entry_id, p.judge_id",
        *where.args,
    )
    if not rows:
        raise not_found("round", f"contests/{contest_id}/rounds/{round_id}")
    if rows[0]["entry_id"] is None:  # the round, with no assignment on this page
        return [], None
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], [last["entry_id"], last["judge_id"]]


async def open_entries_of_judge(executor: Executor, judge_id: str) -> list[tuple[str, str]]:
    """(contest_id, entry_id) the judge is assigned to in rounds that are not FINALIZED."""
    rows = await executor.fetch(
        "SELECT DISTINCT a.contest_id, a.entry_id FROM assignments a JOIN rounds r ON r.contest_id = a.contest_id"
        " AND r.id = a.round_id AND r.state <> 'FINALIZED' WHERE a.judge_id = $1 ORDER BY 1, 2",
        judge_id,
    )
    return [(r["contest_id"], r["entry_id"]) for r in rows]


GLOBAL_ASSIGN_LOCK = "competition.assign"


async def lock_contest_assignments(connection: Connection, contest_id: str) -> None:
    """Serialise, within the contest, the writers that create assignments or introduce conflicts of
    interest (assignment creators, conflict declarations, entry organisation and panel changes), so
    a check for conflicts never races a new conflict. Taken first in the transaction: the global key
    shared (UpdateJudge takes it exclusively, see ``lock_all_contest_assignments``), then the
    contest's key; both are released at commit or rollback."""
    await connection.execute("SELECT pg_advisory_xact_lock_shared(hashtext($1))", GLOBAL_ASSIGN_LOCK)
    await connection.execute("SELECT pg_advisory_xact_lock(hashtext($1 || ':' || $2))", GLOBAL_ASSIGN_LOCK, contest_id)


async def lock_all_contest_assignments(connection: Connection) -> None:
    """``lock_contest_assignments`` for every contest at once, for a writer whose conflicts span
    contests (a judge's affiliations). Taken first in the transaction."""
    await connection.execute("SELECT pg_advisory_xact_lock(hashtext($1))", GLOBAL_ASSIGN_LOCK)


async def lock_open_rounds(connection: Connection, contest_id: str) -> None:
    """Hold the contest's unfinalized rounds against state changes while assignments are withdrawn."""
    await connection.execute(
        "SELECT 1 FROM rounds WHERE contest_id = $1 AND state <> 'FINALIZED' ORDER BY id FOR SHARE", contest_id
    )
