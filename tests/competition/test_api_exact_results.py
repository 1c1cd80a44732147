"""Exact scores over real servers: ties share a rank and the cut, award tiers by shared rank,
half-up display of the exact value, and entries without sheets on the leaderboards.

The tied entries below score exactly 48 on the helper's criteria (weights 30/30/20/20, steps 0.5 and
1), from different sheets with the same per-criterion means: float arithmetic used to make one of them
47.99999999999999 and split the tie (issue 9).
"""

from __future__ import annotations

from typing import Any

import pytest

from protos.competition.v1 import competition_pb2 as pb
from services.competition.domain.ranking import leaderboard_digest
from tests.competition.helpers import (
    Contest,
    admin,
    assigned_pairs,
    digest_row,
    judge_auth,
    make_contest,
    round_message,
    scores,
    viewer,
)

Rows = list[tuple[float, float, float, float]]

# One row per judge (sorted by judge id): technology, industrialisation, team, landing.
TIED_A: Rows = [(1.5, 6.0, 8, 7), (5.0, 2.0, 3, 1), (4.0, 7.5, 7, 7)]
TIED_B: Rows = [(1.5, 2.0, 8, 1), (4.0, 6.0, 7, 7), (5.0, 7.5, 3, 7)]
TOP: Rows = [(10, 10, 10, 10)] * 3
HIGH: Rows = [(9, 9, 9, 9)] * 3
LOW: Rows = [(1, 1, 1, 1)] * 3

FINAL_TIERS = [
    pb.AwardTier(tier="FIRST", display_name="一等奖", count=1),
    pb.AwardTier(tier="SECOND", display_name="二等奖", count=1),
    pb.AwardTier(tier="THIRD", display_name="三等奖", count=1),
]


def short(name: str) -> str:
    return name.rsplit("/", 1)[1]


async def judged(stub: Any, rows_by_entry: list[Rows | None], **round_fields: Any) -> Contest:
    """An OPEN round whose entry i is scored by every judge with ``rows_by_entry[i]`` (row k by the k-th
    judge in id order); None leaves the entry without any sheet."""
    judges = max(len(rows) for rows in rows_by_entry if rows)
    c = await make_contest(
        stub,
        entries=len(rows_by_entry),
        judges=judges,
        round_=round_message(judges_per_entry=judges, **round_fields),
    )
    await stub.AutoAssign(pb.AutoAssignRequest(round=c.round.name), metadata=admin())
    await stub.OpenRound(pb.OpenRoundRequest(name=c.round.name), metadata=admin())
    judge_ids = sorted(c.judge_id(i) for i in range(judges))
    for judge_id, entry in await assigned_pairs(stub, c.round.name):
        rows = rows_by_entry[int(short(entry).removeprefix("e"))]
        if rows is None:
            continue
        values = rows[judge_ids.index(judge_id)]
        criteria = [s.criterion for s in scores()]
        await stub.SubmitScoreSheet(
            pb.SubmitScoreSheetRequest(
                round=c.round.name,
                entry=entry,
                scores=[pb.CriterionScore(criterion=k, value=v) for k, v in zip(criteria, values, strict=True)],
            ),
            metadata=judge_auth(judge_id),
        )
    return c


async def finalize(stub: Any, c: Contest) -> pb.Leaderboard:
    await stub.CloseRound(pb.CloseRoundRequest(name=c.round.name, force=True, reason="test"), metadata=admin())
    finalized = await stub.FinalizeRound(pb.FinalizeRoundRequest(name=c.round.name), metadata=admin())
    board: pb.Leaderboard = await stub.GetLeaderboard(pb.GetLeaderboardRequest(round=c.round.name), metadata=viewer())
    assert board.frozen and board.digest == finalized.leaderboard_digest
    assert leaderboard_digest([digest_row(r) for r in board.rows]) == board.digest
    return board


def table(board: pb.Leaderboard) -> list[tuple[int, str, str]]:
    return [(r.rank, short(r.entry), r.display_score) for r in board.rows]


async def test_equal_exact_scores_share_a_rank_and_the_cut(competition_stub: Any) -> None:
    c = await judged(competition_stub, [TIED_A, TIED_B, LOW], advancement=pb.Advancement(top_n=1))
    live = await competition_stub.GetLeaderboard(pb.GetLeaderboardRequest(round=c.round.name), metadata=admin())
    assert table(live) == [(1, "e0", "48.00"), (1, "e1", "48.00"), (3, "e2", "10.00")]
    assert live.rows[0].score == live.rows[1].score == 48.0
    # Tied at the cut (top 1): both advance.
    assert [r.within_cut for r in live.rows] == [True, True, False]
    frozen = await finalize(competition_stub, c)
    assert table(frozen) == table(live)
    assert [r.outcome for r in frozen.rows] == [pb.OUTCOME_ADVANCED, pb.OUTCOME_ADVANCED, pb.OUTCOME_ELIMINATED]


async def test_min_score_compares_the_exact_score(competition_stub: Any) -> None:
    c = await judged(competition_stub, [TIED_A, TIED_B, LOW], advancement=pb.Advancement(min_score=48))
    frozen = await finalize(competition_stub, c)
    assert [(short(r.entry), r.outcome) for r in frozen.rows] == [
        ("e0", pb.OUTCOME_ADVANCED),
        ("e1", pb.OUTCOME_ADVANCED),
        ("e2", pb.OUTCOME_ELIMINATED),
    ]


