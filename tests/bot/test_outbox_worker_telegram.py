"""The outbox through python-telegram-bot against the fake Bot API: every failure class."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select
from telegram import Bot

from bot.outbox_worker import ChannelLimits, OutboxWorker, WorkerConfig
from bot.telegram.request import AiohttpRequest
from bot.telegram.send import TelegramSender
from core.clock import SystemClock
from core.outbox import enqueue
from core.types import Reply
from db.engine import Sessions
from db.models import Identity, Person
from tests.auxil.outbox import add_people, rows, status_counts
from tests.fakes.telegram_server import FakeTelegram

CLOCK = SystemClock()
CONFIG = WorkerConfig(poll_interval=0.05, maintenance_interval=0.1, backoff_base=0.1,
                          backoff_max=0.3)


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


async def bot_for(tg: FakeTelegram, *, read_timeout: float = 5.0) -> Bot:
    bot = Bot(tg.token, base_url=tg.base_url,
              request=AiohttpRequest(connection_pool_size=16, read_timeout=read_timeout))
    await bot.initialize()
    return bot


async def people_with_messages(sessions: Sessions, n: int, kind: str = "announcement") -> list[int]:
    """n people (chats 1000...) with one pending message each; returns the chat ids."""
    ids = await add_people(sessions, n, first_chat=1000)
    async with sessions() as s, s.begin():
        for i, pid in enumerate(ids):
            await enqueue(s, key=f"{kind}:{pid}", person_id=pid, channel="telegram",
                          chat_id=str(1000 + i), kind=kind,
                          reply=Reply(f"Pengumuman untuk <b>{pid}</b>"), now=CLOCK.now())
    return [1000 + i for i in range(n)]


async def run(
    sessions: Sessions, bot: Bot, *, settle: float = 0.0, **config: Any
) -> OutboxWorker:
    d = OutboxWorker(
        sessions, CLOCK, [TelegramSender(bot)],
        limits={"telegram": ChannelLimits(rate=None, chat_rate=None)},
        config=dataclasses.replace(CONFIG, **config),
    )
    try:
        await d.run_until_idle(limit=20, settle=settle)
    finally:
        await bot.shutdown()
    return d


async def test_429_waits_as_told_then_delivers_everything(
    sessions: Sessions, tg: FakeTelegram
) -> None:
    chats = await people_with_messages(sessions, 40)
    tg.fail_next("sendMessage", code=429, retry_after=1, times=1)
    d = await run(sessions, await bot_for(tg), settle=1.5, concurrency=4)
    assert all(len(tg.messages_to(c)) == 1 for c in chats)
    refused = next(c for c in tg.sent if c.error_code == 429)
    after = [c.at for c in tg.sent if c.ok and c.at > refused.at]
    # Calls already on the wire may land just after the 429; then silence for retry_after.
    later = [t for t in after if t - refused.at > 0.1]
    assert later and min(later) - refused.at >= 0.95
    assert len(after) - len(later) <= 4
    assert d.stats.rate_limited >= 1
    assert await status_counts(sessions) == {"sent": 40}


async def test_403_marks_the_person_unreachable_and_is_not_retried(
    sessions: Sessions, tg: FakeTelegram
) -> None:
    chats = await people_with_messages(sessions, 6)
    blocked = chats[1::2]
    for chat in blocked:
        tg.block(chat)
    await run(sessions, await bot_for(tg))
    for chat in blocked:
        assert len(tg.calls_of("sendMessage", chat)) == 1
        assert tg.messages_to(chat) == []
    async with sessions() as s:
        result = await s.execute(select(Identity.chat_id, Person.reachable).join(Person))
        reachable = {int(chat): ok for chat, ok in result.all()}
    assert reachable == {c: c not in blocked for c in chats}
    failed = await rows(sessions, status="failed")
    assert {int(r.chat_id) for r in failed} == set(blocked)
    assert all("blocked" in (r.last_error or "") for r in failed)


async def test_dropped_connections_and_timeouts_are_retried(
    sessions: Sessions, tg: FakeTelegram
) -> None:
    chats = await people_with_messages(sessions, 5)
    tg.drop_next("sendMessage", chats[0], times=2)  # network error before Telegram saw it
    tg.fail_next("sendMessage", chats[1], code=502, description="Bad Gateway")
    tg.fail_next("sendMessage", chats[2], code=500, description="Internal Server Error",
                 times=10)  # never recovers: given up after max_attempts
    await run(sessions, await bot_for(tg), settle=1.0, max_attempts=3)
    by_chat = {int(r.chat_id): r for r in await rows(sessions)}
    assert len(tg.messages_to(chats[0])) == 1 and by_chat[chats[0]].attempts == 3
    assert len(tg.messages_to(chats[1])) == 1 and by_chat[chats[1]].attempts == 2
    assert by_chat[chats[2]].status == "failed"
    assert len(tg.calls_of("sendMessage", chats[2])) == 3
    assert "gave up after 3 attempts" in (by_chat[chats[2]].last_error or "")


async def test_a_slow_answer_times_out_and_is_retried(
    sessions: Sessions, tg: FakeTelegram
) -> None:
    (chat,) = await people_with_messages(sessions, 1)
    tg.delay("sendMessage", 0.6)
    bot = await bot_for(tg, read_timeout=0.2)
    d = OutboxWorker(sessions, CLOCK, [TelegramSender(bot)],
                         limits={"telegram": ChannelLimits(rate=None, chat_rate=None)},
                         config=dataclasses.replace(CONFIG, backoff_base=0.3))
    d.start()
    try:
        await tg.wait_until(lambda: len(tg.calls_of("sendMessage")) >= 1, timeout=5)
        tg.delay("sendMessage", None)
        await tg.wait_until(lambda: d.stats.sent == 1, timeout=5)
    finally:
        await d.stop()
        await bot.shutdown()
    (row,) = await rows(sessions)
    assert row.status == "sent" and row.attempts >= 2
    assert "transient" in (row.last_error or "") or row.last_error is None
    # The fake carried out the slow call: a timeout after Telegram acted can duplicate.
    assert 1 <= len(tg.messages_to(chat)) <= row.attempts


async def test_chat_not_found_fails_with_the_reason(sessions: Sessions, tg: FakeTelegram) -> None:
    chats = await people_with_messages(sessions, 2)
    tg.chat_not_found(chats[0])
    await run(sessions, await bot_for(tg))
    by_chat = {int(r.chat_id): r for r in await rows(sessions)}
    assert by_chat[chats[0]].status == "failed"
    assert "chat not found" in (by_chat[chats[0]].last_error or "").lower()
    assert len(tg.calls_of("sendMessage", chats[0])) == 1
    assert by_chat[chats[1]].status == "sent"


async def test_migrated_chat_is_followed_and_resent(sessions: Sessions, tg: FakeTelegram) -> None:
    chats = await people_with_messages(sessions, 1)
    tg.migrate(chats[0], -1001234567890)
    await run(sessions, await bot_for(tg))
    assert len(tg.messages_to(-1001234567890)) == 1
    (row,) = await rows(sessions)
    assert (row.status, row.chat_id) == ("sent", "-1001234567890")
    async with sessions() as s:
        assert await s.scalar(select(Identity.chat_id)) == "-1001234567890"


async def test_global_rate_is_respected(sessions: Sessions, tg: FakeTelegram) -> None:
    await people_with_messages(sessions, 30)
    bot = await bot_for(tg)
    d = OutboxWorker(sessions, CLOCK, [TelegramSender(bot)],
                         limits={"telegram": ChannelLimits(rate=40, chat_rate=1)}, config=CONFIG)
    try:
        await d.run_until_idle(limit=20)
    finally:
        await bot.shutdown()
    times = sorted(c.at for c in tg.calls_of("sendMessage"))
    assert len(times) == 30
    # 30 messages at 40/s: about 0.75 s, never a whole second's worth at once (a quarter
    # second holds 10 plus the 100 ms bucket's 4, and some jitter on the way).
    assert times[-1] - times[0] >= 0.55
    assert max(sum(1 for t in times if a <= t < a + 0.25) for a in times) <= 18
    assert await status_counts(sessions) == {"sent": 30}

