"""Applications and their stage history in PostgreSQL. A write reads what its rule needs in one
query and writes the application, its history row and its request key in one guarded statement."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from services.common.errors import already_exists, not_found
from services.common.idempotency import RequestKey
from services.common.pagination import literal_limit
from services.common.sql import Executor, Where, uuid_param
from services.talent.domain.models import Application, ApplicationEvent, CandidateKind, Programme
from services.talent.store.catalogue import to_programme
from services.talent.store.keys import KEY_JOIN, Outcome, Remember, StoredKey, key_args, stored_key

COLUMNS = "id, candidate_id, programme_id, year, stage, version, create_time, update_time"
A_COLUMNS = ", ".join("a." + c.strip() for c in COLUMNS.split(","))


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


@dataclass(frozen=True)
class ApplicationContext:
    """What deciding on a new application needs, read in one query."""

    candidate_kind: CandidateKind | None  # None: no such live candidate
    programme: Programme | None
    existing_application: str | None  # the application of the same candidate, programme and year
    stored: StoredKey


async def context_for_new(
    executor: Executor, candidate_id: str, programme_id: str, year: int, key: RequestKey | None
) -> ApplicationContext:
    scope, request_id = key_args(key)
    row = await executor.fetchrow(
        "SELECT c.kind AS candidate_kind, p.id, p.level, p.kind, p.title_zh, p.title_en, p.active_years,"
        " a.id AS existing, k.request_hash, k.response FROM (SELECT) one"
        " LEFT JOIN candidates c ON c.id = $1 AND c.delete_time IS NULL"
        " LEFT JOIN programmes p ON p.id = $2"
        " LEFT JOIN applications a ON a.candidate_id = $1 AND a.programme_id = $2 AND a.year = $3"
        f" {KEY_JOIN.format(scope='$4', request_id='$5')}",
        uuid_param(candidate_id),
        programme_id,
        year,
        scope,
        request_id,
    )
    assert row is not None
    return ApplicationContext(
        candidate_kind=CandidateKind(row["candidate_kind"]) if row["candidate_kind"] else None,
        programme=to_programme(row) if row["id"] is not None else None,
        existing_application=str(row["existing"]) if row["existing"] else None,
        stored=stored_key(row),
    )


def duplicate(application: Application, existing: str) -> Exception:
    return already_exists(
        "DUPLICATE_APPLICATION",
        f"candidates/{application.candidate_id} already has an application to"
        f" programmes/{application.programme_id} for {application.year}",
        {"existing_application": f"applications/{existing}"},
    )


async def insert(
    executor: Executor, application: Application, actor: str, note: str, remember: Remember | None
) -> Outcome:
    """Write the new application, its first history row and its request key in one statement, if
    the candidate is still live (the candidate row is share-locked, so a concurrent delete waits)."""
    args: list[Any] = [
        uuid.UUID(application.id),
        uuid.UUID(application.candidate_id),
        application.programme_id,
        application.year,
        application.stage.value,
        application.create_time,
        actor,
        note,
    ]
    source = "guard"
    claim_cte = ""
    if remember is not None:
        claim, claim_args = remember.claim(len(args) + 1, source="guard")
        claim_cte, source = f" claim AS ({claim}),", "claim"
        args += claim_args
    try:
        row = await executor.fetchrow(
            "WITH guard AS (SELECT id FROM candidates WHERE id = $2 AND delete_time IS NULL FOR SHARE),"
            f"{claim_cte}"
            " created AS (INSERT INTO applications (id, candidate_id, programme_id, year, stage, version,"
            "  create_time, update_time)"
            f"  SELECT $1::uuid, $2::uuid, $3::text, $4::int, $5::text, 1, $6::timestamptz, $6 FROM {source}"
            "  RETURNING id),"
            " history AS (INSERT INTO application_events (application_id, from_stage, to_stage, actor, time, note)"
            "  SELECT id, NULL, $5, $7::text, $6, $8::text FROM created)"
            " SELECT EXISTS (SELECT FROM guard) AS guarded, EXISTS (SELECT FROM created) AS changed",
            *args,
        )
    except asyncpg.UniqueViolationError as error:
        if error.constraint_name != "applications_candidate_id_programme_id_year_key":
            raise
        existing = await executor.fetchval(
            "SELECT id FROM applications WHERE candidate_id = $1 AND programme_id = $2 AND year = $3",
            uuid.UUID(application.candidate_id),
            application.programme_id,
            application.year,
        )
        raise duplicate(application, str(existing)) from None
    assert row is not None
    return _outcome(row)


def _outcome(row: asyncpg.Record) -> Outcome:
    if not row["guarded"]:
        return Outcome.STALE
    return Outcome.WRITTEN if row["changed"] else Outcome.KEY_TAKEN


async def get(executor: Executor, application_id: str) -> Application:
    key = uuid_param(application_id)
    row = None
    if key is not None:
        row = await executor.fetchrow(f"SELECT {COLUMNS} FROM applications WHERE id = $1", key)
    if row is None:
        raise not_found("application", f"applications/{application_id}")
    return to_application(row)


async def get_with_key(
    executor: Executor, application_id: str, key: RequestKey | None
) -> tuple[Application | None, StoredKey]:
    """The application (None when there is none) and the row of ``key``, in one query."""
    scope, request_id = key_args(key)
    row = await executor.fetchrow(
        f"SELECT {A_COLUMNS}, a.id IS NOT NULL AS found, k.request_hash, k.response FROM (SELECT) one"
        f" LEFT JOIN applications a ON a.id = $1 {KEY_JOIN.format(scope='$2', request_id='$3')}",
        uuid_param(application_id),
        scope,
        request_id,
    )
    assert row is not None
    return (to_application(row) if row["found"] else None), stored_key(row)


async def move(
    executor: Executor, current: Application, moved: Application, actor: str, note: str, remember: Remember | None
) -> Outcome:
    """Write the move, its history row and its request key in one statement, if the application is
    still at ``current``'s version."""
    args: list[Any] = [
        uuid.UUID(current.id),
        current.version,
        moved.stage.value,
        moved.version,
        moved.update_time,
        current.stage.value,
        actor,
        note,
    ]
    change = "UPDATE applications SET stage = $3, version = $4, update_time = $5 WHERE id = $1"
    history = (
        "history AS (INSERT INTO application_events (application_id, from_stage, to_stage, actor, time, note)"
        " SELECT id, $6::text, $3, $7::text, $5, $8::text FROM changed)"
    )
    if remember is None:
        sql = (
            f"WITH changed AS ({change} AND version = $2 RETURNING id), {history}"
            " SELECT true AS guarded, EXISTS (SELECT FROM changed) AS changed"
        )
        row = await executor.fetchrow(sql, *args)
        assert row is not None
        return Outcome.WRITTEN if row["changed"] else Outcome.STALE
    claim, claim_args = remember.claim(len(args) + 1, source="guard")
    row = await executor.fetchrow(
        "WITH guard AS (SELECT id FROM applications WHERE id = $1 AND version = $2 FOR UPDATE),"
        f" claim AS ({claim}), changed AS ({change} AND EXISTS (SELECT FROM claim) RETURNING id), {history}"
        " SELECT EXISTS (SELECT FROM guard) AS guarded, EXISTS (SELECT FROM changed) AS changed",
        *args,
        *claim_args,
    )
    assert row is not None
    return _outcome(row)


