"""Figures read from the database for each /metrics scrape: the outbox backlog, open
questions, attendance today."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Attendance, OutboxMessage, Question

__all__ = ["OutboxBacklog", "attendance_since", "open_questions", "outbox_backlog"]


@dataclass(frozen=True)
class OutboxBacklog:
    """The pending rows of one channel and priority."""

    channel: str
    priority: int
    pending: int  # every pending row, due or planned for later
    due: int  # pending rows whose time has come
    oldest_due_seconds: float  # how long the oldest due row has waited (0: none due)


async def outbox_backlog(db: AsyncSession, now: datetime) -> list[OutboxBacklog]:
    """The outbox's pending rows per channel and priority: one pass over the pending part
    of the claim index."""
    o = OutboxMessage
    is_due = o.not_before <= now
    rows = await db.execute(
        select(o.channel, o.priority, func.count(), func.count().filter(is_due),
               func.min(o.not_before).filter(is_due))
        .where(o.status == "pending").group_by(o.channel, o.priority))
    backlog = []
    for channel, priority, pending, due, oldest in rows.all():
        age = max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
        backlog.append(OutboxBacklog(str(channel), int(priority), int(pending), int(due), age))
    return sorted(backlog, key=lambda b: (b.channel, b.priority))


async def open_questions(db: AsyncSession) -> int:
    """How many questions wait for an admin's answer."""
    return int(await db.scalar(
        select(func.count()).select_from(Question).where(Question.status == "open")) or 0)


async def attendance_since(db: AsyncSession, since: datetime) -> dict[str, int]:
    """Attendance recorded since `since`, per channel it was reported on."""
    rows = await db.execute(
        select(Attendance.channel, func.count())
        .where(Attendance.reported_at >= since).group_by(Attendance.channel))
    return {str(channel): int(n) for channel, n in rows.all()}
