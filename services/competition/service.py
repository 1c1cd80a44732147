"""How the competition service mounts on the platform."""

from __future__ import annotations

from grpc import aio

from protos.competition.v1 import competition_pb2_grpc
from services.common.metrics import ReadFamilies
from services.common.server import Platform, ServiceDefinition
from services.competition.api.servicer import CompetitionServicer


def mount(server: aio.Server, platform: Platform) -> ReadFamilies | None:
    competition_pb2_grpc.add_CompetitionServiceServicer_to_server(CompetitionServicer(platform), server)
    return None


DEFINITION = ServiceDefinition(
    full_name="competition.v1.CompetitionService",
    migrations_package="services.competition.migrations",
    mount=mount,
    business_up_metric="competition_business_metrics_up",
)
