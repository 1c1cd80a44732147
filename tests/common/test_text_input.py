"""Control characters in text fields, filters and request ids: INVALID_ARGUMENT with a field
violation from the one shared check, never INTERNAL, and nothing written."""

from __future__ import annotations

from typing import Any

import grpc
import pytest

from protos.competition.v1 import competition_pb2 as cpb
from protos.talent.v1 import talent_pb2 as tpb
from services.common.errors import ViolationCollector
from services.common.server import RunningService
from services.common.text import check_text, control_character
from tests.competition.helpers import admin, assigned_pairs, count, expect_error, judge_auth, make_contest, scores
from tests.support import auth
from tests.talent.helpers import individual

TALENT_VIEWER = auth("viewer-1", "talent.viewer")
TALENT_EDITOR = auth("editor-1", "talent.editor")


@pytest.mark.parametrize(
    ("value", "multiline", "found"),
    [
        ("a\x00b", False, "U+0000"),
        ("a\x00b", True, "U+0000"),
        ("line\nbreak", False, "U+000A"),
        ("line\nbreak\ttab\r\n", True, None),
        ("bell\x07", True, "U+0007"),
        ("del\x7f", True, "U+007F"),
        ("c1\x85", True, "U+0085"),
        ("杭州 Ouhai 瓯海区", False, None),
    ],
)
def test_control_characters(value: str, multiline: bool, found: str | None) -> None:
    assert control_character(value, multiline=multiline) == found
    violations = ViolationCollector()
    check_text(value, "field", violations, limit=100, multiline=multiline)
    assert [v.field for v in violations.violations] == ([] if found is None else ["field"])


@pytest.mark.parametrize("value", ["a\x00b", "a\x1bb", "a\x9bb"])
async def test_name_filter_with_control_character_is_invalid_argument(talent_stub: Any, value: str) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await talent_stub.ListCandidates(tpb.ListCandidatesRequest(name_contains=value), metadata=TALENT_VIEWER)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "name_contains" in raised.value.details()


async def test_candidate_name_with_nul_writes_nothing(talent_stub: Any, talent_service: RunningService) -> None:
    before = await talent_service.pool.fetchval("SELECT count(*) FROM candidates")
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await talent_stub.CreateCandidate(
            tpb.CreateCandidateRequest(candidate=individual(display_name="张\x00三")), metadata=TALENT_EDITOR
        )
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "candidate.display_name" in raised.value.details()
    assert await talent_service.pool.fetchval("SELECT count(*) FROM candidates") == before


async def test_request_id_with_nul_is_invalid_argument(talent_stub: Any, talent_service: RunningService) -> None:
    before = await talent_service.pool.fetchval("SELECT count(*) FROM candidates")
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await talent_stub.CreateCandidate(
            tpb.CreateCandidateRequest(candidate=individual(), request_id="retry\x00-1"), metadata=TALENT_EDITOR
        )
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "request_id" in raised.value.details()
    assert await talent_service.pool.fetchval("SELECT count(*) FROM candidates") == before


async def test_sheet_comment_with_nul_is_invalid_argument(
    competition_stub: Any, competition_service: RunningService
) -> None:
    c = await make_contest(competition_stub, entries=2, judges=3)
    await competition_stub.AutoAssign(cpb.AutoAssignRequest(round=c.round.name), metadata=admin())
    await competition_stub.OpenRound(cpb.OpenRoundRequest(name=c.round.name), metadata=admin())
    judge_id, entry = (await assigned_pairs(competition_stub, c.round.name))[0]
    _, _, violations = await expect_error(
        competition_stub.SubmitScoreSheet(
            cpb.SubmitScoreSheetRequest(round=c.round.name, entry=entry, scores=scores(), comment="good\x00"),
            metadata=judge_auth(judge_id),
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert [field for field, _ in violations] == ["comment"]
    assert await count(competition_service, "score_sheets", "contest_id = $1", c.id) == 0
    # A multi-line comment is fine.
    sheet = await competition_stub.SubmitScoreSheet(
        cpb.SubmitScoreSheetRequest(round=c.round.name, entry=entry, scores=scores(), comment="好\n第二行"),
        metadata=judge_auth(judge_id),
    )
    assert sheet.comment == "好\n第二行"


async def test_entry_title_filter_with_nul_is_invalid_argument(competition_stub: Any) -> None:
    c = await make_contest(competition_stub, entries=1, judges=1)
    _, _, violations = await expect_error(
        competition_stub.ListEntries(
            cpb.ListEntriesRequest(parent=c.contest.name, title_contains="x\x00"), metadata=admin()
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert [field for field, _ in violations] == ["title_contains"]
