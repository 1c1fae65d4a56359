"""The composed scheduler and dispatcher: started as `run`/`worker` start them."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, date, datetime, time

from bot.background import build_background
from bot.outbox_worker import WorkerConfig
from bot.runtime import core_config
from bot.settings import Settings
from core.clock import FixedClock
from db.engine import Sessions
from tests.auxil.outbox import RecordingSender, add_people, add_session, status_counts

MONDAY_0630_WIB = datetime(2026, 11, 22, 23, 30, tzinfo=UTC)


async def test_start_catches_up_and_delivers(
    sessions: Sessions, make_settings: Callable[..., Settings]
) -> None:
    await add_people(sessions, 3, first_chat=100)
    await add_session(sessions, date(2026, 11, 23), time(9, 0))
    settings = make_settings({"MORNING_TIME": "06:30", "TELEGRAM_RATE": "100"})
    sender = RecordingSender()
    bg = build_background(core_config(settings), sessions, FixedClock(MONDAY_0630_WIB), [sender],
                          worker_config=WorkerConfig(poll_interval=0.05))
    await bg.start()
    try:
        for _ in range(100):
            if len(sender.sent) == 3:
                break
            await asyncio.sleep(0.05)
    finally:
        await bg.stop()
    assert sorted(sender.chats()) == ["100", "101", "102"]
    assert all("Selamat pagi" in r.text for _, r in sender.sent)
    assert await status_counts(sessions) == {"sent": 3}
    assert not bg.scheduler.running
