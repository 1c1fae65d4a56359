"""Plan the scheduled nudges into the outbox: each zone's morning menu and session reminders."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from sqlalchemy import Select, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.config import CoreConfig
from core.outbox import (
    Ref,
    dialect_insert,
    enqueue_audience,
    payload_body,
    store_payload,
)
from core.programme import programme_for
from core.timezones import ZONES
from core.types import Reply, TemplateRef
from db.engine import Sessions, rows_touched
from db.models.calendar import LearningSession
from db.models.outbox import NudgePlan, OutboxMessage
from schedules.audience import recipients
from schedules.calendar import sessions_on
from schedules.holidays import holiday_on
from schedules.nudge_texts import (
    menu_template,
    reminder_template,
    render_morning_menu,
    render_reminder,
)

__all__ = [
    "NudgeConfig",
    "PlanOutcome",
    "cancel_session_reminders",
    "fill_plan",
    "finish_plan",
    "insert_plan",
    "morning_due",
    "open_plan",
    "plan_due_reminders",
    "plan_morning_menu",
    "plan_session_reminders",
    "refresh_pending",
    "store_plan_payload",
]

log = logging.getLogger(__name__)

# A plan left in `planning` this long ago was interrupted (its process died): redo it.
_STALE_PLANNING = timedelta(minutes=2)


@dataclass(frozen=True)
class NudgeConfig:
    """When nudges go out and to which channels."""

    morning_time: time = time(6, 30)
    reminder_minutes: int = 30  # 0: no reminders
    catchup: timedelta = timedelta(hours=2)
    # Plan this far ahead: rows wait in the outbox (not_before) and go out on the minute.
    lookahead: timedelta = timedelta(minutes=10)
    channels: tuple[str, ...] = ()  # the channels that deliver (core.channels)
    batch_size: int = 5000
    # The attendance prompt after a session (schedules.attendance_prompts): the agency's
    # zone (TIMEZONE) and ATTENDANCE_CLOSE decide until when it is worth sending.
    timezone: str = "Asia/Jakarta"
    attendance_close: time = time(23, 59)

    @classmethod
    def from_config(cls, config: CoreConfig, channels: Sequence[str]) -> NudgeConfig:
        """The config from MORNING_TIME, REMINDER_MINUTES, CATCHUP_HOURS, TIMEZONE and
        ATTENDANCE_CLOSE."""
        return cls(
            morning_time=config.morning_time,
            reminder_minutes=config.reminder_minutes,
            catchup=timedelta(hours=config.catchup_hours),
            channels=tuple(channels),
            timezone=config.timezone,
            attendance_close=config.attendance_close,
        )


@dataclass(frozen=True)
class PlanOutcome:
    """What planning one nudge did: planned, exists, missed, holiday or weekend."""

    key: str
    status: str
    recipients: int = 0
    due_at: datetime | None = None


def morning_due(day: date, zone: str, morning_time: time) -> datetime:
    """The instant of the morning menu of `day` in `zone` (aware)."""
    return datetime.combine(day, morning_time, ZONES[zone])


def _end_of_day(day: date, zone: str) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), ZONES[zone])


def _tagged(reply: Reply, plan_key: str) -> Reply:
    # One payload per plan (even when two zones read the same), so a later change can
    # re-point exactly that plan's pending rows.
    return replace(reply, plan=plan_key)


async def insert_plan(
    sessions: Sessions, *, key: str, kind: str, day: date, zone: str, ref_id: int | None,
    due: datetime, status: str, now: datetime,
) -> tuple[NudgePlan, bool]:
    """Create the plan row (or find it); return it and whether this call owns it now.

    Two processes (`run` and `worker`) may plan at once: the unique key decides, and
    the loser leaves it to the winner. A plan stuck in `planning` (its planner died)
    is taken over.
    """
    async with sessions() as db, db.begin():
        result = await db.execute(
            dialect_insert(db, NudgePlan)
            .values(key=key, kind=kind, day=day, zone=zone, ref_id=ref_id, due_at=due,
                    status=status, recipients=0, created_at=now, updated_at=now)
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(NudgePlan.id)
        )
        created = result.scalar_one_or_none() is not None
        plan = (await db.execute(
            select(NudgePlan).where(NudgePlan.key == key).execution_options(populate_existing=True)
        )).scalar_one()
        if not created and plan.status == "planning" and plan.updated_at < now - _STALE_PLANNING:
            plan.updated_at = now
            created = True
    return plan, created


async def open_plan(
    sessions: Sessions, config: NudgeConfig, *, key: str, kind: str, day: date, zone: str,
    ref_id: int | None, due: datetime, now: datetime, what: str,
) -> NudgePlan | PlanOutcome:
    """Take the plan of one nudge for this call to fill, or say why not.

    More than CATCHUP_HOURS after `due` the nudge is recorded as missed (logged once, as
    `what`); a plan another call owns (or already filled) is `exists`. Otherwise the plan,
    in `planning`, is returned to be filled with `fill_plan`.
    """
    if now - due > config.catchup:
        plan, created = await insert_plan(sessions, key=key, kind=kind, day=day, zone=zone,
                                          ref_id=ref_id, due=due, status="missed", now=now)
        if created and plan.status == "missed":
            log.warning("%s (%s) missed: due at %s, and planning came more than the catch-up "
                        "window later (the bot was down)", what, zone, due)
        return PlanOutcome(key, "missed" if plan.status == "missed" else "exists", due_at=due)
    plan, created = await insert_plan(sessions, key=key, kind=kind, day=day, zone=zone,
                                      ref_id=ref_id, due=due, status="planning", now=now)
    if not created:
        return PlanOutcome(key, "exists", due_at=due)
    return plan


async def finish_plan(sessions: Sessions, plan_id: int, recipients_: int, now: datetime) -> None:
    """Mark a plan planned and add the recipients its rows reached."""
    async with sessions() as db, db.begin():
        await db.execute(
            update(NudgePlan).where(NudgePlan.id == plan_id)
            .values(status="planned", recipients=NudgePlan.recipients + recipients_,
                    updated_at=now)
        )


async def store_plan_payload(
    sessions: Sessions, plan_id: int, reply: Reply, template: TemplateRef, now: datetime
) -> int:
    """Store the plan's one shared payload (text and template) and point the plan at it."""
    async with sessions() as db, db.begin():
        pid = await store_payload(db, payload_body(reply, template), now=now)
        await db.execute(update(NudgePlan).where(NudgePlan.id == plan_id).values(payload_id=pid))
    return pid


