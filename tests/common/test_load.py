"""Expensive calls on the event loop: the per-service bound on concurrent calls keeps health checks
answering quickly whatever the load, and the calls beyond it wait, then answer RESOURCE_EXHAUSTED with
a RetryInfo (a client-side code: a flood cannot fire the error-ratio alert).

Latency is compared with the work itself, measured in the same run (the servicer reports how long one
slice of its loop-blocking work takes): no wall-clock threshold."""

from __future__ import annotations

import asyncio
import statistics
import time
import traceback
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
from grpc import aio
from grpc_health.v1 import health_pb2, health_pb2_grpc

from protos.talent.v1 import talent_pb2 as pb
from protos.talent.v1 import talent_pb2_grpc
from services.common.grpc_errors import error_details
from services.common.interceptors import CallGate, Refused
from services.common.metrics import ReadFamilies
from services.common.server import Platform, RunningService, ServiceDefinition
from services.talent.api.servicer import TalentServicer
from services.talent.settings import TalentSettings
from tests.common.test_platform import handled, scrape
from tests.support import auth, create_database, start

SLICE_SECONDS = 0.002
SLICES = 10
slices: list[float] = []
running_now = 0
most = 0


class HeavyServicer(TalentServicer):
    async def GetTargetProgress(self, request: pb.GetTargetProgressRequest, context: aio.ServicerContext) -> Any:
        """Like a live leaderboard computed on the loop: a read, then CPU in slices, yielding between them."""
        global running_now, most
        running_now += 1
        most = max(most, running_now)
        await asyncio.sleep(0.1)  # the read: every call gets this far before any computes
        for _ in range(SLICES):
            begin = time.perf_counter()
            while time.perf_counter() - begin < SLICE_SECONDS:
                pass
            slices.append(time.perf_counter() - begin)
            await asyncio.sleep(0)
        running_now -= 1
        return pb.TargetProgress(year=request.year)


def mount(server: aio.Server, platform: Platform) -> ReadFamilies | None:
    defaults = TalentSettings.model_fields["stage_probabilities"].get_default(call_default_factory=True)
    talent_pb2_grpc.add_TalentServiceServicer_to_server(HeavyServicer(platform, b"k" * 32, defaults), server)
    return None


DEFINITION = ServiceDefinition("talent.v1.TalentService", "services.talent.migrations", mount)
LIMIT = 4


async def bounded(postgres_url: str, queue_timeout: float) -> RunningService:
    return await start(
        TalentSettings,
        DEFINITION,
        await create_database(postgres_url),
        max_concurrent_rpcs=LIMIT,
        rpc_queue_timeout_seconds=queue_timeout,
    )


@pytest.fixture
async def service(postgres_url: str) -> AsyncIterator[RunningService]:
    running = await bounded(postgres_url, 0.5)
    yield running
    await running.stop(0)


@pytest.fixture
async def patient_service(postgres_url: str) -> AsyncIterator[RunningService]:
    """Calls wait for a slot for as long as a loaded machine may need to free one."""
    running = await bounded(postgres_url, 30)
    yield running
    await running.stop(0)


def retry_delay(error: aio.AioRpcError) -> float | None:
    details = error_details(error.trailing_metadata())
    return details.retry_delay_seconds if details else None


async def health_latencies(channel: aio.Channel, count: int) -> list[float]:
    stub = health_pb2_grpc.HealthStub(channel)
    latencies = []
    for _ in range(count):
        begin = time.perf_counter()
        response = await stub.Check(health_pb2.HealthCheckRequest(), timeout=30)
        latencies.append(time.perf_counter() - begin)
        assert response.status == health_pb2.HealthCheckResponse.SERVING
        await asyncio.sleep(0.01)
    return latencies


