"""The administrator's progress page: names, expected / submitted / missing, the links again, and
the leaderboard only once the round is finalized. And the portal's metrics."""

from __future__ import annotations

import aiohttp
import pytest
from playwright.async_api import BrowserContext, expect

from bench.portal import PortalJudge
from protos.competition.v1 import competition_pb2 as pb
from tests.portal.conftest import screenshot
from tests.portal.helpers import GOOD
from tests.portal.world import ADMIN, CONTEST, CRITERIA, ROUND, World, open_one_entry_round
from tests.support import auth, token


async def test_admin_progress_page_with_links_again_and_no_live_leaderboard(
    world: World, context: BrowserContext
) -> None:
    page = await context.new_page()
    await page.goto(f"{world.url}/signin#admin={token('contest-admin', 'competition.admin')}")
    await expect(page).to_have_url(f"{world.url}/admin")
    await page.get_by_role("link", name="初赛").click()
    await expect(page.locator("h1")).to_have_text("初赛：评审进度")
    progress = await world.stub.GetJudgingProgress(pb.GetJudgingProgressRequest(round=ROUND), metadata=ADMIN)
    row = next(j for j in progress.judges if j.judge == "judges/j-signin")
    card = page.locator("#judges li[data-judge=j-signin]")
    await expect(card).to_contain_text("陈立新")
    await expect(card).to_contain_text(f"应评 {row.expected} · 已提交 {row.submitted} · 未提交 {row.missing}")
    # "Copy the invitation link again": the same link as when it was created.
    await expect(card.locator("input.link")).to_have_value(f"http://127.0.0.1:8080/signin#t={world.codes['j-signin']}")
    await expect(page.locator("#leaderboard-hidden")).to_have_text("排行榜在本轮定稿后显示。")
    await expect(page.locator("#leaderboard")).to_have_count(0)
    await page.screenshot(path=screenshot("09-admin-progress.png"), full_page=True)
    # Creating links again gives judges who have one no second link.
    await page.click("#invite-button")
    await expect(page.locator(".flash")).to_have_text("已生成 0 个新链接。")


async def test_a_judge_token_cannot_open_the_admin_pages(world: World, context: BrowserContext) -> None:
    page = await context.new_page()
    await page.goto(f"{world.url}/signin#admin={token('j-bad', 'competition.judge')}")
    await expect(page.locator("#signin-error")).to_contain_text("管理员令牌无效")
    await page.goto(world.link("j-bad"))
    response = await page.goto(f"{world.url}/admin")
    await expect(page).to_have_url(f"{world.url}/signin")
    assert response is not None


async def test_leaderboard_shown_once_finalized(world: World, context: BrowserContext) -> None:
    stub = world.stub
    contest = "portal-final"
    name, entry = await open_one_entry_round(stub, contest, "j-english", title="定稿测试", entry=2)
    await stub.SubmitScoreSheet(
        pb.SubmitScoreSheetRequest(
            round=name,
            entry=entry,
            scores=[pb.CriterionScore(criterion=c.key, value=8) for c in CRITERIA],
        ),
        metadata=auth("j-english", "competition.judge"),
    )
    await stub.CloseRound(pb.CloseRoundRequest(name=name), metadata=ADMIN)
    await stub.FinalizeRound(pb.FinalizeRoundRequest(name=name), metadata=ADMIN)
    page = await context.new_page()
    await page.goto(f"{world.url}/signin#admin={token('contest-admin', 'competition.admin')}")
    await page.goto(f"{world.url}/admin/r/{contest}/only")
    board = page.locator("#leaderboard li")
    await expect(board).to_have_count(1)
    await expect(board).to_contain_text("工业视觉质检项目 · 80.00 · FIRST")


async def test_metrics_count_routes_sign_ins_and_submissions(world: World) -> None:
    judge = PortalJudge(world.url)
    try:
        await judge.sign_in(world.codes["j-english"])
        await judge.get("/assignments")
        statuses = await judge.submit(f"/r/{CONTEST}/preliminary/e/e-05", GOOD, "指标", twice=False)
        assert statuses == [303]
        bad = PortalJudge(world.url)
        try:
            with pytest.raises(AssertionError):
                await bad.sign_in("v1.forged")
        finally:
            await bad.close()
    finally:
        await judge.close()
    async with (
        aiohttp.ClientSession() as client,
        client.get(f"http://127.0.0.1:{world.portal.metrics_port}/metrics") as response,
    ):
        text = await response.text()
    assert 'portal_http_requests_total{method="GET",route="/assignments",status="200"}' in text
    assert 'route="/r/{contest}/{round}/e/{entry}"' in text
    assert "e-01" not in text and CONTEST not in text  # route templates, never ids
    assert 'portal_signins_total{outcome="ok",source="invitation"}' in text
    assert 'portal_signins_total{outcome="invalid",source="invitation"}' in text
    assert 'portal_submissions_total{outcome="ok"}' in text
    assert "portal_http_request_duration_seconds_bucket" in text
