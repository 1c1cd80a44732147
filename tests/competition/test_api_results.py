"""Leaderboards, closing and finalizing rounds, awards and judge diagnostics over real gRPC."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from google.protobuf.field_mask_pb2 import FieldMask

from protos.competition.v1 import competition_pb2 as pb
from services.common.server import RunningService
from services.competition.domain.models import AwardTier
from services.competition.domain.ranking import leaderboard_digest
from services.competition.domain.results import award_for_rank
from tests.competition.helpers import (
    Contest,
    admin,
    assigned_pairs,
    count,
    digest_row,
    expect_error,
    fresh_service,
    judge_auth,
    make_contest,
    round_message,
    scores,
    viewer,
)


async def scored(stub: Any, **options: Any) -> tuple[Contest, list[tuple[str, str]]]:
    """An OPEN round where entry i scores 2i+2 on every criterion from every judge (e3 > e2 > …)."""
    c = await make_contest(stub, **options)
    await stub.AutoAssign(pb.AutoAssignRequest(round=c.round.name), metadata=admin())
    await stub.OpenRound(pb.OpenRoundRequest(name=c.round.name), metadata=admin())
    pairs = await assigned_pairs(stub, c.round.name)
    for judge_id, entry in pairs:
        value = 2 * int(entry.rsplit("/e", 1)[1]) + 2
        await stub.SubmitScoreSheet(
            pb.SubmitScoreSheetRequest(round=c.round.name, entry=entry, scores=scores(value, value, value, value)),
            metadata=judge_auth(judge_id),
        )
    return c, pairs


async def test_live_leaderboard_ranks_pages_and_is_for_admins_only(competition_stub: Any) -> None:
    c, _ = await scored(competition_stub, entries=4, judges=3)
    board = await competition_stub.GetLeaderboard(
        pb.GetLeaderboardRequest(round=c.round.name, page_size=3), metadata=admin()
    )
    assert not board.frozen and board.digest == ""
    assert board.total_entries == 4
    assert board.bootstrap_resamples == 1000
    assert [(r.rank, r.entry.rsplit("/", 1)[1], r.display_score) for r in board.rows] == [
        (1, "e3", "80.00"),
        (2, "e2", "60.00"),
        (3, "e1", "40.00"),
    ]
    assert [r.within_cut for r in board.rows] == [True, True, False]
    assert [r.robustness for r in board.rows] == [1.0, 1.0, 0.0]
    assert all(r.sheet_count == 3 and r.spread == 0 and not r.method_sensitive for r in board.rows)
    assert all(r.outcome == pb.OUTCOME_UNSPECIFIED for r in board.rows)
    rest = await competition_stub.GetLeaderboard(
        pb.GetLeaderboardRequest(round=c.round.name, page_size=3, page_token=board.next_page_token), metadata=admin()
    )
    assert [r.entry.rsplit("/", 1)[1] for r in rest.rows] == ["e0"]
    assert rest.next_page_token == ""
    zscore = await competition_stub.GetLeaderboard(
        pb.GetLeaderboardRequest(round=c.round.name, method=pb.AGGREGATION_METHOD_ZSCORE), metadata=admin()
    )
    assert zscore.method == pb.AGGREGATION_METHOD_ZSCORE
    assert [r.entry for r in zscore.rows] == [r.entry for r in [*board.rows, *rest.rows]]
    for metadata in (viewer(), judge_auth("anyone")):
        reason, _, _ = await expect_error(
            competition_stub.GetLeaderboard(pb.GetLeaderboardRequest(round=c.round.name), metadata=metadata),
            grpc.StatusCode.PERMISSION_DENIED,
        )
        assert reason == "BLIND_REVIEW"
    unknown_method: Any = 7
    await expect_error(
        competition_stub.GetLeaderboard(
            pb.GetLeaderboardRequest(round=c.round.name, method=unknown_method), metadata=admin()
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )


async def test_live_leaderboard_follows_a_resubmitted_sheet(competition_stub: Any) -> None:
    """Live leaderboards are reused while the sheets stay the same; a changed sheet must show at once."""
    c, pairs = await scored(competition_stub, entries=3, judges=3)
    request = pb.GetLeaderboardRequest(round=c.round.name)
    first = await competition_stub.GetLeaderboard(request, metadata=admin())
    again = await competition_stub.GetLeaderboard(request, metadata=admin())
    assert again == first
    assert [r.entry.rsplit("/", 1)[1] for r in first.rows] == ["e2", "e1", "e0"]
    # Every judge of e0 now gives it full marks: it must lead at once.
    for judge_id, entry in pairs:
        if entry.endswith("/e0"):
            await competition_stub.SubmitScoreSheet(
                pb.SubmitScoreSheetRequest(round=c.round.name, entry=entry, scores=scores(10, 10, 10, 10)),
                metadata=judge_auth(judge_id),
            )
    after = await competition_stub.GetLeaderboard(request, metadata=admin())
    leader = after.rows[0]
    assert (leader.entry.rsplit("/", 1)[1], leader.display_score) == ("e0", "100.00")


async def test_close_refuses_missing_sheets_unless_forced_with_a_reason(
    competition_stub: Any, competition_service: RunningService
) -> None:
    c = await make_contest(competition_stub, entries=2, judges=3)
    await competition_stub.AutoAssign(pb.AutoAssignRequest(round=c.round.name), metadata=admin())
    await competition_stub.OpenRound(pb.OpenRoundRequest(name=c.round.name), metadata=admin())
    judge_id, entry = (await assigned_pairs(competition_stub, c.round.name))[0]
    await competition_stub.SubmitScoreSheet(
        pb.SubmitScoreSheetRequest(round=c.round.name, entry=entry, scores=scores()), metadata=judge_auth(judge_id)
    )
    reason, metadata, _ = await expect_error(
        competition_stub.CloseRound(pb.CloseRoundRequest(name=c.round.name), metadata=admin()),
        grpc.StatusCode.FAILED_PRECONDITION,
    )
    assert (reason, metadata["missing"]) == ("SHEETS_MISSING", "5")
    reason, _, violations = await expect_error(
        competition_stub.CloseRound(pb.CloseRoundRequest(name=c.round.name, force=True, reason=" "), metadata=admin()),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert reason == "REASON_REQUIRED"
    assert [f for f, _ in violations] == ["reason"]
    round_ = await competition_stub.GetRound(pb.GetRoundRequest(name=c.round.name), metadata=admin())
    assert round_.state == pb.ROUND_STATE_OPEN
    closed = await competition_stub.CloseRound(
        pb.CloseRoundRequest(name=c.round.name, force=True, reason="两位评委因病缺席"), metadata=admin()
    )
    assert closed.state == pb.ROUND_STATE_CLOSED
    assert closed.force_close_reason == "两位评委因病缺席"
    logged = await competition_service.pool.fetchval(
        "SELECT payload FROM audit_log WHERE action = 'round.closed' AND payload LIKE $1", f'%"{c.id}"%'
    )
    assert '"forced":true' in logged and '"missing_sheets":5' in logged


async def test_finalize_freezes_a_reproducible_leaderboard_and_the_round(
    competition_stub: Any, competition_service: RunningService
) -> None:
    c, pairs = await scored(competition_stub, entries=4, judges=3)
    reason, _, _ = await expect_error(
        competition_stub.FinalizeRound(pb.FinalizeRoundRequest(name=c.round.name), metadata=admin()),
        grpc.StatusCode.FAILED_PRECONDITION,
    )
    assert reason == "TRANSITION_NOT_ALLOWED"
    await competition_stub.CloseRound(pb.CloseRoundRequest(name=c.round.name), metadata=admin())
    live = await competition_stub.GetLeaderboard(pb.GetLeaderboardRequest(round=c.round.name), metadata=admin())
    finalized = await competition_stub.FinalizeRound(pb.FinalizeRoundRequest(name=c.round.name), metadata=admin())
    assert finalized.state == pb.ROUND_STATE_FINALIZED
    assert len(finalized.leaderboard_digest) == 64

    first = await competition_stub.GetLeaderboard(pb.GetLeaderboardRequest(round=c.round.name), metadata=viewer())
    second = await competition_stub.GetLeaderboard(
        pb.GetLeaderboardRequest(round=c.round.name, method=pb.AGGREGATION_METHOD_ZSCORE), metadata=admin()
    )
    assert first.frozen and first.digest == finalized.leaderboard_digest
    assert list(first.rows) == list(second.rows)
    assert second.method == pb.AGGREGATION_METHOD_MEAN
    assert leaderboard_digest([digest_row(r) for r in first.rows]) == first.digest
    assert [r.score for r in first.rows] == [r.score for r in live.rows]
    assert [(r.entry.rsplit("/", 1)[1], r.outcome) for r in first.rows] == [
        ("e3", pb.OUTCOME_ADVANCED),
        ("e2", pb.OUTCOME_ADVANCED),
        ("e1", pb.OUTCOME_ELIMINATED),
        ("e0", pb.OUTCOME_ELIMINATED),
    ]
    entry = await competition_stub.GetEntry(pb.GetEntryRequest(name=c.entries[3].name), metadata=viewer())
    assert (entry.last_round, entry.last_outcome) == (c.round.name, "ADVANCED")

    # A FINALIZED round never changes.
    tables = ("score_sheets", "score_sheet_versions", "assignments", "round_results", "audit_log")
    before = [await count(competition_service, t) for t in tables]
    judge_id, entry_name = pairs[0]
    writes = [
        competition_stub.SubmitScoreSheet(
            pb.SubmitScoreSheetRequest(round=c.round.name, entry=entry_name, scores=scores()),
            metadata=judge_auth(judge_id),
        ),
        competition_stub.AutoAssign(pb.AutoAssignRequest(round=c.round.name), metadata=admin()),
        competition_stub.DeleteAssignment(
            pb.DeleteAssignmentRequest(round=c.round.name, judge=f"judges/{judge_id}", entry=entry_name),
            metadata=admin(),
        ),
        competition_stub.CreateAssignment(
            pb.CreateAssignmentRequest(round=c.round.name, judge=c.judges[0].name, entry=c.entries[0].name),
            metadata=admin(),
        ),
        competition_stub.UpdateRound(
            pb.UpdateRoundRequest(
                round=pb.Round(name=c.round.name, etag=finalized.etag, display_name="x"),
                update_mask=FieldMask(paths=["display_name"]),
            ),
            metadata=admin(),
        ),
        competition_stub.CloseRound(pb.CloseRoundRequest(name=c.round.name), metadata=admin()),
        competition_stub.FinalizeRound(pb.FinalizeRoundRequest(name=c.round.name), metadata=admin()),
        competition_stub.OpenRound(pb.OpenRoundRequest(name=c.round.name), metadata=admin()),
    ]
    for write in writes:
        reason, _, _ = await expect_error(write, grpc.StatusCode.FAILED_PRECONDITION)
        assert reason == "ROUND_FINALIZED"
    assert [await count(competition_service, t) for t in tables] == before


async def test_final_round_records_awards(competition_stub: Any) -> None:
    final = round_message(
        kind=pb.ROUND_KIND_FINAL,
        advancement=None,
        award_tiers=[
            pb.AwardTier(tier="FIRST", display_name="一等奖", count=1),
            pb.AwardTier(tier="SECOND", display_name="二等奖", count=1),
            pb.AwardTier(tier="EXCELLENCE", display_name="优胜奖", count=1),
        ],
    )
    c, _ = await scored(competition_stub, entries=4, judges=3, round_=final)
    await competition_stub.CloseRound(pb.CloseRoundRequest(name=c.round.name), metadata=admin())
    await competition_stub.FinalizeRound(pb.FinalizeRoundRequest(name=c.round.name), metadata=admin())
    awards = await competition_stub.ListAwards(pb.ListAwardsRequest(parent=c.contest.name), metadata=viewer())
    assert [(a.entry.rsplit("/", 1)[1], a.tier, a.rank, a.round) for a in awards.awards] == [
        ("e3", "FIRST", 1, c.round.name),
        ("e2", "SECOND", 2, c.round.name),
        ("e1", "EXCELLENCE", 3, c.round.name),
    ]
    board = await competition_stub.GetLeaderboard(pb.GetLeaderboardRequest(round=c.round.name), metadata=viewer())
    assert [(r.award_tier, r.outcome, r.within_cut) for r in board.rows] == [
        ("FIRST", pb.OUTCOME_ADVANCED, True),
        ("SECOND", pb.OUTCOME_ADVANCED, True),
        ("EXCELLENCE", pb.OUTCOME_ADVANCED, True),
        ("", pb.OUTCOME_ELIMINATED, False),
    ]
    await expect_error(
        competition_stub.ListAwards(pb.ListAwardsRequest(parent="contests/none-such"), metadata=viewer()),
        grpc.StatusCode.NOT_FOUND,
    )


def test_award_tiers_never_split_a_tie() -> None:
    tiers = [AwardTier(tier="FIRST", display_name="", count=1), AwardTier(tier="SECOND", display_name="", count=2)]
    # Competition ranks 1, 1, 3, 3, 5: a tie at a boundary takes the better tier; a tie at the last
    # awarded position is awarded in full.
    assert [award_for_rank(r, tiers) for r in (1, 1, 3, 3, 5)] == ["FIRST", "FIRST", "SECOND", "SECOND", None]
    assert [award_for_rank(r, tiers) for r in (1, 2, 2, 2)] == ["FIRST", "SECOND", "SECOND", "SECOND"]


async def test_judge_diagnostics_show_a_harsh_judge(postgres_url: str) -> None:
    async with fresh_service(postgres_url) as (stub, _):
        c = await make_contest(stub, entries=4, judges=3)
        await stub.AutoAssign(pb.AutoAssignRequest(round=c.round.name), metadata=admin())
        await stub.OpenRound(pb.OpenRoundRequest(name=c.round.name), metadata=admin())
        harsh = c.judge_id(0)
        for judge_id, entry in await assigned_pairs(stub, c.round.name):
            value = 2 * int(entry.rsplit("/e", 1)[1]) + 3 - (2 if judge_id == harsh else 0)
            await stub.SubmitScoreSheet(
                pb.SubmitScoreSheetRequest(round=c.round.name, entry=entry, scores=scores(value, value, value, value)),
                metadata=judge_auth(judge_id),
            )
        diagnostics = await stub.GetJudgeDiagnostics(
            pb.GetJudgeDiagnosticsRequest(round=c.round.name), metadata=admin()
        )
        severity = {j.judge: j.severity for j in diagnostics.judges}
        assert severity[f"judges/{harsh}"] == pytest.approx(-40 / 3)
        assert all(s > 0 for j, s in severity.items() if j != f"judges/{harsh}")
        assert diagnostics.HasField("agreement")
        assert 0 < diagnostics.agreement < 1
        await expect_error(
            stub.GetJudgeDiagnostics(pb.GetJudgeDiagnosticsRequest(round=c.round.name), metadata=viewer()),
            grpc.StatusCode.PERMISSION_DENIED,
        )
        empty = await make_contest(stub, entries=1, judges=0)
        undefined = await stub.GetJudgeDiagnostics(
            pb.GetJudgeDiagnosticsRequest(round=empty.round.name), metadata=admin()
        )
        assert not undefined.HasField("agreement")
        assert list(undefined.judges) == []


async def test_close_and_finalize_need_the_previous_round_finalized(
    competition_stub: Any, competition_service: RunningService
) -> None:
    """A later round that got ahead of its previous one (a row from before the sequence check) is
    neither closed nor finalized: it would freeze a leaderboard of no entries."""
    c = await make_contest(competition_stub, entries=1, judges=1)
    semi = await competition_stub.CreateRound(
        pb.CreateRoundRequest(
            parent=c.contest.name, round_id="semi", round=round_message(kind=pb.ROUND_KIND_SEMIFINAL)
        ),
        metadata=admin(),
    )
    set_state = "UPDATE rounds SET state = $3 WHERE contest_id = $1 AND id = $2"
    await competition_service.pool.execute(set_state, c.id, "semi", "OPEN")
    reason, metadata, _ = await expect_error(
        competition_stub.CloseRound(pb.CloseRoundRequest(name=semi.name, force=True, reason="x"), metadata=admin()),
        grpc.StatusCode.FAILED_PRECONDITION,
    )
    assert (reason, metadata["previous_round"]) == ("PREVIOUS_ROUND_NOT_FINALIZED", c.round.name)
    await competition_service.pool.execute(set_state, c.id, "semi", "CLOSED")
    reason, metadata, _ = await expect_error(
        competition_stub.FinalizeRound(pb.FinalizeRoundRequest(name=semi.name), metadata=admin()),
        grpc.StatusCode.FAILED_PRECONDITION,
    )
    assert (reason, metadata["previous_round"]) == ("PREVIOUS_ROUND_NOT_FINALIZED", c.round.name)
    assert await count(competition_service, "round_results", "contest_id = $1", c.id) == 0
