"""``make run``: the whole suite in the foreground on one machine.

Starts the embedded PostgreSQL under ``.data/`` unless database URLs are configured, generates
development secrets once (``.data/dev-secrets.env``), starts each service as its own process (as
it runs in its own container in production), waits for their health checks, loads the demo on
first start, prints where everything is, and on Ctrl-C stops it all cleanly, even when its output
went to a pipe that is gone by then (``make run | tee log``). Data persists. A second ``make run`` on
the same data directory says who is running and touches nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TextIO

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from services.common.embedded_pg import EmbeddedPostgres
from services.demo import CONTEST_ID, OPEN_ROUND
from services.demo.guide import print_guide
from services.portal import dev as portal

DATA_DIR = Path(os.environ.get("SUITE_DATA_DIR", ".data"))
SECRETS_FILE = DATA_DIR / "dev-secrets.env"
DEMO_MARKER = DATA_DIR / "demo-loaded"
# Held (flock) by the running `make run`; holds its pid.
LOCK_FILE = DATA_DIR / "suite.lock"
SERVICES = {"talent": (50051, 9101), "competition": (50052, 9102)}


def dev_secrets() -> dict[str, str]:
    """Random development secrets, generated on first run and kept so tokens survive restarts."""
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    if not SECRETS_FILE.exists():
        values = {
            name: secrets.token_urlsafe(32)
            for name in ("SUITE_JWT_KEY", "SUITE_PAGE_TOKEN_SECRET", "SUITE_PII_HASH_KEY")
        }
        SECRETS_FILE.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
        SECRETS_FILE.chmod(0o600)
    pairs = (line.split("=", 1) for line in SECRETS_FILE.read_text().splitlines() if "=" in line)
    found = {k: v for k, v in pairs}
    if "SUITE_PORTAL_SESSION_KEY" not in found:  # secrets files written before the portal existed
        found["SUITE_PORTAL_SESSION_KEY"] = secrets.token_urlsafe(32)
        with SECRETS_FILE.open("a") as file:
            file.write(f"SUITE_PORTAL_SESSION_KEY={found['SUITE_PORTAL_SESSION_KEY']}\n")
    return found


def service_environment(name: str, database_url: str, keys: dict[str, str]) -> dict[str, str]:
    prefix = name.upper() + "_"
    environment = dict(os.environ)
    environment.setdefault(prefix + "DATABASE_URL", database_url)
    environment.setdefault(prefix + "JWT_KEY", keys["SUITE_JWT_KEY"])
    environment.setdefault(prefix + "PAGE_TOKEN_SECRET", keys["SUITE_PAGE_TOKEN_SECRET"])
    if name == "talent":
        environment.setdefault(prefix + "PII_HASH_KEY", keys["SUITE_PII_HASH_KEY"])
    # No load balancer in front of a local suite: nothing to drain, so Ctrl-C stops at once.
    environment.setdefault(prefix + "SHUTDOWN_DRAIN_SECONDS", "0")
    return environment


def port_of(name: str, kind: str) -> int:
    grpc_port, metrics_port = SERVICES[name]
    default = grpc_port if kind == "GRPC" else metrics_port
    return int(os.environ.get(f"{name.upper()}_{kind}_PORT", default))


async def wait_serving(port: int, deadline: float) -> None:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while True:
            try:
                response = await stub.Check(health_pb2.HealthCheckRequest(), timeout=1)
                if response.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.aio.AioRpcError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"the service on port {port} did not become healthy in time")
            await asyncio.sleep(0.3)


def claim_suite() -> tuple[TextIO | None, str]:
    """Hold the suite's lock for the life of this process: (the lock, "") or, when another ``make run``
    holds it, (None, its pid). The kernel drops the lock when the process ends, however it ends."""
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    handle = open(LOCK_FILE, "a+")  # noqa: SIM115 - held open until the process exits
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "unknown"
        handle.close()
        return None, holder
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle, ""


def say(*values: object, error: bool = False) -> None:
    """Print, even when nobody reads any more (``make run | tee log`` and Ctrl-C kill tee first): the
    shutdown that follows must not be cut short by a broken pipe."""
    stream = sys.stderr if error else sys.stdout
    try:
        print(*values, file=stream, flush=True)
    except OSError:
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())


def main() -> int:
    lock, holder = claim_suite()
    if lock is None:
        say(f"the suite is already running (pid {holder}) on {DATA_DIR}/; stop it first (Ctrl-C there)", error=True)
        return 1
    keys = dev_secrets()
    database_url = os.environ.get("SUITE_DATABASE_URL", "")
    every_service_configured = all(os.environ.get(f"{name.upper()}_DATABASE_URL") for name in SERVICES)
    embedded: EmbeddedPostgres | None = None
    children: dict[str, subprocess.Popen[bytes]] = {}
    stopping = False
    serving = False

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        if not serving:
            raise KeyboardInterrupt  # still starting: stop waiting for health checks now

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        if not database_url and not every_service_configured:
            embedded = EmbeddedPostgres(DATA_DIR, port=int(os.environ.get("SUITE_EMBEDDED_PG_PORT", "54329")))
            embedded.start()
            database_url = embedded.url
            say(f"embedded PostgreSQL: data in {embedded.pgdata}, listening on {database_url}")
        for name in SERVICES:
            children[name] = subprocess.Popen(
                [sys.executable, "-m", f"services.{name}"], env=service_environment(name, database_url, keys)
            )
        # The judges' portal: a web application in front of the competition service's gRPC API.
        children["portal"] = subprocess.Popen(
            [sys.executable, "-m", "services.portal"],
            env=portal.portal_environment(keys, port_of("competition", "GRPC")),
        )
        deadline = time.monotonic() + 90
        for name in SERVICES:
            asyncio.run(wait_serving(port_of(name, "GRPC"), deadline))
        portal.wait_ready(deadline)
        if not DEMO_MARKER.exists() and os.environ.get("SUITE_DEMO", "1") != "0":
            load_demo(keys)
        serving = True
        if not stopping:
            try:
                print_banner(keys)
            except OSError:
                say()  # stdout is gone; keep serving
        while not stopping:
            for name, child in children.items():
                if child.poll() is not None:
                    say(f"{name} exited with code {child.returncode}; stopping the suite", error=True)
                    stopping = True
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        serving = True  # a second Ctrl-C must not interrupt the shutdown below
        say("stopping: services first (in-flight calls finish), then PostgreSQL")
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children.values():
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
        if embedded is not None:
            embedded.stop()
        say(f"stopped; data kept in {DATA_DIR}/")
    return 0


def load_demo(keys: dict[str, str]) -> None:
    environment = {**os.environ, "SUITE_JWT_KEY": keys["SUITE_JWT_KEY"]}
    result = subprocess.run([sys.executable, "-m", "services.demo", "--no-guide"], env=environment, check=False)
    if result.returncode == 0:
        DEMO_MARKER.touch()
    else:
        print("the demo could not be loaded (see above); the services keep running", file=sys.stderr)


def print_banner(keys: dict[str, str]) -> None:
    print("\nThe suite is up:")
    for name in SERVICES:
        print(
            f"  {name:<12} gRPC 127.0.0.1:{port_of(name, 'GRPC')}   "
            f"metrics http://127.0.0.1:{port_of(name, 'METRICS')}/metrics"
        )
    print_guide(keys["SUITE_JWT_KEY"], CONTEST_ID)
    portal.print_links(keys["SUITE_JWT_KEY"], f"127.0.0.1:{port_of('competition', 'GRPC')}", OPEN_ROUND)
    print("\nPress Ctrl-C to stop.", flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
