"""Repeated fields are capped before their items are looked at, so that an error stays small
whatever the request holds."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from google.protobuf.field_mask_pb2 import FieldMask
from grpc import aio

from protos.talent.v1 import talent_pb2 as pb
from tests.support import auth, status_details
from tests.talent.helpers import EDITOR, individual, team

# A client refuses trailers above a few KB; the whole error must stay far below.
TRAILER_BUDGET = 2048


def trailer_size(error: aio.AioRpcError) -> int:
    return sum(len(k) + len(v) for k, v in error.trailing_metadata() or ())


async def test_ten_thousand_bad_team_members_are_one_violation(talent_stub: Any) -> None:
    members = [pb.TeamMember(display_name="", role="\x00" * 200) for _ in range(10_000)]
    with pytest.raises(aio.AioRpcError) as raised:
        await talent_stub.CreateCandidate(
            pb.CreateCandidateRequest(candidate=team(members=members)), metadata=auth(*EDITOR)
        )
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    violations = status_details(raised.value)[2]
    assert violations == [("candidate.members", "must have at most 50 items (got 10000)")]
    assert trailer_size(raised.value) < TRAILER_BUDGET


async def test_members_of_an_update_are_capped_too(talent_stub: Any) -> None:
    created = await talent_stub.CreateCandidate(pb.CreateCandidateRequest(candidate=team()), metadata=auth(*EDITOR))
    change = pb.Candidate(name=created.name, etag=created.etag, members=[pb.TeamMember()] * 5000)
    with pytest.raises(aio.AioRpcError) as raised:
        await talent_stub.UpdateCandidate(
            pb.UpdateCandidateRequest(candidate=change, update_mask=FieldMask(paths=["members"])),
            metadata=auth(*EDITOR),
        )
    assert status_details(raised.value)[2] == [("candidate.members", "must have at most 50 items (got 5000)")]
    assert trailer_size(raised.value) < TRAILER_BUDGET


async def test_a_huge_update_mask_is_one_short_violation(talent_stub: Any) -> None:
    created = await talent_stub.CreateCandidate(
        pb.CreateCandidateRequest(candidate=individual()), metadata=auth(*EDITOR)
    )
    for paths in ([f"no_such_field_{i}_{'x' * 500}" for i in range(5000)], [f"x{i}" * 300 for i in range(50)]):
        request = pb.UpdateCandidateRequest(
            candidate=pb.Candidate(name=created.name, etag=created.etag), update_mask=FieldMask(paths=paths)
        )
        with pytest.raises(aio.AioRpcError) as raised:
            await talent_stub.UpdateCandidate(request, metadata=auth(*EDITOR))
        assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert len(status_details(raised.value)[2]) == 1
        assert trailer_size(raised.value) < TRAILER_BUDGET
