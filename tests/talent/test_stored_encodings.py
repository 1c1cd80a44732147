"""The encodings kept with each candidate (migration 0005): what GetCandidate and ListCandidates
answer with. After every write they are what the columns encode to; bytes that do not match the
row (an update that did not write them, rows from before the migration, another codec version) are
never answered, and the service re-encodes them."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg
from google.protobuf.field_mask_pb2 import FieldMask
from grpc import aio

from protos.talent.v1 import talent_pb2 as pb
from protos.talent.v1 import talent_pb2_grpc
from services.common.server import RunningService
from services.common.wire import length_delimited
from services.talent.api.codec import CANDIDATE_ENCODING, candidate_encodings, candidate_to_proto
from services.talent.app.replies import CandidateCodec
from services.talent.domain.models import Candidate
from services.talent.service import DEFINITION
from services.talent.settings import TalentSettings
from services.talent.store import candidates as candidate_store
from tests.support import auth, create_database, start
from tests.talent.helpers import ADMIN, EDITOR, VIEWER, individual, team
from tests.talent.test_migrations import _schema_before

CODEC = CandidateCodec(pb.Candidate, CANDIDATE_ENCODING, candidate_encodings)


async def stored(pool: asyncpg.Pool, name: str) -> asyncpg.Record:
    row = await pool.fetchrow(
        "SELECT encoded, encoded_masked, encoding FROM candidates WHERE id = $1", uuid.UUID(name.split("/")[1])
    )
    assert row is not None
    return row


async def columns(pool: asyncpg.Pool, name: str) -> Candidate:
    return await candidate_store.get(pool, name.split("/")[1], include_deleted=True)


async def assert_current(pool: asyncpg.Pool, name: str) -> None:
    """The stored bytes are those the row's columns encode to, in the current codec version."""
    row = await stored(pool, name)
    fresh = candidate_encodings(await columns(pool, name))
    assert row["encoding"] == CANDIDATE_ENCODING
    assert bytes(row["encoded"]) == fresh.full
    assert bytes(row["encoded_masked"]) == fresh.masked


async def re_encoded(pool: asyncpg.Pool, name: str, seconds: float = 10.0) -> None:
    """Wait for the service's re-encoder to give ``name`` current bytes."""
    for _ in range(int(seconds / 0.05)):
        if (await stored(pool, name))["encoding"] is not None:
            break
        await asyncio.sleep(0.05)
    await assert_current(pool, name)


async def test_every_write_stores_what_its_columns_encode_to(talent_stub: Any, talent_service: RunningService) -> None:
    pool = talent_service.pool
    person = await talent_stub.CreateCandidate(
        pb.CreateCandidateRequest(candidate=individual(), request_id=f"enc-{uuid.uuid4()}"), metadata=auth(*EDITOR)
    )
    group = await talent_stub.CreateCandidate(pb.CreateCandidateRequest(candidate=team()), metadata=auth(*EDITOR))
    for created in (person, group):
        await assert_current(pool, created.name)
    updated = await talent_stub.UpdateCandidate(
        pb.UpdateCandidateRequest(
            candidate=pb.Candidate(name=person.name, etag=person.etag, employer="浙江大学", contact=pb.Contact()),
            update_mask=FieldMask(paths=["employer", "contact.phone"]),
        ),
        metadata=auth(*EDITOR),
    )
    assert updated.employer == "浙江大学" and not updated.contact.phone
    await assert_current(pool, person.name)
    await talent_stub.DeleteCandidate(pb.DeleteCandidateRequest(name=group.name), metadata=auth(*ADMIN))
    await assert_current(pool, group.name)
    await talent_stub.AnonymizeCandidate(pb.AnonymizeCandidateRequest(name=person.name), metadata=auth(*ADMIN))
    await assert_current(pool, person.name)
    erased = await talent_stub.GetCandidate(pb.GetCandidateRequest(name=person.name), metadata=auth(*EDITOR))
    assert erased.anonymized and not erased.contact.email and erased.employer != "浙江大学"


