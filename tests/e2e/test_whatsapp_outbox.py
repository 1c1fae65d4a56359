"""Scheduled messages on WhatsApp: the 24-hour window, and status webhooks on outbox rows."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.settings import Settings
from bot.whatsapp.templates import template_spec
from core.clock import FixedClock
from core.outbox import enqueue
from core.types import Reply
from db.models import OutboxMessage, Person
from db.people import get_or_create_identity
from tests.e2e.whatsapp_bot import WhatsAppBot, running_bot
from tests.fakes.whatsapp_server import FakeWhatsApp

INSIDE = "6281111111111"
OUTSIDE = "6282222222222"
MENU_TEMPLATE = template_spec(
    "menu", ["Senin, 23 November 2026", "Forum ASN Berbagi Ilmu", "Layanan Adminduk", "13.00 WIB"]
)


@pytest.fixture
async def bot(
    wa_settings: Settings, clock: FixedClock, wa: FakeWhatsApp
) -> AsyncIterator[WhatsAppBot]:
    """The running bot, with a short pair interval: the clock of these tests stands still,
    and a message paced for later would never become due."""
    settings = wa_settings.model_copy(update={"whatsapp_pair_interval": 0.5})
    async with running_bot(settings, clock, wa) as running:
        yield running


async def _person(bot: WhatsAppBot, wa_id: str, wrote_ago: timedelta | None) -> int:
    now = bot.rt.clock.now()
    async with bot.rt.sessions() as s, s.begin():
        ident, person = await get_or_create_identity(s, "whatsapp", wa_id, wa_id, now)
        person.registered_at = now
        ident.last_inbound_at = now - wrote_ago if wrote_ago is not None else None
        return person.id


async def _menu(bot: WhatsAppBot, person_id: int, wa_id: str, key: str) -> None:
    async with bot.rt.sessions() as s, s.begin():
        await enqueue(
            s, key=key, person_id=person_id, channel="whatsapp", chat_id=wa_id, kind="menu",
            reply=Reply("☕ <b>Selamat pagi, Bapak/Ibu!</b> Menu hari ini: Forum ASN Berbagi "
                        "Ilmu"),
            now=bot.rt.clock.now(), template=MENU_TEMPLATE,
        )


async def _deliver(bot: WhatsAppBot) -> None:
    """Wait until the running bot's outbox dispatcher has delivered everything due."""
    for _ in range(500):
        async with bot.rt.sessions() as s:
            open_rows = await s.scalar(select(func.count()).select_from(OutboxMessage).where(
                OutboxMessage.status.in_(("pending", "sending")),
                OutboxMessage.not_before <= bot.rt.clock.now()))
        if not open_rows:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the outbox was not delivered")


async def _rows(bot: WhatsAppBot) -> dict[str, OutboxMessage]:
    async with bot.rt.sessions() as s:
        return {r.idem_key: r for r in (await s.execute(select(OutboxMessage))).scalars()}


async def test_a_nudge_inside_the_window_is_free_form_outside_a_template(
    bot: WhatsAppBot, wa: FakeWhatsApp
) -> None:
    inside = await _person(bot, INSIDE, timedelta(hours=3))
    outside = await _person(bot, OUTSIDE, timedelta(hours=30))
    await _menu(bot, inside, INSIDE, "menu:inside")
    await _menu(bot, outside, OUTSIDE, "menu:outside")
    await _deliver(bot)
    [free] = wa.messages_to(INSIDE)
    assert free.type == "text" and "*Selamat pagi, Bapak/Ibu!*" in free.body
    [template] = wa.messages_to(OUTSIDE)
    assert template.type == "template"
    assert template.payload["template"]["name"] == "dahar_ngopi_menu"
    assert template.body == ("Senin, 23 November 2026 | Forum ASN Berbagi Ilmu | "
                             "Layanan Adminduk | 13.00 WIB")
    rows = await _rows(bot)
    assert rows["menu:inside"].platform_message_id == free.wamid
    assert rows["menu:outside"].platform_message_id == template.wamid
    assert {r.status for r in rows.values()} == {"sent"}


async def test_status_webhooks_record_delivery_and_reading(
    bot: WhatsAppBot, wa: FakeWhatsApp
) -> None:
    pid = await _person(bot, INSIDE, timedelta(hours=1))
    await _menu(bot, pid, INSIDE, "menu:1")
    await _deliver(bot)
    [sent] = wa.messages_to(INSIDE)
    at = bot.rt.clock.now() + timedelta(seconds=5)
    # Out of order and repeated, as Meta may send them.
    assert await wa.post_status(bot.webhook_url, sent.wamid, "read", at=at + timedelta(1)) == 200
    assert await wa.post_status(bot.webhook_url, sent.wamid, "delivered", at=at) == 200
    assert await wa.post_status(bot.webhook_url, sent.wamid, "delivered", at=at) == 200
    row = (await _rows(bot))["menu:1"]
    assert row.status == "sent"
    assert row.delivered_at == at + timedelta(1)  # the read implied delivery first
    assert row.read_at == at + timedelta(1)


