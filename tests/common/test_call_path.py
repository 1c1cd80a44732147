"""The platform's per-call path: wrapped once at start-up, health checks counted but cheap, the access
log sampleable and written off the event loop."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
from grpc import aio
from grpc_health.v1 import health_pb2, health_pb2_grpc

from protos.talent.v1 import talent_pb2 as pb
from protos.talent.v1 import talent_pb2_grpc
from services.common.embedded_pg import free_port
from services.common.server import RunningService
from services.talent.service import DEFINITION
from services.talent.settings import TalentSettings
from tests.common.test_interceptors import DEFINITION as MISBEHAVING
from tests.common.test_platform import scrape
from tests.support import (
    auth,
    create_database,
    start,
    talent_process_environment,
)
from tests.talent.helpers import individual

VIEWER = auth("viewer-1", "talent.viewer")
EDITOR = auth("hr-portal", "talent.editor")


async def test_no_method_handler_is_built_per_call(
    talent_channel: aio.Channel, talent_stub: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[str] = []
    for factory in ("unary_unary_rpc_method_handler", "stream_unary_rpc_method_handler"):
        original = getattr(grpc, factory)

        def counting(*args: Any, _original: Any = original, _name: str = factory, **kwargs: Any) -> Any:
            built.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(grpc, factory, counting)
    health = health_pb2_grpc.HealthStub(talent_channel)
    for _ in range(10):
        await talent_stub.ListProgrammes(pb.ListProgrammesRequest(), metadata=VIEWER)
        await health.Check(health_pb2.HealthCheckRequest())
    assert built == []


async def test_health_checks_are_counted_in_the_server_metrics(talent_service: RunningService) -> None:
    key = (
        "grpc_server_handled_total",
        (
            ("grpc_code", "OK"),
            ("grpc_method", "Check"),
            ("grpc_service", "grpc.health.v1.Health"),
            ("grpc_type", "unary"),
        ),
    )
    before = (await asyncio.to_thread(scrape, talent_service.metrics_port)).get(key, 0.0)
    async with aio.insecure_channel(f"127.0.0.1:{talent_service.grpc_port}") as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        for _ in range(5):
            await stub.Check(health_pb2.HealthCheckRequest())
    after = (await asyncio.to_thread(scrape, talent_service.metrics_port)).get(key, 0.0)
    assert after - before == 5


@contextlib.asynccontextmanager
async def talent_with(postgres_url: str, definition: Any, **rates: float) -> AsyncIterator[Any]:
    """A stub of a talent service of its own database, with the access-log sample ``rates`` given."""
    running = await start(TalentSettings, definition, await create_database(postgres_url), **rates)
    try:
        async with aio.insecure_channel(f"127.0.0.1:{running.grpc_port}") as channel:
            yield talent_pb2_grpc.TalentServiceStub(channel)
    finally:
        await running.stop(0)


def access_lines(records: list[logging.LogRecord]) -> list[dict[str, Any]]:
    return [r.fields for r in records if r.name == "rpc" and r.getMessage() == "rpc"]  # type: ignore[attr-defined]


def logged_calls(records: list[logging.LogRecord]) -> list[tuple[str, str]]:
    return [(line["method"].rsplit("/", 1)[1], line["code"]) for line in access_lines(records)]


async def test_unsampled_reads_are_skipped_but_writes_and_failures_are_always_logged(
    postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="rpc")
    async with talent_with(postgres_url, MISBEHAVING, access_log_sample_rate=0.0) as stub:
        await stub.ListCandidates(pb.ListCandidatesRequest(), metadata=VIEWER)
        created = await stub.CreateCandidate(pb.CreateCandidateRequest(candidate=individual()), metadata=EDITOR)
        await stub.GetCandidate(pb.GetCandidateRequest(name=created.name), metadata=VIEWER)
        with pytest.raises(aio.AioRpcError):
            await stub.GetCandidate(pb.GetCandidateRequest(name="bad"), metadata=VIEWER)
        with pytest.raises(aio.AioRpcError):
            await stub.ListProgrammes(pb.ListProgrammesRequest(), metadata=VIEWER)  # raises: INTERNAL
    assert logged_calls(caplog.records) == [
        ("CreateCandidate", "OK"),
        ("GetCandidate", "INVALID_ARGUMENT"),
        ("ListProgrammes", "INTERNAL"),
    ]
    assert [line["subject"] for line in access_lines(caplog.records)] == ["hr-portal", "viewer-1", "viewer-1"]


async def test_unsampled_writes_are_skipped_but_failed_writes_are_logged(
    postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="rpc")
    rates = {"access_log_sample_rate": 0.0, "access_log_write_sample_rate": 0.0}
    async with talent_with(postgres_url, DEFINITION, **rates) as stub:
        await stub.CreateCandidate(pb.CreateCandidateRequest(candidate=individual()), metadata=EDITOR)
        with pytest.raises(aio.AioRpcError):
            await stub.CreateCandidate(pb.CreateCandidateRequest(candidate=pb.Candidate()), metadata=EDITOR)
    assert logged_calls(caplog.records) == [("CreateCandidate", "INVALID_ARGUMENT")]


async def test_at_rate_one_every_call_is_logged(postgres_url: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="rpc")
    async with talent_with(postgres_url, DEFINITION, access_log_sample_rate=1.0) as stub:
        await stub.ListProgrammes(pb.ListProgrammesRequest(), metadata=VIEWER)
        with pytest.raises(aio.AioRpcError):
            await stub.GetCandidate(pb.GetCandidateRequest(name="bad"), metadata=VIEWER)
    assert logged_calls(caplog.records) == [("ListProgrammes", "OK"), ("GetCandidate", "INVALID_ARGUMENT")]


def spawn_with_stalled_stderr(environment: dict[str, str]) -> tuple[subprocess.Popen[bytes], int]:
    """The service with stderr on a pipe that nobody reads (a stalled log shipper)."""
    read_end, write_end = os.pipe()
    process = subprocess.Popen([sys.executable, "-m", "services.talent"], env=environment, stderr=write_end)
    os.close(write_end)
    return process, read_end


async def test_a_stalled_stderr_does_not_stall_the_calls(postgres_url: str) -> None:
    grpc_port = free_port()
    environment = await talent_process_environment(postgres_url, grpc_port)
    process, unread = spawn_with_stalled_stderr(environment)
    try:
        async with aio.insecure_channel(f"127.0.0.1:{grpc_port}") as channel:
            await asyncio.wait_for(channel.channel_ready(), timeout=60)
            stub = talent_pb2_grpc.TalentServiceStub(channel)
            # ~1,000 access lines of ~250 bytes: several times what a pipe buffers (64 KiB).
            codes: set[Any] = set()
            for _ in range(50):
                results = await asyncio.gather(
                    *(
                        stub.GetCandidate(pb.GetCandidateRequest(name="bad"), metadata=VIEWER, timeout=20)
                        for _ in range(20)
                    ),
                    return_exceptions=True,
                )
                codes |= {r.code() if isinstance(r, aio.AioRpcError) else r for r in results}
                if codes != {grpc.StatusCode.INVALID_ARGUMENT}:
                    break
    finally:
        process.kill()
        process.wait()
        os.close(unread)
    # Blocked on a full pipe, an event loop writing its own log lines would answer none of them.
    assert codes == {grpc.StatusCode.INVALID_ARGUMENT}


async def test_methods_are_served_through_the_generic_path_only(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """grpc.aio's accept loop waits on one pending request per method registered by name, on every
    call; served generically, it waits on one. Every method must still answer, wrapped."""
    registered: list[str] = []
    original = aio._server.Server.add_registered_method_handlers

    def recording(self: Any, service_name: str, handlers: dict[str, Any]) -> None:
        registered.append(service_name)
        original(self, service_name, handlers)

    monkeypatch.setattr(aio._server.Server, "add_registered_method_handlers", recording)
    running = await start(TalentSettings, DEFINITION, await create_database(postgres_url))
    try:
        async with aio.insecure_channel(f"127.0.0.1:{running.grpc_port}") as channel:
            health = health_pb2_grpc.HealthStub(channel)
            assert (
                await health.Check(health_pb2.HealthCheckRequest())
            ).status == health_pb2.HealthCheckResponse.SERVING
            stub = talent_pb2_grpc.TalentServiceStub(channel)
            assert (await stub.ListProgrammes(pb.ListProgrammesRequest(), metadata=VIEWER)).programmes
            with pytest.raises(aio.AioRpcError) as refused:
                await stub.ListProgrammes(pb.ListProgrammesRequest())
            assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED  # the wrapper ran
            unknown = channel.unary_unary("/talent.v1.TalentService/NoSuchMethod")
            with pytest.raises(aio.AioRpcError) as missing:
                await unknown(b"")
            assert missing.value.code() == grpc.StatusCode.UNIMPLEMENTED
    finally:
        await running.stop(grace=1.0)
    assert registered == []


def spawn_logging_to(path: Any, environment: dict[str, str]) -> subprocess.Popen[bytes]:
    with open(path, "wb") as log:
        return subprocess.Popen([sys.executable, "-m", "services.talent"], env=environment, stderr=log)


async def test_access_lines_reach_stderr_as_json_with_the_request_id(postgres_url: str, tmp_path: Any) -> None:
    """The line the service process itself writes (queued without a LogRecord, formatted by the
    writer thread): one JSON object per call, with the caller's request id, subject and peer."""
    grpc_port = free_port()
    environment = await talent_process_environment(postgres_url, grpc_port)
    log_path = tmp_path / "talent.log"
    process = spawn_logging_to(log_path, environment)
    try:
        async with aio.insecure_channel(f"127.0.0.1:{grpc_port}") as channel:
            await asyncio.wait_for(channel.channel_ready(), timeout=60)
            stub = talent_pb2_grpc.TalentServiceStub(channel)
            with pytest.raises(aio.AioRpcError):
                await stub.GetCandidate(
                    pb.GetCandidateRequest(name="bad"), metadata=(*VIEWER, ("x-request-id", "trace-me-1")), timeout=20
                )
    finally:
        process.terminate()  # a clean exit writes out what is queued
        await asyncio.to_thread(process.wait, 30)
    lines = [json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")]
    [line] = [line for line in lines if line.get("request_id") == "trace-me-1"]
    assert line["peer"].startswith("ipv4:127.0.0.1:")
    del line["peer"], line["duration_ms"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line.pop("time"))
    assert line == {
        "level": "INFO",
        "service": "talent",
        "logger": "rpc",
        "message": "rpc",
        "request_id": "trace-me-1",
        "method": "/talent.v1.TalentService/GetCandidate",
        "code": "INVALID_ARGUMENT",
        "subject": "viewer-1",
    }
