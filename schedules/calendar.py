"""Calendar queries for the menu and the scheduler, and the programmes table kept filled."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.programme import PROGRAMMES
from db.models.calendar import LearningSession, Programme

__all__ = [
    "calendar_is_empty",
    "ensure_programmes",
    "session_by_code",
    "sessions_between",
    "sessions_on",
]


async def ensure_programmes(db: AsyncSession) -> int:
    """Insert or refresh the five programmes from `PROGRAMMES`; return how many rows changed."""
    existing = {p.key: p for p in await db.scalars(select(Programme))}
    changed = 0
    for prog in PROGRAMMES:
        row = existing.get(prog.key)
        if row is None:
            db.add(Programme(
                key=prog.key, weekday=prog.weekday, name=prog.name, description=prog.description,
            ))
            changed += 1
        elif (row.weekday, row.name, row.description) != (
            prog.weekday, prog.name, prog.description
        ):
            row.weekday, row.name, row.description = prog.weekday, prog.name, prog.description
            changed += 1
    if changed:
        await db.flush()
    return changed


async def sessions_on(db: AsyncSession, day: date) -> list[LearningSession]:
    """The active sessions of a (local) date, earliest first."""
    return await sessions_between(db, day, day)


async def sessions_between(
    db: AsyncSession, start_day: date, end_day: date, *, include_cancelled: bool = False
) -> list[LearningSession]:
    """Sessions from `start_day` to `end_day` (both included), by start; active ones only
    unless `include_cancelled`."""
    query = select(LearningSession).where(LearningSession.day.between(start_day, end_day))
    if not include_cancelled:
        query = query.where(LearningSession.status == "aktif")
    query = query.order_by(LearningSession.starts_at, LearningSession.programme_key,
                           LearningSession.id)
    return list(await db.scalars(query))


async def session_by_code(db: AsyncSession, code: str) -> LearningSession | None:
    """The session with this kode_sesi (active or cancelled), or None."""
    return await db.scalar(
        select(LearningSession).where(LearningSession.code == code.strip())
    )


async def calendar_is_empty(db: AsyncSession) -> bool:
    """Whether no session was ever put on the calendar."""
    return await db.scalar(select(LearningSession.id).limit(1)) is None
