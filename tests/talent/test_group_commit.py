"""CreateCandidate's group commit (services.common.group_commit): creates that arrive while a
create's statement is in flight share the next statement, and each still gets the answer it would
have got alone. The first statement is held in flight by a lock on ``candidates`` (tests.held_statement)."""

from __future__ import annotations

import asyncio
import functools
import uuid
from collections.abc import Sequence
from typing import Any

import grpc
from grpc import aio

from protos.talent.v1 import talent_pb2 as pb
from services.common.server import RunningService
from tests import held_statement
from tests.held_statement import group_counters
from tests.support import auth, status_details
from tests.talent.helpers import EDITOR, individual


async def metrics(service: RunningService) -> dict[str, float]:
    return await group_counters(service, "CreateCandidate", "talent_candidate")


def create(stub: Any, candidate: pb.Candidate, request_id: str = "", timeout: float | None = None) -> Any:
    request = pb.CreateCandidateRequest(candidate=candidate, request_id=request_id)
    return asyncio.ensure_future(stub.CreateCandidate(request, metadata=auth(*EDITOR), timeout=timeout))


async def queued_behind_a_held_statement(
    service: RunningService,
    stub: Any,
    queued: Sequence[tuple[pb.Candidate, str, float | None]],
    held_after: float = 0.1,
) -> tuple[Any, list[Any]]:
    """The first create (its statement held), and the creates ``queued`` (candidate, request id,
    deadline) while it was in flight."""
    return await held_statement.queued_behind_a_held_statement(
        service,
        "candidates",
        lambda: metrics(service),
        lambda: create(stub, individual()),
        [functools.partial(create, stub, *call) for call in queued],
        held_after,
    )


async def test_creates_that_wait_behind_a_statement_go_together_in_the_next(
    talent_service: RunningService, talent_stub: Any
) -> None:
    before = await metrics(talent_service)
    first, calls = await queued_behind_a_held_statement(
        talent_service, talent_stub, [(individual(), "", None) for _ in range(10)]
    )
    created = [await first, *await asyncio.gather(*calls)]
    after = await metrics(talent_service)
    assert after["rows"] - before["rows"] == 11
    assert after["statements"] - before["statements"] == 2  # the held one alone, then the ten together
    assert len({c.name for c in created}) == 11
    for candidate in created:
        assert (
            await talent_stub.GetCandidate(pb.GetCandidateRequest(name=candidate.name), metadata=auth(*EDITOR))
            == candidate
        )


async def test_a_group_refused_for_one_row_answers_every_row_as_alone(
    talent_service: RunningService, talent_stub: Any
) -> None:
    """A duplicate in the group: PostgreSQL refuses the group's statement, every row is written
    alone, and only the duplicate is refused, naming the candidate it duplicates. Two calls with one
    request id: one candidate, the same response twice."""
    twin = individual()
    copy = individual()
    copy.contact.email = twin.contact.email.upper()
    retried = individual()
    request_id = f"group-{uuid.uuid4().hex}"
    others = [individual() for _ in range(3)]
    queued = [(twin, "", None), (copy, "", None), (retried, request_id, None), (retried, request_id, None)]
    first, calls = await queued_behind_a_held_statement(
        talent_service, talent_stub, queued + [(c, "", None) for c in others]
    )
    await first
    outcomes = await asyncio.gather(*calls, return_exceptions=True)
    pair, (once, again, *rest) = outcomes[:2], outcomes[2:]
    # Alone, the two race as any two creates do: one is written, the other refused naming it.
    refused = [o for o in pair if isinstance(o, aio.AioRpcError)]
    created = [o for o in pair if isinstance(o, pb.Candidate)]
    assert len(refused) == len(created) == 1, pair
    assert refused[0].code() == grpc.StatusCode.ALREADY_EXISTS
    reason, metadata, _ = status_details(refused[0])
    assert reason == "DUPLICATE_CANDIDATE"
    assert metadata["existing_candidate"] == created[0].name
    assert once == again
    named = await talent_service.pool.fetchval(
        "SELECT count(*) FROM candidates WHERE display_name = $1", retried.display_name
    )
    assert named == 1
    assert [getattr(c, "display_name", c) for c in rest] == [c.display_name for c in others]


async def test_a_caller_that_gives_up_while_queued_leaves_the_others_written(
    talent_service: RunningService, talent_stub: Any
) -> None:
    gone = individual()
    stays = [individual(), individual()]
    queued = [(stays[0], "", None), (gone, "", 0.3), (stays[1], "", None)]
    first, calls = await queued_behind_a_held_statement(talent_service, talent_stub, queued, held_after=0.8)
    await first
    kept, gave_up, kept_too = await asyncio.gather(*calls, return_exceptions=True)
    assert isinstance(gave_up, aio.AioRpcError) and gave_up.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert [getattr(c, "display_name", c) for c in (kept, kept_too)] == [c.display_name for c in stays]
    # Its row was not taken into a statement: the call ended before the group's statement began.
    assert (
        await talent_service.pool.fetchval("SELECT count(*) FROM candidates WHERE display_name = $1", gone.display_name)
        == 0
    )


async def test_one_request_id_twice_in_a_group_makes_one_candidate(
    talent_service: RunningService, talent_stub: Any
) -> None:
    """The group writes the first of the two; the second, left out, replays the first's response."""
    before = await metrics(talent_service)
    retried = individual()
    request_id = f"group-{uuid.uuid4().hex}"
    queued = [(individual(), "", None), (retried, request_id, None), (retried, request_id, None)]
    first, calls = await queued_behind_a_held_statement(talent_service, talent_stub, queued)
    await first
    _, once, again = await asyncio.gather(*calls)
    after = await metrics(talent_service)
    assert after["statements"] - before["statements"] == 2
    assert once == again
    named = await talent_service.pool.fetchval(
        "SELECT count(*) FROM candidates WHERE display_name = $1", retried.display_name
    )
    assert named == 1
