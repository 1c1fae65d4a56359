"""Claims on the stored inboxes: per chat, in order, once; a dead process's claims return."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from db import inbox_claims as claims
from db.engine import Sessions
from db.heartbeats import beat
from db.inbox_claims import TELEGRAM
from db.models import TelegramUpdate
from db.telegram_updates import StoredUpdate, store_updates
from tests.conftest import MONDAY_MORNING

NOW = MONDAY_MORNING
LEASE = timedelta(seconds=60)


async def store(sessions: Sessions, *pairs: tuple[int, str]) -> int:
    async with sessions() as db, db.begin():
        return await store_updates(
            db, [StoredUpdate(uid, chat, {"update_id": uid, "chat": chat}) for uid, chat in pairs],
            NOW)


async def claim(sessions: Sessions, worker: str, chats: int = 10) -> list[claims.ClaimedMessage]:
    async with sessions() as db, db.begin():
        return await claims.claim_chats(db, TELEGRAM, worker=worker, now=NOW, lease=LEASE,
                                        chats=chats, max_attempts=5)


async def finish(sessions: Sessions, worker: str, *keys: int) -> None:
    async with sessions() as db, db.begin():
        await claims.finish(db, TELEGRAM, worker=worker, now=NOW, done=keys)


async def test_an_update_is_stored_once(sessions: Sessions) -> None:
    assert await store(sessions, (1, "a"), (2, "a")) == 2
    assert await store(sessions, (2, "a"), (3, "b")) == 1  # 2 was delivered again
    async with sessions() as db:
        assert await claims.counts(db, TELEGRAM) == {"pending": 3}


async def test_a_chat_is_claimed_whole_and_by_one_process(sessions: Sessions) -> None:
    await store(sessions, (1, "a"), (2, "b"), (3, "a"), (4, "a"), (5, "b"))
    first = await claim(sessions, "p1", chats=1)
    assert [(r.key, r.chat) for r in first] == [(1, "a"), (3, "a"), (4, "a")]
    second = await claim(sessions, "p2")
    assert [(r.key, r.chat) for r in second] == [(2, "b"), (5, "b")]
    assert await claim(sessions, "p3") == []


async def test_a_chat_held_elsewhere_is_not_claimed_until_it_is_done(
    sessions: Sessions,
) -> None:
    await store(sessions, (1, "a"), (2, "a"))
    assert [r.key for r in await claim(sessions, "p1")] == [1, 2]
    await store(sessions, (3, "a"))  # the person writes again meanwhile
    assert await claim(sessions, "p2") == []  # p1 still holds the chat: order is kept
    await finish(sessions, "p1", 1)
    assert await claim(sessions, "p2") == []  # 2 is still open in p1's hands
    await finish(sessions, "p1", 2)
    assert [r.key for r in await claim(sessions, "p2")] == [3]


async def test_handled_is_recorded_once_and_only_by_the_holder(sessions: Sessions) -> None:
    await store(sessions, (1, "a"))
    await claim(sessions, "p1")
    async with sessions() as db, db.begin():
        assert not await claims.mark_handled(db, TELEGRAM, 1, worker="p2", replies=[], now=NOW)
        assert await claims.mark_handled(db, TELEGRAM, 1, worker="p1",
                                         replies=[{"text": "halo"}], now=NOW)
        assert not await claims.mark_handled(db, TELEGRAM, 1, worker="p1", replies=[], now=NOW)
    await finish(sessions, "p1", 1)
    async with sessions() as db:
        row = await db.get(TelegramUpdate, 1)
    assert row is not None and (row.status, row.body, row.replies) == ("done", {}, None)


async def test_a_dead_process_claims_return_when_its_heartbeat_is_stale(
    sessions: Sessions,
) -> None:
    await store(sessions, (1, "a"), (2, "b"))
    async with sessions() as db, db.begin():
        for name in ("dead", "alive"):
            await beat(db, name=name, role="run", host="h", pid=1, started_at=NOW, now=NOW)
    await claim(sessions, "dead", chats=1)
    await claim(sessions, "alive", chats=1)
    later = NOW + timedelta(seconds=20)  # past STALE_AFTER, well within the lease
    async with sessions() as db, db.begin():
        await beat(db, name="alive", role="run", host="h", pid=1, started_at=NOW, now=later)
        assert await claims.reclaim_dead(db, TELEGRAM, worker="alive", now=later) == 1
    taken = await claim(sessions, "alive")
    assert [r.key for r in taken] == [1] and taken[0].attempts == 2


async def test_a_lease_that_runs_out_frees_a_holder_without_heartbeat(
    sessions: Sessions,
) -> None:
    await store(sessions, (1, "a"))
    await claim(sessions, "tool")
    async with sessions() as db, db.begin():
        assert await claims.reclaim_dead(db, TELEGRAM, worker="me", now=NOW) == 0
        assert await claims.reclaim_dead(db, TELEGRAM, worker="me", now=NOW + LEASE * 2) == 1


async def test_a_message_claimed_too_often_is_given_up(sessions: Sessions) -> None:
    await store(sessions, (1, "a"), (2, "a"))
    for attempt in range(5):
        got = await claim(sessions, f"p{attempt}")
        assert got and got[0].attempts == attempt + 1
        async with sessions() as db, db.begin():  # it keeps failing (given back, counted)
            await claims.release(db, TELEGRAM, worker=f"p{attempt}", keys=[1])
            await claims.release(db, TELEGRAM, worker=f"p{attempt}", keys=[2],
                                 give_back_attempt=True)
    assert [r.key for r in await claim(sessions, "p9")] == [2]  # the next one goes on
    async with sessions() as db:
        row = await db.get(TelegramUpdate, 1)
    assert row is not None and row.status == "failed" and "5 attempts" in (row.error or "")


@pytest.mark.postgres
async def test_concurrent_claims_never_share_a_chat(sessions: Sessions) -> None:
    if sessions.kw["bind"].dialect.name != "postgresql":
        pytest.skip("concurrent transactions: PostgreSQL")
    await store(sessions, *[(i, f"c{i % 50}") for i in range(1, 1001)])
    holders: dict[str, str] = {}

    async def worker(name: str) -> None:
        while True:
            rows = await claim(sessions, name, chats=7)
            if not rows:
                return
            for row in rows:
                assert holders.setdefault(row.chat, name) == name
            await finish(sessions, name, *[r.key for r in rows])

    await asyncio.gather(*(worker(f"p{i}") for i in range(6)))
    async with sessions() as db:
        done = Counter(await db.scalars(select(TelegramUpdate.status)))
    assert done == {"done": 1000}
    assert len(set(holders.values())) > 1  # the work was really shared
