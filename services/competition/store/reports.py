"""Read-only queries behind the competition business gauges: one query per group of families, over
every contest at once (no query per contest or round)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import asyncpg

from services.competition.domain.landing import LandingStage, LandingTargets
from services.competition.store.landing import pool_query


@dataclass
class ContestLanding:
    contest_id: str
    targets: LandingTargets
    pool_size: int = 0
    stage_counts: dict[LandingStage, int] = field(default_factory=dict)


@dataclass(frozen=True)
class RoundJudging:
    contest_id: str
    round_id: str
    state: str
    judging_deadline: datetime | None
    expected_sheets: int
    submitted_sheets: int


async def landing_by_contest(pool: asyncpg.Pool) -> list[ContestLanding]:
    """Every contest with its targets, pool size and the landing records of its pool by stage."""
    rows = await pool.fetch(
        f"WITH pool AS ({pool_query()})"
        " SELECT c.id, c.min_landed_entries, c.min_landing_ratio, c.landing_deadline, l.stage,"
        "        count(pool.entry_id) AS n"
        " FROM contests c"
        " LEFT JOIN pool ON pool.contest_id = c.id"
        " LEFT JOIN landings l ON l.contest_id = pool.contest_id AND l.entry_id = pool.entry_id"
        " GROUP BY c.id, l.stage ORDER BY c.id"
    )
    contests: dict[str, ContestLanding] = {}
    for row in rows:
        contest = contests.get(row["id"])
        if contest is None:
            targets = LandingTargets(
                min_landed=row["min_landed_entries"],
                min_rate=row["min_landing_ratio"],
                deadline=row["landing_deadline"],
            )
            contest = contests[row["id"]] = ContestLanding(row["id"], targets)
        contest.pool_size += row["n"]
        if row["stage"] is not None:
            contest.stage_counts[LandingStage(row["stage"])] = row["n"]
    return list(contests.values())


async def judging_by_round(pool: asyncpg.Pool) -> list[RoundJudging]:
    """Every round: its state and deadline, the sheets its assignments expect and those submitted
    (a sheet counts only while its assignment stands)."""
    rows = await pool.fetch(
        "SELECT r.contest_id, r.id AS round_id, r.state, r.judging_deadline,"
        "       coalesce(a.n, 0) AS expected, coalesce(s.n, 0) AS submitted"
        " FROM rounds r"
        " LEFT JOIN (SELECT contest_id, round_id, count(*) AS n FROM assignments GROUP BY contest_id, round_id) a"
        "   ON a.contest_id = r.contest_id AND a.round_id = r.id"
        " LEFT JOIN (SELECT s.contest_id, s.round_id, count(*) AS n FROM score_sheets s"
        "            JOIN assignments x ON x.contest_id = s.contest_id AND x.round_id = s.round_id"
        "             AND x.entry_id = s.entry_id AND x.judge_id = s.judge_id"
        "            GROUP BY s.contest_id, s.round_id) s"
        "   ON s.contest_id = r.contest_id AND s.round_id = r.id"
        " ORDER BY r.contest_id, r.sequence"
    )
    return [
        RoundJudging(
            contest_id=row["contest_id"],
            round_id=row["round_id"],
            state=row["state"],
            judging_deadline=row["judging_deadline"],
            expected_sheets=row["expected"],
            submitted_sheets=row["submitted"],
        )
        for row in rows
    ]
