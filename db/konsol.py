"""The konsol's login links and admin sessions (repositories never commit; tokens are kept
only as hashes)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.engine import rows_touched
from db.models import KonsolLink, KonsolSession

__all__ = [
    "LINK_TTL",
    "SESSION_TTL",
    "LinkState",
    "consume_link",
    "create_link",
    "end_session",
    "end_sessions_of",
    "find_session",
    "link_state",
    "start_session",
    "token_hash",
]

LINK_TTL = timedelta(minutes=10)
SESSION_TTL = timedelta(hours=8)


def token_hash(token: str) -> str:
    """What is stored of a link or cookie token (a leaked table opens nothing)."""
    return hashlib.sha256(token.encode()).hexdigest()


async def create_link(
    db: AsyncSession, channel: str, external_id: str, *, by: str, now: datetime
) -> str:
    """A new one-time login link token for the admin `channel:external_id`."""
    token = secrets.token_urlsafe(32)
    db.add(KonsolLink(token_hash=token_hash(token), channel=channel, external_id=external_id,
                      created_by=by[:80], created_at=now, expires_at=now + LINK_TTL))
    await db.flush()
    return token


@dataclass(frozen=True)
class LinkState:
    """What a link is now: 'ok', 'used', 'expired' or 'unknown', and whose it is."""

    state: str
    channel: str = ""
    external_id: str = ""


async def link_state(db: AsyncSession, token: str, now: datetime) -> LinkState:
    """Whether `token` may still be used (read only: opening the link burns nothing)."""
    link = await db.scalar(select(KonsolLink).where(KonsolLink.token_hash == token_hash(token)))
    if link is None:
        return LinkState("unknown")
    if link.used_at is not None:
        return LinkState("used", link.channel, link.external_id)
    if link.expires_at <= now:
        return LinkState("expired", link.channel, link.external_id)
    return LinkState("ok", link.channel, link.external_id)


async def consume_link(db: AsyncSession, token: str, now: datetime) -> KonsolLink | None:
    """Mark the link used, once: the one caller that did gets it back, others None."""
    result = await db.execute(
        update(KonsolLink)
        .where(KonsolLink.token_hash == token_hash(token), KonsolLink.used_at.is_(None),
               KonsolLink.expires_at > now)
        .values(used_at=now).execution_options(synchronize_session=False)
    )
    if rows_touched(result) != 1:
        return None
    return await db.scalar(select(KonsolLink).where(KonsolLink.token_hash == token_hash(token)))


async def start_session(
    db: AsyncSession, channel: str, external_id: str, *, now: datetime,
    ip: str | None = None, user_agent: str | None = None,
) -> tuple[str, KonsolSession]:
    """A new session for the admin; returns the cookie's token (kept only as a hash)."""
    token = secrets.token_urlsafe(32)
    row = KonsolSession(
        token_hash=token_hash(token), csrf=secrets.token_urlsafe(32), channel=channel,
        external_id=external_id, created_at=now, expires_at=now + SESSION_TTL,
        ip=(ip or "")[:64] or None, user_agent=(user_agent or "")[:200] or None,
    )
    db.add(row)
    await db.flush()
    return token, row


async def find_session(db: AsyncSession, token: str, now: datetime) -> KonsolSession | None:
    """The live session of a cookie token (not ended, not expired), or None."""
    return await db.scalar(
        select(KonsolSession).where(
            KonsolSession.token_hash == token_hash(token), KonsolSession.ended_at.is_(None),
            KonsolSession.expires_at > now,
        )
    )


async def end_session(db: AsyncSession, session_id: int, now: datetime) -> None:
    """Log out: the session stops working at once."""
    await db.execute(
        update(KonsolSession).where(KonsolSession.id == session_id,
                                    KonsolSession.ended_at.is_(None))
        .values(ended_at=now).execution_options(synchronize_session=False)
    )


async def end_sessions_of(db: AsyncSession, channel: str, external_id: str, now: datetime) -> int:
    """End every session of an admin (removed as admin); returns how many were live."""
    result = await db.execute(
        update(KonsolSession)
        .where(KonsolSession.channel == channel, KonsolSession.external_id == external_id,
               KonsolSession.ended_at.is_(None))
        .values(ended_at=now).execution_options(synchronize_session=False)
    )
    return rows_touched(result)
