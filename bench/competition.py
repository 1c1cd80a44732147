"""Competition service: the data set up through the API (judges, contests, rounds, entries in
batches, AutoAssign, OpenRound) and the calls measured: SubmitScoreSheet (many judges submitting
concurrently, each with their own token), GetRound and a ListAssignments page; the replica scale
check; GetLeaderboard time for a round of ``entries`` × ``judges_per_entry`` sheets.

When the service does not implement an RPC yet (UNIMPLEMENTED), the part is skipped and
results.json says which RPC was missing."""

from __future__ import annotations

import os
import random
import statistics
import time
import uuid
from dataclasses import asdict, dataclass
from typing import Any

import grpc
from grpc import aio
from grpc_health.v1 import health_pb2

from bench import bare
from bench.cluster import ServerCounters, ServiceProcess, auth
from bench.config import Config
from bench.loadgen import HEALTH_CHECK, Call, LoadResult, call_once, is_unimplemented, run_grpc
from bench.paired import Cursor, GrpcSlices, Runner, measure_slice, merge, ratios
from bench.report import Measurement, Report
from protos.competition.v1 import competition_pb2 as pb
from protos.competition.v1 import competition_pb2_grpc

SERVICE = "competition.v1.CompetitionService"
SUBMIT = f"/{SERVICE}/SubmitScoreSheet"
LEADERBOARD = f"/{SERVICE}/GetLeaderboard"
GET_ROUND = f"/{SERVICE}/GetRound"
LIST_ASSIGNMENTS = f"/{SERVICE}/ListAssignments"
LIST_PAGE = 50
# Issue 10: two replicas on one database serve at least 1.6 × one replica (where the cores allow).
SCALE_GOAL = 1.6
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


async def set_up(
    stub: Any, config: Config, steps: list[str], *, entries: int | None = None, create_judges: bool = True
) -> tuple[str, list[tuple[str, str]]]:
    """A contest with one OPEN round whose ``entries`` (default: the config's) are all assigned;
    returns the round's name and the (judge id, entry name) assignments. ``steps`` records the RPC
    being called. The judges are created once, for the first contest."""
    entries = config.entries if entries is None else entries
    steps.append("CreateJudge")
    for j in range(config.judges if create_judges else 0):
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
                advancement=pb.Advancement(top_n=max(1, entries // 10)),
            ),
            round_id="preliminary",
            request_id=rid(),
        ),
        metadata=ADMIN,
    )
    steps.append("BatchCreateEntries")
    for start in range(0, entries, BATCH):
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
            for i in range(start, min(start + BATCH, entries))
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
    expected = entries * config.judges_per_entry
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


def bare_select_call() -> Call:
    return Call(bare.SELECT, bare.select_request(7))


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


@dataclass
class CompetitionCalls:
    health: Call
    get_round: Call
    list_assignments: Call
    # Unique, one per assignment: the measured round (then its leaderboard), and the scale check's.
    sheets: list[Call]
    scale_sheets: list[Call]
    round_name: str
    assignments: int


async def prepare(report: Report, service: ServiceProcess, config: Config) -> CompetitionCalls | None:
    """Two contests set up through the API (the measured round and the scale check's); None, with the
    reason in the report, when an RPC on the way is not implemented."""
    steps: list[str] = []
    async with aio.insecure_channel(service.target) as channel:
        stub = competition_pb2_grpc.CompetitionServiceStub(channel)
        try:
            round_name, assignments = await set_up(stub, config, steps)
            scale_round, scale_assignments = await set_up(
                stub, config, steps, entries=config.scale_entries, create_judges=False
            )
            steps.append("SubmitScoreSheet")
            calls = CompetitionCalls(
                health=Call(HEALTH_CHECK, health_pb2.HealthCheckRequest().SerializeToString()),
                get_round=Call(GET_ROUND, pb.GetRoundRequest(name=round_name).SerializeToString(), ADMIN),
                list_assignments=Call(
                    LIST_ASSIGNMENTS,
                    pb.ListAssignmentsRequest(round=round_name, page_size=LIST_PAGE).SerializeToString(),
                    ADMIN,
                ),
                sheets=sheet_calls(round_name, assignments),
                scale_sheets=sheet_calls(scale_round, scale_assignments),
                round_name=round_name,
                assignments=len(assignments),
            )
            await call_once(service.target, calls.sheets[0])
            calls.sheets = calls.sheets[1:]
        except aio.AioRpcError as error:
            method = steps[-1]
            if is_unimplemented(error):
                reason = f"{method} is UNIMPLEMENTED"
            elif error.code() == grpc.StatusCode.INTERNAL and service.logged_not_implemented(method):
                reason = f"{method} is not implemented (the server answers INTERNAL, logging NotImplementedError)"
            else:
                raise
            report.competition = {"available": False, "reason": reason}
            return None
    if pb.Round.FromString(await call_once(service.target, calls.get_round)).name != round_name:
        raise RuntimeError("GetRound answered another round")
    page = pb.ListAssignmentsResponse.FromString(await call_once(service.target, calls.list_assignments))
    if len(page.assignments) != min(LIST_PAGE, len(assignments)):
        raise RuntimeError(f"ListAssignments answered {len(page.assignments)} assignments")
    report.competition = {
        "available": True,
        "entries": config.entries,
        "judges": config.judges,
        "sheets": len(assignments),
        "scale_sheets": len(scale_assignments),
    }
    return calls


