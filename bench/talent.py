"""Talent service: the seeded data and the calls measured (Health/Check, GetTargetProgress,
GetCandidate, a ListCandidates page, CreateCandidate with one unique candidate per call)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from grpc import aio
from grpc_health.v1 import health_pb2

from bench.cluster import ServiceProcess, auth
from bench.config import Config
from bench.loadgen import HEALTH_CHECK, Call, call_once, run_grpc
from bench.paired import GrpcSlices
from bench.report import Report
from protos.talent.v1 import talent_pb2 as pb
from protos.talent.v1 import talent_pb2_grpc

SERVICE = "talent.v1.TalentService"
TARGET_PROGRESS = f"/{SERVICE}/GetTargetProgress"
CREATE_CANDIDATE = f"/{SERVICE}/CreateCandidate"
CREATE_APPLICATION = f"/{SERVICE}/CreateApplication"
GET_CANDIDATE = f"/{SERVICE}/GetCandidate"
LIST_CANDIDATES = f"/{SERVICE}/ListCandidates"
LIST_PAGE = 50
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


async def seed_applications(service: ServiceProcess, count: int) -> list[str]:
    """``count`` candidates with a 2024 application each, spread over the individual programmes and
    the open stages, so that GetTargetProgress counts real rows; returns the candidates' names."""
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
    return names


@dataclass
class TalentCalls:
    health: Call
    progress: Call
    get_candidate: Call
    list_candidates: Call
    # Unique: one new candidate each.
    creates: list[Call]


async def prepare(report: Report, service: ServiceProcess, config: Config) -> TalentCalls:
    """Seeds the data, proves every measured request right with one real call, returns the calls."""
    names = await seed_applications(service, config.seed_applications)
    calls = TalentCalls(
        health=Call(HEALTH_CHECK, health_pb2.HealthCheckRequest().SerializeToString()),
        progress=Call(TARGET_PROGRESS, pb.GetTargetProgressRequest(year=YEAR).SerializeToString(), VIEWER),
        get_candidate=Call(
            GET_CANDIDATE, pb.GetCandidateRequest(name=names[len(names) // 2]).SerializeToString(), VIEWER
        ),
        list_candidates=Call(
            LIST_CANDIDATES, pb.ListCandidatesRequest(page_size=LIST_PAGE).SerializeToString(), VIEWER
        ),
        creates=create_calls(config.candidate_pool, "c"),
    )
    reply = pb.TargetProgress.FromString(await call_once(service.target, calls.progress))
    counted = sum(c.count for t in reply.targets for c in t.open_stage_counts)
    report.talent = {"seeded_applications": config.seed_applications, "targets": len(reply.targets)}
    if len(reply.targets) != 3 or counted != config.seed_applications:
        raise RuntimeError(f"GetTargetProgress answered {len(reply.targets)} targets, {counted} open applications")
    page = pb.ListCandidatesResponse.FromString(await call_once(service.target, calls.list_candidates))
    if len(page.candidates) != min(LIST_PAGE, config.seed_applications):
        raise RuntimeError(f"ListCandidates answered {len(page.candidates)} candidates")
    if pb.Candidate.FromString(await call_once(service.target, calls.get_candidate)).name not in names:
        raise RuntimeError("GetCandidate answered another candidate")
    await call_once(service.target, calls.health)
    await call_once(service.target, calls.creates[0])
    calls.creates = calls.creates[1:]
    return calls


def created(report: Report, slices: GrpcSlices, config: Config) -> None:
    report.talent["candidates_created"] = config.seed_applications + 1 + slices.offset
