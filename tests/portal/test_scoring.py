"""Scoring in the browser: checks as you type and on the server, drafts, review and confirmation,
resubmission, double clicks, conflicts, other judges' entries, phones and keyboards. Each test reads
back over gRPC what the competition service then holds."""

from __future__ import annotations

from playwright.async_api import Browser, BrowserContext, expect

from protos.competition.v1 import competition_pb2 as pb
from tests.portal.conftest import screenshot
from tests.portal.helpers import GOOD, entry_url, fill, signed_in
from tests.portal.world import ADMIN, CONTEST, World, build_closing_round


async def test_score_with_an_invalid_value_corrected_then_confirm_and_submit(
    world: World, context: BrowserContext
) -> None:
    page = await signed_in(world, context, "j-score")
    await page.locator("li.card", has_text="mRNA").get_by_role("link", name="评分").click()
    await expect(page.locator("h1")).to_contain_text("评分：mRNA 疫苗递送平台项目")
    await expect(page.locator("label[for=score-technology]")).to_contain_text("技术创新")
    await expect(page.locator("label[for=score-technology]")).to_contain_text("Technology & innovation")
    await expect(page.locator("#hint-technology")).to_have_text("权重 30 · 0–10 分，步长 0.5")
    await fill(page, {**GOOD, "technology": "11"})
    await expect(page.locator("#error-technology")).to_have_text("分数须在 0 到 10 之间。")
    await page.fill("#score-team", "8.5")  # team goes in whole points
    await expect(page.locator("#error-team")).to_have_text("分数须为 0 加上 1 的整数倍。")
    await page.screenshot(path=screenshot("02-score-invalid.png"), full_page=True)
    await page.click("#review-button")
    await expect(page).to_have_url(entry_url(world, "e-01"))  # the browser kept the form
    await expect(page.locator("#review-button")).to_be_visible()
    await page.fill("#score-technology", "8.5")
    await page.fill("#score-team", "9")
    await expect(page.locator("#error-technology")).to_be_hidden()
    await page.fill("#comment", "技术路线清晰，落地计划需细化。")
    await page.click("#review-button")
    await expect(page.locator("h1")).to_contain_text("确认提交")
    summary = page.locator("#summary")
    await expect(summary.locator("[data-criterion=technology] .after")).to_have_text("8.5")
    # 30×0.85 + 30×0.7 + 20×0.9 + 20×0.6 = 76.5
    await expect(page.locator("#total")).to_have_text("加权总分（0–100）：76.50")
    await page.screenshot(path=screenshot("03-review.png"), full_page=True)
    assert await world.sheets("j-score") == []  # nothing stored before the confirmation
    await page.click("#submit-button")
    await expect(page).to_have_url(f"{world.url}/assignments")
    await expect(page.locator(".flash")).to_contain_text("评分已提交：mRNA 疫苗递送平台项目，第 1 版，加权总分 76.50")
    card = page.locator("li.card", has_text="mRNA")
    await expect(card.locator("[data-status=submitted]")).to_contain_text("已提交 第 1 版")
    await expect(card.locator("[data-status=draft]")).to_be_hidden()
    await page.screenshot(path=screenshot("04-submitted.png"), full_page=True)
    (sheet,) = await world.sheets("j-score")
    assert sheet.entry == f"contests/{CONTEST}/entries/e-01" and sheet.version == 1
    assert {s.criterion: s.value for s in sheet.scores} == {
        "technology": 8.5,
        "industrialisation": 7,
        "team": 9,
        "landing": 6,
    }
    assert sheet.comment == "技术路线清晰，落地计划需细化。" and round(sheet.total, 2) == 76.5


async def test_the_server_checks_again_without_javascript(world: World, browser: Browser) -> None:
    context = await browser.new_context(java_script_enabled=False)
    try:
        page = await context.new_page()
        await page.goto(f"{world.url}/signin")
        await page.fill("#code", world.codes["j-nojs"])  # the no-JS fallback: paste the code
        await page.click("button[type=submit]")
        await expect(page).to_have_url(f"{world.url}/assignments")
        await page.goto(entry_url(world, "e-06"))
        await fill(page, {**GOOD, "landing": "12"})
        await page.click("#review-button")
        await expect(page.locator("#error-landing")).to_have_text("分数须在 0 到 10 之间。")
        await expect(page.locator("#form-errors")).to_contain_text("请修正下列标出的问题")
        await expect(page.locator("#score-technology")).to_have_value("8.5")  # what was typed stays
        assert await world.sheets("j-nojs") == []
        await page.fill("#score-landing", "6")
        await page.click("#review-button")
        await page.click("#submit-button")
        await expect(page.locator(".flash")).to_contain_text("第 1 版")
        assert [s.version for s in await world.sheets("j-nojs")] == [1]
    finally:
        await context.close()


