"""Sessions: sealed cookies with idle and absolute timeouts, key rotation, and two replicas that
share nothing but the key."""

from __future__ import annotations

from bench.portal import PortalJudge
from services.portal import sessions
from services.portal.sessions import SessionCodec
from services.portal.web.app import start_portal
from tests.portal.conftest import SESSION_KEY, portal_settings
from tests.portal.world import World

KEY = "k" * 40


def judge_session(now: float) -> sessions.Session:
    return sessions.signed_in(
        now,
        3600,
        kind="judge",
        subject="j-1",
        display_name="陈立新",
        source="invitation",
        access_token="token",
        access_expires=now + 900,
        refresh="code",
        not_after=now + 1800,
    )


def test_idle_and_absolute_timeouts() -> None:
    codec = SessionCodec(KEY, None, idle_seconds=600, absolute_seconds=3600)
    sealed = codec.seal(judge_session(1000.0))
    assert codec.open(sealed, 1000.0 + 599) is not None
    assert codec.open(sealed, 1000.0 + 601) is None  # idle too long
    touched = codec.seal(judge_session(1000.0).touched(2700.0))
    assert codec.open(touched, 2750.0) is not None
    assert codec.open(touched, 2800.0 + 1) is None  # the invitation's end (not_after) is the absolute end


def test_tampered_foreign_and_rotated_keys() -> None:
    codec = SessionCodec(KEY, None, 600, 3600)
    sealed = codec.seal(judge_session(1000.0))
    flipped = sealed[:30] + ("A" if sealed[30] != "A" else "B") + sealed[31:]
    assert codec.open(flipped, 1001.0) is None
    assert codec.open("not a cookie", 1001.0) is None
    assert SessionCodec("x" * 40, None, 600, 3600).open(sealed, 1001.0) is None
    rotated = SessionCodec("n" * 40, KEY, 600, 3600)  # the old key moved to the previous key
    opened = rotated.open(sealed, 1001.0)
    assert opened is not None and opened.subject == "j-1"
    assert "token" not in sealed and "陈立新" not in sealed  # sealed, not just signed


async def test_two_replicas_serve_the_same_session(world: World) -> None:
    second = await start_portal(portal_settings(world.competition.grpc_port, session_key=SESSION_KEY))
    judge = PortalJudge(world.url)
    try:
        await judge.sign_in(world.codes["j-phone"])
        judge.base = f"http://127.0.0.1:{second.port}"  # the next request lands on the other replica
        page = await judge.get("/assignments")
        assert "孙雅琴" in page and "我的评审任务" in page
    finally:
        await judge.close()
        await second.stop()
