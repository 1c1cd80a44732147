"""Shared fixtures: a real PostgreSQL (embedded, or TEST_DATABASE_URL) and real gRPC servers on
ephemeral ports."""

from __future__ import annotations

import asyncio
import faulthandler
import os
import sys
import threading
from collections.abc import AsyncIterator, Generator, Iterator
from typing import Any, TextIO

import pytest
from grpc import aio

from services.common.embedded_pg import EmbeddedPostgres
from services.common.server import RunningService
from tests.support import create_database, start

# A test that runs longer than this is stuck: the run stops with every thread's and every asyncio
# task's stack, minutes after the hang instead of at CI's time limit with no trace of where. A hang
# that holds the GIL (a deadlock inside grpc's C core) stops no Python thread from being stuck too:
# faulthandler's own C thread dumps the threads and exits a little later in that case.
WATCHDOG_SECONDS = float(os.environ.get("TEST_WATCHDOG_SECONDS", "300"))
GIL_FREE_MARGIN_SECONDS = 60
_loop: asyncio.AbstractEventLoop | None = None
_stderr: TextIO = sys.stderr


def pytest_configure(config: pytest.Config) -> None:
    global _stderr
    # pytest captures fd 2 while tests run; its configure hooks run uncaptured, so this is the real one.
    _stderr = os.fdopen(os.dup(2), "w", buffering=1)


@pytest.fixture(scope="session", autouse=True)
async def _watched_loop() -> None:
    global _loop
    _loop = asyncio.get_running_loop()


def _stuck(nodeid: str) -> None:
    print(f"\n*** {nodeid} still running after {WATCHDOG_SECONDS:.0f} s: stacks follow, then exit", file=_stderr)
    faulthandler.dump_traceback(_stderr, all_threads=True)
    if _loop is not None:
        for task in list(asyncio.all_tasks(_loop)):
            print(f"--- {task!r}", file=_stderr)
            task.print_stack(file=_stderr)
    _stderr.flush()
    os._exit(70)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, None, None]:
    timer = threading.Timer(WATCHDOG_SECONDS, _stuck, args=(item.nodeid,))
    timer.daemon = True
    timer.start()
    faulthandler.dump_traceback_later(WATCHDOG_SECONDS + GIL_FREE_MARGIN_SECONDS, exit=True, file=_stderr)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()
        timer.cancel()


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    external = os.environ.get("TEST_DATABASE_URL")
    if external:
        yield external
        return
    server = EmbeddedPostgres(tmp_path_factory.mktemp("pg"))
    server.start()
    yield server.url
    server.stop("immediate")


@pytest.fixture(scope="session")
async def talent_service(postgres_url: str) -> AsyncIterator[RunningService]:
    from services.talent.service import DEFINITION
    from services.talent.settings import TalentSettings

    running = await start(TalentSettings, DEFINITION, await create_database(postgres_url))
    yield running
    await running.stop(grace=0)


@pytest.fixture(scope="session")
async def talent_channel(talent_service: RunningService) -> AsyncIterator[aio.Channel]:
    async with aio.insecure_channel(f"127.0.0.1:{talent_service.grpc_port}") as channel:
        yield channel


@pytest.fixture(scope="session")
def talent_stub(talent_channel: aio.Channel) -> Any:
    from protos.talent.v1 import talent_pb2_grpc

    return talent_pb2_grpc.TalentServiceStub(talent_channel)


@pytest.fixture(scope="session")
async def competition_service(postgres_url: str) -> AsyncIterator[RunningService]:
    from services.competition.service import DEFINITION
    from services.competition.settings import CompetitionSettings

    running = await start(CompetitionSettings, DEFINITION, await create_database(postgres_url))
    yield running
    await running.stop(grace=0)


@pytest.fixture(scope="session")
async def competition_channel(competition_service: RunningService) -> AsyncIterator[aio.Channel]:
    async with aio.insecure_channel(f"127.0.0.1:{competition_service.grpc_port}") as channel:
        yield channel


@pytest.fixture(scope="session")
def competition_stub(competition_channel: aio.Channel) -> Any:
    from protos.competition.v1 import competition_pb2_grpc

    return competition_pb2_grpc.CompetitionServiceStub(competition_channel)
