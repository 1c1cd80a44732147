"""What is measured against what: each RPC against the bare ceiling that does the same work minus the
platform, through the same tool at the same concurrency, in interleaved rounds.

| ceiling (bench/bare.py)   | tool             | RPCs                                                   | goal  |
|---------------------------|------------------|--------------------------------------------------------|-------|
| echo                      | h2load, grpc.aio | Health/Check (talent; competition with h2load)         | ≥ 0.8 |
| one indexed SELECT        | h2load*          | GetTargetProgress, GetCandidate, GetRound              | ≥ 0.7 |
| one 50-row indexed SELECT | h2load*          | ListCandidates and ListAssignments pages of 50         | ≥ 0.7 |
| one INSERT                | grpc.aio, unique | CreateCandidate (≥ 0.6), SubmitScoreSheet (≥ 0.5)      |       |

(* grpc.aio when h2load is not installed.) Then the replica scale check, GetLeaderboard, and the SQL
statements each RPC sends per call."""

from __future__ import annotations

from grpc_health.v1 import health_pb2
from rich.console import Console

from bench import bare, competition, statements, talent
from bench.cluster import Cluster, ServiceProcess
from bench.config import Config
from bench.loadgen import HEALTH_CHECK, Call, call_once, h2load_path
from bench.paired import GrpcSlices, Runner, Slice, h2load_slices, interleaved
from bench.report import Report
from bench.statements import Probe

HEALTH_GOAL, READ_GOAL, CREATE_GOAL, SHEET_GOAL = 0.8, 0.7, 0.6, 0.5
# Calls per RPC when counting its SQL statements.
PROBE_CALLS = 10


def echo_call() -> Call:
    """The echo ceiling gets the bytes Health/Check answers (SERVING) and answers them back."""
    serving = health_pb2.HealthCheckResponse(status=health_pb2.HealthCheckResponse.SERVING)
    return Call(bare.ECHO, serving.SerializeToString())


def bare_page_call() -> Call:
    return Call(bare.PAGE, bare.page_request(7))


Read = tuple[str, str, str, ServiceProcess, Call]


async def repeated(tool: str, process: ServiceProcess, call: Call, config: Config) -> Slice:
    if tool == "h2load":
        return await h2load_slices(process.target, call, config)
    return GrpcSlices(process.target, [call], config)