async def fill_plan(
    sessions: Sessions,
    plan_id: int,
    reply: Reply,
    template: TemplateRef,
    *,
    audience: Select[int, str, str],
    key_prefix: str,
    kind: str,
    due: datetime,
    expires_at: datetime,
    ref: Ref,
    batch_size: int,
    now: datetime,
) -> int:
    """Store a plan's shared payload, write one outbox row per recipient, mark it planned.

    The priority comes from `kind` (core.outbox.KIND_PRIORITY). Returns the rows added.
    """
    pid = await store_plan_payload(sessions, plan_id, reply, template, now)
    added = await enqueue_audience(
        sessions, audience=audience, key_prefix=key_prefix, kind=kind, payload_id=pid,
        now=now, not_before=due, expires_at=expires_at, ref=ref, batch_size=batch_size,
    )
    await finish_plan(sessions, plan_id, added, now)
    return added


async def plan_morning_menu(
    sessions: Sessions, config: NudgeConfig, *, day: date, zone: str, now: datetime
) -> PlanOutcome:
    """Put `day`'s morning menu for people in `zone` into the outbox (once).

    Nothing on Saturday, Sunday or a holiday. Rows wait until MORNING_TIME in the zone
    (`not_before`); if that is more than CATCHUP_HOURS ago the menu is recorded as
    missed and logged instead. Idempotent: the plan and each row have keys.
    """
    key = f"menu:{day.isoformat()}:{zone}"
    due = morning_due(day, zone, config.morning_time)
    programme = programme_for(day)
    if programme is None:
        return PlanOutcome(key, "weekend", due_at=due)
    async with sessions() as db:
        found = await db.scalar(select(NudgePlan.status).where(NudgePlan.key == key))
        holiday = await holiday_on(db, day) if found is None else None
    if found is not None and found != "planning":
        return PlanOutcome(key, "exists", due_at=due)
    if holiday is not None:
        await insert_plan(sessions, key=key, kind="menu", day=day, zone=zone, ref_id=None,
                           due=due, status="holiday", now=now)
        log.info("no morning menu on %s (%s): holiday", day, zone)
        return PlanOutcome(key, "holiday", due_at=due)
    plan = await open_plan(sessions, config, key=key, kind="menu", day=day, zone=zone,
                           ref_id=None, due=due, now=now, what=f"morning menu {day}")
    if isinstance(plan, PlanOutcome):
        return plan
    async with sessions() as db:
        todays = await sessions_on(db, day)
    reply = _tagged(render_morning_menu(programme, todays, zone, day), key)
    added = await fill_plan(
        sessions, plan.id, reply, menu_template(programme, todays, zone, day),
        audience=recipients(config.channels, zone=zone, want="menu",
                            programme_key=programme.key),
        key_prefix=f"menu:{day.isoformat()}:", kind="menu", due=due,
        expires_at=_end_of_day(day, zone), ref=Ref("menu", day.toordinal()),
        batch_size=config.batch_size, now=now,
    )
    log.info("morning menu %s for %s: %d recipients from %s", day, zone, added, due)
    return PlanOutcome(key, "planned", added, due)


