"""One leader runs the scheduler; another takes over when it dies, within LEADER_TIMEOUT."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.leader import Leadership
from core.clock import FixedClock
from db.engine import Sessions, create_engine, create_sessions
from db.heartbeats import beat
from tests.conftest import MONDAY_MORNING

TIMEOUT = 3.0  # seconds: tries every 0.6 s


class Candidate:
    """A process taking part: its own engine, heartbeat row and leadership."""

    def __init__(self, url: str, name: str, clock: FixedClock) -> None:
        self.engine: AsyncEngine = create_engine(url)
        self.sessions: Sessions = create_sessions(self.engine)
        self.name = name
        self.clock = clock
        self.events: list[str] = []
        self.leadership = Leadership(self.sessions, clock, name=name, timeout=TIMEOUT,
                                     on_elected=self._elected, on_deposed=self._deposed)

    async def _elected(self) -> None:
        self.events.append("elected")

    async def _deposed(self) -> None:
        self.events.append("deposed")

    async def beat(self) -> None:
        async with self.sessions() as db, db.begin():
            await beat(db, name=self.name, role="run", host="h", pid=1,
                       started_at=MONDAY_MORNING, now=self.clock.now())

    async def die(self) -> None:
        """SIGKILL: no release; its connections close with it (the kernel closes them)."""
        task = self.leadership._task
        assert task is not None
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        self.leadership._task = None
        if self.leadership._conn is not None:
            await self.leadership._conn.invalidate()
        await self.engine.dispose()


@pytest.fixture
async def url(sessions: Sessions) -> AsyncIterator[str]:
    yield sessions.kw["bind"].url.render_as_string(hide_password=False)


async def until(condition: object, within: float) -> float:
    """Seconds until `condition()` held."""
    assert callable(condition)
    loop = asyncio.get_running_loop()
    start = loop.time()
    while not condition():
        if loop.time() - start > within:
            raise AssertionError("not within the time")
        await asyncio.sleep(0.05)
    return loop.time() - start


async def test_one_leads_and_another_takes_over_when_it_dies(url: str) -> None:
    clock = FixedClock(MONDAY_MORNING)
    a, b = Candidate(url, "a", clock), Candidate(url, "b", clock)
    for c in (a, b):
        await c.beat()
    await a.leadership.start()
    await b.leadership.start()
    try:
        assert a.leadership.leading and not b.leadership.leading
        await asyncio.sleep(TIMEOUT / 2)  # a keeps its leadership while alive
        assert a.events == ["elected"] and b.events == []
        await a.die()
        # On SQLite the lease runs out (the clock moves on); on PostgreSQL the lock went
        # with a's connections at once.
        clock.advance(timedelta(seconds=TIMEOUT))
        took = await until(lambda: b.leadership.leading, TIMEOUT)
        assert b.events == ["elected"] and took <= TIMEOUT
    finally:
        await b.leadership.stop()
        await b.engine.dispose()
    assert b.events == ["elected", "deposed"]


async def test_a_clean_stop_hands_over_at_once(url: str) -> None:
    clock = FixedClock(MONDAY_MORNING)
    a, b = Candidate(url, "a", clock), Candidate(url, "b", clock)
    for c in (a, b):
        await c.beat()
    await a.leadership.start()
    await b.leadership.start()
    try:
        await a.leadership.stop()  # the lease (or lock) is given up, no waiting for it
        await until(lambda: b.leadership.leading, TIMEOUT)
    finally:
        await b.leadership.stop()
        for c in (a, b):
            await c.engine.dispose()


@pytest.mark.postgres
async def test_a_hung_leader_is_unseated_once_its_heartbeat_is_stale(url: str) -> None:
    if not url.startswith("postgresql"):
        pytest.skip("the advisory lock is PostgreSQL's")
    clock = FixedClock(MONDAY_MORNING)
    a, b = Candidate(url, "a", clock), Candidate(url, "b", clock)
    for c in (a, b):
        await c.beat()
    await a.leadership.start()
    task = a.leadership._task
    assert task is not None
    task.cancel()  # hung: it holds its connection (and the lock) but does nothing
    await asyncio.gather(task, return_exceptions=True)
    await b.leadership.start()
    try:
        await asyncio.sleep(TIMEOUT / 2)
        assert not b.leadership.leading  # a's heartbeat is fresh: it is only slow
        clock.advance(timedelta(seconds=TIMEOUT + 1))
        await b.beat()  # b is alive; a's heartbeat is now stale
        await until(lambda: b.leadership.leading, 2 * TIMEOUT)
    finally:
        for c in (a, b):
            await c.leadership.stop()
            await c.engine.dispose()
