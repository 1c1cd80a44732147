"""A whole contest through the API: 60 entries, 15 judges (some conflicted by affiliation), three
rounds (top 30 → top 12 → awards 1/2/3/6), every sheet submitted concurrently, each round closed and
finalized, the frozen leaderboards reproduced and the audit chain verified.

It prints the SubmitScoreSheet rates it measured (run with -s to see them); it asserts none.
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

import pytest

from protos.competition.v1 import competition_pb2 as pb
from services.competition.domain.ranking import leaderboard_digest
from tests.competition.helpers import (
    CRITERIA,
    admin,
    assigned_pairs,
    digest_row,
    entry_message,
    fresh_service,
    judge_auth,
    judge_message,
    viewer,
)

ENTRIES, JUDGES = 60, 15
DOMAINS = [pb.DOMAIN_LIFE_HEALTH, pb.DOMAIN_NEW_ENERGY_MATERIALS, pb.DOMAIN_DIGITAL_ECONOMY]
STEPS = {c.key: c.step for c in CRITERIA}


def sheet_values(rng: random.Random, quality: float, bias: float) -> list[pb.CriterionScore]:
    """Deterministic pseudo-random values on each criterion's step grid, within 0–10."""
    values = []
    for key, step in STEPS.items():
        raw = quality + bias + rng.gauss(0, 1.2)
        values.append(pb.CriterionScore(criterion=key, value=min(10.0, max(0.0, round(raw / step) * step))))
    return values


async def submit_all(
    stub: Any, round_name: str, pairs: list[tuple[str, str]], quality: dict[str, float], bias: dict[str, float]
) -> list[pb.ScoreSheet]:
    rng = random.Random(round_name)
    requests = [
        (
            judge_id,
            pb.SubmitScoreSheetRequest(
                round=round_name, entry=entry, scores=sheet_values(rng, quality[entry], bias[judge_id])
            ),
        )
        for judge_id, entry in sorted(pairs)
    ]
    return list(await asyncio.gather(*(stub.SubmitScoreSheet(r, metadata=judge_auth(j)) for j, r in requests)))


async def full_leaderboard(stub: Any, round_name: str) -> tuple[pb.Leaderboard, list[pb.LeaderboardRow]]:
    rows: list[pb.LeaderboardRow] = []
    token = ""
    while True:
        page = await stub.GetLeaderboard(
            pb.GetLeaderboardRequest(round=round_name, page_size=25, page_token=token), metadata=viewer()
        )
        rows += page.rows
        token = page.next_page_token
        if not token:
            return page, rows


