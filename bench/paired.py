"""Interleaved measurement: the baseline and the RPCs compared with it take turns in short slices
(B, R1, R2, B, R1, R2, …), so that whatever else the machine does weighs on both alike. Each RPC's
ratio is the median of its per-round ratios; its rate and percentiles cover all its slices."""

from __future__ import annotations

import asyncio
import statistics
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bench.cluster import ServerCounters, ServiceProcess
from bench.config import Config
from bench.loadgen import Call, LoadResult, probe_h2load, run_grpc, run_h2load
from bench.report import Measurement, Report

Slice = Callable[[float], Awaitable[LoadResult]]


@dataclass
class Runner:
    key: str
    rpc: str
    # The full method path, e.g. "/talent.v1.TalentService/GetTargetProgress".
    method: str
    # Runs one slice of at most the given seconds.
    run: Slice
    note: str = ""


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
    )


async def interleaved(
    report: Report,
    service: ServiceProcess,
    label: str,
    baseline: Runner,
    runners: list[Runner],
    *,
    rounds: int,
    seconds: float,
) -> list[Measurement]:
    """``rounds`` rounds of baseline then each runner, ``seconds / rounds`` each; adds the baseline
    and each runner's measurement to the report and returns the runners' measurements."""
    everyone = [baseline, *runners]
    results: dict[str, list[LoadResult]] = {r.key: [] for r in everyone}
    deltas = {r.key: ServerCounters() for r in everyone}
    for _ in range(rounds):
        for runner in everyone:
            before = service.counters()
            results[runner.key].append(await runner.run(seconds / rounds))
            deltas[runner.key] = deltas[runner.key].plus(service.counters().minus(before))
    base = report.add(
        Measurement.from_load(
            baseline.key, label, baseline.rpc, merge(results[baseline.key]), deltas[baseline.key], baseline.method
        )
    )
    measured = []
    for runner in runners:
        m = Measurement.from_load(
            runner.key, label, runner.rpc, merge(results[runner.key]), deltas[runner.key], runner.method, runner.note
        ).against(base)
        m.ratio_rounds = [
            round(r.rate / b.rate, 4) for r, b in zip(results[runner.key], results[baseline.key], strict=True)
        ]
        m.ratio_to_baseline = round(statistics.median(m.ratio_rounds), 4)
        measured.append(report.add(m))
    return measured


class GrpcSlices:
    """Slices of the grpc.aio client: the same call(s) over and over, or, when ``unique``, each call
    of ``calls`` once, each slice going on where the last one stopped (``offset``)."""

    def __init__(self, target: str, calls: list[Call], config: Config, *, unique: bool = False) -> None:
        self.target = target
        self.calls = calls
        self.config = config
        self.unique = unique
        self.offset = 0

    async def __call__(self, seconds: float) -> LoadResult:
        config = self.config
        if not self.unique:
            limit = (config.max_requests or 10**9) + config.warmup_calls
            return await run_grpc(
                self.target,
                self.calls,
                concurrency=config.concurrency,
                seconds=seconds,
                limit=limit,
                warmup=config.warmup_calls,
            )
        remaining = self.calls[self.offset :]
        if config.max_requests:
            remaining = remaining[: config.max_requests + config.warmup_calls]
        warmup = min(config.warmup_calls, len(remaining) // 10)
        result = await run_grpc(self.target, remaining, concurrency=config.concurrency, seconds=seconds, warmup=warmup)
        self.offset += warmup + result.requests
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
