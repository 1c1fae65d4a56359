"""How a channel's receiving goes (its polling loop or webhook): failures since the last
success, which the alerts read (`bot.alerts`)."""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from core.clock import Clock

__all__ = ["ReceiveHealth", "ReceiveTrouble", "Watched"]


@dataclass(frozen=True)
class ReceiveTrouble:
    """A channel's receiving has been failing: since when, how often, the last error."""

    since: datetime
    failures: int
    error: str
    # What the operator should look at first (in Indonesian, for the alert).
    hint: str = ""
    pending: int | None = None  # updates the platform holds for our webhook, if it says


class ReceiveHealth:
    """Failures in a row of one channel's receiving; a success forgets them."""

    def __init__(self, clock: Clock, *, hint: str = "") -> None:
        self._clock = clock
        self.hint = hint
        self.since: datetime | None = None
        self.failures = 0
        self.error = ""

    def ok(self) -> None:
        """Receiving worked."""
        self.since, self.failures, self.error = None, 0, ""

    def failed(self, error: str) -> None:
        """Receiving failed (`error`: what went wrong, no secrets)."""
        if self.since is None:
            self.since = self._clock.now()
        self.failures += 1
        self.error = error[:200]

    def trouble(self, *, longer_than: timedelta, at_least: int = 3) -> ReceiveTrouble | None:
        """The trouble, once failures went on for `longer_than` (and were `at_least` many:
        one refused request is no outage)."""
        if self.since is None or self.failures < at_least:
            return None
        if self._clock.now() - self.since < longer_than:
            return None
        return ReceiveTrouble(self.since, self.failures, self.error, self.hint)


@runtime_checkable
class Watched(Protocol):
    """A channel whose receiving the alerts can ask about."""

    @property
    def receiving(self) -> bool:
        """Whether this process receives on it (a worker only delivers)."""

    def receive_trouble(self, *, longer_than: timedelta,
                        pending_limit: int) -> Awaitable[ReceiveTrouble | None]:
        """Its receiving's trouble, if any (`pending_limit`: updates the platform may hold
        for a webhook before that counts as trouble)."""
