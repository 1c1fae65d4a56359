"""One leader among the processes sharing a database: it alone runs the scheduler's jobs.

Every `run` and `worker` process takes part; the one that holds the leadership plans (the
plans are idempotent anyway, so a moment with two leaders sends nothing twice, it only does
the work twice). When the leader dies, another takes over within LEADER_TIMEOUT:

- PostgreSQL: a session advisory lock, held on a connection of its own; the server releases
  it when the leader's connection closes (a killed process's socket closes at once). A
  leader that hangs with its connection open goes stale in the heartbeat table, and the
  next candidate ends its backend, which releases the lock.
- SQLite: a lease in the heartbeat table (`leader_until`), renewed by the leader.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from core.clock import Clock
from db.engine import Sessions
from db.leader import drop_lease, holder_of_lock, take_lease, terminate_backend, try_lock, unlock

__all__ = ["LEADER_TIMEOUT", "Leadership"]

log = logging.getLogger(__name__)

LEADER_TIMEOUT = 15.0  # seconds (the LEADER_TIMEOUT setting's default)

Transition = Callable[[], Awaitable[None]]


class Leadership:
    """Try for the leadership every `timeout / 5` seconds; run `on_elected` when this process
    becomes the leader and `on_deposed` when it stops being one."""

    def __init__(self, sessions: Sessions, clock: Clock, *, name: str, on_elected: Transition,
                 on_deposed: Transition, timeout: float = LEADER_TIMEOUT) -> None:
        self._sessions = sessions
        self._clock = clock
        self.name = name
        self._on_elected = on_elected
        self._on_deposed = on_deposed
        self.timeout = timeout
        self.interval = timeout / 5
        engine = sessions.kw["bind"]
        assert isinstance(engine, AsyncEngine)
        self._postgres = engine.dialect.name == "postgresql"
        # PostgreSQL: the lock's connection, never pooled: a session lock would stay with a
        # pooled connection handed back, and closing this one must end the session.
        self._engine: AsyncEngine | None = (
            create_async_engine(engine.url, poolclass=NullPool) if self._postgres else None)
        self._conn: AsyncConnection | None = None
        self.leading = False
        self.elected = 0  # times this process became the leader
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Try once now (a lone process leads from its start), then keep trying."""
        await self._step()
        self._task = asyncio.create_task(self._run(), name="leadership")

    async def stop(self) -> None:
        """Stop leading (at once: another process may take over) and stop trying."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._depose(release=True)
        if self._engine is not None:
            await self._engine.dispose()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            await self._step()

    async def _step(self) -> None:
        try:
            holds = await (self._hold_lock() if self._postgres else self._hold_lease())
        except Exception:
            log.exception("checking the scheduler's leadership failed; will retry")
            holds = False
        if holds and not self.leading:
            self.leading = True
            self.elected += 1
            log.info("this process leads the scheduler now")
            try:
                await self._on_elected()
            except Exception:
                log.exception("starting the scheduler as the leader failed")
        elif not holds and self.leading:
            log.warning("this process no longer leads the scheduler")
            await self._depose(release=False)

    async def _depose(self, *, release: bool) -> None:
        if self.leading:
            self.leading = False
            try:
                await self._on_deposed()
            except Exception:
                log.exception("stopping the scheduler failed")
        if release:
            await self._release()

    # --- SQLite: the lease ----------------------------------------------------------------

    async def _hold_lease(self) -> bool:
        now = self._clock.now()
        # Shorter than the timeout by one try's interval: a successor that tries right
        # after the lease ran out still takes over within the timeout.
        until = now + timedelta(seconds=self.timeout - self.interval)
        async with self._sessions() as db, db.begin():
            return await take_lease(db, name=self.name, now=now, until=until)

    # --- PostgreSQL: the advisory lock ----------------------------------------------------

    async def _hold_lock(self) -> bool:
        if self._conn is not None:
            try:  # the lock lives as long as its connection
                await self._conn.exec_driver_sql("SELECT 1")
                await self._conn.commit()
                return True
            except Exception:
                log.warning("the scheduler leader's database connection was lost")
                await self._close()
                return False
        assert self._engine is not None
        conn = await self._engine.connect()
        try:
            if await try_lock(conn, name=self.name):
                self._conn = conn
                return True
        except BaseException:
            await conn.close()
            raise
        await conn.close()
        await self._unseat_hung_leader()
        return False

    async def _unseat_hung_leader(self) -> None:
        """End the backend of a leader whose heartbeat stopped (a hung process keeps its
        connection, and so the lock, open)."""
        async with self._sessions() as db:
            holder = await holder_of_lock(db)
            if holder is None:
                return
            pid, name, seen = holder
            stale = self._clock.now() - timedelta(seconds=self.timeout)
            if seen is not None and seen < stale:
                ended = await terminate_backend(db, pid)
                log.warning("the scheduler leader %s stopped beating; its connection was %s",
                            name, "ended" if ended else "not ended")

    async def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close()

    async def _release(self) -> None:
        try:
            if self._postgres:
                if self._conn is not None:
                    with contextlib.suppress(Exception):
                        await unlock(self._conn)
                await self._close()
            else:
                async with self._sessions() as db, db.begin():
                    await drop_lease(db, name=self.name)
        except Exception:
            log.exception("giving up the scheduler's leadership failed (it runs out by "
                          "itself)")
