"""The outbox worker: claim rows with a lease, send them paced per channel, record outcomes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import random
import socket
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.counters import count_outcome
from bot.delivery import (
    Blocked,
    ChatMigrated,
    ChatRateLimited,
    DeliveryError,
    OutsideWindow,
    PermanentFailure,
    RateLimited,
    Sender,
    TransientFailure,
)
from bot.flow import ChannelFlow
from bot.logs import log_fields
from bot.pacing import ChannelLimits
from core.clock import Clock
from core.outbox import BULK_PRIORITY, PRIORITIES, OutboxBell
from core.types import Reply
from db import outbox_claims as claims
from db.engine import Sessions
from db.outbox_claims import ClaimedRow, Outcome
from db.outbox_status import mark_unreachable

__all__ = ["ChannelLimits", "OutboxWorker", "Prepare", "WorkerConfig", "WorkerStats"]

log = logging.getLogger(__name__)

# Makes what a payload only names (a certificate's PDF) for its recipient, just before the
# send; raises PermanentFailure when it cannot be made any more (a revoked certificate).
Prepare = Callable[[Reply, int | None], Awaitable[Reply]]


@dataclass(frozen=True)
class WorkerConfig:
    """How the worker claims, paces and retries."""

    concurrency: int = 64  # sends in flight per channel at most
    buffer_seconds: float = 1.0  # claim about this much work: an urgent row waits at most this
    claim_max: int = 1000  # and never more rows than this at once
    lease: timedelta = timedelta(seconds=60)  # a claimed row returns to others after this
    poll_interval: float = 1.0  # look for rows written by other processes this often
    maintenance_interval: float = 5.0  # reclaim expired leases this often
    expiry_interval: float = 60.0  # skip expired and stale pending rows this often
    stale_after: timedelta = timedelta(hours=24)  # pending rows nobody delivers end as skipped
    max_attempts: int = 5  # claims (sends) of one row before it fails for good
    backoff_base: float = 2.0  # seconds before the first retry; doubles each time
    backoff_max: float = 300.0
    bulk_share: float = 0.2  # share of each claim kept for bulk rows (announcements)
    max_chat_wait: float = 2.0  # wait in place for a chat's pace up to this, else requeue
    # Outcomes known but not yet written, at most. After a crash, rows sent but not yet
    # recorded are sent again: this bounds them (plus the sends in flight). Writes lag
    # most when the loop is saturated (full speed); at 30 msg/s a handful are pending.
    max_unrecorded: int = 1000


@dataclass
class WorkerStats:
    """What this worker did since it started."""

    claimed: int = 0
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    retried: int = 0
    released: int = 0
    reclaimed: int = 0
    rate_limited: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)


class _Lane:
    """The state of one channel: its sender, flow control and queue of claimed rows."""

    def __init__(self, sender: Sender, flow: ChannelFlow, config: WorkerConfig) -> None:
        self.sender = sender
        self.channel = sender.channel
        self.flow = flow
        limits = flow.limits
        per_rate = math.ceil((limits.rate or math.inf) * config.buffer_seconds) \
            if limits.rate is not None else config.claim_max
        self.target = max(1, min(config.claim_max, max(per_rate, 1)))
        self.workers = max(1, min(config.concurrency, self.target))
        self.queue: asyncio.Queue[ClaimedRow | None] = asyncio.Queue()
        self.inflight = 0
        self.kick = asyncio.Event()  # new rows may be due, or the buffer has room again
        self.hungry = False  # the claimer waits for room in the buffer

    def pending_work(self) -> int:
        return self.queue.qsize() + self.inflight


class OutboxWorker:
    """Deliver due outbox rows through the registered senders until stopped.

    Several workers (in one process or many, on SQLite or PostgreSQL) can share a
    database: a row is claimed by one of them with a lease, and only the claimer
    records its outcome; a claim returns when its claimer's heartbeat goes stale (name the
    worker after its process's heartbeat), or when its lease runs out. Each channel's pace
    and 429 pauses are shared with every other sender of the channel (`bot.flow`): pass the
    channel's own `ChannelFlow` in `flows` to share it with its replies too.
    """

    def __init__(
        self,
        sessions: Sessions,
        clock: Clock,
        senders: Iterable[Sender],
        *,
        limits: Mapping[str, ChannelLimits] | None = None,
        flows: Mapping[str, ChannelFlow] | None = None,
        config: WorkerConfig | None = None,
        name: str | None = None,
        personalise: Callable[[Reply, int | None], Reply] | None = None,
        bell: OutboxBell | None = None,
        prepare: Prepare | None = None,
    ) -> None:
        self._sessions = sessions
        self._prepare = prepare
        # Rings after an in-process commit that enqueued rows; without one given, the
        # worker listens on its session factory itself.
        self._bell = bell
        self._clock = clock
        # Adjusts a shared payload for its recipient (signs buttons for the person: see
        # schedules.attendance_prompts.sign_for) just before it is sent.
        self._personalise = personalise
        self.config = config or WorkerConfig()
        limits = limits or {}
        flows = flows or {}
        self._lanes = {
            s.channel: _Lane(
                s, flows.get(s.channel) or ChannelFlow(
                    sessions, s.channel, limits.get(s.channel, ChannelLimits())),
                self.config)
            for s in senders
        }
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.stats = WorkerStats()
        self._payloads: OrderedDict[int, Reply] = OrderedDict()
        self._outcomes: list[Outcome] = []
        self._unrecorded = 0  # outcomes in `_outcomes` or being written
        self._max_unrecorded = max(1, self.config.max_unrecorded)
        self._recorded = asyncio.Event()
        self._flush_kick = asyncio.Event()
        self._stop_event = asyncio.Event()
        self._stopping = False
        self._final = False  # workers are done: the flusher writes what is left and ends
        self._runner: asyncio.Task[None] | None = None
        self._workers: list[asyncio.Task[None]] = []

    # --- lifecycle ------------------------------------------------------------------

    @property
    def channels(self) -> list[str]:
        """The channels this dispatcher delivers."""
        return list(self._lanes)

    def wake(self) -> None:
        """Look for new rows now (called after an in-process commit that enqueued)."""
        for lane in self._lanes.values():
            lane.kick.set()

    def start(self) -> None:
        """Run in the background until `stop()`."""
        if self._runner is None:
            # Reset here, not in run(): a stop() that comes before the task first runs
            # must not be undone by it.
            self._stopping = self._final = False
            self._stop_event.clear()
            self._runner = asyncio.create_task(self.run(), name=f"outbox worker {self.name}")

    async def run(self) -> None:
        """Deliver until `stop()` is called."""
        bell = self._bell or OutboxBell(self._sessions)
        bell.subscribe(self.wake)
        for lane in self._lanes.values():
            await lane.flow.start()
        claimers = [asyncio.create_task(self._claimer(lane)) for lane in self._lanes.values()]
        workers = self._workers = [
            asyncio.create_task(self._worker(lane))
            for lane in self._lanes.values()
            for _ in range(lane.workers)
        ]
        maintenance = asyncio.create_task(self._maintenance())
        flusher = asyncio.create_task(self._flusher())
        try:
            await asyncio.gather(*claimers, maintenance)
            # Claimers have returned: workers finish what is in flight, then end.
            for lane in self._lanes.values():
                for _ in range(lane.workers):
                    lane.queue.put_nowait(None)
            # (A worker cancelled by stop()'s grace ends here too.)
            await asyncio.gather(*workers, return_exceptions=True)
            self._final = True
            self._flush_kick.set()
            await flusher
            await self._release_mine()
        finally:
            bell.unsubscribe(self.wake)
            if self._bell is None:
                bell.close()
            for lane in self._lanes.values():
                await lane.flow.stop()
            for task in [*claimers, *workers, maintenance, flusher]:
                task.cancel()

    async def stop(self, grace: float = 3.0) -> None:
        """Stop claiming, finish the sends in flight (within `grace` seconds, then abandon
        them: their rows may be sent again), record them, give back the rest."""
        self._stopping = True
        self._stop_event.set()
        for lane in self._lanes.values():
            lane.kick.set()
        if self._runner is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._runner), grace)
            except TimeoutError:
                late = [w for w in self._workers if not w.done()]
                log.warning("abandoned %d sends in flight at stop", len(late))
                for task in late:
                    task.cancel()
                await self._runner
            self._runner = None

    async def run_until_idle(self, *, limit: float = 30.0, settle: float = 0.0) -> None:
        """Deliver until nothing due is left for these channels (tests and one-shot tools).

        `settle` keeps going that long after the queue first looks empty (for retries
        that become due shortly).
        """
        self.start()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        quiet_since: float | None = None
        try:
            while loop.time() < deadline:
                await asyncio.sleep(0.05)
                busy = any(lane.pending_work() for lane in self._lanes.values())
                if not busy and not self._outcomes and await self._nothing_due():
                    quiet_since = quiet_since or loop.time()
                    if loop.time() - quiet_since >= settle:
                        return
                else:
                    quiet_since = None
            raise TimeoutError("outbox not drained in time")
        finally:
            await self.stop()

    async def _nothing_due(self) -> bool:
        async with self._sessions() as db:
            return await claims.nothing_due(db, self.channels, self._clock.now())

    # --- claiming -------------------------------------------------------------------

    async def _claimer(self, lane: _Lane) -> None:
        while not self._stopping:
            lane.kick.clear()
            pause = lane.flow.paused_for()
            if pause > 0:
                await self._wait(lane.kick, pause)
                continue
            room = lane.target - lane.pending_work()
            if room >= max(1, lane.target // 2):
                try:
                    rows = await self._claim(lane.channel, room)
                except Exception:
                    log.exception("claiming %s rows failed; will retry", lane.channel)
                    await self._wait(self._stop_event, self.config.poll_interval)
                    continue
                for row in rows:
                    lane.queue.put_nowait(row)
                if len(rows) < room:
                    # Nothing more is due: wait for new rows (in-process kick) or poll.
                    await self._wait(lane.kick, self.config.poll_interval)
                    continue
            # The buffer is full: workers kick when it drains to half.
            lane.hungry = True
            await self._wait(lane.kick, self.config.poll_interval)

    async def _wait(self, event: asyncio.Event, seconds: float) -> None:
        if self._stopping:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), seconds)

    async def _claim(self, channel: str, n: int) -> list[ClaimedRow]:
        """Claim up to `n` due rows: urgent levels first, but keep `bulk_share` of the
        claim for bulk rows while there are any."""
        now = self._clock.now()
        lease_until = now + self.config.lease
        bulk_levels = [p for p in PRIORITIES if p >= BULK_PRIORITY]
        urgent_levels = [p for p in PRIORITIES if p < BULK_PRIORITY]
        async with self._sessions() as db, db.begin():
            bulk: list[ClaimedRow] = []
            reserve = math.ceil(n * self.config.bulk_share)
            for p in bulk_levels:
                if len(bulk) < reserve:
                    bulk += await self._claim_level(db, channel, p, reserve - len(bulk), now,
                                                    lease_until)
            urgent: list[ClaimedRow] = []
            for p in urgent_levels:
                left = n - len(bulk) - len(urgent)
                if left <= 0:
                    break
                urgent += await self._claim_level(db, channel, p, left, now, lease_until)
            for p in bulk_levels:
                left = n - len(bulk) - len(urgent)
                if left <= 0:
                    break
                bulk += await self._claim_level(db, channel, p, left, now, lease_until)
            rows = urgent + bulk
            await self._load_payloads(db, {r.payload_id for r in rows})
        self.stats.claimed += len(rows)
        return rows

    async def _claim_level(
        self, db: AsyncSession, channel: str, priority: int, limit: int,
        now: datetime, lease_until: datetime,
    ) -> list[ClaimedRow]:
        return await claims.claim_level(db, worker=self.name, channel=channel,
                                        priority=priority, limit=limit, now=now,
                                        lease_until=lease_until)

    async def _load_payloads(self, db: AsyncSession, ids: set[int]) -> None:
        missing = [i for i in ids if i not in self._payloads]
        for i in ids:
            if i in self._payloads:
                self._payloads.move_to_end(i)
        if missing:
            for pid, body in (await claims.payload_bodies(db, missing)).items():
                self._payloads[pid] = Reply.from_dict(body)
        while len(self._payloads) > 1024:
            self._payloads.popitem(last=False)

    # --- delivering -----------------------------------------------------------------

    async def _worker(self, lane: _Lane) -> None:
        while True:
            row = await lane.queue.get()
            if row is None:
                return
            lane.inflight += 1
            try:
                with log_fields(row_id=row.id):
                    outcome = await self._deliver(lane, row)
            except Exception as exc:  # a bug must not kill the worker; record it
                log.exception("delivering outbox row %d failed unexpectedly", row.id)
                outcome = Outcome(row.id, "failed", f"internal error: {type(exc).__name__}")
            finally:
                lane.inflight -= 1
            count_outcome(lane.channel, row.kind, outcome.status, outcome.error)
            self._record(outcome)
            if lane.hungry and lane.pending_work() <= lane.target // 2:
                lane.hungry = False
                lane.kick.set()

    def _release(self, row: ClaimedRow, delay: float, reason: str) -> Outcome:
        self.stats.released += 1
        return Outcome(row.id, "pending", reason,
                        not_before=self._clock.now() + timedelta(seconds=delay),
                        attempts_delta=-1)

    async def _deliver(self, lane: _Lane, row: ClaimedRow) -> Outcome:
        if row.expires_at is not None and self._clock.now() >= row.expires_at:
            return Outcome(row.id, "skipped", "expired")
        if self._stopping:
            return self._release(row, 0, "dispatcher stopped")
        flow = lane.flow
        wait = flow.chat_delay(row.chat_id)
        if wait > self.config.max_chat_wait:
            return self._release(row, wait, "chat pacing")
        wait = flow.book_chat(row.chat_id)
        if wait > 0:
            await asyncio.sleep(wait)
        await flow.broadcast_slot()
        if self._stopping:
            return self._release(row, 0, "dispatcher stopped")
        pause = flow.paused_for()
        while 0 < pause <= self.config.max_chat_wait and not self._stopping:
            # A short pause (Telegram's 429 says 1 s): wait it out holding the claim, then
            # take a paced slot again. Releasing the buffer instead costs another second or
            # two (the rows must be written back and claimed again), each time.
            await asyncio.sleep(pause)
            await flow.broadcast_slot()
            pause = flow.paused_for()
        if self._stopping:
            return self._release(row, 0, "dispatcher stopped")
        if pause > 0:
            return self._release(row, pause, "channel paused")
        while self._unrecorded >= self._max_unrecorded:
            # The flusher is behind: sending more would widen what a crash resends.
            self._recorded.clear()
            await self._recorded.wait()
        reply = await self._reply_for(row)
        if isinstance(reply, Outcome):
            return reply
        chat_id = row.chat_id
        for _hop in range(2):
            try:
                message_id = await lane.sender.deliver(chat_id, reply)
            except ChatMigrated as exc:
                await self._follow_migration(lane.channel, chat_id, exc.new_chat_id)
                chat_id = exc.new_chat_id
                continue
            except ChatRateLimited as exc:
                # Only this chat waits; the channel goes on with everyone else.
                self.stats.rate_limited += 1
                flow.hold_chat(chat_id, exc.retry_after)
                return self._release(row, exc.retry_after, f"chat rate limited {exc.retry_after}s")
            except RateLimited as exc:
                self.stats.rate_limited += 1
                await flow.pause(exc.retry_after)
                return self._release(row, exc.retry_after, f"rate limited {exc.retry_after}s")
            except Blocked as exc:
                await self._mark_unreachable(lane.channel, row)
                return Outcome(row.id, "failed", f"blocked: {exc}")
            except TransientFailure as exc:
                return self._retry(row, f"transient: {exc}")
            except OutsideWindow as exc:
                return Outcome(row.id, "failed", f"outside window: {exc}")
            except PermanentFailure as exc:
                return Outcome(row.id, "failed", f"permanent: {exc}")
            except DeliveryError as exc:
                return Outcome(row.id, "failed", f"{type(exc).__name__}: {exc}")
            return Outcome(row.id, "sent", message_id=message_id)
        return Outcome(row.id, "failed", "chat migrated twice")

    async def _reply_for(self, row: ClaimedRow) -> Reply | Outcome:
        """The row's reply for its recipient: buttons signed, a named document made (an
        outcome instead when the document cannot be made)."""
        reply = self._payloads.get(row.payload_id)
        if reply is None:
            async with self._sessions() as db:
                await self._load_payloads(db, {row.payload_id})
            reply = self._payloads[row.payload_id]
        if self._personalise is not None:
            reply = self._personalise(reply, row.person_id)
        if self._prepare is not None:
            try:
                reply = await self._prepare(reply, row.person_id)
            except PermanentFailure as exc:
                return Outcome(row.id, "failed", f"permanent: {exc}")
            except TransientFailure as exc:
                return self._retry(row, f"transient: {exc}")
        return reply

    def _retry(self, row: ClaimedRow, error: str) -> Outcome:
        if row.attempts >= self.config.max_attempts:
            return Outcome(row.id, "failed", f"gave up after {row.attempts} attempts: {error}")
        delay = min(self.config.backoff_max,
                    self.config.backoff_base * 2 ** (row.attempts - 1))
        delay *= random.uniform(0.8, 1.2)
        self.stats.retried += 1
        return Outcome(row.id, "pending", error,
                        not_before=self._clock.now() + timedelta(seconds=delay))

    async def _mark_unreachable(self, channel: str, row: ClaimedRow) -> None:
        if row.person_id is None:
            return
        async with self._sessions() as db, db.begin():
            skipped = await mark_unreachable(db, row.person_id, channel)
        log.info("person %d blocked the bot on %s; %d pending rows skipped",
                 row.person_id, channel, skipped)

    async def _follow_migration(self, channel: str, old: str, new: str) -> None:
        async with self._sessions() as db, db.begin():
            await claims.follow_migration(db, channel=channel, old=old, new=new)
        log.info("a %s chat migrated; identity and pending rows follow it", channel)

    # --- recording ------------------------------------------------------------------

    def _record(self, outcome: Outcome) -> None:
        self._outcomes.append(outcome)
        self._unrecorded += 1
        if outcome.status == "sent":
            self.stats.sent += 1
        elif outcome.status == "failed":
            self.stats.failed += 1
        elif outcome.status == "skipped":
            self.stats.skipped += 1
        if outcome.status in ("failed", "skipped") and outcome.error:
            reason = outcome.error.split(":", 1)[0]
            self.stats.by_reason[reason] = self.stats.by_reason.get(reason, 0) + 1
        self._flush_kick.set()

    async def _flusher(self) -> None:
        while True:
            await self._flush_kick.wait()
            self._flush_kick.clear()
            if not self._outcomes:
                if self._final:
                    return
                continue
            batch, self._outcomes = self._outcomes, []
            try:
                await self._write(batch)
            except Exception:
                log.exception("recording %d outcomes failed; will retry", len(batch))
                self._outcomes = batch + self._outcomes
                await asyncio.sleep(0.5)
            else:
                self._unrecorded -= len(batch)
                self._recorded.set()
            self._flush_kick.set()

    async def _write(self, batch: list[Outcome]) -> None:
        async with self._sessions() as db, db.begin():
            await claims.write_outcomes(db, worker=self.name, outcomes=batch,
                                        now=self._clock.now())

    async def _release_mine(self) -> None:
        """Give back rows claimed but never attempted (at stop)."""
        async with self._sessions() as db, db.begin():
            count = await claims.release_claims(db, worker=self.name)
        if count:
            log.info("released %d claimed rows at stop", count)

    # --- maintenance ----------------------------------------------------------------

    async def _maintenance(self) -> None:
        loop = asyncio.get_running_loop()
        next_expiry = next_renewal = 0.0
        renew_every = min(self.config.maintenance_interval, self.config.lease.total_seconds() / 3)
        while not self._stopping:
            try:
                holding = self._unrecorded or any(
                    lane.pending_work() for lane in self._lanes.values())
                if holding and loop.time() >= next_renewal:
                    await self.renew_leases()
                    next_renewal = loop.time() + renew_every
                await self.reclaim_expired()
                if loop.time() >= next_expiry:
                    await self.expire_pending()
                    next_expiry = loop.time() + self.config.expiry_interval
            except Exception:
                log.exception("outbox maintenance failed; will retry")
            await self._wait(self._stop_event, min(renew_every,
                                                   self.config.maintenance_interval))

    async def renew_leases(self) -> int:
        """Extend the lease of every row this worker holds: a lease then expires only
        when its holder is dead or stalled, not because a claim took long to work through."""
        async with self._sessions() as db, db.begin():
            return await claims.renew_leases(db, worker=self.name,
                                             until=self._clock.now() + self.config.lease)

    async def reclaim_expired(self) -> int:
        """Return rows whose lease expired (their worker died) to pending; fail a row
        that has used up its attempts this way (it may be what kills the worker)."""
        async with self._sessions() as db, db.begin():
            count, failed = await claims.reclaim_expired(
                db, now=self._clock.now(), max_attempts=self.config.max_attempts)
        if count:
            self.stats.reclaimed += count
            log.warning("reclaimed %d rows whose lease expired", count)
        if failed:
            log.warning("%d rows failed: lease expired too often", failed)
        return count

    async def expire_pending(self) -> int:
        """End as skipped the pending rows past their `expires_at`, and rows pending for
        longer than `stale_after` (no worker serves their channel)."""
        async with self._sessions() as db, db.begin():
            count = await claims.expire_pending(db, now=self._clock.now(),
                                                stale_after=self.config.stale_after)
        if count:
            log.info("skipped %d expired or stale outbox rows", count)
        return count

