"""Run announcements: start the due ones, update each admin's progress message, report the end."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import ClassVar

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.callbacks import CallbackData, Signer
from core.channels import ChannelInfo, Channels
from core.clock import Clock
from core.config import CoreConfig
from core.outbox import Priority, enqueue
from core.types import Button, Reply
from db.engine import Sessions
from db.models.announcements import Announcement
from db.models.outbox import OutboxMessage
from db.regions import Regions
from schedules.announcement_text import progress_text, report_text
from schedules.announcements import (
    Figures,
    channel_rates,
    claim_due,
    enqueue_announcement,
    estimate_seconds,
    figures,
    finish_if_drained,
    store_figures,
)

__all__ = ["AnnStop", "Announcer"]

log = logging.getLogger(__name__)

# The rate shown and used for the estimate is measured over about this many seconds.
_RATE_WINDOW = 30.0


@dataclass(frozen=True)
class AnnStop(CallbackData):
    """Stop a running announcement, or cancel a scheduled one (the progress message's
    button)."""

    prefix: ClassVar[str] = "ans"
    ann: int


@dataclass
class _Watch:
    """What this process knows of one running announcement."""

    last_edit: float = -1e9
    last_text: str = ""
    edit_key: str | None = None  # the latest edit queued
    edit_done_at: float | None = None  # when this process first saw it out of the queue
    samples: deque[tuple[float, int]] = field(default_factory=lambda: deque(maxlen=64))

    def rate(self) -> float | None:
        """Messages per second over the recent window (None until there is one)."""
        if len(self.samples) < 2:
            return None
        t1, done1 = self.samples[-1]
        t0, done0 = next((t, d) for t, d in self.samples if t1 - t <= _RATE_WINDOW)
        if t1 - t0 < 3.0:
            return None
        return max(done1 - done0, 0) / (t1 - t0)


class Announcer:
    """The announcement job: call `tick()` (tests) or `start()` it with the runtime.

    Starting is idempotent across processes (a scheduled announcement is claimed by one
    UPDATE). The admin's progress message is updated through the outbox, at reply
    priority, so its edits are paced with every other message of the channel (a 30/s
    limit stays a 30/s limit) and never wait behind the broadcast; at most one edit every
    `interval` seconds, only when the text changed, and one that comes too late is
    skipped. The end is recorded once, with the report queued in the same transaction.
    """

    def __init__(
        self,
        sessions: Sessions,
        clock: Clock,
        config: CoreConfig,
        channels: Channels,
        regions: Regions,
        signer: Signer,
        *,
        rates: Mapping[str, float] | None = None,
        editable: Collection[str] | None = None,
        interval: float | None = None,
        poll: float = 1.0,
        batch_size: int = 5000,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._config = config
        self._channels = channels
        self._regions = regions
        self._signer = signer
        # The delivering channels, at their rates (for the estimate); the progress message
        # is edited in place on channels that can edit (the others get start and report).
        self.rates = channel_rates(channels.values()) if rates is None else dict(rates)
        self.editable = frozenset(
            c.name for c in channels.values() if c.can_edit) if editable is None else frozenset(
            editable)
        self.interval = config.announcement_progress_seconds if interval is None else interval
        self.poll = poll
        self.batch_size = batch_size
        self._watch: dict[int, _Watch] = {}
        self._enqueuing: dict[int, asyncio.Task[int]] = {}
        self._kick = asyncio.Event()
        self._runner: asyncio.Task[None] | None = None
        self._stopping = False

    def _delivering(self) -> list[ChannelInfo]:
        return [self._channels[c] for c in self.rates if c in self._channels]

    # --- lifecycle ------------------------------------------------------------------

    def wake(self) -> None:
        """Look at once (an admin confirmed or stopped one)."""
        self._kick.set()

    def start(self) -> None:
        """Run in the background until `stop()`."""
        if self._runner is None:
            self._stopping = False
            self._runner = asyncio.create_task(self._run(), name="announcer")

    async def stop(self) -> None:
        """Stop looking; rows being written are finished first (they are idempotent)."""
        self._stopping = True
        self._kick.set()
        if self._runner is not None:
            await self._runner
            self._runner = None
        await self.drain_enqueues()

    async def _run(self) -> None:
        while not self._stopping:
            self._kick.clear()
            try:
                await self.tick()
            except Exception:
                log.exception("announcement tick failed; will retry")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._kick.wait(), self.poll)

    async def drain_enqueues(self) -> None:
        """Wait until rows being written are all written (tests, stop)."""
        while self._enqueuing:
            await asyncio.gather(*list(self._enqueuing.values()), return_exceptions=True)

    # --- one look -------------------------------------------------------------------

    async def tick(self, now: datetime | None = None) -> None:
        """Start what is due, refresh progress, finish what drained."""
        now = now or self._clock.now()
        for ann_id in await claim_due(self._sessions, now=now):
            self._begin(ann_id, now)
        async with self._sessions() as s:
            running = list(await s.scalars(
                select(Announcement.id).where(Announcement.status == "running")
            ))
        for ann_id in running:
            try:
                await self._follow(ann_id, now)
            except Exception:
                log.exception("following announcement %d failed", ann_id)
        for ann_id in [a for a in self._watch if a not in running]:
            del self._watch[ann_id]

    def _begin(self, ann_id: int, now: datetime) -> None:
        if ann_id in self._enqueuing:
            return
        task = asyncio.create_task(
            enqueue_announcement(self._sessions, ann_id, channels=self._delivering(), now=now,
                                 batch_size=self.batch_size),
            name=f"enqueue announcement {ann_id}",
        )
        self._enqueuing[ann_id] = task

        def done(t: asyncio.Task[int]) -> None:
            self._enqueuing.pop(ann_id, None)
            if not t.cancelled() and t.exception() is not None:
                log.error("writing the rows of announcement %d failed: %r", ann_id,
                          t.exception())
            self._kick.set()

        task.add_done_callback(done)

    async def _follow(self, ann_id: int, now: datetime) -> None:
        loop = asyncio.get_running_loop()
        watch = self._watch.setdefault(ann_id, _Watch())
        if await finish_if_drained(self._sessions, ann_id, now=now, report=self._report):
            await self._show(ann_id, now, watch, final=True)
            self._watch.pop(ann_id, None)
            return
        if loop.time() - watch.last_edit < self.interval:
            return
        await self._show(ann_id, now, watch, final=False)

    def _report(self, ann: Announcement, fig: Figures, reasons: list[tuple[str, int]],
                now: datetime) -> Reply:
        return Reply(report_text(ann, fig, reasons, tz=self._config.tz,
                                 regions=self._regions, channels=self._channels, now=now))

    async def _show(self, ann_id: int, now: datetime, watch: _Watch, *, final: bool) -> None:
        loop = asyncio.get_running_loop()
        async with self._sessions() as s, s.begin():
            ann = await s.get(Announcement, ann_id)
            if ann is None:
                return
            fig = await figures(s, ann_id)
            if not final:
                await store_figures(s, ann, fig, now)
            watch.samples.append((loop.time(), fig.done))
            watch.last_edit = loop.time()
            rate = watch.rate()
            if rate:
                eta: float | None = fig.pending / rate
            else:
                eta = estimate_seconds(fig.remaining_by_channel, self.rates)
            text = progress_text(ann, fig, now=now, tz=self._config.tz, regions=self._regions,
                                 channels=self._channels, eta_seconds=eta, rate=rate)
            channel, chat = ann.progress_channel, ann.progress_chat_id
            if channel is None or chat is None or text == watch.last_text:
                return
            buttons: tuple[tuple[Button, ...], ...] = ()
            if not final and ann.stop_requested_at is None and ann.created_by_person_id:
                data = self._signer.sign(str(ann.created_by_person_id), AnnStop(ann.id).pack())
                buttons = ((Button("⏹ Hentikan pengiriman", data),),)
            if ann.progress_message_id is None:
                ann.progress_message_id = await self._started_message_id(s, ann_id)
            if ann.progress_message_id is None:
                if not final:
                    # Scheduled from a typed date, or begun on the command line for a chat:
                    # the first progress message is sent (once); later looks edit it.
                    await enqueue(s, key=f"ann-progress:{ann_id}",
                                  person_id=ann.created_by_person_id, channel=channel,
                                  chat_id=chat, kind="reply", reply=Reply(text, buttons=buttons),
                                  now=now, priority=Priority.REPLY)
                    watch.last_text = text
                return
            if channel not in self.editable:
                return  # WhatsApp cannot edit: the start was said, the report follows
            delay = 0.0
            if final:
                await self._drop_pending_edits(s, ann_id)
                delay = await self._edit_wait(s, watch)
            elif await self._edit_wait(s, watch) > 0:
                return
            slot = "final" if final else str(int(now.timestamp() // max(self.interval, 1)))
            key = f"ann-edit:{ann_id}:{slot}"
            await enqueue(
                s, key=key, person_id=ann.created_by_person_id,
                channel=channel, chat_id=chat, kind="reply",
                reply=Reply(text, buttons=buttons, edit_message_id=ann.progress_message_id),
                now=now, priority=Priority.REPLY,
                not_before=now + timedelta(seconds=delay),
                # An edit that could not go out in time is replaced by the next one.
                expires_at=None if final else now + timedelta(seconds=2 * self.interval + 5),
            )
            watch.last_text, watch.edit_key, watch.edit_done_at = text, key, None

    async def _edit_wait(self, s: AsyncSession, watch: _Watch) -> float:
        """Seconds before the next edit may go: one edit in the queue at a time, and the
        next only `interval` seconds after the previous left it, so the admin's message
        changes at most that often even when the channel is busy (queued edits would
        otherwise go out back to back). Unknown (still queued): a whole interval."""
        if watch.edit_key is None:
            return 0.0
        loop_now = asyncio.get_running_loop().time()
        if watch.edit_done_at is None:
            status = await s.scalar(select(OutboxMessage.status)
                                    .where(OutboxMessage.idem_key == watch.edit_key))
            if status in ("pending", "sending"):
                return self.interval
            watch.edit_done_at = loop_now
        return max(0.0, self.interval - (loop_now - watch.edit_done_at))

    @staticmethod
    async def _drop_pending_edits(s: AsyncSession, ann_id: int) -> None:
        await s.execute(
            update(OutboxMessage)
            .where(OutboxMessage.idem_key.like(f"ann-edit:{ann_id}:%"),
                   OutboxMessage.status == "pending")
            .values(status="cancelled", last_error="superseded by the final figures")
            .execution_options(synchronize_session=False)
        )

    @staticmethod
    async def _started_message_id(s: AsyncSession, ann_id: int) -> str | None:
        found: str | None = await s.scalar(
            select(OutboxMessage.platform_message_id)
            .where(OutboxMessage.idem_key == f"ann-progress:{ann_id}",
                   OutboxMessage.status == "sent")
        )
        return found
