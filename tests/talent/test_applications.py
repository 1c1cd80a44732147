"""Applications through the stage machine: creation rules, transitions, history, concurrency."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import grpc
import pytest
from grpc import aio

from protos.talent.v1 import talent_pb2 as pb
from services.common.server import RunningService
from tests.support import auth, status_details
from tests.talent.helpers import ADMIN, EDITOR, VIEWER, individual, team

PATH_TO_SELECTED = [
    pb.STAGE_SCOUTED,
    pb.STAGE_RESERVED,
    pb.STAGE_CULTIVATING,
    pb.STAGE_APPLIED,
    pb.STAGE_UNDER_REVIEW,
    pb.STAGE_SELECTED,
]


async def new_candidate(stub: Any, candidate: pb.Candidate | None = None) -> pb.Candidate:
    request = pb.CreateCandidateRequest(candidate=candidate or individual())
    created: pb.Candidate = await stub.CreateCandidate(request, metadata=auth(*EDITOR))
    return created


async def apply(stub: Any, candidate: str, programme: str = "programmes/ouyue", year: int = 2025) -> pb.Application:
    request = pb.CreateApplicationRequest(
        application=pb.Application(candidate=candidate, programme=programme, year=year)
    )
    created: pb.Application = await stub.CreateApplication(request, metadata=auth(*EDITOR))
    return created


async def move(stub: Any, name: str, expected: Any, target: Any, note: str = "") -> pb.Application:
    request = pb.TransitionApplicationRequest(name=name, expected_stage=expected, target_stage=target, note=note)
    moved: pb.Application = await stub.TransitionApplication(request, metadata=auth(*EDITOR))
    return moved


async def count_events(service: RunningService) -> int:
    value: int = await service.pool.fetchval("SELECT count(*) FROM application_events")
    return value


async def test_application_moves_to_selected_with_history(talent_stub: Any) -> None:
    candidate = await new_candidate(talent_stub)
    application = await apply(talent_stub, candidate.name)
    assert application.stage == pb.STAGE_SCOUTED
    for current, target in itertools.pairwise(PATH_TO_SELECTED):
        application = await move(talent_stub, application.name, current, target, note=f"to {target}")
    assert application.stage == pb.STAGE_SELECTED
    history = await talent_stub.GetApplicationHistory(
        pb.GetApplicationHistoryRequest(name=application.name), metadata=auth(*VIEWER)
    )
    assert [(e.from_stage, e.to_stage) for e in history.events] == [
        (pb.STAGE_UNSPECIFIED, pb.STAGE_SCOUTED),
        *list(itertools.pairwise(PATH_TO_SELECTED)),
    ]
    assert {e.actor for e in history.events} == {EDITOR[0]}
    assert history.events[-1].note == f"to {pb.STAGE_SELECTED}"


async def test_disallowed_move_is_failed_precondition_and_writes_nothing(
    talent_stub: Any, talent_service: RunningService
) -> None:
    application = await apply(talent_stub, (await new_candidate(talent_stub)).name)
    before = await count_events(talent_service)
    with pytest.raises(aio.AioRpcError) as raised:
        await move(talent_stub, application.name, pb.STAGE_SCOUTED, pb.STAGE_SELECTED)
    assert raised.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    reason, metadata, _ = status_details(raised.value)
    assert reason == "TRANSITION_NOT_ALLOWED"
    assert metadata == {"from_stage": "SCOUTED", "to_stage": "SELECTED"}
    assert await count_events(talent_service) == before
    withdrawn = await move(talent_stub, application.name, pb.STAGE_SCOUTED, pb.STAGE_WITHDRAWN)
    with pytest.raises(aio.AioRpcError) as raised:
        await move(talent_stub, withdrawn.name, pb.STAGE_WITHDRAWN, pb.STAGE_SCOUTED)
    assert raised.value.code() == grpc.StatusCode.FAILED_PRECONDITION


async def test_stale_expected_stage_is_aborted(talent_stub: Any) -> None:
    application = await apply(talent_stub, (await new_candidate(talent_stub)).name)
    with pytest.raises(aio.AioRpcError) as raised:
        await move(talent_stub, application.name, pb.STAGE_RESERVED, pb.STAGE_CULTIVATING)
    assert raised.value.code() == grpc.StatusCode.ABORTED
    assert status_details(raised.value)[1]["current_stage"] == "SCOUTED"


@pytest.mark.parametrize(
    ("request_fields", "field"),
    [
        ({"expected_stage": 0, "target_stage": pb.STAGE_RESERVED}, "expected_stage"),
        ({"expected_stage": pb.STAGE_SCOUTED, "target_stage": 99}, "target_stage"),
        ({"expected_stage": pb.STAGE_SCOUTED, "target_stage": pb.STAGE_RESERVED, "note": "x" * 2001}, "note"),
        # A NUL cannot be stored in a text column: refused up front, not INTERNAL from the database.
        ({"expected_stage": pb.STAGE_SCOUTED, "target_stage": pb.STAGE_RESERVED, "note": "good\x00"}, "note"),
    ],
)
async def test_bad_transition_request(talent_stub: Any, request_fields: dict[str, Any], field: str) -> None:
    application = await apply(talent_stub, (await new_candidate(talent_stub)).name)
    with pytest.raises(aio.AioRpcError) as raised:
        await talent_stub.TransitionApplication(
            pb.TransitionApplicationRequest(name=application.name, **request_fields), metadata=auth(*EDITOR)
        )
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in [f for f, _ in status_details(raised.value)[2]]


async def test_twenty_concurrent_transitions_exactly_one_succeeds(
    talent_stub: Any, talent_service: RunningService
) -> None:
    application = await apply(talent_stub, (await new_candidate(talent_stub)).name)
    before = await count_events(talent_service)
    results = await asyncio.gather(
        *(move(talent_stub, application.name, pb.STAGE_SCOUTED, pb.STAGE_RESERVED, f"try {i}") for i in range(20)),
        return_exceptions=True,
    )
    successes = [r for r in results if isinstance(r, pb.Application)]
    failures = [r for r in results if isinstance(r, aio.AioRpcError)]
    assert len(successes) == 1
    assert len(failures) == 19
    assert {f.code() for f in failures} == {grpc.StatusCode.ABORTED}
    assert await count_events(talent_service) == before + 1


async def test_transition_request_id_is_idempotent(talent_stub: Any, talent_service: RunningService) -> None:
    application = await apply(talent_stub, (await new_candidate(talent_stub)).name)
    request = pb.TransitionApplicationRequest(
        name=application.name, expected_stage=pb.STAGE_SCOUTED, target_stage=pb.STAGE_RESERVED, request_id="move-1"
    )
    first = await talent_stub.TransitionApplication(request, metadata=auth(*EDITOR))
    before = await count_events(talent_service)
    again = await talent_stub.TransitionApplication(request, metadata=auth(*EDITOR))
    assert again == first
    assert await count_events(talent_service) == before


async def test_team_only_applies_to_team_programmes_and_vice_versa(
    talent_stub: Any, talent_service: RunningService
) -> None:
    the_team = await new_candidate(talent_stub, team())
    person = await new_candidate(talent_stub)
    for candidate, programme in [(the_team, "programmes/ouyue"), (person, "programmes/city-team")]:
        with pytest.raises(aio.AioRpcError) as raised:
            await apply(talent_stub, candidate.name, programme)
        assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        reason, _, violations = status_details(raised.value)
        assert reason == "KIND_MISMATCH"
        assert violations[0][0] == "application.programme"
    assert (await apply(talent_stub, the_team.name, "programmes/city-team")).stage == pb.STAGE_SCOUTED
    count = await talent_service.pool.fetchval(
        "SELECT count(*) FROM applications WHERE candidate_id = ANY($1::uuid[])",
        [c.name.removeprefix("candidates/") for c in (the_team, person)],
    )
    assert count == 1


async def test_application_rules(talent_stub: Any) -> None:
    candidate = await new_candidate(talent_stub)
    await apply(talent_stub, candidate.name, year=2025)
    with pytest.raises(aio.AioRpcError) as raised:
        await apply(talent_stub, candidate.name, year=2025)
    assert raised.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert status_details(raised.value)[0] == "DUPLICATE_APPLICATION"
    with pytest.raises(aio.AioRpcError) as raised:
        await apply(talent_stub, candidate.name, year=2031)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert status_details(raised.value)[0] == "PROGRAMME_NOT_ACTIVE"
    with pytest.raises(aio.AioRpcError) as raised:
        await apply(talent_stub, candidate.name, programme="programmes/nope")
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(aio.AioRpcError) as raised:
        await apply(talent_stub, "candidates/00000000-0000-0000-0000-000000000000")
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(aio.AioRpcError) as raised:
        await apply(talent_stub, candidate.name, year=1990)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert [f for f, _ in status_details(raised.value)[2]] == ["application.year"]


async def test_list_applications_filters(talent_stub: Any) -> None:
    candidate = await new_candidate(talent_stub)
    ouyue = await apply(talent_stub, candidate.name, "programmes/ouyue", 2026)
    national = await apply(talent_stub, candidate.name, "programmes/national-leading", 2026)
    await move(talent_stub, national.name, pb.STAGE_SCOUTED, pb.STAGE_RESERVED)
    everything = await talent_stub.ListApplications(
        pb.ListApplicationsRequest(candidate=candidate.name), metadata=auth(*VIEWER)
    )
    assert {a.name for a in everything.applications} == {ouyue.name, national.name}
    by_level = await talent_stub.ListApplications(
        pb.ListApplicationsRequest(candidate=candidate.name, level=pb.PROGRAMME_LEVEL_NATIONAL), metadata=auth(*VIEWER)
    )
    assert [a.name for a in by_level.applications] == [national.name]
    by_stage = await talent_stub.ListApplications(
        pb.ListApplicationsRequest(candidate=candidate.name, stage=pb.STAGE_SCOUTED), metadata=auth(*VIEWER)
    )
    assert [a.name for a in by_stage.applications] == [ouyue.name]
    got = await talent_stub.GetApplication(pb.GetApplicationRequest(name=national.name), metadata=auth(*VIEWER))
    assert got.stage == pb.STAGE_RESERVED
    people = await talent_stub.ListCandidates(
        pb.ListCandidatesRequest(programme="programmes/national-leading", stage=pb.STAGE_RESERVED, year=2026),
        metadata=auth(*ADMIN),
    )
    assert candidate.name in [c.name for c in people.candidates]


async def test_list_programmes(talent_stub: Any) -> None:
    response = await talent_stub.ListProgrammes(pb.ListProgrammesRequest(), metadata=auth(*VIEWER))
    assert {p.name for p in response.programmes} == {
        "programmes/national-leading",
        "programmes/provincial-leading",
        "programmes/ouyue",
        "programmes/city-team",
    }
    city = await talent_stub.ListProgrammes(
        pb.ListProgrammesRequest(level=pb.PROGRAMME_LEVEL_CITY, page_size=1), metadata=auth(*VIEWER)
    )
    assert len(city.programmes) == 1 and city.next_page_token
    rest = await talent_stub.ListProgrammes(
        pb.ListProgrammesRequest(level=pb.PROGRAMME_LEVEL_CITY, page_size=1, page_token=city.next_page_token),
        metadata=auth(*VIEWER),
    )
    assert {p.name for p in [*city.programmes, *rest.programmes]} == {"programmes/ouyue", "programmes/city-team"}


async def test_concurrent_creates_of_one_application_make_one(talent_stub: Any, talent_service: RunningService) -> None:
    candidate = await new_candidate(talent_stub)

    def create(request_id: str) -> Any:
        request = pb.CreateApplicationRequest(
            application=pb.Application(candidate=candidate.name, programme="programmes/ouyue", year=2026),
            request_id=request_id,
        )
        return talent_stub.CreateApplication(request, metadata=auth(*EDITOR))

    # Different requests: one wins, the others are told which application exists.
    results = await asyncio.gather(
        *(create(f"app-race-{i}-{candidate.name[-8:]}") for i in range(8)), return_exceptions=True
    )
    created = [r for r in results if isinstance(r, pb.Application)]
    assert len(created) == 1
    refused = [r for r in results if isinstance(r, aio.AioRpcError)]
    assert {r.code() for r in refused} == {grpc.StatusCode.ALREADY_EXISTS}
    assert {status_details(r)[1]["existing_application"] for r in refused} == {created[0].name}
    # The winner's request retried concurrently: every call answers the first result.
    winner = results.index(created[0])
    again = await asyncio.gather(*(create(f"app-race-{winner}-{candidate.name[-8:]}") for _ in range(4)))
    assert all(r == created[0] for r in again)
    events = await talent_service.pool.fetchval(
        "SELECT count(*) FROM application_events e JOIN applications a ON a.id = e.application_id"
        " WHERE a.candidate_id = $1::uuid",
        candidate.name.removeprefix("candidates/"),
    )
    assert events == 1
