"""Pacing per channel comes from the settings; paid broadcast lifts Telegram's overall limit."""

from __future__ import annotations

from bot.settings import load_settings
from bot.telegram.channel import describe


def test_free_tier_limits() -> None:
    settings = load_settings({})
    assert describe(settings).rate == 30.0 and settings.telegram_chat_rate == 1.0


def test_paid_broadcast_lifts_the_overall_rate_not_the_per_chat_one() -> None:
    settings = load_settings({"TELEGRAM_PAID_BROADCAST": "true"})
    assert describe(settings).rate == 1000.0 and settings.telegram_chat_rate == 1.0
