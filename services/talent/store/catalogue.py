"""Programmes and targets (seeded by migrations), and the counts that target progress needs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
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


# What a year's target progress depends on, in a form that compares greater for every later state
# (migration 0006 says why it is exact): (epoch, sum of the year's count-row versions).
Validator = tuple[int, int]

_VALIDATOR = (
    "(SELECT epoch FROM target_progress_epoch) AS epoch,"
    " (SELECT coalesce(sum(version), 0)::bigint FROM application_stage_counts WHERE year = $1) AS versions"
)
_TARGETS_WITH_COUNTS = (
    "SELECT t.*, c.stage, sum(c.n)::int AS n FROM targets t LEFT JOIN application_stage_counts c"
    "  ON c.year = t.year AND c.programme_id = ANY (t.programme_ids) AND c.n > 0"
)
# The validator and, unless it equals the one given ($2, $3), the year's targets with their counts:
# one statement, so one snapshot (the two belong together) and one round trip either way. When the
# validator is unchanged the lateral part is not run at all (its filter is a one-time test).
# One row with no target when the year has none or the validator is unchanged.
_VALIDATED_QUERY = (
    f"SELECT v.epoch, v.versions, p.* FROM (SELECT {_VALIDATOR}) v LEFT JOIN LATERAL"
    f" ({_TARGETS_WITH_COUNTS} WHERE t.year = $1 AND (v.epoch, v.versions) IS DISTINCT FROM ($2::bigint, $3::bigint)"
    "  GROUP BY t.id, c.stage) p ON true ORDER BY p.id"
)


async def targets_with_counts(pool: asyncpg.Pool, year: int | None) -> list[tuple[Target, dict[Stage, int]]]:
    """Every target of ``year`` (all years when None) with its applications counted by stage, in
    one query; applications of soft-deleted candidates do not count.

    The counts are read from application_stage_counts, which triggers keep (migration 0004): the
    cost is that of the targets' few (programme, stage) rows, whatever the number of applications."""
    # Two statements rather than "$1 IS NULL OR year = $1": a prepared statement's generic plan
    # could not use the index for the one-year case.
    of_year = "WHERE t.year = $1" if year is not None else ""
    rows = await pool.fetch(
        f"{_TARGETS_WITH_COUNTS} {of_year} GROUP BY t.id, c.stage ORDER BY t.year, t.id",
        *([year] if year is not None else []),
    )
    return _targets(rows)


async def validated_targets_with_counts(
    pool: asyncpg.Pool | asyncpg.Connection, year: int, unless: Validator | None
) -> tuple[Validator, list[tuple[Target, dict[Stage, int]]] | None]:
    """The validator of ``year``'s target progress now and, unless it equals ``unless``, every target
    of ``year`` with its counts as :func:`targets_with_counts` reads them (None when unchanged)."""
    rows = await pool.fetch(_VALIDATED_QUERY, year, *(unless or (None, None)))
    validator = (rows[0][0], rows[0][1])
    if validator == unless:
        return validator, None
    return validator, _targets(r for r in rows if r["id"] is not None)


def _targets(rows: Iterable[asyncpg.Record]) -> list[tuple[Target, dict[Stage, int]]]:
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
