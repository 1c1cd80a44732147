"""AIP-163 validate_only on the create methods: the same checks as a create, the would-be resource
back, nothing written."""

from __future__ import annotations

import uuid
from typing import Any

import grpc
import pytest
from grpc import aio

from protos.talent.v1 import talent_pb2 as pb
from services.common.server import RunningService
from tests.support import auth, status_details
from tests.talent.helpers import EDITOR, VIEWER, individual, team


async def counts(service: RunningService) -> tuple[int, int, int, int]:
    row = await service.pool.fetchrow(
        "SELECT (SELECT count(*) FROM candidates) AS c, (SELECT count(*) FROM applications) AS a,"
        " (SELECT count(*) FROM application_events) AS e, (SELECT count(*) FROM idempotency_keys) AS k"
    )
    assert row is not None
    return row["c"], row["a"], row["e"], row["k"]


async def test_validate_only_candidate_returns_what_would_be_created(
    talent_stub: Any, talent_service: RunningService
) -> None:
    person = individual(contact=pb.Contact(email=" Wang.Fang@Example.COM ", phone="+86 139-0000-1234"))
    person.identity_document = f"33030219800101{uuid.uuid4().int % 10**4:04d}"
    before = await counts(talent_service)
    request = pb.CreateCandidateRequest(candidate=person, validate_only=True, request_id=f"vo-{uuid.uuid4().hex}")
    preview = await talent_stub.CreateCandidate(request, metadata=auth(*EDITOR))
    assert await counts(talent_service) == before
    assert preview.name == preview.etag == ""
    assert not preview.HasField("create_time")
    assert preview.display_name == person.display_name
    assert preview.contact.email == "wang.fang@example.com"
    assert preview.contact.phone == "13900001234"
    assert preview.identity_document == ""
    assert preview.identity_document_last4 == person.identity_document[-4:]
    # The request id was not used up: the real create with it works, and is then idempotent.
    request.validate_only = False
    created = await talent_stub.CreateCandidate(request, metadata=auth(*EDITOR))
    assert created.contact == preview.contact
    assert await talent_stub.CreateCandidate(request, metadata=auth(*EDITOR)) == created


async def test_validate_only_candidate_reports_bad_fields_and_duplicates(talent_stub: Any) -> None:
    bad = individual(display_name="", contact=pb.Contact(email="nope"))
    with pytest.raises(aio.AioRpcError) as raised:
        await talent_stub.CreateCandidate(
            pb.CreateCandidateRequest(candidate=bad, validate_only=True), metadata=auth(*EDITOR)
        )
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert {f for f, _ in status_details(raised.value)[2]} == {"candidate.display_name", "candidate.contact.email"}

    existing = await talent_stub.CreateCandidate(pb.CreateCandidateRequest(candidate=team()), metadata=auth(*EDITOR))
    twin = team(contact=pb.Contact(email=existing.contact.email.upper()))
    with pytest.raises(aio.AioRpcError) as raised:
        await talent_stub.CreateCandidate(
            pb.CreateCandidateRequest(candidate=twin, validate_only=True), metadata=auth(*EDITOR)
        )
    assert raised.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert status_details(raised.value)[1]["existing_candidate"] == existing.name

    with pytest.raises(aio.AioRpcError) as raised:
        await talent_stub.CreateCandidate(
            pb.CreateCandidateRequest(candidate=individual(), validate_only=True), metadata=auth(*VIEWER)
        )
    assert raised.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_validate_only_application(talent_stub: Any, talent_service: RunningService) -> None:
    candidate = await talent_stub.CreateCandidate(
        pb.CreateCandidateRequest(candidate=individual()), metadata=auth(*EDITOR)
    )

    def request(programme: str = "programmes/ouyue", year: int = 2025) -> pb.CreateApplicationRequest:
        return pb.CreateApplicationRequest(
            application=pb.Application(
                candidate=candidate.name, programme=programme, year=year, stage=pb.STAGE_RESERVED
            ),
            validate_only=True,
        )

    before = await counts(talent_service)
    preview = await talent_stub.CreateApplication(request(), metadata=auth(*EDITOR))
    assert await counts(talent_service) == before
    assert (preview.name, preview.candidate, preview.programme, preview.year, preview.stage) == (
        "",
        candidate.name,
        "programmes/ouyue",
        2025,
        pb.STAGE_RESERVED,
    )
    for bad, code, reason in [
        (request("programmes/city-team"), grpc.StatusCode.INVALID_ARGUMENT, "KIND_MISMATCH"),
        (request(year=2031), grpc.StatusCode.INVALID_ARGUMENT, "PROGRAMME_NOT_ACTIVE"),
        (request("programmes/nope"), grpc.StatusCode.NOT_FOUND, "PROGRAMME_NOT_FOUND"),
    ]:
        with pytest.raises(aio.AioRpcError) as raised:
            await talent_stub.CreateApplication(bad, metadata=auth(*EDITOR))
        assert (raised.value.code(), status_details(raised.value)[0]) == (code, reason)
    real = request()
    real.validate_only = False
    created = await talent_stub.CreateApplication(real, metadata=auth(*EDITOR))
    with pytest.raises(aio.AioRpcError) as raised:
        await talent_stub.CreateApplication(request(), metadata=auth(*EDITOR))
    assert raised.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert status_details(raised.value)[1]["existing_application"] == created.name
