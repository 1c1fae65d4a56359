"""The outbox of messages the bot sends on its own initiative, and the scheduler's bookkeeping."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, UTCDateTime

__all__ = ["NudgePlan", "OutboxMessage", "OutboxPayload"]

# SQLite only autoincrements an INTEGER PRIMARY KEY; PostgreSQL gets 64 bits (a million
# rows a day exhausts 32 bits in a few years).
_BigId = BigInteger().with_variant(Integer(), "sqlite")


class OutboxPayload(Base):
    """The body of a message, shared by every row that sends the same thing.

    A morning menu for a million people is one payload and a million small rows.
    """

    __tablename__ = "outbox_payloads"

    id: Mapped[int] = mapped_column(_BigId, primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the canonical JSON
    body: Mapped[dict[str, object]] = mapped_column(JSON)  # Reply.to_dict() (+ meta.template)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OutboxMessage(Base):
    """One message to one recipient, from `pending` to `sent`, `failed`, `skipped` or
    `cancelled` (`sending` while a dispatcher holds its lease)."""

    __tablename__ = "outbox"
    __table_args__ = (
        # The claim query: per channel and priority, the due rows in order.
        Index("ix_outbox_claim", "status", "channel", "priority", "not_before", "id"),
        Index("ix_outbox_ref", "ref_type", "ref_id", "status"),
        Index("ix_outbox_person", "person_id", "status"),
        # Status webhooks find their row by the platform's message id (migration 0003).
        Index("ix_outbox_platform_message_id", "platform_message_id"),
        # Whether a payload is still used (the purge; deleting a payload checks it too).
        Index("ix_outbox_payload_id", "payload_id"),
    )

    id: Mapped[int] = mapped_column(_BigId, primary_key=True)
    idem_key: Mapped[str] = mapped_column(String(160), unique=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    priority: Mapped[int] = mapped_column(SmallInteger)
    payload_id: Mapped[int] = mapped_column(ForeignKey("outbox_payloads.id"))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime())
    # Past this instant the message is pointless (a reminder after its session started).
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(String(300))
    platform_message_id: Mapped[str | None] = mapped_column(String(64))
    ref_type: Mapped[str | None] = mapped_column(String(16))
    ref_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # When it was sent; for a failed row, when its delivery ended (the alerts' failure rate).
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Delivery receipts (WhatsApp status webhooks; migration 0003).
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class NudgePlan(Base):
    """That a scheduled nudge (a zone's morning menu, a session's reminder) was planned,
    skipped or missed: what the scheduler reads at start to decide on a catch-up."""

    __tablename__ = "nudge_plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)  # e.g. menu:2026-01-05:WIB
    kind: Mapped[str] = mapped_column(String(16))
    day: Mapped[date] = mapped_column(Date, index=True)
    zone: Mapped[str] = mapped_column(String(4))
    ref_id: Mapped[int | None] = mapped_column(BigInteger)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # planning (interrupted if still so at start), planned, missed, holiday, cancelled
    status: Mapped[str] = mapped_column(String(10))
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    # The body its rows share, so a calendar change can re-point pending rows to a new one.
    payload_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_payloads.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
