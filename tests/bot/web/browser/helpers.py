"""What the browser tests share: where the konsol listens, a signed-in page, layout checks."""

from __future__ import annotations

import re

from playwright.async_api import Browser, BrowserContext, Page

from bot.http_server import HttpServer
from bot.runtime import Runtime
from db.konsol import create_link

LINK = re.compile(r'href="(http://127\.0\.0\.1:\d+/konsol/masuk/[A-Za-z0-9_-]+)"')


def konsol_url(rt: Runtime) -> str:
    """The konsol on the running bot's internal listener."""
    server: HttpServer = rt.extras["admin_server"]  # type: ignore[assignment]
    return server.url + "/konsol"


async def link_for(rt: Runtime, admin: str) -> str:
    """A login link as `dahar-ngopi konsol link --admin` makes one."""
    channel, ident = admin.split(":", 1)
    async with rt.sessions() as db, db.begin():
        token = await create_link(db, channel, ident, by="test", now=rt.clock.now())
    return f"{konsol_url(rt)}/masuk/{token}"


async def sign_in(browser: Browser, link: str, viewport: dict[str, int]) -> tuple[
    BrowserContext, Page
]:
    """Open a login link in a fresh browser and press Masuk; return the context and page."""
    context = await browser.new_context(viewport=viewport, locale="id-ID",  # type: ignore[arg-type]
                                        accept_downloads=True)
    page = await context.new_page()
    await page.goto(link)
    await page.click("#masuk")
    await page.wait_for_url(re.compile(r"/konsol/$"))
    return context, page


async def horizontal_overflow(page: Page) -> int:
    """Pixels the page is wider than the window (0: no sideways scrolling)."""
    return int(await page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"))


async def in_view(page: Page, selector: str) -> bool:
    """Whether the element is visible inside the window without scrolling."""
    box = await page.locator(selector).first.bounding_box()
    size = page.viewport_size
    if box is None or size is None:
        return False
    return (box["y"] >= 0 and box["y"] + box["height"] <= size["height"]
            and box["x"] >= 0 and box["x"] + box["width"] <= size["width"])


async def reachable(page: Page, selector: str) -> bool:
    """Whether the element is shown and, scrolled to, fits inside the window (the page is
    scrolled back to the top after)."""
    target = page.locator(selector).first
    if not await target.count() or not await target.is_visible():
        return False
    await target.scroll_into_view_if_needed()
    try:
        return await in_view(page, selector)
    finally:
        await page.evaluate("() => window.scrollTo(0, 0)")