async def run(report: Report, cluster: Cluster, config: Config, console: Console, skip_competition: bool) -> None:
    assert cluster.talent is not None and cluster.competition is not None
    with console.status("bare ceilings (echo, INSERT, SELECT, 50-row SELECT)…"):
        echo = await cluster.start_bare("echo")
        insert = await cluster.start_bare("insert")
        select = await cluster.start_bare("select")
        page = await cluster.start_bare("page")
        inserts = [Call(bare.INSERT, bare.insert_request(n)) for n in range(config.bare_insert_pool)]
        await call_once(echo.target, echo_call())
        await call_once(select.target, competition.bare_select_call())
        await call_once(page.target, bare_page_call())
        await call_once(insert.target, inserts[0])
        inserts = inserts[1:]
    with console.status("talent: seeding…"):
        calls = await talent.prepare(report, cluster.talent, config)
    contest: competition.CompetitionCalls | None = None
    if skip_competition:
        report.competition = {"available": False, "reason": "skipped (--skip-competition)"}
        report.scale = {"measured": False, "reason": "skipped (--skip-competition)"}
    else:
        with console.status("competition: setting up two contests…"):
            contest = await competition.prepare(report, cluster.competition, config)
        if contest is None:
            report.scale = {"measured": False, "reason": report.competition["reason"]}
    await cluster.analyze()
    talent_svc, competition_svc = cluster.talent, cluster.competition
    repeat_tool = "h2load" if h2load_path() else "grpc.aio"
    tag = repeat_tool.replace(".", "_")

    # Health/Check ÷ bare echo, with h2load (when installed) and with the grpc.aio client.
    for tool in dict.fromkeys([repeat_tool, "grpc.aio"]):
        t = tool.replace(".", "_")
        with console.status(f"Health/Check against bare echo ({tool})…"):
            runners = [
                Runner(
                    f"talent.health.{t}",
                    "talent",
                    "Health/Check",
                    HEALTH_CHECK,
                    await repeated(tool, talent_svc, calls.health, config),
                    [talent_svc],
                    goal=HEALTH_GOAL,
                )
            ]
            if contest is not None and tool == "h2load":
                runners.append(
                    Runner(
                        f"competition.health.{t}",
                        "competition",
                        "Health/Check",
                        HEALTH_CHECK,
                        await repeated(tool, competition_svc, contest.health, config),
                        [competition_svc],
                        goal=HEALTH_GOAL,
                    )
                )
            ceiling = Runner(
                f"bare.echo.{t}", "bare", "echo", bare.ECHO, await repeated(tool, echo, echo_call(), config), [echo]
            )
            await interleaved(report, ceiling, runners, rounds=config.rounds, seconds=config.seconds)

    # Reads ÷ bare SELECT (the body repeats, so h2load when installed): one-row reads against one
    # indexed row, list pages against one indexed SELECT of as many rows.
    single: list[Read] = [
        ("talent.get_target_progress", "talent", "GetTargetProgress", talent_svc, calls.progress),
        ("talent.get_candidate", "talent", "GetCandidate", talent_svc, calls.get_candidate),
    ]
    pages: list[Read] = [
        ("talent.list_candidates", "talent", f"ListCandidates ({talent.LIST_PAGE})", talent_svc, calls.list_candidates),
    ]
    if contest is not None:
        single.append(("competition.get_round", "competition", "GetRound", competition_svc, contest.get_round))
        pages.append(
            (
                "competition.list_assignments",
                "competition",
                f"ListAssignments ({competition.LIST_PAGE})",
                competition_svc,
                contest.list_assignments,
            )
        )
    ceilings = [
        (single, "select", "SELECT by primary key", select, competition.bare_select_call()),
        (pages, "page", f"SELECT of {bare.PAGE_ROWS} rows by index", page, bare_page_call()),
    ]
    for reads, kind, label, server, bare_call in ceilings:
        with console.status(f"reads against bare {label} ({repeat_tool})…"):
            runners = [
                Runner(
                    f"{key}.{tag}",
                    service,
                    rpc,
                    call.method,
                    await repeated(repeat_tool, process, call, config),
                    [process],
                    goal=READ_GOAL,
                )
                for key, service, rpc, process, call in reads
            ]
            ceiling = Runner(
                f"bare.{kind}.{tag}",
                "bare",
                label,
                bare_call.method,
                await repeated(repeat_tool, server, bare_call, config),
                [server],
            )
            await interleaved(report, ceiling, runners, rounds=config.rounds, seconds=config.seconds)

    # Writes ÷ bare INSERT: grpc.aio with unique pre-serialised requests on both sides.
    with console.status("writes against bare INSERT (grpc.aio, unique requests)…"):
        creates = GrpcSlices(talent_svc.target, calls.creates, config, unique=True)
        runners = [
            Runner(
                "talent.create_candidate.grpc_aio",
                "talent",
                "CreateCandidate",
                talent.CREATE_CANDIDATE,
                creates,
                [talent_svc],
                note="one unique candidate per call (email, phone, identity document); each call commits a transaction",
                goal=CREATE_GOAL,
            )
        ]
        sheets = None
        if contest is not None:
            sheets = GrpcSlices(competition_svc.target, contest.sheets, config, unique=True)
            runners.append(
                Runner(
                    "competition.submit_score_sheet.grpc_aio",
                    "competition",
                    "SubmitScoreSheet",
                    competition.SUBMIT,
                    sheets,
                    [competition_svc],
                    note=f"{config.judges} judges, each with their own token; one sheet per assignment, committed",
                    goal=SHEET_GOAL,
                )
            )
        bare_inserts = GrpcSlices(insert.target, inserts, config, unique=True)
        ceiling = Runner(
            "bare.insert.grpc_aio",
            "bare",
            "INSERT (one row)",
            bare.INSERT,
            bare_inserts,
            [insert],
            note=f"one asyncpg INSERT of a {bare.BODY_BYTES}-byte row (primary key + a secondary index) per call",
        )
        await interleaved(report, ceiling, runners, rounds=config.rounds, seconds=config.seconds)
        talent.created(report, creates, config)

    probes = [
        # The echo server has no database connection: its count shows the log is read per server.
        Probe("bare.echo", echo.target, bare.SCHEMA, [echo_call()] * PROBE_CALLS),
        Probe("bare.insert", insert.target, bare.SCHEMA, inserts[bare_inserts.offset :][:PROBE_CALLS]),
        Probe("bare.select", select.target, bare.SCHEMA, [competition.bare_select_call()] * PROBE_CALLS),
        Probe("bare.page", page.target, bare.SCHEMA, [bare_page_call()] * PROBE_CALLS),
        Probe("talent.health", talent_svc.target, "talent", [calls.health] * PROBE_CALLS),
        Probe("talent.get_target_progress", talent_svc.target, "talent", [calls.progress] * PROBE_CALLS),
        Probe("talent.get_candidate", talent_svc.target, "talent", [calls.get_candidate] * PROBE_CALLS),
        Probe("talent.list_candidates", talent_svc.target, "talent", [calls.list_candidates] * PROBE_CALLS),
        Probe("talent.create_candidate", talent_svc.target, "talent", calls.creates[creates.offset :][:PROBE_CALLS]),
    ]
    if contest is not None and sheets is not None:
        with console.status("replica scale check: SubmitScoreSheet on one and on two replicas…"):
            second = await cluster.start_competition_replica()
            try:
                used = await competition.scale(report, competition_svc, second, contest, config)
            finally:
                second.stop()
        with console.status("GetLeaderboard…"):
            await competition.leaderboard(report, competition_svc, select, contest, config, sheets.offset)
        probes += [
            Probe("competition.health", competition_svc.target, "competition", [contest.health] * PROBE_CALLS),
            Probe("competition.get_round", competition_svc.target, "competition", [contest.get_round] * PROBE_CALLS),
            Probe(
                "competition.list_assignments",
                competition_svc.target,
                "competition",
                [contest.list_assignments] * PROBE_CALLS,
            ),
            Probe(
                "competition.submit_score_sheet",
                competition_svc.target,
                "competition",
                contest.scale_sheets[used:][:PROBE_CALLS],
            ),
        ]
    with console.status("SQL statements per call…"):
        report.statements = await statements.count(cluster.postgres.url, cluster.postgres.pgdata / "log", probes)
