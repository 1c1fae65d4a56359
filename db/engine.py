"""The async engine and the one session factory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session

__all__ = ["Sessions", "create_engine", "create_sessions", "rows_touched", "session_class"]

Sessions = async_sessionmaker[AsyncSession]


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def create_engine(url: str) -> AsyncEngine:
    """Create the engine; SQLite gets WAL, a busy timeout and foreign keys, and its folder."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 10})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)


def create_sessions(engine: AsyncEngine) -> Sessions:
    """The session factory: one session per unit of work.

    Its sessions are of a class of their own, so that session events (the outbox's
    wake-up after a commit) can listen to this factory alone."""

    class FactorySession(Session):
        pass

    return async_sessionmaker(engine, expire_on_commit=False, sync_session_class=FactorySession)


def session_class(sessions: Sessions) -> type[Session]:
    """The (sync) session class of a factory's sessions, to listen to its events."""
    cls = sessions.kw.get("sync_session_class", Session)
    assert isinstance(cls, type) and issubclass(cls, Session)
    return cls


def rows_touched(result: object) -> int:
    """How many rows an INSERT, UPDATE or DELETE touched (a driver that cannot say, -1: 0)."""
    return max(int(getattr(result, "rowcount", 0) or 0), 0)
