"""Score sheets: the current sheet of each (round, entry, judge) and every version of it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeAlias

import asyncpg

from services.common.sql import Where
from services.competition.domain.models import ScoreSheet

COLUMNS = "contest_id, round_id, entry_id, judge_id, scores, comment, total, version, submit_time"

Executor: TypeAlias = asyncpg.Connection | asyncpg.Pool


def to_sheet(row: asyncpg.Record) -> ScoreSheet:
    values: dict[str, Any] = dict(row)
    values["scores"] = {key: float(value) for key, value in row["scores"].items()}
    return ScoreSheet(**values)


async def submit(
    connection: asyncpg.Connection,
    contest_id: str,
    round_id: str,
    entry_id: str,
    judge_id: str,
    scores: Mapping[str, float],
    comment: str,
    total: float,
) -> ScoreSheet:
    """Write the judge's sheet as the current one (version 1, or the previous version + 1) and append
    it to the history, in the caller's transaction."""
    row = await connection.fetchrow(
        "INSERT INTO score_sheets (contest_id, round_id, entry_id, judge_id, scores, comment, total, version)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, 1 + coalesce((SELECT max(version) FROM score_sheet_versions v"
        " WHERE v.contest_id = $1 AND v.round_id = $2 AND v.entry_id = $3 AND v.judge_id = $4), 0))"
        " ON CONFLICT (contest_id, round_id, entry_id, judge_id) DO UPDATE SET scores = excluded.scores,"
        " comment = excluded.comment, total = excluded.total, version = score_sheets.version + 1,"
        f" submit_time = clock_timestamp() RETURNING {COLUMNS}",
        contest_id,
        round_id,
        entry_id,
        judge_id,
        dict(scores),
        comment,
        total,
    )
    sheet = to_sheet(row)
    await connection.execute(
        "INSERT INTO score_sheet_versions (contest_id, round_id, entry_id, judge_id, version, scores, comment, total,"
        " submitted_by, submit_time) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $4, $9)",
        contest_id,
        round_id,
        entry_id,
        judge_id,
        sheet.version,
        sheet.scores,
        comment,
        total,
        sheet.submit_time,
    )
    return sheet


async def for_round(executor: Executor, contest_id: str, round_id: str) -> list[ScoreSheet]:
    """Every current sheet of the round, in one query."""
    rows = await executor.fetch(
        f"SELECT {COLUMNS} FROM score_sheets WHERE contest_id = $1 AND round_id = $2", contest_id, round_id
    )
    return [to_sheet(r) for r in rows]


async def list_page(
    pool: asyncpg.Pool,
    contest_id: str,
    round_id: str,
    entry_id: str | None,
    judge_id: str | None,
    after: list[str] | None,
    limit: int,
) -> tuple[list[ScoreSheet], list[str] | None]:
    where = Where()
    where.add("contest_id = {}", contest_id)
    where.add("round_id = {}", round_id)
    if entry_id is not None:
        where.add("entry_id = {}", entry_id)
    if judge_id is not None:
        where.add("judge_id = {}", judge_id)
    if after is not None:
        where.add("(entry_id, judge_id) > ({}, {})", after[0], after[1])
    rows = await pool.fetch(
        f"SELECT {COLUMNS} FROM score_sheets WHERE {where.sql()} ORDER BY entry_id, judge_id"
        f" LIMIT {where.param(limit + 1)}",
        *where.args,
    )
    sheets = [to_sheet(r) for r in rows[:limit]]
    if len(rows) <= limit:
        return sheets, None
    return sheets, [sheets[-1].entry_id, sheets[-1].judge_id]


async def history(executor: Executor, contest_id: str, round_id: str, entry_id: str, judge_id: str) -> list[ScoreSheet]:
    rows = await executor.fetch(
        "SELECT contest_id, round_id, entry_id, judge_id, scores, comment, total, version, submit_time"
        " FROM score_sheet_versions WHERE contest_id = $1 AND round_id = $2 AND entry_id = $3 AND judge_id = $4"
        " ORDER BY version",
        contest_id,
        round_id,
        entry_id,
        judge_id,
    )
    return [to_sheet(r) for r in rows]


async def missing_count(executor: Executor, contest_id: str, round_id: str) -> int:
    value: int = await executor.fetchval(
        "SELECT count(*) FROM assignments a WHERE a.contest_id = $1 AND a.round_id = $2 AND NOT EXISTS"
        " (SELECT 1 FROM score_sheets s WHERE s.contest_id = a.contest_id AND s.round_id = a.round_id"
        " AND s.entry_id = a.entry_id AND s.judge_id = a.judge_id)",
        contest_id,
        round_id,
    )
    return value


async def fingerprint(executor: Executor, contest_id: str, round_id: str) -> str:
    """Identifies the round's current sheets without reading them: each (entry, judge) with its
    version. A version is never reused for a pair (a resubmission or a sheet written after a
    withdrawal takes max + 1 of its history), so equal fingerprints mean equal sheets. Hashed in
    PostgreSQL (the primary key index gives the order), so a cache hit costs the loop one small row."""
    value: str = await executor.fetchval(
        "SELECT count(*) || ':' || coalesce(md5(string_agg(entry_id || '/' || judge_id || '/' || version, ','"
        " ORDER BY entry_id, judge_id)), '') FROM score_sheets WHERE contest_id = $1 AND round_id = $2",
        contest_id,
        round_id,
    )
    return value


async def raw_values(executor: Executor, contest_id: str, round_id: str) -> list[tuple[str, str, str]]:
    """(entry_id, judge_id, scores as JSON text) of every current sheet of the round: the JSON is left
    undecoded so that a worker thread, not the event loop, parses thousands of sheets."""
    rows = await executor.fetch(
        "SELECT entry_id, judge_id, scores::text AS scores FROM score_sheets WHERE contest_id = $1 AND round_id = $2",
        contest_id,
        round_id,
    )
    return [(r["entry_id"], r["judge_id"], r["scores"]) for r in rows]
