"""The shared platform against real servers: migrations under concurrency, health, metrics,
reflection, settings errors."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import asyncpg
import grpc
import pytest
from grpc import aio
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from prometheus_client.parser import text_string_to_metric_families

from protos.talent.v1 import talent_pb2 as pb
from protos.talent.v1 import talent_pb2_grpc
from services.common.db import migrate, migrations_in
from services.common.embedded_pg import EmbeddedPostgres
from services.common.idempotency import expire
from services.common.server import RunningService
from services.talent.service import DEFINITION
from services.talent.settings import TalentSettings
from tests.support import auth, create_database, start, status_details

MIGRATIONS = "services.talent.migrations"
EXPECTED_VERSIONS = len(migrations_in("services.common.migrations", "")) + len(migrations_in(MIGRATIONS, ""))


async def test_two_instances_starting_together_migrate_once(postgres_url: str) -> None:
    url = await create_database(postgres_url)
    first, second = await asyncio.gather(start(TalentSettings, DEFINITION, url), start(TalentSettings, DEFINITION, url))
    try:
        versions = await first.pool.fetch("SELECT version FROM schema_migrations")
        assert len(versions) == EXPECTED_VERSIONS
        assert await first.pool.fetchval("SELECT count(*) FROM programmes") == 4
        for running in (first, second):
            async with aio.insecure_channel(f"127.0.0.1:{running.grpc_port}") as channel:
                stub = talent_pb2_grpc.TalentServiceStub(channel)
                programmes = await stub.ListProgrammes(pb.ListProgrammesRequest(), metadata=auth("x", "talent.viewer"))
                assert len(programmes.programmes) == 4
    finally:
        await asyncio.gather(first.stop(0), second.stop(0))


async def test_concurrent_migrations_apply_each_version_exactly_once(postgres_url: str) -> None:
    url = await create_database(postgres_url)
    connections = [await asyncpg.connect(url) for _ in range(4)]
    try:
        applied = await asyncio.gather(*(migrate(c, "talent", MIGRATIONS) for c in connections))
    finally:
        for connection in connections:
            await connection.close()
    assert sorted(len(a) for a in applied) == [0, 0, 0, EXPECTED_VERSIONS]


async def health_status(port: int, service: str = "") -> int:
    async with aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        response = await stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
        return int(response.status)


async def wait_for_health(port: int, expected: int, within: float = 30.0) -> None:
    deadline = time.monotonic() + within
    status = None
    while time.monotonic() < deadline:
        status = await health_status(port)
        if status == expected:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"health stayed {status}, expected {expected}")


async def test_health_follows_the_database(tmp_path: Path) -> None:
    database = EmbeddedPostgres(tmp_path / "pg")
    await asyncio.to_thread(database.start)
    running = await start(TalentSettings, DEFINITION, database.url)
    try:
        await wait_for_health(running.grpc_port, health_pb2.HealthCheckResponse.SERVING)
        assert (
            await health_status(running.grpc_port, "talent.v1.TalentService") == health_pb2.HealthCheckResponse.SERVING
        )
        await asyncio.to_thread(database.stop)
        await wait_for_health(running.grpc_port, health_pb2.HealthCheckResponse.NOT_SERVING)
        # Liveness ignores the database: the pod stays alive and only leaves the rotation.
        assert await health_status(running.grpc_port, "liveness") == health_pb2.HealthCheckResponse.SERVING
        # Calls meanwhile fail as UNAVAILABLE (retryable), not INTERNAL.
        async with aio.insecure_channel(f"127.0.0.1:{running.grpc_port}") as channel:
            stub = talent_pb2_grpc.TalentServiceStub(channel)
            with pytest.raises(aio.AioRpcError) as raised:
                await stub.ListProgrammes(pb.ListProgrammesRequest(), metadata=auth("x", "talent.viewer"), timeout=30)
        assert raised.value.code() == grpc.StatusCode.UNAVAILABLE
        assert status_details(raised.value)[0] == "DATABASE_UNAVAILABLE"
        await asyncio.to_thread(database.start)
        await wait_for_health(running.grpc_port, health_pb2.HealthCheckResponse.SERVING)
    finally:
        await running.stop(0)
        await asyncio.to_thread(database.stop, "immediate")


async def test_shutdown_reports_not_serving_then_stops(postgres_url: str) -> None:
    running = await start(TalentSettings, DEFINITION, await create_database(postgres_url))
    async with aio.insecure_channel(f"127.0.0.1:{running.grpc_port}") as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        watch = stub.Watch(health_pb2.HealthCheckRequest(service=""))
        assert (await watch.read()).status == health_pb2.HealthCheckResponse.SERVING
        stopping = asyncio.create_task(running.stop(grace=1))
        assert (await watch.read()).status == health_pb2.HealthCheckResponse.NOT_SERVING
        await stopping


def scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
    }


def handled(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], method: str, code: str) -> float:
    labels = (
        ("grpc_code", code),
        ("grpc_method", method),
        ("grpc_service", "talent.v1.TalentService"),
        ("grpc_type", "unary"),
    )
    return samples.get(("grpc_server_handled_total", labels), 0.0)


async def test_metrics_count_codes_of_successful_and_failed_calls(
    talent_service: RunningService, talent_stub: talent_pb2_grpc.TalentServiceStub
) -> None:
    before = await asyncio.to_thread(scrape, talent_service.metrics_port)
    viewer = auth("metrics-test", "talent.viewer")
    await talent_stub.ListProgrammes(pb.ListProgrammesRequest(), metadata=viewer)
    await talent_stub.ListProgrammes(pb.ListProgrammesRequest(), metadata=viewer)
    failures = [
        (pb.GetCandidateRequest(name="candidates/00000000-0000-0000-0000-000000000000"), viewer),
        (pb.GetCandidateRequest(name="bad"), viewer),
        (pb.GetCandidateRequest(name="bad"), ()),
    ]
    for request, metadata in failures:
        with pytest.raises(aio.AioRpcError):
            await talent_stub.GetCandidate(request, metadata=metadata)
    after = await asyncio.to_thread(scrape, talent_service.metrics_port)
    for method, code, count in [
        ("ListProgrammes", "OK", 2),
        ("GetCandidate", "NotFound", 1),
        ("GetCandidate", "InvalidArgument", 1),
        ("GetCandidate", "Unauthenticated", 1),
    ]:
        assert handled(after, method, code) - handled(before, method, code) == count, (method, code)
    started = (
        "grpc_server_started_total",
        (("grpc_method", "GetCandidate"), ("grpc_service", "talent.v1.TalentService"), ("grpc_type", "unary")),
    )
    assert after[started] - before.get(started, 0) == 3
    histogram = ("grpc_server_handling_seconds_count", started[1])
    assert after[histogram] - before.get(histogram, 0) == 3
    assert after[("talent_business_metrics_up", ())] == 1.0


async def test_reflection_and_health_need_no_token(talent_service: RunningService) -> None:
    async with aio.insecure_channel(f"127.0.0.1:{talent_service.grpc_port}") as channel:
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        responses = stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]))
        services = {s.name async for r in responses for s in r.list_services_response.service}
    assert {"talent.v1.TalentService", "grpc.health.v1.Health"} <= services
    assert await health_status(talent_service.grpc_port) == health_pb2.HealthCheckResponse.SERVING


def test_invalid_setting_stops_start_up_with_one_clear_line() -> None:
    environment = {
        **os.environ,
        "TALENT_GRPC_PORT": "not-a-port",
        "TALENT_JWT_KEY": "k" * 32,
        "TALENT_PAGE_TOKEN_SECRET": "s" * 32,
        "TALENT_PII_HASH_KEY": "p" * 32,
    }
    result = subprocess.run(
        [sys.executable, "-m", "services.talent"], env=environment, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "invalid setting TALENT_GRPC_PORT: Input should be a valid integer, unable to parse string as an integer"
    ]


def test_missing_secret_is_named() -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TALENT_")}
    result = subprocess.run(
        [sys.executable, "-m", "services.talent"], env=environment, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "invalid setting TALENT_JWT_KEY: Field required" in result.stderr


def test_pool_sizes_out_of_order_are_named() -> None:
    environment = {
        **os.environ,
        "TALENT_DB_POOL_MIN_SIZE": "20",
        "TALENT_DB_POOL_MAX_SIZE": "5",
        "TALENT_JWT_KEY": "k" * 32,
        "TALENT_PAGE_TOKEN_SECRET": "s" * 32,
        "TALENT_PII_HASH_KEY": "p" * 32,
    }
    result = subprocess.run(
        [sys.executable, "-m", "services.talent"], env=environment, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "invalid settings: Value error, TALENT_DB_POOL_MIN_SIZE (20) exceeds TALENT_DB_POOL_MAX_SIZE (5)"
    ]


async def test_old_request_ids_expire(talent_service: RunningService) -> None:
    pool = talent_service.pool
    await pool.execute(
        "INSERT INTO idempotency_keys (scope, request_id, request_hash, created_at) VALUES"
        " ('test:Expire', 'old', '\\x00', now() - interval '8 days'),"
        " ('test:Expire', 'recent', '\\x00', now() - interval '1 day')"
    )
    assert await expire(pool, older_than_hours=7 * 24) >= 1
    kept = await pool.fetch("SELECT request_id FROM idempotency_keys WHERE scope = 'test:Expire'")
    assert [r["request_id"] for r in kept] == ["recent"]


async def test_shutdown_drains_before_closing_the_listener(postgres_url: str) -> None:
    running = await start(TalentSettings, DEFINITION, await create_database(postgres_url), shutdown_drain_seconds=1.0)
    async with aio.insecure_channel(f"127.0.0.1:{running.grpc_port}") as channel:
        watch = health_pb2_grpc.HealthStub(channel).Watch(health_pb2.HealthCheckRequest(service=""))
        assert (await watch.read()).status == health_pb2.HealthCheckResponse.SERVING
        stopping = asyncio.create_task(running.stop())
        assert (await watch.read()).status == health_pb2.HealthCheckResponse.NOT_SERVING
        # Out of rotation, but still answering while load balancers catch up.
        stub = talent_pb2_grpc.TalentServiceStub(channel)
        response = await stub.ListProgrammes(pb.ListProgrammesRequest(), metadata=auth("x", "talent.viewer"))
        assert len(response.programmes) == 4
        await stopping


def test_a_serving_process_freezes_its_start_up_heap_and_collects_less_often() -> None:
    # In a process of its own: the test process keeps CPython's defaults.
    script = (
        "import gc; from services.common.server import GC_THRESHOLDS, settle_heap; settle_heap();"
        " print(gc.get_threshold() == GC_THRESHOLDS, gc.get_freeze_count() > 10_000)"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60)
    assert done.stdout.split() == ["True", "True"]
