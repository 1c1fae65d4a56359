"""Fixtures for the konsol's route tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from bot.settings import Settings
from core.clock import FixedClock
from tests.bot.web.konsol_client import KonsolClient, konsol_client


@pytest.fixture
def konsol(make_settings: Callable[..., Settings], clock: FixedClock) -> Iterator[KonsolClient]:
    """The konsol with the owner (telegram:9001) not yet signed in; Telegram configured
    (never started), so announcements have a channel to go to."""
    yield from konsol_client(make_settings({"TELEGRAM_BOT_TOKEN": "123456:TEST-TOKEN"}), clock)
