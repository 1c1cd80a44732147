"""``python -m bench.bare {echo,insert,select,page}``: the bare ceilings the services are measured against.

Each is a grpc.aio server with one generic handler and nothing else: no interceptors, no logging,
no protobuf (requests and responses are raw bytes in ordinary gRPC framing), so that a load tool
drives it exactly as it drives a service's unary method. What it does per call:

- ``echo``: answers the request's bytes.
- ``insert``: one asyncpg INSERT of a row into a table with a primary key and a secondary index
  (``bare.writes``), committed on its own; answers the row's bytes. The request is a 16-byte key,
  then the owner's index (1 byte), then the body (a few hundred bytes, like a candidate or a sheet).
- ``select``: one SELECT by primary key from ``bare.reads`` (seeded with ``--seed-rows`` rows of the
  same shape); answers the row's body. The request is the row number as decimal digits.
- ``page``: one SELECT of the newest ``PAGE_ROWS`` rows of an owner from ``bare.reads`` through the
  ``(owner, create_time)`` index, the shape of a list page; answers the bodies, one after another.
  The request is the owner's index as decimal digits.

The pool is the services' own (``services.common.db.create_pool``: the same reset, timeout and codecs),
sized like theirs (``--pool-min``/``--pool-max``, deploy defaults 2..10). Like a
service it prints ``gRPC on port N, metrics on http://HOST:M/metrics`` once it serves, and its
/metrics carries ``process_cpu_seconds_total`` and ``grpc_server_handled_total`` (by method and
code, counted in the handler: the same check the benchmark applies to the services)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from typing import Any, TypeVar

import asyncpg
import grpc
from grpc import aio
from prometheus_client import CollectorRegistry, ProcessCollector, start_http_server
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector

from services.common.db import create_pool
from services.common.server import run, settle_heap
from services.common.settings import ServiceSettings
from services.common.signals import until_stopped

SERVICE = "bench.v1.Bare"
ECHO, INSERT, SELECT = f"/{SERVICE}/Echo", f"/{SERVICE}/Insert", f"/{SERVICE}/Select"
PAGE = f"/{SERVICE}/Page"
METHODS = {"echo": ECHO, "insert": INSERT, "select": SELECT, "page": PAGE}
# The list pages measured (ListCandidates, ListAssignments) ask for this many rows.
PAGE_ROWS = 50
SCHEMA = "bare"
OWNERS = 50
BODY_BYTES = 320

TABLES = f"""
CREATE SCHEMA IF NOT EXISTS {SCHEMA};
CREATE TABLE IF NOT EXISTS {SCHEMA}.writes (
    id          uuid PRIMARY KEY,
    owner       text NOT NULL,
    body        bytea NOT NULL,
    version     int NOT NULL DEFAULT 1,
    create_time timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX IF NOT EXISTS writes_owner_create_time_idx ON {SCHEMA}.writes (owner, create_time);
CREATE TABLE IF NOT EXISTS {SCHEMA}.reads (
    id          bigint PRIMARY KEY,
    owner       text NOT NULL,
    body        bytea NOT NULL,
    version     int NOT NULL DEFAULT 1,
    create_time timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX IF NOT EXISTS reads_owner_create_time_idx ON {SCHEMA}.reads (owner, create_time);
"""


def body(n: int) -> bytes:
    """A row body of BODY_BYTES bytes, different for every ``n``."""
    seed = f"bench row {n:012d} ".encode()
    return (seed * (BODY_BYTES // len(seed) + 1))[:BODY_BYTES]


def insert_request(n: int) -> bytes:
    """A unique INSERT request: key, owner index, body."""
    return uuid.UUID(int=n + 1).bytes + bytes([n % OWNERS]) + body(n)


def select_request(row: int) -> bytes:
    return str(row).encode()


def page_request(owner: int) -> bytes:
    return str(owner % OWNERS).encode()


class Handled(Collector):
    """grpc_server_handled_total from a plain counter: the handler only adds one to a dict."""

    def __init__(self, counts: Counter[tuple[str, str]]) -> None:
        self.counts = counts

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        family = CounterMetricFamily(
            "grpc_server_handled", "RPCs completed.", labels=["grpc_service", "grpc_method", "grpc_code"]
        )
        for (method, code), n in sorted(self.counts.items()):
            family.add_metric([SERVICE, method, code], n)
        yield family


Handler = Callable[[bytes, aio.ServicerContext], Coroutine[Any, Any, bytes]]
T = TypeVar("T")


def handler_of(kind: str, pool: asyncpg.Pool | None, counts: Counter[tuple[str, str]]) -> Handler:
    """The one method; it counts its own outcome (a dict increment, not an interceptor)."""
    name = METHODS[kind].rpartition("/")[2]
    ok, failed, cancelled = (name, "OK"), (name, "Unknown"), (name, "Cancelled")

    async def echo(request: bytes, context: aio.ServicerContext) -> bytes:
        counts[ok] += 1
        return request

    async def counted(statement: Awaitable[T]) -> T:
        """The statement's result; a failure is counted as the service's interceptor would."""
        try:
            return await statement
        except asyncio.CancelledError:
            counts[cancelled] += 1
            raise
        except BaseException:
            counts[failed] += 1
            raise

    async def insert(request: bytes, context: aio.ServicerContext) -> bytes:
        assert pool is not None
        await counted(
            pool.execute(
                f"INSERT INTO {SCHEMA}.writes (id, owner, body) VALUES ($1, $2, $3)",
                uuid.UUID(bytes=request[:16]),
                f"owner-{request[16]:02d}",
                request[17:],
            )
        )
        counts[ok] += 1
        return request[17:]

    async def select(request: bytes, context: aio.ServicerContext) -> bytes:
        assert pool is not None
        found: bytes | None = await counted(
            pool.fetchval(f"SELECT body FROM {SCHEMA}.reads WHERE id = $1", int(request))
        )
        if found is None:
            counts[(name, "NotFound")] += 1
            await context.abort(grpc.StatusCode.NOT_FOUND, "no such row")
        counts[ok] += 1
        return found or b""

    async def page(request: bytes, context: aio.ServicerContext) -> bytes:
        assert pool is not None
        rows = await counted(
            pool.fetch(
                f"SELECT body FROM {SCHEMA}.reads WHERE owner = $1 ORDER BY create_time DESC LIMIT {PAGE_ROWS}",
                f"owner-{int(request):02d}",
            )
        )
        counts[ok] += 1
        return b"".join(row[0] for row in rows)

    handlers: dict[str, Handler] = {"echo": echo, "insert": insert, "select": select, "page": page}
    return handlers[kind]


async def prepare(url: str, seed_rows: int) -> None:
    """The tables, and ``seed_rows`` rows in ``bare.reads`` (idempotent: several servers may start)."""
    connection = await asyncpg.connect(url)
    try:
        async with connection.transaction():
            await connection.execute("SELECT pg_advisory_xact_lock(hashtext('bench.bare'))")
            await connection.execute(TABLES)
            present = await connection.fetchval(f"SELECT count(*) FROM {SCHEMA}.reads")
            if present < seed_rows:
                await connection.executemany(
                    f"INSERT INTO {SCHEMA}.reads (id, owner, body) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                    [(n, f"owner-{n % OWNERS:02d}", body(n)) for n in range(present, seed_rows)],
                )
        await connection.execute(f"ANALYZE {SCHEMA}.reads")
    finally:
        await connection.close()


async def serve(args: argparse.Namespace) -> None:
    pool: asyncpg.Pool | None = None
    if args.kind != "echo":
        await prepare(args.database_url, args.seed_rows)
        # The services' own pool factory, so that the pool's per-call costs (reset on release, timers,
        # codecs) are the same on both sides of a ratio whatever the platform changes in it.
        pool = await create_pool(
            args.database_url,
            SCHEMA,
            min_size=args.pool_min,
            max_size=args.pool_max,
            command_timeout=args.command_timeout,
        )
    counts: Counter[tuple[str, str]] = Counter()
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)
    registry.register(Handled(counts))
    metrics, _ = start_http_server(0, addr=args.host, registry=registry)
    name = METHODS[args.kind].rpartition("/")[2]
    handler = grpc.method_handlers_generic_handler(
        SERVICE, {name: grpc.unary_unary_rpc_method_handler(handler_of(args.kind, pool, counts))}
    )
    # The services' server options, so that only what the platform adds differs.
    server = aio.server(
        options=[("grpc.so_reuseport", 0), ("grpc.max_receive_message_length", 16 * 1024 * 1024)],
    )
    server.add_generic_rpc_handlers((handler,))
    port = server.add_insecure_port(f"{args.host}:{args.port}")
    await server.start()
    settle_heap()
    print(
        f"bare {args.kind}: gRPC on port {port}, metrics on http://{args.host}:{metrics.server_port}/metrics",
        flush=True,
    )
    await until_stopped()
    await server.stop(1)
    if pool is not None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(pool.close(), 5)
    metrics.shutdown()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bare", description=__doc__.split("\n\n")[0])
    parser.add_argument("kind", choices=sorted(METHODS))
    parser.add_argument("--database-url", default="")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--pool-min", type=int, default=2)
    parser.add_argument("--pool-max", type=int, default=10)
    parser.add_argument("--command-timeout", type=float, default=10.0, help="the services' default")
    parser.add_argument("--seed-rows", type=int, default=10_000)
    args = parser.parse_args(argv)
    if args.kind != "echo" and not args.database_url:
        parser.error(f"{args.kind} needs --database-url")
    # The services' default event loop: the ceiling must run on the same loop as what it bounds.
    run(serve(args), ServiceSettings.model_fields["event_loop"].default)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
