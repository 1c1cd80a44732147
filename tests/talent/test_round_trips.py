"""How many statements each call sends to PostgreSQL, counted by asyncpg's query logger on every
connection of the service's own pool (a service of its own, so that no other test's calls count)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import pytest
from google.protobuf.field_mask_pb2 import FieldMask
from grpc import aio

from protos.talent.v1 import talent_pb2 as pb
from protos.talent.v1 import talent_pb2_grpc
from services.common.server import RunningService
from services.talent.api import codec
from services.talent.service import DEFINITION
from services.talent.settings import TalentSettings
from tests.support import auth, create_database, start
from tests.talent.helpers import ADMIN, EDITOR, VIEWER, individual

# One connection, so that a warm-up call prepares every statement (asyncpg prepares a statement and
# introspects a type once per connection) and the counted call shows the steady state.
POOL_SIZE = 1


@dataclass(eq=False)
class Statements:
    """Every statement the pool's connections send, but the pool's own reset on release (the
    platform's, not a call's) and the health check's probe."""

    seen: list[str] = field(default_factory=list)
    ignored: set[str] = field(default_factory=set)

    def __call__(self, record: asyncpg.connection.LoggedQuery) -> None:
        if record.query not in self.ignored and record.query != "SELECT 1":
            self.seen.append(record.query)

    async def during(self, call: Any) -> list[str]:
        self.seen.clear()
        await call
        await asyncio.sleep(0)  # let the connection's release (and its logging) finish
        return list(self.seen)


@pytest.fixture(scope="module")
async def service(postgres_url: str) -> AsyncIterator[RunningService]:
    running = await start(
        TalentSettings,
        DEFINITION,
        await create_database(postgres_url),
        db_pool_min_size=POOL_SIZE,
        db_pool_max_size=POOL_SIZE,
        health_check_interval_seconds=60,
    )
    yield running
    await running.stop(grace=0)


@pytest.fixture(scope="module")
async def statements(service: RunningService) -> Statements:
    counter = Statements()
    # Hold every connection of the pool at once, so that each gets the logger.
    connections = [await service.pool.acquire() for _ in range(POOL_SIZE)]
    try:
        for connection in connections:
            counter.ignored.add(connection.get_reset_query())
            connection.add_query_logger(counter)
    finally:
        for connection in connections:
            await service.pool.release(connection)
    return counter


@pytest.fixture(scope="module")
async def stub(service: RunningService) -> AsyncIterator[Any]:
    async with aio.insecure_channel(f"127.0.0.1:{service.grpc_port}") as channel:
        yield talent_pb2_grpc.TalentServiceStub(channel)


