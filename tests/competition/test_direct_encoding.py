"""The hot read paths encode rows straight into messages (GetRound, ListAssignments): the messages
must be exactly those of the model-based codec, and a page of assignments costs one statement."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import grpc
import pytest

from protos.competition.v1 import competition_pb2 as pb
from services.common.codec import timestamp
from services.common.server import RunningService
from services.competition.api import codec
from services.competition.store import assignments as assignment_store
from services.competition.store import rounds as round_store
from tests.competition.helpers import admin, expect_error, judge_auth, make_contest, round_message, scores
from tests.competition.test_write_path import LoggedPool


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"advancement": pb.Advancement(min_score=62.5)},
        {"advancement": pb.Advancement(min_score=60)},
        {
            "advancement": None,
            "kind": pb.ROUND_KIND_FINAL,
            "award_tiers": [pb.AwardTier(tier="FIRST", display_name="一等奖", count=1)],
        },
        {
            "aggregation": pb.AGGREGATION_METHOD_TRIMMED_MEAN,
            "judging_deadline": timestamp(datetime(2030, 5, 1, 12, 30, 15, 123456, tzinfo=UTC)),
        },
    ],
)
async def test_get_round_encodes_the_row_as_the_model_codec_does(
    competition_service: RunningService, competition_stub: Any, overrides: dict[str, Any]
) -> None:
    message = round_message(**{k: v for k, v in overrides.items() if v is not None})
    if "advancement" in overrides and overrides["advancement"] is None:
        message.ClearField("advancement")
    c = await make_contest(competition_stub, entries=1, judges=1, round_=message)
    record = await round_store.get_record(competition_service.pool, c.id, "prelim")
    model = await round_store.get(competition_service.pool, c.id, "prelim")
    assert codec.round_record_to_proto(record) == codec.round_to_proto(model)
    got = await competition_stub.GetRound(pb.GetRoundRequest(name=c.round.name), metadata=admin())
    assert got == codec.round_to_proto(model)
    assert got.HasField("advancement") == (model.advancement is not None)
    assert got.HasField("judging_deadline") == (model.judging_deadline is not None)


async def test_a_page_of_assignments_is_one_statement_and_encodes_as_the_models(
    competition_service: RunningService, competition_stub: Any
) -> None:
    c = await make_contest(competition_stub, entries=3, judges=3, round_=round_message(judges_per_entry=3))
    await competition_stub.AutoAssign(pb.AutoAssignRequest(round=c.round.name), metadata=admin())
    await competition_stub.OpenRound(pb.OpenRoundRequest(name=c.round.name), metadata=admin())
    judge_id = c.judge_id(0)
    await competition_stub.SubmitScoreSheet(
        pb.SubmitScoreSheetRequest(round=c.round.name, entry=c.entries[1].name, scores=scores()),
        metadata=judge_auth(judge_id),
    )
    models = await assignment_store.for_round(competition_service.pool, c.id, "prelim")
    expected = [codec.assignment_to_proto(a) for a in models]
    assert sum(a.submitted for a in expected) == 1

    pages: list[pb.Assignment] = []
    token = ""
    while True:
        page = await competition_stub.ListAssignments(
            pb.ListAssignmentsRequest(round=c.round.name, page_size=4, page_token=token), metadata=admin()
        )
        pages += page.assignments
        token = page.next_page_token
        if not token:
            break
    assert pages == expected

    logged = LoggedPool(competition_service.pool)
    async with logged.acquire() as connection:
        rows, last = await assignment_store.round_page(connection, c.id, "prelim", judge_id, None, None, 50)
    assert len(logged.statements) == 1
    assert last is None
    own = codec.assignments_page_to_proto(c.id, "prelim", rows, "")
    assert list(own.assignments) == [e for e in expected if e.judge.endswith(judge_id)]

    # A round without assignments answers an empty page; a missing round is NOT_FOUND.
    empty = await competition_stub.ListAssignments(
        pb.ListAssignmentsRequest(round=c.round.name, entry=c.entries[0].name, judge=f"judges/{judge_id}-x"),
        metadata=admin(),
    )
    assert list(empty.assignments) == [] and empty.next_page_token == ""
    await expect_error(
        competition_stub.ListAssignments(
            pb.ListAssignmentsRequest(round=f"contests/{c.id}/rounds/missing"), metadata=admin()
        ),
        grpc.StatusCode.NOT_FOUND,
    )
