"""Work through a stored inbox: claim chats, handle each chat's messages in order.

Every channel stores what it receives before acknowledging it (Telegram's updates,
WhatsApp's webhook messages); this processor then takes them from the store. Any number of
processes may run one on the same database: a chat's messages are claimed together by one
process (`db.inbox_claims`), handled one after another in arrival order, and different chats
in parallel. A process that dies gives its chats back as soon as its heartbeat is stale.

What happens to each message is the channel's `Process`: handle it (its effects committed
once, with the "handled" mark), send its replies, and say whether it is done or failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from bot.counters import observe_update
from bot.logs import log_fields
from core.clock import Clock
from db import inbox_claims as claims
from db.engine import Sessions
from db.inbox_claims import ClaimedMessage, InboxTable

__all__ = ["InboxProcessor", "InboxStats", "Interrupted", "LostClaim", "Process"]

log = logging.getLogger(__name__)

PURGE_EVERY = 3600.0  # seconds between purges of finished rows
# After a claim that found less than it had room for, new work is claimed this long after
# the first sign of it: a burst then costs a claim per many chats, not one per chat.
GATHER = 0.005


class LostClaim(Exception):
    """Another process holds the message now (this one was thought dead): leave its chat."""


class Interrupted(Exception):
    """The process is stopping: leave the message as it is (it stays stored)."""


# Handle one message and send its replies; return None when done, or the error it failed
# with. Raises LostClaim, or anything else to be tried again later.
Process = Callable[[ClaimedMessage], Awaitable[str | None]]


@dataclass
class InboxStats:
    """What this processor did since it started."""

    claims: int = 0  # claim transactions
    claimed: int = 0
    done: int = 0
    failed: int = 0
    resent: int = 0  # handled before a crash or stop: their replies were sent again
    lost: int = 0  # taken over by another process meanwhile
    errors: int = 0  # processing raised: given back to be tried again
    reclaimed: int = 0  # rows of dead processes this one freed


class InboxProcessor:
    """Claim stored messages per chat and hand them to `process`, until stopped.

    `name` is this process's (its heartbeat's), so that others free its chats as soon as
    it stops beating. At most `concurrency` chats are worked on at once.
    """

    def __init__(
        self,
        sessions: Sessions,
        clock: Clock,
        spec: InboxTable,
        process: Process,
        *,
        name: str,
        label: str,
        concurrency: int = 64,
        lease: timedelta = timedelta(seconds=60),
        poll_interval: float = 1.0,
        maintenance_interval: float = 2.0,
        max_attempts: int = 5,
        keep_for: timedelta = timedelta(days=1),
        halt: asyncio.Event | None = None,
        channel: str | None = None,
    ) -> None:
        self._sessions = sessions
        self.channel = channel or label.lower()  # the metrics' label
        self._clock = clock
        self.spec = spec
        self._process = process
        self.name = name
        self.label = label
        self.concurrency = concurrency
        self.lease = lease
        self.poll_interval = poll_interval
        self.maintenance_interval = maintenance_interval
        self.max_attempts = max_attempts
        self.keep_for = keep_for
        self.stats = InboxStats()
        # What log lines written while handling a row name it by (bot.logs.log_fields).
        self._log_key = "update_id" if spec.key == "update_id" else "inbox_id"
        self.stopping = asyncio.Event()
        # Set when the whole process begins to stop: take no new work from then on.
        self._halt = halt or asyncio.Event()
        self._kick = asyncio.Event()
        self._chats: dict[str, asyncio.Task[None]] = {}
        self._started: set[int] = set()  # keys handed to `process` and not finished
        self._done: list[int] = []
        self._failed: list[tuple[int, str]] = []
        self._flush_kick = asyncio.Event()
        self._flushed = asyncio.Event()
        self._give_back: set[int] = set()  # keys to free (processing raised), retried
        self._tasks: list[asyncio.Task[None]] = []

    # --- lifecycle --------------------------------------------------------------------

    @property
    def busy(self) -> int:
        """How many chats are being worked on now."""
        return len(self._chats)

    @property
    def halted(self) -> bool:
        """Whether this processor takes no new work (stopping, or the process is)."""
        return self.stopping.is_set() or self._halt.is_set()

    def problem(self) -> str | None:
        """Why it is not working (for /readyz), or None."""
        if not self._tasks:
            return "not running"
        dead = [t.get_name() for t in self._tasks if t.done()]
        return f"stopped: {', '.join(dead)}" if dead else None

    def wake(self) -> None:
        """New messages were stored: look now instead of at the next poll."""
        self._kick.set()

    def start(self) -> None:
        """Work in the background until `stop()`."""
        if not self._tasks:
            self.stopping.clear()
            self._tasks = [
                asyncio.create_task(self._claimer(), name=f"{self.label} inbox"),
                asyncio.create_task(self._flusher(), name=f"{self.label} inbox flusher"),
                asyncio.create_task(self._maintenance(), name=f"{self.label} inbox upkeep"),
            ]

    async def stop(self, grace: float = 3.0) -> None:
        """Stop claiming; let the messages in hand finish within `grace` seconds, then cancel
        them; record what finished and give back everything else (it stays stored)."""
        if not self._tasks:
            return
        self.stopping.set()
        self._kick.set()
        claimer, flusher, upkeep = self._tasks
        await claimer
        upkeep.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await upkeep
        chats = list(self._chats.values())
        if chats:
            _, late = await asyncio.wait(chats, timeout=grace)
            for task in late:
                task.cancel()
            if late:
                log.warning("stopped with %d %s chat(s) unfinished; their messages stay "
                            "stored", len(late), self.label)
            await asyncio.gather(*chats, return_exceptions=True)
        self._flush_kick.set()
        self.stopping.set()
        await flusher
        self._tasks = []
        try:
            async with self._sessions() as db, db.begin():
                # Started but unfinished: the attempt counts; never started: it does not.
                await claims.release(db, self.spec, worker=self.name, keys=self._started)
                await claims.release(db, self.spec, worker=self.name, give_back_attempt=True)
        except Exception:
            log.exception("giving back the %s inbox claims failed (they return when this "
                          "process's heartbeat goes stale)", self.label)
        self._started.clear()

    async def wait_idle(self, within: float = 10.0) -> None:
        """Wait until nothing is in hand or unrecorded and no open row is left (tests)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while loop.time() < deadline:
            if not self._chats and not self._done and not self._failed:
                async with self._sessions() as db:
                    found = await claims.counts(db, self.spec)
                if not found.get("pending") and not found.get("handled"):
                    return
                self.wake()
            await asyncio.sleep(0.02)
        raise TimeoutError(f"the {self.label} inbox did not become idle")

    # --- claiming -----------------------------------------------------------------------

    async def _claimer(self) -> None:
        while not self.stopping.is_set():
            self._kick.clear()
            room = self.concurrency - len(self._chats)
            chats = 0
            if room > 0 and not self._halt.is_set():
                try:
                    chats = await self._claim(room)
                except Exception:
                    log.exception("claiming %s inbox rows failed; will retry", self.label)
            if chats and chats == room:
                continue  # there may be more
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._kick.wait(), self.poll_interval)
            await asyncio.sleep(GATHER)

    async def _claim(self, room: int) -> int:
        """Claim up to `room` chats; return how many."""
        async with self._sessions() as db, db.begin():
            rows = await claims.claim_chats(
                db, self.spec, worker=self.name, now=self._clock.now(), lease=self.lease,
                chats=room, max_attempts=self.max_attempts)
        groups: dict[str, list[ClaimedMessage]] = {}
        for row in rows:
            groups.setdefault(row.chat, []).append(row)
        resent = sum(1 for row in rows if row.status == "handled")
        if resent:
            self.stats.resent += resent
            log.warning("sending again the replies of %d %s message(s) handled before a "
                        "crash or stop (some may have gone out already)", resent, self.label)
        self.stats.claims += 1
        self.stats.claimed += len(rows)
        for chat, group in groups.items():
            task = asyncio.create_task(self._work(chat, group))
            self._chats[chat] = task
        return len(groups)

    # --- one chat -----------------------------------------------------------------------

    async def _work(self, chat: str, rows: list[ClaimedMessage]) -> None:
        try:
            for row in rows:
                if self.halted:
                    return  # the rest is given back at stop
                self._started.add(row.key)
                try:
                    with log_fields(**{self._log_key: row.key}):
                        error = await self._process(row)
                except Interrupted:
                    return  # given back at stop
                except LostClaim:
                    self.stats.lost += 1
                    self._started.discard(row.key)
                    log.warning("a %s chat was taken over by another process", self.label)
                    return
                except Exception:
                    self.stats.errors += 1
                    log.exception("processing a %s message failed; it will be tried again",
                                  self.label)
                    self._give_back.update(r.key for r in rows if r.key >= row.key)
                    return
                self._observe(row, error)
                if error is None:
                    self._done.append(row.key)
                else:
                    self._failed.append((row.key, error))
                self._flush_kick.set()
        finally:
            self._chats.pop(chat, None)
            self._kick.set()

    def _observe(self, row: ClaimedMessage, error: str | None) -> None:
        """Count a handled message and the time from its storing to its replies sent (not
        for one handled before a crash: its time would tell of the restart)."""
        seconds = None
        if row.received_at is not None and row.status == "pending":
            seconds = (self._clock.now() - row.received_at).total_seconds()
        observe_update(self.channel, error, seconds)

    # --- recording ----------------------------------------------------------------------

    async def _flusher(self) -> None:
        while True:
            await self._flush_kick.wait()
            self._flush_kick.clear()
            if not self._done and not self._failed:
                if self.stopping.is_set() and not self._chats:
                    return
                continue
            done, self._done = self._done, []
            failed, self._failed = self._failed, []
            try:
                async with self._sessions() as db, db.begin():
                    await claims.finish(db, self.spec, worker=self.name,
                                        now=self._clock.now(), done=done, failed=failed)
            except Exception:
                log.exception("recording %d %s inbox outcomes failed; will retry",
                              len(done) + len(failed), self.label)
                self._done, self._failed = done + self._done, failed + self._failed
                await asyncio.sleep(0.5)
            else:
                self.stats.done += len(done)
                self.stats.failed += len(failed)
                self._started.difference_update(done)
                self._started.difference_update(k for k, _ in failed)
            self._flush_kick.set()

    # --- upkeep -------------------------------------------------------------------------

    async def _maintenance(self) -> None:
        loop = asyncio.get_running_loop()
        next_purge = loop.time()
        next_renewal = 0.0
        renew_every = min(self.maintenance_interval, self.lease.total_seconds() / 3)
        while True:
            try:
                await self._upkeep(loop.time() >= next_renewal, loop.time() >= next_purge)
            except Exception:
                log.exception("%s inbox upkeep failed; will retry", self.label)
            else:
                if loop.time() >= next_renewal:
                    next_renewal = loop.time() + renew_every
                if loop.time() >= next_purge:
                    next_purge = loop.time() + PURGE_EVERY
            await asyncio.sleep(min(renew_every, self.maintenance_interval))

    async def _upkeep(self, renew: bool, purge: bool) -> None:
        now = self._clock.now()
        async with self._sessions() as db, db.begin():
            if renew and (self._chats or self._started):
                await claims.renew(db, self.spec, worker=self.name, until=now + self.lease)
            if self._give_back:
                keys = set(self._give_back)
                await claims.release(db, self.spec, worker=self.name, keys=keys)
                self._give_back -= keys
                self._started -= keys
                self._kick.set()
            freed = await claims.reclaim_dead(db, self.spec, worker=self.name, now=now)
            if purge:
                purged = await claims.purge(db, self.spec, before=now - self.keep_for)
        if freed:
            self.stats.reclaimed += freed
            log.warning("took back %d %s message(s) held by a process that is gone",
                        freed, self.label)
            self._kick.set()
        if purge and purged:
            log.info("purged %d finished %s inbox rows", purged, self.label)
