"""Each channel's flow-control row, shared by every sending process: pause and send slots."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import ChannelFlow

__all__ = ["ensure_flow", "extend_pause", "paused_until", "reserve_slots"]


def _greatest(db: AsyncSession, *values: Any) -> Any:
    # SQLite's max() of several arguments is PostgreSQL's greatest().
    if db.get_bind().dialect.name == "sqlite":
        return func.max(*values)
    return func.greatest(*values)


async def ensure_flow(db: AsyncSession, channel: str) -> None:
    """Create the channel's row unless it exists."""
    insert = sqlite.insert if db.get_bind().dialect.name == "sqlite" else postgresql.insert
    await db.execute(
        insert(ChannelFlow).values(channel=channel, paused_until=0.0, next_slot=0.0)
        .on_conflict_do_nothing(index_elements=["channel"]))


async def paused_until(db: AsyncSession, channel: str) -> float:
    """Until when (seconds since the epoch) the channel is paused."""
    found = await db.scalar(select(ChannelFlow.paused_until).where(ChannelFlow.channel == channel))
    return float(found or 0.0)


async def extend_pause(db: AsyncSession, channel: str, until: float) -> None:
    """Pause every sender of the channel until `until`, unless paused longer already."""
    await db.execute(
        update(ChannelFlow).where(ChannelFlow.channel == channel)
        .values(paused_until=_greatest(db, ChannelFlow.paused_until, until))
        .execution_options(synchronize_session=False))


async def reserve_slots(db: AsyncSession, channel: str, *, now: float, span: float
                        ) -> tuple[float, float]:
    """Reserve the next `span` seconds of the channel's sending time for this process.

    The reservations of all processes follow each other, never overlapping, and none
    starts before now or during a pause; return (start, paused_until).
    """
    f = ChannelFlow
    start = _greatest(db, f.next_slot, f.paused_until, now)
    reserve = (update(f).where(f.channel == channel).values(next_slot=start + span)
               .returning(f.next_slot, f.paused_until)
               .execution_options(synchronize_session=False))
    found = (await db.execute(reserve)).first()
    if found is None:  # the channel's first reservation
        await ensure_flow(db, channel)
        found = (await db.execute(reserve)).first()
    assert found is not None
    return float(found[0]) - span, float(found[1])
