"""Frozen leaderboards and round results (outcomes, awards), written once by FinalizeRound."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from services.common.sql import Connection, Executor
from services.competition.domain.models import Award
from services.competition.domain.results import FrozenScalar, RoundResult


@dataclass(frozen=True)
class Snapshot:
    method: str
    rows: list[dict[str, FrozenScalar]]
    digest: str
    bootstrap_resamples: int


async def save(
    connection: Connection,
    contest_id: str,
    round_id: str,
    method: str,
    rows: Sequence[dict[str, FrozenScalar]],
    digest: str,
    results: Sequence[RoundResult],
    bootstrap_resamples: int,
) -> None:
    await connection.execute(
        "INSERT INTO leaderboard_snapshots (contest_id, round_id, method, rows, digest, bootstrap_resamples)"
        " VALUES ($1, $2, $3, $4, $5, $6)",
        contest_id,
        round_id,
        method,
        list(rows),
        digest,
        bootstrap_resamples,
    )
    await connection.execute(
        "INSERT INTO round_results (contest_id, round_id, entry_id, rank, score, outcome, award_tier)"
        " SELECT $1, $2, r.entry_id, r.rank, r.score, r.outcome, r.award_tier"
        " FROM unnest($3::text[], $4::int[], $5::float8[], $6::text[], $7::text[])"
        " AS r(entry_id, rank, score, outcome, award_tier)",
        contest_id,
        round_id,
        [r.entry_id for r in results],
        [r.rank for r in results],
        [r.score for r in results],
        [r.outcome.value for r in results],
        [r.award_tier for r in results],
    )


async def snapshot(executor: Executor, contest_id: str, round_id: str) -> Snapshot | None:
    row = await executor.fetchrow(
        "SELECT method, rows, digest, bootstrap_resamples FROM leaderboard_snapshots"
        " WHERE contest_id = $1 AND round_id = $2",
        contest_id,
        round_id,
    )
    return Snapshot(row["method"], row["rows"], row["digest"], row["bootstrap_resamples"]) if row else None


async def outcomes(executor: Executor, contest_id: str, round_id: str) -> dict[str, str]:
    rows = await executor.fetch(
        "SELECT entry_id, outcome FROM round_results WHERE contest_id = $1 AND round_id = $2", contest_id, round_id
    )
    return {r["entry_id"]: r["outcome"] for r in rows}


async def awards(executor: Executor, contest_id: str) -> list[Award]:
    rows = await executor.fetch(
        "SELECT rr.contest_id, rr.round_id, rr.entry_id, e.title, rr.award_tier AS tier, rr.rank"
        " FROM round_results rr JOIN entries e ON e.contest_id = rr.contest_id AND e.id = rr.entry_id"
        " WHERE rr.contest_id = $1 AND rr.award_tier IS NOT NULL ORDER BY rr.rank, rr.entry_id",
        contest_id,
    )
    return [Award(**dict(r)) for r in rows]
