"""Messages a handler sends to someone else (an admin, an asker): written to the outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core.outbox import Priority, enqueue
from core.types import Reply, TemplateRef

__all__ = ["send_on_own"]


async def send_on_own(
    session: AsyncSession,
    *,
    key: str,
    person_id: int | None,
    channel: str,
    chat_id: str,
    kind: str,
    reply: Reply,
    now: datetime,
    template: TemplateRef | None = None,
) -> int | None:
    """Queue `reply` for `chat_id` in the caller's transaction; the outbox delivers it.

    Idempotent by `key` (None if it was already queued); returns the outbox row id, whose
    `platform_message_id` is filled in once the message is delivered. Sent before
    scheduled traffic: someone is waiting for it.
    """
    return await enqueue(
        session, key=key, person_id=person_id, channel=channel, chat_id=chat_id, kind=kind,
        reply=reply, now=now, priority=Priority.REPLY, template=template,
    )
