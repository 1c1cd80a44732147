"""SIGTERM under load, against the real service process: every call finishes, or is refused with
UNAVAILABLE (retry elsewhere); none is accepted and then cut off as CANCELLED."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from grpc import aio
from grpc_health.v1 import health_pb2, health_pb2_grpc

from protos.talent.v1 import talent_pb2 as pb
from protos.talent.v1 import talent_pb2_grpc
from services.common.embedded_pg import free_port
from services.talent.settings import TalentSettings
from tests.support import auth, talent_process_environment


def test_the_drain_default_is_the_documented_one() -> None:
    # README and the deploy manifests say 5 s: NOT_SERVING, still answering, before the listener closes.
    assert TalentSettings.model_fields["shutdown_drain_seconds"].default == 5.0


def spawn(environment: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """``python -m services.talent``, as the container runs it."""
    with open(log, "wb") as output:
        return subprocess.Popen([sys.executable, "-m", "services.talent"], env=environment, stderr=output)


async def wait_serving(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    async with aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            assert process.poll() is None, "the service exited during start-up"
            try:
                response = await stub.Check(health_pb2.HealthCheckRequest(), timeout=1)
                if response.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except aio.AioRpcError:
                pass
            await asyncio.sleep(0.2)
    raise AssertionError("the service did not become healthy")


async def test_sigterm_under_load_finishes_or_refuses_every_call(postgres_url: str, tmp_path: Path) -> None:
    grpc_port = free_port()
    environment = await talent_process_environment(
        postgres_url,
        grpc_port,
        shutdown_drain_seconds="1",
        shutdown_grace_seconds="5",
        access_log_sample_rate="0",
    )
    process = spawn(environment, tmp_path / "service.log")
    try:
        await wait_serving(grpc_port, process)
        outcomes: Counter[str] = Counter()
        after_sigterm: Counter[str] = Counter()
        terminated = asyncio.Event()
        viewer = auth("viewer-1", "talent.viewer")
        async with aio.insecure_channel(f"127.0.0.1:{grpc_port}") as channel:
            stub = talent_pb2_grpc.TalentServiceStub(channel)

            async def client() -> None:
                """Calls until refused, then goes elsewhere (as a client behind a load balancer would)."""
                while True:
                    try:
                        await stub.ListProgrammes(pb.ListProgrammesRequest(), metadata=viewer, timeout=30)
                        code = "OK"
                    except aio.AioRpcError as error:
                        code = error.code().name
                    outcomes[code] += 1
                    if terminated.is_set():
                        after_sigterm[code] += 1
                    if code != "OK":
                        return

            clients = [asyncio.create_task(client()) for _ in range(100)]
            await asyncio.sleep(1.0)
            process.send_signal(signal.SIGTERM)
            terminated.set()
            await asyncio.wait_for(asyncio.gather(*clients), timeout=60)
        exit_code = await asyncio.to_thread(process.wait, 30)
    finally:
        if process.poll() is None:
            process.kill()
    assert set(outcomes) <= {"OK", "UNAVAILABLE"}, outcomes
    assert after_sigterm["OK"] > 0, after_sigterm  # the drain: still answering while out of rotation
    assert exit_code == 0, (tmp_path / "service.log").read_text()[-2000:]
