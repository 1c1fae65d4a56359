"""The announcements a person was sent, newest first ("pengumuman terbaru apa?")."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Announcement, OutboxMessage
from schedules.announcements import REF_TYPE

__all__ = ["announcements_to"]


async def announcements_to(
    db: AsyncSession, person_id: int, *, limit: int = 3
) -> list[tuple[Announcement, datetime]]:
    """The latest announcements sent to `person_id`, with when each was sent."""
    query = (
        select(Announcement, OutboxMessage.sent_at)
        .join(OutboxMessage, (OutboxMessage.ref_type == REF_TYPE)
              & (OutboxMessage.ref_id == Announcement.id))
        .where(OutboxMessage.person_id == person_id, OutboxMessage.status == "sent",
               OutboxMessage.sent_at.is_not(None))
        .order_by(OutboxMessage.sent_at.desc(), OutboxMessage.id.desc())
        .limit(limit)
    )
    return [(a, at) for a, at in (await db.execute(query)).all() if at is not None]
