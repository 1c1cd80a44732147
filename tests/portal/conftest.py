"""Fixtures of the portal tests: the world (service + portal + contest) and headless Chromium.

Chromium is Debian's (/usr/bin/chromium, installed by .ci/run); Playwright's wheel brings only its
driver, and no browser is ever downloaded."""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from grpc import aio
from playwright.async_api import Browser, BrowserContext, async_playwright

from protos.competition.v1 import competition_pb2_grpc
from services.competition.service import DEFINITION
from services.competition.settings import CompetitionSettings
from services.portal.settings import PortalSettings
from services.portal.web.app import start_portal
from tests.portal.world import World, build_contest
from tests.support import create_database, start, token

CHROMIUM = os.environ.get("PORTAL_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The browser tests' screenshots; PORTAL_SCREENSHOTS=docs/portal refreshes the README's (tests never
# write into the checkout unless asked).
SCREENSHOTS = Path(os.environ.get("PORTAL_SCREENSHOTS") or Path(tempfile.gettempdir()) / "portal-screenshots")
SESSION_KEY = "portal-test-session-key-0123456789abcdef"
LOCAL_ISSUER = "urn:talent-suite:competition-test"
LOCAL_KEY = "portal-test-local-issuer-key-0123456789abcdef"


def portal_settings(competition_port: int, **overrides: Any) -> PortalSettings:
    values: dict[str, Any] = {
        "http_host": "127.0.0.1",
        "http_port": 0,
        "metrics_port": 0,
        "competition_address": f"127.0.0.1:{competition_port}",
        "service_token": token("judges-portal", "competition.portal"),
        "session_key": SESSION_KEY,
        "public_url": "http://127.0.0.1:8080",
        "shutdown_grace_seconds": 1,
        **overrides,
    }
    return PortalSettings(**values)


@pytest.fixture(scope="session")
async def world(postgres_url: str) -> AsyncIterator[World]:
    # Access tokens of one minute: the portal then refreshes on every request, so a revoked
    # invitation ends a session at once (in production within the token's lifetime).
    # Judge tokens come from the service's local issuer, as in production.
    competition = await start(
        CompetitionSettings,
        DEFINITION,
        await create_database(postgres_url),
        judge_access_token_ttl_seconds=60,
        jwt_local_issuer=LOCAL_ISSUER,
        jwt_local_roles=["competition.judge"],
        jwt_local_key=LOCAL_KEY,
    )
    portal = await start_portal(portal_settings(competition.grpc_port))
    channel = aio.insecure_channel(f"127.0.0.1:{competition.grpc_port}")
    stub = competition_pb2_grpc.CompetitionServiceStub(channel)
    found = World(competition, portal, stub)
    found.codes = await build_contest(stub)
    yield found
    await channel.close()
    await portal.stop()
    await competition.stop(grace=0)


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not os.path.exists(CHROMIUM):  # noqa: ASYNC240 - once per session
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield launched
        await launched.close()


@pytest.fixture
async def context(browser: Browser) -> AsyncIterator[BrowserContext]:
    """A fresh browser profile per test (cookies, storage), phone-sized or not as the test says."""
    created = await browser.new_context(viewport={"width": 1100, "height": 900}, locale="zh-CN")
    yield created
    await created.close()


def screenshot(name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / name
