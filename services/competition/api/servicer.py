"""competition.v1.CompetitionService, assembled from its parts."""

from __future__ import annotations

from protos.competition.v1 import competition_pb2_grpc
from services.competition.api.landing import LandingMethods


class CompetitionServicer(LandingMethods, competition_pb2_grpc.CompetitionServiceServicer):
    pass
