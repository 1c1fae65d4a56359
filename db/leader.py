"""Who leads the scheduler: a PostgreSQL advisory lock, or on SQLite a lease in the heartbeat
table (`process_heartbeats.leader_until`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from db.engine import rows_touched
from db.models import ProcessHeartbeat

__all__ = [
    "LEADER_LOCK",
    "drop_lease",
    "holder_of_lock",
    "take_lease",
    "terminate_backend",
    "try_lock",
    "unlock",
]

LEADER_LOCK = 0x646E_6C65_6164  # "dnlead": the advisory lock key of the scheduler's leader


async def take_lease(db: AsyncSession, *, name: str, now: datetime, until: datetime) -> bool:
    """Take or renew the leader's lease for process `name` (its heartbeat row), unless
    another process holds a lease that has not run out; return whether it holds it now."""
    hb = ProcessHeartbeat
    other = select(hb.name).where(hb.name != name, hb.leader_until > now).exists()
    result = await db.execute(
        update(hb).where(hb.name == name, ~other).values(leader_until=until)
        .execution_options(synchronize_session=False))
    return rows_touched(result) == 1


async def drop_lease(db: AsyncSession, *, name: str) -> None:
    """Give the lease up (a clean stop)."""
    await db.execute(
        update(ProcessHeartbeat).where(ProcessHeartbeat.name == name)
        .values(leader_until=None).execution_options(synchronize_session=False))


async def try_lock(conn: AsyncConnection, *, name: str) -> bool:
    """Take the leader's advisory lock on this connection if it is free (it is held until
    released or until the connection closes: a dead process's lock goes with it). The
    connection is named after the process, so that others can find who holds the lock."""
    await conn.execute(text("SELECT set_config('application_name', :name, false)"),
                       {"name": name[:63]})
    got = await conn.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": LEADER_LOCK})
    await conn.commit()
    return bool(got)


async def unlock(conn: AsyncConnection) -> None:
    """Release the leader's advisory lock held on this connection."""
    await conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LEADER_LOCK})
    await conn.commit()


async def holder_of_lock(db: AsyncSession) -> tuple[int, str, datetime | None] | None:
    """The backend holding the leader's lock: (backend pid, process name, that process's last
    heartbeat), or None when nobody holds it."""
    found = (await db.execute(text(
        "SELECT a.pid, a.application_name FROM pg_locks l "
        "JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = :hi AND l.objid = :lo "
        "AND l.objsubid = 1 AND l.database = "
        "(SELECT oid FROM pg_database WHERE datname = current_database())"),
        {"hi": LEADER_LOCK >> 32, "lo": LEADER_LOCK & 0xFFFF_FFFF})).first()
    if found is None:
        return None
    pid, app = int(found[0]), str(found[1] or "")
    seen = await db.scalar(select(ProcessHeartbeat.last_seen_at)
                           .where(ProcessHeartbeat.name == app))
    return pid, app, seen


async def terminate_backend(db: AsyncSession, pid: int) -> bool:
    """End a backend (a hung leader's): its session lock is released with it."""
    return bool(await db.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}))
