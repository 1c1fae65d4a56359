"""The purge of rows past their purpose: what goes, what stays, in small batches."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from db.engine import Sessions, create_engine, create_sessions
from db.models import (
    Announcement,
    InboxMessage,
    LinkCode,
    NudgePlan,
    OutboxMessage,
    OutboxPayload,
)
from db.purge import purge_old_rows
from tests.auxil.databases import BACKENDS, database
from tests.auxil.outbox import add_people

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
OLD = NOW - timedelta(days=100)
YOUNG = NOW - timedelta(days=10)
RETENTION = timedelta(days=90)


@pytest.fixture(params=BACKENDS)
async def sessions(
    request: pytest.FixtureRequest, tmp_path: Path, template_db: Path
) -> AsyncIterator[Sessions]:
    """A migrated database of its own, SQLite and PostgreSQL."""
    async with database(str(request.param), tmp_path, template=template_db) as url:
        engine = create_engine(url)
        try:
            yield create_sessions(engine)
        finally:
            await engine.dispose()


async def _payload(sessions: Sessions, name: str, created: datetime) -> int:
    async with sessions() as db, db.begin():
        return int(await db.scalar(insert(OutboxPayload).returning(OutboxPayload.id).values(
            digest=name.ljust(64, "0"), body={"text": name}, created_at=created)))


async def _row(sessions: Sessions, key: str, payload: int, status: str, created: datetime,
               **extra: Any) -> int:
    async with sessions() as db, db.begin():
        return int(await db.scalar(insert(OutboxMessage).returning(OutboxMessage.id).values(
            idem_key=key, channel="telegram", chat_id="1", kind="menu", priority=2,
            payload_id=payload, status=status, attempts=1, not_before=created,
            created_at=created, **extra)))


async def _announcement(sessions: Sessions, status: str, sent: int) -> int:
    async with sessions() as db, db.begin():
        ann = Announcement(created_by="cli", text="Info", segment={}, status=status,
                           audience=sent, total=sent, sent=sent, blocked=0, failed=0,
                           cancelled=0, created_at=OLD, updated_at=OLD)
        db.add(ann)
        await db.flush()
        return ann.id


async def _remaining(sessions: Sessions, model: Any) -> set[int]:
    async with sessions() as db:
        return set(await db.scalars(select(model.id)))


async def test_old_rows_with_an_outcome_go_and_everything_else_stays(
    sessions: Sessions,
) -> None:
    done = await _announcement(sessions, "done", sent=2)
    running = await _announcement(sessions, "running", sent=0)
    menu = await _payload(sessions, "menu", OLD)
    gone = {await _row(sessions, f"old-{status}", menu, status, OLD)
            for status in ("sent", "failed", "skipped", "cancelled")}
    gone |= {await _row(sessions, f"ann-{i}", menu, "sent", OLD, ref_type="announcement",
                        ref_id=done) for i in range(2)}
    still_used = await _payload(sessions, "pending", OLD)
    kept = {
        await _row(sessions, "old-pending", still_used, "pending", OLD),
        await _row(sessions, "old-sending", menu, "sending", OLD),
        await _row(sessions, "young-sent", menu, "sent", YOUNG),
        # A running announcement still counts its rows for its figures.
        await _row(sessions, "ann-running", menu, "sent", OLD, ref_type="announcement",
                   ref_id=running),
    }
    orphan = await _payload(sessions, "orphan", OLD)
    young_orphan = await _payload(sessions, "young-orphan", YOUNG)
    planned_old = await _payload(sessions, "planned-old", OLD)
    planned_young = await _payload(sessions, "planned-young", YOUNG)
    async with sessions() as db, db.begin():
        for key, payload, due in (("menu:old", planned_old, OLD),
                                  ("menu:young", planned_young, YOUNG)):
            db.add(NudgePlan(key=key, kind="menu", day=date(2026, 8, 1), zone="WIB",
                             due_at=due, status="planned", recipients=1, payload_id=payload,
                             created_at=due, updated_at=due))
    person = (await add_people(sessions, 1))[0]
    async with sessions() as db, db.begin():
        for i, expires in enumerate((OLD, YOUNG)):
            db.add(LinkCode(code_hash=f"h{i}", person_id=person, channel="telegram",
                            created_at=expires - timedelta(minutes=10), expires_at=expires))
        for i, (status, received) in enumerate((
                ("done", NOW - timedelta(days=9)), ("failed", NOW - timedelta(days=9)),
                ("pending", NOW - timedelta(days=9)), ("done", NOW - timedelta(days=2)))):
            db.add(InboxMessage(wamid=f"wamid.{i}", wa_id="6281", body={}, status=status,
                                attempts=1, received_at=received))

    report = await purge_old_rows(sessions, now=NOW, retention=RETENTION, batch=2, pause=0)

    assert await _remaining(sessions, OutboxMessage) == kept
    assert report.outbox == len(gone) == 6
    # The plan of a day long past let go of its payload; then no one used it.
    assert report.plans_released == 1
    assert await _remaining(sessions, OutboxPayload) == {menu, still_used, young_orphan,
                                                         planned_young}
    assert report.payloads == 2 and orphan not in await _remaining(sessions, OutboxPayload)
    assert report.link_codes == 1 and report.whatsapp_inbox == 2
    async with sessions() as db:
        assert await db.scalar(select(func.count()).select_from(LinkCode)) == 1
        statuses = sorted(await db.scalars(select(InboxMessage.status)))
        assert statuses == ["done", "pending"]
        ann = await db.get(Announcement, done)
        assert ann is not None and (ann.sent, ann.total) == (2, 2)  # the report's figures
    again = await purge_old_rows(sessions, now=NOW, retention=RETENTION, batch=2, pause=0)
    assert again.total == 0


async def test_the_walk_goes_batch_by_batch_and_stops_at_young_rows(
    sessions: Sessions,
) -> None:
    payload = await _payload(sessions, "bulk", OLD)
    rows = [{"idem_key": f"k{i}", "channel": "telegram", "chat_id": str(i), "kind": "menu",
             "priority": 2, "payload_id": payload, "status": "sent", "attempts": 1,
             "not_before": OLD, "created_at": OLD + timedelta(seconds=i)} for i in range(2500)]
    rows += [{**r, "idem_key": f"y{i}", "created_at": YOUNG} for i, r in enumerate(rows[:5])]
    async with sessions() as db, db.begin():
        await db.execute(insert(OutboxMessage), rows)
    report = await purge_old_rows(sessions, now=NOW, retention=RETENTION, batch=1000, pause=0)
    assert report.outbox == 2500
    async with sessions() as db:
        assert await db.scalar(select(func.count()).select_from(OutboxMessage)) == 5
