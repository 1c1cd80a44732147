"""CreateCandidate, GetCandidate, UpdateCandidate, DeleteCandidate, AnonymizeCandidate over real gRPC."""

from __future__ import annotations

import asyncio
from typing import Any

import grpc
import pytest
from google.protobuf.field_mask_pb2 import FieldMask
from grpc import aio

from protos.talent.v1 import talent_pb2 as pb
from services.common.server import RunningService
from tests.support import auth, status_details
from tests.talent.helpers import ADMIN, EDITOR, VIEWER, individual, team


async def count_candidates(service: RunningService) -> int:
    value: int = await service.pool.fetchval("SELECT count(*) FROM candidates")
    return value


async def test_create_returns_the_candidate_with_pii_and_without_the_document(talent_stub: Any) -> None:
    request = individual(contact=pb.Contact(email=" Li.Na@Example.COM ", phone="+86 139-1234-0001"))
    request.identity_document = "33030219900101123X"
    created = await talent_stub.CreateCandidate(pb.CreateCandidateRequest(candidate=request), metadata=auth(*EDITOR))
    assert created.name.startswith("candidates/")
    assert created.contact.email == "li.na@example.com"
    assert created.contact.phone == "13912340001"
    assert created.identity_document == ""
    assert created.identity_document_last4 == "123X"
    assert created.etag
    fetched = await talent_stub.GetCandidate(pb.GetCandidateRequest(name=created.name), metadata=auth(*EDITOR))
    assert fetched == created


async def test_viewer_sees_masked_pii(talent_stub: Any) -> None:
    request = individual(contact=pb.Contact(email="zhou@example.com", phone="13812345678"))
    created = await talent_stub.CreateCandidate(pb.CreateCandidateRequest(candidate=request), metadata=auth(*EDITOR))
    seen = await talent_stub.GetCandidate(pb.GetCandidateRequest(name=created.name), metadata=auth(*VIEWER))
    assert seen.contact.email == "z***@example.com"
    assert seen.contact.phone == "138****5678"
    listed = await talent_stub.ListCandidates(
        pb.ListCandidatesRequest(name_contains=request.display_name), metadata=auth(*VIEWER)
    )
    assert [c.contact.phone for c in listed.candidates] == ["138****5678"]


async def test_team_candidate_keeps_leader_and_members(talent_stub: Any) -> None:
    created = await talent_stub.CreateCandidate(pb.CreateCandidateRequest(candidate=team()), metadata=auth(*EDITOR))
    assert created.kind == pb.CANDIDATE_KIND_TEAM
    assert created.leader.display_name == "李娜"
    assert [m.display_name for m in created.members] == ["王强"]


BAD_CANDIDATES: list[tuple[str, dict[str, Any], str]] = [
    ("empty name", {"display_name": "  "}, "candidate.display_name"),
    ("oversized name", {"display_name": "名" * 201}, "candidate.display_name"),
    ("unknown domain", {"domain": 42}, "candidate.domain"),
    ("missing kind", {"kind": pb.CANDIDATE_KIND_UNSPECIFIED}, "candidate.kind"),
    ("unknown tier", {"tier": 9}, "candidate.tier"),
    ("bad email", {"contact": pb.Contact(email="not-an-email")}, "candidate.contact.email"),
    ("bad phone", {"contact": pb.Contact(phone="12345")}, "candidate.contact.phone"),
    ("bad document", {"identity_document": "12#"}, "candidate.identity_document"),
    ("birth year", {"birth_year": 1800}, "candidate.birth_year"),
    ("oversized employer", {"employer": "x" * 201}, "candidate.employer"),
    ("members on individual", {"members": [pb.TeamMember(display_name="a")]}, "candidate.members"),
]


@pytest.mark.parametrize(("case", "overrides", "field"), BAD_CANDIDATES, ids=[c[0] for c in BAD_CANDIDATES])
async def test_bad_candidate_is_invalid_argument_and_writes_nothing(
    talent_stub: Any, talent_service: RunningService, case: str, overrides: dict[str, Any], field: str
) -> None:
    before = await count_candidates(talent_service)
    with pytest.raises(aio.AioRpcError) as raised:
        await talent_stub.CreateCandidate(
            pb.CreateCandidateRequest(candidate=individual(**overrides)), metadata=auth(*EDITOR)
        )
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    reason, _, violations = status_details(raised.value)
    assert reason == "INVALID_ARGUMENT"
    assert field in [f for f, _ in violations], violations
    assert await count_candidates(talent_service) == before


