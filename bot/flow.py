"""One flow control per channel, shared by replies, edits and the outbox, and across processes.

- **Pause**: a 429 pauses every sender of the channel for `retry_after` — in this process at
  once, in the others through the channel's row in `channel_flow` (read every second).
- **Broadcast rate**: the outbox's sends take slots at the configured rate; the slots are
  reserved a quarter of a second at a time in the shared row, so the rate holds for all
  processes together, and each process's own pacer keeps its sends evenly spaced inside.
- **Per chat**: messages to one chat are paced (replies may burst a little first).

Replies to people who just wrote have no overall cap: Telegram and WhatsApp publish no
limit for them, and the only correct handling is to honour 429.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable

from bot.counters import count_rate_limit
from bot.pacing import ChannelLimits, ChatPacer, Pacer
from db.engine import Sessions
from db.flow import ensure_flow, extend_pause, paused_until, reserve_slots

__all__ = ["ChannelFlow"]

log = logging.getLogger(__name__)

REFRESH = 1.0  # seconds between reads of the shared pause
CHUNK = 0.25  # seconds of sending time reserved at once


class ChannelFlow:
    """The flow control of one channel in this process (start it inside the event loop)."""

    def __init__(
        self, sessions: Sessions | None, channel: str, limits: ChannelLimits, *,
        refresh: float = REFRESH, wall: Callable[[], float] = time.time,
    ) -> None:
        self._sessions = sessions  # None: this process alone (tests of the pacing itself)
        self.channel = channel
        self.limits = limits
        self._wall = wall
        self._refresh = refresh
        self.pacer = Pacer(limits.rate) if limits.rate is not None else None
        self.chats = ChatPacer(1 / limits.chat_rate) if limits.chat_rate else None
        self._paused_until = 0.0  # wall clock
        self._slots: list[float] = []  # reserved send times (wall clock), soonest last
        self._slot_lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._users = 0
        self.pauses = 0  # 429s seen by this process

    # --- lifecycle --------------------------------------------------------------------

    async def start(self) -> None:
        """Create the shared row and follow it (several users may start one flow)."""
        self._users += 1
        if self._task is not None or self._sessions is None:
            return
        try:
            async with self._sessions() as db, db.begin():
                await ensure_flow(db, self.channel)
        except Exception:
            log.exception("the %s flow-control row could not be created", self.channel)
        self._task = asyncio.create_task(self._follow(), name=f"{self.channel} flow")

    async def stop(self) -> None:
        """Stop following the shared row (when its last user stops)."""
        self._users = max(0, self._users - 1)
        if self._users or self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def _follow(self) -> None:
        assert self._sessions is not None
        while True:
            await asyncio.sleep(self._refresh)
            try:
                async with self._sessions() as db:
                    until = await paused_until(db, self.channel)
            except Exception:
                log.warning("reading the %s pause failed; will retry", self.channel)
                continue
            self._note_pause(until)

    # --- the pause ----------------------------------------------------------------------

    def _note_pause(self, until: float) -> None:
        if until > self._paused_until:
            self._paused_until = until

    def paused_for(self) -> float:
        """Seconds left of the channel's pause (0: not paused)."""
        return max(0.0, self._paused_until - self._wall())

    async def pause(self, seconds: float) -> None:
        """The platform answered 429: every sender of the channel waits `seconds`."""
        self.pauses += 1
        count_rate_limit(self.channel, "channel")
        until = self._wall() + seconds
        if until <= self._paused_until:
            return
        self._paused_until = until
        log.warning("%s asked to wait %.1f s; pausing the channel", self.channel, seconds)
        if self._sessions is None:
            return
        try:
            async with self._sessions() as db, db.begin():
                await extend_pause(db, self.channel, until)
        except Exception:
            log.warning("sharing the %s pause failed (this process pauses)", self.channel)

    async def wait_unpaused(self, stop: asyncio.Event | None = None) -> bool:
        """Wait while the channel is paused; False (at once) if `stop` is set while paused."""
        while (left := self.paused_for()) > 0:
            if stop is not None and stop.is_set():
                return False
            await asyncio.sleep(min(left, 0.5))
        return True

    # --- broadcasts: the configured rate, for all processes together ----------------------

    async def broadcast_slot(self) -> None:
        """Wait for this process's next send slot at the configured rate."""
        if self.pacer is None:
            return
        async with self._slot_lock:
            # A slot missed by more than the gap is dropped, not caught up: catching up
            # would crowd the slots another process reserved next.
            late = self._wall() - self.pacer.gap
            while self._slots and self._slots[-1] < late:
                self._slots.pop()
            if not self._slots:
                await self._reserve()
            slot = self._slots.pop()
        loop = asyncio.get_running_loop()
        await self.pacer.acquire(not_before=loop.time() + (slot - self._wall()))

    async def _reserve(self) -> None:
        assert self.limits.rate is not None and self.pacer is not None
        count = max(1, math.ceil(self.limits.rate * CHUNK))
        gap = self.pacer.window / self.pacer.per_window  # the pacer's spacing, with headroom
        now = self._wall()
        start = now
        if self._sessions is not None:
            try:
                async with self._sessions() as db, db.begin():
                    start, until = await reserve_slots(db, self.channel, now=now,
                                                       span=count * gap)
                self._note_pause(until)
            except Exception:
                log.warning("reserving %s send slots failed; pacing this process alone",
                            self.channel)
        self._slots = [start + i * gap for i in reversed(range(count))]

    # --- one chat -----------------------------------------------------------------------

    def chat_delay(self, chat: str, *, burst: int = 1) -> float:
        """How long a message to `chat` would wait for the chat's pace now."""
        if self.chats is None:
            return 0.0
        return self.chats.delay(chat, asyncio.get_running_loop().time(), burst)

    def book_chat(self, chat: str, *, burst: int = 1) -> float:
        """Book a message to `chat`; return how long it must wait."""
        if self.chats is None:
            return 0.0
        return self.chats.book(chat, asyncio.get_running_loop().time(), burst)

    def hold_chat(self, chat: str, seconds: float) -> None:
        """The platform asked this one chat to wait."""
        count_rate_limit(self.channel, "chat")
        if self.chats is not None:
            self.chats.hold(chat, asyncio.get_running_loop().time() + seconds)
