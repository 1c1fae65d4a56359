"""The figures /metrics reads from the database, on each backend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from core.outbox import BULK_PRIORITY, Priority, enqueue
from core.types import Reply
from db.engine import Sessions
from db.figures import OutboxBacklog, attendance_since, open_questions, outbox_backlog
from db.models import OutboxMessage, Question
from tests.auxil.outbox import add_people

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


async def test_outbox_backlog_per_channel_and_priority(sessions: Sessions) -> None:
    ids = await add_people(sessions, 5)
    async with sessions() as db, db.begin():
        for i, (ago, priority) in enumerate([(300, Priority.URGENT), (5, Priority.URGENT),
                                             (-60, Priority.URGENT), (42, BULK_PRIORITY),
                                             (900, BULK_PRIORITY)]):
            await enqueue(db, key=f"f:{i}", person_id=ids[i], channel="telegram",
                          chat_id=str(1000 + i), kind="menu", reply=Reply(f"pesan {i}"),
                          now=NOW - timedelta(hours=1), priority=priority,
                          not_before=NOW - timedelta(seconds=ago))
        # A sent row is no backlog, however old.
        await db.execute(update(OutboxMessage).where(OutboxMessage.idem_key == "f:4")
                         .values(status="sent"))
        db.add(Question(key="a", text="Tanya?", status="open", created_at=NOW))
        db.add(Question(key="b", text="Tanya lagi?", status="answered", created_at=NOW))
    async with sessions() as db:
        assert await outbox_backlog(db, NOW) == [
            OutboxBacklog("telegram", int(Priority.URGENT), 3, 2, 300.0),
            OutboxBacklog("telegram", int(BULK_PRIORITY), 1, 1, 42.0),
        ]
        assert await open_questions(db) == 1
        assert await attendance_since(db, NOW - timedelta(days=1)) == {}
