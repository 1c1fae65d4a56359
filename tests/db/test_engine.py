"""SQLite: one writing transaction at a time in a process, each waiting its turn."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import text

from db.engine import create_engine, create_sessions

pytestmark = pytest.mark.sqlite_only  # PostgreSQL has no database-wide write lock


async def test_writers_take_turns_and_a_cancelled_one_gives_its_turn_back(db_url: str
                                                                         ) -> None:
    engine = create_engine(db_url)
    sessions = create_sessions(engine)
    order: list[str] = []

    async def writer(name: str, hold: float) -> None:
        async with sessions() as db, db.begin():
            await db.execute(text("UPDATE app_meta SET value = value WHERE 0"))
            order.append(f"{name} writes")
            await asyncio.sleep(hold)
            order.append(f"{name} commits")

    try:
        stuck = asyncio.create_task(writer("stuck", 60))
        await asyncio.sleep(0.05)
        waiting = asyncio.create_task(writer("next", 0))
        await asyncio.sleep(0.2)
        assert order == ["stuck writes"]  # the next one waits its turn, without an error
        stuck.cancel()  # a stop abandons the first mid-way: its turn is given back
        start = time.monotonic()
        await asyncio.wait_for(waiting, 5)
        assert time.monotonic() - start < 1.0
        assert order == ["stuck writes", "next writes", "next commits"]
        many = [asyncio.create_task(writer(f"w{i}", 0.01)) for i in range(20)]
        await asyncio.wait_for(asyncio.gather(*many), 10)  # SQLite never says "locked"
    finally:
        await engine.dispose()