async def history(executor: Executor, application_id: str) -> list[ApplicationEvent]:
    """The stage history, oldest first; NOT_FOUND when there is no such application (one query)."""
    rows = await executor.fetch(
        "SELECT a.id, e.from_stage, e.to_stage, e.actor, e.time, e.note FROM applications a"
        " LEFT JOIN application_events e ON e.application_id = a.id WHERE a.id = $1 ORDER BY e.id",
        uuid_param(application_id),
    )
    if not rows:
        raise not_found("application", f"applications/{application_id}")
    return [
        ApplicationEvent(
            from_stage=r["from_stage"],
            to_stage=r["to_stage"],
            actor=r["actor"],
            time=r["time"],
            note=r["note"],
        )
        for r in rows
        if r["to_stage"] is not None
    ]


@dataclass(frozen=True)
class ApplicationFilter:
    candidate_id: str | None = None
    programme_id: str | None = None
    year: int | None = None
    stage: str | None = None
    level: str | None = None


async def list_page(
    executor: Executor, f: ApplicationFilter, after: list[Any] | None, limit: int
) -> tuple[list[Application], list[Any] | None]:
    where = Where()
    if f.candidate_id is not None:
        where.add("a.candidate_id = {}", uuid_param(f.candidate_id))
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
    rows = await executor.fetch(
        f"SELECT {A_COLUMNS} FROM applications a"
        f" WHERE {where.sql()} ORDER BY a.create_time, a.id LIMIT {literal_limit(limit) + 1}",
        *where.args,
    )
    applications = [to_application(r) for r in rows[:limit]]
    if len(rows) <= limit:
        return applications, None
    last = applications[-1]
    return applications, [last.create_time.isoformat(), last.id]
