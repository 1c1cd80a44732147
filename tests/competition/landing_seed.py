"""Seed a contest whose final round is finalized, by SQL, for the landing and monitoring tests.

The landing pool comes from round_results, which FinalizeRound writes. These tests exercise the
landing API and the gauges, so they write the finalized results directly instead of driving a whole
contest through the judging API (the contest scenario test covers that path end to end).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

import asyncpg


@dataclass(frozen=True)
class SeededContest:
    id: str
    entries: list[str]  # entry resource names, in entry-id order
    finalists: list[str]  # advanced from the preliminary round into the final
    awarded: list[str]  # got an award tier in the final

    @property
    def name(self) -> str:
        return f"contests/{self.id}"


def contest_id(prefix: str = "gec") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


async def seed_contest(
    pool: asyncpg.Pool,
    *,
    entries: int = 8,
    finalists: int = 6,
    awarded: int = 5,
    landing_pool: str = "AWARDED",
    deadline: date | None = None,
    min_landed: int = 5,
    min_ratio: float = 0.6,
    final_round: bool = True,
    prefix: str = "gec",
) -> SeededContest:
    """A contest with a FINALIZED preliminary round (the first ``finalists`` entries ADVANCED) and,
    if ``final_round``, a FINALIZED final round whose first ``awarded`` finalists got an award."""
    assert awarded <= finalists <= entries
    cid = contest_id(prefix)
    ids = [f"e{i:03d}" for i in range(1, entries + 1)]
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute(
            "INSERT INTO contests (id, display_name, year, min_landed_entries, min_landing_ratio, landing_deadline,"
            " landing_pool) VALUES ($1, $2, 2024, $3, $4, $5, $6)",
            cid,
            f"Global Elite Competition {cid}",
            min_landed,
            min_ratio,
            deadline,
            landing_pool,
        )
        rounds = [("prelim", "PRELIMINARY", 1)] + ([("final", "FINAL", 2)] if final_round else [])
        await connection.executemany(
            "INSERT INTO rounds (contest_id, id, display_name, kind, sequence, state, criteria)"
            " VALUES ($1, $2, $3, $4, $5, 'FINALIZED', '[]'::jsonb)",
            [(cid, rid, rid.title(), kind, sequence) for rid, kind, sequence in rounds],
        )
        await connection.executemany(
            "INSERT INTO entries (contest_id, id, title, domain) VALUES ($1, $2, $3, 'DIGITAL_ECONOMY')",
            [(cid, eid, f"Project {eid}") for eid in ids],
        )
        await connection.executemany(
            "INSERT INTO round_results (contest_id, round_id, entry_id, rank, score, outcome)"
            " VALUES ($1, 'prelim', $2, $3, $4, $5)",
            [
                (cid, eid, rank, 90.0 - rank, "ADVANCED" if rank <= finalists else "ELIMINATED")
                for rank, eid in enumerate(ids, 1)
            ],
        )
        if final_round:
            await connection.executemany(
                "INSERT INTO round_results (contest_id, round_id, entry_id, rank, score, outcome, award_tier)"
                " VALUES ($1, 'final', $2, $3, $4, 'ELIMINATED', $5)",
                [
                    (cid, eid, rank, 95.0 - rank, None if rank > awarded else "FIRST" if rank == 1 else "EXCELLENCE")
                    for rank, eid in enumerate(ids[:finalists], 1)
                ],
            )
    names = [f"contests/{cid}/entries/{eid}" for eid in ids]
    return SeededContest(cid, names, names[:finalists], names[:awarded])


async def seed_open_round(
    pool: asyncpg.Pool,
    contest: str,
    *,
    round_id: str = "semi",
    sequence: int = 5,
    judges: int = 3,
    entries: int = 4,
    submitted: int = 5,
    deadline: datetime | None = None,
) -> None:
    """An OPEN round of ``contest`` (an existing contest id) where each of ``judges`` judges is
    assigned each of the first ``entries`` entries, and ``submitted`` of those sheets are in."""
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute(
            "INSERT INTO rounds (contest_id, id, display_name, kind, sequence, state, criteria, judging_deadline)"
            " VALUES ($1, $2, $3, 'SEMIFINAL', $4, 'OPEN', '[]'::jsonb, $5)",
            contest,
            round_id,
            round_id.title(),
            sequence,
            deadline,
        )
        judge_ids = [f"{contest}-j{i}" for i in range(1, judges + 1)]
        await connection.executemany(
            "INSERT INTO judges (id, display_name) VALUES ($1, $2)", [(j, f"Judge {j}") for j in judge_ids]
        )
        entry_ids = [
            r["id"] for r in await connection.fetch("SELECT id FROM entries WHERE contest_id = $1 ORDER BY id", contest)
        ][:entries]
        pairs = [(e, j) for e in entry_ids for j in judge_ids]
        await connection.executemany(
            "INSERT INTO assignments (contest_id, round_id, entry_id, judge_id) VALUES ($1, $2, $3, $4)",
            [(contest, round_id, e, j) for e, j in pairs],
        )
        await connection.executemany(
            "INSERT INTO score_sheets (contest_id, round_id, entry_id, judge_id, scores, total, version)"
            " VALUES ($1, $2, $3, $4, '{}'::jsonb, 80, 1)",
            [(contest, round_id, e, j) for e, j in pairs[:submitted]],
        )
