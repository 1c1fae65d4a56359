"""Telegram from the store, end to end: a chat's messages in order, replies kept across a
crash sent once more without handling the update again."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.runtime import Runtime
from bot.settings import Settings
from core.clock import FixedClock
from db.models import ConversationState, Identity, TelegramUpdate
from db.telegram_updates import StoredUpdate, store_updates
from tests.auxil.running import running
from tests.bot.test_telegram_store import stored, wait_for
from tests.e2e.conftest import TelegramBot
from tests.fakes.telegram_server import FakeTelegram


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


async def test_a_chats_messages_are_answered_in_order(telegram_bot: TelegramBot) -> None:
    tg = telegram_bot.tg
    words = ["/menu", "/bantuan", "/jadwal", "/menu"]
    for user in range(3000, 3020):
        for word in words:
            tg.user_message(user, word)
    for user in range(3000, 3020):
        answers = [await tg.next_message(user, timeout=20) for _ in words]
        heads = [(a.text or "").split("\n", 1)[0] for a in answers]
        assert heads[0] == heads[3] and len(set(heads[:3])) == 3, heads
        assert "Jadwal" in heads[2] or "minggu ini" in heads[2]


async def test_replies_kept_before_a_crash_are_sent_and_not_handled_again(
    runtime: Runtime, make_settings: Callable[..., Settings], clock: FixedClock,
    tg: FakeTelegram,
) -> None:
    # A process handled /mulai (its effects and replies committed), then died sending.
    start = {"update_id": 77, "message": {"message_id": 3, "date": 1, "text": "/mulai",
                                          "chat": {"id": 5005, "type": "private"},
                                          "from": {"id": 5005, "first_name": "Budi"}}}
    async with runtime.sessions() as db, db.begin():
        await store_updates(db, [StoredUpdate(77, "5005", start)], runtime.clock.now())
        await db.execute(TelegramUpdate.__table__.update().values(
            status="handled", claimed_by="dead-process", attempts=1,
            replies=[{"text": "Balasan yang tersimpan"}]))
    settings = make_settings({"TELEGRAM_BOT_TOKEN": tg.token, "TELEGRAM_API_URL": tg.url})
    async with running(settings, clock) as rt:
        async with rt.sessions() as db, db.begin():  # the dead process's lease ran out
            await db.execute(TelegramUpdate.__table__.update().values(
                lease_until=rt.clock.now() - timedelta(minutes=1)))
        sent = await tg.next_message(5005, timeout=10)
        assert sent.text == "Balasan yang tersimpan"
        await wait_for(lambda: _done(rt, 77))
    async with runtime.sessions() as db:
        assert await db.scalar(select(func.count()).select_from(ConversationState)) == 0
    assert len(tg.messages_to(5005)) == 1


async def _done(rt: Runtime, key: int) -> bool:
    return (await stored(rt)).get(key) == "done"


async def test_erasing_ones_data_a_minute_later_works(telegram_bot: TelegramBot) -> None:
    # The account is noted as having written at the end of the unit of work, after the
    # handler: /hapusdata removed it meanwhile, and time has moved on since it last wrote.
    bot = telegram_bot
    ask = await bot.say(7070, "/hapusdata")
    bot.rt.clock.advance(timedelta(minutes=1))  # type: ignore[attr-defined]
    answer = await bot.press(7070, ask, "🗑 Ya, hapus data saya")
    assert "gangguan" not in str(answer.params.get("text"))
    done = await bot.tg.wait_for("editMessageText")
    assert "telah dihapus" in (done.text or "")
    async with bot.rt.sessions() as db:
        assert await db.scalar(select(func.count()).select_from(Identity)) == 0
