"""Contests."""

from __future__ import annotations

from typing import TypeAlias

import asyncpg

from services.common.errors import already_exists, not_found
from services.common.sql import Where
from services.competition.domain.models import Contest, ContestFields

COLUMNS = (
    "id, display_name, year, min_landed_entries, min_landing_ratio, landing_deadline, landing_pool,"
    " judge_ids, version, create_time, update_time"
)

Executor: TypeAlias = asyncpg.Connection | asyncpg.Pool


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


async def insert(connection: asyncpg.Connection, contest_id: str, fields: ContestFields) -> Contest:
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
    return to_contest(row)


async def get(executor: Executor, contest_id: str, *, for_update: bool = False, for_share: bool = False) -> Contest:
    lock = " FOR UPDATE" if for_update else " FOR SHARE" if for_share else ""
    row = await executor.fetchrow(f"SELECT {COLUMNS} FROM contests WHERE id = $1{lock}", contest_id)
    if row is None:
        raise not_found("contest", f"contests/{contest_id}")
    return to_contest(row)


async def update(connection: asyncpg.Connection, contest_id: str, fields: ContestFields) -> Contest:
    row = await connection.fetchrow(
        "UPDATE contests SET display_name = $2, year = $3, min_landed_entries = $4, min_landing_ratio = $5,"
        " landing_deadline = $6, landing_pool = $7, judge_ids = $8, version = version + 1,"
        " update_time = clock_timestamp()"
        f" WHERE id = $1 RETURNING {COLUMNS}",
        contest_id,
        *_values(fields),
    )
    return to_contest(row)


async def list_page(
    pool: asyncpg.Pool, year: int | None, after: str | None, limit: int
) -> tuple[list[Contest], str | None]:
    where = Where()
    if year is not None:
        where.add("year = {}", year)
    if after is not None:
        where.add("id > {}", after)
    rows = await pool.fetch(
        f"SELECT {COLUMNS} FROM contests WHERE {where.sql()} ORDER BY id LIMIT {where.param(limit + 1)}", *where.args
    )
    contests = [to_contest(r) for r in rows[:limit]]
    return contests, contests[-1].id if len(rows) > limit else None
