"""Attendance at sessions, throttling of wrong attendance codes, and the audit log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, UTCDateTime

__all__ = ["Attendance", "AuditEntry", "CodeFailure"]

SOURCE_SELF = "self"  # the person confirmed it (button, /hadir)
SOURCE_CORRECTION = "correction"  # an admin added it with a reason (see the audit log)


class Attendance(Base):
    """That a person attended a session: one row per (person, session), never two.

    Whether the row counts as JP is not stored: it is derived when read (the person has a
    NIP now), so a confirmation made before the NIP was added is credited once it is.
    Rows of a person who erased their data stay, linked to the anonymous person row.
    """

    __tablename__ = "attendance"
    __table_args__ = (
        UniqueConstraint("person_id", "session_id"),
        Index("ix_attendance_session_id", "session_id"),
        Index("ix_attendance_reported_at", "reported_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # No ON DELETE: a person or a session with attendance cannot be deleted by accident.
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    session_id: Mapped[int] = mapped_column(ForeignKey("learning_sessions.id"))
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime())
    channel: Mapped[str] = mapped_column(String(16))  # telegram, whatsapp, console, admin
    source: Mapped[str] = mapped_column(String(12), default=SOURCE_SELF)


class CodeFailure(Base):
    """Wrong attendance codes a person typed in the current window (for throttling)."""

    __tablename__ = "attendance_code_failures"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime())


class AuditEntry(Base):
    """Who did what to attendance data, and when: every correction and every export."""

    __tablename__ = "attendance_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    actor: Mapped[str] = mapped_column(String(80))  # "telegram:123", "cli:budi"
    action: Mapped[str] = mapped_column(String(24))  # export, jp_export, correction_add, ...
    detail: Mapped[str] = mapped_column(Text)
    rows: Mapped[int] = mapped_column(Integer, default=0)