async def test_health_stays_fast_under_100_expensive_calls(service: RunningService) -> None:
    slices.clear()
    outcomes: Counter[str] = Counter()
    delays: set[float | None] = set()
    before = await asyncio.to_thread(scrape, service.metrics_port)
    async with aio.insecure_channel(f"127.0.0.1:{service.grpc_port}") as channel:
        stub = talent_pb2_grpc.TalentServiceStub(channel)
        viewer = auth("viewer-1", "talent.viewer")

        async def expensive() -> None:
            try:
                await stub.GetTargetProgress(pb.GetTargetProgressRequest(year=2024), metadata=viewer, timeout=60)
                outcomes["OK"] += 1
            except aio.AioRpcError as error:
                outcomes[error.code().name] += 1
                delays.add(retry_delay(error))

        await health_latencies(channel, 5)  # warm the channel
        load = [asyncio.create_task(expensive()) for _ in range(100)]
        await asyncio.sleep(0.15)  # past the reads: the calls are computing
        under_load: list[float] = []
        while not all(task.done() for task in load):
            latency = await health_latencies(channel, 1)
            if not all(task.done() for task in load):  # only checks that ran entirely under load
                under_load += latency
        await asyncio.gather(*load)
    after = await asyncio.to_thread(scrape, service.metrics_port)

    assert under_load
    work_slice = statistics.median(slices)
    health = statistics.median(under_load)
    print(f"health p50 under load {health * 1000:.1f} ms = {health / work_slice:.1f} slices; {outcomes}")
    # A health check takes a few turns of the event loop (accept, handle, answer, and the client's own
    # turns here); each turn runs one slice of every call that is computing. With at most LIMIT of
    # them that is a few times LIMIT slices; unbounded, a few times 100.
    assert health < 10 * LIMIT * work_slice, (health, work_slice, outcomes, most)
    assert most <= LIMIT
    assert set(outcomes) <= {"OK", "RESOURCE_EXHAUSTED"}, outcomes
    assert outcomes["OK"] >= LIMIT
    if outcomes["RESOURCE_EXHAUSTED"]:
        assert delays == {0.5}, delays
    for code, count in (("OK", outcomes["OK"]), ("ResourceExhausted", outcomes["RESOURCE_EXHAUSTED"])):
        assert handled(after, "GetTargetProgress", code) - handled(before, "GetTargetProgress", code) == count


async def test_calls_beyond_the_bound_wait_for_a_slot(patient_service: RunningService) -> None:
    """A short burst above the bound is served in full: the excess waits instead of failing."""
    async with aio.insecure_channel(f"127.0.0.1:{patient_service.grpc_port}") as channel:
        stub = talent_pb2_grpc.TalentServiceStub(channel)
        viewer = auth("viewer-1", "talent.viewer")
        results = await asyncio.gather(
            *(
                stub.GetTargetProgress(pb.GetTargetProgressRequest(year=2024), metadata=viewer, timeout=30)
                for _ in range(2 * LIMIT)
            )
        )
    assert [r.year for r in results] == [2024] * (2 * LIMIT)


async def test_the_bound_is_per_service_and_health_is_never_refused(service: RunningService) -> None:
    """Health answers even while every slot is taken and calls queue for one."""
    async with aio.insecure_channel(f"127.0.0.1:{service.grpc_port}") as channel:
        stub = talent_pb2_grpc.TalentServiceStub(channel)
        viewer = auth("viewer-1", "talent.viewer")
        load = [
            asyncio.ensure_future(
                stub.GetTargetProgress(pb.GetTargetProgressRequest(year=2024), metadata=viewer, timeout=30)
            )
            for _ in range(4 * LIMIT)
        ]
        # Until some are waiting for a slot (how soon they arrive depends on the machine's load).
        async with asyncio.timeout(20):
            while service.gate.in_flight <= LIMIT:  # noqa: ASYNC110 - a counter, no event to wait on
                await asyncio.sleep(0.002)
        response = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=30)
        assert response.status == health_pb2.HealthCheckResponse.SERVING
        results = await asyncio.gather(*load, return_exceptions=True)
    codes = {r.code() if isinstance(r, aio.AioRpcError) else grpc.StatusCode.OK for r in results}
    assert codes <= {grpc.StatusCode.OK, grpc.StatusCode.RESOURCE_EXHAUSTED}


async def test_refusals_do_not_pile_up_tracebacks() -> None:
    """Each refusal is its own exception: re-raising one shared instance grows its traceback with
    every refused call (a leak under sustained overload)."""
    gate = CallGate("talent", 1, 0.0)
    assert gate.admit()
    refusals = []
    for _ in range(3):
        assert not gate.admit()
        with pytest.raises(Refused) as caught:
            await gate.wait_turn()
        refusals.append(caught.value)
    assert len({id(r) for r in refusals}) == 3
    depths = [len(traceback.extract_tb(r.__traceback__)) for r in refusals]
    assert depths[0] == depths[-1], depths
    assert refusals[0].code == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert gate.in_flight == 1
    gate.leave()
    assert gate.in_flight == 0
