"""/metrics on the internal listener of a running bot: counters after real deliveries, 429s,
failures and answers against the fake Bot API; the database's figures; the bearer token."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select

from bot.http_server import HttpServer
from bot.metrics import Figures, multiprocess_dir, render
from bot.runtime import Runtime
from bot.settings import Settings
from core.clock import FixedClock
from core.outbox import BULK_PRIORITY, Priority, enqueue
from core.types import Reply
from db.models import Attendance, LearningSession, OutboxMessage, Question
from tests.auxil.metrics import sample, scrape
from tests.auxil.outbox import add_people
from tests.auxil.processes import until
from tests.auxil.running import running
from tests.e2e.conftest import TelegramBot
from tests.e2e.whatsapp_bot import WhatsAppBot
from tests.fakes.telegram_server import FakeTelegram

TOKEN = "metrics-token-for-the-test-0123456789"


@pytest.fixture
async def telegram_bot(
    make_settings: Callable[..., Settings], clock: FixedClock
) -> AsyncIterator[TelegramBot]:
    """The bot as `dahar-ngopi run` starts it, with METRICS_TOKEN set."""
    async with FakeTelegram() as tg:
        settings = make_settings({"TELEGRAM_BOT_TOKEN": tg.token, "TELEGRAM_API_URL": tg.url,
                                  "METRICS_TOKEN": TOKEN})
        async with running(settings, clock) as rt:
            yield TelegramBot(tg, rt)


def internal_url(rt: Runtime) -> str:
    server = rt.extras["admin_server"]
    assert isinstance(server, HttpServer)
    return server.url


async def settled(rt: Runtime, chats: list[int]) -> bool:
    """Whether the announcement rows to `chats` have their outcome recorded."""
    async with rt.sessions() as db:
        open_rows = await db.scalar(
            select(func.count()).select_from(OutboxMessage).where(
                OutboxMessage.kind == "announcement",
                OutboxMessage.chat_id.in_([str(c) for c in chats]),
                OutboxMessage.status.in_(("pending", "sending"))))
    return open_rows == 0


async def test_counters_follow_real_deliveries_and_answers(telegram_bot: TelegramBot) -> None:
    tg, rt = telegram_bot.tg, telegram_bot.rt
    url = internal_url(rt)
    before = await scrape(url, TOKEN)
    ids = await add_people(rt.sessions, 5, first_chat=7000)
    chats = [7000 + i for i in range(5)]
    tg.block(7001)  # the person blocked the bot: 403
    tg.fail_next("sendMessage", 7002, code=400, description="Bad Request: chat not found")
    tg.fail_next("sendMessage", 7003, code=429, retry_after=1)  # the whole channel waits
    async with rt.sessions() as db, db.begin():
        for pid, chat in zip(ids, chats, strict=True):
            await enqueue(db, key=f"metrics:{pid}", person_id=pid, channel="telegram",
                          chat_id=str(chat), kind="announcement",
                          reply=Reply("Pengumuman uji metrik"), now=rt.clock.now())
    await until(lambda: any(c.error_code == 429 for c in tg.sent), 30, "the 429")
    # The row given back waits retry_after by the bot's clock, which stands still here.
    clock = rt.clock
    assert isinstance(clock, FixedClock)
    clock.set(clock.now() + timedelta(seconds=2))
    await until(lambda: settled(rt, chats), 30, "the announcement rows settled")
    await telegram_bot.say(8100, "/mulai")  # an incoming message and its answer
    after = ""

    def delta(name: str, **labels: str) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    async def answered() -> bool:  # counted once the processor has the send's outcome
        nonlocal after
        after = await scrape(url, TOKEN)
        return delta("dahar_ngopi_updates_total", channel="telegram", outcome="done") >= 1

    await until(answered, 10, "the answer counted")

    sent = {"channel": "telegram", "kind": "announcement"}
    # 7000, 7004, and 7003 once its 429 had passed: sent; 7001 blocked; 7002 failed.
    assert delta("dahar_ngopi_messages_total", **sent, outcome="sent") == 3
    assert delta("dahar_ngopi_messages_total", **sent, outcome="blocked") == 1
    assert delta("dahar_ngopi_messages_total", **sent, outcome="failed") == 1
    assert delta("dahar_ngopi_rate_limited_total", channel="telegram", scope="channel") == 1
    assert delta("dahar_ngopi_updates_total", channel="telegram", outcome="done") >= 1
    assert delta("dahar_ngopi_replies_total", channel="telegram", outcome="sent") >= 1
    assert delta("dahar_ngopi_answer_seconds_count", channel="telegram") >= 1
    # The fixed clock stands still: stored and answered at the same instant.
    assert delta("dahar_ngopi_answer_seconds_bucket", channel="telegram", le="0.05") >= 1


async def test_database_figures_are_read_per_scrape(telegram_bot: TelegramBot) -> None:
    rt = telegram_bot.rt
    url = internal_url(rt)
    now = rt.clock.now()
    ids = await add_people(rt.sessions, 4, channel="whatsapp", first_chat=6281200000)
    async with rt.sessions() as db, db.begin():
        # WhatsApp is not running here: these stay pending, their ages are exact.
        await enqueue(db, key="m:1", person_id=ids[0], channel="whatsapp", chat_id="6281200000",
                      kind="menu", reply=Reply("a"), now=now - timedelta(minutes=5),
                      priority=Priority.URGENT, not_before=now - timedelta(seconds=120))
        await enqueue(db, key="m:2", person_id=ids[1], channel="whatsapp", chat_id="6281200001",
                      kind="menu", reply=Reply("b"), now=now, priority=Priority.URGENT,
                      not_before=now - timedelta(seconds=30))
        await enqueue(db, key="m:3", person_id=ids[2], channel="whatsapp", chat_id="6281200002",
                      kind="announcement", reply=Reply("c"), now=now, priority=BULK_PRIORITY,
                      not_before=now + timedelta(hours=1))
        db.add_all([Question(key="jp", text="Bagaimana JP dihitung?", status="open",
                             created_at=now),
                    Question(key="sertifikat", text="Kapan sertifikat terbit?", status="open",
                             created_at=now),
                    Question(key="kuis", text="Kuis?", status="answered", created_at=now,
                             answer="Sudah.", answered_at=now)])
        session_id = await db.scalar(select(func.min(LearningSession.id)))
        assert session_id is not None
        db.add_all([
            Attendance(person_id=ids[0], session_id=session_id, channel="whatsapp",
                       reported_at=now - timedelta(minutes=30)),
            Attendance(person_id=ids[1], session_id=session_id, channel="telegram",
                       reported_at=now - timedelta(minutes=10)),
            # 07:00 WIB yesterday: not today in the agency's time zone.
            Attendance(person_id=ids[2], session_id=session_id, channel="whatsapp",
                       reported_at=now - timedelta(days=1)),
        ])
    text = await scrape(url, TOKEN)
    urgent = {"channel": "whatsapp", "priority": str(int(Priority.URGENT))}
    bulk = {"channel": "whatsapp", "priority": str(int(BULK_PRIORITY))}
    assert sample(text, "dahar_ngopi_outbox_due", **urgent) == 2
    assert sample(text, "dahar_ngopi_outbox_pending", **urgent) == 2
    assert sample(text, "dahar_ngopi_outbox_oldest_due_seconds", **urgent) == 120
    assert sample(text, "dahar_ngopi_outbox_pending", **bulk) == 1
    assert sample(text, "dahar_ngopi_outbox_due", **bulk) == 0
    assert sample(text, "dahar_ngopi_outbox_oldest_due_seconds", **bulk) == 0
    assert sample(text, "dahar_ngopi_questions_open") == 2
    assert sample(text, "dahar_ngopi_attendance_today", channel="whatsapp") == 1
    assert sample(text, "dahar_ngopi_attendance_today", channel="telegram") == 1
    assert sample(text, "dahar_ngopi_database_up") == 1
    # Alone on its database, the process takes the scheduler's leadership.
    leading = False

    async def leads() -> bool:
        nonlocal leading
        leading = sample(await scrape(url, TOKEN), "dahar_ngopi_leader") == 1
        return leading

    await until(leads, 30, "the only process leads")
    # Figures move with the database, scrape by scrape.
    async with rt.sessions() as db, db.begin():
        q = await db.scalar(select(Question).where(Question.key == "jp"))
        assert q is not None
        q.status = "answered"
    assert sample(await scrape(url, TOKEN), "dahar_ngopi_questions_open") == 1


async def test_the_bearer_token_is_required(
    telegram_bot: TelegramBot, caplog: pytest.LogCaptureFixture
) -> None:
    url = internal_url(telegram_bot.rt)
    caplog.set_level(logging.DEBUG)
    async with httpx.AsyncClient(base_url=url) as client:
        bare = await client.get("/metrics")
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer " + TOKEN[:-1]})
        basic = await client.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"})
        right = await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    for refused in (bare, wrong, basic):
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"].startswith("Bearer")
        assert "dahar_ngopi" not in refused.text and TOKEN not in refused.text
    assert right.status_code == 200 and "dahar_ngopi_messages" in right.text
    assert TOKEN not in caplog.text
    assert TOKEN not in repr(telegram_bot.rt.settings)


async def test_without_a_token_metrics_are_open_on_the_internal_listener(
    runtime: Runtime,
) -> None:
    import contextlib

    from bot.app import start_listeners

    async with contextlib.AsyncExitStack() as stack:
        await start_listeners(runtime, stack, konsol=False)
        text = await scrape(internal_url(runtime))
    # No background here (listeners only): this process does not lead.
    assert sample(text, "dahar_ngopi_leader") == 0
    assert sample(text, "dahar_ngopi_database_up") == 1
    assert "# TYPE dahar_ngopi_answer_seconds histogram" in text


async def test_whatsapp_messages_and_replies_are_counted(bot: WhatsAppBot) -> None:
    def now() -> str:
        return render(Figures(leader=False), multiprocess_dir()).decode()

    before = now()
    answers = await bot.say("6281234567001", "mulai")
    assert answers  # the bot answered over the fake Cloud API

    def grown(name: str, **labels: str) -> float:
        after = now()
        return (sample(after, name, channel="whatsapp", **labels)
                - sample(before, name, channel="whatsapp", **labels))

    await until(lambda: grown("dahar_ngopi_updates_total", outcome="done") >= 1, 10,
                "the message counted")
    assert grown("dahar_ngopi_answer_seconds_count") >= 1
    assert grown("dahar_ngopi_replies_total", outcome="sent") >= 1
