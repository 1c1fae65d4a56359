"""Deliver the outbox: claim rows with a lease, send them paced per channel, record the outcome."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import random
import socket
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Table, and_, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
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
from bot.outbox import BULK_PRIORITY, PRIORITIES, add_wake_listener, remove_wake_listener
from db.engine import Sessions, rows_touched
from db.models.outbox import OutboxMessage, OutboxPayload
from db.models.people import Identity, Person
from handlers.types import Reply

__all__ = ["ChannelLimits", "DispatcherConfig", "DispatcherStats", "OutboxDispatcher"]

log = logging.getLogger(__name__)

_T: Table = OutboxMessage.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class ChannelLimits:
    """Pacing of one channel: messages per second overall and to one chat (None: no limit)."""

    rate: float | None = 30.0
    chat_rate: float | None = 1.0


@dataclass(frozen=True)
class DispatcherConfig:
    """How the dispatcher claims, paces and retries."""

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
class DispatcherStats:
    """What this dispatcher did since it started."""

    claimed: int = 0
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    retried: int = 0
    released: int = 0
    reclaimed: int = 0
    rate_limited: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class _Row:
    id: int
    person_id: int | None
    chat_id: str
    kind: str
    priority: int
    payload_id: int
    attempts: int
    expires_at: datetime | None


@dataclass(frozen=True)
class _Outcome:
    row_id: int
    status: str  # sent, failed, skipped, pending
    error: str | None = None
    message_id: str | None = None
    not_before: datetime | None = None
    attempts_delta: int = 0  # -1 gives back the claim's attempt (429, stop)


class _Pacer:
    """Never more than `rate` sends in any sliding second, with a little headroom.

    A token bucket lets small bursts through (a 100 ms bucket at 30/s allows 33 in some
    second), and so does a schedule of slots after the event loop stalled (every late
    slot fires at once); a platform that counts a sliding second answers the excess with
    429 and a whole second's pause, which costs far more than it saved. So sends leave
    one at a time, under two rules:

    - the window: a send leaves at least 1.03 s (3% headroom, for jitter between leaving
      here and arriving there) after the send `rate` sends before it;
    - the gap: at least 0.8/rate after the previous send, so the platform never sees
      more than a mild burst.

    Evenly spaced sends meet both; a send that left late (a stalled loop, a slow claim)
    only delays the next ones by the gap, so the lost time is caught up at 1.25 times
    the rate instead of being lost for good. asyncio's sleep overshoots by a millisecond
    or more, so the sleep is shortened by the overshoot measured so far and the last bit
    is waited by yielding.
    """

    HEADROOM = 0.03
    GAP = 0.8

    def __init__(self, rate: float) -> None:
        self.per_window = max(1, math.floor(rate))
        self.window = (1 + self.HEADROOM) * self.per_window / rate
        self.gap = self.GAP / rate
        self._sent: deque[float] = deque(maxlen=self.per_window)  # loop times, oldest first
        self._overshoot = 0.0  # seconds, a moving average
        self._lock = asyncio.Lock()  # FIFO: one waiter sleeps, the others queue

    def due(self) -> float:
        """The earliest loop time the next send may leave."""
        if not self._sent:
            return -math.inf
        due = self._sent[-1] + self.gap
        if len(self._sent) == self.per_window:
            due = max(due, self._sent[0] + self.window)
        return due

    def mark(self, at: float) -> None:
        """A send left at loop time `at`."""
        self._sent.append(at)

    async def acquire(self) -> None:
        """Wait until this send may leave."""
        loop = asyncio.get_running_loop()
        async with self._lock:
            target = self.due()
            while (wait := target - loop.time()) > 0:
                nap = wait - self._overshoot
                if nap > 0:
                    before = loop.time()
                    await asyncio.sleep(nap)
                    late = loop.time() - before - nap
                    self._overshoot = 0.9 * self._overshoot + 0.1 * min(max(late, 0.0), 0.01)
                else:
                    await asyncio.sleep(0)
            self.mark(loop.time())


class _Lane:
    """The state of one channel: its sender, limiters, pause and queue of claimed rows."""

    def __init__(self, sender: Sender, limits: ChannelLimits, config: DispatcherConfig) -> None:
        self.sender = sender
        self.channel = sender.channel
        self.limiter: _Pacer | None = None
        if limits.rate is not None:
            self.limiter = _Pacer(limits.rate)
        self.chat_interval = 1 / limits.chat_rate if limits.chat_rate else None
        self.next_chat: dict[str, float] = {}
        per_rate = math.ceil((limits.rate or math.inf) * config.buffer_seconds) \
            if limits.rate is not None else config.claim_max
        self.target = max(1, min(config.claim_max, max(per_rate, 1)))
        self.workers = max(1, min(config.concurrency, self.target))
        self.queue: asyncio.Queue[_Row | None] = asyncio.Queue()
        self.inflight = 0
        self.kick = asyncio.Event()  # new rows may be due, or the buffer has room again
        self.hungry = False  # the claimer waits for room in the buffer
        self.paused_until = 0.0  # loop time

    def pending_work(self) -> int:
        return self.queue.qsize() + self.inflight


class OutboxDispatcher:
    """Deliver due outbox rows through the registered senders until stopped.

    Several dispatchers (in one process or many, on SQLite or PostgreSQL) can share a
    database: a row is claimed by one of them with a lease, and only the claimer
    records its outcome; a lease that expires (the claimer died) returns the row.
    """

    def __init__(
        self,
        sessions: Sessions,
        clock: Clock,
        senders: Iterable[Sender],
        *,
        limits: Mapping[str, ChannelLimits] | None = None,
        config: DispatcherConfig | None = None,
        name: str | None = None,
        personalise: Callable[[Reply, int | None], Reply] | None = None,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        # Adjusts a shared payload for its recipient (signs buttons for the person: see
        # schedules.attendance_prompts.sign_for) just before it is sent.
        self._personalise = personalise
        self.config = config or DispatcherConfig()
        limits = limits or {}
        self._lanes = {
            s.channel: _Lane(s, limits.get(s.channel, ChannelLimits()), self.config)
            for s in senders
        }
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.stats = DispatcherStats()
        self._payloads: OrderedDict[int, Reply] = OrderedDict()
        self._outcomes: list[_Outcome] = []
        self._unrecorded = 0  # outcomes in `_outcomes` or being written
        self._max_unrecorded = max(1, self.config.max_unrecorded)
        self._recorded = asyncio.Event()
        self._flush_kick = asyncio.Event()
        self._stop_event = asyncio.Event()
        self._stopping = False
        self._final = False  # workers are done: the flusher writes what is left and ends
        self._runner: asyncio.Task[None] | None = None

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
            self._runner = asyncio.create_task(self.run(), name=f"dispatcher {self.name}")

    async def run(self) -> None:
        """Deliver until `stop()` is called."""
        add_wake_listener(self.wake)
        claimers = [asyncio.create_task(self._claimer(lane)) for lane in self._lanes.values()]
        workers = [
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
            await asyncio.gather(*workers)
            self._final = True
            self._flush_kick.set()
            await flusher
            await self._release_mine()
        finally:
            remove_wake_listener(self.wake)
            for task in [*claimers, *workers, maintenance, flusher]:
                task.cancel()

    async def stop(self) -> None:
        """Stop claiming, finish the sends in flight, record them, give back the rest."""
        self._stopping = True
        self._stop_event.set()
        for lane in self._lanes.values():
            lane.kick.set()
        if self._runner is not None:
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
        now = self._clock.now()
        async with self._sessions() as s:
            found = await s.scalar(
                select(OutboxMessage.id).where(
                    OutboxMessage.status.in_(("pending", "sending")),
                    OutboxMessage.channel.in_(self.channels),
                    OutboxMessage.not_before <= now,
                ).limit(1)
            )
        return found is None

    # --- claiming -------------------------------------------------------------------

    async def _claimer(self, lane: _Lane) -> None:
        loop = asyncio.get_running_loop()
        while not self._stopping:
            lane.kick.clear()
            pause = lane.paused_until - loop.time()
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

    async def _claim(self, channel: str, n: int) -> list[_Row]:
        """Claim up to `n` due rows: urgent levels first, but keep `bulk_share` of the
        claim for bulk rows while there are any."""
        now = self._clock.now()
        lease_until = now + self.config.lease
        bulk_levels = [p for p in PRIORITIES if p >= BULK_PRIORITY]
        urgent_levels = [p for p in PRIORITIES if p < BULK_PRIORITY]
        async with self._sessions() as s, s.begin():
            bulk: list[_Row] = []
            reserve = math.ceil(n * self.config.bulk_share)
            for p in bulk_levels:
                if len(bulk) < reserve:
                    bulk += await self._claim_level(s, channel, p, reserve - len(bulk), now,
                                                    lease_until)
            urgent: list[_Row] = []
            for p in urgent_levels:
                left = n - len(bulk) - len(urgent)
                if left <= 0:
                    break
                urgent += await self._claim_level(s, channel, p, left, now, lease_until)
            for p in bulk_levels:
                left = n - len(bulk) - len(urgent)
                if left <= 0:
                    break
                bulk += await self._claim_level(s, channel, p, left, now, lease_until)
            rows = urgent + bulk
            await self._load_payloads(s, {r.payload_id for r in rows})
        self.stats.claimed += len(rows)
        return rows

    async def _claim_level(
        self, s: AsyncSession, channel: str, priority: int, limit: int,
        now: datetime, lease_until: datetime,
    ) -> list[_Row]:
        m = OutboxMessage
        due = (
            select(m.id)
            .where(m.status == "pending", m.channel == channel, m.priority == priority,
                   m.not_before <= now)
            .order_by(m.not_before, m.id)
            .limit(limit)
        )
        if s.get_bind().dialect.name == "postgresql":
            # Other dispatchers skip what this one locked. The CTE is materialised: as a
            # plain IN (subquery) PostgreSQL may re-run it, and with SKIP LOCKED each run
            # finds other rows, so LIMIT would not hold.
            chosen = due.with_for_update(skip_locked=True).cte("due").prefix_with(
                "MATERIALIZED")
            ids = select(chosen.c.id).scalar_subquery()
        else:
            ids = due.scalar_subquery()  # SQLite: one writer at a time, the recheck suffices
        stmt = (
            update(m)
            .where(m.id.in_(ids), m.status == "pending")
            .values(status="sending", claimed_by=self.name, lease_until=lease_until,
                    attempts=m.attempts + 1)
            .returning(m.id, m.person_id, m.chat_id, m.kind, m.priority, m.payload_id,
                       m.attempts, m.expires_at)
            .execution_options(synchronize_session=False)
        )
        result = await s.execute(stmt)
        rows = [
            _Row(id=r[0], person_id=r[1], chat_id=r[2], kind=r[3], priority=r[4],
                 payload_id=r[5], attempts=r[6], expires_at=r[7])
            for r in result.all()
        ]
        # RETURNING gives rows in no promised order.
        rows.sort(key=lambda r: r.id)
        return rows

    async def _load_payloads(self, s: AsyncSession, ids: set[int]) -> None:
        missing = [i for i in ids if i not in self._payloads]
        for i in ids:
            if i in self._payloads:
                self._payloads.move_to_end(i)
        if missing:
            result = await s.execute(
                select(OutboxPayload.id, OutboxPayload.body).where(OutboxPayload.id.in_(missing))
            )
            for pid, body in result.all():
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
                outcome = await self._deliver(lane, row)
            except Exception as exc:  # a bug must not kill the worker; record it
                log.exception("delivering outbox row %d failed unexpectedly", row.id)
                outcome = _Outcome(row.id, "failed", f"internal error: {type(exc).__name__}")
            finally:
                lane.inflight -= 1
            self._record(outcome)
            if lane.hungry and lane.pending_work() <= lane.target // 2:
                lane.hungry = False
                lane.kick.set()

    def _release(self, row: _Row, delay: float, reason: str) -> _Outcome:
        self.stats.released += 1
        return _Outcome(row.id, "pending", reason,
                        not_before=self._clock.now() + timedelta(seconds=delay),
                        attempts_delta=-1)

    async def _deliver(self, lane: _Lane, row: _Row) -> _Outcome:
        loop = asyncio.get_running_loop()
        if row.expires_at is not None and self._clock.now() >= row.expires_at:
            return _Outcome(row.id, "skipped", "expired")
        if self._stopping:
            return self._release(row, 0, "dispatcher stopped")
        if lane.chat_interval is not None:
            t = loop.time()
            nxt = lane.next_chat.get(row.chat_id, 0.0)
            if nxt - t > self.config.max_chat_wait:
                return self._release(row, nxt - t, "chat pacing")
            lane.next_chat[row.chat_id] = max(t, nxt) + lane.chat_interval
            if len(lane.next_chat) > 10_000:
                lane.next_chat = {c: v for c, v in lane.next_chat.items() if v > t}
            if nxt > t:
                await asyncio.sleep(nxt - t)
        if lane.limiter is not None:
            await lane.limiter.acquire()
        if self._stopping:
            return self._release(row, 0, "dispatcher stopped")
        pause = lane.paused_until - loop.time()
        while 0 < pause <= self.config.max_chat_wait and not self._stopping:
            # A short pause (Telegram's 429 says 1 s): wait it out holding the claim, then
            # take a paced slot again. Releasing the buffer instead costs another second or
            # two (the rows must be written back and claimed again), each time.
            await asyncio.sleep(pause)
            if lane.limiter is not None:
                await lane.limiter.acquire()
            pause = lane.paused_until - loop.time()
        if self._stopping:
            return self._release(row, 0, "dispatcher stopped")
        if pause > 0:
            return self._release(row, pause, "channel paused")
        while self._unrecorded >= self._max_unrecorded:
            # The flusher is behind: sending more would widen what a crash resends.
            self._recorded.clear()
            await self._recorded.wait()
        reply = self._payloads.get(row.payload_id)
        if reply is None:
            async with self._sessions() as s:
                await self._load_payloads(s, {row.payload_id})
            reply = self._payloads[row.payload_id]
        if self._personalise is not None:
            reply = self._personalise(reply, row.person_id)
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
                lane.next_chat[chat_id] = loop.time() + exc.retry_after
                return self._release(row, exc.retry_after, f"chat rate limited {exc.retry_after}s")
            except RateLimited as exc:
                self.stats.rate_limited += 1
                until = loop.time() + exc.retry_after
                if until > lane.paused_until:
                    lane.paused_until = until
                    log.warning("%s asked to wait %.1f s; pausing the channel",
                                lane.channel, exc.retry_after)
                return self._release(row, exc.retry_after, f"rate limited {exc.retry_after}s")
            except Blocked as exc:
                await self._mark_unreachable(lane.channel, row)
                return _Outcome(row.id, "failed", f"blocked: {exc}")
            except TransientFailure as exc:
                return self._retry(row, f"transient: {exc}")
            except OutsideWindow as exc:
                return _Outcome(row.id, "failed", f"outside window: {exc}")
            except PermanentFailure as exc:
                return _Outcome(row.id, "failed", f"permanent: {exc}")
            except DeliveryError as exc:
                return _Outcome(row.id, "failed", f"{type(exc).__name__}: {exc}")
            return _Outcome(row.id, "sent", message_id=message_id)
        return _Outcome(row.id, "failed", "chat migrated twice")

    def _retry(self, row: _Row, error: str) -> _Outcome:
        if row.attempts >= self.config.max_attempts:
            return _Outcome(row.id, "failed", f"gave up after {row.attempts} attempts: {error}")
        delay = min(self.config.backoff_max,
                    self.config.backoff_base * 2 ** (row.attempts - 1))
        delay *= random.uniform(0.8, 1.2)
        self.stats.retried += 1
        return _Outcome(row.id, "pending", error,
                        not_before=self._clock.now() + timedelta(seconds=delay))

    async def _mark_unreachable(self, channel: str, row: _Row) -> None:
        if row.person_id is None:
            return
        async with self._sessions() as s, s.begin():
            await s.execute(
                update(Person).where(Person.id == row.person_id).values(reachable=False)
                .execution_options(synchronize_session=False)
            )
            result = await s.execute(
                update(OutboxMessage)
                .where(OutboxMessage.person_id == row.person_id,
                       OutboxMessage.channel == channel,
                       OutboxMessage.status == "pending")
                .values(status="skipped", last_error="recipient unreachable")
                .execution_options(synchronize_session=False)
            )
        log.info("person %d blocked the bot on %s; %d pending rows skipped",
                 row.person_id, channel, rows_touched(result))

    async def _follow_migration(self, channel: str, old: str, new: str) -> None:
        async with self._sessions() as s, s.begin():
            await s.execute(
                update(Identity).where(Identity.channel == channel, Identity.chat_id == old)
                .values(chat_id=new).execution_options(synchronize_session=False)
            )
            await s.execute(
                update(OutboxMessage)
                .where(OutboxMessage.channel == channel, OutboxMessage.chat_id == old,
                       OutboxMessage.status.in_(("pending", "sending")))
                .values(chat_id=new).execution_options(synchronize_session=False)
            )
        log.info("a %s chat migrated; identity and pending rows follow it", channel)

    # --- recording ------------------------------------------------------------------

    def _record(self, outcome: _Outcome) -> None:
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

    async def _write(self, batch: list[_Outcome]) -> None:
        now = self._clock.now()
        mine = and_(_T.c.id == bindparam("rid"), _T.c.claimed_by == self.name,
                    _T.c.status == "sending")
        sent = [{"rid": o.row_id, "mid": o.message_id} for o in batch if o.status == "sent"]
        final = [{"rid": o.row_id, "st": o.status, "err": (o.error or "")[:300]}
                 for o in batch if o.status in ("failed", "skipped")]
        again = [{"rid": o.row_id, "nb": o.not_before or now, "err": (o.error or "")[:300],
                  "delta": o.attempts_delta}
                 for o in batch if o.status == "pending"]
        async with self._sessions() as s, s.begin():
            conn = await s.connection()
            if sent:
                await conn.execute(
                    _T.update().where(mine).values(
                        status="sent", sent_at=now, platform_message_id=bindparam("mid"),
                        lease_until=None, last_error=None),
                    sent,
                )
            if final:
                await conn.execute(
                    _T.update().where(mine).values(
                        status=bindparam("st"), last_error=bindparam("err"), lease_until=None),
                    final,
                )
            if again:
                await conn.execute(
                    _T.update().where(mine).values(
                        status="pending", not_before=bindparam("nb"), last_error=bindparam("err"),
                        attempts=_T.c.attempts + bindparam("delta"), claimed_by=None,
                        lease_until=None),
                    again,
                )

    async def _release_mine(self) -> None:
        """Give back rows claimed but never attempted (at stop)."""
        async with self._sessions() as s, s.begin():
            result = await s.execute(
                update(OutboxMessage)
                .where(OutboxMessage.claimed_by == self.name, OutboxMessage.status == "sending")
                .values(status="pending", claimed_by=None, lease_until=None,
                        attempts=OutboxMessage.attempts - 1)
                .execution_options(synchronize_session=False)
            )
        count = rows_touched(result)
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
        """Extend the lease of every row this dispatcher holds: a lease then expires only
        when its holder is dead or stalled, not because a claim took long to work through."""
        m = OutboxMessage
        async with self._sessions() as s, s.begin():
            result = await s.execute(
                update(m).where(m.status == "sending", m.claimed_by == self.name)
                .values(lease_until=self._clock.now() + self.config.lease)
                .execution_options(synchronize_session=False)
            )
        return rows_touched(result)

    async def reclaim_expired(self) -> int:
        """Return rows whose lease expired (their dispatcher died) to pending; fail a row
        that has used up its attempts this way (it may be what kills the dispatcher)."""
        now = self._clock.now()
        m = OutboxMessage
        expired = and_(m.status == "sending", m.lease_until < now)
        async with self._sessions() as s, s.begin():
            failed = await s.execute(
                update(m).where(expired, m.attempts >= self.config.max_attempts)
                .values(status="failed", last_error="lease expired too often",
                        lease_until=None)
                .execution_options(synchronize_session=False)
            )
            back = await s.execute(
                update(m).where(expired)
                .values(status="pending", claimed_by=None, lease_until=None)
                .execution_options(synchronize_session=False)
            )
        count = rows_touched(back)
        if count:
            self.stats.reclaimed += count
            log.warning("reclaimed %d rows whose lease expired", count)
        if rows_touched(failed):
            log.warning("%d rows failed: lease expired too often", rows_touched(failed))
        return count

    async def expire_pending(self) -> int:
        """End as skipped the pending rows past their `expires_at`, and rows pending for
        longer than `stale_after` (no dispatcher serves their channel)."""
        now = self._clock.now()
        m = OutboxMessage
        async with self._sessions() as s, s.begin():
            a = await s.execute(
                update(m).where(m.status == "pending", m.expires_at < now)
                .values(status="skipped", last_error="expired")
                .execution_options(synchronize_session=False)
            )
            b = await s.execute(
                update(m).where(m.status == "pending",
                                m.created_at < now - self.config.stale_after)
                .values(status="skipped", last_error="stale: no dispatcher delivered it")
                .execution_options(synchronize_session=False)
            )
        count = rows_touched(a) + rows_touched(b)
        if count:
            log.info("skipped %d expired or stale outbox rows", count)
        return count

