"""Fixtures of the monitoring tests: the metric names the running services really export."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from protos.competition.v1 import competition_pb2 as cpb
from protos.talent.v1 import talent_pb2 as tpb
from services.common.server import RunningService
from services.competition.api.landing import district_today
from tests.competition.landing_seed import seed_contest, seed_open_round
from tests.support import auth
from tests.talent.helpers import individual

from .metric_names import sample_names


@pytest.fixture(scope="session")
async def exported_metric_names(
    competition_service: RunningService,
    talent_service: RunningService,
    competition_stub: Any,
    talent_stub: Any,
) -> frozenset[str]:
    """The union of the sample names both services serve once they have a little data: a contest with
    a landing pool, a deadline and an open round with a judging deadline; a talent application; one
    RPC each (labelled families have no sample before their first observation)."""
    contest = await seed_contest(competition_service.pool, deadline=district_today(), prefix="names")
    await seed_open_round(competition_service.pool, contest.id, deadline=datetime.now(UTC) + timedelta(days=1))
    await competition_stub.GetLandingStatus(
        cpb.GetLandingStatusRequest(contest=contest.name), metadata=auth("names", "competition.viewer")
    )
    n = uuid.uuid4().int % 10**8
    editor = auth("names", "talent.editor")
    candidate = await talent_stub.CreateCandidate(
        tpb.CreateCandidateRequest(
            candidate=individual(
                contact=tpb.Contact(email=f"names-{n}@example.com", phone=f"139{n:08d}"), identity_document=""
            )
        ),
        metadata=editor,
    )
    await talent_stub.CreateApplication(
        tpb.CreateApplicationRequest(
            application=tpb.Application(candidate=candidate.name, programme="programmes/ouyue", year=2024)
        ),
        metadata=editor,
    )
    competition = await asyncio.to_thread(sample_names, competition_service.metrics_port)
    talent = await asyncio.to_thread(sample_names, talent_service.metrics_port)
    return competition | talent
