"""Many channel accounts looked up at once (the batch paths of the busiest messages)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import ConversationState, Identity, Person

__all__ = ["Account", "accounts", "touch_accounts"]


@dataclass(frozen=True)
class Account:
    """What a batch path needs of the person behind a channel account."""

    identity_id: int
    person_id: int
    tz: str
    # A message from this account changes nothing else about the person: they are
    # reachable, scheduled messages already go to this channel (or one they pinned), and
    # they are in no conversation step (which another command would end).
    settled: bool


async def accounts(db: AsyncSession, channel: str, external_ids: Iterable[str]
                   ) -> dict[str, Account]:
    """The accounts of one channel among `external_ids` that exist, in one query."""
    ids = sorted(set(external_ids))
    if not ids:
        return {}
    rows = await db.execute(
        select(Identity.external_id, Identity.id, Person.id, Person.tz, Person.reachable,
               Person.channel_pinned, Person.preferred_channel, ConversationState.person_id)
        .join(Person, Person.id == Identity.person_id)
        .outerjoin(ConversationState, ConversationState.person_id == Person.id)
        .where(Identity.channel == channel, Identity.external_id.in_(ids)))
    return {
        ext: Account(iid, pid, tz or "WIB", bool(reachable) and step is None and (
            preferred == channel or (bool(pinned) and preferred is not None)))
        for ext, iid, pid, tz, reachable, pinned, preferred, step in rows.all()
    }


async def touch_accounts(db: AsyncSession, identity_ids: Iterable[int], now: datetime) -> None:
    """Note that these accounts just wrote (for WhatsApp's 24-hour window)."""
    ids = sorted(set(identity_ids))
    if ids:
        await db.execute(update(Identity).where(Identity.id.in_(ids)).values(last_inbound_at=now))
