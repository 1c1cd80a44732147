"""Server bootstrap shared by the services: database and migrations, grpc.aio server with health,
reflection and the platform's call wrapper, the metrics endpoint, and graceful shutdown on SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import sys
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, cast

import asyncpg
from grpc import aio
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1._async import HealthServicer
from grpc_reflection.v1alpha import reflection
from prometheus_client import CollectorRegistry, GCCollector, PlatformCollector, ProcessCollector

from services.common import idempotency
from services.common.auth import verifier_from_settings
from services.common.db import create_pool, migrate
from services.common.embedded_pg import EmbeddedPostgres
from services.common.idempotency import RequestKeys
from services.common.interceptors import CallGate, CallWrapper, MountingServer
from services.common.logs import configure_logging
from services.common.metrics import BusinessCollector, GrpcServerMetrics, MetricsEndpoint, ReadFamilies
from services.common.pagination import PageTokens
from services.common.settings import ServiceSettings
from services.common.signals import until_stopped

log = logging.getLogger(__name__)

LIVENESS = "liveness"
# At shutdown the listener closes once no call has arrived for this long (or the grace is over).
QUIET_PERIOD_SECONDS = 0.2
STOP_MARGIN_SECONDS = 0.5
# Shutdown waits at most this long for background tasks to stop, for the pool's connections, and
# for grpc's own stop beyond the grace.
POOL_CLOSE_SECONDS = 5.0


@dataclass
class Platform:
    """What a servicer gets from the platform."""

    settings: ServiceSettings
    pool: asyncpg.Pool
    page_tokens: PageTokens
    request_keys: RequestKeys
    # Where a service's own collectors go (served on the metrics port with the platform's).
    registry: CollectorRegistry
    # Long-running jobs a service registers at mount (e.g. competition's audit sealer): started with
    # the server, cancelled on stop before the pool closes.
    background: list[Callable[[], Coroutine[Any, Any, None]]] = field(default_factory=list)


@dataclass
class ServiceDefinition:
    """How to mount one service on the platform."""

    full_name: str  # e.g. "talent.v1.TalentService"
    migrations_package: str
    # Registers the servicer on the server and returns the reader of its business gauges, if any.
    mount: Callable[[aio.Server, Platform], ReadFamilies | None]
    business_up_metric: str = ""


async def database_url(settings: ServiceSettings) -> str:
    if settings.database_url is not None:
        return settings.database_url.get_secret_value()
    if settings.environment == "prod":
        raise SystemExit(f"invalid setting {settings.service_name.upper()}_DATABASE_URL: required in prod")
    embedded = EmbeddedPostgres(settings.data_dir, port=None)
    await asyncio.to_thread(embedded.start)
    print(f"embedded PostgreSQL at {embedded.pgdata} on {embedded.url}", file=sys.stderr)
    return embedded.url


class RunningService:
    """A started service: its ports, and a graceful stop."""

    def __init__(
        self,
        settings: ServiceSettings,
        definition: ServiceDefinition,
        server: aio.Server,
        health: HealthServicer,
        pool: asyncpg.Pool,
        metrics: MetricsEndpoint,
        grpc_port: int,
        gate: CallGate,
    ) -> None:
        self.gate = gate
        self.settings = settings
        self.definition = definition
        self.server = server
        self.health = health
        self.pool = pool
        self.metrics = metrics
        self.grpc_port = grpc_port
        self.metrics_port = metrics.port
        self._watcher: asyncio.Task[None] | None = None
        self._housekeeper: asyncio.Task[None] | None = None
        self.background: list[Callable[[], Coroutine[Any, Any, None]]] = []
        self._background_tasks: list[asyncio.Task[None]] = []

    async def start_watching(self) -> None:
        """Report the first health status before serving, then keep it current in the background.

        ``liveness`` answers SERVING until shutdown whatever the database does, so that a
        Kubernetes liveness probe does not restart pods during a database outage (readiness,
        on the service name, takes them out of rotation instead)."""
        await self.health.set(LIVENESS, health_pb2.HealthCheckResponse.SERVING)
        await self._check_database(None)
        self._watcher = asyncio.create_task(self._watch_database())
        self._housekeeper = asyncio.create_task(self._expire_request_ids())
        self._background_tasks = [asyncio.create_task(job()) for job in self.background]

    async def _expire_request_ids(self) -> None:
        retention = self.settings.request_id_retention_hours
        while True:
            try:
                await idempotency.expire(self.pool, retention)
            except Exception:
                log.warning("could not expire old request ids", exc_info=True)
            await asyncio.sleep(min(retention * 360, 3600))

    async def _set_health(self, status: int) -> None:
        for name in ("", self.definition.full_name):
            await self.health.set(name, status)

    async def _check_database(self, current: int | None) -> int:
        """SERVING while PostgreSQL answers, NOT_SERVING while it does not."""
        try:
            await asyncio.wait_for(self.pool.fetchval("SELECT 1"), timeout=self.settings.health_check_interval_seconds)
            status: int = health_pb2.HealthCheckResponse.SERVING
        except Exception:
            status = health_pb2.HealthCheckResponse.NOT_SERVING
        if status != current:
            if current is not None:
                log.warning("database health changed", extra={"fields": {"status": status}})
            await self._set_health(status)
        return status

    async def _watch_database(self) -> None:
        current: int | None = None
        while True:
            current = await self._check_database(current)
            await asyncio.sleep(self.settings.health_check_interval_seconds)

    async def stop(self, grace: float | None = None) -> None:
        """Health → NOT_SERVING first, so load balancers stop sending; then let in-flight RPCs
        finish within the grace period; then close the pool and the metrics endpoint."""
        tasks = [task for task in (self._watcher, self._housekeeper, *self._background_tasks) if task is not None]
        for task in tasks:
            task.cancel()
        # A task cancelled in the middle of a query waits for asyncpg's cancel request: bounded, so
        # that a database that stopped answering cannot keep the process from stopping.
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=POOL_CLOSE_SECONDS)
            if pending:
                log.warning("background tasks still stopping", extra={"fields": {"tasks": len(pending)}})
        await self.health.enter_graceful_shutdown()
        if grace is None:
            await asyncio.sleep(self.settings.shutdown_drain_seconds)
            grace = self.settings.shutdown_grace_seconds
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace
        # From here new calls answer UNAVAILABLE at once (retry elsewhere) instead of being accepted
        # and then cut off: grpc cancels the calls it has accepted but not started when it stops.
        self.gate.close()
        if not await self.gate.drained(grace):
            log.warning(
                "calls still running at the end of the grace period", extra={"fields": {"calls": self.gate.in_flight}}
            )
        # Keep a little of the grace for grpc's own stop, so that the calls it hands over at the last
        # moment are still answered (refused) rather than cancelled.
        margin = min(STOP_MARGIN_SECONDS, grace / 4)
        await self.gate.quiet(QUIET_PERIOD_SECONDS, max(0.0, deadline - margin - loop.time()))
        remaining = max(0.0, deadline - loop.time())
        try:
            async with asyncio.timeout(remaining + POOL_CLOSE_SECONDS):
                await self.server.stop(remaining)
        except TimeoutError:
            log.warning("the gRPC server did not stop within its grace; going on")
        # Pool.close waits for every connection to come back; one leaked by a cancelled task would
        # keep the process from ever exiting. Past the wait, the connections are cut.
        try:
            async with asyncio.timeout(POOL_CLOSE_SECONDS):
                await self.pool.close()
        except TimeoutError:
            log.warning("connections not returned at shutdown; terminating them")
            self.pool.terminate()
        self.metrics.close()


async def start_service(settings: ServiceSettings, definition: ServiceDefinition) -> RunningService:
    url = await database_url(settings)
    schema = settings.service_name
    async with _connect(url) as connection:
        await migrate(connection, schema, definition.migrations_package)
    pool = await create_pool(
        url,
        schema,
        min_size=settings.db_pool_min_size,
        max_size=settings.db_pool_max_size,
        command_timeout=settings.db_command_timeout_seconds,
    )
    registry = CollectorRegistry()
    for collector in (ProcessCollector, PlatformCollector, GCCollector):
        collector(registry=registry)
    verifier = verifier_from_settings(settings)
    server = aio.server(
        options=[("grpc.so_reuseport", 0), ("grpc.max_receive_message_length", 16 * 1024 * 1024)],
    )
    gate = CallGate(settings.service_name, settings.max_concurrent_rpcs, settings.rpc_queue_timeout_seconds)
    wrapper = CallWrapper(
        domain=settings.service_name,
        metrics=GrpcServerMetrics(registry),
        verifier=verifier,
        gate=gate,
        access_log_sample_rate=settings.access_log_sample_rate,
        write_access_log_sample_rate=settings.access_log_write_sample_rate,
    )
    # Every handler registered through it is wrapped once, here, for the life of the server.
    mounting = cast(aio.Server, MountingServer(server, wrapper))
    secret = settings.page_token_secret.get_secret_value().encode()
    platform = Platform(settings, pool, PageTokens(secret), RequestKeys(secret), registry)
    read_business = definition.mount(mounting, platform)
    if read_business is not None:
        registry.register(
            BusinessCollector(
                asyncio.get_running_loop(),
                read_business,
                definition.business_up_metric,
                settings.metrics_cache_seconds,
            )
        )
    health = HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health, mounting)
    if settings.reflection_enabled:
        reflection.enable_server_reflection(
            [
                definition.full_name,
                health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
                reflection.SERVICE_NAME,
            ],
            mounting,
        )
    port = server.add_insecure_port(f"{settings.grpc_host}:{settings.grpc_port}")
    metrics = MetricsEndpoint(registry, settings.metrics_port, settings.metrics_host)
    running = RunningService(settings, definition, server, health, pool, metrics, port, gate)
    running.background = platform.background
    await running.start_watching()
    await server.start()
    log.info(
        "serving",
        extra={"fields": {"grpc_port": port, "metrics_port": metrics.port, "service": definition.full_name}},
    )
    return running


@contextlib.asynccontextmanager
async def _connect(url: str):  # type: ignore[no-untyped-def]
    connection = await asyncpg.connect(url)
    try:
        yield connection
    finally:
        await connection.close()


async def migrate_only(settings: ServiceSettings, definition: ServiceDefinition) -> None:
    url = await database_url(settings)
    async with _connect(url) as connection:
        applied = await migrate(connection, settings.service_name, definition.migrations_package)
    print(f"{settings.service_name}: applied {len(applied)} migration(s): {', '.join(applied) or 'none'}")


# The cyclic collector's generation-0 threshold (CPython's default: 700 allocations). A call
# allocates a few hundred objects, so the default ran a collection every few calls; almost nothing a
# call allocates is cyclic garbage, and what is waits a little longer to be collected.
GC_THRESHOLDS = (20_000, 50, 100)


def settle_heap() -> None:
    """Once serving: what start-up built (modules, descriptors, the servicer) is moved out of the
    collector's sight (``gc.freeze``), and collections run far less often (``GC_THRESHOLDS``).
    The bench's bare ceilings do the same, so that only what the platform adds differs."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


