"""Calendar questions people ask in chat: the next sessions, the last ones, the nearest one."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models.calendar import LearningSession

__all__ = ["last_ended", "next_open", "sessions_after", "sessions_before", "sessions_in"]


def _of(programme: str | None) -> Select[LearningSession]:
    query = select(LearningSession).where(LearningSession.status == "aktif")
    if programme is not None:
        query = query.where(LearningSession.programme_key == programme)
    return query


async def sessions_in(
    db: AsyncSession, first: date, last: date, programme: str | None = None
) -> list[LearningSession]:
    """Sessions from `first` to `last` (both included), cancelled ones too, by start."""
    query = select(LearningSession).where(LearningSession.day.between(first, last))
    if programme is not None:
        query = query.where(LearningSession.programme_key == programme)
    query = query.order_by(LearningSession.starts_at, LearningSession.id)
    return list(await db.scalars(query))


async def next_open(
    db: AsyncSession, now: datetime, programme: str | None = None, *, limit: int = 20
) -> list[LearningSession]:
    """Active sessions that have not ended at `now`, soonest first."""
    query = _of(programme).where(LearningSession.ends_at > now)
    query = query.order_by(LearningSession.starts_at, LearningSession.id).limit(limit)
    return list(await db.scalars(query))


async def last_ended(
    db: AsyncSession, now: datetime, programme: str | None = None, *, limit: int = 20
) -> list[LearningSession]:
    """Active sessions that have started by `now`, latest first."""
    query = _of(programme).where(LearningSession.starts_at <= now)
    query = query.order_by(LearningSession.starts_at.desc(), LearningSession.id.desc())
    return list(await db.scalars(query.limit(limit)))


async def sessions_after(
    db: AsyncSession, day: date, programme: str | None = None, *, limit: int = 20
) -> list[LearningSession]:
    """Active sessions after `day`, soonest first."""
    query = _of(programme).where(LearningSession.day > day)
    query = query.order_by(LearningSession.starts_at, LearningSession.id).limit(limit)
    return list(await db.scalars(query))


async def sessions_before(
    db: AsyncSession, day: date, programme: str | None = None, *, limit: int = 20
) -> list[LearningSession]:
    """Active sessions before `day`, latest first."""
    query = _of(programme).where(LearningSession.day < day)
    query = query.order_by(LearningSession.starts_at.desc(), LearningSession.id.desc())
    return list(await db.scalars(query.limit(limit)))
