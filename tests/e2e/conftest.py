"""End-to-end fixtures: the bot started as `dahar-ngopi run` does, against the fake Bot API
and the fake WhatsApp Cloud API."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import pytest

from bot.runtime import Runtime
from bot.settings import Settings
from core.clock import FixedClock
from tests.auxil.running import running
from tests.e2e.whatsapp_bot import WhatsAppBot, running_bot, whatsapp_env
from tests.fakes.telegram_server import FakeTelegram, SentCall
from tests.fakes.whatsapp_server import FakeWhatsApp


@dataclass
class TelegramBot:
    """A running bot and the fake Telegram it talks to, with person-like helpers."""

    tg: FakeTelegram
    rt: Runtime

    async def say(self, user: int, text: str, **kw: object) -> SentCall:
        """Type `text` as `user` and wait for the bot's next message to them."""
        self.tg.user_message(user, text, **kw)  # type: ignore[arg-type]
        return await self.tg.next_message(user)

    async def press(self, user: int, message: SentCall, button: str) -> SentCall:
        """Press the button labelled `button` and wait for the answer to the press."""
        before = len(self.tg.callback_answers)
        self.tg.press(user, message, button=button)
        await self.tg.wait_until(lambda: len(self.tg.callback_answers) > before)
        return self.tg.callback_answers[-1]

    async def register(self, user: int, name: str = "Budi Santoso",
                       nip: str = "198507142010011003") -> SentCall:
        """Walk the whole registration as a person would; return the final message."""
        intro = await self.say(user, "/mulai")
        await self.press(user, intro, "✅ Saya setuju")
        await self.tg.next_message(user)  # thanks (edited) / name question
        await self.say(user, name)
        await self.say(user, nip)
        await self.say(user, "Dinas Pendidikan Kab. Sidoarjo")
        choices = await self.say(user, "sidoarjo")
        await self.press(user, choices, "Kab. Sidoarjo (Jawa Timur)")
        tz_question = await self.tg.next_message(user)
        await self.press(user, tz_question, "✅ WIB (disarankan)")
        return await self.tg.next_message(user)


@pytest.fixture
async def telegram_bot(
    make_settings: Callable[..., Settings], clock: FixedClock
) -> AsyncIterator[TelegramBot]:
    """Start the bot with `run_channels` against a fake Bot API server; stop it after."""
    async with FakeTelegram() as tg:
        settings = make_settings({"TELEGRAM_BOT_TOKEN": tg.token, "TELEGRAM_API_URL": tg.url})
        async with running(settings, clock) as rt:
            yield TelegramBot(tg, rt)


@pytest.fixture
async def wa() -> AsyncIterator[FakeWhatsApp]:
    """The fake WhatsApp Cloud API on 127.0.0.1."""
    async with FakeWhatsApp() as fake:
        yield fake


WA_ADMIN = "6281100000001"  # an owner on WhatsApp (`wa_bot`)


@pytest.fixture
async def wa_bot(
    make_settings: Callable[..., Settings], clock: FixedClock, wa: FakeWhatsApp
) -> AsyncIterator[WhatsAppBot]:
    """The bot as `run` starts it (outbox worker included), with an owner on WhatsApp."""
    settings = make_settings(whatsapp_env(wa, ADMIN_WHATSAPP_NUMBERS=WA_ADMIN))
    async with running_bot(settings, clock, wa) as bot:
        yield bot


@pytest.fixture
def wa_settings(make_settings: Callable[..., Settings], wa: FakeWhatsApp) -> Settings:
    """Settings with WhatsApp on, pointed at the fake."""
    return make_settings(whatsapp_env(wa))


@pytest.fixture
async def bot(wa_settings: Settings, clock: FixedClock, wa: FakeWhatsApp) -> AsyncIterator[
    WhatsAppBot
]:
    """The bot running with its HTTP server (WhatsApp webhook) on a free port."""
    async with running_bot(wa_settings, clock, wa) as running:
        yield running
