"""The figures of the konsol's home page: subscribers, attendance today, deliveries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from db.models import Announcement, Attendance, LearningSession, OutboxMessage, Person, Question

__all__ = [
    "Deliveries",
    "attendance_on",
    "deliveries_since",
    "first_outbox_id_since",
    "next_scheduled",
    "open_question_count",
    "subscribers_by",
]


def _subscribed() -> list[ColumnElement[bool]]:
    return [Person.registered_at.is_not(None), Person.subscribed.is_(True),
            Person.erased_at.is_(None)]


async def subscribers_by(
    db: AsyncSession, column: str, limit: int | None = None
) -> list[tuple[str | None, int]]:
    """Subscribers counted by `column` ('preferred_channel' or 'region_code'), most first."""
    col = getattr(Person, column)
    n = func.count(Person.id)
    query = select(col, n).where(*_subscribed()).group_by(col).order_by(n.desc(), col)
    if limit is not None:
        query = query.limit(limit)
    return [(key, int(count)) for key, count in (await db.execute(query)).all()]


async def attendance_on(db: AsyncSession, day: date) -> int:
    """Attendance confirmed for the sessions of `day`."""
    query = (
        select(func.count(Attendance.id))
        .join(LearningSession, LearningSession.id == Attendance.session_id)
        .where(LearningSession.day == day)
    )
    return int(await db.scalar(query) or 0)


async def first_outbox_id_since(db: AsyncSession, since: datetime) -> int | None:
    """The first outbox row created at or after `since` (None: none).

    The outbox has no index on time (each index slows its hot write path), but ids grow
    with time: a binary search over the primary key finds the row in ~20 lookups.
    """
    lo = await db.scalar(select(func.min(OutboxMessage.id)))
    hi = await db.scalar(select(func.max(OutboxMessage.id)))
    if lo is None or hi is None:
        return None
    last_at = await db.scalar(select(OutboxMessage.created_at).where(OutboxMessage.id == hi))
    if last_at is None or last_at < since:
        return None
    best = int(hi)
    while lo <= hi:
        mid = (lo + hi) // 2
        found = (await db.execute(
            select(OutboxMessage.id, OutboxMessage.created_at)
            .where(OutboxMessage.id >= mid, OutboxMessage.id <= hi)
            .order_by(OutboxMessage.id).limit(1)
        )).first()
        if found is None:
            hi = mid - 1  # no row between mid and hi
        elif found[1] < since:
            lo = int(found[0]) + 1
        else:
            best, hi = int(found[0]), mid - 1
    return best


@dataclass
class Deliveries:
    """Messages of the last day by outcome, and what waits now."""

    by_status: dict[str, int] = field(default_factory=dict)
    waiting: int = 0
    oldest_waiting: datetime | None = None  # the earliest due time of a waiting message

    @property
    def sent(self) -> int:
        """Sent (delivered to the platform)."""
        return self.by_status.get("sent", 0)

    @property
    def failed(self) -> int:
        """Failed or skipped (expired before they could go)."""
        return self.by_status.get("failed", 0) + self.by_status.get("skipped", 0)


async def deliveries_since(db: AsyncSession, since: datetime) -> Deliveries:
    """Outbox rows created since `since` by status, and every row still waiting."""
    out = Deliveries()
    first = await first_outbox_id_since(db, since)
    if first is not None:
        rows = await db.execute(
            select(OutboxMessage.status, func.count())
            .where(OutboxMessage.id >= first).group_by(OutboxMessage.status)
        )
        out.by_status = {str(s): int(n) for s, n in rows.all()}
    waiting = OutboxMessage.status.in_(("pending", "sending"))
    out.waiting = int(await db.scalar(select(func.count()).where(waiting)) or 0)
    out.oldest_waiting = await db.scalar(
        select(func.min(OutboxMessage.not_before)).where(OutboxMessage.status == "pending"))
    return out


async def open_question_count(db: AsyncSession) -> int:
    """Questions waiting for an answer."""
    query = select(func.count()).select_from(Question).where(Question.status == "open")
    return int(await db.scalar(query) or 0)


async def next_scheduled(db: AsyncSession) -> Announcement | None:
    """The next announcement waiting for its time."""
    return await db.scalar(
        select(Announcement).where(Announcement.status == "scheduled")
        .order_by(Announcement.scheduled_at, Announcement.id).limit(1)
    )
