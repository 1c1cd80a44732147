"""The asyncpg pool of a service and its migrations.

Each service owns one PostgreSQL schema. Migrations are plain SQL files applied at start-up in one
transaction under a transaction-level advisory lock, so replicas starting together apply them once.
"""

from __future__ import annotations

import contextlib
import json
import logging
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal

import asyncpg

from services.common.sql import Connection

log = logging.getLogger(__name__)

# The platform's own tables (idempotency keys) live in every service schema, applied first.
PLATFORM_MIGRATIONS = "services.common.migrations"


@dataclass(frozen=True)
class Migration:
    version: str
    sql: str


def migrations_in(package: str, prefix: str) -> list[Migration]:
    folder = resources.files(package)
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".sql")), key=lambda f: f.name)
    return [Migration(f"{prefix}{f.name.removesuffix('.sql')}", f.read_text(encoding="utf-8")) for f in files]


async def migrate(connection: asyncpg.Connection, schema: str, package: str) -> list[str]:
    """Apply pending migrations of ``package`` to ``schema``; return the versions applied now."""
    pending = migrations_in(PLATFORM_MIGRATIONS, "platform/") + migrations_in(package, "")
    applied_now: list[str] = []
    async with connection.transaction():
        # hashtext keeps the lock key stable across processes and specific to the schema.
        await connection.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"migrations:{schema}")
        await connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        await connection.execute(
            f'CREATE TABLE IF NOT EXISTS "{schema}".schema_migrations ('
            " version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {r["version"] for r in await connection.fetch(f'SELECT version FROM "{schema}".schema_migrations')}
        await connection.execute(f'SET LOCAL search_path TO "{schema}"')
        for migration in pending:
            if migration.version in done:
                continue
            await connection.execute(migration.sql)
            await connection.execute(
                f'INSERT INTO "{schema}".schema_migrations (version) VALUES ($1)', migration.version
            )
            applied_now.append(migration.version)
    if applied_now:
        log.info("applied migrations", extra={"fields": {"schema": schema, "versions": applied_now}})
    return applied_now


class transaction:  # lower case: it reads as a function, ``async with transaction(pool) as connection:``
    """A pool connection in a transaction: committed when the block ends normally, rolled back when it
    raises. Every write of the services goes through here.

    Once COMMIT has succeeded the work is durable and acknowledged to nobody yet; if handing the
    connection back to the pool then fails (its reset needs the server, which may be going away), the
    call must still succeed, or a client would retry a write that happened. Such a connection is
    logged and terminated. Likewise a failed ROLLBACK never hides the error that caused it: the
    server rolls back a transaction whose connection is gone anyway.
    """

    __slots__ = ("_connection", "_isolation", "_lease", "_readonly", "_transaction")

    def __init__(self, pool: asyncpg.Pool, *, isolation: IsolationLevel | None = None, readonly: bool = False) -> None:
        self._lease: Any = pool.acquire()
        self._isolation = isolation
        self._readonly = readonly
        self._connection: Any = None
        self._transaction: Any = None

    async def __aenter__(self) -> Connection:
        connection = await self._lease.__aenter__()
        try:
            self._transaction = connection.transaction(isolation=self._isolation, readonly=self._readonly)
            await self._transaction.start()
        except BaseException:
            await _release(self._lease, connection)
            raise
        self._connection = connection
        return connection  # type: ignore[no-any-return]

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        connection, self._connection = self._connection, None
        try:
            if exc_type is None:
                await self._transaction.commit()
            else:
                try:
                    await self._transaction.rollback()
                except Exception:
                    log.warning("rollback failed; the connection is dropped", exc_info=True)
        finally:
            await _release(self._lease, connection)


class acquire:  # lower case: it reads as a function, ``async with acquire(pool) as connection:``
    """A pool connection outside a transaction (each statement commits by itself), handed back like
    :class:`transaction`'s: a failure to return it once the work is done never fails the call."""

    __slots__ = ("_connection", "_lease")

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._lease: Any = pool.acquire()
        self._connection: Any = None

    async def __aenter__(self) -> Connection:
        self._connection = await self._lease.__aenter__()
        return self._connection  # type: ignore[no-any-return]

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        connection, self._connection = self._connection, None
        await _release(self._lease, connection)


IsolationLevel = Literal["read_committed", "read_uncommitted", "serializable", "repeatable_read"]


async def _release(lease: Any, connection: Any) -> None:
    """Return ``connection`` to the pool (``lease`` is the ``pool.acquire()`` it came from); if that
    fails, drop it (the pool opens a new one later). The block's own error, if any, is not the
    lease's concern: it was handled (rolled back) or is raised by the caller."""
    try:
        await lease.__aexit__(None, None, None)
    except Exception:
        log.warning("could not return a connection to the pool; terminating it", exc_info=True)
        with contextlib.suppress(Exception):
            connection.terminate()


async def create_pool(url: str, schema: str, *, min_size: int, max_size: int, command_timeout: float) -> asyncpg.Pool:
    async def init(connection: asyncpg.Connection) -> None:
        # JSON columns come back as Python objects.
        await connection.set_type_codec("jsonb", encoder=json_text, decoder=_json_loads, schema="pg_catalog")

    pool = await asyncpg.create_pool(
        url,
        min_size=min_size,
        max_size=max_size,
        command_timeout=command_timeout,
        server_settings={"search_path": schema, "application_name": schema},
        init=init,
        reset=_keep_session,
    )
    assert pool is not None
    return pool


async def _keep_session(connection: asyncpg.Connection) -> None:
    """What a released connection runs instead of asyncpg's reset query (advisory unlock, CLOSE ALL,
    UNLISTEN, RESET ALL): one round trip per release for state the services never leave behind. They
    take transaction-level advisory locks only and SET nothing outside a transaction; asyncpg still
    rolls back an open transaction on release whatever this does."""


# One encoder for every JSON parameter: json.dumps with any non-default option builds a new one per call.
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def json_text(value: Any) -> str:
    """A jsonb value's text, as the pool's codec writes it."""
    return _JSON.encode(value)


def _json_loads(value: str) -> Any:
    return json.loads(value)
