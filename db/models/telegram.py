"""Telegram updates stored before they are confirmed to Telegram (polling) or answered 200."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, UTCDateTime

__all__ = ["TelegramUpdate"]

_FREE = text("status IN ('pending', 'handled') AND claimed_by IS NULL")


class TelegramUpdate(Base):
    """One update from Telegram, keyed by its `update_id` (a re-delivery adds nothing).

    `pending` → `handled` (the core's effects are committed with this mark; the replies to
    send are kept in `replies`) → `done` (the replies went out; the body is cleared) or
    `failed`. A chat's updates are claimed together by one process (`claimed_by`, a process
    name as in `process_heartbeats`) and handled in `update_id` order.
    """

    __tablename__ = "telegram_updates"
    __table_args__ = (
        # The claim: free open rows in order (those another process holds are not even
        # looked at), and "is there an older open row of this chat?".
        Index("ix_telegram_updates_free", "update_id", postgresql_where=_FREE,
              sqlite_where=_FREE),
        Index("ix_telegram_updates_chat", "chat_key", "update_id"),
    )

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    chat_key: Mapped[str] = mapped_column(String(32))  # the chat id (or the sender's id)
    body: Mapped[dict[str, object]] = mapped_column(JSON)  # the Update as Telegram sent it
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    replies: Mapped[list[dict[str, object]] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(String(300))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
