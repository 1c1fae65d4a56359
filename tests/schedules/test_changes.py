"""Calendar changes after nudges were planned or sent: notices, cancellations, fresh text."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import update

from bot.outbox_worker import ChannelLimits, OutboxWorker, WorkerConfig
from core.clock import FixedClock
from db.engine import Sessions
from db.models import LearningSession
from schedules.calendar_report import SessionChange
from schedules.changes import notify_session_changes
from schedules.nudges import NudgeConfig
from schedules.scheduler import NudgePlanner
from tests.auxil.outbox import RecordingSender, add_people, add_session, rows

MONDAY = date(2026, 11, 23)
CONFIG = NudgeConfig(channels=("telegram",))


def utc(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), UTC)


async def deliver(sessions: Sessions, at: datetime) -> RecordingSender:
    sender = RecordingSender()
    await OutboxWorker(
        sessions, FixedClock(at), [sender],
        limits={"telegram": ChannelLimits(rate=None, chat_rate=None)},
        config=WorkerConfig(poll_interval=0.05, maintenance_interval=0.1),
    ).run_until_idle(limit=10)
    return sender


def change(row: LearningSession, kind: str = "updated", **fields: tuple[object, object]
           ) -> SessionChange:
    return SessionChange(
        kind=kind,  # type: ignore[arg-type]
        session_id=row.id, code=row.code, day=row.day, programme_key=row.programme_key,
        title=row.title, fields=tuple(fields),
        before={k: v[0] for k, v in fields.items()}, after={k: v[1] for k, v in fields.items()},
    )


async def test_moved_session_tells_who_had_the_reminder_and_replans(sessions: Sessions) -> None:
    await add_people(sessions, 2, first_chat=100)
    row = await add_session(sessions, MONDAY, time(9, 0))
    planner = NudgePlanner(sessions, FixedClock(utc(MONDAY, 1, 21)), CONFIG)
    await planner.tick()
    await deliver(sessions, utc(MONDAY, 1, 30))  # the 08:30 WIB reminders (and menus)
    old, new = row.starts_at, row.starts_at + timedelta(hours=1)
    async with sessions() as s, s.begin():
        await s.execute(update(LearningSession).where(LearningSession.id == row.id).values(
            starts_at=new, ends_at=row.ends_at + timedelta(hours=1)))
    moved = change(row, starts_at=(old, new))
    out = await notify_session_changes(sessions, CONFIG, [moved], now=utc(MONDAY, 1, 40))
    assert out.notices == 2
    again = await notify_session_changes(sessions, CONFIG, [moved], now=utc(MONDAY, 1, 41))
    assert again.notices == 0  # the same change reported twice tells people once
    told = await deliver(sessions, utc(MONDAY, 1, 40))
    (text,) = told.texts_to("100")
    assert "dipindah dari 09.00 WIB" in text and "pukul 10.00 WIB" in text
    report = await planner.tick(utc(MONDAY, 2, 21))
    assert sum(p.recipients for p in report.reminders) == 2
    fresh = await deliver(sessions, utc(MONDAY, 2, 30))
    assert all("10.00 WIB" in t for t in fresh.texts_to("101"))
    assert len(await rows(sessions, kind="reminder")) == 4


async def test_cancelled_session_cancels_pending_reminders(sessions: Sessions) -> None:
    await add_people(sessions, 1, first_chat=100)
    row = await add_session(sessions, MONDAY, time(9, 0), title="Etika ASN")
    planner = NudgePlanner(sessions, FixedClock(utc(MONDAY, 0)), CONFIG)
    await planner.tick(utc(MONDAY - timedelta(days=1), 23, 30))
    await deliver(sessions, utc(MONDAY - timedelta(days=1), 23, 30))  # the menu went out
    await planner.tick(utc(MONDAY, 1, 21))  # reminders planned, not yet due
    async with sessions() as s, s.begin():
        await s.execute(update(LearningSession).where(LearningSession.id == row.id)
                        .values(status="batal"))
    out = await notify_session_changes(
        sessions, CONFIG, [change(row, "cancelled", status=("aktif", "batal"))],
        now=utc(MONDAY, 1, 22))
    assert out.cancelled == 1 and out.notices == 1
    assert [r.status for r in await rows(sessions, kind="reminder")] == ["cancelled"]
    sent = await deliver(sessions, utc(MONDAY, 1, 30))
    (text,) = sent.texts_to("100")
    assert "Etika ASN" in text and "dibatalkan" in text
    assert (await planner.tick(utc(MONDAY, 1, 31))).reminders == []


async def test_new_link_reaches_menus_still_waiting(sessions: Sessions) -> None:
    await add_people(sessions, 1, first_chat=100)
    row = await add_session(sessions, MONDAY, time(9, 0), zoom_url="https://zoom.us/j/old")
    planner = NudgePlanner(sessions, FixedClock(utc(MONDAY, 0)), CONFIG)
    await planner.tick(utc(MONDAY - timedelta(days=1), 23, 25))  # planned for 23:30
    async with sessions() as s, s.begin():
        await s.execute(update(LearningSession).where(LearningSession.id == row.id)
                        .values(zoom_url="https://zoom.us/j/new"))
    out = await notify_session_changes(
        sessions, CONFIG, [change(row, zoom_url=("https://zoom.us/j/old", "https://zoom.us/j/new"))],
        now=utc(MONDAY - timedelta(days=1), 23, 26))
    assert out.refreshed == 1 and out.notices == 0  # nobody had been told yet
    sent = await deliver(sessions, utc(MONDAY - timedelta(days=1), 23, 30))
    (text,) = sent.texts_to("100")
    assert "zoom.us/j/new" in text and "zoom.us/j/old" not in text
