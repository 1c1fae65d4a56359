"""The WhatsApp inbox repository: store each message once (claims: db.inbox_claims).

Bodies are opaque JSON here; `bot.whatsapp.inbox` knows what is inside.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from db.engine import rows_touched
from db.inbox_claims import WHATSAPP, counts
from db.models import InboxMessage

__all__ = ["InboxItem", "inbox_counts", "store_inbox"]


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


async def inbox_counts(s: AsyncSession) -> dict[str, int]:
    """How many rows are in each status."""
    return await counts(s, WHATSAPP)
