"""Landing records of the landing pool, their history, and the pool itself (SQL only).

The landing pool is derived, never copied: a contest's pool follows its awards and advancement as
recorded in ``round_results`` by FinalizeRound.

- AWARDED: entries with an award tier in the results of the contest's FINAL-kind round (the last
  one by sequence, should there be several).
- FINALISTS: entries that took part in that final round: those ADVANCED from the round preceding
  it by sequence, or every entry of the contest when the final round is the first.

A contest without a FINAL-kind round has an empty pool either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import asyncpg

from services.common.errors import not_found
from services.common.sql import Connection, Executor
from services.competition.domain.landing import LandingStage, LandingTargets


def pool_query(contest_condition: str = "true") -> str:
    """SELECT (contest_id, entry_id) of the landing pool of the contests ``c`` matching the
    condition (e.g. ``c.id = $1``). Each entry appears at most once."""
    final_round = (
        "JOIN LATERAL (SELECT r.id, r.sequence FROM rounds r WHERE r.contest_id = c.id AND r.kind = 'FINAL'"
        " ORDER BY r.sequence DESC LIMIT 1) f ON true"
    )
    return f"""
        SELECT c.id AS contest_id, rr.entry_id
          FROM contests c
          {final_round}
          JOIN round_results rr ON rr.contest_id = c.id AND rr.round_id = f.id
         WHERE c.landing_pool = 'AWARDED' AND rr.award_tier IS NOT NULL AND rr.award_tier <> ''
           AND ({contest_condition})
        UNION ALL
        SELECT c.id AS contest_id, e.id AS entry_id
          FROM contests c
          {final_round}
          LEFT JOIN LATERAL (SELECT p.id FROM rounds p WHERE p.contest_id = c.id AND p.sequence < f.sequence
                              ORDER BY p.sequence DESC LIMIT 1) previous ON true
          JOIN entries e ON e.contest_id = c.id
         WHERE c.landing_pool = 'FINALISTS' AND ({contest_condition})
           AND (previous.id IS NULL OR EXISTS (
                 SELECT 1 FROM round_results rr
                  WHERE rr.contest_id = c.id AND rr.round_id = previous.id AND rr.entry_id = e.id
                    AND rr.outcome = 'ADVANCED'))
    """


@dataclass(frozen=True)
class Company:
    display_name: str
    credit_code: str
    registration_date: date
    registered_capital_wan_cny: float


@dataclass(frozen=True)
class Landing:
    """The landing of one entry; ``stage`` None means the entry has no record yet."""

    contest_id: str
    entry_id: str
    stage: LandingStage | None
    agreement_date: date | None = None
    company: Company | None = None
    drop_reason: str = ""
    update_time: datetime | None = None


@dataclass(frozen=True)
class Move:
    """A validated move: the target stage and the details it records."""

    target: LandingStage
    agreement_date: date | None = None
    company: Company | None = None
    drop_reason: str = ""


DETAIL_COLUMNS = (
    "stage, agreement_date, company_name, credit_code, registration_date, registered_capital_wan_cny,"
    " drop_reason, update_time"
)
COLUMNS = f"contest_id, entry_id, {DETAIL_COLUMNS}"


def to_landing(row: asyncpg.Record | dict[str, Any], contest_id: str, entry_id: str) -> Landing:
    if row["stage"] is None:
        return Landing(contest_id, entry_id, None)
    company = None
    if row["company_name"] is not None:
        company = Company(
            display_name=row["company_name"],
            credit_code=row["credit_code"],
            registration_date=row["registration_date"],
            registered_capital_wan_cny=row["registered_capital_wan_cny"],
        )
    return Landing(
        contest_id=contest_id,
        entry_id=entry_id,
        stage=LandingStage(row["stage"]),
        agreement_date=row["agreement_date"],
        company=company,
        drop_reason=row["drop_reason"],
        update_time=row["update_time"],
    )


async def contest_targets(connection: Executor, contest_id: str) -> LandingTargets:
    row = await connection.fetchrow(
        "SELECT min_landed_entries, min_landing_ratio, landing_deadline FROM contests WHERE id = $1", contest_id
    )
    if row is None:
        raise not_found("contest", f"contests/{contest_id}")
    return LandingTargets(
        min_landed=row["min_landed_entries"], min_rate=row["min_landing_ratio"], deadline=row["landing_deadline"]
    )


async def ensure_entry(connection: Executor, contest_id: str, entry_id: str) -> None:
    """NOT_FOUND for an unknown contest, then for an unknown entry of a known contest."""
    row = await connection.fetchrow(
        "SELECT EXISTS (SELECT 1 FROM contests WHERE id = $1) AS contest,"
        " EXISTS (SELECT 1 FROM entries WHERE contest_id = $1 AND id = $2) AS entry",
        contest_id,
        entry_id,
    )
    assert row is not None
    if not row["contest"]:
        raise not_found("contest", f"contests/{contest_id}")
    if not row["entry"]:
        raise not_found("entry", f"contests/{contest_id}/entries/{entry_id}")


async def in_pool(connection: Executor, contest_id: str, entry_id: str) -> bool:
    found: bool = await connection.fetchval(
        f"SELECT EXISTS (SELECT 1 FROM ({pool_query('c.id = $1')}) pool WHERE pool.entry_id = $2)",
        contest_id,
        entry_id,
    )
    return found


async def get(executor: Executor, contest_id: str, entry_id: str) -> Landing:
    return await _get(executor, contest_id, entry_id, "")


async def lock_for_transition(connection: Connection, contest_id: str, entry_id: str) -> Landing:
    """The entry's landing record locked against a concurrent move (no record: nothing to lock; a
    concurrent creation is caught by the insert, see ``apply``)."""
    return await _get(connection, contest_id, entry_id, " FOR UPDATE")


async def _get(connection: Executor, contest_id: str, entry_id: str, lock: str) -> Landing:
    row = await connection.fetchrow(
        f"SELECT {COLUMNS} FROM landings WHERE contest_id = $1 AND entry_id = $2{lock}", contest_id, entry_id
    )
    if row is None:
        return Landing(contest_id, entry_id, None)
    return to_landing(row, contest_id, entry_id)


async def _record_event(
    connection: Connection,
    landing: Landing,
    from_stage: LandingStage | None,
    to_stage: LandingStage,
    actor: str,
    note: str,
) -> None:
    await connection.execute(
        "INSERT INTO landing_events (contest_id, entry_id, from_stage, to_stage, actor, note)"
        " VALUES ($1, $2, $3, $4, $5, $6)",
        landing.contest_id,
        landing.entry_id,
        from_stage.value if from_stage else None,
        to_stage.value,
        actor,
        note,
    )


def _details(move: Move) -> tuple[Any, ...]:
    company = move.company
    return (
        move.agreement_date,
        company.display_name if company else None,
        company.credit_code if company else None,
        company.registration_date if company else None,
        company.registered_capital_wan_cny if company else None,
        move.drop_reason,
    )


async def apply(connection: Connection, current: Landing, move: Move, actor: str, note: str) -> Landing | None:
    """Create or move the (locked) record and write its history, in the caller's transaction.

    Returns None when the record was created concurrently by someone else (the caller expected no
    record): the caller reports a stage mismatch rather than overwriting it.
    """
    if current.stage is None:
        row = await connection.fetchrow(
            "INSERT INTO landings (contest_id, entry_id, stage, agreement_date, company_name, credit_code,"
            " registration_date, registered_capital_wan_cny, drop_reason)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
            f" ON CONFLICT (contest_id, entry_id) DO NOTHING RETURNING {COLUMNS}",
            current.contest_id,
            current.entry_id,
            move.target.value,
            *_details(move),
        )
        if row is None:
            return None
    else:
        # Details of earlier stages stay: a registered landing keeps its agreement date.
        row = await connection.fetchrow(
            "UPDATE landings SET stage = $3,"
            " agreement_date = COALESCE($4, agreement_date),"
            " company_name = COALESCE($5, company_name),"
            " credit_code = COALESCE($6, credit_code),"
            " registration_date = COALESCE($7, registration_date),"
            " registered_capital_wan_cny = COALESCE($8, registered_capital_wan_cny),"
            " drop_reason = CASE WHEN $9 = '' THEN drop_reason ELSE $9 END,"
            " version = version + 1, update_time = clock_timestamp()"
            f" WHERE contest_id = $1 AND entry_id = $2 RETURNING {COLUMNS}",
            current.contest_id,
            current.entry_id,
            move.target.value,
            *_details(move),
        )
        assert row is not None, "the caller holds the row lock"
    await _record_event(connection, current, current.stage, move.target, actor, note)
    return to_landing(row, current.contest_id, current.entry_id)


async def list_page(
    pool: asyncpg.Pool, contest_id: str, stage: LandingStage | None, after: list[Any] | None, limit: int
) -> tuple[list[Landing], list[Any] | None]:
    """The pool entries of a contest with their landings (stage None: no record yet), by entry id."""
    after_entry = str(after[0]) if after else None
    rows = await pool.fetch(
        f"WITH pool AS ({pool_query('c.id = $1')})"
        f" SELECT pool.entry_id AS pool_entry, {DETAIL_COLUMNS}"
        " FROM pool LEFT JOIN landings l ON l.contest_id = pool.contest_id AND l.entry_id = pool.entry_id"
        " WHERE ($2::text IS NULL OR l.stage = $2) AND ($3::text IS NULL OR pool.entry_id > $3)"
        " ORDER BY pool.entry_id LIMIT $4",
        contest_id,
        stage.value if stage else None,
        after_entry,
        limit + 1,
    )
    page = [to_landing(row, contest_id, row["pool_entry"]) for row in rows[:limit]]
    last = [page[-1].entry_id] if len(rows) > limit else None
    return page, last


async def pool_counts(connection: Executor, contest_id: str) -> tuple[int, dict[LandingStage, int]]:
    """(pool size, landing records of pool entries by stage); records of entries that left the pool
    are not counted."""
    rows = await connection.fetch(
        f"WITH pool AS ({pool_query('c.id = $1')})"
        " SELECT l.stage, count(*) AS n FROM pool"
        " LEFT JOIN landings l ON l.contest_id = pool.contest_id AND l.entry_id = pool.entry_id"
        " GROUP BY l.stage",
        contest_id,
    )
    size = sum(row["n"] for row in rows)
    return size, {LandingStage(row["stage"]): row["n"] for row in rows if row["stage"] is not None}
