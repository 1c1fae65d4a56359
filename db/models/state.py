"""Conversation state (so an interrupted flow resumes) and app-wide key/values."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, UTCDateTime

__all__ = ["AppMeta", "ConversationState"]


class ConversationState(Base):
    """Where a person is in a multi-step conversation (registration, profile edit, ...)."""

    __tablename__ = "conversation_states"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    flow: Mapped[str] = mapped_column(String(32))
    step: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AppMeta(Base):
    """Small app-wide values kept in the database (the callback signing key, ...)."""

    __tablename__ = "app_meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
