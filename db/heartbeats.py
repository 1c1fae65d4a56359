"""Heartbeat rows of the running processes: write, read who is alive, forget."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.engine import rows_touched
from db.models.processes import ProcessHeartbeat

__all__ = ["STALE_AFTER", "alive", "beat", "forget", "forget_stale"]

STALE_AFTER = timedelta(seconds=15)  # no heartbeat for this long: the process is gone


async def beat(
    db: AsyncSession, *, name: str, role: str, host: str, pid: int, started_at: datetime,
    now: datetime,
) -> None:
    """Say that process `name` is alive now (the first beat writes its row)."""
    touched = await db.execute(
        update(ProcessHeartbeat).where(ProcessHeartbeat.name == name)
        .values(last_seen_at=now).execution_options(synchronize_session=False)
    )
    if not rows_touched(touched):
        db.add(ProcessHeartbeat(name=name, role=role, host=host, pid=pid,
                                started_at=started_at, last_seen_at=now))


async def alive(
    db: AsyncSession, now: datetime, *, roles: tuple[str, ...] = (),
    stale_after: timedelta = STALE_AFTER,
) -> list[ProcessHeartbeat]:
    """The processes seen within `stale_after` (of these roles, if given), oldest first."""
    query = select(ProcessHeartbeat).where(ProcessHeartbeat.last_seen_at > now - stale_after)
    if roles:
        query = query.where(ProcessHeartbeat.role.in_(roles))
    return list(await db.scalars(query.order_by(ProcessHeartbeat.started_at)))


async def forget(db: AsyncSession, name: str) -> None:
    """A process stopped cleanly: remove its row."""
    await db.execute(delete(ProcessHeartbeat).where(ProcessHeartbeat.name == name))


async def forget_stale(db: AsyncSession, now: datetime, *, older_than: timedelta) -> int:
    """Remove rows of processes gone for longer than `older_than`; return how many."""
    result = await db.execute(
        delete(ProcessHeartbeat).where(ProcessHeartbeat.last_seen_at < now - older_than)
    )
    return rows_touched(result)
