"""Judging progress of a round, counted in PostgreSQL (GROUP BY over the assignments and their
sheets), a page of judges and a page of entries at a time.

Indexes: per judge, ``assignments_judge_idx`` (contest_id, round_id, judge_id); per entry, the
assignments primary key (contest_id, round_id, entry_id, judge_id); the sheet of an assignment, the
score_sheets primary key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

import asyncpg

from services.competition.domain.models import Round
from services.competition.domain.stages import RoundState
from services.competition.store import rounds as round_store

Executor: TypeAlias = asyncpg.Connection | asyncpg.Pool

_COUNTED = (
    "FROM assignments a LEFT JOIN score_sheets s ON s.contest_id = a.contest_id AND s.round_id = a.round_id"
    " AND s.entry_id = a.entry_id AND s.judge_id = a.judge_id WHERE a.contest_id = $1 AND a.round_id = $2"
)


@dataclass(frozen=True)
class Count:
    key: str
    expected: int
    submitted: int


async def totals(executor: Executor, contest_id: str, round_id: str, judge_id: str | None = None) -> Count:
    """Sheets expected (assignments) and submitted in the round, or of one judge."""
    judge = " AND a.judge_id = $3" if judge_id is not None else ""
    row = await executor.fetchrow(
        f"SELECT count(*) AS expected, count(s.judge_id) AS submitted {_COUNTED}{judge}",
        contest_id,
        round_id,
        *([judge_id] if judge_id is not None else []),
    )
    assert row is not None  # an aggregate always returns its row
    return Count("", row["expected"], row["submitted"])


async def judges_page(
    executor: Executor, contest_id: str, round_id: str, after: str | None, limit: int, judge_id: str | None = None
) -> list[Count]:
    """Up to ``limit`` judges with assignments in the round, by id after ``after``, with their counts."""
    rows = await executor.fetch(
        f"SELECT a.judge_id AS key, count(*) AS expected, count(s.judge_id) AS submitted {_COUNTED}"
        " AND a.judge_id > $3 AND ($4::text IS NULL OR a.judge_id = $4)"
        " GROUP BY a.judge_id ORDER BY a.judge_id LIMIT $5",
        contest_id,
        round_id,
        after or "",
        judge_id,
        limit,
    )
    return [Count(r["key"], r["expected"], r["submitted"]) for r in rows]


async def entries_page(executor: Executor, current: Round, after: str | None, limit: int) -> list[Count]:
    """Up to ``limit`` entries of the round (see :func:`~.rounds.entry_ids`) or with assignments in it,
    by id after ``after``, with their counts (0 for an entry nobody is assigned to)."""
    extra: list[str] = []
    if current.state is RoundState.FINALIZED:
        members = "SELECT entry_id FROM round_results WHERE contest_id = $1 AND round_id = $2"
    else:
        before = await round_store.previous(executor, current)
        if before is None:
            members = "SELECT id FROM entries WHERE contest_id = $1"
        else:
            members = (
                "SELECT entry_id FROM round_results WHERE contest_id = $1 AND round_id = $5 AND outcome = 'ADVANCED'"
            )
            extra = [before.id]
    rows = await executor.fetch(
        f"WITH counted AS (SELECT a.entry_id, count(*) AS expected, count(s.judge_id) AS submitted {_COUNTED}"
        " AND a.entry_id > $3 GROUP BY a.entry_id),"
        f" members AS (SELECT m.entry_id FROM ({members}) AS m(entry_id) WHERE m.entry_id > $3"
        " UNION SELECT entry_id FROM counted)"
        " SELECT m.entry_id AS key, coalesce(c.expected, 0) AS expected, coalesce(c.submitted, 0) AS submitted"
        " FROM members m LEFT JOIN counted c USING (entry_id) ORDER BY m.entry_id LIMIT $4",
        current.contest_id,
        current.id,
        after or "",
        limit,
        *extra,
    )
    return [Count(r["key"], r["expected"], r["submitted"]) for r in rows]