async def scale(
    report: Report, first: ServiceProcess, second: ServiceProcess, calls: CompetitionCalls, config: Config
) -> int:
    """SubmitScoreSheet with the load on one replica, then spread over two (same database, same total
    concurrency, the same unique sheets drawn from), interleaved like the ceilings: one, two, one, …
    Returns how many of ``calls.scale_sheets`` it used."""
    cursor = Cursor()
    limit = config.scale_max_requests
    one = Runner(
        "competition.submit_score_sheet.one_replica",
        "competition",
        "SubmitScoreSheet, 1 replica",
        SUBMIT,
        GrpcSlices(first.target, calls.scale_sheets, config, unique=True, cursor=cursor, max_requests=limit),
        [first],
    )
    two = Runner(
        "competition.submit_score_sheet.two_replicas",
        "competition",
        "SubmitScoreSheet, 2 replicas",
        SUBMIT,
        GrpcSlices(
            [first.target, second.target], calls.scale_sheets, config, unique=True, cursor=cursor, max_requests=limit
        ),
        [first, second],
    )
    singles: list[LoadResult] = []
    doubles: list[LoadResult] = []
    single_delta, double_delta = ServerCounters(), ServerCounters()
    for turn in range(config.rounds + 1):
        result, delta = await measure_slice(one, config.seconds / config.rounds)
        singles.append(result)
        single_delta = single_delta.plus(delta)
        if turn < config.rounds:
            result, delta = await measure_slice(two, config.seconds / config.rounds)
            doubles.append(result)
            double_delta = double_delta.plus(delta)
    single = Measurement.from_load(one.key, one.service, one.rpc, merge(singles), single_delta, SUBMIT)
    double = Measurement.from_load(two.key, two.service, two.rpc, merge(doubles), double_delta, SUBMIT)
    rounds = ratios(doubles, singles)
    ordered = sorted(rounds)
    ratio = statistics.median(rounds)
    cpus = os.cpu_count() or 1
    svc_ms = single.server_cpu_ms_per_request
    pg_ms = max(single.postgres_cpu_ms_per_request, double.postgres_cpu_ms_per_request, 1e-6)
    report.scale = {
        "measured": True,
        "verified": single.verified and double.verified,
        "tool": single.tool,
        "concurrency": config.concurrency,
        "cpus": cpus,
        # Two replicas, PostgreSQL and the load generator need more than 2 cores to scale at all.
        "cores_allow": cpus >= 4,
        "one_replica_rate": single.rate_per_second,
        "two_replicas_rate": double.rate_per_second,
        "ratio": round(ratio, 4),
        "ratio_rounds": rounds,
        "ratio_min": ordered[0],
        "ratio_max": ordered[-1],
        "goal_ratio": SCALE_GOAL,
        "met": ratio >= SCALE_GOAL,
        "service_cpu_ms_per_sheet": svc_ms,
        "service_cpu_ms_per_sheet_two_replicas": double.server_cpu_ms_per_request,
        "postgres_cpu_ms_per_sheet": round(pg_ms, 4),
        # A replica is one event loop: at most one core. PostgreSQL is the limit once the replicas
        # together ask more of its cores than it has: at cores_for_pg × svc_ms / pg_ms replicas.
        "sheets_per_replica_core": round(1000 / svc_ms, 1) if svc_ms else 0.0,
        "sheets_per_postgres_core": round(1000 / pg_ms, 1),
        "replicas_per_postgres_core": round(svc_ms / pg_ms, 2),
        "replicas_at_postgres_limit_by_postgres_cores": {str(n): round(n * svc_ms / pg_ms, 2) for n in (1, 2, 4, 8)},
        "one_replica": asdict(single),
        "two_replicas": asdict(double),
        "note": (
            "CPU only: a lock or a hot row that serialises sheets across replicas would cap the rate before "
            "either limit; on 2 cores the load generator, both replicas and PostgreSQL share them"
        ),
    }
    return cursor.offset


async def leaderboard(
    report: Report,
    service: ServiceProcess,
    select: ServiceProcess,
    calls: CompetitionCalls,
    config: Config,
    used: int,
) -> None:
    """The rest of the sheets (the first ``used`` were measured), then GetLeaderboard (every page)
    called one at a time, against one bare SELECT at a time."""
    submitted = 1 + used
    rest = calls.sheets[used:]
    if rest:
        filled = await run_grpc(service.target, rest, concurrency=config.concurrency, seconds=600)
        if filled.outcomes != {"OK": len(rest)}:
            raise RuntimeError(f"submitting the remaining sheets failed: {filled.outcomes}")
    report.competition["sheets_submitted_before_leaderboard"] = submitted + len(rest)
    async with aio.insecure_channel(service.target) as channel:
        stub = competition_pb2_grpc.CompetitionServiceStub(channel)
        before = select.counters()
        result = await run_grpc(
            select.target,
            [bare_select_call()],
            concurrency=1,
            seconds=config.seconds,
            limit=config.latency_baseline_calls,
            warmup=10,
        )
        base = report.add(
            Measurement.from_load(
                "bare.select.sequential",
                "bare",
                "SELECT (one at a time)",
                result,
                select.counters().minus(before),
                bare.SELECT,
                kind="latency",
            )
        )
        before = service.counters()
        first, rows = await whole_leaderboard(stub, calls.round_name)
        sheets = sorted({row.sheet_count for row in rows})
        if len(rows) != config.entries or sheets != [config.judges_per_entry]:
            raise RuntimeError(f"leaderboard has {len(rows)} rows with sheet counts {sheets}")
        reads = [first]
        for _ in range(config.leaderboard_repeats - 1):
            page_times, _ = await whole_leaderboard(stub, calls.round_name)
            reads.append(page_times)
        delta = service.counters().minus(before)
    times = [sum(c) for c in reads]
    first_pages = [c[0] for c in reads]
    pages = len(first)
    latencies = [t * 1000 for t in times]
    load = LoadResult("grpc.aio", 1, len(times), sum(times), latencies, {"OK": sum(len(c) for c in reads)})
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
        kind="latency",
    )
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
