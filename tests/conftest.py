"""Shared fixtures: a real PostgreSQL (embedded, or TEST_DATABASE_URL) and real gRPC servers on
ephemeral ports."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from grpc import aio

from services.common.embedded_pg import EmbeddedPostgres
from services.common.server import RunningService
from tests.support import create_database, start


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
