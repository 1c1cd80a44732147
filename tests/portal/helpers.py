"""Shortcuts for driving the portal in the browser."""

from __future__ import annotations

from playwright.async_api import BrowserContext, Page, expect

from tests.portal.world import CONTEST, World

GOOD = {"technology": "8.5", "industrialisation": "7", "team": "9", "landing": "6"}


async def signed_in(world: World, context: BrowserContext, judge: str) -> Page:
    page = await context.new_page()
    await page.goto(world.link(judge))
    await expect(page).to_have_url(f"{world.url}/assignments")
    return page


def entry_url(world: World, entry: str, contest: str = CONTEST, round_id: str = "preliminary") -> str:
    return f"{world.url}/r/{contest}/{round_id}/e/{entry}"


async def fill(page: Page, values: dict[str, str]) -> None:
    for key, value in values.items():
        await page.fill(f"#score-{key}", value)
