"""``make run`` (services.runner) as a user runs it: a second one leaves the running suite alone, and
Ctrl-C stops PostgreSQL even when the output went to a pipe that died first (``make run | tee log``)."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.common.embedded_pg import EmbeddedPostgres, free_port

READY = "Press Ctrl-C to stop."


def suite_environment(data_dir: Path) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("TALENT_", "COMPETITION_", "SUITE_"))}
    environment.update(
        {
            "SUITE_DATA_DIR": str(data_dir),
            "SUITE_EMBEDDED_PG_PORT": str(free_port()),
            "SUITE_DEMO": "0",
            "TALENT_GRPC_PORT": str(free_port()),
            "TALENT_METRICS_PORT": str(free_port()),
            "COMPETITION_GRPC_PORT": str(free_port()),
            "COMPETITION_METRICS_PORT": str(free_port()),
        }
    )
    return environment


class Suite:
    """A ``make run`` in its own session, as in a terminal: Ctrl-C reaches the whole group."""

    def __init__(self, environment: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "services.runner"],
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.output = ""

    def wait_for(self, text: str, within: float = 120) -> None:
        """Read the output (in this thread: the pipe must be ours alone to close) until ``text``."""
        assert self.process.stdout is not None
        descriptor = self.process.stdout.fileno()
        deadline = time.monotonic() + within
        while text not in self.output:
            assert time.monotonic() < deadline, f"no {text!r} in: {self.output}"
            ready, _, _ = select.select([descriptor], [], [], 0.5)
            if ready:
                chunk = os.read(descriptor, 65536)
                assert chunk, f"the runner closed its output: {self.output}"
                self.output += chunk.decode(errors="replace")
            else:
                assert self.process.poll() is None, self.output

    def ctrl_c(self) -> int:
        os.killpg(self.process.pid, signal.SIGINT)
        return self.process.wait(timeout=90)


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "data"
    EmbeddedPostgres(tmp_path / "data").stop("immediate")  # whatever a failed test left running


def test_a_second_make_run_leaves_the_running_suite_alone(data_dir: Path) -> None:
    environment = suite_environment(data_dir)
    first = Suite(environment)
    try:
        first.wait_for(READY)
        second = subprocess.run(
            [sys.executable, "-m", "services.runner"], env=environment, capture_output=True, text=True, timeout=120
        )
        assert second.returncode == 1
        assert f"already running (pid {first.process.pid})" in second.stderr + second.stdout
        assert EmbeddedPostgres(data_dir).running_port() is not None
        assert first.process.poll() is None
    finally:
        assert first.ctrl_c() == 0
    assert EmbeddedPostgres(data_dir).running_port() is None


def test_ctrl_c_stops_postgres_when_stdout_is_a_dead_pipe(data_dir: Path) -> None:
    suite = Suite(suite_environment(data_dir))
    suite.wait_for(READY)
    assert EmbeddedPostgres(data_dir).running_port() is not None
    assert suite.process.stdout is not None
    suite.process.stdout.close()  # tee is gone: every later write of the runner meets a broken pipe
    suite.ctrl_c()
    assert EmbeddedPostgres(data_dir).running_port() is None
