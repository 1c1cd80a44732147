"""``make run``'s side of the portal: its environment, waiting for it, and the banner's links.

Development only: the portal's service token and the administrator's link are minted with the local
development key; production gives the portal its token from a Secret and puts OIDC in front of it.
"""

from __future__ import annotations

import asyncio
import os
import time
import urllib.error
import urllib.request
from collections.abc import Mapping

from grpc import aio

from protos.competition.v1 import competition_pb2 as pb
from protos.competition.v1 import competition_pb2_grpc
from services.common.auth import mint_token

DEFAULT_PORT = 8080
DEFAULT_METRICS_PORT = 9103


def portal_port() -> int:
    return int(os.environ.get("PORTAL_HTTP_PORT", DEFAULT_PORT))


def portal_url() -> str:
    return os.environ.get("PORTAL_PUBLIC_URL", f"http://127.0.0.1:{portal_port()}")


def portal_environment(keys: Mapping[str, str], competition_port: int) -> dict[str, str]:
    environment = dict(os.environ)
    environment.setdefault("PORTAL_HTTP_HOST", "127.0.0.1")
    environment.setdefault("PORTAL_COMPETITION_ADDRESS", f"127.0.0.1:{competition_port}")
    environment.setdefault("PORTAL_PUBLIC_URL", portal_url())
    environment.setdefault("PORTAL_SESSION_KEY", keys["SUITE_PORTAL_SESSION_KEY"])
    environment.setdefault(
        "PORTAL_SERVICE_TOKEN",
        mint_token(keys["SUITE_JWT_KEY"], "judges-portal", ["competition.portal"], ttl_seconds=30 * 86400),
    )
    return environment


def wait_ready(deadline: float) -> None:
    url = f"http://127.0.0.1:{portal_port()}/readyz"
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"the portal on {url} did not become ready in time")
        time.sleep(0.3)


async def _links(key: str, competition_address: str, round_name: str) -> list[tuple[str, str, str]]:
    metadata = (("authorization", f"Bearer {mint_token(key, 'make-run', ['competition.admin'], ttl_seconds=300)}"),)
    async with aio.insecure_channel(competition_address) as channel:
        stub = competition_pb2_grpc.CompetitionServiceStub(channel)
        try:
            found = await stub.ListJudgeInvitations(
                pb.ListJudgeInvitationsRequest(round=round_name, page_size=100), metadata=metadata, timeout=5
            )
        except aio.AioRpcError:
            return []
    base = portal_url().rstrip("/")
    return [
        (i.judge.removeprefix("judges/"), i.judge_display_name, f"{base}/signin#t={i.code}") for i in found.invitations
    ]


def print_links(key: str, competition_address: str, round_name: str) -> None:
    metrics = os.environ.get("PORTAL_METRICS_PORT", DEFAULT_METRICS_PORT)
    print(f"\njudges' portal: {portal_url()}/   (metrics http://127.0.0.1:{metrics}/metrics)")
    links = asyncio.run(_links(key, competition_address, round_name))
    if links:
        print(f"sign-in links of the demo's open round {round_name} (one per judge, valid 14 days):")
        for judge, name, link in links:
            print(f"  {judge:<10} {name:<8} {link}")
    admin = mint_token(key, "contest-admin", ["competition.admin"], ttl_seconds=86400)
    print(f"administrator (progress pages, 1 day): {portal_url()}/signin#admin={admin}")
