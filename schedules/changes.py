"""After a calendar import: tell people already told about a changed session, fix pending nudges."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import aliased

from core.outbox import Priority, Ref, enqueue_audience, payload_body, store_payload
from core.timezones import ZONES
from db.engine import Sessions, rows_touched
from db.models.calendar import LearningSession
from db.models.outbox import OutboxMessage
from db.models.people import Person
from schedules.calendar_report import SessionChange
from schedules.nudge_texts import render_change_notice
from schedules.nudges import NudgeConfig, cancel_session_reminders, refresh_pending

__all__ = ["ChangeOutcome", "notify_session_changes"]

log = logging.getLogger(__name__)


@dataclass
class ChangeOutcome:
    """What `notify_session_changes` did."""

    notices: int = 0  # change notices enqueued
    cancelled: int = 0  # pending reminders cancelled
    refreshed: int = 0  # pending menus/reminders pointed at re-rendered text


def _what(change: SessionChange) -> str | None:
    if change.cancelled:
        return "cancelled"
    if change.time_moved:
        return "moved"
    if change.link_changed:
        return "link"
    return None


def _old_day(change: SessionChange) -> date:
    before = change.before.get("day")
    return before if isinstance(before, date) else change.day


def _fingerprint(change: SessionChange) -> str:
    # The same change imported twice must not notify twice.
    raw = repr(sorted((k, str(v)) for k, v in change.after.items())) + change.kind
    return hashlib.sha256(raw.encode()).hexdigest()[:12]


def _as_session(change: SessionChange, row: LearningSession | None) -> LearningSession | None:
    if row is not None:
        return row
    # A removed session: rebuild what the notice needs from the change.
    start = change.starts_at
    if start is None:
        return None
    return LearningSession(
        id=change.session_id, code=change.code, day=change.day,
        programme_key=change.programme_key, title=change.title, starts_at=start,
        ends_at=change.before.get("ends_at", start), status="batal",
    )


async def notify_session_changes(
    sessions: Sessions, config: NudgeConfig, changes: Sequence[SessionChange], *, now: datetime
) -> ChangeOutcome:
    """React to the changes a calendar import reports.

    Cancelled or removed sessions: pending reminders are cancelled. Moved ones: pending
    reminders for the old time are cancelled (the scheduler's next tick plans the new
    time). Any change: pending menus of that day and pending reminders get the new text.
    People who were already sent a reminder of the session or the menu of its day get a
    short notice when it was cancelled, moved or got a new link, and it is not over.
    """
    out = ChangeOutcome()
    for change in changes:
        if change.session_id is None:
            continue
        async with sessions() as db, db.begin():
            row = await db.get(LearningSession, change.session_id)
            if change.cancelled:
                out.cancelled += await cancel_session_reminders(
                    db, change.session_id, reason="session cancelled")
            elif change.time_moved and row is not None:
                result = await db.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.ref_type == "session",
                           OutboxMessage.ref_id == change.session_id,
                           OutboxMessage.kind == "reminder", OutboxMessage.status == "pending",
                           OutboxMessage.expires_at != row.starts_at)
                    .values(status="cancelled", last_error="session moved")
                )
                out.cancelled += rows_touched(result)
        for day in {change.day, _old_day(change)}:
            out.refreshed += await refresh_pending(
                sessions, config, day=day, session_id=change.session_id, now=now)
        what = _what(change)
        session = _as_session(change, row)
        if what is None or session is None:
            continue
        ends = session.ends_at if what != "cancelled" else session.starts_at
        if ends is not None and ends <= now:
            continue  # over: nothing to tell
        out.notices += await _notify(sessions, change, session, what, now=now,
                                     batch_size=config.batch_size)
    if out.notices or out.cancelled or out.refreshed:
        log.info("calendar changes: %d notices, %d reminders cancelled, %d rows refreshed",
                 out.notices, out.cancelled, out.refreshed)
    return out


async def _notify(
    sessions: Sessions, change: SessionChange, session: LearningSession, what: str, *,
    now: datetime, batch_size: int,
) -> int:
    told = aliased(OutboxMessage)
    menu_day = _old_day(change)
    old_start = change.before.get("starts_at")
    added = 0
    for zone in ZONES:
        reply = render_change_notice(
            session, zone, what=what,
            old_start=old_start if isinstance(old_start, datetime) else None,
        )
        async with sessions() as db, db.begin():
            pid = await store_payload(db, payload_body(reply), now=now)
        audience = (
            select(Person.id, told.channel, told.chat_id)
            .select_from(Person)
            .join(told, told.person_id == Person.id)
            .where(
                told.status == "sent",
                or_(
                    and_(told.ref_type == "session", told.ref_id == change.session_id),
                    and_(told.ref_type == "menu", told.ref_id == menu_day.toordinal()),
                ),
                Person.tz == zone,
                Person.reachable.is_(True),
                Person.subscribed.is_(True),
                Person.erased_at.is_(None),
            )
        )
        added += await enqueue_audience(
            sessions,
            audience=audience,
            key_prefix=f"notice:{change.session_id}:{_fingerprint(change)}:",
            kind="notice",
            payload_id=pid,
            now=now,
            priority=Priority.URGENT,
            ref=Ref("notice", int(change.session_id or 0)),
            batch_size=batch_size,
        )
    return added
