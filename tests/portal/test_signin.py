"""Signing in with a personal link, what the assignments page shows, and the links that must fail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from playwright.async_api import BrowserContext, expect

from protos.competition.v1 import competition_pb2 as pb
from services.competition.domain.invitations import Invitation, code_of
from tests.portal.conftest import screenshot
from tests.portal.world import ADMIN, CONTEST, DEADLINE, DEADLINE_BEIJING, ROUND, World, invitation_secret


async def test_sign_in_by_link_shows_assignments_with_beijing_deadline(world: World, context: BrowserContext) -> None:
    page = await context.new_page()
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url))
    await page.goto(world.link("j-signin"))
    await expect(page).to_have_url(f"{world.url}/assignments")
    await expect(page.locator("h1")).to_have_text("我的评审任务")
    await expect(page.locator(".who")).to_contain_text("陈立新")
    # The deadline in Beijing time (UTC+8) and the days and hours left.
    left = DEADLINE - datetime.now(UTC)
    hours = int(left.total_seconds() // 3600)
    await expect(page.locator(".deadline").first).to_contain_text(f"截止时间：{DEADLINE_BEIJING}（北京时间）")
    await expect(page.locator(".deadline").first).to_contain_text(f"剩余 {hours // 24} 天")
    cards = page.locator("li.card")
    await expect(cards).to_have_count(2)
    first = cards.filter(has_text="mRNA 疫苗递送平台项目")
    await expect(first).to_contain_text("负责人1（首席科学家）")
    await expect(first).to_contain_text("慕尼黑工业大学")
    await expect(first).to_contain_text("生命健康")
    await expect(first).to_contain_text("拟在瓯海区设立公司")
    await expect(first.locator("[data-status=not-started]")).to_have_text("未开始")
    await expect(first.locator("[data-status=draft]")).to_be_hidden()
    await expect(page.locator("[data-testid=progress]")).to_have_text("已提交 0 / 2 项")
    # The code never reached the server in a URL, and every request stayed on the portal.
    assert all("t=" not in url.split("#")[0] for url in seen), seen
    assert all(url.startswith(world.url) for url in seen), seen
    assert "#" not in page.url
    await page.screenshot(path=screenshot("01-assignments.png"), full_page=True)
    # Nothing was written by signing in.
    assert await world.sheets("j-signin") == []


async def test_security_headers_on_every_page(world: World, context: BrowserContext) -> None:
    page = await context.new_page()
    response = await page.goto(f"{world.url}/signin")
    assert response is not None
    headers = response.headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert "unsafe-inline" not in headers["content-security-policy"]
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-frame-options"] == "DENY"
    assert headers["cache-control"] == "no-store"
    cookies = await context.cookies()
    (session,) = [c for c in cookies if c["name"] == "portal-session"]
    assert session["httpOnly"] and session["sameSite"] == "Strict"


async def test_forged_link_gets_a_clear_page(world: World, context: BrowserContext) -> None:
    page = await context.new_page()
    code = world.codes["j-bad"]
    forged = code[:-4] + ("AAAA" if not code.endswith("AAAA") else "BBBB")
    await page.goto(f"{world.url}/signin#t={forged}")
    await expect(page.locator("#signin-error")).to_contain_text("登录链接无效")
    await page.goto(f"{world.url}/assignments")
    await expect(page).to_have_url(f"{world.url}/signin")


async def test_expired_link_gets_a_clear_page(world: World, context: BrowserContext) -> None:
    # An invitation that expired yesterday (written as the service would have, a fortnight ago).
    now = datetime.now(UTC)
    invitation = Invitation(
        contest_id=CONTEST,
        round_id="preliminary",
        id="inv-" + "e" * 24,
        judge_id="j-bad",
        created_by="portal-test-admin",
        create_time=now - timedelta(days=15),
        expire_time=(now - timedelta(days=1)).replace(microsecond=0),
    )
    async with world.competition.pool.acquire() as connection:
        await connection.execute(
            "INSERT INTO judge_invitations (contest_id, round_id, id, judge_id, created_by, create_time, expire_time)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7)",
            invitation.contest_id,
            invitation.round_id,
            invitation.id,
            invitation.judge_id,
            invitation.created_by,
            invitation.create_time,
            invitation.expire_time,
        )
    page = await context.new_page()
    await page.goto(f"{world.url}/signin#t={code_of(invitation_secret(), invitation)}")
    await expect(page.locator("#signin-error")).to_contain_text("登录链接已过期")
    await page.goto(f"{world.url}/assignments")
    await expect(page).to_have_url(f"{world.url}/signin")


async def test_revoked_invitation_ends_the_session(world: World, context: BrowserContext) -> None:
    page = await context.new_page()
    await page.goto(world.link("j-revoke"))
    await expect(page).to_have_url(f"{world.url}/assignments")
    listed = await world.stub.ListJudgeInvitations(
        pb.ListJudgeInvitationsRequest(round=ROUND, judge="judges/j-revoke"), metadata=ADMIN
    )
    (invitation,) = listed.invitations
    await world.stub.RevokeJudgeInvitation(pb.RevokeJudgeInvitationRequest(name=invitation.name), metadata=ADMIN)
    await page.goto(f"{world.url}/assignments")
    await expect(page).to_have_url(f"{world.url}/signin")
    await expect(page.locator(".flash")).to_contain_text("登录已结束")
    other = await context.new_page()
    await other.goto(world.link("j-revoke"))
    await expect(other.locator("#signin-error")).to_contain_text("已被撤销")


async def test_tampered_cookie_is_no_session(world: World, context: BrowserContext) -> None:
    page = await context.new_page()
    await page.goto(world.link("j-bad"))
    await expect(page).to_have_url(f"{world.url}/assignments")
    (cookie,) = [c for c in await context.cookies() if c["name"] == "portal-session"]
    value = cookie["value"]
    flipped = value[:20] + ("A" if value[20] != "A" else "B") + value[21:]
    await context.add_cookies(
        [{"name": cookie["name"], "value": flipped, "domain": cookie["domain"], "path": cookie["path"]}]
    )
    await page.goto(f"{world.url}/assignments")
    await expect(page).to_have_url(f"{world.url}/signin")
    await expect(page.locator(".flash")).to_contain_text("登录已结束")


async def test_english_is_one_click_away(world: World, context: BrowserContext) -> None:
    page = await context.new_page()
    await page.goto(world.link("j-english"))
    await expect(page.locator("h1")).to_have_text("我的评审任务")
    await page.get_by_role("link", name="Switch to English").click()
    await expect(page.locator("h1")).to_have_text("My assignments")
    await expect(page.locator(".deadline").first).to_contain_text(f"Deadline: {DEADLINE_BEIJING} (Beijing time, UTC+8)")
    await page.locator("li.card a.button").first.click()
    await expect(page.locator("label[for=score-technology] .name")).to_have_text("Technology & innovation")
    await expect(page.locator("label[for=score-technology] .alt")).to_have_text("技术创新")
    await page.screenshot(path=screenshot("08-english.png"), full_page=True)


async def test_a_second_judges_link_on_the_same_device_signs_them_in(world: World, context: BrowserContext) -> None:
    page = await context.new_page()
    await page.goto(world.link("j-phone"))
    await expect(page.locator(".who")).to_contain_text("孙雅琴")
    await page.goto(world.link("j-english"))
    await expect(page).to_have_url(f"{world.url}/assignments")
    await expect(page.locator(".who")).to_contain_text("Dr. Anna Weber")
