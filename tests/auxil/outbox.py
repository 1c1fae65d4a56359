"""Helpers for outbox and nudge tests: a database with people, a channel that records."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.delivery import DeliveryError
from core.programme import PROGRAMMES, programme_for
from core.timezones import ZONES
from core.types import Reply
from db.engine import Sessions, create_engine, create_sessions
from db.models import Identity, LearningSession, OutboxMessage, Person
from schedules.calendar import ensure_programmes

__all__ = [
    "RecordingSender",
    "add_people",
    "add_session",
    "open_db",
    "rows",
    "status_counts",
]

_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def open_db(url: str) -> tuple[AsyncEngine, Sessions]:
    """An engine and the session factory on a migrated database."""
    engine = create_engine(url)
    return engine, create_sessions(engine)


async def add_people(
    sessions: Sessions,
    n: int,
    *,
    zone: str = "WIB",
    channel: str = "telegram",
    first_chat: int = 1000,
    preferences: dict[str, object] | None = None,
    registered: bool = True,
    **person: Any,
) -> list[int]:
    """Insert `n` registered people with one identity each; return their ids.

    Chat ids are `first_chat`, `first_chat + 1`, ...
    """
    async with sessions() as s, s.begin():
        result = await s.execute(
            insert(Person).returning(Person.id, sort_by_parameter_order=True),
            [{"tz": zone, "subscribed": True, "reachable": True,
              "registered_at": _EPOCH if registered else None, "created_at": _EPOCH,
              "preferences": preferences or {}, **person} for _ in range(n)],
        )
        ids = list(result.scalars().all())
        await s.execute(insert(Identity), [
            {"person_id": pid, "channel": channel, "external_id": str(first_chat + i),
             "chat_id": str(first_chat + i), "created_at": _EPOCH}
            for i, pid in enumerate(ids)
        ])
    return ids


async def add_session(
    sessions: Sessions, day: date, start: time, *, programme_key: str | None = None,
    title: str = "Berbagi Praktik Baik", minutes: int = 90, code: str | None = None,
    zoom_url: str | None = "https://zoom.us/j/123", status: str = "aktif",
) -> LearningSession:
    """Put a session on the calendar; `start` is WIB (sessions are announced in WIB)."""
    starts = datetime.combine(day, start, ZONES["WIB"]).astimezone(UTC)
    programme = programme_key or (programme_for(day) or PROGRAMMES[0]).key
    async with sessions() as s, s.begin():
        await ensure_programmes(s)
        row = LearningSession(
            code=code or f"{day.isoformat()}-{programme}-{start:%H%M}", day=day,
            programme_key=programme, title=title, speaker="Dr. Sri Wahyuni", starts_at=starts,
            ends_at=starts + timedelta(minutes=minutes), zoom_url=zoom_url,
            youtube_url="https://youtube.com/@bpsdmjatim", jp=2, status=status,
            updated_at=_EPOCH,
        )
        s.add(row)
    return row


async def rows(sessions: Sessions, **where: Any) -> list[OutboxMessage]:
    """Outbox rows matching column=value filters, by id."""
    async with sessions() as s:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        for col, value in where.items():
            query = query.where(getattr(OutboxMessage, col) == value)
        return list(await s.scalars(query))


async def status_counts(sessions: Sessions) -> dict[str, int]:
    """How many rows are in each status."""
    async with sessions() as s:
        result = await s.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        )
        return {status: count for status, count in result.all()}


class RecordingSender:
    """A channel that keeps what it was asked to deliver (the outbox's view of a platform).

    `fail` maps a chat id to a function returning the error to raise on the n-th
    attempt to that chat (or None to deliver).
    """

    def __init__(self, channel: str = "telegram", *, latency: float = 0.0) -> None:
        self.channel = channel
        self.latency = latency
        self.sent: list[tuple[str, Reply]] = []
        self.attempts: dict[str, int] = {}
        self.fail: dict[str, Callable[[int], DeliveryError | None]] = {}
        self.in_flight = 0
        self.max_in_flight = 0

    async def deliver(self, chat_id: str, reply: Reply) -> str | None:
        n = self.attempts[chat_id] = self.attempts.get(chat_id, 0) + 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.latency:
                await asyncio.sleep(self.latency)
            rule = self.fail.get(chat_id)
            error = rule(n) if rule else None
            if error is not None:
                raise error
            self.sent.append((chat_id, reply))
            return str(len(self.sent))
        finally:
            self.in_flight -= 1

    def chats(self) -> list[str]:
        """Chat ids in the order they were delivered to."""
        return [c for c, _ in self.sent]

    def texts_to(self, chat_id: str) -> Sequence[str]:
        """The texts delivered to one chat."""
        return [r.text for c, r in self.sent if c == chat_id]
