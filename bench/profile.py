"""``python -m bench.profile [--out DIR] [--seconds N]`` (``make profile``): where a service's CPU goes.

Starts the same cluster as the benchmark, drives one RPC at a time at full load and samples the
service process with py-spy (non-blocking, Python frames) while reading every thread's CPU time from
/proc. Each sampled stack is put in one layer (the innermost frame that belongs to a known layer;
see ``LAYERS``), and the main thread's CPU is split by those shares; gRPC's C-core threads are their
own layer. Writes, per RPC, the raw collapsed stacks (``<rpc>.folded``: flamegraph.pl, inferno and
speedscope read them), a summary (``<rpc>.txt``: layers, hottest functions) and ``summary.json``.

Native frames are off on purpose: py-spy's native unwinding must pause the process, which more
than halves the rate it serves, and gRPC's Cython module carries no symbols anyway. Time spent in
Cython or C with no Python frame above it (gRPC's aio machinery, the asyncio task step, protobuf
parsing and serialisation done by gRPC) shows as the event loop's own frames."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grpc import aio
from grpc_health.v1 import health_pb2
from rich.console import Console
from rich.table import Table

from bench import bare, competition, talent
from bench.cluster import Cluster, ServerCounters, ServiceProcess
from bench.config import FULL, Config
from bench.loadgen import HEALTH_CHECK, Call, LoadResult, h2load_path, run_grpc, run_h2load
from protos.competition.v1 import competition_pb2 as pb
from protos.competition.v1 import competition_pb2_grpc
from protos.talent.v1 import talent_pb2

SAMPLE_RATE = 250

# (layer, pattern on a frame's "function (file:line)"). A stack belongs to the layer of its innermost
# frame that matches any pattern; frames of other code (json, hashlib, enum, typing …) are skipped
# over, so that their time goes to the layer that called them.
LAYERS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (layer, re.compile(pattern))
    for layer, pattern in (
        ("logging", r"\((logging/|services/common/logs\.py)"),
        ("metrics (prometheus_client)", r"\(prometheus_client/"),
        ("auth / JWT", r"\((jwt/|services/common/auth\.py)"),
        ("asyncpg driver", r"\(asyncpg/"),
        ("asyncio transport (asyncpg socket)", r"\(asyncio/(selector_events|transports|sslproto)\.py"),
        ("protobuf (Python-level)", r"\(google/protobuf/"),
        ("pydantic (domain models)", r"\(pydantic(_core)?/"),
        ("audit chain", r"\(services/competition/(store|domain)/audit\.py"),
        ("idempotency", r"\(services/common/idempotency\.py"),
        ("store (SQL, row mapping)", r"\(services/\w+/store/"),
        ("domain rules", r"\(services/\w+/domain/"),
        ("servicer decode/encode (codec)", r"\(services/(\w+/api/codec|common/codec)\.py"),
        ("validation (text, errors, pagination)", r"\(services/common/(text|errors|pagination|names)\.py"),
        ("servicer (api)", r"\(services/\w+/api/"),
        ("interceptor: observability", r"^ObservabilityInterceptor\.wrap\.<locals>\.observed "),
        ("interceptor: error mapping", r"^ErrorInterceptor\.wrap\.<locals>\.mapped "),
        ("interceptor: auth wrapper", r"^AuthInterceptor\.wrap\.<locals>\.authenticated "),
        ("interceptors (dispatch)", r"\(services/common/interceptors\.py"),
        ("bare server", r"\(bench/bare\.py"),
        ("health servicer", r"\(grpc_health/"),
        ("grpc Python code", r"\(grpc/"),
        ("asyncio tasks/futures", r"\(asyncio/(tasks|futures|locks|queues)\.py"),
        # A loop callback with no Python frame above it: gRPC's Cython (per-RPC task, (de)serialising
        # through protobuf, the completion-queue callbacks) or the C task step.
        ("gRPC Cython / C callbacks (no Python frame)", r"\(asyncio/events\.py"),
        ("asyncio event loop (Python: _run_once, selector)", r"\((asyncio/|selectors\.py)"),
    )
)
OTHER = "other Python"
GRPC_CORE = "gRPC C-core threads (I/O, HTTP/2, completion queue)"
OTHER_THREADS = "other threads (metrics endpoint, timers)"
_THREAD = re.compile(r"^thread \((\d+)\): ?(.*)$")


def layer_of(frames: list[str]) -> str:
    for frame in reversed(frames):
        for layer, pattern in LAYERS:
            if pattern.search(frame):
                return layer
    return OTHER


def short(frame: str) -> str:
    """``func (path/file.py:123)`` → ``func (path/file.py)``: lines merged."""
    return re.sub(r":\d+\)$", ")", frame)


@dataclass
class Profile:
    """Samples of one load run: by thread, and the main thread's by layer and by function."""

    samples_by_thread: Counter[str] = field(default_factory=Counter)
    layers: Counter[str] = field(default_factory=Counter)
    self_time: Counter[str] = field(default_factory=Counter)
    total_time: Counter[str] = field(default_factory=Counter)
    main_samples: int = 0
    thread_names: dict[int, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, folded: str, main_tid: int) -> Profile:
        profile = cls()
        for line in folded.splitlines():
            stack, _, count_text = line.rpartition(" ")
            if not stack or not count_text.isdigit():
                continue
            count = int(count_text)
            frames = stack.split(";")
            thread = _THREAD.match(frames[0])
            tid = int(thread[1]) if thread else main_tid
            profile.samples_by_thread[thread[2] if thread else "?"] += count
            if thread:
                profile.thread_names[tid] = thread[2]
            if tid != main_tid:
                continue
            frames = frames[1:] if thread else frames
            if not frames:
                continue
            profile.main_samples += count
            profile.layers[layer_of(frames)] += count
            profile.self_time[short(frames[-1])] += count
            for frame in {short(f) for f in frames}:
                profile.total_time[frame] += count
        return profile


