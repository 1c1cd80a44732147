"""Entries of a contest."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from services.common.errors import already_exists, not_found
from services.common.pagination import literal_limit
from services.common.sql import Connection, Executor, Where
from services.competition.domain.models import Entry, EntryFields, TeamMember

COLUMNS = (
    "contest_id, id, title, leader, members, organisations, domain, origin_country, summary, version,"
    " create_time, update_time"
)
# The furthest round with a result for the entry (highest sequence), and that result.
LAST_RESULT = (
    " LEFT JOIN LATERAL (SELECT rr.round_id AS last_round, rr.outcome AS last_outcome FROM round_results rr"
    " JOIN rounds ro ON ro.contest_id = rr.contest_id AND ro.id = rr.round_id"
    " WHERE rr.contest_id = e.contest_id AND rr.entry_id = e.id ORDER BY ro.sequence DESC LIMIT 1) last ON true"
)
SELECT = f"SELECT {', '.join('e.' + c.strip() for c in COLUMNS.split(','))}, last.* FROM entries e{LAST_RESULT}"


def to_entry(row: asyncpg.Record) -> Entry:
    values: dict[str, Any] = dict(row)
    values["leader"] = TeamMember(**row["leader"]) if row["leader"] else None
    values["members"] = tuple(TeamMember(**m) for m in row["members"])
    values["organisations"] = tuple(row["organisations"])
    return Entry(**values)


def _values(fields: EntryFields) -> list[Any]:
    return [
        fields.title,
        fields.leader.model_dump() if fields.leader else None,
        [m.model_dump() for m in fields.members],
        list(fields.organisations),
        fields.domain.value,
        fields.origin_country,
        fields.summary,
    ]


async def existing_ids(executor: Executor, contest_id: str, entry_ids: Sequence[str]) -> set[str]:
    rows = await executor.fetch(
        "SELECT id FROM entries WHERE contest_id = $1 AND id = ANY($2::text[])", contest_id, list(entry_ids)
    )
    return {r["id"] for r in rows}


async def ensure_free(executor: Executor, contest_id: str, entry_ids: Sequence[str]) -> None:
    """ALREADY_EXISTS naming every id of ``entry_ids`` already taken in the contest."""
    taken = await existing_ids(executor, contest_id, entry_ids)
    if taken:
        names = ",".join(f"contests/{contest_id}/entries/{i}" for i in sorted(taken))
        raise already_exists("ENTRY_EXISTS", f"entries already exist: {names}", {"resource": names})


async def insert_many(connection: Connection, contest_id: str, items: Sequence[tuple[str, EntryFields]]) -> list[Entry]:
    """Insert every entry or none: any id already taken raises ALREADY_EXISTS naming them all."""
    ids = [entry_id for entry_id, _ in items]
    await ensure_free(connection, contest_id, ids)
    try:
        await connection.executemany(
            "INSERT INTO entries (contest_id, id, title, leader, members, organisations, domain, origin_country,"
            " summary) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            [(contest_id, entry_id, *_values(fields)) for entry_id, fields in items],
        )
    except asyncpg.UniqueViolationError:
        # A concurrent create took one of the ids between the check and the insert.
        raise already_exists("ENTRY_EXISTS", "an entry with one of these ids was just created") from None
    rows = await connection.fetch(f"{SELECT} WHERE e.contest_id = $1 AND e.id = ANY($2::text[])", contest_id, ids)
    by_id = {r["id"]: to_entry(r) for r in rows}
    return [by_id[entry_id] for entry_id in ids]


async def get(executor: Executor, contest_id: str, entry_id: str) -> Entry:
    row = await executor.fetchrow(f"{SELECT} WHERE e.contest_id = $1 AND e.id = $2", contest_id, entry_id)
    if row is None:
        raise not_found("entry", f"contests/{contest_id}/entries/{entry_id}")
    return to_entry(row)


async def lock_for_edit(connection: Connection, contest_id: str, entry_id: str) -> Entry:
    """The entry, locked against concurrent edits (FOR NO KEY UPDATE: foreign-key checks of
    assignments and results being written meanwhile do not wait)."""
    await connection.execute(
        "SELECT 1 FROM entries WHERE contest_id = $1 AND id = $2 FOR NO KEY UPDATE", contest_id, entry_id
    )
    return await get(connection, contest_id, entry_id)


async def get_many(executor: Executor, contest_id: str, entry_ids: Sequence[str]) -> dict[str, Entry]:
    rows = await executor.fetch(
        f"{SELECT} WHERE e.contest_id = $1 AND e.id = ANY($2::text[])", contest_id, list(entry_ids)
    )
    return {r["id"]: to_entry(r) for r in rows}


async def all_in_contest(executor: Executor, contest_id: str) -> list[Entry]:
    rows = await executor.fetch(f"{SELECT} WHERE e.contest_id = $1 ORDER BY e.id", contest_id)
    return [to_entry(r) for r in rows]


async def titles(executor: Executor, contest_id: str, entry_ids: Sequence[str]) -> dict[str, str]:
    rows = await executor.fetch(
        "SELECT id, title FROM entries WHERE contest_id = $1 AND id = ANY($2::text[])", contest_id, list(entry_ids)
    )
    return {r["id"]: r["title"] for r in rows}


async def update(connection: Connection, current: Entry, fields: EntryFields) -> Entry:
    await connection.execute(
        "UPDATE entries SET title = $3, leader = $4, members = $5, organisations = $6, domain = $7,"
        " origin_country = $8, summary = $9, version = version + 1, update_time = clock_timestamp()"
        " WHERE contest_id = $1 AND id = $2",
        current.contest_id,
        current.id,
        *_values(fields),
    )
    return await get(connection, current.contest_id, current.id)


@dataclass(frozen=True)
class EntryFilter:
    domain: str | None = None
    origin_country: str | None = None
    # Restrict to these ids (the entries of a round).
    ids: Sequence[str] | None = None
    title_contains: str | None = None


async def list_page(
    pool: Executor, contest_id: str, where_filter: EntryFilter, after: list[Any] | None, limit: int
) -> tuple[list[Entry], list[Any] | None]:
    where = Where()
    where.add("e.contest_id = {}", contest_id)
    f = where_filter
    if f.domain is not None:
        where.add("e.domain = {}", f.domain)
    if f.origin_country is not None:
        where.add("e.origin_country = {}", f.origin_country)
    if f.ids is not None:
        where.add("e.id = ANY({}::text[])", list(f.ids))
    if f.title_contains:
        pattern = "%" + f.title_contains.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where.add("lower(e.title) LIKE {}", pattern)
    if after is not None:
        where.add("(e.create_time, e.id) > ({}, {})", datetime.fromisoformat(after[0]), after[1])
    rows = await pool.fetch(
        f"{SELECT} WHERE {where.sql()} ORDER BY e.create_time, e.id LIMIT {literal_limit(limit) + 1}", *where.args
    )
    entries = [to_entry(r) for r in rows[:limit]]
    if len(rows) <= limit:
        return entries, None
    last = entries[-1]
    return entries, [last.create_time.isoformat(), last.id]


async def organisations_from(
    executor: Executor, contest_id: str, start: str | None, limit: int, *, inclusive: bool, only: str | None = None
) -> list[tuple[str, list[str]]]:
    """(entry_id, organisations) of up to ``limit`` entries of the contest with organisations, by id
    from ``start`` on (``inclusive`` or not), or just the entry ``only``: what conflicts need, not whole
    entries. Ordered and compared by code point (COLLATE "C"), as the caller merges them in Python."""
    comparison = ">=" if inclusive else ">"
    rows = await executor.fetch(
        "SELECT id, organisations FROM entries WHERE contest_id = $1 AND cardinality(organisations) > 0"
        f' AND id COLLATE "C" {comparison} $2 AND ($3::text IS NULL OR id = $3) ORDER BY id COLLATE "C" LIMIT $4',
        contest_id,
        start or "",
        only,
        limit,
    )
    return [(r["id"], list(r["organisations"])) for r in rows]
