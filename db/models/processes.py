"""The bot's running processes: heartbeats, the leader's lease, each channel's flow control."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, UTCDateTime

__all__ = ["ChannelFlow", "ProcessHeartbeat"]


class ProcessHeartbeat(Base):
    """One running `run` or `worker` process, seen alive at `last_seen_at`."""

    __tablename__ = "process_heartbeats"

    name: Mapped[str] = mapped_column(String(120), primary_key=True)  # host:pid:random
    role: Mapped[str] = mapped_column(String(20))  # run, worker
    host: Mapped[str] = mapped_column(String(100))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    # The scheduler's leader on SQLite holds this lease (PostgreSQL uses an advisory lock).
    leader_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ChannelFlow(Base):
    """One channel's flow control, shared by every process that sends on it.

    Times are seconds since the epoch (wall clock): a 429 pauses every sender until
    `paused_until`; broadcasts reserve their send slots by moving `next_slot` on, so that
    the configured rate holds for all processes together.
    """

    __tablename__ = "channel_flow"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    paused_until: Mapped[float] = mapped_column(Float, default=0.0)
    next_slot: Mapped[float] = mapped_column(Float, default=0.0)
