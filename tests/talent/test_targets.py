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


# --- the kept answer (GetTargetProgress answers from a replica's last answer while it holds) --------

# The counts of 2024's targets as a recount of the applications finds them: {slug: (selected, open)}.
RECOUNT_BY_TARGET = (
    "SELECT t.slug, a.stage, count(*)::int AS n FROM targets t"
    " JOIN applications a ON a.year = t.year AND a.programme_id = ANY (t.programme_ids)"
    " JOIN candidates c ON c.id = a.candidate_id AND c.delete_time IS NULL"
    " WHERE t.year = 2024 GROUP BY t.slug, a.stage"
)
OPEN_STAGES = {
    "SCOUTED": pb.STAGE_SCOUTED,
    "RESERVED": pb.STAGE_RESERVED,
    "CULTIVATING": pb.STAGE_CULTIVATING,
    "APPLIED": pb.STAGE_APPLIED,
    "UNDER_REVIEW": pb.STAGE_UNDER_REVIEW,
}


async def recounted(pool: Any) -> dict[str, tuple[int, dict[int, int]]]:
    found: dict[str, tuple[int, dict[int, int]]] = {
        slug: (0, dict.fromkeys(OPEN_STAGES.values(), 0)) for slug in ("city-teams", "leading-talents", "ouyue")
    }
    for row in await pool.fetch(RECOUNT_BY_TARGET):
        open_counts = found[row["slug"]][1]
        if row["stage"] == "SELECTED":
            found[row["slug"]] = (row["n"], open_counts)
        elif row["stage"] in OPEN_STAGES:
            open_counts[OPEN_STAGES[row["stage"]]] = row["n"]
    return found


def answered(progress: pb.TargetProgress) -> dict[str, tuple[int, dict[int, int]]]:
    return {t.slug: (t.selected, {c.stage: c.count for c in t.open_stage_counts}) for t in progress.targets}


async def test_kept_answer_equals_a_recount_after_every_kind_of_write(postgres_url: str) -> None:
    """Each step changes the counts one way; the answer right after it (the previous one was kept)
    must be what a recount of the applications finds."""
    running = await start(TalentSettings, DEFINITION, await create_database(postgres_url))
    try:
        async with aio.insecure_channel(f"127.0.0.1:{running.grpc_port}") as channel:
            stub = talent_pb2_grpc.TalentServiceStub(channel)

            async def check(step: str) -> None:
                for _answered_then_kept in range(2):
                    progress = await stub.GetTargetProgress(
                        pb.GetTargetProgressRequest(year=2024), metadata=auth(*VIEWER)
                    )
                    assert answered(progress) == await recounted(running.pool), step

            await check("empty")
            created = await stub.CreateCandidate(
                pb.CreateCandidateRequest(candidate=individual()), metadata=auth(*EDITOR)
            )
            application = await stub.CreateApplication(
                pb.CreateApplicationRequest(
                    application=pb.Application(candidate=created.name, programme="programmes/ouyue", year=2024)
                ),
                metadata=auth(*EDITOR),
            )
            await check("create application")
            await stub.TransitionApplication(
                pb.TransitionApplicationRequest(
                    name=application.name, expected_stage=pb.STAGE_SCOUTED, target_stage=pb.STAGE_RESERVED
                ),
                metadata=auth(*EDITOR),
            )
            await check("transition")
            selected = await application_at(stub, "programmes/national-leading", pb.STAGE_SELECTED)
            await check("selected")
            await stub.AnonymizeCandidate(pb.AnonymizeCandidateRequest(name=selected), metadata=auth(*ADMIN))
            await check("anonymize")
            await stub.DeleteCandidate(pb.DeleteCandidateRequest(name=selected), metadata=auth(*ADMIN))
            await check("soft delete")

            names = [await application_at(stub, "programmes/city-team", pb.STAGE_SCOUTED, team()) for _ in range(6)]
            listed = await stub.ListApplications(pb.ListApplicationsRequest(page_size=50), metadata=auth(*VIEWER))
            moves = [a.name for a in listed.applications if a.candidate in names]

            async def move(name: str) -> None:
                await stub.TransitionApplication(
                    pb.TransitionApplicationRequest(
                        name=name, expected_stage=pb.STAGE_SCOUTED, target_stage=pb.STAGE_RESERVED
                    ),
                    metadata=auth(*EDITOR),
                )

            async def read() -> None:
                await stub.GetTargetProgress(pb.GetTargetProgressRequest(year=2024), metadata=auth(*VIEWER))

            # Reads race the moves: whatever they kept, the answer after the moves is the recount's.
            await asyncio.gather(*(move(n) for n in moves), *(read() for _ in range(12)))
            await check("concurrent moves")
            # A target changed under a running replica (by a later migration or an operator).
            await running.pool.execute("UPDATE targets SET required = required + 1 WHERE slug = 'ouyue'")
            progress = await stub.GetTargetProgress(pb.GetTargetProgressRequest(year=2024), metadata=auth(*VIEWER))
            assert {t.slug: t.required for t in progress.targets}["ouyue"] == 7
    finally:
        await running.stop(grace=0)


