"""Keep the database lean: delete, in small batches, rows whose purpose is over.

What goes: outbox rows with an outcome (sent, failed, skipped, cancelled) older than the
retention, the payloads no row or plan uses any more, expired link codes older than the
retention, and finished WhatsApp inbox rows after Meta's re-delivery window. What stays:
people, attendance, its audit log, announcements (their figures are stored on them when
they finish: rows of an announcement still running are never purged), questions, the
calendar and the scheduler's plans. Each batch is its own short transaction, so the bot's
writers are held up for milliseconds at a time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, exists, or_, select, update
from sqlalchemy.sql import ColumnElement

from db.engine import Sessions, rows_touched
from db.models import Announcement, InboxMessage, LinkCode, NudgePlan, OutboxMessage
from db.models import OutboxPayload as Payload

__all__ = ["FINAL_STATUSES", "PurgeReport", "purge_old_rows"]

FINAL_STATUSES = ("sent", "failed", "skipped", "cancelled")
INBOX_DONE = ("done", "failed")
BATCH = 1000


@dataclass
class PurgeReport:
    """Rows deleted, by kind."""

    outbox: int = 0
    payloads: int = 0
    link_codes: int = 0
    whatsapp_inbox: int = 0
    plans_released: int = 0  # old plans that no longer hold their payload
    # The longest a batch held the database: what a writer of the bot may have waited.
    longest_batch_ms: float = 0.0

    @property
    def total(self) -> int:
        """Rows deleted in all."""
        return self.outbox + self.payloads + self.link_codes + self.whatsapp_inbox

    def as_dict(self) -> dict[str, float]:
        """The figures by name (for the log)."""
        return {f.name: round(getattr(self, f.name), 1) for f in fields(self)}


async def _yield(report: PurgeReport, started: float, pause: float) -> None:
    """Leave the database to the bot at least as long as the batch held it (and `pause`):
    the purge never takes more than half of the write time, however slow the disk."""
    held = _held(report, started)
    await asyncio.sleep(max(pause, held))


def _held(report: PurgeReport, started: float) -> float:
    held = asyncio.get_running_loop().time() - started
    report.longest_batch_ms = max(report.longest_batch_ms, held * 1000)
    return held


def _outbox_purgeable() -> ColumnElement[bool]:
    """An outbox row with an outcome that no running announcement still counts."""
    finished = select(Announcement.id).where(Announcement.status.in_(("done", "stopped")))
    return and_(
        OutboxMessage.status.in_(FINAL_STATUSES),
        or_(OutboxMessage.ref_type.is_(None), OutboxMessage.ref_type != "announcement",
            OutboxMessage.ref_id.in_(finished)),
    )


async def _purge_outbox(sessions: Sessions, report: PurgeReport, before: datetime, batch: int,
                        pause: float) -> int:
    """Walk the outbox by id range (oldest first) up to the first row newer than `before`.

    Ids grow with time, so the walk uses the primary key alone: each batch is one range of
    `batch` ids, found and deleted inside the database (no id list goes through Python);
    rows kept (pending, or of a running announcement) are stepped over.
    """
    m = OutboxMessage
    async with sessions() as db:
        young = await db.scalar(select(m.id).where(m.created_at >= before).order_by(m.id)
                                .limit(1))
    deleted, cursor = 0, 0
    loop = asyncio.get_running_loop()
    while True:
        started = loop.time()
        async with sessions() as db, db.begin():
            upper = await db.scalar(select(m.id).where(m.id > cursor).order_by(m.id)
                                    .offset(batch - 1).limit(1))
            bounds = [m.id > cursor, m.created_at < before]
            if upper is not None:
                bounds.append(m.id <= upper)
            if young is not None:
                bounds.append(m.id < young)
            result = await db.execute(
                delete(m).where(*bounds, _outbox_purgeable())
                .execution_options(synchronize_session=False))
            deleted += rows_touched(result)
        if upper is None or (young is not None and upper >= young):
            _held(report, started)
            return deleted
        cursor = upper
        await _yield(report, started, pause)


async def _release_old_plans(sessions: Sessions, before: datetime) -> int:
    """Old plans let go of their payload (it re-points pending rows only while due)."""
    async with sessions() as db, db.begin():
        result = await db.execute(
            update(NudgePlan).where(NudgePlan.due_at < before, NudgePlan.payload_id.is_not(None))
            .values(payload_id=None).execution_options(synchronize_session=False)
        )
    return rows_touched(result)


def _unused_payload() -> ColumnElement[bool]:
    return and_(
        ~exists().where(OutboxMessage.payload_id == Payload.id),
        ~exists().where(NudgePlan.payload_id == Payload.id),
    )


async def _purge_batches(
    sessions: Sessions, report: PurgeReport, model: Any,
    condition: Callable[[], ColumnElement[bool]], batch: int, pause: float,
) -> int:
    """Delete rows matching `condition`, `batch` at a time, lowest ids first."""
    deleted = 0
    loop = asyncio.get_running_loop()
    while True:
        started = loop.time()
        async with sessions() as db, db.begin():
            ids = list(await db.scalars(
                select(model.id).where(condition()).order_by(model.id).limit(batch)))
            if ids:
                # The condition again: a row may have changed since it was read.
                result = await db.execute(
                    delete(model).where(model.id.in_(ids), condition())
                    .execution_options(synchronize_session=False))
                deleted += rows_touched(result)
        if len(ids) < batch:
            _held(report, started)
            return deleted
        await _yield(report, started, pause)


async def purge_old_rows(
    sessions: Sessions,
    *,
    now: datetime,
    retention: timedelta,
    inbox_keep: timedelta = timedelta(days=8),
    batch: int = BATCH,
    pause: float = 0.05,
) -> PurgeReport:
    """Delete what has served its purpose (see the module's docstring); return the counts.

    `inbox_keep`: Meta re-delivers a webhook for up to 7 days, and the inbox recognises a
    re-delivery by its stored wamid, so finished inbox rows stay 8 days.
    """
    before = now - retention
    report = PurgeReport()
    report.outbox = await _purge_outbox(sessions, report, before, batch, pause)
    report.plans_released = await _release_old_plans(sessions, before)
    report.payloads = await _purge_batches(
        sessions, report, Payload, lambda: and_(Payload.created_at < before, _unused_payload()),
        batch, pause)
    report.link_codes = await _purge_batches(
        sessions, report, LinkCode, lambda: LinkCode.expires_at < before, batch, pause)
    inbox_before = now - inbox_keep
    report.whatsapp_inbox = await _purge_batches(
        sessions, report, InboxMessage,
        lambda: and_(InboxMessage.status.in_(INBOX_DONE), InboxMessage.received_at < inbox_before),
        batch, pause)
    return report
