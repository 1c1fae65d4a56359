"""The WhatsApp inbox (webhook messages stored before they are answered) and link codes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, UTCDateTime

__all__ = ["InboxMessage", "LinkAttempt", "LinkCode"]


class InboxMessage(Base):
    """One message a person sent on WhatsApp, stored before the webhook answers 200.

    `pending` → `handled` (the core ran; its replies are kept in `replies`) → `done`
    (the replies went out) or `failed`. Meta never re-sends a message it got a 200 for,
    so this row is the only copy until it is done.
    """

    __tablename__ = "whatsapp_inbox"
    __table_args__ = (
        Index("ix_whatsapp_inbox_due", "status", "id"),
        Index("ix_whatsapp_inbox_sender", "wa_id", "id"),  # "an older open row of this sender?"
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    wamid: Mapped[str] = mapped_column(String(128), unique=True)  # Meta retries: processed once
    wa_id: Mapped[str] = mapped_column(String(32))
    body: Mapped[dict[str, object]] = mapped_column(JSON)  # a webhook body with this message only
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claimed_by: Mapped[str | None] = mapped_column(String(64))  # a process, while leased
    replies: Mapped[list[dict[str, object]] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(String(300))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class LinkCode(Base):
    """A one-time code shown by /hubungkan on one channel, to be typed on the other."""

    __tablename__ = "link_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)  # never the code itself
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))  # where the code was shown
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Set when both accounts had a profile and the person is asked which one to keep.
    claimed_by: Mapped[int | None] = mapped_column(
        ForeignKey("identities.id", ondelete="CASCADE")
    )


class LinkAttempt(Base):
    """Wrong codes typed from one account: guessing a six-digit code must stay hopeless."""

    __tablename__ = "link_attempts"

    identity_id: Mapped[int] = mapped_column(
        ForeignKey("identities.id", ondelete="CASCADE"), primary_key=True
    )
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime())
