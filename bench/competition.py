"""Competition service: SubmitScoreSheet rate (many judges submitting concurrently, each with their
own token) and GetLeaderboard time for a round of ``entries`` × ``judges_per_entry`` sheets.

Everything is set up through the API: judges, a contest, a round, entries in batches, AutoAssign,
OpenRound. When the service does not implement an RPC yet (UNIMPLEMENTED), the part is skipped and
results.json says which RPC was missing."""

from __future__ import annotations

import random
import statistics
import time
import uuid
from typing import Any

import grpc
from grpc import aio
from grpc_health.v1 import health_pb2
from rich.console import Console

from bench.cluster import ServiceProcess, auth
from bench.config import Config
from bench.loadgen import HEALTH_CHECK, Call, LoadResult, call_once, is_unimplemented, run_grpc
from bench.paired import GrpcSlices, Runner, interleaved
from bench.report import Measurement, Report
from protos.competition.v1 import competition_pb2 as pb
from protos.competition.v1 import competition_pb2_grpc

SERVICE = "competition.v1.CompetitionService"
SUBMIT = f"/{SERVICE}/SubmitScoreSheet"
LEADERBOARD = f"/{SERVICE}/GetLeaderboard"
ADMIN = auth("bench-admin", "competition.admin")
BATCH = 100
PAGE = 500
CRITERIA = (
    pb.Criterion(key="technology", display_name="技术", weight=30, min_value=0, max_value=10, step=0.5),
    pb.Criterion(key="industrialisation", display_name="产业化", weight=30, min_value=0, max_value=10, step=0.5),
    pb.Criterion(key="team", display_name="团队", weight=20, min_value=0, max_value=10, step=0.5),
    pb.Criterion(key="landing", display_name="落地意向", weight=20, min_value=0, max_value=10, step=0.5),
)
DOMAINS = (pb.DOMAIN_LIFE_HEALTH, pb.DOMAIN_NEW_ENERGY_MATERIALS, pb.DOMAIN_DIGITAL_ECONOMY)


def rid() -> str:
    return uuid.uuid4().hex


def judge_id(index: int) -> str:
    return f"judge-{index:03d}"