async def test_a_write_through_one_replica_is_read_through_another(postgres_url: str) -> None:
    """Read-your-writes across replicas: B's kept answer gives way to A's committed write at once."""
    database = await create_database(postgres_url)
    a = await start(TalentSettings, DEFINITION, database)
    b = await start(TalentSettings, DEFINITION, database)
    try:
        async with (
            aio.insecure_channel(f"127.0.0.1:{a.grpc_port}") as channel_a,
            aio.insecure_channel(f"127.0.0.1:{b.grpc_port}") as channel_b,
        ):
            stub_a = talent_pb2_grpc.TalentServiceStub(channel_a)
            stub_b = talent_pb2_grpc.TalentServiceStub(channel_b)

            async def ouyue_on_b() -> tuple[int, dict[int, int]]:
                progress = await stub_b.GetTargetProgress(
                    pb.GetTargetProgressRequest(year=2024), metadata=auth(*VIEWER)
                )
                return answered(progress)["ouyue"]

            for _kept in range(2):
                assert await ouyue_on_b() == (0, dict.fromkeys(OPEN_STAGES.values(), 0))
            created = await stub_a.CreateCandidate(
                pb.CreateCandidateRequest(candidate=individual()), metadata=auth(*EDITOR)
            )
            application = await stub_a.CreateApplication(
                pb.CreateApplicationRequest(
                    application=pb.Application(candidate=created.name, programme="programmes/ouyue", year=2024)
                ),
                metadata=auth(*EDITOR),
            )
            assert (await ouyue_on_b())[1][pb.STAGE_SCOUTED] == 1
            path = [pb.STAGE_SCOUTED, pb.STAGE_RESERVED, pb.STAGE_CULTIVATING, pb.STAGE_APPLIED, pb.STAGE_UNDER_REVIEW]
            for current, target in itertools.pairwise([*path, pb.STAGE_SELECTED]):
                await stub_a.TransitionApplication(
                    pb.TransitionApplicationRequest(name=application.name, expected_stage=current, target_stage=target),
                    metadata=auth(*EDITOR),
                )
                selected, open_counts = await ouyue_on_b()
                assert (selected, open_counts.get(target, 0)) == ((1, 0) if target == pb.STAGE_SELECTED else (0, 1))
            await stub_a.DeleteCandidate(pb.DeleteCandidateRequest(name=created.name), metadata=auth(*ADMIN))
            assert (await ouyue_on_b())[0] == 0
            assert answered(
                await stub_a.GetTargetProgress(pb.GetTargetProgressRequest(year=2024), metadata=auth(*VIEWER))
            ) == answered(
                await stub_b.GetTargetProgress(pb.GetTargetProgressRequest(year=2024), metadata=auth(*VIEWER))
            )
    finally:
        await b.stop(grace=0)
        await a.stop(grace=0)
