"""`dahar-ngopi run` with Telegram's getUpdates failing: the owner is told in chat once the
polling loop has failed for ALERT_RECEIVE_MINUTES, and told again once it works."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import pytest

from bot.alerts import Alerts
from bot.settings import Settings
from bot.telegram.channel import TelegramChannel
from core.clock import FixedClock
from tests.auxil.running import running
from tests.conftest import OWNER_ID
from tests.fakes.telegram_server import FakeTelegram


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


async def test_polling_errors_alert_the_owner_and_its_recovery_is_said(
    make_settings: Callable[..., Settings], clock: FixedClock, tg: FakeTelegram
) -> None:
    # Three refused polls (the loop waits 1 s, 2 s, then 4 s between them), then it works.
    tg.fail_next("getUpdates", code=502, description="Bad Gateway", times=3)
    settings = make_settings({"TELEGRAM_BOT_TOKEN": tg.token, "TELEGRAM_API_URL": tg.url,
                              "ALERT_CHECK_SECONDS": "0.1", "ALERT_RECEIVE_MINUTES": "2"})
    async with running(settings, clock) as rt:
        channel = rt.channels["telegram"]
        assert isinstance(channel, TelegramChannel)
        for _ in range(100):
            if channel.health.failures >= 3:
                break
            await asyncio.sleep(0.05)
        assert channel.health.failures == 3
        await asyncio.sleep(0.3)
        assert tg.messages_to(OWNER_ID) == []  # failing, but not for 2 minutes yet
        clock.advance(timedelta(minutes=3))
        alert = await tg.next_message(OWNER_ID, timeout=3)  # before the fourth poll
        assert channel.health.failures == 3
        assert "Penerimaan pesan Telegram bermasalah" in (alert.text or "")
        assert "3 kali" in (alert.text or "") and "Bad Gateway" in (alert.text or "")
        assert tg.token not in (alert.text or "")
        # A long poll returns once something arrives: a person writes, the loop works again.
        tg.user_message(4242, "/menu")
        await tg.next_message(4242, timeout=10)
        back = await tg.next_message(OWNER_ID, timeout=5)
        assert "Penerimaan pesan Telegram sudah normal kembali" in (back.text or "")
        alerts = rt.extras["alerts"]
        assert isinstance(alerts, Alerts)
        assert alerts.sent == ["receive:telegram"]
        assert alerts.resolved == ["receive:telegram"]
    assert len(tg.messages_to(OWNER_ID)) == 2