async def test_all_bad_fields_are_reported_at_once(talent_stub: Any) -> None:
    bad = individual(display_name="", domain=77, contact=pb.Contact(email="x", phone="1"))
    with pytest.raises(aio.AioRpcError) as raised:
        await talent_stub.CreateCandidate(pb.CreateCandidateRequest(candidate=bad), metadata=auth(*EDITOR))
    fields = {f for f, _ in status_details(raised.value)[2]}
    assert fields >= {
        "candidate.display_name",
        "candidate.domain",
        "candidate.contact.email",
        "candidate.contact.phone",
    }


async def test_team_without_leader_is_refused(talent_stub: Any) -> None:
    bad = team()
    bad.ClearField("leader")
    with pytest.raises(aio.AioRpcError) as raised:
        await talent_stub.CreateCandidate(pb.CreateCandidateRequest(candidate=bad), metadata=auth(*EDITOR))
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert ("candidate.leader", "is required for a team") in status_details(raised.value)[2]


@pytest.mark.parametrize("shared", ["email", "phone", "document"])
async def test_duplicate_is_already_exists_naming_the_existing_candidate(
    talent_stub: Any, talent_service: RunningService, shared: str
) -> None:
    first = individual()
    created = await talent_stub.CreateCandidate(pb.CreateCandidateRequest(candidate=first), metadata=auth(*EDITOR))
    second = individual()
    if shared == "email":
        second.contact.email = first.contact.email.upper()
    elif shared == "phone":
        second.contact.phone = "+86" + first.contact.phone
    else:
        second.identity_document = first.identity_document.lower()
    before = await count_candidates(talent_service)
    with pytest.raises(aio.AioRpcError) as raised:
        await talent_stub.CreateCandidate(pb.CreateCandidateRequest(candidate=second), metadata=auth(*EDITOR))
    assert raised.value.code() == grpc.StatusCode.ALREADY_EXISTS
    reason, metadata, _ = status_details(raised.value)
    assert reason == "DUPLICATE_CANDIDATE"
    assert metadata["existing_candidate"] == created.name
    assert await count_candidates(talent_service) == before


async def test_identity_document_is_stored_only_as_keyed_hash(talent_stub: Any, talent_service: RunningService) -> None:
    request = individual(identity_document="G12345678")
    created = await talent_stub.CreateCandidate(pb.CreateCandidateRequest(candidate=request), metadata=auth(*EDITOR))
    row = await talent_service.pool.fetchrow(
        "SELECT * FROM candidates WHERE id = $1::uuid", created.name.removeprefix("candidates/")
    )
    assert row is not None
    assert "G12345678" not in repr(dict(row))
    assert row["document_last4"] == "5678"
    assert len(row["document_hash"]) == 32


async def test_request_id_makes_create_idempotent(talent_stub: Any, talent_service: RunningService) -> None:
    request = pb.CreateCandidateRequest(candidate=individual(), request_id="req-create-1")
    first = await talent_stub.CreateCandidate(request, metadata=auth(*EDITOR))
    before = await count_candidates(talent_service)
    again = await talent_stub.CreateCandidate(request, metadata=auth(*EDITOR))
    assert again == first
    assert await count_candidates(talent_service) == before
    different = pb.CreateCandidateRequest(candidate=individual(), request_id="req-create-1")
    with pytest.raises(aio.AioRpcError) as raised:
        await talent_stub.CreateCandidate(different, metadata=auth(*EDITOR))
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert status_details(raised.value)[0] == "REQUEST_ID_REUSED"
    assert await count_candidates(talent_service) == before


async def test_missing_or_invalid_token_is_unauthenticated(talent_stub: Any) -> None:
    for metadata in [(), (("authorization", "Bearer not-a-jwt"),), (("authorization", "Basic abc"),)]:
        with pytest.raises(aio.AioRpcError) as raised:
            await talent_stub.GetCandidate(pb.GetCandidateRequest(name="candidates/x"), metadata=metadata)
        assert raised.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_role_is_checked_before_existence(talent_stub: Any) -> None:
    missing = "candidates/00000000-0000-0000-0000-000000000000"
    with pytest.raises(aio.AioRpcError) as raised:
        await talent_stub.DeleteCandidate(pb.DeleteCandidateRequest(name=missing), metadata=auth(*VIEWER))
    assert raised.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(aio.AioRpcError) as raised:
        await talent_stub.CreateCandidate(pb.CreateCandidateRequest(candidate=individual()), metadata=auth(*VIEWER))
    assert raised.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(aio.AioRpcError) as raised:
        await talent_stub.GetCandidate(pb.GetCandidateRequest(name=missing), metadata=auth(*VIEWER))
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND


@pytest.mark.parametrize("name", ["", "candidate/1", "candidates/", "candidates/a/b", "programmes/ouyue"])
async def test_malformed_names_are_invalid_argument(talent_stub: Any, name: str) -> None:
    with pytest.raises(aio.AioRpcError) as raised:
        await talent_stub.GetCandidate(pb.GetCandidateRequest(name=name), metadata=auth(*EDITOR))
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert status_details(raised.value)[2][0][0] == "name"


