"""How the talent service mounts on the platform."""

from __future__ import annotations

from grpc import aio
from prometheus_client.core import Metric

from protos.talent.v1 import talent_pb2_grpc
from services.common.metrics import ReadFamilies
from services.common.server import Platform, ServiceDefinition
from services.talent.api.business_metrics import read_families
from services.talent.api.servicer import TalentServicer
from services.talent.settings import TalentSettings


def mount(server: aio.Server, platform: Platform) -> ReadFamilies:
    settings = platform.settings
    assert isinstance(settings, TalentSettings)
    servicer = TalentServicer(platform, settings.pii_hash_key.get_secret_value().encode(), settings.stage_probabilities)
    talent_pb2_grpc.add_TalentServiceServicer_to_server(servicer, server)
    platform.background.append(servicer.reencoder.run)

    async def families() -> list[Metric]:
        business = await read_families(platform.pool, settings.stage_probabilities)
        # The group-commit counters ride along with the scrape-time families: the platform hands a
        # service no registry of its own.
        return business + servicer.candidate_writes.families("talent_candidate", "creates' candidates")

    return families


DEFINITION = ServiceDefinition(
    full_name="talent.v1.TalentService",
    migrations_package="services.talent.migrations",
    mount=mount,
    business_up_metric="talent_business_metrics_up",
)