async def test_a_draft_survives_a_reload_and_a_closed_tab(world: World, context: BrowserContext) -> None:
    page = await signed_in(world, context, "j-draft")
    await page.goto(entry_url(world, "e-02"))
    await page.fill("#score-technology", "6.5")
    await page.fill("#score-team", "7")
    await page.fill("#comment", "草稿评语")
    await expect(page.locator("#draft-status")).to_contain_text("草稿已保存在本设备")
    await page.reload()
    await expect(page.locator("#draft-status")).to_have_text("已恢复本设备上的草稿。")
    await expect(page.locator("#score-technology")).to_have_value("6.5")
    await expect(page.locator("#score-team")).to_have_value("7")
    await expect(page.locator("#comment")).to_have_value("草稿评语")
    await page.close()
    again = await context.new_page()  # the tab was closed; the browser profile stays
    await again.goto(f"{world.url}/assignments")
    card = again.locator("li.card", has_text="钙钛矿")
    await expect(card.locator("[data-status=draft]")).to_be_visible()
    await expect(again.locator("li.card", has_text="工业视觉").locator("[data-status=draft]")).to_be_hidden()
    await again.goto(entry_url(world, "e-02"))
    await expect(again.locator("#score-technology")).to_have_value("6.5")
    # The draft stays on the device: the service holds nothing for it.
    assert await world.sheets("j-draft") == []
    await fill(again, {"industrialisation": "7", "landing": "5"})
    await again.click("#review-button")
    await again.click("#submit-button")
    await expect(again.locator("li.card", has_text="钙钛矿").locator("[data-status=draft]")).to_be_hidden()
    stored = await again.evaluate("Object.keys(localStorage).filter(k => k.startsWith('portal-draft:'))")
    assert stored == []
    (sheet,) = await world.sheets("j-draft")
    assert {s.criterion: s.value for s in sheet.scores}["technology"] == 6.5 and sheet.comment == "草稿评语"


async def test_a_double_click_or_a_retry_stores_one_version(world: World, context: BrowserContext) -> None:
    page = await signed_in(world, context, "j-double")
    await page.goto(entry_url(world, "e-04"))
    await fill(page, GOOD)
    await page.click("#review-button")
    form = await page.evaluate("Object.fromEntries(new FormData(document.getElementById('confirm-form')))")
    await page.dblclick("#submit-button")
    await expect(page.locator(".flash")).to_contain_text("第 1 版")
    # A retry of the same confirmation (a lost response, the back button): the same request id.
    replay = await context.request.post(entry_url(world, "e-04"), form={**form, "action": "submit"}, max_redirects=0)
    assert replay.status == 303
    versions = await world.history("j-double", "e-04")
    assert [v.version for v in versions] == [1]


