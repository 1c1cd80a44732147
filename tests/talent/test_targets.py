"""GetTargetProgress on a database of its own, so that the counts are exactly this test's."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
from grpc import aio

from protos.talent.v1 import talent_pb2 as pb
from protos.talent.v1 import talent_pb2_grpc
from services.talent.service import DEFINITION
from services.talent.settings import TalentSettings
from tests.support import auth, create_database, start
from tests.talent.helpers import ADMIN, EDITOR, VIEWER, individual, team


@pytest.fixture(scope="module")
async def stub(postgres_url: str) -> AsyncIterator[Any]:
    running = await start(TalentSettings, DEFINITION, await create_database(postgres_url))
    async with aio.insecure_channel(f"127.0.0.1:{running.grpc_port}") as channel:
        yield talent_pb2_grpc.TalentServiceStub(channel)
    await running.stop(grace=0)


async def application_at(stub: Any, programme: str, stage: Any, candidate: pb.Candidate | None = None) -> str:
    """A new candidate with an application of 2024 at ``stage``; returns the candidate's name."""
    created = await stub.CreateCandidate(
        pb.CreateCandidateRequest(candidate=candidate or individual()), metadata=auth(*EDITOR)
    )
    order: list[Any] = [
        pb.STAGE_SCOUTED,
        pb.STAGE_RESERVED,
        pb.STAGE_CULTIVATING,
        pb.STAGE_APPLIED,
        pb.STAGE_UNDER_REVIEW,
    ]
    application = await stub.CreateApplication(
        pb.CreateApplicationRequest(application=pb.Application(candidate=created.name, programme=programme, year=2024)),
        metadata=auth(*EDITOR),
    )
    path = order[: order.index(stage) + 1] if stage in order else [*order, stage]
    for current, target in itertools.pairwise(path):
        await stub.TransitionApplication(
            pb.TransitionApplicationRequest(name=application.name, expected_stage=current, target_stage=target),
            metadata=auth(*EDITOR),
        )
    name: str = created.name
    return name


async def test_target_progress_counts_forecast_and_status(stub: Any) -> None:
    empty = await stub.GetTargetProgress(pb.GetTargetProgressRequest(year=2024), metadata=auth(*VIEWER))
    assert [(t.slug, t.required, t.selected, t.status) for t in empty.targets] == [
        ("city-teams", 1, 0, pb.TARGET_STATUS_AT_RISK),
        ("leading-talents", 5, 0, pb.TARGET_STATUS_AT_RISK),
        ("ouyue", 6, 0, pb.TARGET_STATUS_AT_RISK),
    ]
    # Leading talents: 4 selected over two programmes, 2 under review (0.65 each) → forecast 5.3.
    for _ in range(2):
        await application_at(stub, "programmes/national-leading", pb.STAGE_SELECTED)
        await application_at(stub, "programmes/provincial-leading", pb.STAGE_SELECTED)
        await application_at(stub, "programmes/provincial-leading", pb.STAGE_UNDER_REVIEW)
    await application_at(stub, "programmes/national-leading", pb.STAGE_NOT_SELECTED)
    # Ouyue: 1 applied (0.45) → at risk. City teams: 1 selected → met.
    await application_at(stub, "programmes/ouyue", pb.STAGE_APPLIED)
    await application_at(stub, "programmes/city-team", pb.STAGE_SELECTED, team())

    progress = await stub.GetTargetProgress(pb.GetTargetProgressRequest(year=2024), metadata=auth(*VIEWER))
    by_slug = {t.slug: t for t in progress.targets}
    leading = by_slug["leading-talents"]
    assert leading.selected == 4
    assert {c.stage: c.count for c in leading.open_stage_counts}[pb.STAGE_UNDER_REVIEW] == 2
    assert leading.forecast == pytest.approx(4 + 2 * 0.65)
    assert leading.status == pb.TARGET_STATUS_ON_TRACK
    assert by_slug["ouyue"].forecast == pytest.approx(0.45)
    assert by_slug["ouyue"].status == pb.TARGET_STATUS_AT_RISK
    assert by_slug["city-teams"].status == pb.TARGET_STATUS_MET
    assert progress.stage_probabilities["UNDER_REVIEW"] == pytest.approx(0.65)


