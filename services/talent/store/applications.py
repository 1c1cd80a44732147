from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from services.common.errors import already_exists, not_found
from services.common.sql import Where
from services.talent.domain.models import Application, ApplicationEvent, Stage

COLUMNS = "id, candidate_id, programme_id, year, stage, version, create_time, update_time"


def to_application(row: asyncpg.Record) -> Application:
    return Application(
        id=str(row["id"]),
        candidate_id=str(row["candidate_id"]),
        programme_id=row["programme_id"],
        year=row["year"],
        stage=row["stage"],
        version=row["version"],
        create_time=row["create_time"],
        update_time=row["update_time"],
    )


async def insert(
    connection: asyncpg.Connection, candidate_id: str, programme_id: str, year: int, stage: Stage, actor: str
) -> Application:
    row = await connection.fetchrow(
        "INSERT INTO applications (id, candidate_id, programme_id, year, stage) VALUES ($1, $2, $3, $4, $5)"
        f" ON CONFLICT (candidate_id, programme_id, year) DO NOTHING RETURNING {COLUMNS}",
        uuid.uuid4(),
        uuid.UUID(candidate_id),
        programme_id,
        year,
        stage.value,
    )
    if row is None:
        existing = await connection.fetchval(
            "SELECT id FROM applications WHERE candidate_id = $1 AND programme_id = $2 AND year = $3",
            uuid.UUID(candidate_id),
            programme_id,
            year,
        )
        raise already_exists(
            "DUPLICATE_APPLICATION",
            f"candidates/{candidate_id} already has an application to programmes/{programme_id} for {year}",
            {"existing_application": f"applications/{existing}"},
        )
    await record_event(connection, str(row["id"]), None, stage, actor, "application created")
    return to_application(row)


async def record_event(
    connection: asyncpg.Connection,
    application_id: str,
    from_stage: Stage | None,
    to_stage: Stage,
    actor: str,
    note: str,
) -> None:
    await connection.execute(
        "INSERT INTO application_events (application_id, from_stage, to_stage, actor, note)"
        " VALUES ($1, $2, $3, $4, $5)",
        uuid.UUID(application_id),
        from_stage.value if from_stage else None,
        to_stage.value,
        actor,
        note,
    )


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


async def get(
    connection: asyncpg.Connection | asyncpg.Pool, application_id: str, *, for_update: bool = False
) -> Application:
    key = _uuid(application_id)
    row = None
    if key is not None:
        lock = " FOR UPDATE" if for_update else ""
        row = await connection.fetchrow(f"SELECT {COLUMNS} FROM applications WHERE id = $1{lock}", key)
    if row is None:
        raise not_found("application", f"applications/{application_id}")
    return to_application(row)


async def move(
    connection: asyncpg.Connection, current: Application, to_stage: Stage, actor: str, note: str
) -> Application:
    """Move the (locked) application and write its history in the caller's transaction."""
    row = await connection.fetchrow(
        "UPDATE applications SET stage = $2, version = version + 1, update_time = clock_timestamp()"
        f" WHERE id = $1 RETURNING {COLUMNS}",
        uuid.UUID(current.id),
        to_stage.value,
    )
    await record_event(connection, current.id, current.stage, to_stage, actor, note)
    assert row is not None, "the row was read under a lock"
    return to_application(row)


async def history(pool: asyncpg.Pool, application_id: str) -> list[ApplicationEvent]:
    rows = await pool.fetch(
        "SELECT from_stage, to_stage, actor, time, note FROM application_events WHERE application_id = $1 ORDER BY id",
        uuid.UUID(application_id),
    )
    return [
        ApplicationEvent(
            from_stage=r["from_stage"],
            to_stage=r["to_stage"],
            actor=r["actor"],
            time=r["time"],
            note=r["note"],
        )
        for r in rows
    ]


@dataclass(frozen=True)
class ApplicationFilter:
    candidate_id: str | None = None
    programme_id: str | None = None
    year: int | None = None
    stage: str | None = None
    level: str | None = None


async def list_page(
    pool: asyncpg.Pool, f: ApplicationFilter, after: list[Any] | None, limit: int
) -> tuple[list[Application], list[Any] | None]:
    where = Where()
    if f.candidate_id is not None:
        where.add("a.candidate_id = {}", _uuid(f.candidate_id))
    if f.programme_id is not None:
        where.add("a.programme_id = {}", f.programme_id)
    if f.year is not None:
        where.add("a.year = {}", f.year)
    if f.stage is not None:
        where.add("a.stage = {}", f.stage)
    if f.level is not None:
        where.add("a.programme_id IN (SELECT id FROM programmes WHERE level = {})", f.level)
    if after is not None:
        where.add("(a.create_time, a.id) > ({}, {}::uuid)", datetime.fromisoformat(after[0]), after[1])
    rows = await pool.fetch(
        f"SELECT {', '.join('a.' + c.strip() for c in COLUMNS.split(','))} FROM applications a"
        f" WHERE {where.sql()} ORDER BY a.create_time, a.id LIMIT {where.param(limit + 1)}",
        *where.args,
    )
    applications = [to_application(r) for r in rows[:limit]]
    if len(rows) <= limit:
        return applications, None
    last = applications[-1]
    return applications, [last.create_time.isoformat(), last.id]
