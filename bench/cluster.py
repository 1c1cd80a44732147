"""The system under test: an embedded PostgreSQL in a scratch directory and each service in its own
process (as in its container), so that the load generator never shares the server's CPU or GIL."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import asyncpg
from grpc import aio
from grpc_health.v1 import health_pb2, health_pb2_grpc
from prometheus_client.parser import text_string_to_metric_families

from services.common.auth import mint_token
from services.common.embedded_pg import EmbeddedPostgres

HOST = "127.0.0.1"
JWT_KEY = "bench-jwt-key-0123456789abcdef-0123456789"
PAGE_TOKEN_SECRET = "bench-page-token-secret-0123456789"
PII_HASH_KEY = "bench-pii-hash-key-0123456789abcdef"
START_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 15.0
REPOSITORY = Path(__file__).resolve().parent.parent
_READY = re.compile(r"gRPC on port (\d+), metrics on http://[^:]+:(\d+)/metrics")


def token(subject: str, *roles: str) -> str:
    return mint_token(JWT_KEY, subject, roles)


def auth(subject: str, *roles: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token(subject, *roles)}"),)


@dataclass
class ServerCounters:
    """What one /metrics scrape says: handled RPCs by (method, code) and the process CPU time."""

    handled: dict[tuple[str, str], float] = field(default_factory=dict)
    cpu_seconds: float = 0.0
    # Not from /metrics: the PostgreSQL server's CPU time, read from /proc at the same moment.
    postgres_cpu_seconds: float = 0.0
    # Group commit (services.common.group_commit): statements, and the rows they wrote together.
    group_statements: float = 0.0
    group_rows: float = 0.0

    def minus(self, before: ServerCounters) -> ServerCounters:
        keys = set(self.handled) | set(before.handled)
        delta = {k: self.handled.get(k, 0.0) - before.handled.get(k, 0.0) for k in keys}
        return ServerCounters(
            {k: v for k, v in delta.items() if v},
            self.cpu_seconds - before.cpu_seconds,
            self.postgres_cpu_seconds - before.postgres_cpu_seconds,
            self.group_statements - before.group_statements,
            self.group_rows - before.group_rows,
        )

    def plus(self, other: ServerCounters) -> ServerCounters:
        keys = set(self.handled) | set(other.handled)
        return ServerCounters(
            {k: self.handled.get(k, 0.0) + other.handled.get(k, 0.0) for k in keys},
            self.cpu_seconds + other.cpu_seconds,
            self.postgres_cpu_seconds + other.postgres_cpu_seconds,
            self.group_statements + other.group_statements,
            self.group_rows + other.group_rows,
        )

    def codes(self, method: str) -> dict[str, int]:
        """{grpc_code: count} for ``method`` (``package.Service/Method``)."""
        return {code: int(n) for (m, code), n in sorted(self.handled.items()) if m == method}


class ServiceProcess:
    """``python -m services.<module>`` with settings from the environment, on loopback ports."""

    def __init__(
        self,
        module: str,
        prefix: str,
        database_url: str,
        work_dir: Path,
        postgres_cpu: Callable[[], float] = lambda: 0.0,
        source: Path = REPOSITORY,
    ) -> None:
        self.module = module
        # The checkout the service runs from (bench.ab runs other builds from their worktrees).
        self.source = source
        self.postgres_cpu = postgres_cpu
        self.prefix = prefix
        self.database_url = database_url
        self.log_path = work_dir / f"{module}.log"
        self.work_dir = work_dir
        self.process: subprocess.Popen[bytes] | None = None
        self.grpc_port = 0
        self.metrics_port = 0

    @property
    def target(self) -> str:
        return f"{HOST}:{self.grpc_port}"

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(self.prefix)}
        settings = {
            "DATABASE_URL": self.database_url,
            "GRPC_HOST": HOST,
            "GRPC_PORT": "0",
            "METRICS_PORT": "0",
            "JWT_KEY": JWT_KEY,
            "PAGE_TOKEN_SECRET": PAGE_TOKEN_SECRET,
            "DATA_DIR": str(self.work_dir / "data"),
            # As deployed (deploy/k8s/base): INFO access logs and a pool of 2..10 connections.
            "LOG_LEVEL": "INFO",
            "DB_POOL_MIN_SIZE": "2",
            "DB_POOL_MAX_SIZE": "10",
            "SHUTDOWN_GRACE_SECONDS": "2",
        }
        if self.prefix == "TALENT_":
            settings["PII_HASH_KEY"] = PII_HASH_KEY
        env.update({self.prefix + k: v for k, v in settings.items()})
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def _spawn(self) -> None:
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", f"services.{self.module}", "serve"],
                env=self.environment(),
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.source,
            )

    async def start(self) -> None:
        """Start the process; return once it has printed its ports and its health is SERVING."""
        self._spawn()
        assert self.process is not None
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.module} exited with {self.process.returncode}:\n{self.log_tail()}")
            match = _READY.search(self.log_path.read_text(errors="replace"))
            if match:
                self.grpc_port, self.metrics_port = int(match[1]), int(match[2])
                break
            await asyncio.sleep(0.1)
        else:
            raise RuntimeError(f"{self.module} did not report its ports in {START_TIMEOUT_SECONDS:.0f} s")
        await self.wait_serving(deadline)

    async def wait_serving(self, deadline: float) -> None:
        async with aio.insecure_channel(self.target) as channel:
            health = health_pb2_grpc.HealthStub(channel)
            while True:
                try:
                    reply = await health.Check(health_pb2.HealthCheckRequest(), timeout=2)
                    if reply.status == health_pb2.HealthCheckResponse.SERVING:
                        return
                except aio.AioRpcError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{self.module} is not SERVING after {START_TIMEOUT_SECONDS:.0f} s")
                await asyncio.sleep(0.1)

    def log_tail(self, chars: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path.exists() else ""

    def logged_not_implemented(self, method: str) -> bool:
        """Whether the service logged a NotImplementedError for ``method`` (e.g. "SubmitScoreSheet"):
        an unimplemented servicer method that the error interceptor reported as INTERNAL."""
        for line in self.log_path.read_text(errors="replace").splitlines():
            if f'/{method}"' in line and "NotImplementedError" in line:
                return True
        return False

    def counters(self) -> ServerCounters:
        url = f"http://{HOST}:{self.metrics_port}/metrics"
        with urllib.request.urlopen(url, timeout=10) as response:
            text = response.read().decode()
        counters = ServerCounters(postgres_cpu_seconds=self.postgres_cpu())
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == "grpc_server_handled_total":
                    method = f"{sample.labels['grpc_service']}/{sample.labels['grpc_method']}"
                    counters.handled[(method, sample.labels["grpc_code"])] = sample.value
                elif sample.name == "process_cpu_seconds_total":
                    counters.cpu_seconds = sample.value
                elif sample.name.endswith("_group_statements_total"):
                    counters.group_statements += sample.value
                elif sample.name.endswith("_group_rows_total"):
                    counters.group_rows += sample.value
        return counters

    def stop(self) -> None:
        """SIGTERM (graceful shutdown), then SIGKILL if it does not exit in time."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(STOP_TIMEOUT_SECONDS)