async def test_a_contest_from_set_up_to_awards(postgres_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    async with fresh_service(postgres_url) as (stub, service):
        contest = await stub.CreateContest(
            pb.CreateContestRequest(
                contest=pb.Contest(display_name="2024 全球精英创新创业大赛", year=2024), contest_id="elite-2024"
            ),
            metadata=admin(),
        )
        rounds = []
        plan: list[tuple[str, Any, dict[str, Any]]] = [
            ("prelim", pb.ROUND_KIND_PRELIMINARY, {"advancement": pb.Advancement(top_n=30)}),
            ("semi", pb.ROUND_KIND_SEMIFINAL, {"advancement": pb.Advancement(top_n=12)}),
            (
                "final",
                pb.ROUND_KIND_FINAL,
                {
                    "award_tiers": [
                        pb.AwardTier(tier="FIRST", display_name="一等奖", count=1),
                        pb.AwardTier(tier="SECOND", display_name="二等奖", count=2),
                        pb.AwardTier(tier="THIRD", display_name="三等奖", count=3),
                        pb.AwardTier(tier="EXCELLENCE", display_name="优胜奖", count=6),
                    ],
                    "aggregation": pb.AGGREGATION_METHOD_TRIMMED_MEAN,
                },
            ),
        ]
        for round_id, kind, extra in plan:
            rounds.append(
                await stub.CreateRound(
                    pb.CreateRoundRequest(
                        parent=contest.name,
                        round_id=round_id,
                        round=pb.Round(display_name=round_id, kind=kind, criteria=CRITERIA, **extra),
                    ),
                    metadata=admin(),
                )
            )
        rng = random.Random(2024)
        batch = await stub.BatchCreateEntries(
            pb.BatchCreateEntriesRequest(
                parent=contest.name,
                requests=[
                    pb.CreateEntryRequest(
                        entry_id=f"p{i:02d}",
                        entry=entry_message(
                            domain=DOMAINS[i % 3],
                            team=pb.Team(
                                leader=pb.TeamMember(display_name=f"负责人 {i}"), organisations=[f"Org {i} Ltd."]
                            ),
                        ),
                    )
                    for i in range(ENTRIES)
                ],
            ),
            metadata=admin(),
        )
        assert len(batch.entries) == ENTRIES
        quality = {e.name: rng.uniform(3, 9) for e in batch.entries}
        bias: dict[str, float] = {}
        for j in range(JUDGES):
            # Judges 0–3 are affiliated with the organisations of entries 0, 5, 10, 15.
            affiliations = [f"ORG {j * 5} LTD"] if j < 4 else [f"University {j}"]
            judge = await stub.CreateJudge(
                pb.CreateJudgeRequest(
                    judge_id=f"judge-{j:02d}",
                    judge=judge_message(domains=[DOMAINS[j % 3]], affiliations=affiliations),
                ),
                metadata=admin(),
            )
            bias[judge.name.removeprefix("judges/")] = rng.uniform(-1, 1)
        conflicts = await stub.ListConflicts(pb.ListConflictsRequest(parent=contest.name), metadata=admin())
        assert len(conflicts.conflicts) == 4

        sequential_rate = concurrent_rate = 0.0
        finalists: list[str] = []
        for position, round_ in enumerate(rounds):
            assigned = await stub.AutoAssign(pb.AutoAssignRequest(round=round_.name), metadata=admin())
            expected_entries = [ENTRIES, 30, 12][position]
            assert assigned.assignments_total == expected_entries * 5
            assert not assigned.shortfalls
            await stub.OpenRound(pb.OpenRoundRequest(name=round_.name), metadata=admin())
            pairs = await assigned_pairs(stub, round_.name)
            assert not {(c.judge.removeprefix("judges/"), c.entry) for c in conflicts.conflicts} & set(pairs)
            if position == 0:
                # A judge declares a conflict after being assigned: the assignment is withdrawn and a
                # second AutoAssign fills the gap with another judge.
                judge_id, entry = pairs[0]
                await stub.DeclareConflict(
                    pb.DeclareConflictRequest(entry=entry, reason="家属在该团队任职"), metadata=judge_auth(judge_id)
                )
                refill = await stub.AutoAssign(pb.AutoAssignRequest(round=round_.name), metadata=admin())
                assert (refill.assignments_added, refill.assignments_total) == (1, ENTRIES * 5)
                pairs = await assigned_pairs(stub, round_.name)
                assert (judge_id, entry) not in pairs
                # The first 100 sheets one at a time, for the sequential rate.
                first, pairs = sorted(pairs)[:100], sorted(pairs)[100:]
                started = time.perf_counter()
                for judge_id, entry in first:
                    await stub.SubmitScoreSheet(
                        pb.SubmitScoreSheetRequest(
                            round=round_.name, entry=entry, scores=sheet_values(rng, quality[entry], bias[judge_id])
                        ),
                        metadata=judge_auth(judge_id),
                    )
                sequential_rate = len(first) / (time.perf_counter() - started)
            started = time.perf_counter()
            sheets = await submit_all(stub, round_.name, pairs, quality, bias)
            if position == 0:
                concurrent_rate = len(sheets) / (time.perf_counter() - started)
            assert all(s.version == 1 for s in sheets)
            progress = await stub.GetJudgingProgress(pb.GetJudgingProgressRequest(round=round_.name), metadata=admin())
            assert (progress.expected, progress.submitted, progress.ratio) == (expected_entries * 5,) * 2 + (1.0,)
            await stub.CloseRound(pb.CloseRoundRequest(name=round_.name), metadata=admin())
            finalized = await stub.FinalizeRound(pb.FinalizeRoundRequest(name=round_.name), metadata=admin())

            page, rows = await full_leaderboard(stub, round_.name)
            _, again = await full_leaderboard(stub, round_.name)
            assert page.frozen and page.digest == finalized.leaderboard_digest
            assert rows == again
            assert leaderboard_digest([digest_row(r) for r in rows]) == finalized.leaderboard_digest
            assert len(rows) == page.total_entries == expected_entries
            advanced = [r.entry for r in rows if r.outcome == pb.OUTCOME_ADVANCED]
            if position < 2:
                assert len(advanced) == [30, 12][position]
                listed: list[str] = []
                token = ""
                while True:
                    page_of = await stub.ListEntries(
                        pb.ListEntriesRequest(parent=contest.name, round=rounds[position + 1].name, page_token=token),
                        metadata=viewer(),
                    )
                    listed += [e.name for e in page_of.entries]
                    token = page_of.next_page_token
                    if not token:
                        break
                assert sorted(listed) == sorted(advanced)
            else:
                finalists = [r.entry for r in rows]

        awards = await stub.ListAwards(pb.ListAwardsRequest(parent=contest.name), metadata=viewer())
        assert len(awards.awards) == 12
        assert sorted(a.entry for a in awards.awards) == sorted(finalists)
        assert [a.tier for a in awards.awards] == ["FIRST"] + ["SECOND"] * 2 + ["THIRD"] * 3 + ["EXCELLENCE"] * 6
        assert [a.rank for a in awards.awards] == list(range(1, 13))
        verdict = await stub.VerifyAuditLog(pb.VerifyAuditLogRequest(), metadata=admin())
        assert verdict.intact
        logged_sheets = await service.pool.fetchval("SELECT count(*) FROM audit_log WHERE action = 'sheet.submitted'")
        assert logged_sheets == (ENTRIES + 30 + 12) * 5
        with capsys.disabled():
            print(
                f"\nSubmitScoreSheet: sequential {sequential_rate:.0f} sheets/s, "
                f"concurrent {concurrent_rate:.0f} sheets/s; audit events {verdict.events_checked}"
            )
