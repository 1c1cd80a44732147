"""competition.v1.CompetitionService, assembled from its parts."""

from __future__ import annotations

from protos.competition.v1 import competition_pb2_grpc
from services.competition.api.invitations import InvitationMethods
from services.competition.api.judging import JudgingMethods
from services.competition.api.landing import LandingMethods
from services.competition.api.limits import bounded_requests
from services.competition.api.results import ResultsMethods
from services.competition.api.setup import SetupMethods


@bounded_requests
class CompetitionServicer(
    SetupMethods,
    JudgingMethods,
    ResultsMethods,
    LandingMethods,
    InvitationMethods,
    competition_pb2_grpc.CompetitionServiceServicer,
):
    pass