async def test_a_resubmission_shows_the_changes_and_needs_a_second_confirmation(
    world: World, context: BrowserContext
) -> None:
    page = await signed_in(world, context, "j-resubmit")
    await page.goto(entry_url(world, "e-04"))
    await fill(page, GOOD)
    await page.click("#review-button")
    await page.click("#submit-button")
    await page.goto(entry_url(world, "e-04"))
    await expect(page.locator("#current-version")).to_contain_text("您已提交第 1 版")
    await expect(page.locator("#score-technology")).to_have_value("8.5")
    await page.fill("#score-technology", "9.5")
    await page.click("#review-button")
    await expect(page.locator("#resubmit-notice")).to_contain_text("这将替换您已提交的第 1 版")
    changed = page.locator("#summary li.changed")
    await expect(changed).to_have_count(1)
    await expect(changed).to_contain_text("原评分 8.5")
    await expect(changed).to_contain_text("新评分 9.5")
    await page.screenshot(path=screenshot("05-resubmit.png"), full_page=True)
    await page.click("#submit-button")  # without the second confirmation: the browser refuses
    await expect(page.locator("#resubmit-notice")).to_be_visible()
    # And so does the portal, for a browser that does not check.
    form = await page.evaluate("Object.fromEntries(new FormData(document.getElementById('confirm-form')))")
    refused = await context.request.post(entry_url(world, "e-04"), form={**form, "action": "submit"}, max_redirects=0)
    assert refused.status == 422
    assert [v.version for v in await world.history("j-resubmit", "e-04")] == [1]
    await page.check("#confirm-replace")
    await page.click("#submit-button")
    await expect(page.locator(".flash")).to_contain_text("第 2 版")
    versions = await world.history("j-resubmit", "e-04")
    assert [v.version for v in versions] == [1, 2]
    assert {s.criterion: s.value for s in versions[-1].scores}["technology"] == 9.5


async def test_declaring_a_conflict_withdraws_the_assignment(world: World, context: BrowserContext) -> None:
    page = await signed_in(world, context, "j-conflict")
    card = page.locator("li.card", has_text="隐私计算平台")
    await card.get_by_role("link", name="声明利益冲突").click()
    await page.click("#conflict-button")  # no reason: the browser asks for one
    await expect(page.locator("h1")).to_contain_text("声明利益冲突")
    await page.fill("#reason", "本人曾担任该团队顾问")
    await page.screenshot(path=screenshot("06-conflict.png"), full_page=True)
    await page.click("#conflict-button")
    await expect(page).to_have_url(f"{world.url}/assignments")
    await expect(page.locator(".flash")).to_contain_text("已声明与“隐私计算平台项目”的利益冲突，该评审任务已撤回")
    await expect(page.locator("li.card", has_text="隐私计算平台")).to_have_count(0)
    await expect(page.locator("li.card")).to_have_count(1)
    assert await world.assignments("j-conflict") == ["e-06"]
    conflicts = await world.stub.ListConflicts(
        pb.ListConflictsRequest(parent=f"contests/{CONTEST}", judge="judges/j-conflict"), metadata=ADMIN
    )
    declared = [c for c in conflicts.conflicts if c.source == pb.CONFLICT_SOURCE_DECLARED_BY_JUDGE]
    assert [(c.entry, c.reason) for c in declared] == [(f"contests/{CONTEST}/entries/e-05", "本人曾担任该团队顾问")]
    # The withdrawn entry's page is closed to the judge now.
    response = await page.goto(entry_url(world, "e-05"))
    assert response is not None and response.status == 404


async def test_another_judges_entry_by_url_changes_nothing(world: World, context: BrowserContext) -> None:
    page = await signed_in(world, context, "j-other")  # assigned e-06 only
    response = await page.goto(entry_url(world, "e-01"))
    assert response is not None and response.status == 404
    await expect(page.locator("#page-error")).to_have_text("该项目不在您的评审任务中（可能已撤回或您无权查看）。")
    for bad in ("E-01", "e-99", "..%2F..%2Fadmin"):
        response = await page.goto(entry_url(world, bad))
        assert response is not None and response.status == 404
    # A forged submission for it is refused the same way.
    csrf = await page.evaluate("document.querySelector('input[name=csrf]').value")
    forged = await context.request.post(
        entry_url(world, "e-01"),
        form={
            "csrf": csrf,
            "action": "submit",
            "request_id": "portal-" + "0" * 32,
            **{f"score.{k}": v for k, v in GOOD.items()},
        },
        max_redirects=0,
    )
    assert forged.status == 404
    assert await world.sheets("j-other") == []


async def test_csrf_failure_and_an_oversized_form_change_nothing(world: World, context: BrowserContext) -> None:
    page = await signed_in(world, context, "j-bad")
    await page.goto(entry_url(world, "e-03"))
    await fill(page, GOOD)
    await page.click("#review-button")
    await page.evaluate("document.querySelector('#confirm-form input[name=csrf]').value = 'forged'")
    await page.click("#submit-button")
    await expect(page.locator("#page-error")).to_contain_text("表单已失效")
    assert await world.sheets("j-bad") == []
    await page.goto(entry_url(world, "e-03"))
    await fill(page, GOOD)
    await page.evaluate(
        "const c = document.getElementById('comment'); c.removeAttribute('maxlength'); c.value = '长'.repeat(40000)"
    )
    await page.click("#review-button")
    await expect(page.locator("#page-error")).to_contain_text("提交的内容过大，未做任何更改")
    assert await world.sheets("j-bad") == []


