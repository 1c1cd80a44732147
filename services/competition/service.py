"""How the competition service mounts on the platform."""

from __future__ import annotations

from grpc import aio

from protos.competition.v1 import competition_pb2_grpc
from services.common.metrics import ReadFamilies, ServiceCounters
from services.common.server import Platform, ServiceDefinition
from services.competition.api.business_metrics import read_families
from services.competition.api.servicer import CompetitionServicer
from services.competition.app.audit import AuditSealer
from services.competition.app.read_model import run_backfill
from services.competition.settings import CompetitionSettings


def mount(server: aio.Server, platform: Platform) -> ReadFamilies:
    settings = platform.settings
    assert isinstance(settings, CompetitionSettings)
    servicer = CompetitionServicer(platform)
    competition_pb2_grpc.add_CompetitionServiceServicer_to_server(servicer, server)
    pool = platform.pool
    platform.background.append(lambda: run_backfill(pool))
    if settings.audit_sealer_enabled:
        platform.background.append(AuditSealer(platform.pool, settings).run)

    sheets = servicer.app.sheet_writes
    platform.registry.register(
        ServiceCounters(lambda: [*servicer.flight_families(), *sheets.families("competition_sheet", "first sheets")])
    )
    return lambda: read_families(
        platform.pool, settings.landing_stage_probabilities, settings.landing_unrecorded_probability
    )


DEFINITION = ServiceDefinition(
    full_name="competition.v1.CompetitionService",
    migrations_package="services.competition.migrations",
    mount=mount,
    business_up_metric="competition_business_metrics_up",
)
