"""SQL statements per call: each RPC called a few times, one at a time, with PostgreSQL logging every
statement (``log_statement = all``, the log prefix naming the client's application, which the
services' pools set to their schema). Unlike rates this figure does not depend on the machine: a
round trip added to a hot path (an N+1 query, a separate claim of a request id) shows here first."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from bench.loadgen import Call, run_grpc

_LINE = re.compile(r"^\S+ \S+ \S+ \[\d+\] (\S*) LOG:  (?:statement|execute [^:]*): (.*)$")
PREFIX = "%m [%p] %a "
# The services' readiness check (``SELECT 1`` every ``health_check_interval_seconds``, 2 s) runs
# whatever the calls do, and a probe's window (its calls and 0.2 s) catches one now and then: it is
# not a statement of any call. (The audit sealer's work is left in: it is work the writes cause.)
READINESS_CHECK = "SELECT 1"


@dataclass(frozen=True)
class Probe:
    key: str
    target: str
    # The application_name of the server's connections (the services' pools use their schema name).
    application: str
    # Distinct calls (unique ones for writes), made one at a time.
    calls: Sequence[Call]


def size(log: Path) -> int:
    return log.stat().st_size


def read_from(log: Path, start: int) -> str:
    with log.open("rb") as handle:
        handle.seek(start)
        return handle.read().decode(errors="replace")


async def _configure(connection: asyncpg.Connection, settings: dict[str, str]) -> None:
    for name, value in settings.items():
        await connection.execute(f"ALTER SYSTEM SET {name} = '{value}'")
    await connection.execute("SELECT pg_reload_conf()")
    # The reload reaches the backends at their next command; give the postmaster a moment.
    await asyncio.sleep(0.3)


async def count(superuser_url: str, log: Path, probes: Sequence[Probe]) -> dict[str, dict[str, Any]]:
    """{probe key: {"per_call": statements per call, "statements": {first 80 characters: per call}}}."""
    connection = await asyncpg.connect(superuser_url)
    counted: dict[str, dict[str, Any]] = {}
    try:
        previous = {
            name: await connection.fetchval(f"SELECT current_setting('{name}')")
            for name in ("log_statement", "log_line_prefix")
        }
        await _configure(connection, {"log_statement": "all", "log_line_prefix": PREFIX})
        try:
            for probe in probes:
                start = size(log)
                result = await run_grpc(probe.target, probe.calls, concurrency=1, seconds=60)
                await asyncio.sleep(0.2)
                if result.outcomes != {"OK": len(probe.calls)}:
                    raise RuntimeError(f"counting statements of {probe.key}: {result.outcomes}")
                text = read_from(log, start)
                kinds: Counter[str] = Counter()
                for line in text.splitlines():
                    match = _LINE.match(line)
                    if match and match[1] == probe.application and match[2].strip() != READINESS_CHECK:
                        kinds[" ".join(match[2].split())[:80]] += 1
                n = len(probe.calls)
                counted[probe.key] = {
                    "per_call": round(sum(kinds.values()) / n, 2),
                    "calls": n,
                    "statements": {k: round(v / n, 2) for k, v in kinds.most_common()},
                }
        finally:
            await _configure(connection, previous)
    finally:
        await connection.close()
    return counted
