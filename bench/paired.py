"""Interleaved measurement: a bare ceiling and the RPCs compared with it take turns in short slices
(C, R1, R2, C, R1, R2, …, C), so that whatever else the machine does weighs on both alike. Each
round's ratio is the RPC's rate ÷ the mean of the ceiling slices just before and just after it; the
RPC's ratio is the median of its rounds. Rates, percentiles and CPU cover all of a runner's slices."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from bench.cluster import ServerCounters, ServiceProcess
from bench.config import Config
from bench.loadgen import Call, LoadResult, probe_h2load, run_grpc, run_h2load
from bench.report import Measurement, Report

Slice = Callable[[float], Awaitable[LoadResult]]


@dataclass
class Runner:
    key: str
    service: str
    rpc: str
    # The full method path, e.g. "/talent.v1.TalentService/GetTargetProgress".
    method: str
    # Runs one slice of at most the given seconds.
    run: Slice
    # The server process(es) that answer it: their counters verify the calls and give the CPU.
    processes: Sequence[ServiceProcess]
    note: str = ""
    # The ratio to its ceiling that issue 10 asks for (0: none).
    goal: float = 0.0


def merge(results: list[LoadResult]) -> LoadResult:
    outcomes: dict[str, int] = {}
    for result in results:
        for outcome, n in result.outcomes.items():
            outcomes[outcome] = outcomes.get(outcome, 0) + n
    return LoadResult(
        results[0].tool,
        results[0].concurrency,
        sum(r.requests for r in results),
        sum(r.seconds for r in results),
        [ms for r in results for ms in r.latencies_ms],
        outcomes,
        sum(r.issued for r in results),
    )


def snapshot(processes: Sequence[ServiceProcess]) -> ServerCounters:
    """The processes' counters added up; PostgreSQL's CPU (the same server for all) counted once."""
    total = ServerCounters()
    for i, process in enumerate(processes):
        counters = process.counters()
        if i:
            counters.postgres_cpu_seconds = 0.0
        total = total.plus(counters)
    return total


async def measure_slice(runner: Runner, seconds: float) -> tuple[LoadResult, ServerCounters]:
    before = snapshot(runner.processes)
    result = await runner.run(seconds)
    return result, snapshot(runner.processes).minus(before)


def ratios(results: list[LoadResult], ceiling: list[LoadResult]) -> list[float]:
    """Round k's rate ÷ the mean of ceiling slices k and k+1 (the ones around it)."""
    return [
        round(r.rate / ((ceiling[k].rate + ceiling[k + 1].rate) / 2), 4)
        for k, r in enumerate(results)
        if ceiling[k].rate + ceiling[k + 1].rate > 0
    ]


async def interleaved(
    report: Report, ceiling: Runner, runners: list[Runner], *, rounds: int, seconds: float
) -> list[Measurement]:
    """``rounds`` rounds of the ceiling then each runner, and a last ceiling slice, ``seconds / rounds``
    each; adds the ceiling's and each runner's measurement to the report, returns the runners'."""
    results: dict[str, list[LoadResult]] = {r.key: [] for r in (ceiling, *runners)}
    deltas = {r.key: ServerCounters() for r in (ceiling, *runners)}
    for turn in range(rounds + 1):
        for runner in [ceiling] if turn == rounds else [ceiling, *runners]:
            result, delta = await measure_slice(runner, seconds / rounds)
            results[runner.key].append(result)
            deltas[runner.key] = deltas[runner.key].plus(delta)
    base = report.add(
        Measurement.from_load(
            ceiling.key,
            ceiling.service,
            ceiling.rpc,
            merge(results[ceiling.key]),
            deltas[ceiling.key],
            ceiling.method,
            ceiling.note,
        )
    )
    measured = []
    for runner in runners:
        m = Measurement.from_load(
            runner.key,
            runner.service,
            runner.rpc,
            merge(results[runner.key]),
            deltas[runner.key],
            runner.method,
            runner.note,
        )
        m.against(base, ratios(results[runner.key], results[ceiling.key]), runner.goal)
        measured.append(report.add(m))
    return measured


@dataclass
class Cursor:
    """How many of a list of unique calls were used: shared by the slices that draw from it."""

    offset: int = 0


class GrpcSlices:
    """Slices of the grpc.aio client: the same call(s) over and over, or, when ``unique``, each call
    of ``calls`` once, each slice going on where the last one stopped (``cursor``, which slices to
    other targets may share). ``targets``: one server, or the replicas of one service (workers
    spread over them)."""

    def __init__(
        self,
        targets: str | Sequence[str],
        calls: list[Call],
        config: Config,
        *,
        unique: bool = False,
        max_requests: int | None = None,
        cursor: Cursor | None = None,
    ) -> None:
        self.targets = targets
        self.calls = calls
        self.config = config
        self.unique = unique
        self.max_requests = max_requests or config.max_requests
        self.cursor = cursor or Cursor()

    @property
    def offset(self) -> int:
        return self.cursor.offset

    async def __call__(self, seconds: float) -> LoadResult:
        config = self.config
        if not self.unique:
            limit = (self.max_requests or 10**9) + config.warmup_calls
            return await run_grpc(
                self.targets,
                self.calls,
                concurrency=config.concurrency,
                seconds=seconds,
                limit=limit,
                warmup=config.warmup_calls,
            )
        remaining = self.calls[self.offset :]
        if not remaining:
            raise RuntimeError(f"no unique requests left after {self.offset}: prepare more for this run")
        # A short warm-up (the channel's first streams): unique requests are not to be wasted.
        warmup = min(config.warmup_calls // 10, len(remaining) // 10)
        if self.max_requests:
            remaining = remaining[: self.max_requests + warmup]
        result = await run_grpc(self.targets, remaining, concurrency=config.concurrency, seconds=seconds, warmup=warmup)
        self.cursor.offset += result.issued
        return result


async def h2load_slices(target: str, call: Call, config: Config) -> Slice:
    """Slices of h2load, each a request count worth about the slice's seconds (from a timed probe
    made now, which also warms up), capped by ``max_requests``."""
    clients, streams = config.h2load_shape
    rate = 0.0
    if not config.max_requests:
        rate = await asyncio.to_thread(
            probe_h2load, target, call, clients=clients, streams=streams, seconds=config.warmup_seconds
        )

    async def run(seconds: float) -> LoadResult:
        requests = config.max_requests or max(clients * streams, round(rate * seconds))
        return await asyncio.to_thread(run_h2load, target, call, clients=clients, streams=streams, requests=requests)

    return run