async def test_a_phone_screen_needs_no_horizontal_scrolling(world: World, browser: Browser) -> None:
    context = await browser.new_context(
        viewport={"width": 375, "height": 740}, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    try:
        page = await signed_in(world, context, "j-phone")
        for url in (f"{world.url}/assignments", entry_url(world, "e-04"), f"{world.url}/sheets"):
            await page.goto(url)
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= 375, f"{url}: {width} px wide"
        await page.goto(entry_url(world, "e-04"))
        await fill(page, GOOD)
        await page.screenshot(path=screenshot("07-phone.png"), full_page=True)
        await page.click("#review-button")
        assert await page.evaluate("document.documentElement.scrollWidth") <= 375
        await page.click("#submit-button")
        await expect(page.locator(".flash")).to_contain_text("第 1 版")
        assert [s.version for s in await world.sheets("j-phone")] == [1]
    finally:
        await context.close()


async def test_keyboard_only_submission(world: World, context: BrowserContext) -> None:
    page = await signed_in(world, context, "j-keys")
    keyboard = page.keyboard

    async def tab_to(selector: str, limit: int = 40) -> None:
        for _ in range(limit):
            await keyboard.press("Tab")
            if await page.evaluate(f"document.activeElement === document.querySelector({selector!r})"):
                return
        raise AssertionError(f"{selector} cannot be reached with Tab")

    await tab_to("li.card a.button")
    await keyboard.press("Enter")
    await expect(page.locator("h1")).to_contain_text("评分：")
    await tab_to("#score-technology")
    for value in ("8.5", "7", "9", "6"):
        await keyboard.type(value)
        await keyboard.press("Tab")
    await keyboard.type("键盘完成")
    await tab_to("#review-button")
    await keyboard.press("Enter")
    await expect(page.locator("h1")).to_contain_text("确认提交")
    await tab_to("#submit-button")
    await keyboard.press("Enter")
    await expect(page.locator(".flash")).to_contain_text("第 1 版")
    (sheet,) = await world.sheets("j-keys")
    assert sheet.comment == "键盘完成" and {s.criterion: s.value for s in sheet.scores}["team"] == 9


async def test_a_round_closed_meanwhile_is_said_in_plain_chinese(world: World, context: BrowserContext) -> None:
    round_name = await build_closing_round(world.stub, "j-keys")
    page = await signed_in(world, context, "j-keys")
    await page.goto(entry_url(world, "c-01", contest="portal-closing", round_id="only"))
    await fill(page, GOOD)
    await page.click("#review-button")
    await world.stub.CloseRound(
        pb.CloseRoundRequest(name=round_name, force=True, reason="测试：提前截止"), metadata=ADMIN
    )
    await page.click("#submit-button")
    await expect(page.locator("#form-errors")).to_have_text("本轮评审已截止，不再接受评分。")
    assert "FAILED_PRECONDITION" not in await page.content()
    assert await world.sheets("j-keys", round_name) == []


async def test_own_sheets_only_and_progress(world: World, context: BrowserContext) -> None:
    # Another judge's sheet on the same entry stays invisible.
    page = await signed_in(world, context, "j-sheets")
    await page.goto(entry_url(world, "e-02"))
    await fill(page, GOOD)
    await page.click("#review-button")
    await page.click("#submit-button")
    await page.goto(f"{world.url}/sheets")
    await expect(page.locator("h1")).to_have_text("我的评分表")
    sheets = page.locator("li.sheet")
    await expect(sheets).to_have_count(1)
    await expect(sheets).to_contain_text("钙钛矿叠层电池项目")
    await expect(sheets).to_contain_text("总分 76.50")
    await expect(page.locator("[data-testid=progress]").first).to_contain_text("已提交 1 / 2 项")
    text = await page.content()
    assert "j-draft" not in text and "j-keys" not in text
