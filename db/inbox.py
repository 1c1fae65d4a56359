"""The WhatsApp inbox repository: store each message once, lease it out, record the outcome.

Bodies are opaque JSON here; `bot.whatsapp.inbox` knows what is inside.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from db.engine import rows_touched
from db.models import InboxMessage

__all__ = [
    "InboxItem",
    "claim_inbox",
    "finish_inbox",
    "inbox_counts",
    "mark_handled",
    "purge_inbox",
    "store_inbox",
]

OPEN = ("pending", "handled")


@dataclass(frozen=True)
class InboxItem:
    """One message to store: its platform id (the dedup key), sender and body."""

    wamid: str
    wa_id: str
    body: Mapping[str, Any]


async def store_inbox(s: AsyncSession, items: Sequence[InboxItem], now: datetime) -> int:
    """Store the items not stored before (a retried webhook adds nothing); return how many."""
    if not items:
        return 0
    rows = [
        {"wamid": i.wamid, "wa_id": i.wa_id, "body": dict(i.body), "status": "pending",
         "attempts": 0, "received_at": now}
        for i in items
    ]
    name = s.get_bind().dialect.name
    if name in ("sqlite", "postgresql"):
        insert = sqlite.insert if name == "sqlite" else postgresql.insert
        result = await s.execute(
            insert(InboxMessage).values(rows).on_conflict_do_nothing(index_elements=["wamid"])
        )
        return rows_touched(result)
    known = set(
        (await s.execute(
            select(InboxMessage.wamid).where(InboxMessage.wamid.in_([i.wamid for i in items]))
        )).scalars()
    )
    new = [r for r in rows if r["wamid"] not in known]
    s.add_all(InboxMessage(**r) for r in new)
    return len(new)


async def claim_inbox(
    s: AsyncSession,
    now: datetime,
    *,
    lease: timedelta,
    limit: int,
    busy: Collection[str] = (),
    max_attempts: int = 3,
) -> list[InboxMessage]:
    """Lease up to `limit` open rows in arrival order, skipping senders in `busy`.

    A row whose lease ran out (its process died mid-way) is open again; a row that has
    been claimed `max_attempts` times is given up as failed, so one poisonous message
    cannot stop the inbox.
    """
    m = InboxMessage
    free = or_(m.lease_until.is_(None), m.lease_until < now)
    await s.execute(
        update(m)
        .where(m.status.in_(OPEN), free, m.attempts >= max_attempts)
        .values(status="failed", error=f"gave up after {max_attempts} attempts",
                processed_at=now, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    candidates = (
        await s.execute(
            select(m.id, m.wa_id).where(m.status.in_(OPEN), free).order_by(m.id).limit(limit * 4)
        )
    ).all()
    blocked = set(busy)
    ids: list[int] = []
    for row_id, wa_id in candidates:
        if wa_id in blocked:
            continue
        ids.append(row_id)
        if len(ids) >= limit:
            break
    if not ids:
        return []
    claimed = (
        await s.execute(
            update(m)
            .where(m.id.in_(ids), free)
            .values(lease_until=now + lease, attempts=m.attempts + 1)
            .returning(m.id)
            .execution_options(synchronize_session=False)
        )
    ).scalars().all()
    if not claimed:
        return []
    rows = (
        await s.execute(
            select(m).where(m.id.in_(list(claimed)))
            .order_by(m.id).execution_options(populate_existing=True)
        )
    ).scalars()
    return list(rows)


async def mark_handled(
    s: AsyncSession, row_id: int, replies: list[dict[str, Any]], now: datetime
) -> None:
    """The core handled the row (in this same unit of work): keep its replies to send."""
    await s.execute(
        update(InboxMessage).where(InboxMessage.id == row_id)
        .values(status="handled", replies=replies, processed_at=now)
        .execution_options(synchronize_session=False)
    )


async def finish_inbox(
    s: AsyncSession, row_id: int, now: datetime, *, error: str | None = None
) -> None:
    """The row is done (its replies went out), or failed with `error`.

    What the person wrote, and who wrote it, is not kept once answered (UU PDP: only for
    its purpose); the wamid stays, so that a late re-delivery is still recognised.
    """
    await s.execute(
        update(InboxMessage).where(InboxMessage.id == row_id)
        .values(status="failed" if error else "done", error=(error or None) and error[:300],
                lease_until=None, processed_at=now, wa_id="", body={}, replies=None)
        .execution_options(synchronize_session=False)
    )


async def purge_inbox(s: AsyncSession, before: datetime) -> int:
    """Delete finished rows received before `before` (Meta re-delivers for up to 7 days)."""
    result = await s.execute(
        delete(InboxMessage).where(
            InboxMessage.status.in_(("done", "failed")), InboxMessage.received_at < before
        )
    )
    return rows_touched(result)


async def inbox_counts(s: AsyncSession) -> dict[str, int]:
    """How many rows are in each status."""
    rows = await s.execute(
        select(InboxMessage.status, func.count()).group_by(InboxMessage.status)
    )
    return {status: int(n) for status, n in rows.all()}
