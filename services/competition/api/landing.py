"""Landing RPCs (GetLanding, ListLandings, TransitionLanding, GetLandingStatus)."""

from __future__ import annotations

from services.competition.api.base import ServicerBase


class LandingMethods(ServicerBase):
    pass
