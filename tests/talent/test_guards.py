"""The guarded writes of the talent store on a real PostgreSQL: a write read against a state that
changed before it was written writes nothing — not the row, not its history, not its request key —
and says STALE, so that the use case reads and decides again."""

from __future__ import annotations

import uuid
from typing import Any

from google.protobuf.message import Message

from protos.talent.v1 import talent_pb2 as pb
from services.common.idempotency import RequestKey
from services.common.server import RunningService
from services.talent.api.codec import candidate_encodings
from services.talent.app.replies import now
from services.talent.domain import applications as application_rules
from services.talent.domain import candidates as candidate_rules
from services.talent.domain.models import Stage
from services.talent.store import applications as application_store
from services.talent.store import candidates as candidate_store
from services.talent.store.keys import Outcome, Remember
from tests.support import auth
from tests.talent.helpers import ADMIN, EDITOR, individual


def remember(response: Message) -> Remember:
    return Remember(RequestKey("guard-test:x", f"guard-{uuid.uuid4().hex}", b"\x01" * 32), response, "x/1")


async def key_stored(service: RunningService, memo: Remember) -> bool:
    found: bool = await service.pool.fetchval(
        "SELECT EXISTS (SELECT FROM idempotency_keys WHERE request_id = $1)", memo.key.request_id
    )
    return found


async def new_candidate_id(stub: Any) -> str:
    created = await stub.CreateCandidate(pb.CreateCandidateRequest(candidate=individual()), metadata=auth(*EDITOR))
    name: str = created.name
    return name.removeprefix("candidates/")


async def test_no_application_for_a_candidate_deleted_after_the_read(
    talent_stub: Any, talent_service: RunningService
) -> None:
    candidate_id = await new_candidate_id(talent_stub)
    context = await application_store.context_for_new(talent_service.pool, candidate_id, "ouyue", 2025, None)
    assert context.candidate_kind is not None  # read while the candidate was live …
    await talent_stub.DeleteCandidate(
        pb.DeleteCandidateRequest(name=f"candidates/{candidate_id}"), metadata=auth(*ADMIN)
    )
    application = application_rules.new_application(candidate_id, "ouyue", 2025, Stage.SCOUTED, now())
    for memo in (None, remember(pb.Application(name="applications/x"))):
        outcome = await application_store.insert(talent_service.pool, application, "tester", "created", memo)
        assert outcome is Outcome.STALE  # … written after it was deleted
        if memo is not None:
            assert not await key_stored(talent_service, memo)
    assert (
        await talent_service.pool.fetchval(
            "SELECT count(*) FROM applications WHERE candidate_id = $1::uuid", candidate_id
        )
        == 0
    )


async def test_a_move_read_before_another_move_writes_nothing(talent_stub: Any, talent_service: RunningService) -> None:
    candidate_id = await new_candidate_id(talent_stub)
    created = await talent_stub.CreateApplication(
        pb.CreateApplicationRequest(
            application=pb.Application(candidate=f"candidates/{candidate_id}", programme="programmes/ouyue", year=2025)
        ),
        metadata=auth(*EDITOR),
    )
    application_id = created.name.removeprefix("applications/")
    current, _ = await application_store.get_with_key(talent_service.pool, application_id, None)
    assert current is not None
    # Someone else moves it first.
    await talent_stub.TransitionApplication(
        pb.TransitionApplicationRequest(
            name=created.name, expected_stage=pb.STAGE_SCOUTED, target_stage=pb.STAGE_WITHDRAWN
        ),
        metadata=auth(*EDITOR),
    )
    moved = application_rules.moved(current, Stage.SCOUTED, Stage.RESERVED, now())
    for memo in (None, remember(pb.Application(name=created.name))):
        assert await application_store.move(talent_service.pool, current, moved, "tester", "", memo) is Outcome.STALE
        if memo is not None:
            assert not await key_stored(talent_service, memo)
    after = await application_store.get(talent_service.pool, application_id)
    assert after.stage is Stage.WITHDRAWN
    history = await application_store.history(talent_service.pool, application_id)
    assert [e.to_stage for e in history] == [Stage.SCOUTED, Stage.WITHDRAWN]


async def test_a_delete_read_before_an_update_writes_nothing(talent_stub: Any, talent_service: RunningService) -> None:
    candidate_id = await new_candidate_id(talent_stub)
    current = await candidate_store.get(talent_service.pool, candidate_id)
    changed = candidate_rules.updated(current, current, None, False, now())
    assert await candidate_store.update(
        talent_service.pool, current, changed, candidate_encodings(changed), None, False
    )
    deleted = candidate_rules.deleted(current, now())
    for memo in (None, remember(pb.Candidate(name=f"candidates/{candidate_id}"))):
        outcome = await candidate_store.soft_delete(
            talent_service.pool, current, deleted, candidate_encodings(deleted), memo
        )
        assert outcome is Outcome.STALE
        if memo is not None:
            assert not await key_stored(talent_service, memo)
    assert (await candidate_store.get(talent_service.pool, candidate_id)).delete_time is None
    # And a write whose request key is already taken writes nothing either.
    fresh = await candidate_store.get(talent_service.pool, candidate_id)
    memo = remember(pb.Candidate(name=f"candidates/{candidate_id}"))
    await talent_service.pool.execute(
        "INSERT INTO idempotency_keys (scope, request_id, request_hash) VALUES ($1, $2, $3)",
        memo.key.scope,
        memo.key.request_id,
        memo.key.digest,
    )
    deleted = candidate_rules.deleted(fresh, now())
    outcome = await candidate_store.soft_delete(talent_service.pool, fresh, deleted, candidate_encodings(deleted), memo)
    assert outcome is Outcome.KEY_TAKEN
    assert (await candidate_store.get(talent_service.pool, candidate_id)).delete_time is None
