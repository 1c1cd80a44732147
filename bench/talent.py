"""Talent service: GetTargetProgress (h2load and grpc.aio) and CreateCandidate (grpc.aio, one unique
candidate per call), each against Health/Check through the same tool at the same concurrency."""

from __future__ import annotations

import itertools

from grpc import aio
from grpc_health.v1 import health_pb2

from bench.cluster import ServiceProcess, auth
from bench.config import Config
from bench.loadgen import HEALTH_CHECK, Call, call_once, h2load_path, run_grpc
from bench.paired import GrpcSlices, Runner, h2load_slices, interleaved
from bench.report import Report
from protos.talent.v1 import talent_pb2 as pb
from protos.talent.v1 import talent_pb2_grpc

SERVICE = "talent.v1.TalentService"
TARGET_PROGRESS = f"/{SERVICE}/GetTargetProgress"
CREATE_CANDIDATE = f"/{SERVICE}/CreateCandidate"
CREATE_APPLICATION = f"/{SERVICE}/CreateApplication"
EDITOR = auth("bench-hr-portal", "talent.editor")
VIEWER = auth("bench-viewer", "talent.viewer")
YEAR = 2024
OPEN_STAGES = (pb.STAGE_SCOUTED, pb.STAGE_RESERVED, pb.STAGE_CULTIVATING, pb.STAGE_APPLIED, pb.STAGE_UNDER_REVIEW)
INDIVIDUAL_PROGRAMMES = ("programmes/national-leading", "programmes/provincial-leading", "programmes/ouyue")
DOMAINS = (pb.DOMAIN_LIFE_HEALTH, pb.DOMAIN_NEW_ENERGY_MATERIALS, pb.DOMAIN_DIGITAL_ECONOMY, pb.DOMAIN_OTHER)


def candidate(n: int, prefix: str) -> pb.Candidate:
    """An individual candidate unique by email, phone and identity document for every ``n``."""
    return pb.Candidate(
        kind=pb.CANDIDATE_KIND_INDIVIDUAL,
        display_name=f"基准候选人 {prefix}{n}",
        domain=DOMAINS[n % len(DOMAINS)],
        origin=pb.ORIGIN_OVERSEAS if n % 2 else pb.ORIGIN_DOMESTIC,
        tier=pb.TIER_B,
        employer="温州医科大学",
        birth_year=1970 + n % 30,
        contact=pb.Contact(email=f"bench.{prefix}{n}@example.com", phone=f"13{'7' if prefix == 's' else '9'}{n:08d}"),
        identity_document=f"{prefix.upper()}{n:09d}X",
    )


def create_calls(count: int, prefix: str) -> list[Call]:
    return [
        Call(
            CREATE_CANDIDATE,
            pb.CreateCandidateRequest(
                candidate=candidate(n, prefix), request_id=f"bench-{prefix}-{n}"
            ).SerializeToString(),
            EDITOR,
        )
        for n in range(count)
    ]


async def seed_applications(service: ServiceProcess, count: int) -> None:
    """``count`` candidates with a 2024 application each, spread over the individual programmes and
    the open stages, so that GetTargetProgress counts real rows."""
    created = await run_grpc(service.target, create_calls(count, "s"), concurrency=8, seconds=300)
    if created.outcomes != {"OK": count}:
        raise RuntimeError(f"seeding candidates failed: {created.outcomes}")
    # CreateCandidate responses are not kept by run_grpc: list the candidates back.
    async with aio.insecure_channel(service.target) as channel:
        stub = talent_pb2_grpc.TalentServiceStub(channel)
        names: list[str] = []
        token = ""
        while True:
            page = await stub.ListCandidates(pb.ListCandidatesRequest(page_size=500, page_token=token), metadata=EDITOR)
            names += [c.name for c in page.candidates]
            token = page.next_page_token
            if not token:
                break
    calls = [
        Call(
            CREATE_APPLICATION,
            pb.CreateApplicationRequest(
                application=pb.Application(candidate=name, programme=programme, year=YEAR, stage=stage),
                request_id=f"bench-app-{i}",
            ).SerializeToString(),
            EDITOR,
        )
        for i, (name, programme, stage) in enumerate(
            zip(names, itertools.cycle(INDIVIDUAL_PROGRAMMES), itertools.cycle(OPEN_STAGES), strict=False)
        )
    ]
    applied = await run_grpc(service.target, calls, concurrency=8, seconds=300)
    if applied.outcomes != {"OK": len(calls)}:
        raise RuntimeError(f"seeding applications failed: {applied.outcomes}")


async def run(report: Report, service: ServiceProcess, config: Config) -> None:
    await seed_applications(service, config.seed_applications)
    health = Call(HEALTH_CHECK, health_pb2.HealthCheckRequest().SerializeToString())
    progress = Call(TARGET_PROGRESS, pb.GetTargetProgressRequest(year=YEAR).SerializeToString(), VIEWER)
    # One real call each first: the requests are right, and the answer is what we expect.
    reply = pb.TargetProgress.FromString(await call_once(service.target, progress))
    counted = sum(c.count for t in reply.targets for c in t.open_stage_counts)
    report.talent = {"seeded_applications": config.seed_applications, "targets": len(reply.targets)}
    if len(reply.targets) != 3 or counted != config.seed_applications:
        raise RuntimeError(f"GetTargetProgress answered {len(reply.targets)} targets, {counted} open applications")
    await call_once(service.target, health)
    creates = create_calls(config.candidate_pool, "c")
    await call_once(service.target, creates[0])
    target = service.target

    if h2load_path() is not None:
        await interleaved(
            report,
            service,
            "talent",
            Runner("talent.health.h2load", "Health/Check", HEALTH_CHECK, await h2load_slices(target, health, config)),
            [
                Runner(
                    "talent.get_target_progress.h2load",
                    "GetTargetProgress",
                    TARGET_PROGRESS,
                    await h2load_slices(target, progress, config),
                )
            ],
            rounds=config.rounds,
            seconds=config.seconds,
        )
    # Separate passes: CreateCandidate grows the candidates table, and GetTargetProgress is measured
    # on the seeded data first, then again once the creates have added their candidates.
    health_slices = GrpcSlices(target, [health], config)
    progress_slices = GrpcSlices(target, [progress], config)
    for baseline_key, runner in (
        (
            "talent.health.grpc_aio",
            Runner("talent.get_target_progress.grpc_aio", "GetTargetProgress", TARGET_PROGRESS, progress_slices),
        ),
        (
            "talent.health.grpc_aio.creates",
            Runner(
                "talent.create_candidate.grpc_aio",
                "CreateCandidate",
                CREATE_CANDIDATE,
                creates_slices := GrpcSlices(target, creates[1:], config, unique=True),
                note="one unique candidate per call (email, phone, identity document); each call commits a transaction",
            ),
        ),
        (
            "talent.health.grpc_aio.after_creates",
            Runner(
                "talent.get_target_progress.grpc_aio.after_creates",
                "GetTargetProgress (after creates)",
                TARGET_PROGRESS,
                progress_slices,
                note="the same call once CreateCandidate has added its candidates (see talent.candidates_created)",
            ),
        ),
    ):
        await interleaved(
            report,
            service,
            "talent",
            Runner(baseline_key, "Health/Check", HEALTH_CHECK, health_slices),
            [runner],
            rounds=config.rounds,
            seconds=config.seconds,
        )
    report.talent["candidates_created"] = config.seed_applications + 1 + creates_slices.offset
