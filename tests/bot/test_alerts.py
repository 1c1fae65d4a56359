"""Alerts to the owners: real deliveries to the fake Telegram failing, urgent messages
waiting, no leader, two processes' checkers on one database; SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from telegram import Bot

from bot.alert_checks import AlertConfig
from bot.alerts import ALERT_KIND, Alerts
from bot.leader import Leadership
from bot.outbox_worker import ChannelLimits, OutboxWorker, WorkerConfig
from bot.telegram.request import AiohttpRequest
from bot.telegram.send import TelegramSender
from core.channels import ChannelInfo, Channels
from core.clock import FixedClock
from core.outbox import Priority, enqueue
from core.types import Reply
from db.engine import Sessions, create_engine, create_sessions
from db.models import Identity, OutboxMessage, OutboxPayload, ProcessHeartbeat
from tests.auxil.outbox import add_people
from tests.conftest import MONDAY_MORNING, OWNER_ID
from tests.fakes.telegram_server import FakeTelegram

OWNER_WA = "6281234567890"
CONFIG = AlertConfig(interval=0.05)
WORKER = WorkerConfig(poll_interval=0.05, maintenance_interval=0.1, backoff_base=0.1,
                      backoff_max=0.3)


def telegram_only() -> Channels:
    return Channels([ChannelInfo("telegram", "Telegram", owners=frozenset({OWNER_ID}))])


def both_channels() -> Channels:
    return Channels([
        ChannelInfo("telegram", "Telegram", owners=frozenset({OWNER_ID})),
        ChannelInfo("whatsapp", "WhatsApp", templates=True, owners=frozenset({OWNER_WA})),
    ])


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


async def deliver(sessions: Sessions, clock: FixedClock, tg: FakeTelegram) -> None:
    """Run the real outbox worker (python-telegram-bot to the fake) until nothing is left."""
    bot = Bot(tg.token, base_url=tg.base_url,
              request=AiohttpRequest(connection_pool_size=8, read_timeout=5))
    await bot.initialize()
    worker = OutboxWorker(sessions, clock, [TelegramSender(bot)],
                          limits={"telegram": ChannelLimits(rate=None, chat_rate=None)},
                          config=WORKER)
    try:
        await worker.run_until_idle(limit=20)
    finally:
        await bot.shutdown()


async def announce(sessions: Sessions, clock: FixedClock, first_chat: int, n: int) -> list[int]:
    """`n` new people with an announcement each; return their chats."""
    ids = await add_people(sessions, n, first_chat=first_chat)
    async with sessions() as db, db.begin():
        for i, pid in enumerate(ids):
            await enqueue(db, key=f"ann:{pid}", person_id=pid, channel="telegram",
                          chat_id=str(first_chat + i), kind="announcement",
                          reply=Reply("Pengumuman"), now=clock.now())
    return [first_chat + i for i in range(n)]


async def alert_rows(sessions: Sessions) -> list[OutboxMessage]:
    async with sessions() as db:
        return list(await db.scalars(select(OutboxMessage).where(
            OutboxMessage.kind == ALERT_KIND).order_by(OutboxMessage.id)))


async def test_failing_deliveries_alert_once_per_30_minutes_while_they_go_on(
    sessions: Sessions, tg: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FixedClock(MONDAY_MORNING)
    alerts = Alerts(sessions, clock, telegram_only(), CONFIG)
    told: list[int] = []
    for step in range(8):  # every 5 minutes for 35 minutes, 3 of 30 deliveries refused
        chats = await announce(sessions, clock, 10_000 + 100 * step, 30)
        tg.block(chats[0])  # 403
        tg.chat_not_found(chats[1])  # 400
        tg.chat_not_found(chats[2])
        await deliver(sessions, clock, tg)
        with caplog.at_level(logging.WARNING, logger="bot.alerts"):
            found = await alerts.check()
        assert [p.kind for p in found] == ["delivery:telegram"]
        await deliver(sessions, clock, tg)  # the alert itself goes out
        told.append(len(tg.messages_to(OWNER_ID)))
        clock.advance(timedelta(minutes=5))
    # Sent at 0 and 35 minutes; at 30 the first one is exactly 30 minutes old.
    assert told == [1, 1, 1, 1, 1, 1, 1, 2]
    first = tg.messages_to(OWNER_ID)[0].text or ""
    assert "Pengiriman pesan Telegram banyak yang gagal" in first
    assert "3 dari 30" in first and "10%" in first
    assert "blocked (1)" in first or "permanent" in first
    rows = await alert_rows(sessions)
    assert [r.priority for r in rows] == [Priority.REPLY, Priority.REPLY]
    assert all(r.status == "sent" for r in rows)
    logged = [r for r in caplog.records if "deliveries failing on telegram" in r.getMessage()]
    assert [r.levelname for r in logged].count("ERROR") == 2
    assert [r.levelname for r in logged].count("WARNING") == 6
    assert "3 of 30" in logged[0].getMessage()

    # The failures stop: after the window the alert is over, said once.
    await announce(sessions, clock, 20_000, 30)
    await deliver(sessions, clock, tg)
    clock.advance(timedelta(minutes=11))
    assert await alerts.check() == []
    assert await alerts.check() == []
    await deliver(sessions, clock, tg)
    texts = [m.text or "" for m in tg.messages_to(OWNER_ID)]
    assert len(texts) == 3 and "Pengiriman pesan Telegram sudah normal kembali" in texts[2]


async def test_a_few_failures_among_few_deliveries_page_nobody(
    sessions: Sessions, tg: FakeTelegram
) -> None:
    clock = FixedClock(MONDAY_MORNING)
    chats = await announce(sessions, clock, 10_000, 2)
    tg.block(chats[0])  # 1 of 2 failed: 50%, but under ALERT_FAILURE_MIN outcomes
    await deliver(sessions, clock, tg)
    assert await Alerts(sessions, clock, telegram_only(), CONFIG).check() == []
    assert await alert_rows(sessions) == []


async def test_urgent_messages_waiting_too_long_reach_owners_on_both_channels(
    sessions: Sessions
) -> None:
    clock = FixedClock(MONDAY_MORNING)
    # The owner is one person on Telegram and WhatsApp (linked).
    (owner,) = await add_people(sessions, 1, first_chat=int(OWNER_ID))
    async with sessions() as db, db.begin():
        db.add(Identity(person_id=owner, channel="whatsapp", external_id=OWNER_WA,
                        chat_id=OWNER_WA, created_at=clock.now()))
        for i in range(4):
            await enqueue(db, key=f"rem:{i}", person_id=None, channel="telegram",
                          chat_id=str(500 + i), kind="reminder", reply=Reply("Pengingat"),
                          now=clock.now())
        await enqueue(db, key="menu:1", person_id=None, channel="telegram", chat_id="600",
                      kind="menu", reply=Reply("Menu"), now=clock.now())  # not urgent
    alerts = Alerts(sessions, clock, both_channels(), CONFIG)
    clock.advance(timedelta(minutes=4))
    assert await alerts.check() == []
    clock.advance(timedelta(minutes=3))
    (problem,) = await alerts.check()
    assert problem.kind == "waiting"
    assert "<b>4</b> pesan penting" in problem.text and "Telegram 4" in problem.text
    assert "menunggu 7 menit" in problem.text
    rows = await alert_rows(sessions)
    assert sorted((r.channel, r.chat_id) for r in rows) == [("telegram", OWNER_ID),
                                                           ("whatsapp", OWNER_WA)]
    assert {r.priority for r in rows} == {Priority.REPLY}
    assert all(r.person_id == owner for r in rows)
    assert all(r.expires_at == clock.now() + timedelta(minutes=30) for r in rows)
    async with sessions() as db:  # outside WhatsApp's window a template carries it
        wa = next(r for r in rows if r.channel == "whatsapp")
        payload = await db.get(OutboxPayload, wa.payload_id)
        assert payload is not None
        template = payload.body["template"]
        assert isinstance(template, dict) and template["kind"] == "announcement"
        assert "4 pesan penting" in template["params"][0]
        assert "\n" not in template["params"][0] and "<b>" not in template["params"][0]
    assert await alerts.check() != []  # still waiting: logged, not sent again
    assert len(await alert_rows(sessions)) == 2


async def test_no_leader_longer_than_the_timeout_alerts_and_its_return_is_said(
    sessions: Sessions,
) -> None:
    clock = FixedClock(MONDAY_MORNING)

    async def nothing() -> None:
        return None

    leadership = Leadership(sessions, clock, name="p1", on_elected=nothing,
                            on_deposed=nothing, timeout=15)
    alerts = Alerts(sessions, clock, telegram_only(), dataclasses.replace(
        CONFIG, leader_timeout=timedelta(seconds=15)), leadership=leadership)
    try:
        assert await alerts.check() == []  # leaderless from now
        clock.advance(timedelta(seconds=10))
        assert await alerts.check() == []
        clock.advance(timedelta(seconds=10))
        (problem,) = await alerts.check()
        assert problem.kind == "leader" and "20 detik" in problem.text
        assert alerts.sent == ["leader"]
        # A process comes up and leads.
        async with sessions() as db, db.begin():
            db.add(ProcessHeartbeat(name="p1", role="run", host="h", pid=1,
                                    started_at=clock.now(), last_seen_at=clock.now()))
        await leadership.start()
        assert leadership.leading
        assert await alerts.check() == []
        assert alerts.resolved == ["leader"]
        rows = await alert_rows(sessions)
        assert len(rows) == 2
    finally:
        await leadership.stop()


async def test_two_processes_checking_at_once_send_one_alert(sessions: Sessions) -> None:
    clock = FixedClock(MONDAY_MORNING)
    async with sessions() as db, db.begin():
        await enqueue(db, key="reply:1", person_id=None, channel="telegram", chat_id="77",
                      kind="reply", reply=Reply("Jawaban"), now=clock.now())
    clock.advance(timedelta(minutes=10))
    engine = sessions.kw["bind"]
    other_engine = create_engine(engine.url.render_as_string(hide_password=False))
    other = create_sessions(other_engine)
    try:
        first = Alerts(sessions, clock, telegram_only(), CONFIG)
        second = Alerts(other, clock, telegram_only(), CONFIG)
        for _ in range(5):
            found = await asyncio.gather(first.check(), second.check())
            assert all([p.kind for p in f] == ["waiting"] for f in found)
        assert len(first.sent) + len(second.sent) == 1
        assert len(await alert_rows(sessions)) == 1
    finally:
        await other_engine.dispose()