async def test_failed_outside_the_window_falls_back_to_the_template_once(
    bot: WhatsAppBot, wa: FakeWhatsApp
) -> None:
    pid = await _person(bot, INSIDE, timedelta(hours=1))
    await _menu(bot, pid, INSIDE, "menu:1")
    await _deliver(bot)
    [free] = wa.messages_to(INSIDE)
    for _ in range(2):  # a re-delivered status webhook does not queue a second template
        assert await wa.post_status(bot.webhook_url, free.wamid, "failed", 131047) == 200
    rows = await _rows(bot)
    assert rows["menu:1"].status == "failed"
    assert "131047" in (rows["menu:1"].last_error or "")
    fallback_key = f"wa-template:{rows['menu:1'].id}"
    assert fallback_key in rows
    await _deliver(bot)
    assert [m.type for m in wa.messages_to(INSIDE)] == ["text", "template"]
    assert (await _rows(bot))[fallback_key].status == "sent"
    # The template itself failing does not start a loop.
    template = wa.messages_to(INSIDE)[1]
    assert await wa.post_status(bot.webhook_url, template.wamid, "failed", 131047) == 200
    assert len(await _rows(bot)) == 2


async def test_undeliverable_marks_the_person_and_stops_their_messages(
    bot: WhatsAppBot, wa: FakeWhatsApp, clock: object
) -> None:
    pid = await _person(bot, INSIDE, timedelta(hours=1))
    await _menu(bot, pid, INSIDE, "menu:1")
    await _deliver(bot)
    [sent] = wa.messages_to(INSIDE)
    async with bot.rt.sessions() as s, s.begin():  # tomorrow's menu is already queued
        await enqueue(s, key="menu:2", person_id=pid, channel="whatsapp", chat_id=INSIDE,
                      kind="menu", reply=Reply("besok"),
                      now=bot.rt.clock.now(), not_before=bot.rt.clock.now() + timedelta(days=1))
    assert await wa.post_status(bot.webhook_url, sent.wamid, "failed", 131026) == 200
    rows = await _rows(bot)
    assert rows["menu:1"].status == "failed"
    assert (rows["menu:2"].status, rows["menu:2"].last_error) == ("skipped",
                                                                  "recipient unreachable")
    async with bot.rt.sessions() as s:
        assert (await s.get(Person, pid)).reachable is False  # type: ignore[union-attr]
    # Writing to the bot again proves the number can receive.
    await bot.say(INSIDE, "menu")
    async with bot.rt.sessions() as s:
        assert (await s.get(Person, pid)).reachable is True  # type: ignore[union-attr]


async def test_throughput_failures_after_sending_are_sent_again_later(
    bot: WhatsAppBot, wa: FakeWhatsApp
) -> None:
    pid = await _person(bot, INSIDE, timedelta(hours=1))
    await _menu(bot, pid, INSIDE, "menu:1")
    await _deliver(bot)
    [sent] = wa.messages_to(INSIDE)
    assert await wa.post_status(bot.webhook_url, sent.wamid, "failed", 131056) == 200
    row = (await _rows(bot))["menu:1"]
    # Sent again after the pair interval (WHATSAPP_PAIR_INTERVAL, 0.5 s here).
    assert row.status == "pending"
    assert row.not_before == bot.rt.clock.now() + timedelta(seconds=0.5)
    bot.rt.clock.advance(timedelta(seconds=1))  # type: ignore[attr-defined]
    await wa.wait_for(lambda m: m.to == INSIDE, count=2)
    await _deliver(bot)
    assert len(wa.messages_to(INSIDE)) == 2
    assert (await _rows(bot))["menu:1"].status == "sent"


async def test_a_pair_rate_limit_holds_back_that_person_only(
    bot: WhatsAppBot, wa: FakeWhatsApp
) -> None:
    a = await _person(bot, INSIDE, timedelta(hours=1))
    b = await _person(bot, OUTSIDE, timedelta(hours=1))
    wa.fail_next(131056, to=INSIDE, retry_after=30)
    await _menu(bot, a, INSIDE, "menu:a")
    for _ in range(250):
        row = (await _rows(bot))["menu:a"]
        if "chat rate limited" in (row.last_error or ""):
            break
        await asyncio.sleep(0.02)
    assert row.status == "pending"
    assert row.not_before == bot.rt.clock.now() + timedelta(seconds=30)
    # Someone else's message goes at once: a paused channel would hold it for 30 s.
    await _menu(bot, b, OUTSIDE, "menu:b")
    await wa.wait_for(lambda m: m.to == OUTSIDE, within=5)
    assert wa.messages_to(INSIDE) == []
