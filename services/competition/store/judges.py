"""Judges (global: one expert may judge several contests)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

from services.common.errors import already_exists, not_found
from services.common.pagination import literal_limit
from services.common.sql import Connection, Executor, Where
from services.competition.domain.models import Domain, Judge, JudgeFields

COLUMNS = "id, display_name, domains, affiliations, version, create_time"


def to_judge(row: asyncpg.Record) -> Judge:
    values: dict[str, Any] = dict(row)
    values["domains"] = tuple(Domain(d) for d in row["domains"])
    values["affiliations"] = tuple(row["affiliations"])
    return Judge(**values)


def _values(fields: JudgeFields) -> list[Any]:
    return [fields.display_name, [d.value for d in fields.domains], list(fields.affiliations)]


async def insert(connection: Connection, judge_id: str, fields: JudgeFields) -> Judge:
    row = await connection.fetchrow(
        "INSERT INTO judges (id, display_name, domains, affiliations) VALUES ($1, $2, $3, $4)"
        f" ON CONFLICT DO NOTHING RETURNING {COLUMNS}",
        judge_id,
        *_values(fields),
    )
    if row is None:
        raise already_exists("JUDGE_EXISTS", f"judges/{judge_id} already exists", {"resource": f"judges/{judge_id}"})
    return to_judge(row)


async def get(executor: Executor, judge_id: str) -> Judge:
    return await _get(executor, judge_id, "")


async def lock_for_edit(connection: Connection, judge_id: str) -> Judge:
    """The judge, locked against concurrent edits (FOR NO KEY UPDATE: foreign-key checks of
    assignments and conflicts being written meanwhile do not wait)."""
    return await _get(connection, judge_id, " FOR NO KEY UPDATE")


async def _get(executor: Executor, judge_id: str, lock: str) -> Judge:
    row = await executor.fetchrow(f"SELECT {COLUMNS} FROM judges WHERE id = $1{lock}", judge_id)
    if row is None:
        raise not_found("judge", f"judges/{judge_id}")
    return to_judge(row)


async def exists(executor: Executor, judge_id: str) -> bool:
    found: bool = await executor.fetchval("SELECT EXISTS (SELECT 1 FROM judges WHERE id = $1)", judge_id)
    return found


async def all_judges(executor: Executor) -> list[Judge]:
    return [to_judge(r) for r in await executor.fetch(f"SELECT {COLUMNS} FROM judges ORDER BY id")]


async def on_panel(executor: Executor, judge_ids: Sequence[str]) -> list[Judge]:
    """The judges of a contest's panel, by id; an empty panel means every judge."""
    if not judge_ids:
        return await all_judges(executor)
    rows = await executor.fetch(f"SELECT {COLUMNS} FROM judges WHERE id = ANY($1::text[]) ORDER BY id", list(judge_ids))
    return [to_judge(r) for r in rows]


async def get_many(executor: Executor, judge_ids: Sequence[str]) -> dict[str, Judge]:
    rows = await executor.fetch(f"SELECT {COLUMNS} FROM judges WHERE id = ANY($1::text[])", list(judge_ids))
    return {r["id"]: to_judge(r) for r in rows}


async def update(connection: Connection, judge_id: str, fields: JudgeFields) -> Judge:
    row = await connection.fetchrow(
        "UPDATE judges SET display_name = $2, domains = $3, affiliations = $4, version = version + 1,"
        f" update_time = clock_timestamp() WHERE id = $1 RETURNING {COLUMNS}",
        judge_id,
        *_values(fields),
    )
    assert row is not None, "the row was read under a lock"
    return to_judge(row)


async def list_page(
    pool: Executor, domain: str | None, after: str | None, limit: int
) -> tuple[list[Judge], str | None]:
    where = Where()
    if domain is not None:
        where.add("{} = ANY(domains)", domain)
    if after is not None:
        where.add("id > {}", after)
    rows = await pool.fetch(
        f"SELECT {COLUMNS} FROM judges WHERE {where.sql()} ORDER BY id LIMIT {literal_limit(limit) + 1}", *where.args
    )
    judges = [to_judge(r) for r in rows[:limit]]
    return judges, judges[-1].id if len(rows) > limit else None