async def test_reads_answer_what_the_columns_say_masked_for_viewers(
    talent_stub: Any, talent_service: RunningService
) -> None:
    created = await talent_stub.CreateCandidate(
        pb.CreateCandidateRequest(candidate=individual(display_name=f"编码 {uuid.uuid4().hex[:8]}")),
        metadata=auth(*EDITOR),
    )
    candidate = await columns(talent_service.pool, created.name)
    for role, mask in ((VIEWER, True), (EDITOR, False)):
        got = await talent_stub.GetCandidate(pb.GetCandidateRequest(name=created.name), metadata=auth(*role))
        assert got == candidate_to_proto(candidate, mask_pii=mask)
        page = await talent_stub.ListCandidates(
            pb.ListCandidatesRequest(name_contains=candidate.display_name), metadata=auth(*role)
        )
        assert list(page.candidates) == [candidate_to_proto(candidate, mask_pii=mask)]
    assert "***" in got.contact.email or "***" not in created.contact.email  # sanity of the fixture
    masked = await talent_stub.GetCandidate(pb.GetCandidateRequest(name=created.name), metadata=auth(*VIEWER))
    assert masked.contact.email != created.contact.email and masked.contact.email.endswith("@example.com")


async def test_reads_are_answered_from_the_stored_bytes(talent_stub: Any, talent_service: RunningService) -> None:
    created = await talent_stub.CreateCandidate(
        pb.CreateCandidateRequest(candidate=individual()), metadata=auth(*EDITOR)
    )
    marker = pb.Candidate(name=created.name, display_name="stored bytes, not columns")
    await talent_service.pool.execute(
        "UPDATE candidates SET encoded = $2, encoded_masked = $2 WHERE id = $1",
        uuid.UUID(created.name[11:]),
        length_delimited(1, marker.SerializeToString()),
    )
    for role in (VIEWER, EDITOR):
        got = await talent_stub.GetCandidate(pb.GetCandidateRequest(name=created.name), metadata=auth(*role))
        assert got == marker


async def test_an_update_that_does_not_write_the_bytes_is_never_answered_from_them(
    talent_stub: Any, talent_service: RunningService
) -> None:
    pool = talent_service.pool
    created = await talent_stub.CreateCandidate(
        pb.CreateCandidateRequest(candidate=individual()), metadata=auth(*EDITOR)
    )
    # What an operator's fix, or a replica still on the previous version, would do.
    await pool.execute("UPDATE candidates SET employer = '手工修正' WHERE id = $1", uuid.UUID(created.name[11:]))
    assert (await stored(pool, created.name))["encoding"] is None
    got = await talent_stub.GetCandidate(pb.GetCandidateRequest(name=created.name), metadata=auth(*VIEWER))
    assert got.employer == "手工修正"
    page = await talent_stub.ListCandidates(
        pb.ListCandidatesRequest(name_contains=created.display_name), metadata=auth(*EDITOR)
    )
    assert [c.employer for c in page.candidates] == ["手工修正"]
    # The reads met stale bytes: the service re-encodes them in the background.
    await re_encoded(pool, created.name)


async def test_a_page_with_stale_rows_keeps_its_order_and_its_token(
    talent_stub: Any, talent_service: RunningService
) -> None:
    pool = talent_service.pool
    tag = uuid.uuid4().hex[:8]
    names = []
    for i in range(5):
        created = await talent_stub.CreateCandidate(
            pb.CreateCandidateRequest(candidate=individual(display_name=f"页 {tag} {i}")), metadata=auth(*EDITOR)
        )
        names.append(created.name)
    # Rows 1 and 3 as older code would leave them: bytes of another codec version.
    await pool.execute(
        "UPDATE candidates SET encoding = $2 WHERE id = ANY ($1::uuid[])",
        [uuid.UUID(names[1][11:]), uuid.UUID(names[3][11:])],
        CANDIDATE_ENCODING + 1,
    )
    request = pb.ListCandidatesRequest(name_contains=f"页 {tag}", page_size=3, order_by="display_name")
    first = await talent_stub.ListCandidates(request, metadata=auth(*VIEWER))
    request.page_token = first.next_page_token
    second = await talent_stub.ListCandidates(request, metadata=auth(*VIEWER))
    assert [c.name for c in first.candidates] + [c.name for c in second.candidates] == names
    assert not second.next_page_token
    for got in [*first.candidates, *second.candidates]:
        assert got == candidate_to_proto(await columns(pool, got.name), mask_pii=True)


