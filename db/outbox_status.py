"""What the platforms report after sending (delivered, read, failed), kept on outbox rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.engine import rows_touched
from db.models import OutboxMessage, OutboxPayload, Person

__all__ = [
    "DeliveryReport",
    "FailedRow",
    "mark_unreachable",
    "payload_of",
    "record_reports",
    "requeue",
]

ReportStatus = Literal["sent", "delivered", "read", "failed"]


@dataclass(frozen=True)
class DeliveryReport:
    """A platform's word on one message it accepted earlier."""

    platform_message_id: str
    status: ReportStatus
    at: datetime
    error: str | None = None  # failed: what the platform said, for admins


@dataclass(frozen=True)
class FailedRow:
    """An outbox row a `failed` report turned from sent to failed."""

    id: int
    person_id: int | None
    chat_id: str
    kind: str
    priority: int
    payload_id: int
    attempts: int
    ref_type: str | None
    ref_id: int | None
    report: DeliveryReport


async def record_reports(
    s: AsyncSession, channel: str, reports: Sequence[DeliveryReport]
) -> list[FailedRow]:
    """Record delivery and read times, and failures; return the rows that failed now.

    Reports may arrive out of order (read before delivered) and more than once: times
    are kept from the first report, and only a `sent` row can turn `failed`.
    """
    m = OutboxMessage
    failed: list[FailedRow] = []
    for r in reports:
        mine = (m.channel == channel, m.platform_message_id == r.platform_message_id)
        if r.status in ("delivered", "read"):
            values = {m.delivered_at: func.coalesce(m.delivered_at, r.at)}
            if r.status == "read":
                values[m.read_at] = func.coalesce(m.read_at, r.at)
            await s.execute(update(m).where(*mine).values(values)
                            .execution_options(synchronize_session=False))
        elif r.status == "failed":
            result = await s.execute(
                update(m).where(*mine, m.status == "sent")
                .values(status="failed", last_error=(r.error or "failed")[:300])
                .returning(m.id, m.person_id, m.chat_id, m.kind, m.priority, m.payload_id,
                           m.attempts, m.ref_type, m.ref_id)
                .execution_options(synchronize_session=False)
            )
            failed += [FailedRow(*row, report=r) for row in result.all()]
    return failed


async def payload_of(s: AsyncSession, payload_id: int) -> dict[str, object] | None:
    """The stored body of a message."""
    body: dict[str, object] | None = await s.scalar(
        select(OutboxPayload.body).where(OutboxPayload.id == payload_id)
    )
    return body


async def requeue(s: AsyncSession, row_id: int, not_before: datetime, error: str) -> None:
    """Send a failed row again later (the platform was only asking us to slow down)."""
    await s.execute(
        update(OutboxMessage).where(OutboxMessage.id == row_id)
        .values(status="pending", not_before=not_before, last_error=error[:300],
                claimed_by=None, lease_until=None, platform_message_id=None)
        .execution_options(synchronize_session=False)
    )


async def mark_unreachable(s: AsyncSession, person_id: int, channel: str) -> int:
    """The person cannot receive on `channel`: stop trying; return pending rows skipped."""
    await s.execute(
        update(Person).where(Person.id == person_id).values(reachable=False)
        .execution_options(synchronize_session=False)
    )
    result = await s.execute(
        update(OutboxMessage)
        .where(OutboxMessage.person_id == person_id, OutboxMessage.channel == channel,
               OutboxMessage.status == "pending")
        .values(status="skipped", last_error="recipient unreachable")
        .execution_options(synchronize_session=False)
    )
    return rows_touched(result)
