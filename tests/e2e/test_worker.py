"""`dahar-ngopi worker` beside `run`: the missed morning menu goes out once, from the outbox."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from bot.app import run_worker
from bot.runtime import build_runtime
from core.clock import FixedClock
from tests.e2e.conftest import TelegramBot

USER = 5001


@pytest.fixture
def clock() -> FixedClock:
    """Sunday evening: people register before Monday's menu."""
    return FixedClock(datetime(2026, 11, 22, 13, 0, tzinfo=UTC))


async def test_worker_catches_up_the_morning_menu_once(telegram_bot: TelegramBot) -> None:
    bot, tg = telegram_bot, telegram_bot.tg
    await bot.register(USER)
    # 07:10 WIB on Monday: the 06:30 menu was missed while nothing ran, within CATCHUP_HOURS.
    clock = bot.rt.clock
    clock.set(datetime(2026, 11, 23, 0, 10, tzinfo=UTC))  # type: ignore[attr-defined]
    worker_rt = await build_runtime(bot.rt.settings, clock, migrate=False)
    stop = asyncio.Event()
    task = asyncio.create_task(run_worker(worker_rt, stop=stop))
    try:
        menu = await tg.wait_for(
            lambda c: c.method == "sendMessage" and c.chat_id == USER
            and "Forum ASN Berbagi Ilmu" in (c.text or "") and "pagi" in (c.text or "").lower(),
            timeout=15,
        )
        assert "Senin, 23 November 2026" in (menu.text or "")
        await asyncio.sleep(0.5)  # let both dispatchers look for more work
        menus = [c for c in tg.messages_to(USER) if "Selamat pagi" in (c.text or "")]
        assert len(menus) == 1
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)
        await worker_rt.close()
