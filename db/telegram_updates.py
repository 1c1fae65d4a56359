"""Store Telegram updates once each, keyed by update_id (claims: db.inbox_claims)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from db.engine import rows_touched
from db.models import TelegramUpdate

__all__ = ["StoredUpdate", "store_updates"]


@dataclass(frozen=True)
class StoredUpdate:
    """One update to store: its id, the chat its order is kept in, and the update itself."""

    update_id: int
    chat_key: str
    body: Mapping[str, Any]


async def store_updates(db: AsyncSession, updates: Sequence[StoredUpdate], now: datetime) -> int:
    """Store the updates not stored before (a re-delivery adds nothing); return how many."""
    if not updates:
        return 0
    insert = sqlite.insert if db.get_bind().dialect.name == "sqlite" else postgresql.insert
    rows = [{"update_id": u.update_id, "chat_key": u.chat_key[:32], "body": dict(u.body),
             "status": "pending", "attempts": 0, "received_at": now} for u in updates]
    result = await db.execute(
        insert(TelegramUpdate).values(rows).on_conflict_do_nothing(index_elements=["update_id"]))
    return rows_touched(result)