@dataclass(frozen=True)
class ThreadCpu:
    name: str
    user: float
    system: float

    @property
    def total(self) -> float:
        return self.user + self.system


def thread_cpu(pid: int) -> dict[int, ThreadCpu]:
    """{tid: CPU seconds (user, system)} of every thread of ``pid``, from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    threads: dict[int, ThreadCpu] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            name = (task / "comm").read_text().strip()
            fields = (task / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        threads[int(task.name)] = ThreadCpu(name, int(fields[11]) / ticks, int(fields[12]) / ticks)
    return threads


def thread_delta(before: dict[int, ThreadCpu], after: dict[int, ThreadCpu]) -> dict[int, ThreadCpu]:
    zero = ThreadCpu("", 0.0, 0.0)
    return {
        tid: ThreadCpu(t.name, t.user - before.get(tid, zero).user, t.system - before.get(tid, zero).system)
        for tid, t in after.items()
    }


# perf's shared objects, grouped: CPU-true evidence next to py-spy's (wall-clock, GIL-held) samples.
DSO_GROUPS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (group, re.compile(pattern))
    for group, pattern in (
        ("kernel", r"\[kernel|\[vdso\]"),
        (
            "Python interpreter (libpython, stdlib C modules)",
            r"libpython|^python|_asyncio|_json|_datetime|_heapq|"
            r"select\.|_struct|_contextvars|unicodedata|_hashlib|_random|math\.|_bisect|_queue|array\.",
        ),
        ("gRPC (cygrpc: Cython + C-core)", r"cygrpc"),
        ("asyncpg (protocol, pgproto, record)", r"asyncpg|protocol\.cpython|pgproto|record\.cpython"),
        ("protobuf (upb)", r"_message|upb"),
        ("pydantic-core", r"pydantic_core"),
        ("crypto (JWT HMAC, hashes)", r"libcrypto|_rust|libssl"),
        ("libc (malloc, memcpy)", r"libc\.so|libm\.|libstdc"),
    )
)


def perf_groups(perf_data: Path) -> dict[str, float]:
    """Share of the process's on-CPU samples per group of shared objects, from ``perf report``."""
    report = subprocess.run(
        ["perf", "report", "-i", str(perf_data), "--stdio", "--sort=dso", "--percent-limit=0"],
        capture_output=True,
        text=True,
        check=False,
    )
    groups: dict[str, float] = {}
    for line in report.stdout.splitlines():
        match = re.match(r"\s*([\d.]+)%\s+(\S.*?)\s*$", line)
        if not match:
            continue
        dso = match[2]
        group = next((g for g, pattern in DSO_GROUPS if pattern.search(dso)), f"other ({dso})")
        groups[group] = groups.get(group, 0.0) + float(match[1]) / 100
    return {g: round(share, 4) for g, share in sorted(groups.items(), key=lambda kv: -kv[1])}


