"""Fixtures for end-to-end tests: the fake WhatsApp Cloud API and the running bot."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from bot.clock import FixedClock
from bot.settings import Settings
from tests.e2e.whatsapp_bot import WhatsAppBot, running_bot, whatsapp_env
from tests.fakes.whatsapp_server import FakeWhatsApp


@pytest.fixture
async def wa() -> AsyncIterator[FakeWhatsApp]:
    """The fake Cloud API on 127.0.0.1."""
    async with FakeWhatsApp() as fake:
        yield fake


@pytest.fixture
def wa_settings(make_settings: Callable[..., Settings], wa: FakeWhatsApp) -> Settings:
    """Settings with WhatsApp on, pointed at the fake."""
    return make_settings(whatsapp_env(wa))


@pytest.fixture
async def bot(wa_settings: Settings, clock: FixedClock, wa: FakeWhatsApp) -> AsyncIterator[
    WhatsAppBot
]:
    """The bot running with its HTTP server on a free port."""
    async with running_bot(wa_settings, clock, wa) as running:
        yield running
