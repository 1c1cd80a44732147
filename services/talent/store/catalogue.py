"""Programmes and targets (seeded by migrations), and the counts that target progress needs."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import asyncpg

from services.common.errors import not_found
from services.talent.domain.models import Programme, Stage, Target

# Soft-deleted candidates, read through candidates_deleted_idx: excluding these few keeps report
# queries from scanning every live candidate (a join on live candidates slowed as the table grew).
DELETED_CANDIDATES = "SELECT id FROM candidates WHERE delete_time IS NOT NULL"


def to_programme(row: asyncpg.Record) -> Programme:
    return Programme(
        id=row["id"],
        level=row["level"],
        kind=row["kind"],
        title_zh=row["title_zh"],
        title_en=row["title_en"],
        active_years=tuple(row["active_years"]),
    )


async def get_programme(connection: asyncpg.Connection | asyncpg.Pool, programme_id: str) -> Programme:
    row = await connection.fetchrow("SELECT * FROM programmes WHERE id = $1", programme_id)
    if row is None:
        raise not_found("programme", f"programmes/{programme_id}")
    return to_programme(row)


async def list_programmes(
    pool: asyncpg.Pool, level: str | None, after: list[Any] | None, limit: int
) -> tuple[list[Programme], list[Any] | None]:
    rows = await pool.fetch(
        "SELECT * FROM programmes WHERE ($1::text IS NULL OR level = $1) AND ($2::text IS NULL OR id > $2)"
        " ORDER BY id LIMIT $3",
        level,
        after[0] if after else None,
        limit + 1,
    )
    programmes = [to_programme(r) for r in rows[:limit]]
    return programmes, ([programmes[-1].id] if len(rows) > limit else None)


async def targets_with_counts(pool: asyncpg.Pool, year: int | None) -> list[tuple[Target, dict[Stage, int]]]:
    """Every target of ``year`` (all years when None) with its applications counted by stage, in
    one query; applications of soft-deleted candidates do not count.

    The counts are read from application_stage_counts, which triggers keep (migration 0004): the
    cost is that of the targets' few (programme, stage) rows, whatever the number of applications."""
    # Two statements rather than "$1 IS NULL OR year = $1": a prepared statement's generic plan
    # could not use the index for the one-year case.
    of_year = "WHERE t.year = $1" if year is not None else ""
    rows = await pool.fetch(
        "SELECT t.*, c.stage, sum(c.n)::int AS n FROM targets t LEFT JOIN application_stage_counts c"
        "  ON c.year = t.year AND c.programme_id = ANY (t.programme_ids) AND c.n > 0"
        f" {of_year} GROUP BY t.id, c.stage ORDER BY t.year, t.id",
        *([year] if year is not None else []),
    )
    targets: dict[str, Target] = {}
    counts: dict[str, dict[Stage, int]] = defaultdict(dict)
    for row in rows:
        target = targets.get(row["id"])
        if target is None:  # one row per (target, stage): build each target once
            target = targets[row["id"]] = Target(
                id=row["id"],
                year=row["year"],
                slug=row["slug"],
                title_zh=row["title_zh"],
                title_en=row["title_en"],
                required=row["required"],
                programme_ids=tuple(row["programme_ids"]),
            )
        if row["stage"] is not None:
            counts[target.id][Stage(row["stage"])] = row["n"]
    return [(target, counts[target.id]) for target in targets.values()]


async def application_counts(pool: asyncpg.Pool) -> list[tuple[int, str, str, int]]:
    """(year, programme level, stage, count) over live candidates, for the business gauges."""
    rows = await pool.fetch(
        "SELECT a.year, p.level, a.stage, count(*) AS n FROM applications a"
        " JOIN programmes p ON p.id = a.programme_id"
        f" WHERE a.candidate_id NOT IN ({DELETED_CANDIDATES})"
        " GROUP BY a.year, p.level, a.stage"
    )
    return [(r["year"], r["level"], r["stage"], r["n"]) for r in rows]
