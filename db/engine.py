"""The async engine and the one session factory."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session
from sqlalchemy.util import await_

__all__ = ["Sessions", "create_engine", "create_sessions", "rows_touched", "session_class"]

Sessions = async_sessionmaker[AsyncSession]


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


_WRITES = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)
WRITE_WAIT = 10.0  # seconds a transaction waits to write, as SQLite's busy timeout


class _OneWriter:
    """SQLite lets one transaction write at a time, and one that finds the database locked
    sleeps and tries again, up to 100 ms a time: under a burst of writes every answer
    waits behind such sleeps. In one process, transactions queue here for their turn
    instead (first come, first served): a transaction takes the turn at its first write
    and gives it back at its commit or rollback. Other processes still meet SQLite's
    lock (one process on SQLite is the recommended set-up)."""

    def __init__(self) -> None:
        self._lock = asyncio.Lock()

    def before_execute(self, conn: Connection, cursor: Any, statement: str, *args: Any) -> None:
        if conn.info.get("writing") or not _WRITES.match(statement):
            return
        await_(asyncio.wait_for(self._lock.acquire(), WRITE_WAIT))
        conn.info["writing"] = True

    def end(self, conn: Connection) -> None:
        try:
            info = conn.info
        except Exception:  # an invalidated connection: the pool's events below give back
            return
        self.give_back(info)

    def pool_event(self, dbapi_conn: Any, record: Any, *args: Any) -> None:
        # A connection handed back or invalidated (a statement cancelled half-way) without
        # a commit or rollback event: its turn ends here at the latest.
        self.give_back(record.info)

    def give_back(self, info: dict[Any, Any]) -> None:
        if info.pop("writing", False):
            self._lock.release()


def create_engine(url: str) -> AsyncEngine:
    """Create the engine; SQLite gets WAL, a busy timeout and foreign keys, its folder, and
    one writer at a time in this process (`_OneWriter`)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 10})
        sync = engine.sync_engine
        event.listen(sync, "connect", _sqlite_pragmas)
        writer = _OneWriter()
        event.listen(sync, "before_cursor_execute", writer.before_execute)
        for ended in ("commit", "rollback"):
            event.listen(sync, ended, writer.end)
        for gone in ("checkin", "invalidate"):
            event.listen(sync.pool, gone, writer.pool_event)
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
