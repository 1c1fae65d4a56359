"""Heartbeats: a process is alive while it beats, stale 15 s after its last beat."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.heartbeat import Heartbeat
from core.clock import FixedClock
from db.engine import Sessions
from db.heartbeats import alive, beat, forget_stale

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


async def test_alive_until_stale(sessions: Sessions) -> None:
    async with sessions() as db, db.begin():
        await beat(db, name="h:1:a", role="run", host="h", pid=1, started_at=NOW, now=NOW)
        await beat(db, name="h:2:b", role="worker", host="h", pid=2, started_at=NOW,
                   now=NOW - timedelta(seconds=20))
    async with sessions() as db:
        assert [p.name for p in await alive(db, NOW)] == ["h:1:a"]
        assert await alive(db, NOW + timedelta(seconds=16)) == []
        assert [p.role for p in await alive(db, NOW, roles=("run", "worker"))] == ["run"]
    async with sessions() as db, db.begin():  # a second beat moves last_seen only
        await beat(db, name="h:2:b", role="worker", host="h", pid=2, started_at=NOW, now=NOW)
    async with sessions() as db, db.begin():
        assert sorted(p.name for p in await alive(db, NOW)) == ["h:1:a", "h:2:b"]
        assert await forget_stale(db, NOW + timedelta(days=2), older_than=timedelta(days=1)) == 2


async def test_the_process_heartbeat_beats_and_goes_away_at_stop(sessions: Sessions) -> None:
    clock = FixedClock(NOW)
    hb = Heartbeat(sessions, clock, "worker", interval=0.05)
    await hb.start()
    async with sessions() as db:
        [me] = await alive(db, NOW)
    assert (me.role, me.pid, me.name) == ("worker", hb.pid, hb.name)
    clock.advance(timedelta(seconds=30))  # only the beats keep it alive
    await asyncio.sleep(0.2)
    async with sessions() as db:
        assert [p.name for p in await alive(db, clock.now())] == [hb.name]
    await hb.stop()
    async with sessions() as db:
        assert await alive(db, clock.now()) == []