async def serve(settings: ServiceSettings, definition: ServiceDefinition) -> None:
    running = await start_service(settings, definition)
    settle_heap()
    print(
        f"{settings.service_name}: gRPC on port {running.grpc_port}, metrics on "
        f"http://127.0.0.1:{running.metrics_port}/metrics",
        file=sys.stderr,
        flush=True,
    )
    await until_stopped()
    log.info("shutting down", extra={"fields": {"grace_seconds": settings.shutdown_grace_seconds}})
    await running.stop()


def run(main: Coroutine[Any, Any, None], event_loop: str) -> None:
    """Run ``main`` on the event loop named by the ``*_EVENT_LOOP`` setting (the bench's bare servers
    use the same, so that their ceilings are like for like)."""
    if event_loop == "uvloop":
        import uvloop

        uvloop.run(main)
    else:
        asyncio.run(main)


def main(settings: ServiceSettings, definition: ServiceDefinition, argv: list[str]) -> None:
    configure_logging(settings.service_name, settings.log_level)
    command = argv[0] if argv else "serve"
    if command == "serve":
        run(serve(settings, definition), settings.event_loop)
    elif command == "migrate":
        run(migrate_only(settings, definition), settings.event_loop)
    else:
        raise SystemExit(f"usage: python -m services.{settings.service_name} [serve|migrate]")
