"""A real browser for the konsol: Debian's chromium driven by Playwright (no download: the
system's /usr/bin/chromium, installed by .ci/run with apt-get)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright

CHROMIUM = Path("/usr/bin/chromium")
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 800}

pytestmark = pytest.mark.browser


def _args() -> list[str]:
    args = ["--disable-gpu", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
    if os.geteuid() == 0:
        args.append("--no-sandbox")  # chromium refuses to run as root inside its sandbox
    return args


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """Chromium, headless; missing chromium skips here and fails in CI (CI must run these)."""
    if not os.path.exists(CHROMIUM):  # noqa: ASYNC240  (one stat, before any loop work)
        if os.environ.get("CI"):
            pytest.fail("/usr/bin/chromium is missing: .ci/run must apt-get install chromium")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    async with async_playwright() as pw:
        launched = await pw.chromium.launch(executable_path=str(CHROMIUM), args=_args())
        try:
            yield launched
        finally:
            await launched.close()


# The bot as `dahar-ngopi run` starts it, against the fake Bot API (shared with tests/e2e).
from tests.e2e.conftest import telegram_bot  # noqa: E402

__all__ = ["browser", "telegram_bot"]
