"""Pacing of one channel's sends: a sliding-second window with a minimum gap."""

from __future__ import annotations

import asyncio
import math
from collections import deque
from dataclasses import dataclass

__all__ = ["ChannelLimits", "Pacer"]


@dataclass(frozen=True)
class ChannelLimits:
    """Pacing of one channel: messages per second overall and to one chat (None: no limit)."""

    rate: float | None = 30.0
    chat_rate: float | None = 1.0


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