class BareProcess(ServiceProcess):
    """``python -m bench.bare <kind>``: a bare ceiling, its own process like a service (see bench/bare.py)."""

    def __init__(
        self, kind: str, database_url: str, work_dir: Path, postgres_cpu: Callable[[], float] = lambda: 0.0
    ) -> None:
        super().__init__(f"bare-{kind}", "BARE_", database_url, work_dir, postgres_cpu)
        self.kind = kind

    def _spawn(self) -> None:
        command = [sys.executable, "-m", "bench.bare", self.kind, "--host", HOST]
        if self.kind != "echo":
            # The services' deployed pool (DB_POOL_MIN_SIZE/DB_POOL_MAX_SIZE above).
            command += ["--database-url", self.database_url, "--pool-min", "2", "--pool-max", "10"]
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                command,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=REPOSITORY,
            )

    async def wait_serving(self, deadline: float) -> None:
        # It prints its ports once its server has started: nothing more to wait for.
        return


class Cluster:
    """PostgreSQL plus the two services, in a temporary directory removed on exit."""

    def __init__(self, keep: bool = False) -> None:
        self.keep = keep
        self.work_dir = Path(tempfile.mkdtemp(prefix="bench-"))
        self.postgres = EmbeddedPostgres(self.work_dir / "pg")
        self.talent: ServiceProcess | None = None
        self.competition: ServiceProcess | None = None
        self.database_url = ""
        # Started on demand: the bare ceilings and further competition replicas.
        self.extra: list[ServiceProcess] = []

    async def __aenter__(self) -> Cluster:
        try:
            await asyncio.to_thread(self.postgres.start)
            url = self.database_url = await self._create_database("bench")
            cpu = self.postgres_cpu_seconds
            self.talent = ServiceProcess("talent", "TALENT_", url, self.work_dir, cpu)
            self.competition = ServiceProcess("competition", "COMPETITION_", url, self.work_dir, cpu)
            # One at a time: both migrate at start-up, and the start is not what we measure.
            await self.talent.start()
            await self.competition.start()
        except BaseException:
            self.close()
            raise
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    async def _create_database(self, name: str) -> str:
        connection = await asyncpg.connect(self.postgres.url)
        try:
            await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()
        return self.postgres.url.rpartition("/")[0] + f"/{name}"

    async def analyze(self) -> None:
        """Planner statistics for everything seeded so far, as ``bench.bare`` takes them for its table:
        both sides of a ratio are then planned from statistics, instead of the services' tables
        depending on when autovacuum first wakes (before it, ListCandidates sorted every live row)."""
        connection = await asyncpg.connect(self.database_url)
        try:
            await connection.execute("ANALYZE")
        finally:
            await connection.close()

    def postgres_cpu_seconds(self) -> float:
        """CPU time of the PostgreSQL server and its live backends (Linux /proc; 0 elsewhere)."""
        pid_file = self.postgres.pgdata / "postmaster.pid"
        try:
            postmaster = int(pid_file.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return 0.0
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0.0
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                # Fields after the command (which may hold spaces): state ppid … utime(14) stime(15).
                fields = (entry / "stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue
            if int(entry.name) == postmaster or int(fields[1]) == postmaster:
                total += (int(fields[11]) + int(fields[12])) / ticks
        return total

    async def start_bare(self, kind: str) -> BareProcess:
        """A bare ceiling server (``echo``, ``insert``, ``select`` or ``page``) on the same database."""
        bare = BareProcess(kind, self.database_url, self.work_dir, self.postgres_cpu_seconds)
        self.extra.append(bare)
        await bare.start()
        return bare

    async def start_competition_replica(self) -> ServiceProcess:
        """One more competition replica on the same database (its own process, log and ports)."""
        replica = ServiceProcess(
            "competition", "COMPETITION_", self.database_url, self.work_dir, self.postgres_cpu_seconds
        )
        replica.log_path = self.work_dir / f"competition-{len(self.extra) + 2}.log"
        self.extra.append(replica)
        await replica.start()
        return replica

    def services(self) -> Iterator[ServiceProcess]:
        yield from (s for s in (self.talent, self.competition, *self.extra) if s is not None)

    def close(self) -> None:
        for service in self.services():
            service.stop()
        try:
            self.postgres.stop("immediate")
        finally:
            if not self.keep:
                shutil.rmtree(self.work_dir, ignore_errors=True)
