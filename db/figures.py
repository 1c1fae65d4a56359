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
    """The outbox's pending rows per channel and priority (both counts read the claim
    index: a scrape stays cheap with a large announcement queued)."""
    o = OutboxMessage
    pending = await db.execute(
        select(o.channel, o.priority, func.count())
        .where(o.status == "pending").group_by(o.channel, o.priority))
    due = await db.execute(
        select(o.channel, o.priority, func.count(), func.min(o.not_before))
        .where(o.status == "pending", o.not_before <= now).group_by(o.channel, o.priority))
    due_by = {(str(c), int(p)): (int(n), oldest) for c, p, n, oldest in due.all()}
    backlog = []
    for channel, priority, count in pending.all():
        key = (str(channel), int(priority))
        n, oldest = due_by.get(key, (0, None))
        age = max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
        backlog.append(OutboxBacklog(key[0], key[1], int(count), n, age))
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