async def test_update_with_mask_and_etag(talent_stub: Any) -> None:
    created = await talent_stub.CreateCandidate(
        pb.CreateCandidateRequest(candidate=individual()), metadata=auth(*EDITOR)
    )
    change = pb.Candidate(name=created.name, etag=created.etag, employer="浙江大学温州研究院", display_name="ignored")
    updated = await talent_stub.UpdateCandidate(
        pb.UpdateCandidateRequest(candidate=change, update_mask=FieldMask(paths=["employer"])), metadata=auth(*EDITOR)
    )
    assert updated.employer == "浙江大学温州研究院"
    assert updated.display_name == created.display_name
    assert updated.etag != created.etag

    stale = pb.Candidate(name=created.name, etag=created.etag, employer="stale write")
    with pytest.raises(aio.AioRpcError) as raised:
        await talent_stub.UpdateCandidate(
            pb.UpdateCandidateRequest(candidate=stale, update_mask=FieldMask(paths=["employer"])),
            metadata=auth(*EDITOR),
        )
    assert raised.value.code() == grpc.StatusCode.ABORTED
    assert status_details(raised.value)[0] == "ETAG_MISMATCH"
    current = await talent_stub.GetCandidate(pb.GetCandidateRequest(name=created.name), metadata=auth(*EDITOR))
    assert current.employer == "浙江大学温州研究院"


@pytest.mark.parametrize(
    ("paths", "change", "field"),
    [
        (["kind"], {}, "update_mask"),
        ([], {}, "update_mask"),
        (["contact.email"], {"contact": pb.Contact(email="bad")}, "candidate.contact.email"),
        (["domain"], {"domain": 99}, "candidate.domain"),
        (["display_name"], {"display_name": ""}, "candidate.display_name"),
    ],
)
async def test_bad_update_changes_nothing(
    talent_stub: Any, paths: list[str], change: dict[str, Any], field: str
) -> None:
    created = await talent_stub.CreateCandidate(
        pb.CreateCandidateRequest(candidate=individual()), metadata=auth(*EDITOR)
    )
    request = pb.UpdateCandidateRequest(
        candidate=pb.Candidate(name=created.name, etag=created.etag, **change), update_mask=FieldMask(paths=paths)
    )
    with pytest.raises(aio.AioRpcError) as raised:
        await talent_stub.UpdateCandidate(request, metadata=auth(*EDITOR))
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in [f for f, _ in status_details(raised.value)[2]]
    after = await talent_stub.GetCandidate(pb.GetCandidateRequest(name=created.name), metadata=auth(*EDITOR))
    assert after == created


async def test_update_into_a_duplicate_is_refused(talent_stub: Any) -> None:
    one = await talent_stub.CreateCandidate(pb.CreateCandidateRequest(candidate=individual()), metadata=auth(*EDITOR))
    two = await talent_stub.CreateCandidate(pb.CreateCandidateRequest(candidate=individual()), metadata=auth(*EDITOR))
    request = pb.UpdateCandidateRequest(
        candidate=pb.Candidate(name=two.name, etag=two.etag, contact=pb.Contact(email=one.contact.email)),
        update_mask=FieldMask(paths=["contact.email"]),
    )
    with pytest.raises(aio.AioRpcError) as raised:
        await talent_stub.UpdateCandidate(request, metadata=auth(*EDITOR))
    assert raised.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert status_details(raised.value)[1]["existing_candidate"] == one.name


async def test_soft_delete_hides_the_candidate_but_keeps_the_row(
    talent_stub: Any, talent_service: RunningService
) -> None:
    created = await talent_stub.CreateCandidate(
        pb.CreateCandidateRequest(candidate=individual()), metadata=auth(*EDITOR)
    )
    deleted = await talent_stub.DeleteCandidate(pb.DeleteCandidateRequest(name=created.name), metadata=auth(*ADMIN))
    assert deleted.HasField("delete_time")
    with pytest.raises(aio.AioRpcError) as raised:
        await talent_stub.GetCandidate(pb.GetCandidateRequest(name=created.name), metadata=auth(*ADMIN))
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND
    hidden = await talent_stub.ListCandidates(
        pb.ListCandidatesRequest(name_contains=created.display_name), metadata=auth(*ADMIN)
    )
    assert hidden.candidates == []
    shown = await talent_stub.ListCandidates(
        pb.ListCandidatesRequest(name_contains=created.display_name, show_deleted=True), metadata=auth(*ADMIN)
    )
    assert [c.name for c in shown.candidates] == [created.name]
    # The same person may be entered again once the old record is deleted.
    again = individual(contact=created.contact, display_name=created.display_name)
    await talent_stub.CreateCandidate(pb.CreateCandidateRequest(candidate=again), metadata=auth(*EDITOR))