def _reminder_key(session: LearningSession, zone: str) -> str:
    return f"reminder:{session.id}:{int(session.starts_at.timestamp()) // 60}:{zone}"


async def plan_session_reminders(
    sessions: Sessions, config: NudgeConfig, *, session: LearningSession, now: datetime
) -> list[PlanOutcome]:
    """Put the reminders of one session into the outbox, one plan per zone (once).

    They wait until REMINDER_MINUTES before the start and expire at the start: a
    reminder is never sent after its session began. Pending reminders of the same
    session for another start time (it moved) are cancelled.
    """
    if config.reminder_minutes <= 0 or session.status != "aktif" or now >= session.starts_at:
        return []
    due = session.starts_at - timedelta(minutes=config.reminder_minutes)
    async with sessions() as db, db.begin():
        # Reminders planned for another start time: the session moved.
        await db.execute(
            update(OutboxMessage)
            .where(OutboxMessage.ref_type == "session", OutboxMessage.ref_id == session.id,
                   OutboxMessage.kind == "reminder", OutboxMessage.status == "pending",
                   OutboxMessage.expires_at != session.starts_at)
            .values(status="cancelled", last_error="session moved")
        )
    outcomes = []
    for zone in ZONES:
        key = _reminder_key(session, zone)
        plan = await open_plan(sessions, config, key=key, kind="reminder", day=session.day,
                               zone=zone, ref_id=session.id, due=due, now=now,
                               what=f"reminder for session {session.id}")
        if isinstance(plan, PlanOutcome):
            outcomes.append(plan)
            continue
        reply = _tagged(render_reminder(session, zone, config.reminder_minutes), key)
        added = await fill_plan(
            sessions, plan.id, reply, reminder_template(session, zone, config.reminder_minutes),
            audience=recipients(config.channels, zone=zone, want="reminder",
                                programme_key=session.programme_key),
            key_prefix=f"reminder:{plan.id}:", kind="reminder", due=due,
            expires_at=session.starts_at, ref=Ref("session", session.id),
            batch_size=config.batch_size, now=now,
        )
        log.info("reminders for session %d (%s): %d recipients at %s", session.id, zone, added,
                 due)
        outcomes.append(PlanOutcome(key, "planned", added, due))
    return outcomes


