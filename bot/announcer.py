"""Run announcements: start the due ones, edit each admin's progress message, report the end."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlalchemy import select

from bot.clock import Clock
from bot.delivery import DeliveryError, Sender
from bot.settings import Settings
from db.engine import Sessions
from db.models.announcements import Announcement
from db.regions import Regions
from handlers.announcement_buttons import AnnStop
from handlers.callbacks import Signer
from handlers.types import Button, Reply
from schedules.announcement_text import progress_text, report_text
from schedules.announcements import (
    Figures,
    claim_due,
    enqueue_announcement,
    estimate_seconds,
    figures,
    finish_if_drained,
    store_figures,
)

__all__ = ["Announcer", "ProgressChannel", "SenderProgress", "start_announcer"]

log = logging.getLogger(__name__)

# The rate shown and used for the estimate is measured over about this many seconds.
_RATE_WINDOW = 30.0


class ProgressChannel(Protocol):
    """Where an admin follows an announcement: send a message, and edit it if possible."""

    channel: str
    can_edit: bool

    async def send(self, chat_id: str, reply: Reply) -> str | None: ...

    async def edit(self, chat_id: str, message_id: str, reply: Reply) -> bool: ...


class SenderProgress:
    """A progress channel on a plain `Sender` (WhatsApp: messages cannot be edited, so the
    admin gets the start and the report, and /pengumuman for figures in between)."""

    can_edit = False

    def __init__(self, sender: Sender) -> None:
        self.sender = sender
        self.channel = sender.channel

    async def send(self, chat_id: str, reply: Reply) -> str | None:
        """Deliver a message; None if the platform refused it."""
        try:
            return await self.sender.deliver(chat_id, reply)
        except DeliveryError as exc:
            log.info("progress message on %s failed: %s", self.channel, exc)
            return None

    async def edit(self, chat_id: str, message_id: str, reply: Reply) -> bool:
        """Not possible on this channel."""
        return False


@dataclass
class _Watch:
    """What this process knows of one running announcement."""

    last_edit: float = -1e9
    last_text: str = ""
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
    UPDATE); progress edits happen at most every `interval` seconds per announcement and
    only when the text changed; the end is recorded once, with the report queued in the
    outbox (so it survives a restart and respects the rate limit).
    """

    def __init__(
        self,
        sessions: Sessions,
        clock: Clock,
        settings: Settings,
        regions: Regions,
        signer: Signer,
        *,
        rates: Mapping[str, float],
        progress: Mapping[str, ProgressChannel] | None = None,
        interval: float | None = None,
        poll: float = 1.0,
        batch_size: int = 5000,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._settings = settings
        self._regions = regions
        self._signer = signer
        self.rates = dict(rates)
        self.progress = dict(progress or {})
        self.interval = settings.announcement_progress_seconds if interval is None else interval
        self.poll = poll
        self.batch_size = batch_size
        self._watch: dict[int, _Watch] = {}
        self._enqueuing: dict[int, asyncio.Task[int]] = {}
        self._kick = asyncio.Event()
        self._runner: asyncio.Task[None] | None = None
        self._stopping = False

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
        if self._enqueuing:
            await asyncio.gather(*self._enqueuing.values(), return_exceptions=True)

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
        """Wait until rows being written are all written (tests, the CLI)."""
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
            enqueue_announcement(self._sessions, ann_id, channels=list(self.rates), now=now,
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
        return Reply(report_text(ann, fig, reasons, tz=self._settings.tz,
                                 regions=self._regions, now=now))

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
            text = progress_text(ann, fig, now=now, tz=self._settings.tz, regions=self._regions,
                                 eta_seconds=eta, rate=rate)
            channel = self.progress.get(ann.progress_channel or "")
            if channel is None or not ann.progress_chat_id or text == watch.last_text:
                return
            buttons: tuple[tuple[Button, ...], ...] = ()
            if not final and ann.stop_requested_at is None and ann.created_by_person_id:
                data = self._signer.sign(str(ann.created_by_person_id), AnnStop(ann.id).pack())
                buttons = ((Button("⏹ Hentikan pengiriman", data),),)
            reply = Reply(text, buttons=buttons)
            watch.last_text = text
            if ann.progress_message_id and channel.can_edit and await channel.edit(
                ann.progress_chat_id, ann.progress_message_id, reply
            ):
                return
            if ann.progress_message_id is not None and not channel.can_edit:
                return  # the start was announced; the report follows at the end
            if final:
                return  # the report itself is on its way
            ann.progress_message_id = await channel.send(ann.progress_chat_id, reply)


def start_announcer(
    sessions: Sessions,
    clock: Clock,
    settings: Settings,
    deps_services: dict[str, object],
    regions: Regions,
    signer: Signer,
    progress: Mapping[str, ProgressChannel],
) -> Announcer:
    """Start the announcer for the configured channels (rates from the settings) and make
    it known to the handlers (`services["announcer"]`, woken on confirm and stop)."""
    from schedules.announcements import channel_rates

    announcer = Announcer(sessions, clock, settings, regions, signer,
                          rates=channel_rates(settings), progress=progress)
    deps_services["announcer"] = announcer
    announcer.start()
    return announcer
