"""Start-up work that several processes starting at once must do one at a time."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["one_at_a_time"]

_SEED_LOCK = 0x646E_7365_6564  # "dnseed"


async def one_at_a_time(db: AsyncSession) -> None:
    """Hold this unit of work until no other process is in one of its own (first thing in
    it): seeding a fresh database reads, then inserts, and two processes doing that at
    once would insert the same rows twice."""
    if db.get_bind().dialect.name == "postgresql":
        await db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SEED_LOCK})
    else:
        # SQLite takes its write lock at a transaction's first write: take it now.
        await db.execute(text("UPDATE app_meta SET value = value WHERE 0"))