async def cancel_session_reminders(db: AsyncSession, session_id: int, *, reason: str) -> int:
    """Cancel the pending reminders of a session and forget its reminder plans (so a session
    that comes back is planned afresh). Returns how many rows were cancelled."""
    result = await db.execute(
        update(OutboxMessage)
        .where(OutboxMessage.ref_type == "session", OutboxMessage.ref_id == session_id,
               OutboxMessage.kind == "reminder", OutboxMessage.status == "pending")
        .values(status="cancelled", last_error=reason)
    )
    await db.execute(
        delete(NudgePlan).where(NudgePlan.kind == "reminder", NudgePlan.ref_id == session_id)
    )
    return rows_touched(result)


async def plan_due_reminders(
    sessions: Sessions, config: NudgeConfig, *, now: datetime
) -> list[PlanOutcome]:
    """Plan reminders for every active session whose reminder is due within the lookahead
    (and whose start is still ahead); cancel those of sessions that were cancelled."""
    if config.reminder_minutes <= 0:
        return []
    horizon = now + timedelta(minutes=config.reminder_minutes) + config.lookahead
    async with sessions() as db, db.begin():
        upcoming = list(await db.scalars(
            select(LearningSession)
            .where(LearningSession.starts_at > now, LearningSession.starts_at <= horizon)
            .order_by(LearningSession.starts_at, LearningSession.id)
        ))
        for cancelled in [x for x in upcoming if x.status != "aktif"]:
            await cancel_session_reminders(db, cancelled.id, reason="session cancelled")
    outcomes: list[PlanOutcome] = []
    for session in upcoming:
        if session.status == "aktif":
            outcomes += await plan_session_reminders(sessions, config, session=session, now=now)
    return outcomes


async def refresh_pending(
    sessions: Sessions, config: NudgeConfig, *, day: date, session_id: int | None,
    now: datetime,
) -> int:
    """Re-render the planned menus of `day` (and reminders of `session_id`) after a calendar
    change, and point their still-pending rows at the new text. Returns rows re-pointed."""
    moved = 0
    async with sessions() as db:
        plans = list(await db.scalars(
            select(NudgePlan).where(NudgePlan.status == "planned", NudgePlan.payload_id.is_not(
                None))
            .where(((NudgePlan.kind == "menu") & (NudgePlan.day == day))
                   | ((NudgePlan.kind == "reminder") & (NudgePlan.ref_id == session_id)))
        ))
        todays = await sessions_on(db, day)
        one = await db.get(LearningSession, session_id) if session_id is not None else None
    programme = programme_for(day)
    for plan in plans:
        if plan.kind == "menu" and programme is not None:
            reply = render_morning_menu(programme, todays, plan.zone, day)
            template = menu_template(programme, todays, plan.zone, day)
            ref = Ref("menu", day.toordinal())
        elif plan.kind == "reminder" and one is not None and one.status == "aktif":
            reply = render_reminder(one, plan.zone, config.reminder_minutes)
            template = reminder_template(one, plan.zone, config.reminder_minutes)
            ref = Ref("session", one.id)
        else:
            continue
        async with sessions() as db, db.begin():
            pid = await store_payload(db, payload_body(_tagged(reply, plan.key), template),
                                      now=now)
            if pid == plan.payload_id:
                continue
            result = await db.execute(
                update(OutboxMessage)
                .where(OutboxMessage.ref_type == ref.type, OutboxMessage.ref_id == ref.id,
                       OutboxMessage.payload_id == plan.payload_id,
                       OutboxMessage.status == "pending")
                .values(payload_id=pid)
            )
            await db.execute(
                update(NudgePlan).where(NudgePlan.id == plan.id).values(payload_id=pid,
                                                                        updated_at=now)
            )
            moved += rows_touched(result)
    return moved

