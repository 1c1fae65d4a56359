"""Queries about people, identities and admins (repositories never commit)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from db.engine import rows_touched
from db.models import Admin, Identity, Person

__all__ = [
    "add_admin",
    "find_identity",
    "get_or_create_identity",
    "is_db_admin",
    "last_inbound",
    "list_admins",
    "person_by_nip",
    "remove_admin",
    "rename_identity",
]


async def find_identity(s: AsyncSession, channel: str, external_id: str) -> Identity | None:
    """The identity of a channel account, with its person loaded."""
    row = await s.execute(
        select(Identity, Person)
        .join(Person, Person.id == Identity.person_id)
        .where(Identity.channel == channel, Identity.external_id == external_id)
    )
    found = row.first()
    return found[0] if found else None


async def get_or_create_identity(
    s: AsyncSession, channel: str, external_id: str, chat_id: str, now: datetime, *,
    user_is_chat: bool = True,
) -> tuple[Identity, Person]:
    """The identity and person behind a channel account, created on first contact.

    Where a person's private chat id is their user id (`user_is_chat`: Telegram, WhatsApp),
    the chat id is learnt only from a chat whose id equals theirs: a message or a button
    press that arrives from any other chat never re-points where their messages go.
    """
    own = chat_id == external_id or not user_is_chat
    ident = await find_identity(s, channel, external_id)
    if ident is None:
        created = await _create_identity(
            s, channel, external_id, chat_id if own else external_id, now)
        if created is not None:
            return created
        # A first message of the same account, handled at the same moment, created it.
        ident = await find_identity(s, channel, external_id)
        assert ident is not None
    owner = await s.get(Person, ident.person_id)
    assert owner is not None
    if own and ident.chat_id != chat_id:
        ident.chat_id = chat_id
    return ident, owner


async def _create_identity(
    s: AsyncSession, channel: str, external_id: str, chat_id: str, now: datetime
) -> tuple[Identity, Person] | None:
    """A new person and their identity; None (and no person) if a concurrent unit of work
    created the identity first (the insert waits for it and then skips)."""
    person = Person(created_at=now, tz="WIB", preferences={}, preferred_channel=channel)
    s.add(person)
    await s.flush()
    insert = sqlite.insert if s.get_bind().dialect.name == "sqlite" else postgresql.insert
    new_id = await s.scalar(
        insert(Identity).values(person_id=person.id, channel=channel, external_id=external_id,
                                chat_id=chat_id, created_at=now)
        .on_conflict_do_nothing(index_elements=["channel", "external_id"])
        .returning(Identity.id))
    if new_id is None:
        await s.delete(person)
        await s.flush()
        return None
    ident = await s.get(Identity, new_id)
    assert ident is not None
    return ident, person


async def person_by_nip(s: AsyncSession, nip: str) -> Person | None:
    """The person who registered this NIP."""
    return (await s.execute(select(Person).where(Person.nip == nip))).scalar_one_or_none()


async def is_db_admin(s: AsyncSession, channel: str, external_id: str) -> bool:
    """Whether an owner added this account as admin."""
    row = await s.execute(
        select(Admin.id).where(Admin.channel == channel, Admin.external_id == external_id)
    )
    return row.first() is not None


async def list_admins(s: AsyncSession) -> list[Admin]:
    """Admins added from the chat."""
    return list((await s.execute(select(Admin).order_by(Admin.id))).scalars())


async def add_admin(
    s: AsyncSession, channel: str, external_id: str, added_by: str, now: datetime
) -> bool:
    """Add an admin; False if already one."""
    if await is_db_admin(s, channel, external_id):
        return False
    s.add(Admin(channel=channel, external_id=external_id, added_by=added_by, created_at=now))
    return True


async def remove_admin(s: AsyncSession, channel: str, external_id: str) -> bool:
    """Remove an admin; False if it was not one."""
    res = await s.execute(
        delete(Admin).where(Admin.channel == channel, Admin.external_id == external_id)
    )
    return rows_touched(res) > 0


async def rename_identity(s: AsyncSession, channel: str, old: str, new: str) -> bool:
    """Move a channel account to a new external id (a WhatsApp number change).

    False when there is no account `old`, or `new` already has one (then both stay).
    """
    ident = await find_identity(s, channel, old)
    if ident is None or await find_identity(s, channel, new) is not None:
        return False
    ident.external_id = new
    if ident.chat_id == old:
        ident.chat_id = new
    return True


async def last_inbound(s: AsyncSession, channel: str, external_id: str) -> datetime | None:
    """When the account last wrote to the bot (None: never, or unknown account)."""
    found: datetime | None = await s.scalar(
        select(Identity.last_inbound_at).where(
            Identity.channel == channel, Identity.external_id == external_id
        )
    )
    return found
