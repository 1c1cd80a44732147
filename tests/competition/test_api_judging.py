"""Conflicts, assignments, score sheets and judging progress over real gRPC."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from google.protobuf.field_mask_pb2 import FieldMask

from protos.competition.v1 import competition_pb2 as pb
from services.common.server import RunningService
from tests.competition.helpers import (
    Contest,
    admin,
    assigned_pairs,
    count,
    entry_message,
    expect_error,
    fresh_service,
    judge_auth,
    make_contest,
    scores,
    viewer,
)
from tests.support import auth


async def opened(stub: Any, **options: Any) -> tuple[Contest, list[tuple[str, str]]]:
    """A contest whose first round is auto-assigned and OPEN, with its (judge_id, entry) pairs."""
    c = await make_contest(stub, **options)
    await stub.AutoAssign(pb.AutoAssignRequest(round=c.round.name), metadata=admin())
    await stub.OpenRound(pb.OpenRoundRequest(name=c.round.name), metadata=admin())
    return c, await assigned_pairs(stub, c.round.name)


async def sheet_counts(service: RunningService, c: Contest) -> tuple[int, int]:
    return (
        await count(service, "score_sheets", "contest_id = $1", c.id),
        await count(service, "score_sheet_versions", "contest_id = $1", c.id),
    )


# --- conflicts and assignment -------------------------------------------------------------------


async def test_auto_assign_covers_every_entry_without_conflicts(competition_stub: Any) -> None:
    # Judge 0 is affiliated with entry 0's organisation ("Org N Ltd." spelled differently).
    c = await make_contest(competition_stub, entries=6, judges=4)
    org = c.entries[0].team.organisations[0]
    await competition_stub.UpdateJudge(
        pb.UpdateJudgeRequest(
            judge=pb.Judge(name=c.judges[0].name, etag=c.judges[0].etag, affiliations=[org.upper().replace(".", "")]),
            update_mask=FieldMask(paths=["affiliations"]),
        ),
        metadata=admin(),
    )
    result = await competition_stub.AutoAssign(pb.AutoAssignRequest(round=c.round.name), metadata=admin())
    assert (result.assignments_added, result.assignments_total) == (18, 18)
    assert not result.shortfalls
    assert result.load_ceiling >= 5
    pairs = await assigned_pairs(competition_stub, c.round.name)
    assert (c.judge_id(0), c.entries[0].name) not in pairs
    per_entry = {e.name: sum(1 for _, n in pairs if n == e.name) for e in c.entries}
    assert set(per_entry.values()) == {3}
    conflicts = await competition_stub.ListConflicts(pb.ListConflictsRequest(parent=c.contest.name), metadata=admin())
    assert [(x.judge, x.entry, x.source) for x in conflicts.conflicts] == [
        (c.judges[0].name, c.entries[0].name, pb.CONFLICT_SOURCE_AFFILIATION)
    ]
    # Deterministic and idempotent: a second run adds nothing.
    again = await competition_stub.AutoAssign(pb.AutoAssignRequest(round=c.round.name), metadata=admin())
    assert (again.assignments_added, again.assignments_total) == (0, 18)


async def test_auto_assign_reports_shortfalls(postgres_url: str) -> None:
    async with fresh_service(postgres_url) as (stub, _):
        c = await make_contest(stub, entries=2, judges=2)
        result = await stub.AutoAssign(pb.AutoAssignRequest(round=c.round.name), metadata=admin())
    assert result.assignments_added == 4
    assert sorted(s.entry for s in result.shortfalls) == sorted(e.name for e in c.entries)
    assert all((s.assigned, s.required) == (2, 3) and "only 2 judges" in s.reason for s in result.shortfalls)


async def set_panel(stub: Any, c: Contest, judges: list[str]) -> pb.Contest:
    current = await stub.GetContest(pb.GetContestRequest(name=c.contest.name), metadata=admin())
    updated: pb.Contest = await stub.UpdateContest(
        pb.UpdateContestRequest(
            contest=pb.Contest(name=current.name, etag=current.etag, judges=judges),
            update_mask=FieldMask(paths=["judges"]),
        ),
        metadata=admin(),
    )
    return updated


async def test_auto_assign_draws_only_from_the_contest_panel(postgres_url: str) -> None:
    async with fresh_service(postgres_url) as (stub, _):
        # Two contests in one database, three judges each (k = 3); judge 0 of the second works for an
        # organisation of the first's entry 0.
        first = await make_contest(stub, entries=4, judges=3, panel=False)
        org = first.entries[0].team.organisations[0]
        second = await make_contest(
            stub, entries=4, judges=3, judge_affiliations=[[org], ["Uni B1"], ["Uni B2"]], panel=False
        )
        listed = await stub.ListConflicts(pb.ListConflictsRequest(parent=first.contest.name), metadata=admin())
        assert [c.judge for c in listed.conflicts] == [second.judges[0].name]  # empty panel: every judge
        for c in (first, second):
            await set_panel(stub, c, [j.name for j in c.judges])
        for c in (first, second):
            result = await stub.AutoAssign(pb.AutoAssignRequest(round=c.round.name), metadata=admin())
            assert (result.assignments_added, len(result.shortfalls)) == (12, 0)
            pairs = await assigned_pairs(stub, c.round.name)
            assert {judge for judge, _ in pairs} == {c.judge_id(i) for i in range(3)}
        listed = await stub.ListConflicts(pb.ListConflictsRequest(parent=first.contest.name), metadata=admin())
        assert list(listed.conflicts) == []
        # An empty panel still means every judge: two entries × 3 judges spread over all six.
        third = await make_contest(stub, entries=2, judges=0, panel=False)
        await stub.AutoAssign(pb.AutoAssignRequest(round=third.round.name), metadata=admin())
        everyone = {j.name.removeprefix("judges/") for j in [*first.judges, *second.judges]}
        assert {judge for judge, _ in await assigned_pairs(stub, third.round.name)} == everyone


async def test_manual_assignment_of_a_judge_off_the_panel_is_refused(
    competition_stub: Any, competition_service: RunningService
) -> None:
    c = await make_contest(competition_stub, entries=1, judges=2)
    await set_panel(competition_stub, c, [c.judges[0].name])
    before = await count(competition_service, "assignments", "contest_id = $1", c.id)
    reason, metadata, _ = await expect_error(
        competition_stub.CreateAssignment(
            pb.CreateAssignmentRequest(round=c.round.name, judge=c.judges[1].name, entry=c.entries[0].name),
            metadata=admin(),
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
    )
    assert reason == "JUDGE_NOT_ON_PANEL"
    assert metadata["judge"] == c.judges[1].name
    assert await count(competition_service, "assignments", "contest_id = $1", c.id) == before
    created = await competition_stub.CreateAssignment(
        pb.CreateAssignmentRequest(round=c.round.name, judge=c.judges[0].name, entry=c.entries[0].name),
        metadata=admin(),
    )
    assert created.judge == c.judges[0].name


async def test_manual_assignment_refuses_conflicts_and_duplicates(
    competition_stub: Any, competition_service: RunningService
) -> None:
    c = await make_contest(competition_stub, entries=2, judges=2)
    request = pb.CreateAssignmentRequest(round=c.round.name, judge=c.judges[0].name, entry=c.entries[0].name)
    created = await competition_stub.CreateAssignment(request, metadata=admin())
    assert (created.judge, created.entry, created.submitted) == (c.judges[0].name, c.entries[0].name, False)
    reason, _, _ = await expect_error(
        competition_stub.CreateAssignment(request, metadata=admin()), grpc.StatusCode.ALREADY_EXISTS
    )
    assert reason == "ASSIGNMENT_EXISTS"
    await competition_stub.DeclareConflict(
        pb.DeclareConflictRequest(entry=c.entries[1].name, judge=c.judges[1].name, reason="former student"),
        metadata=admin(),
    )
    before = await count(competition_service, "assignments", "contest_id = $1", c.id)
    reason, metadata, _ = await expect_error(
        competition_stub.CreateAssignment(
            pb.CreateAssignmentRequest(round=c.round.name, judge=c.judges[1].name, entry=c.entries[1].name),
            metadata=admin(),
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
    )
    assert reason == "CONFLICT_OF_INTEREST"
    assert metadata["judge"] == c.judges[1].name
    assert await count(competition_service, "assignments", "contest_id = $1", c.id) == before
    await competition_stub.DeleteAssignment(
        pb.DeleteAssignmentRequest(round=c.round.name, judge=c.judges[0].name, entry=c.entries[0].name),
        metadata=admin(),
    )
    await expect_error(
        competition_stub.DeleteAssignment(
            pb.DeleteAssignmentRequest(round=c.round.name, judge=c.judges[0].name, entry=c.entries[0].name),
            metadata=admin(),
        ),
        grpc.StatusCode.NOT_FOUND,
    )
    _, _, violations = await expect_error(
        competition_stub.CreateAssignment(
            pb.CreateAssignmentRequest(round=c.round.name, judge="judge-x", entry="contests/other/entries/e0"),
            metadata=admin(),
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert {f for f, _ in violations} == {"judge", "entry"}
    await expect_error(
        competition_stub.CreateAssignment(request, metadata=judge_auth(c.judge_id(0))),
        grpc.StatusCode.PERMISSION_DENIED,
    )


async def test_declared_conflict_withdraws_the_assignment_and_blocks_the_judge(
    competition_stub: Any, competition_service: RunningService
) -> None:
    c, pairs = await opened(competition_stub, entries=3, judges=3)
    judge_id, entry = pairs[0]
    await competition_stub.SubmitScoreSheet(
        pb.SubmitScoreSheetRequest(round=c.round.name, entry=entry, scores=scores()), metadata=judge_auth(judge_id)
    )
    conflict = await competition_stub.DeclareConflict(
        pb.DeclareConflictRequest(entry=entry, reason="我曾是该团队顾问"), metadata=judge_auth(judge_id)
    )
    assert conflict.source == pb.CONFLICT_SOURCE_DECLARED_BY_JUDGE
    assert conflict.declared_by == judge_id
    assert (judge_id, entry) not in await assigned_pairs(competition_stub, c.round.name)
    # The sheet leaves the aggregation; its history stays.
    assert await sheet_counts(competition_service, c) == (0, 1)
    progress = await competition_stub.GetJudgingProgress(
        pb.GetJudgingProgressRequest(round=c.round.name), metadata=admin()
    )
    row = next(e for e in progress.entries if e.entry == entry)
    assert (row.expected, row.coverage_shortfall) == (2, 1)
    reason, _, _ = await expect_error(
        competition_stub.SubmitScoreSheet(
            pb.SubmitScoreSheetRequest(round=c.round.name, entry=entry, scores=scores()), metadata=judge_auth(judge_id)
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
    )
    assert reason == "CONFLICT_OF_INTEREST"
    assert await sheet_counts(competition_service, c) == (0, 1)
    # A judge declares only their own conflicts, and sees only their own.
    other = next(j for j, _ in pairs if j != judge_id)
    await expect_error(
        competition_stub.DeclareConflict(
            pb.DeclareConflictRequest(entry=entry, judge=f"judges/{other}", reason="x"), metadata=judge_auth(judge_id)
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    mine = await competition_stub.ListConflicts(
        pb.ListConflictsRequest(parent=c.contest.name), metadata=judge_auth(other)
    )
    assert list(mine.conflicts) == []
    await expect_error(
        competition_stub.ListConflicts(
            pb.ListConflictsRequest(parent=c.contest.name, judge=f"judges/{judge_id}"), metadata=judge_auth(other)
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    reason, _, _ = await expect_error(
        competition_stub.DeclareConflict(
            pb.DeclareConflictRequest(entry=entry, reason="again"), metadata=judge_auth(judge_id)
        ),
        grpc.StatusCode.ALREADY_EXISTS,
    )
    _, _, violations = await expect_error(
        competition_stub.DeclareConflict(pb.DeclareConflictRequest(entry=entry, reason=" "), metadata=admin()),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert {f for f, _ in violations} == {"reason", "judge"}


async def test_new_affiliation_withdraws_assignments_it_conflicts_with(competition_stub: Any) -> None:
    c, pairs = await opened(competition_stub, entries=2, judges=3)
    judge_id, entry = pairs[0]
    judge = await competition_stub.GetJudge(pb.GetJudgeRequest(name=f"judges/{judge_id}"), metadata=admin())
    organisation = next(e for e in c.entries if e.name == entry).team.organisations[0]
    await competition_stub.UpdateJudge(
        pb.UpdateJudgeRequest(
            judge=pb.Judge(name=judge.name, etag=judge.etag, affiliations=[organisation]),
            update_mask=FieldMask(paths=["affiliations"]),
        ),
        metadata=admin(),
    )
    assert (judge_id, entry) not in await assigned_pairs(competition_stub, c.round.name)


async def test_assignments_need_the_previous_round_finalized(competition_stub: Any) -> None:
    c = await make_contest(competition_stub, entries=1, judges=1)
    semi = await competition_stub.CreateRound(
        pb.CreateRoundRequest(
            parent=c.contest.name, round=pb.Round(**{**_round_fields(c.round), "kind": pb.ROUND_KIND_SEMIFINAL})
        ),
        metadata=admin(),
    )
    reason, _, _ = await expect_error(
        competition_stub.AutoAssign(pb.AutoAssignRequest(round=semi.name), metadata=admin()),
        grpc.StatusCode.FAILED_PRECONDITION,
    )
    assert reason == "PREVIOUS_ROUND_NOT_FINALIZED"


def _round_fields(round_: pb.Round) -> dict[str, Any]:
    return {
        "display_name": "复赛",
        "criteria": list(round_.criteria),
        "judges_per_entry": round_.judges_per_entry,
        "advancement": round_.advancement,
    }


# --- score sheets -------------------------------------------------------------------------------


async def test_submit_and_resubmit_keep_history(competition_stub: Any, competition_service: RunningService) -> None:
    c, pairs = await opened(competition_stub, entries=2, judges=3)
    judge_id, entry = pairs[0]
    first = await competition_stub.SubmitScoreSheet(
        pb.SubmitScoreSheetRequest(round=c.round.name, entry=entry, scores=scores(10, 10, 10, 10), comment="很好"),
        metadata=judge_auth(judge_id),
    )
    assert (first.version, first.total, first.judge) == (1, pytest.approx(100.0), f"judges/{judge_id}")
    assert [s.criterion for s in first.scores] == ["technology", "industrialisation", "team", "landing"]
    second = await competition_stub.SubmitScoreSheet(
        pb.SubmitScoreSheetRequest(round=c.round.name, entry=entry, scores=scores(5, 5, 5, 5)),
        metadata=judge_auth(judge_id),
    )
    assert (second.version, second.total) == (2, pytest.approx(50.0))
    history = await competition_stub.GetScoreSheetHistory(
        pb.GetScoreSheetHistoryRequest(round=c.round.name, entry=entry), metadata=judge_auth(judge_id)
    )
    assert [(v.version, v.total, v.comment) for v in history.versions] == [(1, 100.0, "很好"), (2, 50.0, "")]
    assert await sheet_counts(competition_service, c) == (1, 2)
    # A retry with the same request_id is the first result, not a third version.
    retry = pb.SubmitScoreSheetRequest(round=c.round.name, entry=entry, scores=scores(6, 6, 6, 6), request_id="r-1")
    third = await competition_stub.SubmitScoreSheet(retry, metadata=judge_auth(judge_id))
    assert await competition_stub.SubmitScoreSheet(retry, metadata=judge_auth(judge_id)) == third
    assert third.version == 3
    assert await sheet_counts(competition_service, c) == (1, 3)


BAD_SHEETS: list[tuple[str, list[Any], str, list[str]]] = [
    ("out of range", scores(technology=11), "SCORE_OUT_OF_RANGE", ["scores[technology]"]),
    ("negative", scores(team=-1), "SCORE_OUT_OF_RANGE", ["scores[team]"]),
    ("off step", scores(technology=7.25, team=6.5), "SCORE_OFF_STEP", ["scores[technology]", "scores[team]"]),
    ("missing criterion", scores()[:3], "MISSING_CRITERION", ["scores[landing]"]),
    (
        "unknown criterion",
        [*scores(), pb.CriterionScore(criterion="luck", value=1)],
        "UNKNOWN_CRITERION",
        ["scores[luck]"],
    ),
    ("given twice", [*scores(), pb.CriterionScore(criterion="team", value=1)], "INVALID_ARGUMENT", ["scores[team]"]),
    ("not finite", scores(landing=float("nan")), "SCORE_NOT_FINITE", ["scores[landing]"]),
]


@pytest.mark.parametrize(("case", "values", "reason", "fields"), BAD_SHEETS, ids=[c[0] for c in BAD_SHEETS])
async def test_bad_sheet_is_invalid_argument_and_writes_nothing(
    competition_stub: Any,
    competition_service: RunningService,
    case: str,
    values: list[Any],
    reason: str,
    fields: list[str],
) -> None:
    c, pairs = await opened(competition_stub, entries=1, judges=3)
    judge_id, entry = pairs[0]
    audit_before = await count(competition_service, "audit_log")
    got, _, violations = await expect_error(
        competition_stub.SubmitScoreSheet(
            pb.SubmitScoreSheetRequest(round=c.round.name, entry=entry, scores=values), metadata=judge_auth(judge_id)
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert got == reason
    assert [f for f, _ in violations] == fields
    assert await sheet_counts(competition_service, c) == (0, 0)
    assert await count(competition_service, "audit_log") == audit_before


async def test_sheets_only_from_assigned_judges_of_an_open_round(
    competition_stub: Any, competition_service: RunningService
) -> None:
    c = await make_contest(competition_stub, entries=2, judges=4)
    await competition_stub.AutoAssign(pb.AutoAssignRequest(round=c.round.name), metadata=admin())
    pairs = await assigned_pairs(competition_stub, c.round.name)
    judge_id, entry = pairs[0]
    request = pb.SubmitScoreSheetRequest(round=c.round.name, entry=entry, scores=scores())
    reason, metadata, _ = await expect_error(
        competition_stub.SubmitScoreSheet(request, metadata=judge_auth(judge_id)), grpc.StatusCode.FAILED_PRECONDITION
    )
    assert (reason, metadata["state"]) == ("ROUND_NOT_OPEN", "DRAFT")
    await competition_stub.OpenRound(pb.OpenRoundRequest(name=c.round.name), metadata=admin())
    # Another judge's entry: the caller is not assigned to it.
    outsider = next(
        j.name.removeprefix("judges/") for j in c.judges if (j.name.removeprefix("judges/"), entry) not in pairs
    )
    reason, _, _ = await expect_error(
        competition_stub.SubmitScoreSheet(request, metadata=judge_auth(outsider)), grpc.StatusCode.FAILED_PRECONDITION
    )
    assert reason == "NOT_ASSIGNED"
    # A token without a judge record is not assigned either.
    reason, _, _ = await expect_error(
        competition_stub.SubmitScoreSheet(request, metadata=judge_auth("nobody")), grpc.StatusCode.FAILED_PRECONDITION
    )
    assert reason == "NOT_ASSIGNED"
    for metadata_, code in [
        (admin(), grpc.StatusCode.PERMISSION_DENIED),
        (viewer(), grpc.StatusCode.PERMISSION_DENIED),
        ((), grpc.StatusCode.UNAUTHENTICATED),
    ]:
        await expect_error(competition_stub.SubmitScoreSheet(request, metadata=metadata_), code)
    await expect_error(
        competition_stub.SubmitScoreSheet(
            pb.SubmitScoreSheetRequest(round=c.round.name, entry=f"{c.contest.name}/entries/none", scores=scores()),
            metadata=judge_auth(judge_id),
        ),
        grpc.StatusCode.NOT_FOUND,
    )
    _, _, violations = await expect_error(
        competition_stub.SubmitScoreSheet(
            pb.SubmitScoreSheetRequest(round="contests/x", entry="e", scores=scores()), metadata=judge_auth(judge_id)
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert {f for f, _ in violations} == {"round", "entry"}
    assert await sheet_counts(competition_service, c) == (0, 0)
    await competition_stub.CloseRound(
        pb.CloseRoundRequest(name=c.round.name, force=True, reason="test"), metadata=admin()
    )
    reason, metadata, _ = await expect_error(
        competition_stub.SubmitScoreSheet(request, metadata=judge_auth(judge_id)), grpc.StatusCode.FAILED_PRECONDITION
    )
    assert (reason, metadata["state"]) == ("ROUND_NOT_OPEN", "CLOSED")
    assert await sheet_counts(competition_service, c) == (0, 0)


async def test_blind_review_of_sheets(competition_stub: Any) -> None:
    c, pairs = await opened(competition_stub, entries=2, judges=3)
    for judge_id, entry in pairs:
        await competition_stub.SubmitScoreSheet(
            pb.SubmitScoreSheetRequest(round=c.round.name, entry=entry, scores=scores()), metadata=judge_auth(judge_id)
        )
    judge_id = pairs[0][0]
    mine = await competition_stub.ListScoreSheets(
        pb.ListScoreSheetsRequest(round=c.round.name), metadata=judge_auth(judge_id)
    )
    assert {s.judge for s in mine.score_sheets} == {f"judges/{judge_id}"}
    assert len(mine.score_sheets) == sum(1 for j, _ in pairs if j == judge_id)
    other = next(j for j, _ in pairs if j != judge_id)
    reason, _, _ = await expect_error(
        competition_stub.ListScoreSheets(
            pb.ListScoreSheetsRequest(round=c.round.name, judge=f"judges/{other}"), metadata=judge_auth(judge_id)
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    assert reason == "BLIND_REVIEW"
    await expect_error(
        competition_stub.GetScoreSheetHistory(
            pb.GetScoreSheetHistoryRequest(round=c.round.name, entry=pairs[0][1], judge=f"judges/{other}"),
            metadata=judge_auth(judge_id),
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    await expect_error(
        competition_stub.ListScoreSheets(pb.ListScoreSheetsRequest(round=c.round.name), metadata=viewer()),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    everything = await competition_stub.ListScoreSheets(
        pb.ListScoreSheetsRequest(round=c.round.name, page_size=4), metadata=admin()
    )
    rest = await competition_stub.ListScoreSheets(
        pb.ListScoreSheetsRequest(round=c.round.name, page_size=4, page_token=everything.next_page_token),
        metadata=admin(),
    )
    assert len(everything.score_sheets) + len(rest.score_sheets) == len(pairs) == 6
    # Assignments too: a judge sees only their own.
    assignments = await competition_stub.ListAssignments(
        pb.ListAssignmentsRequest(round=c.round.name), metadata=judge_auth(judge_id)
    )
    assert {a.judge for a in assignments.assignments} == {f"judges/{judge_id}"}
    assert all(a.submitted for a in assignments.assignments)
    # Once finalized, every reader sees every sheet.
    await competition_stub.CloseRound(pb.CloseRoundRequest(name=c.round.name), metadata=admin())
    await competition_stub.FinalizeRound(pb.FinalizeRoundRequest(name=c.round.name), metadata=admin())
    published = await competition_stub.ListScoreSheets(pb.ListScoreSheetsRequest(round=c.round.name), metadata=viewer())
    assert len(published.score_sheets) == 6


async def test_judging_progress_for_admin_and_judge(postgres_url: str) -> None:
    async with fresh_service(postgres_url) as (stub, _):
        await _progress_checks(stub)


async def _progress_checks(competition_stub: Any) -> None:
    c, pairs = await opened(competition_stub, entries=2, judges=3)
    judge_id, entry = pairs[0]
    await competition_stub.SubmitScoreSheet(
        pb.SubmitScoreSheetRequest(round=c.round.name, entry=entry, scores=scores()), metadata=judge_auth(judge_id)
    )
    full = await competition_stub.GetJudgingProgress(pb.GetJudgingProgressRequest(round=c.round.name), metadata=admin())
    assert (full.expected, full.submitted, full.ratio) == (6, 1, pytest.approx(1 / 6))
    assert len(full.judges) == 3 and len(full.entries) == 2
    assert sum(e.missing for e in full.entries) == 5
    assert all(e.coverage_shortfall == 0 for e in full.entries)
    own = await competition_stub.GetJudgingProgress(
        pb.GetJudgingProgressRequest(round=c.round.name), metadata=judge_auth(judge_id)
    )
    assert [(j.judge, j.expected, j.submitted, j.missing) for j in own.judges] == [(f"judges/{judge_id}", 2, 1, 1)]
    assert list(own.entries) == []
    assert (own.expected, own.submitted) == (2, 1)
    await expect_error(
        competition_stub.GetJudgingProgress(pb.GetJudgingProgressRequest(round=c.round.name), metadata=auth("x", "y")),
        grpc.StatusCode.PERMISSION_DENIED,
    )


async def test_entry_of_another_contest_cannot_be_scored(competition_stub: Any) -> None:
    c, pairs = await opened(competition_stub, entries=1, judges=3)
    other = await make_contest(competition_stub, entries=1, judges=0)
    _, _, violations = await expect_error(
        competition_stub.SubmitScoreSheet(
            pb.SubmitScoreSheetRequest(round=c.round.name, entry=other.entries[0].name, scores=scores()),
            metadata=judge_auth(pairs[0][0]),
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert [f for f, _ in violations] == ["entry"]
    assert entry_message().title