async def test_candidates_from_before_the_migration_are_answered_and_re_encoded_at_start_up(
    postgres_url: str,
) -> None:
    url = await create_database(postgres_url)
    connection = await asyncpg.connect(url)
    try:
        await _schema_before(connection, "0005_candidate_encodings")
        candidate_id = uuid.uuid4()
        await connection.execute(
            "INSERT INTO candidates (id, kind, display_name, domain, origin, employer, email)"
            " VALUES ($1, 'INDIVIDUAL', '旧数据', 'OTHER', 'DOMESTIC', '旧单位', 'old.person@example.com')",
            candidate_id,
        )
    finally:
        await connection.close()
    running = await start(TalentSettings, DEFINITION, url)
    try:
        name = f"candidates/{candidate_id}"
        await re_encoded(running.pool, name)
        async with aio.insecure_channel(f"127.0.0.1:{running.grpc_port}") as channel:
            stub = talent_pb2_grpc.TalentServiceStub(channel)
            got = await stub.GetCandidate(pb.GetCandidateRequest(name=name), metadata=auth(*VIEWER))
        assert (got.employer, got.contact.email) == ("旧单位", "o***@example.com")
    finally:
        await running.stop(grace=0)


async def test_the_encoding_is_pinned() -> None:
    """Changing what a candidate encodes to must come with a new CANDIDATE_ENCODING: the bytes of
    the previous version would otherwise be answered as they are. If this fails, bump it and
    update the bytes below."""
    candidate = Candidate.model_validate(
        {
            "id": "00000000-0000-4000-8000-000000000001",
            "kind": "INDIVIDUAL",
            "display_name": "张伟",
            "domain": "LIFE_HEALTH",
            "origin": "OVERSEAS",
            "tier": "B",
            "employer": "温州医科大学",
            "birth_year": 1985,
            "email": "zhang.wei@example.com",
            "phone": "13812345678",
            "document_last4": "678X",
            "members": (),
            "version": 3,
            "create_time": "2024-03-01T08:00:00+00:00",
            "update_time": "2024-03-02T08:00:00+00:00",
        }
    )
    encodings = candidate_encodings(candidate)
    assert (CANDIDATE_ENCODING, encodings.full.hex(), encodings.masked.hex()) == (1, FULL, MASKED)


FULL = (
    "0aa7010a2f63616e646964617465732f30303030303030302d303030302d343030302d383030302d3030303030303030"
    "3030303110011a06e5bca0e4bc9f2001280130023a12e6b8a9e5b79ee58cbbe7a791e5a4a7e5ada640c10f4a240a157a"
    "68616e672e776569406578616d706c652e636f6d120b31333831323334353637385a0436373858720608809686af067a"
    "060880b98baf069201102230303030303030302d3030302d3322"
)
MASKED = (
    "0aa2010a2f63616e646964617465732f30303030303030302d303030302d343030302d383030302d3030303030303030"
    "3030303110011a06e5bca0e4bc9f2001280130023a12e6b8a9e5b79ee58cbbe7a791e5a4a7e5ada640c10f4a1f0a107a"
    "2a2a2a406578616d706c652e636f6d120b3133382a2a2a2a353637385a0436373858720608809686af067a060880b98b"
    "af069201102230303030303030302d3030302d3322"
)


async def test_a_page_statement_keeps_its_plan(talent_stub: Any, talent_service: RunningService) -> None:
    """The page's LIMIT is written into the statement: PostgreSQL caches a generic plan for it instead
    of planning every call anew (with ``LIMIT $n`` it kept choosing custom plans)."""
    query = candidate_store.CandidateFilter()
    async with talent_service.pool.acquire() as connection:
        for _ in range(12):
            await candidate_store.list_page_encoded(
                connection, query, "create_time", None, 9, masked=True, version=CANDIDATE_ENCODING
            )
        # Pages of 9 (no other test asks for them), on this connection.
        plans = await connection.fetch(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
            " WHERE statement LIKE '%string_agg(p.item%LIMIT 10) p' AND statement NOT LIKE '%pg_prepared%'"
        )
    assert len(plans) == 1
    assert plans[0]["generic_plans"] >= 6 and plans[0]["custom_plans"] <= 6, plans