@dataclass
class Workload:
    key: str
    service: ServiceProcess
    method: str
    # Runs load for about the given seconds.
    drive: Callable[[float], Awaitable[LoadResult]]


@dataclass
class Outcome:
    key: str
    method: str
    calls: int
    rate: float
    service_cpu_ms_per_call: float
    postgres_cpu_ms_per_call: float
    # Share of the service process's CPU, per layer: the event loop thread's user time split by
    # py-spy's GIL-held samples, its system time, gRPC's own threads, the rest.
    layers: dict[str, float]
    top_self: list[tuple[str, float]]
    top_total: list[tuple[str, float]]
    threads: dict[str, tuple[float, float]]
    codes: dict[str, int]
    # perf (when installed): share of on-CPU samples by group of shared objects.
    perf: dict[str, float] = field(default_factory=dict)


def start_samplers(
    py_spy: str, pid: int, seconds: float, folded: Path, perf_data: Path, *, blocking: bool = False
) -> tuple[subprocess.Popen[bytes], subprocess.Popen[bytes] | None]:
    """py-spy, and perf when installed, sampling ``pid`` for ``seconds``."""
    # --gil: only the thread holding the GIL is sampled, so that time blocked or preempted inside a
    # syscall (the GIL released) is not taken for Python work; /proc gives that system time.
    spy_command = [py_spy, "record", f"--pid={pid}", f"--rate={SAMPLE_RATE}", f"--duration={round(seconds)}"]
    spy_command += ["--format=raw", "--threads", "--gil", f"--output={folded}"]
    if not blocking:
        spy_command.append("--nonblocking")
    spy = subprocess.Popen(spy_command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    perf = None
    if shutil.which("perf"):
        perf_command = ["perf", "record", "-e", "cpu-clock", "-F", "499", "-p", str(pid), "-o", str(perf_data)]
        perf_command += ["--", "sleep", str(round(seconds))]
        perf = subprocess.Popen(perf_command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return spy, perf


KERNEL_LOOP = "kernel, event loop thread (socket syscalls, epoll, wake-ups)"
GRPC_THREADS = ("event_engine", "grpc_global_tim")


async def profile(workload: Workload, seconds: float, out: Path, py_spy: str, *, blocking: bool = False) -> Outcome:
    assert workload.service.process is not None
    pid = workload.service.process.pid
    folded = out / f"{workload.key}.folded"
    perf_data = out / f"{workload.key}.perf.data"
    before_threads = thread_cpu(pid)
    before = workload.service.counters()
    spy, perf = start_samplers(py_spy, pid, seconds, folded, perf_data, blocking=blocking)
    await asyncio.sleep(0.3)
    result = await workload.drive(seconds)
    after = workload.service.counters()
    cpu = thread_delta(before_threads, thread_cpu(pid))
    _, errors = await asyncio.to_thread(spy.communicate)
    if spy.returncode != 0 or not folded.exists():
        raise RuntimeError(f"py-spy failed ({spy.returncode}): {errors.decode(errors='replace')[-2000:]}")
    groups: dict[str, float] = {}
    if perf is not None:
        await asyncio.to_thread(perf.wait)
        groups = perf_groups(perf_data) if perf.returncode == 0 else {}
    delta: ServerCounters = after.minus(before)
    handled = sum(delta.handled.values())
    parsed = Profile.parse(folded.read_text(), pid)
    total = sum(t.total for t in cpu.values()) or 1e-9
    main = cpu.get(pid, ThreadCpu("", 0.0, 0.0))
    # grpc.aio's poller is a Python thread, but it waits on the completion queue in C, GIL released.
    pollers = {tid for tid, name in parsed.thread_names.items() if "_poll_wrapper" in name}
    if not pollers:
        # Rarely sampled with --gil (it seldom holds the GIL): the busiest other Python thread.
        others = [(t.total, tid) for tid, t in cpu.items() if tid != pid and t.name not in (*GRPC_THREADS, "lifeguard")]
        pollers = {max(others)[1]} if others else set()
    core = sum(t.total for tid, t in cpu.items() if tid != pid and (t.name in GRPC_THREADS or tid in pollers))
    scale = main.user / total / max(parsed.main_samples, 1)
    layers = {layer: n * scale for layer, n in parsed.layers.items()}
    layers[KERNEL_LOOP] = main.system / total
    layers[GRPC_CORE] = core / total
    layers[OTHER_THREADS] = max(total - main.total - core, 0.0) / total
    outcome = Outcome(
        key=workload.key,
        method=workload.method,
        calls=result.requests,
        rate=round(result.rate, 1),
        service_cpu_ms_per_call=round(1000 * delta.cpu_seconds / handled, 4) if handled else 0.0,
        postgres_cpu_ms_per_call=round(1000 * delta.postgres_cpu_seconds / handled, 4) if handled else 0.0,
        layers={k: round(v, 4) for k, v in sorted(layers.items(), key=lambda kv: -kv[1])},
        top_self=[(f, round(n * scale, 4)) for f, n in parsed.self_time.most_common(30)],
        top_total=[(f, round(n * scale, 4)) for f, n in parsed.total_time.most_common(60)],
        threads={f"{t.name} ({tid})": (round(t.user, 3), round(t.system, 3)) for tid, t in sorted(cpu.items())},
        codes=delta.codes(workload.method.lstrip("/")),
        perf=groups,
    )
    (out / f"{workload.key}.txt").write_text(render(outcome))
    return outcome


def render(outcome: Outcome) -> str:
    lines = [
        f"{outcome.key}: {outcome.method}",
        f"{outcome.calls} calls at {outcome.rate:.0f}/s; service CPU {outcome.service_cpu_ms_per_call:.3f} ms/call, "
        f"PostgreSQL CPU {outcome.postgres_cpu_ms_per_call:.3f} ms/call; codes {outcome.codes}",
        "",
        "share of service CPU by layer   (ms/call)",
    ]
    ms = outcome.service_cpu_ms_per_call
    lines += [f"  {100 * share:5.1f} %  {share * ms:6.3f}  {layer}" for layer, share in outcome.layers.items()]
    lines += ["", "hottest functions, self (share of service CPU)"]
    lines += [f"  {100 * share:5.1f} %  {frame}" for frame, share in outcome.top_self]
    lines += ["", "hottest functions, inclusive (share of service CPU)"]
    lines += [f"  {100 * share:5.1f} %  {frame}" for frame, share in outcome.top_total]
    lines += ["", "CPU seconds by thread (user + system)"]
    lines += [f"  {u:7.3f} + {k:6.3f}  {t}" for t, (u, k) in outcome.threads.items() if u + k > 0]
    if outcome.perf:
        lines += ["", "perf: on-CPU samples by shared object"]
        lines += [f"  {100 * share:5.1f} %  {group}" for group, share in outcome.perf.items()]
    return "\n".join(lines) + "\n"


# --- workloads -----------------------------------------------------------------------------------

PROFILE_CONFIG = dataclasses.replace(FULL, entries=600, judges=30, seed_applications=300)


def h2load_or_grpc(service: ServiceProcess, call: Call, config: Config) -> Callable[[float], Awaitable[LoadResult]]:
    async def drive(seconds: float) -> LoadResult:
        if h2load_path() is not None:
            clients, streams = config.h2load_shape
            return await asyncio.to_thread(
                run_h2load, service.target, call, clients=clients, streams=streams, seconds=seconds
            )
        return await run_grpc(service.target, [call], concurrency=config.concurrency, seconds=seconds, limit=10**9)

    return drive


def unique_grpc(service: ServiceProcess, calls: list[Call], config: Config) -> Callable[[float], Awaitable[LoadResult]]:
    offset = 0

    async def drive(seconds: float) -> LoadResult:
        nonlocal offset
        result = await run_grpc(service.target, calls[offset:], concurrency=config.concurrency, seconds=seconds)
        offset += result.requests
        return result

    return drive


async def workloads(cluster: Cluster, config: Config, only: set[str]) -> list[Workload]:
    assert cluster.talent is not None and cluster.competition is not None
    health = Call(HEALTH_CHECK, health_pb2.HealthCheckRequest().SerializeToString())
    found: list[Workload] = [
        Workload("talent.health", cluster.talent, HEALTH_CHECK, h2load_or_grpc(cluster.talent, health, config)),
        Workload(
            "competition.health", cluster.competition, HEALTH_CHECK, h2load_or_grpc(cluster.competition, health, config)
        ),
    ]
    reads = {"talent.get_candidate", "talent.list_candidates"}
    names: list[str] = []
    if not only or only & {"talent.get_target_progress", "talent.create_candidate", *reads}:
        names = await talent.seed_applications(cluster.talent, config.seed_applications)
    if names:
        one = talent_pb2.GetCandidateRequest(name=names[len(names) // 2]).SerializeToString()
        first_page = talent_pb2.ListCandidatesRequest(page_size=talent.LIST_PAGE).SerializeToString()
        for key, method, request in (
            ("talent.get_candidate", talent.GET_CANDIDATE, one),
            ("talent.list_candidates", talent.LIST_CANDIDATES, first_page),
        ):
            call = Call(method, request, talent.VIEWER)
            found.append(Workload(key, cluster.talent, method, h2load_or_grpc(cluster.talent, call, config)))
    progress = Call(
        talent.TARGET_PROGRESS,
        talent_pb2.GetTargetProgressRequest(year=talent.YEAR).SerializeToString(),
        talent.VIEWER,
    )
    found.append(
        Workload(
            "talent.get_target_progress",
            cluster.talent,
            talent.TARGET_PROGRESS,
            h2load_or_grpc(cluster.talent, progress, config),
        )
    )
    found.append(
        Workload(
            "talent.create_candidate",
            cluster.talent,
            talent.CREATE_CANDIDATE,
            unique_grpc(cluster.talent, talent.create_calls(config.candidate_pool, "p"), config),
        )
    )
    reads = {"competition.get_round", "competition.list_assignments"}
    if not only or only & ({"competition.submit_score_sheet"} | reads):
        async with aio.insecure_channel(cluster.competition.target) as channel:
            stub = competition_pb2_grpc.CompetitionServiceStub(channel)
            round_name, assignments = await competition.set_up(stub, config, [])
        sheets = competition.sheet_calls(round_name, assignments)
        # The same calls as bench.competition's: the round, and its first page of LIST_PAGE.
        get_round = Call(
            competition.GET_ROUND, pb.GetRoundRequest(name=round_name).SerializeToString(), competition.ADMIN
        )
        list_assignments = Call(
            competition.LIST_ASSIGNMENTS,
            pb.ListAssignmentsRequest(round=round_name, page_size=competition.LIST_PAGE).SerializeToString(),
            competition.ADMIN,
        )
        found += [
            Workload(
                "competition.get_round",
                cluster.competition,
                competition.GET_ROUND,
                h2load_or_grpc(cluster.competition, get_round, config),
            ),
            Workload(
                "competition.list_assignments",
                cluster.competition,
                competition.LIST_ASSIGNMENTS,
                h2load_or_grpc(cluster.competition, list_assignments, config),
            ),
            Workload(
                "competition.submit_score_sheet",
                cluster.competition,
                competition.SUBMIT,
                unique_grpc(cluster.competition, sheets, config),
            ),
        ]
    if not only or only & {"bare.echo", "bare.insert", "bare.select", "bare.page"}:
        echo = await cluster.start_bare("echo")
        insert = await cluster.start_bare("insert")
        select = await cluster.start_bare("select")
        page = await cluster.start_bare("page")
        serving = health_pb2.HealthCheckResponse(status=health_pb2.HealthCheckResponse.SERVING).SerializeToString()
        found += [
            Workload("bare.echo", echo, bare.ECHO, h2load_or_grpc(echo, Call(bare.ECHO, serving), config)),
            Workload(
                "bare.insert",
                insert,
                bare.INSERT,
                unique_grpc(insert, [Call(bare.INSERT, bare.insert_request(n)) for n in range(60_000)], config),
            ),
            Workload(
                "bare.select",
                select,
                bare.SELECT,
                h2load_or_grpc(select, Call(bare.SELECT, bare.select_request(7)), config),
            ),
            Workload("bare.page", page, bare.PAGE, h2load_or_grpc(page, Call(bare.PAGE, bare.page_request(7)), config)),
        ]
    return [w for w in found if not only or w.key in only]


async def run(args: argparse.Namespace, console: Console, py_spy: str) -> list[Outcome]:
    outcomes = []
    async with Cluster(keep=args.keep) as cluster:
        with console.status("setting up…"):
            chosen = await workloads(cluster, PROFILE_CONFIG, set(args.only))
            await cluster.analyze()
        for workload in chosen:
            with console.status(f"profiling {workload.key} for {args.seconds:.0f} s…"):
                outcomes.append(await profile(workload, args.seconds, args.out, py_spy, blocking=args.blocking))
            console.print(render(outcomes[-1]).split("\nhottest")[0])
    return outcomes


def summary_table(outcomes: list[Outcome]) -> Table:
    table = Table(title="Share of service CPU by layer (ms/call in brackets)")
    table.add_column("layer")
    for o in outcomes:
        table.add_column(f"{o.key}\n{o.service_cpu_ms_per_call:.3f} ms/call", justify="right")
    layers: list[str] = []
    for o in outcomes:
        layers += [layer for layer in o.layers if layer not in layers]
    for layer in layers:
        cells = []
        for o in outcomes:
            share = o.layers.get(layer, 0.0)
            cells.append(f"{100 * share:.1f} % ({share * o.service_cpu_ms_per_call:.3f})" if share else "-")
        table.add_row(layer, *cells)
    return table


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=None, help="default: a new scratch directory")
    parser.add_argument("--seconds", type=float, default=8.0, help="load and sampling per RPC (default 8)")
    parser.add_argument("--only", nargs="*", default=[], help="workload keys, e.g. talent.health")
    parser.add_argument(
        "--blocking", action="store_true", help="py-spy pauses the process per sample: exact stacks, lower rates"
    )
    parser.add_argument("--keep", action="store_true", help="keep the cluster's scratch directory")
    args = parser.parse_args(argv)
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(py_spy).exists():
        print("py-spy is not installed: make venv (it is a dev dependency)", file=sys.stderr)
        return 2
    args.out = args.out or Path(tempfile.mkdtemp(prefix="profile-"))
    args.out.mkdir(parents=True, exist_ok=True)
    console = Console(width=200)
    outcomes = asyncio.run(run(args, console, py_spy))
    console.print(summary_table(outcomes))
    summary: dict[str, Any] = {o.key: dataclasses.asdict(o) for o in outcomes}
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    console.print(f"flame graph input (*.folded), summaries (*.txt) and summary.json in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
