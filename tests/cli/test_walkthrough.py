"""The README's contest walkthrough (docs/examples/contest/walkthrough.sh) runs end to end against
real servers on a database of its own: set-up, import, assignment, blind judging by four judges,
close, finalize, awards and landing."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from grpc import aio

from protos.competition.v1 import competition_pb2 as pb
from protos.competition.v1 import competition_pb2_grpc
from services.common.server import RunningService
from services.competition.service import DEFINITION
from services.competition.settings import CompetitionSettings
from tests.support import JWT_KEY, auth, create_database, start

ROOT = Path(__file__).parents[2]
SCRIPT = ROOT / "docs" / "examples" / "contest" / "walkthrough.sh"


@pytest.fixture(scope="module")
async def competition(postgres_url: str) -> AsyncIterator[RunningService]:
    running = await start(CompetitionSettings, DEFINITION, await create_database(postgres_url))
    yield running
    await running.stop(0)


async def test_walkthrough_runs_from_set_up_to_landing(
    competition: RunningService, talent_service: RunningService
) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SUITE_")}
    environment.update(
        {
            "SUITE": f"{sys.executable} -m services.cli",
            "SUITE_JWT_KEY": JWT_KEY,
            "SUITE_TALENT_ADDR": f"127.0.0.1:{talent_service.grpc_port}",
            "SUITE_COMPETITION_ADDR": f"127.0.0.1:{competition.grpc_port}",
            "PYTHONPATH": str(ROOT),
            "COLUMNS": "200",
        }
    )
    process = await asyncio.create_subprocess_exec(
        "bash", str(SCRIPT), env=environment, cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    stdout, stderr = await process.communicate()
    assert process.returncode == 0, stdout.decode()[-3000:] + stderr.decode()[-3000:]

    async with aio.insecure_channel(f"127.0.0.1:{competition.grpc_port}") as channel:
        stub = competition_pb2_grpc.CompetitionServiceStub(channel)
        admin = auth("contest-admin", "competition.admin")
        awards = await stub.ListAwards(pb.ListAwardsRequest(parent="contests/gec-2025"), metadata=admin)
        assert sorted(a.tier for a in awards.awards) == ["FIRST", "SECOND", "SECOND"]
        status = await stub.GetLandingStatus(pb.GetLandingStatusRequest(contest="contests/gec-2025"), metadata=admin)
        assert status.pool_size == 3
        assert status.landed == 1
        verdict = await stub.VerifyAuditLog(pb.VerifyAuditLogRequest(), metadata=admin)
        assert verdict.intact
