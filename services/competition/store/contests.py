"""Contests."""

from __future__ import annotations

import asyncpg

from services.common.errors import already_exists, not_found
from services.common.pagination import literal_limit
from services.common.sql import Connection, Executor, Where
from services.competition.domain.models import Contest, ContestFields

COLUMNS = (
    "id, display_name, year, min_landed_entries, min_landing_ratio, landing_deadline, landing_pool,"
    " judge_ids, version, create_time, update_time"
)


def to_contest(row: asyncpg.Record) -> Contest:
    return Contest(**dict(row))


def _values(fields: ContestFields) -> list[object]:
    return [
        fields.display_name,
        fields.year,
        fields.min_landed_entries,
        fields.min_landing_ratio,
        fields.landing_deadline,
        fields.landing_pool.value,
        list(fields.judge_ids),
    ]


async def insert(connection: Connection, contest_id: str, fields: ContestFields) -> Contest:
    row = await connection.fetchrow(
        "INSERT INTO contests (id, display_name, year, min_landed_entries, min_landing_ratio, landing_deadline,"
        f" landing_pool, judge_ids) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING RETURNING {COLUMNS}",
        contest_id,
        *_values(fields),
    )
    if row is None:
        raise already_exists(
            "CONTEST_EXISTS", f"contests/{contest_id} already exists", {"resource": f"contests/{contest_id}"}
        )
    assert row is not None, "the row was read under a lock"
    return to_contest(row)


async def get(executor: Executor, contest_id: str) -> Contest:
    return await _get(executor, contest_id, "")


async def lock_for_change(connection: Connection, contest_id: str) -> Contest:
    """The contest, locked for an edit or for adding a round (FOR UPDATE: serialises round creation,
    so a "next sequence" is never taken twice)."""
    return await _get(connection, contest_id, " FOR UPDATE")


async def hold(connection: Connection, contest_id: str) -> Contest:
    """The contest, kept from changing (FOR SHARE) while a round of it opens."""
    return await _get(connection, contest_id, " FOR SHARE")


async def _get(executor: Executor, contest_id: str, lock: str) -> Contest:
    row = await executor.fetchrow(f"SELECT {COLUMNS} FROM contests WHERE id = $1{lock}", contest_id)
    if row is None:
        raise not_found("contest", f"contests/{contest_id}")
    return to_contest(row)


async def exists(executor: Executor, contest_id: str) -> bool:
    found: bool = await executor.fetchval("SELECT EXISTS (SELECT 1 FROM contests WHERE id = $1)", contest_id)
    return found


async def update(connection: Connection, contest_id: str, fields: ContestFields) -> Contest:
    row = await connection.fetchrow(
        "UPDATE contests SET display_name = $2, year = $3, min_landed_entries = $4, min_landing_ratio = $5,"
        " landing_deadline = $6, landing_pool = $7, judge_ids = $8, version = version + 1,"
        " update_time = clock_timestamp()"
        f" WHERE id = $1 RETURNING {COLUMNS}",
        contest_id,
        *_values(fields),
    )
    assert row is not None, "the row was read under a lock"
    return to_contest(row)


async def list_page(
    pool: Executor, year: int | None, after: str | None, limit: int
) -> tuple[list[Contest], str | None]:
    where = Where()
    if year is not None:
        where.add("year = {}", year)
    if after is not None:
        where.add("id > {}", after)
    rows = await pool.fetch(
        f"SELECT {COLUMNS} FROM contests WHERE {where.sql()} ORDER BY id LIMIT {literal_limit(limit) + 1}", *where.args
    )
    contests = [to_contest(r) for r in rows[:limit]]
    return contests, contests[-1].id if len(rows) > limit else None