def transactions(queries: list[str]) -> list[str]:
    return [q for q in queries if q.split()[0].upper() in ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT")]


async def test_create_candidate_is_one_statement(stub: Any, statements: Statements) -> None:
    for request_id in ("", "rt-"):
        for _warm_up_then_count in range(2):
            request = pb.CreateCandidateRequest(
                candidate=individual(), request_id=request_id and f"{request_id}{uuid.uuid4().hex}"
            )
            sent = await statements.during(stub.CreateCandidate(request, metadata=auth(*EDITOR)))
            if request_id:
                # A retry: the same statement finds the key taken, then the stored response is read.
                again = await statements.during(stub.CreateCandidate(request, metadata=auth(*EDITOR)))
        assert len(sent) == 1, sent
        assert transactions(sent) == []
        if request_id:
            assert len(again) == 2, again


async def test_application_writes_are_a_read_and_a_write(stub: Any, statements: Statements) -> None:
    for _warm_up_then_count in range(2):
        created = await stub.CreateCandidate(pb.CreateCandidateRequest(candidate=individual()), metadata=auth(*EDITOR))
        create = pb.CreateApplicationRequest(
            application=pb.Application(candidate=created.name, programme="programmes/ouyue", year=2025),
            request_id=f"rt-app-{uuid.uuid4().hex}",
        )
        application = pb.Application()
        created_sent = await statements.during(
            _keep(stub.CreateApplication(create, metadata=auth(*EDITOR)), application)
        )
        # A retry is answered from the read alone.
        retry_sent = await statements.during(stub.CreateApplication(create, metadata=auth(*EDITOR)))
        move = pb.TransitionApplicationRequest(
            name=application.name,
            expected_stage=pb.STAGE_SCOUTED,
            target_stage=pb.STAGE_RESERVED,
            request_id=f"rt-move-{uuid.uuid4().hex}",
        )
        moved_sent = await statements.during(stub.TransitionApplication(move, metadata=auth(*EDITOR)))
    assert len(created_sent) == 2 and transactions(created_sent) == [], created_sent
    assert len(retry_sent) == 1, retry_sent
    assert len(moved_sent) == 2 and transactions(moved_sent) == [], moved_sent


async def test_candidate_updates_and_deletes_are_a_read_and_a_write(stub: Any, statements: Statements) -> None:
    for _warm_up_then_count in range(2):
        created = await stub.CreateCandidate(pb.CreateCandidateRequest(candidate=individual()), metadata=auth(*EDITOR))
        update = pb.UpdateCandidateRequest(
            candidate=pb.Candidate(name=created.name, etag=created.etag, employer="浙江大学"),
            update_mask=FieldMask(paths=["employer"]),
        )
        updated_sent = await statements.during(stub.UpdateCandidate(update, metadata=auth(*EDITOR)))
        delete = pb.DeleteCandidateRequest(name=created.name, request_id=f"rt-del-{uuid.uuid4().hex}")
        deleted_sent = await statements.during(stub.DeleteCandidate(delete, metadata=auth(*ADMIN)))
    assert len(updated_sent) == 2 and transactions(updated_sent) == [], updated_sent
    assert len(deleted_sent) == 2 and transactions(deleted_sent) == [], deleted_sent


async def test_reads_are_one_query(stub: Any, statements: Statements) -> None:
    created = await stub.CreateCandidate(pb.CreateCandidateRequest(candidate=individual()), metadata=auth(*EDITOR))
    application = await stub.CreateApplication(
        pb.CreateApplicationRequest(
            application=pb.Application(candidate=created.name, programme="programmes/ouyue", year=2024)
        ),
        metadata=auth(*EDITOR),
    )

    reads: list[Callable[[], Any]] = [
        lambda: stub.GetCandidate(pb.GetCandidateRequest(name=created.name), metadata=auth(*VIEWER)),
        lambda: stub.ListCandidates(pb.ListCandidatesRequest(page_size=50), metadata=auth(*VIEWER)),
        lambda: stub.ListApplications(pb.ListApplicationsRequest(page_size=50), metadata=auth(*VIEWER)),
        lambda: stub.GetApplication(pb.GetApplicationRequest(name=application.name), metadata=auth(*VIEWER)),
        lambda: stub.GetApplicationHistory(
            pb.GetApplicationHistoryRequest(name=application.name), metadata=auth(*VIEWER)
        ),
        lambda: stub.GetTargetProgress(pb.GetTargetProgressRequest(year=2024), metadata=auth(*VIEWER)),
    ]
    for read in reads:
        await read()  # warm-up
        assert len(await statements.during(read())) == 1


async def _keep(call: Any, into: pb.Application) -> None:
    into.CopyFrom(await call)


async def test_target_progress_kept_answer_is_one_statement_and_the_same_bytes(
    service: RunningService, stub: Any, statements: Statements, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GetTargetProgress answers from the replica's kept answer while its validator holds: a hit is
    one statement that reads no target (the kept validator is its argument) and sends the very
    bytes a fresh read encodes; a write makes the next call read afresh, still in one statement."""
    async with aio.insecure_channel(f"127.0.0.1:{service.grpc_port}") as channel:
        raw = channel.unary_unary("/talent.v1.TalentService/GetTargetProgress")  # bytes in, bytes out
        request = pb.GetTargetProgressRequest(year=2024).SerializeToString()

        async def progress() -> bytes:
            answer: bytes = await raw(request, metadata=auth(*VIEWER))
            return answer

        await progress()  # warm-up: every statement prepared
        created = await stub.CreateCandidate(pb.CreateCandidateRequest(candidate=individual()), metadata=auth(*EDITOR))
        await stub.CreateApplication(
            pb.CreateApplicationRequest(
                application=pb.Application(candidate=created.name, programme="programmes/ouyue", year=2024)
            ),
            metadata=auth(*EDITOR),
        )
        # Count the targets encoded into messages: a fresh read encodes the year's three, a hit none.
        encoded: list[str] = []
        fill = codec.fill_progress

        def counted_fill(message: Any, item: Any) -> None:
            encoded.append(item.target.id)
            fill(message, item)

        monkeypatch.setattr(codec, "fill_progress", counted_fill)
        answers: list[bytes] = []
        sent: list[list[str]] = []
        for _fresh_then_kept_twice in range(3):
            sent.append(await statements.during(_append(progress(), answers)))
        assert [len(s) for s in sent] == [1, 1, 1], sent
        assert len(encoded) == 3, encoded
        assert answers[0] == answers[1] == answers[2]
        fresh = pb.TargetProgress.FromString(answers[0])
        assert {t.slug: {c.stage: c.count for c in t.open_stage_counts} for t in fresh.targets}["ouyue"][
            pb.STAGE_SCOUTED
        ] >= 1
        # The kept answer is an answer to this state: re-encoding the decoded message gives it back.
        assert fresh.SerializeToString(deterministic=True) == answers[1]


async def _append(call: Any, into: list[bytes]) -> None:
    into.append(await call)
