"""The konsol's one-time login links and the sessions of admins signed in to it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, UTCDateTime
from db.models.people import Person

__all__ = ["KonsolLink", "KonsolSession"]


class KonsolLink(Base):
    """A login link sent to an admin: single use, valid a few minutes (only its hash kept)."""

    __tablename__ = "konsol_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    channel: Mapped[str] = mapped_column(String(16))  # the admin's account: telegram, 123
    external_id: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(80))  # "chat", "cli:budi"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class KonsolSession(Base):
    """An admin signed in to the konsol (in the database, so any process can serve it)."""

    __tablename__ = "konsol_sessions"
    __table_args__ = (Index("ix_konsol_sessions_admin", "channel", "external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # the cookie's sha256
    csrf: Mapped[str] = mapped_column(String(64))  # every form of this session carries it
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # logout, admin removed
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(200))


# The konsol lists people by name, a page at a time: an index keeps a middle page of 100,000
# from sorting them all (declared here, beside the konsol that needs it; migration 0011).
Index("ix_people_full_name", Person.__table__.c.full_name)
