"""GetLeaderboard over 1,000 entries × 5 sheets: checks the page and prints how long one call took
(run with -s to see it; wall-clock time is reported, never asserted)."""

from __future__ import annotations

import random
import time

import pytest

from protos.competition.v1 import competition_pb2 as pb
from services.competition.domain.scoring import sheet_score
from services.competition.store.rounds import to_round
from tests.competition.helpers import CRITERIA, admin, entry_message, fresh_service, round_message

ENTRIES, JUDGES, PER_ENTRY = 1000, 25, 5


async def test_leaderboard_of_a_thousand_entries(postgres_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    async with fresh_service(postgres_url) as (stub, service):
        contest = await stub.CreateContest(
            pb.CreateContestRequest(contest=pb.Contest(display_name="scale", year=2024), contest_id="scale"),
            metadata=admin(),
        )
        round_ = await stub.CreateRound(
            pb.CreateRoundRequest(
                parent=contest.name,
                round_id="prelim",
                round=round_message(judges_per_entry=PER_ENTRY, advancement=pb.Advancement(top_n=100)),
            ),
            metadata=admin(),
        )
        await stub.BatchCreateEntries(
            pb.BatchCreateEntriesRequest(
                parent=contest.name,
                requests=[pb.CreateEntryRequest(entry_id=f"e{i:04d}", entry=entry_message()) for i in range(ENTRIES)],
            ),
            metadata=admin(),
        )
        # Judges, assignments and sheets by SQL: this measures reading the leaderboard, not seeding it.
        rng = random.Random(7)
        row = await service.pool.fetchrow("SELECT * FROM rounds WHERE id = 'prelim'")
        assert row is not None
        criteria = to_round(row).domain_criteria()
        await service.pool.executemany(
            "INSERT INTO judges (id, display_name) VALUES ($1, $1)", [(f"j{j:02d}",) for j in range(JUDGES)]
        )
        rows = []
        for i in range(ENTRIES):
            for k in range(PER_ENTRY):
                values = {c.key: float(rng.randint(0, 10)) for c in CRITERIA}
                rows.append((f"e{i:04d}", f"j{(i + k * 5) % JUDGES:02d}", values, sheet_score(criteria, values)))
        await service.pool.executemany(
            "INSERT INTO assignments (contest_id, round_id, entry_id, judge_id) VALUES ('scale', 'prelim', $1, $2)",
            [(e, j) for e, j, _, _ in rows],
        )
        await service.pool.executemany(
            "INSERT INTO score_sheets (contest_id, round_id, entry_id, judge_id, scores, total, version)"
            " VALUES ('scale', 'prelim', $1, $2, $3, $4, 1)",
            rows,
        )
        started = time.perf_counter()
        board = await stub.GetLeaderboard(pb.GetLeaderboardRequest(round=round_.name), metadata=admin())
        elapsed = time.perf_counter() - started
        assert board.total_entries == ENTRIES
        assert len(board.rows) == 50
        assert sum(r.within_cut for r in board.rows) == 50
        with capsys.disabled():
            print(f"\nGetLeaderboard, {ENTRIES} entries × {PER_ENTRY} sheets, 1000 resamples: {elapsed * 1000:.0f} ms")
