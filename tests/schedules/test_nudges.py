"""Morning menus and reminders: planned at each zone's time, caught up, never late."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta

import pytest

from bot.outbox_worker import ChannelLimits, OutboxWorker, WorkerConfig
from core.clock import FixedClock
from db.engine import Sessions
from db.models import Holiday, OutboxMessage
from schedules.nudges import NudgeConfig, plan_session_reminders
from schedules.scheduler import NudgePlanner
from tests.auxil.outbox import RecordingSender, add_people, add_session, rows

MONDAY = date(2026, 11, 23)
SATURDAY = date(2026, 11, 28)
# Small batches: the streaming path is exercised.
CONFIG = NudgeConfig(batch_size=2, channels=("telegram",))


def utc(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), UTC)


async def deliver(sessions: Sessions, at: datetime) -> RecordingSender:
    """Run a dispatcher at the instant `at` until nothing is due."""
    sender = RecordingSender()
    d = OutboxWorker(
        sessions, FixedClock(at), [sender],
        limits={"telegram": ChannelLimits(rate=None, chat_rate=None)},
        config=WorkerConfig(poll_interval=0.05, maintenance_interval=0.1),
    )
    await d.run_until_idle(limit=10)
    return sender


async def test_monday_menu_goes_out_at_each_zones_half_past_six(sessions: Sessions) -> None:
    wib = await add_people(sessions, 3, zone="WIB", first_chat=100)
    wita = await add_people(sessions, 2, zone="WITA", first_chat=200)
    wit = await add_people(sessions, 1, zone="WIT", first_chat=300)
    await add_session(sessions, MONDAY, time(9, 0), title="Inovasi Pelayanan Publik")
    planner = NudgePlanner(sessions, FixedClock(utc(MONDAY, 0)), CONFIG)
    sunday = MONDAY - timedelta(days=1)

    # 06:25 WIT is 21:25 UTC on Sunday: only WIT's menu is due within the lookahead.
    await planner.tick(utc(sunday, 21, 25))
    assert {r.person_id for r in await rows(sessions)} == set(wit)
    await planner.tick(utc(sunday, 22, 25))  # 06:25 WITA
    await planner.tick(utc(sunday, 23, 25))  # 06:25 WIB
    menus = await rows(sessions, kind="menu")
    due = {r.person_id: r.not_before for r in menus}
    assert due == {**{p: utc(sunday, 23, 30) for p in wib},
                   **{p: utc(sunday, 22, 30) for p in wita},
                   **{p: utc(sunday, 21, 30) for p in wit}}
    # WITA's menu is planned an hour earlier in UTC terms than WIB's.
    assert due[wita[0]] == due[wib[0]] - timedelta(hours=1)

    # At 06:29 WIB the WIB menu still waits; at 06:30 it goes.
    early = await deliver(sessions, utc(sunday, 23, 29))
    assert sorted(early.chats()) == ["200", "201", "300"]
    on_time = await deliver(sessions, utc(sunday, 23, 30))
    assert sorted(on_time.chats()) == ["100", "101", "102"]
    wib_text = on_time.texts_to("100")[0]
    assert "Selamat pagi, Bapak/Ibu" in wib_text and "Forum ASN Berbagi Ilmu" in wib_text
    assert "Inovasi Pelayanan Publik" in wib_text and "09.00–10.30 WIB" in wib_text
    assert "10.00–11.30 WITA" in early.texts_to("200")[0]
    assert "11.00–12.30 WIT" in early.texts_to("300")[0]
    assert {r.status for r in await rows(sessions)} == {"sent"}


async def test_nothing_on_saturday_or_a_holiday(sessions: Sessions) -> None:
    await add_people(sessions, 2)
    planner = NudgePlanner(sessions, FixedClock(utc(MONDAY, 0)), CONFIG)
    report = await planner.tick(datetime.combine(SATURDAY, time(6, 30), UTC) - timedelta(hours=7))
    assert {m.status for m in report.menus} == {"weekend"}
    async with sessions() as s, s.begin():
        s.add(Holiday(day=MONDAY, reason="Libur daerah", source="admin"))
    report = await planner.tick(utc(MONDAY - timedelta(days=1), 23, 30))
    assert {m.key: m.status for m in report.menus if m.key.endswith("WIB")} == {
        f"menu:{MONDAY}:WIB": "holiday"}
    christmas = date(2026, 12, 25)  # a Friday, a national holiday
    report = await planner.tick(utc(christmas - timedelta(days=1), 23, 30))
    assert {m.status for m in report.menus if m.key.endswith("WIB")} == {"holiday"}
    assert await rows(sessions) == []


async def test_catch_up_within_the_window_once_later_skipped(
    sessions: Sessions, caplog: pytest.LogCaptureFixture
) -> None:
    await add_people(sessions, 2, zone="WIB", first_chat=100)
    await add_people(sessions, 1, zone="WITA", first_chat=200)
    # Back at 08:00 WIB: WIB's 06:30 is 1.5 h ago (caught up), WITA's 2.5 h (too late).
    back = utc(MONDAY, 1)
    planner = NudgePlanner(sessions, FixedClock(back), CONFIG)
    with caplog.at_level(logging.WARNING):
        report = await planner.catch_up()
    assert {m.key[-4:].strip(":"): m.status for m in report.menus} == {
        "WIB": "planned", "WITA": "missed", "WIT": "missed"}
    assert any("missed" in r.getMessage() and "WITA" in r.getMessage() for r in caplog.records)
    sent = await deliver(sessions, back)
    assert sorted(sent.chats()) == ["100", "101"]
    # A second start (or the next tick) sends nothing again.
    await planner.catch_up(back + timedelta(minutes=5))
    again = await deliver(sessions, back + timedelta(minutes=5))
    assert again.sent == []
    assert len(await rows(sessions)) == 2


def reminders_in(sender: RecordingSender) -> list[str]:
    return [chat for chat, reply in sender.sent if reply.text.startswith("⏰")]


async def test_reminder_before_the_session_and_never_after_it_started(
    sessions: Sessions,
) -> None:
    await add_people(sessions, 2, first_chat=100)
    await add_people(sessions, 1, first_chat=150, preferences={"reminder": False})
    session = await add_session(sessions, MONDAY, time(9, 0))  # 02:00 UTC
    planner = NudgePlanner(sessions, FixedClock(utc(MONDAY, 0)), CONFIG)

    assert (await planner.tick(utc(MONDAY, 1, 15))).reminders == []  # not yet in view
    report = await planner.tick(utc(MONDAY, 1, 21))
    assert sum(p.recipients for p in report.reminders) == 2
    reminders = await rows(sessions, kind="reminder")
    assert {(r.not_before, r.expires_at, r.ref_id) for r in reminders} == {
        (utc(MONDAY, 1, 30), session.starts_at, session.id)}

    assert reminders_in(await deliver(sessions, utc(MONDAY, 1, 29))) == []
    # The bot was down from 08:29 until the session had started: nothing is sent late.
    late = await deliver(sessions, utc(MONDAY, 2, 1))
    assert reminders_in(late) == []
    assert {r.status for r in await rows(sessions, kind="reminder")} == {"skipped"}
    assert (await planner.tick(utc(MONDAY, 2, 1))).reminders == []


async def test_reminder_is_caught_up_before_the_start(sessions: Sessions) -> None:
    await add_people(sessions, 1, first_chat=100)
    await add_session(sessions, MONDAY, time(9, 0), title="Manajemen Risiko")
    planner = NudgePlanner(sessions, FixedClock(utc(MONDAY, 0)), CONFIG)
    await planner.catch_up(utc(MONDAY, 1, 45))  # down at 08:30, back at 08:45 WIB
    sent = await deliver(sessions, utc(MONDAY, 1, 45))
    (text,) = [t for t in sent.texts_to("100") if t.startswith("⏰")]
    assert "Pengingat" in text and "Manajemen Risiko" in text and "09.00 WIB" in text
    assert "https://zoom.us/j/123" in text


async def test_muted_programme_and_switched_off_menu(sessions: Sessions) -> None:
    (plain,) = await add_people(sessions, 1, first_chat=100)
    await add_people(sessions, 1, first_chat=101, preferences={"muted": ["forum-berbagi-ilmu"]})
    await add_people(sessions, 1, first_chat=102, preferences={"menu": False})
    (wed,) = await add_people(sessions, 1, first_chat=103, preferences={"muted": ["asn-mengaji"]})
    await add_session(sessions, MONDAY, time(9, 0))
    planner = NudgePlanner(sessions, FixedClock(utc(MONDAY, 0)), CONFIG)
    await planner.tick(utc(MONDAY - timedelta(days=1), 23, 30))
    await planner.tick(utc(MONDAY, 1, 25))
    got = {(r.kind, r.person_id) for r in await rows(sessions)}
    assert {p for k, p in got if k == "menu"} == {plain, wed}
    assert {p for k, p in got if k == "reminder"} == {plain, wed, plain + 2}
    # Wednesday's ASN Mengaji is muted for `wed` only.
    wednesday = MONDAY + timedelta(days=2)
    await planner.tick(utc(wednesday - timedelta(days=1), 23, 30))
    wed_menu = {r.person_id for r in await rows(sessions, kind="menu")
                if r.idem_key.startswith(f"menu:{wednesday}")}
    assert wed_menu == {plain, plain + 1}


async def test_menu_without_a_session_says_so(sessions: Sessions) -> None:
    await add_people(sessions, 1, first_chat=100)
    planner = NudgePlanner(sessions, FixedClock(utc(MONDAY, 0)), CONFIG)
    await planner.tick(utc(MONDAY - timedelta(days=1), 23, 30))
    sent = await deliver(sessions, utc(MONDAY - timedelta(days=1), 23, 30))
    (text,) = sent.texts_to("100")
    assert "Belum ada sesi terjadwal" in text and "Forum ASN Berbagi Ilmu" in text


async def test_rows_are_one_per_person_whatever_the_batches(sessions: Sessions) -> None:
    await add_people(sessions, 7)
    planner = NudgePlanner(sessions, FixedClock(utc(MONDAY, 0)), CONFIG)
    for minute in (20, 25, 30):
        await planner.tick(utc(MONDAY - timedelta(days=1), 23, minute))
    menus = await rows(sessions, kind="menu")
    assert len(menus) == 7 and len({r.idem_key for r in menus}) == 7
    assert all(isinstance(r, OutboxMessage) and r.priority == 20 for r in menus)


async def test_a_reminder_planned_too_late_is_recorded_missed_once(
    sessions: Sessions, caplog: pytest.LogCaptureFixture
) -> None:
    await add_people(sessions, 1, first_chat=100)
    session = await add_session(sessions, MONDAY, time(9, 0))  # 02:00 UTC
    config = NudgeConfig(reminder_minutes=60, catchup=timedelta(minutes=10), channels=("telegram",))
    # Due 08:00 WIB; back at 08:20, the session not started yet but past the catch-up window.
    with caplog.at_level(logging.WARNING):
        outcomes = await plan_session_reminders(sessions, config, session=session,
                                                now=utc(MONDAY, 1, 20))
    assert {o.status for o in outcomes} == {"missed"}
    assert [r.getMessage() for r in caplog.records if "missed" in r.getMessage()] == [
        f"reminder for session {session.id} ({z}) missed: due at {utc(MONDAY, 1)}, and "
        "planning came more than the catch-up window later (the bot was down)"
        for z in ("WIB", "WITA", "WIT")]
    assert await rows(sessions, kind="reminder") == []
    caplog.clear()
    again = await plan_session_reminders(sessions, config, session=session,
                                         now=utc(MONDAY, 1, 25))
    assert {o.status for o in again} == {"missed"}
    assert not [r for r in caplog.records if "missed" in r.getMessage()]  # said once


async def test_a_reminder_already_planned_stays_planned_past_the_window(
    sessions: Sessions,
) -> None:
    await add_people(sessions, 1, first_chat=100)
    session = await add_session(sessions, MONDAY, time(9, 0))
    config = NudgeConfig(reminder_minutes=60, catchup=timedelta(minutes=10), channels=("telegram",))
    first = await plan_session_reminders(sessions, config, session=session,
                                         now=utc(MONDAY, 1, 5))
    assert sorted(o.status for o in first) == ["planned"] * 3
    later = await plan_session_reminders(sessions, config, session=session,
                                         now=utc(MONDAY, 1, 20))
    assert {o.status for o in later} == {"exists"}
    assert len(await rows(sessions, kind="reminder")) == 1
