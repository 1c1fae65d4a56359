"""Telegram by webhook and WhatsApp on one HTTP server; one person across both channels."""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import AsyncIterator, Callable

import aiohttp
import pytest
from sqlalchemy import select

from bot.settings import Settings
from core.clock import FixedClock
from db.models import Identity, Person
from tests.auxil.running import running
from tests.e2e.conftest import TelegramBot
from tests.e2e.whatsapp_bot import WhatsAppBot, texts, whatsapp_env
from tests.fakes.telegram_server import FakeTelegram
from tests.fakes.whatsapp_server import FakeWhatsApp

SECRET = "tg-webhook-secret_1"
WA_ID = "6281234567890"
TG_USER = 4242


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def both(
    make_settings: Callable[..., Settings], clock: FixedClock, wa: FakeWhatsApp
) -> AsyncIterator[tuple[TelegramBot, WhatsAppBot]]:
    port = _free_port()  # Telegram must be told the URL before the first update
    async with FakeTelegram() as tg:
        settings = make_settings({
            **whatsapp_env(wa, HTTP_PORT=str(port)),
            "TELEGRAM_BOT_TOKEN": tg.token,
            "TELEGRAM_API_URL": tg.url,
            "TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram/webhook",
            "TELEGRAM_WEBHOOK_SECRET": SECRET,
        })
        async with running(settings, clock) as rt:
            await tg.wait_for("setWebhook", timeout=10)
            yield TelegramBot(tg, rt), WhatsAppBot(rt, wa)


async def test_telegram_updates_arrive_by_webhook_with_the_secret(
    both: tuple[TelegramBot, WhatsAppBot],
) -> None:
    telegram, whatsapp = both
    tg = telegram.tg
    assert tg.webhook["secret_token"] == SECRET
    assert tg.webhook["url"].endswith("/telegram/webhook")
    assert tg.calls_of("getUpdates") == []  # no polling in webhook mode
    intro = await telegram.say(TG_USER, "/mulai")
    assert "UU No. 27 Tahun 2022" in (intro.text or "")
    assert all(status == 200 for _, status in tg.webhook_deliveries)

    forged = {"update_id": 999, "message": {
        "message_id": 1, "date": 1764000000, "text": "/menu",
        "chat": {"id": TG_USER, "type": "private"},
        "from": {"id": TG_USER, "is_bot": False, "first_name": "Eve"}}}
    async with aiohttp.ClientSession() as http:
        for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "guess"}):
            async with http.post(whatsapp.base_url + "/telegram/webhook", json=forged,
                                 headers=headers) as resp:
                assert resp.status == 403
        async with http.get(whatsapp.base_url + "/healthz") as resp:
            assert sorted((await resp.json())["webhooks"]) == ["telegram", "whatsapp"]
    await asyncio.sleep(0.1)
    assert len(tg.messages_to(TG_USER)) == 1  # the forged /menu was not answered


async def test_a_telegram_member_links_whatsapp_over_both_real_channels(
    both: tuple[TelegramBot, WhatsAppBot],
) -> None:
    telegram, whatsapp = both
    done = await telegram.register(TG_USER, name="Siti Rahayu")
    assert "Pendaftaran selesai" in (done.text or "")
    shown = await telegram.say(TG_USER, "/hubungkan")
    code = re.search(r"hubungkan (\d{6})", shown.text or "")
    assert code is not None
    linked = texts(await whatsapp.say(WA_ID, f"hubungkan {code.group(1)}"))
    assert "kini terhubung" in linked
    profile = texts(await whatsapp.say(WA_ID, "profil"))
    assert "Siti Rahayu" in profile
    async with whatsapp.rt.sessions() as s:
        people = list((await s.execute(select(Person))).scalars())
        owners = {i.channel: i.person_id for i in (await s.execute(select(Identity))).scalars()}
    assert len(people) == 1 and owners == {"telegram": people[0].id, "whatsapp": people[0].id}
    # Back on Telegram, it is the same record.
    again = await telegram.say(TG_USER, "/profil")
    assert "Siti Rahayu" in (again.text or "") and "Saluran utama: Telegram" in (again.text or "")
