"""The weekly programme, the content calendar of sessions, and holidays."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, UTCDateTime

__all__ = ["Holiday", "LearningSession", "Programme"]


class Programme(Base):
    """One of the five weekday programmes."""

    __tablename__ = "programmes"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    weekday: Mapped[int] = mapped_column(Integer, unique=True)  # 0 = Monday
    name: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(Text)


class LearningSession(Base):
    """A session on the calendar (a webinar, a forum, a class)."""

    __tablename__ = "learning_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)  # kode_sesi: a stable id
    day: Mapped[date] = mapped_column(Date, index=True)
    programme_key: Mapped[str] = mapped_column(ForeignKey("programmes.key"))
    title: Mapped[str] = mapped_column(String(200))
    speaker: Mapped[str | None] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    zoom_url: Mapped[str | None] = mapped_column(String(500))
    youtube_url: Mapped[str | None] = mapped_column(String(500))
    recording_url: Mapped[str | None] = mapped_column(String(500))
    jp: Mapped[float] = mapped_column(Numeric(4, 2, asdecimal=False), default=0)
    attendance_code: Mapped[str | None] = mapped_column(String(40))
    attendance_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(8), default="aktif")  # aktif or batal
    # The calendar's `evaluasi` (ya, tidak, wajib) and `bukti` (kode, kuis, tombol); None:
    # the programme's default evaluation, and proof by code when there is one, else button.
    evaluation: Mapped[str | None] = mapped_column(String(6))
    proof: Mapped[str | None] = mapped_column(String(6))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Bumped by every ORM update (an import, a konsol form): a form saved over a version
    # someone else changed meanwhile is refused (migration 0011).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}


class Holiday(Base):
    """A day without sessions (libur): imported by admins or national."""

    __tablename__ = "holidays"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    reason: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(16), default="admin")
