"""AIP-163 ``validate_only`` on the create RPCs: every check runs, nothing is written, and the answer
is what would be created."""

from __future__ import annotations

from typing import Any

import grpc

from protos.competition.v1 import competition_pb2 as pb
from services.common.server import RunningService
from tests.competition.helpers import (
    admin,
    contest_message,
    entry_message,
    expect_error,
    judge_message,
    round_message,
    slug,
)

TABLES = ("contests", "rounds", "entries", "judges", "audit_log", "idempotency_keys")


async def snapshot(service: RunningService) -> dict[str, int]:
    return {t: await service.pool.fetchval(f"SELECT count(*) FROM {t}") for t in TABLES}


async def test_create_judge_validate_only_previews_and_writes_nothing(
    competition_service: RunningService, competition_stub: Any
) -> None:
    before = await snapshot(competition_service)
    judge_id = slug("j")
    preview = await competition_stub.CreateJudge(
        pb.CreateJudgeRequest(judge=judge_message(), judge_id=judge_id, validate_only=True, request_id=slug("r")),
        metadata=admin(),
    )
    assert preview.name == f"judges/{judge_id}" and preview.display_name == judge_message().display_name
    assert preview.etag and preview.create_time.seconds > 0
    assert await snapshot(competition_service) == before
    await expect_error(
        competition_stub.GetJudge(pb.GetJudgeRequest(name=preview.name), metadata=admin()), grpc.StatusCode.NOT_FOUND
    )
    # The same rules as a real create: a bad field, or a taken id.
    _, _, violations = await expect_error(
        competition_stub.CreateJudge(
            pb.CreateJudgeRequest(judge=judge_message(display_name=""), judge_id=judge_id, validate_only=True),
            metadata=admin(),
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert [f for f, _ in violations] == ["judge.display_name"]
    created = await competition_stub.CreateJudge(
        pb.CreateJudgeRequest(judge=judge_message(), judge_id=judge_id), metadata=admin()
    )
    assert created.name == preview.name
    reason, _, _ = await expect_error(
        competition_stub.CreateJudge(
            pb.CreateJudgeRequest(judge=judge_message(), judge_id=judge_id, validate_only=True), metadata=admin()
        ),
        grpc.StatusCode.ALREADY_EXISTS,
    )
    assert reason == "JUDGE_EXISTS"


async def test_contest_round_and_entries_validate_only(
    competition_service: RunningService, competition_stub: Any
) -> None:
    stub = competition_stub
    contest_id = slug("c")
    before = await snapshot(competition_service)
    preview = await stub.CreateContest(
        pb.CreateContestRequest(contest=contest_message(), contest_id=contest_id, validate_only=True), metadata=admin()
    )
    assert preview.name == f"contests/{contest_id}"
    _, _, violations = await expect_error(
        stub.CreateContest(
            pb.CreateContestRequest(
                contest=contest_message(judges=["judges/nobody-here"]), contest_id=contest_id, validate_only=True
            ),
            metadata=admin(),
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert violations[0][0] == "contest.judges[0]"
    assert await snapshot(competition_service) == before

    contest = await stub.CreateContest(
        pb.CreateContestRequest(contest=contest_message(), contest_id=contest_id), metadata=admin()
    )
    before = await snapshot(competition_service)
    round_preview = await stub.CreateRound(
        pb.CreateRoundRequest(parent=contest.name, round=round_message(), round_id="prelim", validate_only=True),
        metadata=admin(),
    )
    assert round_preview.name == f"{contest.name}/rounds/prelim"
    assert round_preview.sequence == 1 and round_preview.state == pb.ROUND_STATE_DRAFT
    entry = await stub.CreateEntry(
        pb.CreateEntryRequest(parent=contest.name, entry=entry_message(), entry_id="e1", validate_only=True),
        metadata=admin(),
    )
    assert entry.name == f"{contest.name}/entries/e1"
    batch = await stub.BatchCreateEntries(
        pb.BatchCreateEntriesRequest(
            parent=contest.name,
            requests=[pb.CreateEntryRequest(entry=entry_message(), entry_id=f"e{i}") for i in range(3)],
            validate_only=True,
        ),
        metadata=admin(),
    )
    assert [e.name.rsplit("/", 1)[1] for e in batch.entries] == ["e0", "e1", "e2"]
    assert await snapshot(competition_service) == before

    await stub.CreateEntry(
        pb.CreateEntryRequest(parent=contest.name, entry=entry_message(), entry_id="e1"), metadata=admin()
    )
    reason, _, _ = await expect_error(
        stub.BatchCreateEntries(
            pb.BatchCreateEntriesRequest(
                parent=contest.name,
                requests=[pb.CreateEntryRequest(entry=entry_message(), entry_id=f"e{i}") for i in range(3)],
                validate_only=True,
            ),
            metadata=admin(),
        ),
        grpc.StatusCode.ALREADY_EXISTS,
    )
    assert reason == "ENTRY_EXISTS"
    _, _, violations = await expect_error(
        stub.BatchCreateEntries(
            pb.BatchCreateEntriesRequest(
                parent=contest.name,
                requests=[pb.CreateEntryRequest(entry=entry_message(), entry_id="e7", validate_only=True)],
            ),
            metadata=admin(),
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert violations == [("requests[0].validate_only", "is set on the batch, not per entry")]
