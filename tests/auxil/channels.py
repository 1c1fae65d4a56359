"""The built-in channels' descriptions, for tests that call the core without a runtime."""

from __future__ import annotations

from collections.abc import Mapping

from bot.runtime import ADAPTERS
from bot.settings import load_settings
from core.channels import Channels

__all__ = ["CHANNELS", "channels_for"]


def channels_for(env: Mapping[str, str] | None = None) -> Channels:
    """Every built-in channel described from these settings."""
    settings = load_settings(dict(env or {}), env_file=None)
    return Channels(a.describe(settings) for a in ADAPTERS)


# Telegram, WhatsApp and the terminal, as described with no settings at all.
CHANNELS = channels_for()