async def awards_of(stub: Any, c: Contest) -> list[tuple[str, str, int]]:
    listed = await stub.ListAwards(pb.ListAwardsRequest(parent=c.contest.name), metadata=viewer())
    return [(short(a.entry), a.tier, a.rank) for a in listed.awards]


async def test_a_tie_across_a_tier_boundary_shares_the_better_tier(competition_stub: Any) -> None:
    """Ranks 1, 2, 2, 4 under FIRST×1, SECOND×1, THIRD×1: the tier follows the shared rank, so two
    SECOND and no THIRD (rank 4 is past the last awarded position)."""
    final = {"kind": pb.ROUND_KIND_FINAL, "advancement": None, "award_tiers": FINAL_TIERS}
    c = await judged(competition_stub, [TOP, TIED_A, TIED_B, LOW], **final)
    frozen = await finalize(competition_stub, c)
    assert [(r.rank, short(r.entry), r.award_tier, r.outcome) for r in frozen.rows] == [
        (1, "e0", "FIRST", pb.OUTCOME_ADVANCED),
        (2, "e1", "SECOND", pb.OUTCOME_ADVANCED),
        (2, "e2", "SECOND", pb.OUTCOME_ADVANCED),
        (4, "e3", "", pb.OUTCOME_ELIMINATED),
    ]
    assert await awards_of(competition_stub, c) == [("e0", "FIRST", 1), ("e1", "SECOND", 2), ("e2", "SECOND", 2)]


async def test_a_tie_straddling_the_last_tier_is_awarded_in_full(competition_stub: Any) -> None:
    """Ranks 1, 2, 3, 3: both entries tied at the last awarded position get the last tier."""
    final = {"kind": pb.ROUND_KIND_FINAL, "advancement": None, "award_tiers": FINAL_TIERS}
    c = await judged(competition_stub, [TOP, HIGH, TIED_A, TIED_B, LOW], **final)
    frozen = await finalize(competition_stub, c)
    assert [(r.rank, short(r.entry), r.award_tier, r.within_cut) for r in frozen.rows] == [
        (1, "e0", "FIRST", True),
        (2, "e1", "SECOND", True),
        (3, "e2", "THIRD", True),
        (3, "e3", "THIRD", True),
        (5, "e4", "", False),
    ]
    assert await awards_of(competition_stub, c) == [
        ("e0", "FIRST", 1),
        ("e1", "SECOND", 2),
        ("e2", "THIRD", 3),
        ("e3", "THIRD", 3),
    ]


async def test_display_rounds_the_exact_score_half_up(competition_stub: Any) -> None:
    """15.02 and 15.03 average to exactly 15.025, which floats made 15.024999999999999 (shown 15.02)."""
    overall = [pb.Criterion(key="overall", display_name="总分", weight=1, min_value=0, max_value=100, step=0.01)]
    c = await make_contest(
        competition_stub,
        entries=1,
        judges=2,
        round_=round_message(criteria=overall, judges_per_entry=2, advancement=pb.Advancement(top_n=1)),
    )
    await competition_stub.AutoAssign(pb.AutoAssignRequest(round=c.round.name), metadata=admin())
    await competition_stub.OpenRound(pb.OpenRoundRequest(name=c.round.name), metadata=admin())
    for (judge_id, entry), value in zip(
        sorted(await assigned_pairs(competition_stub, c.round.name)), (15.02, 15.03), strict=True
    ):
        await competition_stub.SubmitScoreSheet(
            pb.SubmitScoreSheetRequest(
                round=c.round.name, entry=entry, scores=[pb.CriterionScore(criterion="overall", value=value)]
            ),
            metadata=judge_auth(judge_id),
        )
    live = await competition_stub.GetLeaderboard(pb.GetLeaderboardRequest(round=c.round.name), metadata=admin())
    assert [r.display_score for r in live.rows] == ["15.03"]
    assert live.rows[0].score == pytest.approx(15.025, abs=1e-12)
    frozen = await finalize(competition_stub, c)
    assert [r.display_score for r in frozen.rows] == ["15.03"]


async def test_an_entry_without_sheets_is_on_both_leaderboards_last_and_eliminated(competition_stub: Any) -> None:
    # Top 5 of 4 entries: the cut would take everyone, but an entry nobody scored has no score.
    c = await judged(competition_stub, [None, HIGH, LOW, None], advancement=pb.Advancement(top_n=5))
    live = await competition_stub.GetLeaderboard(pb.GetLeaderboardRequest(round=c.round.name), metadata=admin())
    expected = [(1, "e1", "90.00"), (2, "e2", "10.00"), (3, "e0", ""), (3, "e3", "")]
    assert table(live) == expected
    assert live.total_entries == 4
    assert [(r.sheet_count, r.within_cut, bool(r.note)) for r in live.rows] == [
        (3, True, False),
        (3, True, False),
        (0, False, True),
        (0, False, True),
    ]
    assert "no score sheet" in live.rows[2].note
    frozen = await finalize(competition_stub, c)
    assert table(frozen) == expected
    assert [r.outcome for r in frozen.rows] == [pb.OUTCOME_ADVANCED, pb.OUTCOME_ADVANCED] + [pb.OUTCOME_ELIMINATED] * 2
    assert [r.sheet_count for r in frozen.rows] == [3, 3, 0, 0]
    entry = await competition_stub.GetEntry(pb.GetEntryRequest(name=c.entries[0].name), metadata=viewer())
    assert (entry.last_round, entry.last_outcome) == (c.round.name, "ELIMINATED")
