"""The /umumkan conversation against the core dispatcher, delivered by the outbox."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from sqlalchemy import select

from bot.announcer import Announcer
from bot.clock import FixedClock
from bot.dispatcher import ChannelLimits, DispatcherConfig, OutboxDispatcher
from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from db.models import Announcement
from tests.auxil.chat import Chat
from tests.auxil.outbox import RecordingSender, add_people, rows
from tests.conftest import OWNER_ID

TOKEN = {"TELEGRAM_BOT_TOKEN": "123:abc"}


@pytest.fixture
async def rt(make_settings: Callable[..., Settings], clock: FixedClock) -> AsyncIterator[Runtime]:
    rt = await build_runtime(make_settings(TOKEN), clock, migrate=False)
    yield rt
    await rt.close()


def announcer(rt: Runtime) -> Announcer:
    return Announcer(rt.sessions, rt.clock, rt.settings, rt.deps.regions, rt.deps.signer,
                     rates={"telegram": 30.0}, interval=0)


async def deliver(rt: Runtime, sender: RecordingSender) -> None:
    d = OutboxDispatcher(rt.sessions, rt.clock, [sender],
                         limits={"telegram": ChannelLimits(rate=None, chat_rate=None)},
                         config=DispatcherConfig(poll_interval=0.02))
    await d.run_until_idle(limit=10)


async def test_text_to_everyone_end_to_end(rt: Runtime) -> None:
    await add_people(rt.sessions, 5)
    admin = Chat(rt.dispatcher, OWNER_ID)
    out = Chat.text(await admin.say("/umumkan"))
    assert "Pengumuman baru" in out
    out = Chat.text(await admin.say("<b>Libur</b> & jadwal < baru"))
    assert "Kepada siapa" in out
    replies = await admin.press("Semua pelanggan")
    assert replies[2].text == "<b>Libur</b> &amp; jadwal &lt; baru"
    assert "Penerima:</b> 5" in replies[3].text
    replies = await admin.press("Kirim sekarang")
    assert "memulai pengiriman ke 5" in replies[0].text and replies[0].edit
    a = announcer(rt)
    await a.tick()
    await a.drain_enqueues()
    sender = RecordingSender()
    await deliver(rt, sender)
    assert sorted(sender.chats()) == [str(1000 + i) for i in range(5)]
    assert {r.text for _, r in sender.sent} == {"<b>Libur</b> &amp; jadwal &lt; baru"}
    await a.tick()
    async with rt.sessions() as s:
        ann = (await s.scalars(select(Announcement))).one()
    assert ann.status == "done" and ann.sent == 5 and ann.total == 5
    report = await rows(rt.sessions, kind="reply")
    assert len(report) == 1 and report[0].chat_id == OWNER_ID
