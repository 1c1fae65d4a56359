"""Pacing per channel comes from the settings; paid broadcast lifts Telegram's overall limit."""

from __future__ import annotations

from bot.background import channel_limits
from bot.settings import load_settings


def test_free_tier_limits() -> None:
    limits = channel_limits(load_settings({}))["telegram"]
    assert limits.rate == 30.0 and limits.chat_rate == 1.0


def test_paid_broadcast_lifts_the_overall_rate_not_the_per_chat_one() -> None:
    limits = channel_limits(load_settings({"TELEGRAM_PAID_BROADCAST": "true"}))["telegram"]
    assert limits.rate == 1000.0 and limits.chat_rate == 1.0