async def test_anonymize_erases_pii_and_keeps_history(talent_stub: Any, talent_service: RunningService) -> None:
    created = await talent_stub.CreateCandidate(
        pb.CreateCandidateRequest(candidate=individual()), metadata=auth(*EDITOR)
    )
    application = await talent_stub.CreateApplication(
        pb.CreateApplicationRequest(
            application=pb.Application(candidate=created.name, programme="programmes/ouyue", year=2025)
        ),
        metadata=auth(*EDITOR),
    )
    anonymized = await talent_stub.AnonymizeCandidate(
        pb.AnonymizeCandidateRequest(name=created.name), metadata=auth(*ADMIN)
    )
    assert anonymized.anonymized
    assert created.display_name not in anonymized.display_name
    assert anonymized.contact.email == anonymized.contact.phone == anonymized.identity_document_last4 == ""
    row = await talent_service.pool.fetchrow(
        "SELECT email, phone, document_hash, employer FROM candidates WHERE id = $1::uuid",
        created.name.removeprefix("candidates/"),
    )
    assert row is not None and row["email"] is None and row["phone"] is None and row["document_hash"] is None
    history = await talent_stub.GetApplicationHistory(
        pb.GetApplicationHistoryRequest(name=application.name), metadata=auth(*VIEWER)
    )
    assert [e.to_stage for e in history.events] == [pb.STAGE_SCOUTED]


async def test_concurrent_updates_to_the_same_email_leave_one_winner(talent_stub: Any) -> None:
    for attempt in range(5):
        one = await talent_stub.CreateCandidate(
            pb.CreateCandidateRequest(candidate=individual()), metadata=auth(*EDITOR)
        )
        two = await talent_stub.CreateCandidate(
            pb.CreateCandidateRequest(candidate=individual()), metadata=auth(*EDITOR)
        )
        email = f"race{attempt}.{one.name[-6:]}@example.com"
        results = await asyncio.gather(
            *(
                talent_stub.UpdateCandidate(
                    pb.UpdateCandidateRequest(
                        candidate=pb.Candidate(name=c.name, etag=c.etag, contact=pb.Contact(email=email)),
                        update_mask=FieldMask(paths=["contact.email"]),
                    ),
                    metadata=auth(*EDITOR),
                )
                for c in (one, two)
            ),
            return_exceptions=True,
        )
        codes = sorted(r.code().name if isinstance(r, aio.AioRpcError) else "OK" for r in results)
        assert codes == ["ALREADY_EXISTS", "OK"], codes


async def test_request_ids_belong_to_their_caller(talent_stub: Any, talent_service: RunningService) -> None:
    """The same request_id from another caller is another request, not a replay of someone else's."""
    first = await talent_stub.CreateCandidate(
        pb.CreateCandidateRequest(candidate=individual(), request_id="shared-id"), metadata=auth("portal-a", EDITOR[1])
    )
    second = await talent_stub.CreateCandidate(
        pb.CreateCandidateRequest(candidate=individual(), request_id="shared-id"), metadata=auth("portal-b", EDITOR[1])
    )
    assert first.name != second.name
    scopes = await talent_service.pool.fetch("SELECT scope FROM idempotency_keys WHERE request_id = 'shared-id'")
    assert sorted(r["scope"] for r in scopes) == [
        "portal-a:talent.v1.CreateCandidateRequest",
        "portal-b:talent.v1.CreateCandidateRequest",
    ]


async def test_every_spelling_of_a_candidates_uuid_finds_it_and_a_non_uuid_is_not_found(talent_stub: Any) -> None:
    created = await talent_stub.CreateCandidate(
        pb.CreateCandidateRequest(candidate=individual()), metadata=auth(*EDITOR)
    )
    candidate_id = created.name.removeprefix("candidates/")
    for spelling in (candidate_id, candidate_id.upper(), candidate_id.replace("-", ""), "{" + candidate_id + "}"):
        found = await talent_stub.GetCandidate(
            pb.GetCandidateRequest(name=f"candidates/{spelling}"), metadata=auth(*EDITOR)
        )
        assert found.name == created.name
    for not_a_uuid in (candidate_id + "0", candidate_id[:-1], "x" * 36):
        with pytest.raises(aio.AioRpcError) as raised:
            await talent_stub.GetCandidate(
                pb.GetCandidateRequest(name=f"candidates/{not_a_uuid}"), metadata=auth(*EDITOR)
            )
        assert raised.value.code() == grpc.StatusCode.NOT_FOUND
