"""Pacing of one channel's sends: a sliding-second window with a minimum gap; and per chat."""

from __future__ import annotations

import asyncio
import math
from collections import deque
from dataclasses import dataclass

__all__ = ["ChannelLimits", "ChatPacer", "Pacer"]


@dataclass(frozen=True)
class ChannelLimits:
    """Pacing of one channel: messages per second overall (broadcasts: the outbox) and to
    one chat (None: no limit); replies to one chat may go `reply_burst` at once first."""

    rate: float | None = 30.0
    chat_rate: float | None = 1.0
    reply_burst: int = 1


class Pacer:
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

    async def acquire(self, not_before: float | None = None) -> None:
        """Wait until this send may leave (and not before loop time `not_before`)."""
        loop = asyncio.get_running_loop()
        async with self._lock:
            target = self.due() if not_before is None else max(self.due(), not_before)
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


class ChatPacer:
    """One message per `interval` to each chat, after a burst of at most `burst`.

    A virtual schedule per chat (the generic cell rate algorithm): a chat's "theoretical
    arrival time" moves on by `interval` with every message booked; a message may leave
    once that time is less than `(burst - 1) * interval` ahead. Replies and the outbox book
    on the same schedule, each with its own burst.
    """

    KEEP = 10_000  # chats remembered before the idle ones are forgotten

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._tat: dict[str, float] = {}

    def delay(self, chat: str, now: float, burst: int = 1) -> float:
        """How long a message to `chat` would wait now."""
        tat = max(self._tat.get(chat, now), now)
        return max(0.0, tat - (burst - 1) * self.interval - now)

    def book(self, chat: str, now: float, burst: int = 1) -> float:
        """Book a message to `chat`; return how long it must wait before leaving."""
        wait = self.delay(chat, now, burst)
        self._tat[chat] = max(self._tat.get(chat, now), now) + self.interval
        if len(self._tat) > self.KEEP:
            self._tat = {c: t for c, t in self._tat.items() if t > now}
        return wait

    def hold(self, chat: str, until: float) -> None:
        """The platform said this chat must wait until `until`."""
        self._tat[chat] = max(self._tat.get(chat, until), until)
