"""Load generators: a closed-loop grpc.aio client (N workers, pre-serialised requests) and h2load
(nghttp2) driving unary gRPC calls with a framed body. Both are bounded in requests and in time."""

from __future__ import annotations

import asyncio
import re
import shutil
import statistics
import struct
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from grpc import aio

Metadata = tuple[tuple[str, str], ...]

HEALTH_CHECK = "/grpc.health.v1.Health/Check"


@dataclass(frozen=True)
class Call:
    """One unary call: the method path, the serialised request, the call metadata."""

    method: str
    request: bytes
    metadata: Metadata = ()


@dataclass
class LoadResult:
    tool: str
    concurrency: int
    requests: int
    seconds: float
    latencies_ms: list[float] = field(repr=False, default_factory=list)
    # Client-side outcome: gRPC code names for grpc.aio, HTTP status for h2load.
    outcomes: dict[str, int] = field(default_factory=dict)
    # Calls sent in all, the unmeasured warm-up included (a warm-up cut short by time sends fewer).
    issued: int = 0

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return 0.0
        if len(self.latencies_ms) == 1:
            return self.latencies_ms[0]
        return statistics.quantiles(self.latencies_ms, n=1000, method="inclusive")[round(q * 1000) - 1]


async def run_grpc(
    target: str | Sequence[str],
    calls: Sequence[Call],
    *,
    concurrency: int,
    seconds: float,
    limit: int | None = None,
    warmup: int = 0,
) -> LoadResult:
    """Closed loop: ``concurrency`` workers on one HTTP/2 channel issue the calls in order (cycling
    when ``limit`` exceeds them) until ``limit`` calls (default: each call once) or ``seconds``.

    The first ``warmup`` calls are made but not measured. Requests are serialised beforehand so that
    the client spends its CPU on gRPC, the same for every method. With several targets (replicas of
    one service) the workers are spread over one channel each, drawing from the same calls."""
    targets = [target] if isinstance(target, str) else list(target)
    total = len(calls) if limit is None else limit
    outcomes: Counter[str] = Counter()
    latencies: list[float] = []
    channels = [aio.insecure_channel(t) for t in targets]
    try:
        methods = {c.method for c in calls}
        stubs = [{m: channel.unary_unary(m) for m in methods} for channel in channels]
        position = 0

        async def drive(stop_at: int, deadline: float, record: bool) -> None:
            async def worker(index: int) -> None:
                nonlocal position
                stub = stubs[index % len(stubs)]
                while position < stop_at and time.perf_counter() < deadline:
                    call = calls[position % len(calls)]
                    position += 1
                    started = time.perf_counter()
                    try:
                        await stub[call.method](call.request, metadata=call.metadata, timeout=60)
                        code = "OK"
                    except aio.AioRpcError as error:
                        code = error.code().name
                    if record:
                        latencies.append((time.perf_counter() - started) * 1000)
                        outcomes[code] += 1

            await asyncio.gather(*(worker(i) for i in range(concurrency)))

        await asyncio.gather(*(channel.channel_ready() for channel in channels))
        if warmup:
            await drive(min(warmup, total), time.perf_counter() + seconds, record=False)
        started = time.perf_counter()
        await drive(total, started + seconds, record=True)
        elapsed = time.perf_counter() - started
    finally:
        await asyncio.gather(*(channel.close() for channel in channels))
    return LoadResult("grpc.aio", concurrency, len(latencies), elapsed, latencies, dict(outcomes), position)


async def call_once(target: str, call: Call) -> bytes:
    """One real call, raising on any non-OK status: proves the request is right before load."""
    async with aio.insecure_channel(target) as channel:
        response: bytes = await channel.unary_unary(call.method)(call.request, metadata=call.metadata, timeout=30)
        return response


def is_unimplemented(error: BaseException) -> bool:
    return isinstance(error, aio.AioRpcError) and error.code() == grpc.StatusCode.UNIMPLEMENTED


# --- h2load ----------------------------------------------------------------------------------


def h2load_path() -> str | None:
    return shutil.which("h2load")


def h2load_version() -> str:
    path = h2load_path()
    if path is None:
        return ""
    return subprocess.run([path, "--version"], capture_output=True, text=True, check=False).stdout.strip()


def grpc_frame(message: bytes) -> bytes:
    """The gRPC length-prefixed message: no compression flag, 4-byte big-endian length, payload."""
    return struct.pack(">BI", 0, len(message)) + message


_REQUESTS = re.compile(
    r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored"
)
_STATUS = re.compile(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx")
_FINISHED = re.compile(r"finished in ([\d.]+)(s|ms)")


def run_h2load(
    target: str, call: Call, *, clients: int, streams: int, requests: int = 0, seconds: float = 0
) -> LoadResult:
    """h2load with ``clients`` connections × ``streams`` concurrent streams on one thread, for
    ``requests`` requests, or for ``seconds`` when ``requests`` is 0.

    A timed run cuts the streams in flight when time is up (the server counts them as cancelled),
    so measurements use a request count and timed runs only calibrate it. h2load only sees HTTP
    statuses (a gRPC error is still HTTP 200): callers check grpc codes from the server's metrics."""
    path = h2load_path()
    if path is None:
        raise RuntimeError("h2load is not installed (Debian: apt-get install nghttp2-client)")
    with tempfile.TemporaryDirectory(prefix="h2load-") as scratch:
        body = Path(scratch) / "body.bin"
        body.write_bytes(grpc_frame(call.request))
        log = Path(scratch) / "requests.log"
        command = [
            path,
            "--threads=1",
            f"--clients={clients}",
            f"--max-concurrent-streams={streams}",
            f"--data={body}",
            f"--log-file={log}",
            "--header=content-type: application/grpc",
            "--header=te: trailers",
        ]
        command += [f"--header={name}: {value}" for name, value in call.metadata]
        command.append(f"--requests={requests}" if requests else f"--duration={round(seconds * 1000)}ms")
        command.append(f"http://{target}{call.method}")
        completed = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
        output = completed.stdout + completed.stderr
        counts, statuses, finished = _REQUESTS.search(output), _STATUS.search(output), _FINISHED.search(output)
        if completed.returncode != 0 or counts is None or statuses is None or finished is None:
            raise RuntimeError(f"h2load failed ({completed.returncode}):\n{output}")
        latencies = _log_latencies(log)
    elapsed = float(finished[1]) / (1000 if finished[2] == "ms" else 1)
    _, _, done, _, failed, errored = (int(n) for n in counts.groups())
    outcomes = {f"HTTP {k}": int(n) for k, n in zip(("2xx", "3xx", "4xx", "5xx"), statuses.groups(), strict=True)}
    outcomes = {k: n for k, n in outcomes.items() if n}
    if failed or errored:
        outcomes["failed"] = failed + errored
    return LoadResult("h2load", clients * streams, done, elapsed, latencies, outcomes)


def probe_h2load(target: str, call: Call, *, clients: int, streams: int, seconds: float) -> float:
    """The rate of a timed h2load run, which also warms up; measurements then use request counts.
    Waits a moment afterwards, so that the streams cut at the end are settled on the server."""
    probe = run_h2load(target, call, clients=clients, streams=streams, seconds=seconds)
    time.sleep(0.5)
    return probe.rate


def _log_latencies(log: Path) -> list[float]:
    """h2load's --log-file: one line per request, ``start_us<TAB>status<TAB>duration_us``."""
    latencies = []
    if log.exists():
        for line in log.read_text().splitlines():
            parts = line.split("\t")
            if len(parts) >= 3 and parts[2].isdigit():
                latencies.append(int(parts[2]) / 1000)
    return latencies
