"""What every part of the competition servicer shares: the platform, the roles, name parsing."""

from __future__ import annotations

import asyncpg

from services.common.codec import resource_id
from services.common.errors import ViolationCollector
from services.common.idempotency import RequestKeys
from services.common.pagination import PageTokens
from services.common.server import Platform
from services.competition.app.context import App
from services.competition.settings import CompetitionSettings

ADMIN, JUDGE, VIEWER = "competition.admin", "competition.judge", "competition.viewer"
READERS = (ADMIN, JUDGE, VIEWER)


class ServicerBase:
    def __init__(self, platform: Platform) -> None:
        assert isinstance(platform.settings, CompetitionSettings)
        self.settings: CompetitionSettings = platform.settings
        self.pool: asyncpg.Pool = platform.pool
        self.tokens: PageTokens = platform.page_tokens
        self.request_keys: RequestKeys = platform.request_keys
        self.app = App(platform.pool, platform.settings)


def contest_child(name: str, collection: str, path: str, violations: ViolationCollector) -> tuple[str, str]:
    """``contests/c/rounds/r`` → ``("c", "r")`` for collection "rounds"; violations otherwise."""
    contest, _, child = name.partition(f"/{collection}/")
    if not child or "/" in child or not contest.startswith("contests/") or "/" in contest[len("contests/") :]:
        violations.add(path, f"must be a resource name like contests/{{contest}}/{collection}/{{id}}")
        return "", ""
    return resource_id(contest, "contests", path, violations), child