async def test_year_without_targets_is_empty_and_bad_year_is_invalid(stub: Any) -> None:
    assert (await stub.GetTargetProgress(pb.GetTargetProgressRequest(year=2030), metadata=auth(*VIEWER))).targets == []
    with pytest.raises(aio.AioRpcError) as raised:
        await stub.GetTargetProgress(pb.GetTargetProgressRequest(year=0), metadata=auth(*VIEWER))
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_soft_deleted_candidates_do_not_count(stub: Any) -> None:
    before = await stub.GetTargetProgress(pb.GetTargetProgressRequest(year=2024), metadata=auth(*VIEWER))
    selected = {t.slug: t.selected for t in before.targets}["ouyue"]
    created = await application_at(stub, "programmes/ouyue", pb.STAGE_SELECTED)
    with_it = await stub.GetTargetProgress(pb.GetTargetProgressRequest(year=2024), metadata=auth(*VIEWER))
    assert {t.slug: t.selected for t in with_it.targets}["ouyue"] == selected + 1
    await stub.DeleteCandidate(pb.DeleteCandidateRequest(name=created), metadata=auth(*ADMIN))
    after = await stub.GetTargetProgress(pb.GetTargetProgressRequest(year=2024), metadata=auth(*VIEWER))
    assert {t.slug: t.selected for t in after.targets}["ouyue"] == selected


RECOUNT = (
    "SELECT a.year, a.programme_id, a.stage, count(*)::int AS n FROM applications a"
    " JOIN candidates c ON c.id = a.candidate_id WHERE c.delete_time IS NULL"
    " GROUP BY a.year, a.programme_id, a.stage"
)


async def test_kept_counts_match_a_recount_after_concurrent_moves_and_deletes(postgres_url: str) -> None:
    """The counts are kept by triggers (migration 0004): concurrent transitions of a candidate's
    applications and soft deletes of that candidate must leave them as a recount finds them."""
    running = await start(TalentSettings, DEFINITION, await create_database(postgres_url))
    try:
        async with aio.insecure_channel(f"127.0.0.1:{running.grpc_port}") as channel:
            stub = talent_pb2_grpc.TalentServiceStub(channel)
            names = [await application_at(stub, "programmes/ouyue", pb.STAGE_SCOUTED) for _ in range(12)]
            second = await asyncio.gather(
                *(
                    stub.CreateApplication(
                        pb.CreateApplicationRequest(
                            application=pb.Application(candidate=name, programme="programmes/ouyue", year=2025)
                        ),
                        metadata=auth(*EDITOR),
                    )
                    for name in names
                )
            )

            async def move(application: str) -> None:
                await stub.TransitionApplication(
                    pb.TransitionApplicationRequest(
                        name=application, expected_stage=pb.STAGE_SCOUTED, target_stage=pb.STAGE_RESERVED
                    ),
                    metadata=auth(*EDITOR),
                )

            async def delete(name: str) -> None:
                await stub.DeleteCandidate(pb.DeleteCandidateRequest(name=name), metadata=auth(*ADMIN))

            outcomes = await asyncio.gather(
                *(move(a.name) for a in second), *(delete(n) for n in names[::2]), return_exceptions=True
            )
            # A move may find its candidate deleted; nothing else may fail (a deadlock would).
            failures = [o.code() if isinstance(o, aio.AioRpcError) else o for o in outcomes if o is not None]
            assert set(failures) <= {grpc.StatusCode.NOT_FOUND, grpc.StatusCode.FAILED_PRECONDITION}, failures
            pool = running.pool
            kept = await pool.fetch("SELECT year, programme_id, stage, n FROM application_stage_counts WHERE n <> 0")
            assert sorted(map(tuple, kept)) == sorted(map(tuple, await pool.fetch(RECOUNT)))
            progress = await stub.GetTargetProgress(pb.GetTargetProgressRequest(year=2024), metadata=auth(*VIEWER))
            ouyue = {t.slug: t for t in progress.targets}["ouyue"]
            assert {c.stage: c.count for c in ouyue.open_stage_counts}[pb.STAGE_SCOUTED] == 6
    finally:
        await running.stop(grace=0)
