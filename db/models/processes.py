"""The bot's running processes: each background process writes a heartbeat row."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, UTCDateTime

__all__ = ["ProcessHeartbeat"]


class ProcessHeartbeat(Base):
    """One running `run` or `worker` process, seen alive at `last_seen_at`."""

    __tablename__ = "process_heartbeats"

    name: Mapped[str] = mapped_column(String(120), primary_key=True)  # host:pid:random
    role: Mapped[str] = mapped_column(String(20))  # run, worker
    host: Mapped[str] = mapped_column(String(100))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
