"""This process's heartbeat: a row in `process_heartbeats`, refreshed every few seconds."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from datetime import timedelta

from core.clock import Clock
from db.engine import Sessions
from db.heartbeats import beat, forget, forget_stale

__all__ = ["Heartbeat", "process_name"]

log = logging.getLogger(__name__)

INTERVAL = 5.0  # seconds between beats (a process is stale after 15 s without one)
KEEP_GONE = timedelta(days=1)  # rows of processes that died are removed after this


def process_name() -> str:
    """A name for this process, unique among all: host, pid and a random part (64 chars at
    most, the width of the columns that record who holds a claim)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Heartbeat:
    """Writes this process's row until stopped; the row is removed at a clean stop."""

    def __init__(self, sessions: Sessions, clock: Clock, role: str, *,
                 interval: float = INTERVAL, name: str | None = None) -> None:
        self._sessions = sessions
        self._clock = clock
        self.role = role
        self.host = socket.gethostname()[:100]
        self.pid = os.getpid()
        self.name = name or process_name()
        self.started_at = clock.now()
        self.interval = interval
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()

    async def beat_once(self) -> None:
        """Write the row now."""
        async with self._sessions() as db, db.begin():
            await beat(db, name=self.name, role=self.role, host=self.host, pid=self.pid,
                       started_at=self.started_at, now=self._clock.now())

    async def start(self) -> None:
        """Beat at once (others see this process from now on), then every `interval`."""
        await self.beat_once()
        async with self._sessions() as db, db.begin():
            await forget_stale(db, self._clock.now(), older_than=KEEP_GONE)
        self._task = asyncio.create_task(self._run(), name="heartbeat")

    async def _run(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.interval)
            if self._stop.is_set():
                break
            try:
                await self.beat_once()
            except Exception:
                log.exception("writing the heartbeat failed; will retry")

    async def stop(self) -> None:
        """Stop beating and remove the row."""
        self._stop.set()
        if self._task is not None:
            await self._task
            self._task = None
        try:
            async with self._sessions() as db, db.begin():
                await forget(db, self.name)
        except Exception:
            log.exception("removing the heartbeat row failed (it goes stale by itself)")
