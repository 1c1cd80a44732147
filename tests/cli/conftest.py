"""The ``suite`` fixture: the CLI as a subprocess against the session's talent and competition servers."""

from __future__ import annotations

from typing import Any

import pytest

from services.common.server import RunningService
from tests.cli.helpers import ADMIN_TOKEN, Result, Suite, run_cli


@pytest.fixture(scope="session")
def suite(talent_service: RunningService, competition_service: RunningService) -> Suite:
    """``await suite("talent", "targets", bearer=..., stdin=...)``; the admin token unless ``bearer``."""

    async def call(*args: str, **kwargs: Any) -> Result:
        kwargs.setdefault("bearer", ADMIN_TOKEN)
        return await run_cli(
            *args, talent_port=talent_service.grpc_port, competition_port=competition_service.grpc_port, **kwargs
        )

    return call
