"""A new person's first messages handled at once: exactly one identity, no error."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from bot.runtime import Runtime
from core.types import Incoming
from db.models import Identity, Person


async def test_two_first_messages_at_once_make_one_identity(runtime: Runtime) -> None:
    first = Incoming("telegram", "777", "777", text="/mulai", display_name="Sari")
    second = Incoming("telegram", "777", "777", text="/menu", display_name="Sari")
    for _ in range(5):  # each round a new person: the race is not always lost
        replies = await asyncio.gather(*(runtime.dispatcher.handle(m) for m in (first, second)))
        assert all(r and "gangguan" not in (r[0].text or "") for r in replies)
        first = Incoming("telegram", str(int(first.user_id) + 1), str(int(first.user_id) + 1),
                         text="/mulai")
        second = Incoming("telegram", first.user_id, first.user_id, text="/menu")
    async with runtime.sessions() as db:
        assert await db.scalar(select(func.count()).select_from(Identity)) == 5
        assert await db.scalar(select(func.count()).select_from(Person)) == 5

