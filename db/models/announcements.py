"""Admin announcements: what to broadcast, to whom, when, and how it went."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, UTCDateTime

__all__ = ["ANNOUNCEMENT_STATUSES", "Announcement"]

# draft: being composed; scheduled: confirmed, waiting for scheduled_at; running: rows are
# (being) written to the outbox and delivered; done / stopped: nothing left in flight.
ANNOUNCEMENT_STATUSES = ("draft", "scheduled", "running", "done", "stopped")


class Announcement(Base):
    """One broadcast; its per-recipient messages are outbox rows with ref ("announcement", id)."""

    __tablename__ = "announcements"
    __table_args__ = (Index("ix_announcements_due", "status", "scheduled_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_by: Mapped[str] = mapped_column(String(80))  # "telegram:123", "cli"
    created_by_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL")
    )
    # Telegram HTML as the admin wrote it (validated); other channels get it converted.
    text: Mapped[str] = mapped_column(Text, default="")
    media_kind: Mapped[str | None] = mapped_column(String(10))  # photo, document
    # The platform's reference of the file the admin sent, reusable on that channel only.
    media_channel: Mapped[str | None] = mapped_column(String(16))
    media_file_id: Mapped[str | None] = mapped_column(String(300))
    media_filename: Mapped[str | None] = mapped_column(String(200))
    media_mime: Mapped[str | None] = mapped_column(String(100))
    # A local copy, uploaded once by the sender of any other channel (and the CLI's --file).
    media_path: Mapped[str | None] = mapped_column(String(500))
    segment: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(10), default="draft")
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # every row written
    stop_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    stopped_by: Mapped[str | None] = mapped_column(String(80))
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Where the admin follows it: a message edited in place (Telegram) and the report.
    progress_channel: Mapped[str | None] = mapped_column(String(16))
    progress_chat_id: Mapped[str | None] = mapped_column(String(64))
    progress_message_id: Mapped[str | None] = mapped_column(String(64))
    audience: Mapped[int] = mapped_column(Integer, default=0)  # counted at confirmation
    total: Mapped[int] = mapped_column(Integer, default=0)  # rows written to the outbox
    sent: Mapped[int] = mapped_column(Integer, default=0)
    blocked: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    cancelled: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
