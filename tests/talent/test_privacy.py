"""Every copy of a person's data: stored responses of request ids, request digests, stage-history
notes, and who may see deleted candidates."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid
from typing import Any

import grpc
import pytest
from grpc import aio

from protos.talent.v1 import talent_pb2 as pb
from services.common.auth import Caller, current_caller
from services.common.idempotency import RequestKeys
from services.common.server import RunningService
from tests.support import PAGE_TOKEN_SECRET, auth, status_details
from tests.talent.helpers import ADMIN, EDITOR, VIEWER, individual


async def rows_containing(service: RunningService, needle: bytes) -> int:
    """idempotency_keys rows holding ``needle`` anywhere (id, digest or response)."""
    count: int = await service.pool.fetchval(
        "SELECT count(*) FROM idempotency_keys WHERE position($1::bytea IN convert_to(request_id, 'UTF8')) > 0"
        " OR position($1::bytea IN request_hash) > 0 OR position($1::bytea IN coalesce(response, '')) > 0",
        needle,
    )
    return count


async def test_anonymize_rewrites_the_stored_responses_of_earlier_requests(
    talent_stub: Any, talent_service: RunningService
) -> None:
    person = individual()
    create = pb.CreateCandidateRequest(candidate=person, request_id=f"anon-create-{uuid.uuid4().hex}")
    created = await talent_stub.CreateCandidate(create, metadata=auth(*EDITOR))
    delete = pb.DeleteCandidateRequest(name=created.name, request_id=f"anon-delete-{uuid.uuid4().hex}")
    await talent_stub.DeleteCandidate(delete, metadata=auth(*ADMIN))
    email, phone = person.contact.email.encode(), person.contact.phone.encode()
    assert await rows_containing(talent_service, email) == 2

    anonymized = await talent_stub.AnonymizeCandidate(
        pb.AnonymizeCandidateRequest(name=created.name, request_id=f"anon-{uuid.uuid4().hex}"), metadata=auth(*ADMIN)
    )
    assert anonymized.anonymized
    # A retry of the original create returns the candidate as it is now, without contact data.
    again = await talent_stub.CreateCandidate(create, metadata=auth(*EDITOR))
    assert again.name == created.name
    assert again.anonymized
    assert again.contact.email == again.contact.phone == ""
    assert person.display_name not in again.display_name
    replayed_delete = await talent_stub.DeleteCandidate(delete, metadata=auth(*ADMIN))
    assert replayed_delete.contact.email == ""
    for needle in (email, phone, person.display_name.encode()):
        assert await rows_containing(talent_service, needle) == 0


async def test_anonymize_erases_the_notes_of_the_stage_history(talent_stub: Any) -> None:
    created = await talent_stub.CreateCandidate(
        pb.CreateCandidateRequest(candidate=individual()), metadata=auth(*EDITOR)
    )
    application = await talent_stub.CreateApplication(
        pb.CreateApplicationRequest(
            application=pb.Application(candidate=created.name, programme="programmes/ouyue", year=2025)
        ),
        metadata=auth(*EDITOR),
    )
    note = f"met {created.display_name} at the expo, phone {created.contact.phone}"
    await talent_stub.TransitionApplication(
        pb.TransitionApplicationRequest(
            name=application.name, expected_stage=pb.STAGE_SCOUTED, target_stage=pb.STAGE_RESERVED, note=note
        ),
        metadata=auth(*EDITOR),
    )
    await talent_stub.AnonymizeCandidate(pb.AnonymizeCandidateRequest(name=created.name), metadata=auth(*ADMIN))
    history = await talent_stub.GetApplicationHistory(
        pb.GetApplicationHistoryRequest(name=application.name), metadata=auth(*VIEWER)
    )
    assert [(e.from_stage, e.to_stage) for e in history.events] == [
        (pb.STAGE_UNSPECIFIED, pb.STAGE_SCOUTED),
        (pb.STAGE_SCOUTED, pb.STAGE_RESERVED),
    ]
    assert all(created.display_name not in e.note and created.contact.phone not in e.note for e in history.events)


def _digest(request: pb.CreateCandidateRequest, subject: str = EDITOR[0]) -> bytes:
    token = current_caller.set(Caller(subject, frozenset({EDITOR[1]})))
    try:
        key = RequestKeys(PAGE_TOKEN_SECRET.encode()).key(request)
    finally:
        current_caller.reset(token)
    assert key is not None
    return key.digest


async def test_no_stored_value_reveals_the_identity_document(talent_stub: Any, talent_service: RunningService) -> None:
    """The stored digest is neither the old plain SHA-256 of the request (brute-forceable from the
    stored response and the last 4 characters) nor an HMAC over the raw document, and the document's
    characters beyond the last 4 are stored nowhere."""
    document = f"33030219{uuid.uuid4().int % 10**10:010d}"
    request = pb.CreateCandidateRequest(
        candidate=individual(identity_document=document), request_id=f"doc-{uuid.uuid4().hex}"
    )
    created = await talent_stub.CreateCandidate(request, metadata=auth(*EDITOR))
    assert created.identity_document_last4 == document[-4:]
    stored = await talent_service.pool.fetchrow(
        "SELECT request_hash, response FROM idempotency_keys WHERE request_id = $1", request.request_id
    )
    assert stored is not None
    without_id = pb.CreateCandidateRequest(candidate=request.candidate)
    assert bytes(stored["request_hash"]) != hashlib.sha256(without_id.SerializeToString(deterministic=True)).digest()
    # Not even keyed over the raw document: the digest covers the document's keyed PII hash only.
    assert bytes(stored["request_hash"]) != _digest(request)
    assert await rows_containing(talent_service, document.encode()) == 0
    assert await rows_containing(talent_service, document[:-4].encode()) == 0
    assert pb.Candidate.FromString(stored["response"]).identity_document == ""


async def test_request_id_still_tells_a_changed_document_apart(talent_stub: Any) -> None:
    digits = f"{uuid.uuid4().int % 10**8:08d}"
    request = pb.CreateCandidateRequest(
        candidate=individual(identity_document=f"G{digits[:4]} {digits[4:]}"),
        request_id=f"doc-change-{uuid.uuid4().hex}",
    )
    first = await talent_stub.CreateCandidate(request, metadata=auth(*EDITOR))
    # The same document written differently is the same request …
    same = pb.CreateCandidateRequest()
    same.CopyFrom(request)
    same.candidate.identity_document = f"g-{digits}"
    assert await talent_stub.CreateCandidate(same, metadata=auth(*EDITOR)) == first
    # … another document is another request.
    changed = pb.CreateCandidateRequest()
    changed.CopyFrom(request)
    changed.candidate.identity_document = f"G{digits}9"
    with pytest.raises(aio.AioRpcError) as raised:
        await talent_stub.CreateCandidate(changed, metadata=auth(*EDITOR))
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert status_details(raised.value)[0] == "REQUEST_ID_REUSED"


async def test_show_deleted_needs_the_admin_role_before_anything_else(talent_stub: Any) -> None:
    for who in (EDITOR, VIEWER):
        # Even with other bad fields, the role is what is refused.
        request = pb.ListCandidatesRequest(show_deleted=True, order_by="email", page_size=-1)
        with pytest.raises(aio.AioRpcError) as raised:
            await talent_stub.ListCandidates(request, metadata=auth(*who))
        assert raised.value.code() == grpc.StatusCode.PERMISSION_DENIED, who
        assert status_details(raised.value)[0] == "MISSING_ROLE"
    listed = await talent_stub.ListCandidates(pb.ListCandidatesRequest(show_deleted=True), metadata=auth(*ADMIN))
    assert listed is not None


async def test_refused_duplicates_leave_no_contact_data_in_the_logs(
    talent_stub: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """A unique violation's DETAIL names the value ("Key (email)=(…)"): it must never reach a log."""
    caplog.set_level("DEBUG")
    person = individual()
    results = await asyncio.gather(
        *(
            talent_stub.CreateCandidate(
                pb.CreateCandidateRequest(candidate=individual(contact=person.contact)), metadata=auth(*EDITOR)
            )
            for _ in range(8)
        ),
        return_exceptions=True,
    )
    codes = sorted(r.code().name if isinstance(r, aio.AioRpcError) else "OK" for r in results)
    assert codes == ["ALREADY_EXISTS"] * 7 + ["OK"]
    formatter = logging.Formatter()
    logged = "\n".join(f"{formatter.format(r)} {getattr(r, 'fields', '')}" for r in caplog.records)
    assert person.contact.email not in logged
    assert person.contact.phone not in logged
