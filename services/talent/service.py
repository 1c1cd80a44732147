"""How the talent service mounts on the platform."""

from __future__ import annotations

from grpc import aio

from protos.talent.v1 import talent_pb2_grpc
from services.common.metrics import ReadFamilies, ServiceCounters
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
    writes = servicer.candidate_writes
    platform.registry.register(ServiceCounters(lambda: writes.families("talent_candidate", "creates' candidates")))
    return lambda: read_families(platform.pool, settings.stage_probabilities)


DEFINITION = ServiceDefinition(
    full_name="talent.v1.TalentService",
    migrations_package="services.talent.migrations",
    mount=mount,
    business_up_metric="talent_business_metrics_up",
)
