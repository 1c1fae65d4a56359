"""What /readyz answers: the database answers at the code's schema, and what this process
started (its channels' clients and receiving, the scheduler and outbox) is running.

Readiness never looks at the outbox's backlog: an announcement to 100,000 at 30/s keeps it
busy for an hour, and a process that delivers it is exactly what should take traffic.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from sqlalchemy import text

from db.engine import Sessions
from db.migrate import head_revision, revision_of

__all__ = ["Readiness"]

log = logging.getLogger(__name__)

Probe = Callable[[], str | None]  # a problem in a few words, or None when all is well


class Readiness:
    """Parts this process waits for, and probes of the parts that run."""

    def __init__(self, sessions: Sessions, *, stopping: asyncio.Event | None = None) -> None:
        self._sessions = sessions
        self._stopping = stopping
        self._head = head_revision()
        self._waiting: set[str] = set()
        self._probes: dict[str, Probe] = {}

    def expect(self, *parts: str) -> None:
        """`parts` must start before the process is ready."""
        self._waiting.update(parts)

    def started(self, part: str, probe: Probe | None = None) -> None:
        """`part` started; `probe` says from now on whether it still runs."""
        self._waiting.discard(part)
        if probe is not None:
            self._probes[part] = probe

    async def failures(self) -> dict[str, str]:
        """What is not ready, by part (empty: ready)."""
        failed: dict[str, str] = {part: "not started" for part in sorted(self._waiting)}
        if self._stopping is not None and self._stopping.is_set():
            failed["process"] = "stopping"
        try:
            async with asyncio.timeout(5.0), self._sessions() as db:
                await db.execute(text("SELECT 1"))
                revision = await revision_of(db)
        except Exception as exc:
            log.warning("readiness: the database does not answer: %s", type(exc).__name__)
            failed["database"] = f"does not answer ({type(exc).__name__})"
        else:
            if revision != self._head:
                failed["migrations"] = f"at {revision}, the code needs {self._head}"
        for part, probe in self._probes.items():
            problem = probe()
            if problem:
                failed[part] = problem
        return failed
