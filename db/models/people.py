"""People, their channel identities, and admins."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base, UTCDateTime

__all__ = ["Admin", "Identity", "Person"]


class Person(Base):
    """A subscriber: one record whatever channels they use."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    full_name: Mapped[str | None] = mapped_column(String(120))
    nip: Mapped[str | None] = mapped_column(String(18), unique=True)
    instansi: Mapped[str | None] = mapped_column(String(160))
    region_code: Mapped[str | None] = mapped_column(String(4), index=True)
    tz: Mapped[str] = mapped_column(String(4), default="WIB")  # WIB, WITA or WIT
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    registered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    subscribed: Mapped[bool] = mapped_column(Boolean, default=True)
    # False once a platform tells us the person blocked the bot or the account is gone.
    reachable: Mapped[bool] = mapped_column(Boolean, default=True)
    preferred_channel: Mapped[str | None] = mapped_column(String(16))
    # True when the person chose the channel in /profil; otherwise it follows the channel
    # they last wrote from.
    channel_pinned: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # What scheduled messages the person wants: {"menu": bool, "reminder": bool, "muted": [keys]}
    preferences: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    identities: Mapped[list[Identity]] = relationship(back_populates="person")

    @property
    def registered(self) -> bool:
        """Whether registration was completed."""
        return self.registered_at is not None


class Identity(Base):
    """A person's account on one channel (Telegram user id, WhatsApp number, console)."""

    __tablename__ = "identities"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    chat_id: Mapped[str] = mapped_column(String(64))
    last_inbound_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    person: Mapped[Person] = relationship(back_populates="identities")


class Admin(Base):
    """An admin added from the chat by an owner (owners come from the settings)."""

    __tablename__ = "admins"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    added_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