async def set_up(stub: Any, config: Config, steps: list[str]) -> tuple[str, list[tuple[str, str]]]:
    """A contest with one OPEN round whose entries are all assigned; returns the round's name and the
    (judge id, entry name) assignments. ``steps`` records the RPC being called."""
    steps.append("CreateJudge")
    for j in range(config.judges):
        judge = pb.Judge(
            display_name=f"评委 {j}",
            domains=[DOMAINS[j % len(DOMAINS)], DOMAINS[(j + 1) % len(DOMAINS)]],
            affiliations=[f"Bench Judging Institute {j}"],
        )
        await stub.CreateJudge(
            pb.CreateJudgeRequest(judge=judge, judge_id=judge_id(j), request_id=rid()), metadata=ADMIN
        )
    steps.append("CreateContest")
    contest = await stub.CreateContest(
        pb.CreateContestRequest(
            contest=pb.Contest(display_name="Benchmark contest", year=2024, landing_deadline="2024-12-31"),
            contest_id=f"bench-{uuid.uuid4().hex[:8]}",
            request_id=rid(),
        ),
        metadata=ADMIN,
    )
    steps.append("CreateRound")
    round_ = await stub.CreateRound(
        pb.CreateRoundRequest(
            parent=contest.name,
            round=pb.Round(
                display_name="初赛",
                kind=pb.ROUND_KIND_PRELIMINARY,
                sequence=1,
                criteria=CRITERIA,
                judges_per_entry=config.judges_per_entry,
                aggregation=pb.AGGREGATION_METHOD_TRIMMED_MEAN,
                advancement=pb.Advancement(top_n=max(1, config.entries // 10)),
            ),
            round_id="preliminary",
            request_id=rid(),
        ),
        metadata=ADMIN,
    )
    steps.append("BatchCreateEntries")
    for start in range(0, config.entries, BATCH):
        rows = [
            pb.CreateEntryRequest(
                parent=contest.name,
                entry_id=f"entry-{i:05d}",
                entry=pb.Entry(
                    title=f"基准项目 {i}",
                    team=pb.Team(
                        leader=pb.TeamMember(display_name=f"负责人 {i}", role="CEO"),
                        members=[pb.TeamMember(display_name=f"成员 {i}", role="CTO")],
                        organisations=[f"Bench Startup {i}"],
                    ),
                    domain=DOMAINS[i % len(DOMAINS)],
                    origin_country="CN" if i % 3 else "DE",
                    summary="Benchmark entry.",
                ),
            )
            for i in range(start, min(start + BATCH, config.entries))
        ]
        await stub.BatchCreateEntries(
            pb.BatchCreateEntriesRequest(parent=contest.name, requests=rows, request_id=rid()), metadata=ADMIN
        )
    steps.append("AutoAssign")
    assigned = await stub.AutoAssign(pb.AutoAssignRequest(round=round_.name, request_id=rid()), metadata=ADMIN)
    if assigned.shortfalls:
        raise RuntimeError(f"AutoAssign left {len(assigned.shortfalls)} entries short: {assigned.shortfalls[0]}")
    steps.append("OpenRound")
    await stub.OpenRound(pb.OpenRoundRequest(name=round_.name, request_id=rid()), metadata=ADMIN)
    steps.append("ListAssignments")
    assignments: list[tuple[str, str]] = []
    token = ""
    while True:
        page = await stub.ListAssignments(
            pb.ListAssignmentsRequest(round=round_.name, page_size=PAGE, page_token=token), metadata=ADMIN
        )
        assignments += [(a.judge.removeprefix("judges/"), a.entry) for a in page.assignments]
        token = page.next_page_token
        if not token:
            break
    expected = config.entries * config.judges_per_entry
    if len(assignments) != expected:
        raise RuntimeError(f"{len(assignments)} assignments listed, {expected} expected")
    return round_.name, assignments


def sheet_calls(round_name: str, assignments: list[tuple[str, str]]) -> list[Call]:
    """One score sheet per assignment, judges interleaved so that many submit at once."""
    rng = random.Random(20240601)
    tokens = {judge: auth(judge, "competition.judge") for judge, _ in assignments}
    calls = []
    for judge, entry in sorted(assignments, key=lambda a: rng.random()):
        scores = [pb.CriterionScore(criterion=c.key, value=rng.randrange(0, 21) * c.step) for c in CRITERIA]
        request = pb.SubmitScoreSheetRequest(
            round=round_name, entry=entry, scores=scores, comment="基准评分", request_id=rid()
        )
        calls.append(Call(SUBMIT, request.SerializeToString(), tokens[judge]))
    return calls


async def whole_leaderboard(stub: Any, round_name: str) -> tuple[list[float], list[Any]]:
    """Seconds for each page of the leaderboard (read to the end), and its rows."""
    rows: list[Any] = []
    pages: list[float] = []
    token = ""
    while True:
        started = time.perf_counter()
        page = await stub.GetLeaderboard(
            pb.GetLeaderboardRequest(round=round_name, page_size=PAGE, page_token=token), metadata=ADMIN, timeout=300
        )
        pages.append(time.perf_counter() - started)
        rows += page.rows
        token = page.next_page_token
        if not token:
            break
    return pages, rows


async def run(report: Report, service: ServiceProcess, config: Config, console: Console) -> None:
    steps: list[str] = []
    async with aio.insecure_channel(service.target) as channel:
        stub = competition_pb2_grpc.CompetitionServiceStub(channel)
        try:
            await measure(report, service, stub, config, console, steps)
        except aio.AioRpcError as error:
            method = steps[-1]
            if is_unimplemented(error):
                reason = f"{method} is UNIMPLEMENTED"
            elif error.code() == grpc.StatusCode.INTERNAL and service.logged_not_implemented(method):
                reason = f"{method} is not implemented (the server answers INTERNAL, logging NotImplementedError)"
            else:
                raise
            report.competition["available"] = False
            report.competition["reason"] = reason


async def measure(
    report: Report, service: ServiceProcess, stub: Any, config: Config, console: Console, steps: list[str]
) -> None:
    round_name, assignments = await set_up(stub, config, steps)
    report.competition = {
        "available": True,
        "entries": config.entries,
        "judges": config.judges,
        "sheets": len(assignments),
    }
    steps.append("SubmitScoreSheet")
    health = Call(HEALTH_CHECK, health_pb2.HealthCheckRequest().SerializeToString())
    calls = sheet_calls(round_name, assignments)
    await call_once(service.target, calls[0])
    sheets = GrpcSlices(service.target, calls[1:], config, unique=True)
    await interleaved(
        report,
        service,
        "competition",
        Runner(
            "competition.health.grpc_aio",
            "Health/Check",
            HEALTH_CHECK,
            GrpcSlices(service.target, [health], config),
        ),
        [
            Runner(
                "competition.submit_score_sheet.grpc_aio",
                "SubmitScoreSheet",
                SUBMIT,
                sheets,
                note=f"{config.judges} judges, each with their own token; one sheet per assignment, committed",
            )
        ],
        rounds=config.rounds,
        seconds=config.seconds,
    )
    submitted = 1 + sheets.offset

    # The rest of the sheets (unmeasured), so that the leaderboard has every entry × k sheets.
    rest = calls[submitted:]
    if rest:
        console.print(f"submitting the remaining {len(rest):,} sheets (not measured)…")
        filled = await run_grpc(service.target, rest, concurrency=config.concurrency, seconds=600)
        if filled.outcomes != {"OK": len(rest)}:
            raise RuntimeError(f"submitting the remaining sheets failed: {filled.outcomes}")
    steps.append("GetLeaderboard")
    await leaderboard(report, service, stub, round_name, config, health)


async def leaderboard(
    report: Report, service: ServiceProcess, stub: Any, round_name: str, config: Config, health: Call
) -> None:
    """GetLeaderboard (every page) called one at a time, against one Health/Check at a time."""
    before = service.counters()
    result = await run_grpc(
        service.target, [health], concurrency=1, seconds=config.seconds, limit=config.latency_baseline_calls, warmup=10
    )
    base = report.add(
        Measurement.from_load(
            "competition.health.sequential",
            "competition",
            "Health/Check",
            result,
            service.counters().minus(before),
            HEALTH_CHECK,
        )
    )

    before = service.counters()
    first, rows = await whole_leaderboard(stub, round_name)
    sheets = sorted({row.sheet_count for row in rows})
    if len(rows) != config.entries or sheets != [config.judges_per_entry]:
        raise RuntimeError(f"leaderboard has {len(rows)} rows with sheet counts {sheets}")
    calls = [first]
    for _ in range(config.leaderboard_repeats - 1):
        page_times, _ = await whole_leaderboard(stub, round_name)
        calls.append(page_times)
    times = [sum(c) for c in calls]
    first_pages = [c[0] for c in calls]
    delta = service.counters().minus(before)
    pages = len(first)
    latencies = [t * 1000 for t in times]
    load = LoadResult("grpc.aio", 1, len(times), sum(times), latencies, {"OK": sum(len(c) for c in calls)})
    measurement = Measurement.from_load(
        "competition.get_leaderboard.sequential",
        "competition",
        f"GetLeaderboard ({config.entries:,}×{config.judges_per_entry})",
        load,
        delta,
        LEADERBOARD,
        note=(
            f"one read = all {pages} page(s) of {PAGE} rows (CPU per page call); "
            f"{config.entries:,} entries × {config.judges_per_entry} "
            f"sheets; first read {sum(first):.3f} s, median {statistics.median(times):.3f} s, "
            f"median of the first page alone {statistics.median(first_pages):.3f} s"
        ),
    )
    measurement.kind = "latency"
    measurement.requests = len(times)
    report.add(measurement).against(base)
    report.competition["leaderboard_seconds"] = {
        "pages": len(first),
        "first": round(sum(first), 4),
        "first_page_median": round(statistics.median(first_pages), 4),
        "median": round(statistics.median(times), 4),
        "min": round(min(times), 4),
        "max": round(max(times), 4),
    }
