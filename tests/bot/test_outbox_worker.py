"""The dispatcher's logic against a recording channel: order, shares, retries, leases, stops."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from bot.delivery import (
    Blocked,
    ChatMigrated,
    PermanentFailure,
    RateLimited,
    TransientFailure,
)
from bot.outbox_worker import ChannelLimits, OutboxWorker, WorkerConfig
from core.clock import FixedClock, SystemClock
from core.outbox import enqueue
from core.types import Attachment, Reply
from db.engine import Sessions
from db.models import Identity, OutboxMessage, Person
from tests.auxil.outbox import RecordingSender, add_people, open_db, rows, status_counts

CLOCK = SystemClock()
UNLIMITED = {"telegram": ChannelLimits(rate=None, chat_rate=None)}
FAST = WorkerConfig(poll_interval=0.05, maintenance_interval=0.1, backoff_base=0.05,
                        backoff_max=0.2)


async def put(
    sessions: Sessions, kind: str, chats: list[str], *, person_ids: list[int] | None = None,
    **extra: object,
) -> None:
    now = CLOCK.now()
    async with sessions() as s, s.begin():
        for i, chat in enumerate(chats):
            await enqueue(s, key=f"{kind}:{chat}", person_id=person_ids[i] if person_ids else None,
                          channel="telegram", chat_id=chat, kind=kind,
                          reply=Reply(f"{kind} for {chat}"), now=now, **extra)  # type: ignore[arg-type]


def dispatcher(sessions: Sessions, sender: RecordingSender, **config: Any) -> OutboxWorker:
    cfg = dataclasses.replace(FAST, **config)
    return OutboxWorker(sessions, CLOCK, [sender], limits=UNLIMITED, config=cfg)


async def test_delivers_everything_and_records_it(sessions: Sessions) -> None:
    await put(sessions, "menu", [str(i) for i in range(50)])
    sender = RecordingSender()
    await dispatcher(sessions, sender).run_until_idle(limit=10)
    assert sorted(sender.chats(), key=int) == [str(i) for i in range(50)]
    done = await rows(sessions)
    assert {r.status for r in done} == {"sent"}
    assert all(r.sent_at and r.platform_message_id and r.claimed_by for r in done)


async def test_urgent_first_and_announcements_keep_their_share(sessions: Sessions) -> None:
    await put(sessions, "announcement", [f"a{i}" for i in range(100)])
    await put(sessions, "menu", [f"m{i}" for i in range(100)])
    await put(sessions, "reminder", [f"r{i}" for i in range(10)])
    await put(sessions, "reply", [f"p{i}" for i in range(5)])
    sender = RecordingSender()
    await dispatcher(sessions, sender, claim_max=20, concurrency=1).run_until_idle(limit=20)
    order = [c[0] for c in sender.chats()]
    assert len(order) == 215
    last = {k: max(i for i, c in enumerate(order) if c == k) for k in "prm"}
    first = {k: min(i for i, c in enumerate(order) if c == k) for k in "prma"}
    assert last["p"] < first["r"] and last["r"] < first["m"]
    # While menus wait, announcements still get at least a fifth of the deliveries...
    window = order[first["m"]: last["m"] + 1]
    assert window.count("a") / len(window) >= 0.19
    # ...and no more than their share: menus are not starved either.
    assert window.count("m") / len(window) >= 0.7


async def test_future_and_expired_rows(sessions: Sessions) -> None:
    clock = FixedClock(CLOCK.now())
    now = clock.now()
    async with sessions() as s, s.begin():
        await enqueue(s, key="later", person_id=None, channel="telegram", chat_id="1",
                      kind="reminder", reply=Reply("later"), now=now,
                      not_before=now + timedelta(minutes=5))
        await enqueue(s, key="stale", person_id=None, channel="telegram", chat_id="2",
                      kind="reminder", reply=Reply("too late"), now=now - timedelta(hours=1),
                      not_before=now - timedelta(hours=1), expires_at=now - timedelta(minutes=1))
    sender = RecordingSender()
    d = OutboxWorker(sessions, clock, [sender], limits=UNLIMITED, config=FAST)
    await d.run_until_idle(limit=5)
    assert sender.sent == []
    assert {r.idem_key: r.status for r in await rows(sessions)} == {
        "later": "pending", "stale": "skipped"}
    clock.advance(timedelta(minutes=5))
    await d.run_until_idle(limit=5)
    assert sender.chats() == ["1"]


async def test_two_dispatchers_never_send_a_row_twice(sessions: Sessions) -> None:
    await put(sessions, "announcement", [str(i) for i in range(200)])
    url = sessions.kw["bind"].url.render_as_string(hide_password=False)
    engine2, sessions2 = open_db(url)  # another engine: as another process would
    a, b = RecordingSender(latency=0.01), RecordingSender(latency=0.01)
    try:
        await asyncio.gather(
            dispatcher(sessions, a, claim_max=10).run_until_idle(limit=30),
            dispatcher(sessions2, b, claim_max=10).run_until_idle(limit=30),
        )
    finally:
        await engine2.dispose()
    both = a.chats() + b.chats()
    assert sorted(both, key=int) == [str(i) for i in range(200)]
    assert a.sent and b.sent  # both took part
    assert await status_counts(sessions) == {"sent": 200}


async def test_transient_errors_are_retried_then_given_up(sessions: Sessions) -> None:
    await put(sessions, "reminder", ["ok-later", "never"])
    sender = RecordingSender()
    sender.fail["ok-later"] = lambda n: TransientFailure("timed out") if n < 3 else None
    sender.fail["never"] = lambda n: TransientFailure("502 Bad Gateway")
    await dispatcher(sessions, sender, max_attempts=4).run_until_idle(limit=10, settle=0.5)
    by_chat = {r.chat_id: r for r in await rows(sessions)}
    assert sender.chats() == ["ok-later"]
    assert (by_chat["ok-later"].status, by_chat["ok-later"].attempts) == ("sent", 3)
    assert by_chat["never"].status == "failed"
    assert by_chat["never"].attempts == 4 and sender.attempts["never"] == 4
    assert "gave up after 4 attempts" in (by_chat["never"].last_error or "")


async def test_blocked_marks_the_person_unreachable(sessions: Sessions) -> None:
    ids = await add_people(sessions, 2, first_chat=10)
    await put(sessions, "reminder", ["10", "11"], person_ids=ids)
    async with sessions() as s, s.begin():  # a second message for the person who blocked us
        await enqueue(s, key="menu:10", person_id=ids[0], channel="telegram", chat_id="10",
                      kind="menu", reply=Reply("menu"), now=CLOCK.now(),
                      not_before=CLOCK.now() + timedelta(seconds=2))
    sender = RecordingSender()
    sender.fail["10"] = lambda n: Blocked("Forbidden: bot was blocked by the user")
    await dispatcher(sessions, sender).run_until_idle(limit=5)
    assert sender.chats() == ["11"] and sender.attempts["10"] == 1
    by_key = {r.idem_key: r for r in await rows(sessions)}
    assert by_key["reminder:10"].status == "failed"
    assert "blocked" in (by_key["reminder:10"].last_error or "")
    assert by_key["menu:10"].status == "skipped"
    async with sessions() as s:
        result = await s.execute(select(Person.id, Person.reachable))
        reach = {pid: ok for pid, ok in result.all()}
    assert reach == {ids[0]: False, ids[1]: True}


async def test_migrated_chat_is_followed(sessions: Sessions) -> None:
    ids = await add_people(sessions, 1, first_chat=-100)
    await put(sessions, "announcement", ["-100"], person_ids=ids)
    sender = RecordingSender()
    sender.fail["-100"] = lambda n: ChatMigrated("-1009999")
    await dispatcher(sessions, sender).run_until_idle(limit=5)
    assert sender.chats() == ["-1009999"]
    (row,) = await rows(sessions)
    assert (row.status, row.chat_id) == ("sent", "-1009999")
    async with sessions() as s:
        assert await s.scalar(select(Identity.chat_id)) == "-1009999"


async def test_permanent_failure_is_recorded(sessions: Sessions) -> None:
    await put(sessions, "reply", ["404"])
    sender = RecordingSender()
    sender.fail["404"] = lambda n: PermanentFailure("Bad Request: chat not found")
    await dispatcher(sessions, sender).run_until_idle(limit=5)
    (row,) = await rows(sessions)
    assert row.status == "failed" and "chat not found" in (row.last_error or "")
    assert sender.attempts["404"] == 1


async def test_rate_limit_pauses_the_whole_channel(sessions: Sessions) -> None:
    await put(sessions, "announcement", [str(i) for i in range(30)])
    sender = RecordingSender()
    times: dict[str, float] = {}
    hit: list[float] = []

    def slow_down(n: int) -> RateLimited | None:
        if n == 1:
            hit.append(time.monotonic())
            return RateLimited(0.6)
        return None

    sender.fail["5"] = slow_down
    original = sender.deliver

    async def timed(chat_id: str, reply: Reply) -> str | None:
        result = await original(chat_id, reply)
        times[chat_id] = time.monotonic()
        return result

    sender.deliver = timed  # type: ignore[method-assign]
    await dispatcher(sessions, sender, concurrency=1).run_until_idle(limit=10, settle=1.0)
    assert sorted(times, key=int) == [str(i) for i in range(30)]
    after = [t for t in times.values() if t > hit[0]]
    assert after and min(after) - hit[0] >= 0.55
    assert await status_counts(sessions) == {"sent": 30}
    (row,) = await rows(sessions, chat_id="5")
    assert row.attempts == 1  # the 429 did not count as a failed attempt


async def test_expired_lease_is_reclaimed(sessions: Sessions) -> None:
    await put(sessions, "reminder", ["1", "2"])
    past = CLOCK.now() - timedelta(seconds=1)
    async with sessions() as s, s.begin():
        await s.execute(update(OutboxMessage).where(OutboxMessage.chat_id == "1").values(
            status="sending", claimed_by="dead-process", lease_until=past, attempts=1))
    sender = RecordingSender()
    d = dispatcher(sessions, sender)
    await d.run_until_idle(limit=5)
    assert sorted(sender.chats()) == ["1", "2"]
    assert d.stats.reclaimed == 1


async def test_stop_gives_back_what_was_not_sent(sessions: Sessions) -> None:
    await put(sessions, "announcement", [str(i) for i in range(40)])
    sender = RecordingSender(latency=0.05)
    d = OutboxWorker(sessions, CLOCK, [sender],
                         limits={"telegram": ChannelLimits(rate=40, chat_rate=None)},
                         config=FAST)
    d.start()
    for _ in range(200):  # until sending is under way
        if len(sender.sent) >= 3:
            break
        await asyncio.sleep(0.02)
    await d.stop()
    counts = await status_counts(sessions)
    assert counts["sent"] == len(sender.sent) and 0 < len(sender.sent) < 40
    assert counts == {"sent": len(sender.sent), "pending": 40 - len(sender.sent)}
    assert {r.attempts for r in await rows(sessions, status="pending")} == {0}


async def test_one_chat_is_paced(sessions: Sessions) -> None:
    now = CLOCK.now()
    async with sessions() as s, s.begin():
        for i in range(3):
            await enqueue(s, key=f"r{i}", person_id=None, channel="telegram", chat_id="77",
                          kind="reply", reply=Reply(f"bagian {i}"), now=now)
        await enqueue(s, key="other", person_id=None, channel="telegram", chat_id="78",
                      kind="reply", reply=Reply("lain"), now=now)
    sender = RecordingSender()
    stamps: list[tuple[str, float]] = []
    original = sender.deliver

    async def timed(chat_id: str, reply: Reply) -> str | None:
        stamps.append((chat_id, time.monotonic()))
        return await original(chat_id, reply)

    sender.deliver = timed  # type: ignore[method-assign]
    d = OutboxWorker(sessions, CLOCK, [sender],
                         limits={"telegram": ChannelLimits(rate=None, chat_rate=4)}, config=FAST)
    await d.run_until_idle(limit=10)
    same = [t for c, t in stamps if c == "77"]
    assert len(same) == 3
    assert all(b - a >= 0.24 for a, b in itertools.pairwise(same))  # 4 per second to one chat
    other = next(t for c, t in stamps if c == "78")
    assert other < same[1]  # another chat does not wait for this one's pace


async def test_a_reminder_overtakes_a_long_announcement(sessions: Sessions) -> None:
    await put(sessions, "announcement", [f"a{i}" for i in range(300)])
    sender = RecordingSender()
    d = OutboxWorker(sessions, CLOCK, [sender],
                         limits={"telegram": ChannelLimits(rate=100, chat_rate=None)},
                         config=FAST)
    d.start()
    try:
        await asyncio.sleep(0.5)
        asked = time.monotonic()
        async with sessions() as s, s.begin():  # committing wakes the dispatcher
            await enqueue(s, key="reminder:1", person_id=None, channel="telegram",
                          chat_id="r1", kind="reminder", reply=Reply("⏰"), now=CLOCK.now())
        for _ in range(100):
            if "r1" in sender.chats():
                break
            await asyncio.sleep(0.02)
        waited = time.monotonic() - asked
        before = sender.chats().index("r1")
    finally:
        await d.stop()
    # It went out after about a buffer's worth of sends (one second at this rate), long
    # before the 300 were done.
    assert before < 200
    assert waited < 3.0


async def test_a_slow_send_keeps_its_lease(sessions: Sessions) -> None:
    await put(sessions, "reply", ["slow"])
    url = sessions.kw["bind"].url.render_as_string(hide_password=False)
    engine2, sessions2 = open_db(url)
    slow, other = RecordingSender(latency=1.0), RecordingSender()
    short = {"lease": timedelta(seconds=0.3), "maintenance_interval": 0.05}
    a = dispatcher(sessions, slow, **short)
    b = dispatcher(sessions2, other, **short)
    try:
        a.start()
        await asyncio.sleep(0.2)  # a has claimed the row and is sending it
        b.start()
        await asyncio.sleep(1.2)
        await a.stop()
        await b.stop()
    finally:
        await engine2.dispose()
    # Without renewal the lease would lapse mid-send and b would send it again.
    assert slow.chats() == ["slow"] and other.sent == []
    assert b.stats.reclaimed == 0


async def test_prepare_makes_named_documents_and_refuses_gone_ones(sessions: Sessions) -> None:
    """A payload that only names its file (a certificate) is made just before the send; one
    that cannot be made any more fails for good, once, without reaching the channel."""
    now = CLOCK.now()
    async with sessions() as s, s.begin():
        for chat, source in (("1", "certificate:1"), ("2", "certificate:2")):
            await enqueue(s, key=f"cert:{chat}", person_id=None, channel="telegram",
                          chat_id=chat, kind="certificate", now=now,
                          reply=Reply("📜", document=Attachment("a.pdf", "application/pdf",
                                                               source=source)))
    made: list[str] = []

    async def prepare(reply: Reply, person_id: int | None) -> Reply:
        assert reply.document is not None and reply.document.source is not None
        if reply.document.source.endswith(":2"):
            raise PermanentFailure("certificate revoked")
        made.append(reply.document.source)
        return dataclasses.replace(reply, document=dataclasses.replace(
            reply.document, content=b"%PDF-1.4 ..."))

    sender = RecordingSender()
    worker = OutboxWorker(sessions, CLOCK, [sender], limits=UNLIMITED, config=FAST,
                          prepare=prepare)
    await worker.run_until_idle(limit=10)
    assert made == ["certificate:1"]
    [(chat, reply)] = sender.sent
    assert chat == "1" and reply.document is not None and reply.document.content == (
        b"%PDF-1.4 ...")
    by_chat = {r.chat_id: (r.status, r.last_error, r.attempts) for r in await rows(sessions)}
    assert by_chat["2"] == ("failed", "permanent: certificate revoked", 1)
    assert sender.attempts.get("2") is None
