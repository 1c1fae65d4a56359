"""The injected clock: everything asks it for the time, so tests can move it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

__all__ = ["Clock", "FixedClock", "ShiftedClock", "SystemClock"]


class Clock(Protocol):
    """Something that tells the current time as an aware UTC datetime."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """Return the current time in UTC."""
        return datetime.now(UTC)


class ShiftedClock:
    """The real clock started at another moment: time runs on from `start` (the terminal
    chat's `--at`, to see a weekday morning on a weekend evening)."""

    def __init__(self, start: datetime, real: Clock | None = None) -> None:
        if start.tzinfo is None:
            raise ValueError("ShiftedClock needs an aware datetime")
        self._real = real or SystemClock()
        self._offset = start.astimezone(UTC) - self._real.now()

    def now(self) -> datetime:
        """Return the shifted current time in UTC."""
        return self._real.now() + self._offset


class FixedClock:
    """A clock that stays where it is put (tests and tools)."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._at = at.astimezone(UTC)

    def now(self) -> datetime:
        """Return the set time."""
        return self._at

    def set(self, at: datetime) -> None:
        """Move the clock to `at`."""
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._at = at.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward."""
        self._at += delta
