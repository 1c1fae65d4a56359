"""The bot as `dahar-ngopi run` starts it, with WhatsApp pointed at the fake Cloud API."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from typing import Any

from bot.http_server import HttpServer
from bot.runtime import Runtime
from bot.settings import Settings
from bot.whatsapp.channel import WhatsAppChannel
from core.clock import Clock
from tests.auxil.running import running
from tests.fakes.whatsapp_server import FakeWhatsApp, SentMessage
from tests.fakes.whatsapp_webhook import (
    Signature,
    button_reply_body,
    list_reply_body,
    post_signed,
    text_body,
)

VERIFY_TOKEN = "verify-me-please"


def whatsapp_env(wa: FakeWhatsApp, **extra: str) -> dict[str, str]:
    """The settings that turn WhatsApp on against the fake, on a free local port."""
    return {
        "WHATSAPP_ACCESS_TOKEN": wa.token,
        "WHATSAPP_PHONE_NUMBER_ID": wa.phone_number_id,
        "WHATSAPP_APP_SECRET": wa.app_secret,
        "WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN,
        "WHATSAPP_API_URL": wa.api_url,
        "HTTP_HOST": "127.0.0.1",
        "HTTP_PORT": "0",
        **extra,
    }


class WhatsAppBot:
    """Talk to the running bot as WhatsApp people (through signed webhooks)."""

    def __init__(self, rt: Runtime, wa: FakeWhatsApp) -> None:
        self.rt = rt
        self.wa = wa

    @property
    def channel(self) -> WhatsAppChannel:
        assert self.rt.whatsapp is not None
        return self.rt.whatsapp

    @property
    def base_url(self) -> str:
        server: HttpServer = self.rt.extras["http_server"]
        return server.url

    @property
    def webhook_url(self) -> str:
        return self.base_url + "/whatsapp/webhook"

    async def post(
        self, body: Mapping[str, Any] | bytes, *, signature: Signature = "good"
    ) -> tuple[int, str]:
        """POST a webhook body as Meta would; return (status, text)."""
        return await post_signed(self.webhook_url, body, self.wa.app_secret, signature=signature)

    async def settle(self) -> None:
        """Wait until every stored message was processed and answered."""
        await self.channel.inbox.wait_idle()

    async def send(self, wa_id: str, body: Mapping[str, Any]) -> list[SentMessage]:
        """Post `body`, wait for the bot, return what it sent to `wa_id` meanwhile."""
        before = len(self.wa.messages_to(wa_id))
        status, _ = await self.post(body)
        assert status == 200
        await self.settle()
        return self.wa.messages_to(wa_id)[before:]

    async def say(self, wa_id: str, text: str, **kw: Any) -> list[SentMessage]:
        """A person types `text`."""
        return await self.send(wa_id, text_body(wa_id, text, **kw))

    async def press(self, wa_id: str, choice: tuple[str, str]) -> list[SentMessage]:
        """A person presses a reply button (id, title)."""
        return await self.send(wa_id, button_reply_body(wa_id, choice[0], choice[1]))

    async def pick(self, wa_id: str, choice: tuple[str, str]) -> list[SentMessage]:
        """A person picks a row (id, title) of a list message."""
        return await self.send(wa_id, list_reply_body(wa_id, choice[0], choice[1]))

    async def register(self, wa_id: str, name: str = "Dra. Siti Aminah",
                       nip: str = "198507142010012003") -> None:
        """Registration on WhatsApp, as a person does it (Kab. Sidoarjo, WIB)."""
        intro = await self.say(wa_id, "mulai")
        await self.press(wa_id, choice(intro, "Saya setuju"))
        await self.say(wa_id, name)
        await self.say(wa_id, nip)
        await self.say(wa_id, "Dinas Pendidikan Kab. Sidoarjo")
        regions = await self.say(wa_id, "sidoarjo")
        zones = await self.press(wa_id, choice(regions, "Sidoarjo"))
        done = await self.press(wa_id, choice(zones, "WIB (disarankan)"))
        assert "Pendaftaran selesai" in texts(done)


@contextlib.asynccontextmanager
async def running_bot(
    settings: Settings, clock: Clock, wa: FakeWhatsApp
) -> AsyncIterator[WhatsAppBot]:
    """Run `run_channels` (the HTTP server on a real socket) until the block ends."""
    async with running(settings, clock) as rt:
        assert "http_server" in rt.extras, "the HTTP server did not start"
        assert "background" in rt.extras, "the scheduler and the outbox did not start"
        yield WhatsAppBot(rt, wa)


def texts(sent: list[SentMessage]) -> str:
    """Everything visible in `sent`, one message per paragraph."""
    return "\n\n".join(s.body for s in sent)


def choices(sent: list[SentMessage]) -> list[tuple[str, str]]:
    """Every button or list row offered in `sent`."""
    return [c for s in sent for c in s.choices]


def choice(sent: list[SentMessage], title_part: str) -> tuple[str, str]:
    """The offered choice whose title contains `title_part`."""
    found = [c for c in choices(sent) if title_part in c[1]]
    assert found, f"no choice with {title_part!r} in {choices(sent)}"
    return found[0]
