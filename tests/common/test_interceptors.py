"""Interceptor behaviour that the real services only reach on bad days: unexpected exceptions,
direct context.abort calls, and in-flight calls during a graceful shutdown. A real server runs a
talent servicer with three methods overridden to misbehave."""

from __future__ import annotations

import asyncio
import urllib.request
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
from grpc import aio
from prometheus_client.parser import text_string_to_metric_families

from protos.talent.v1 import talent_pb2 as pb
from protos.talent.v1 import talent_pb2_grpc
from services.common.metrics import ReadFamilies
from services.common.server import Platform, RunningService, ServiceDefinition
from services.talent.api.servicer import TalentServicer
from services.talent.settings import TalentSettings
from tests.support import auth, create_database, start, status_details

SECRET = "connection string postgresql://user:hunter2@db"


class MisbehavingServicer(TalentServicer):
    async def ListProgrammes(self, request: pb.ListProgrammesRequest, context: aio.ServicerContext) -> Any:
        raise RuntimeError(SECRET)

    async def GetTargetProgress(self, request: pb.GetTargetProgressRequest, context: aio.ServicerContext) -> Any:
        await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, "slow down")

    async def GetApplication(self, request: pb.GetApplicationRequest, context: aio.ServicerContext) -> Any:
        await asyncio.sleep(1.0)
        return pb.Application(name="applications/slow")

    async def GetApplicationHistory(
        self, request: pb.GetApplicationHistoryRequest, context: aio.ServicerContext
    ) -> Any:
        # As if nobody had implemented it: the generated base raises NotImplementedError.
        return talent_pb2_grpc.TalentServiceServicer.GetApplicationHistory(self, request, context)


def mount(server: aio.Server, platform: Platform) -> ReadFamilies | None:
    talent_pb2_grpc.add_TalentServiceServicer_to_server(
        MisbehavingServicer(
            platform,
            b"k" * 32,
            TalentSettings.model_fields["stage_probabilities"].get_default(call_default_factory=True),
        ),
        server,
    )
    return None


DEFINITION = ServiceDefinition("talent.v1.TalentService", "services.talent.migrations", mount)


@pytest.fixture
async def service(postgres_url: str) -> AsyncIterator[RunningService]:
    running = await start(TalentSettings, DEFINITION, await create_database(postgres_url))
    yield running
    await running.stop(0)


def handled(port: int, method: str, code: str) -> float:
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            if (
                sample.name == "grpc_server_handled_total"
                and sample.labels["grpc_method"] == method
                and sample.labels["grpc_code"] == code
            ):
                return sample.value
    return 0.0


async def test_unexpected_exception_is_internal_with_a_safe_message(service: RunningService) -> None:
    async with aio.insecure_channel(f"127.0.0.1:{service.grpc_port}") as channel:
        stub = talent_pb2_grpc.TalentServiceStub(channel)
        with pytest.raises(aio.AioRpcError) as raised:
            await stub.ListProgrammes(pb.ListProgrammesRequest(), metadata=auth("x", "talent.viewer"))
    assert raised.value.code() == grpc.StatusCode.INTERNAL
    assert SECRET not in (raised.value.details() or "")
    assert "Traceback" not in (raised.value.details() or "")
    assert status_details(raised.value)[0] == "INTERNAL"
    assert await asyncio.to_thread(handled, service.metrics_port, "ListProgrammes", "Internal") == 1


async def test_codes_of_context_abort_are_counted(service: RunningService) -> None:
    async with aio.insecure_channel(f"127.0.0.1:{service.grpc_port}") as channel:
        stub = talent_pb2_grpc.TalentServiceStub(channel)
        with pytest.raises(aio.AioRpcError) as raised:
            await stub.GetTargetProgress(pb.GetTargetProgressRequest(year=2024), metadata=auth("x", "talent.viewer"))
    assert raised.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert await asyncio.to_thread(handled, service.metrics_port, "GetTargetProgress", "ResourceExhausted") == 1


async def test_graceful_shutdown_lets_in_flight_calls_finish(postgres_url: str) -> None:
    running = await start(TalentSettings, DEFINITION, await create_database(postgres_url))
    async with aio.insecure_channel(f"127.0.0.1:{running.grpc_port}") as channel:
        stub = talent_pb2_grpc.TalentServiceStub(channel)
        in_flight = asyncio.ensure_future(
            stub.GetApplication(pb.GetApplicationRequest(name="applications/x"), metadata=auth("x", "talent.viewer"))
        )
        await asyncio.sleep(0.3)
        await running.stop(grace=5)
        assert (await in_flight).name == "applications/slow"


async def test_unimplemented_method_is_unimplemented(service: RunningService) -> None:
    async with aio.insecure_channel(f"127.0.0.1:{service.grpc_port}") as channel:
        stub = talent_pb2_grpc.TalentServiceStub(channel)
        with pytest.raises(aio.AioRpcError) as raised:
            await stub.GetApplicationHistory(
                pb.GetApplicationHistoryRequest(name="applications/x"), metadata=auth("x", "talent.viewer")
            )
    assert raised.value.code() == grpc.StatusCode.UNIMPLEMENTED
    assert await asyncio.to_thread(handled, service.metrics_port, "GetApplicationHistory", "Unimplemented") == 1


async def test_a_call_the_client_abandons_counts_as_cancelled_not_as_a_server_fault(service: RunningService) -> None:
    async with aio.insecure_channel(f"127.0.0.1:{service.grpc_port}") as channel:
        stub = talent_pb2_grpc.TalentServiceStub(channel)
        with pytest.raises(aio.AioRpcError) as raised:
            await stub.GetApplication(
                pb.GetApplicationRequest(name="applications/x"), metadata=auth("x", "talent.viewer"), timeout=0.2
            )
    assert raised.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    for _ in range(50):
        if await asyncio.to_thread(handled, service.metrics_port, "GetApplication", "Cancelled") == 1:
            break
        await asyncio.sleep(0.1)
    assert await asyncio.to_thread(handled, service.metrics_port, "GetApplication", "Cancelled") == 1
    assert await asyncio.to_thread(handled, service.metrics_port, "GetApplication", "Unknown") == 0
