"""Attendance queries on SQLite (and PostgreSQL when DATABASE_URL_PG is set): exactly once,
windows, code throttling, JP only with a NIP, the calendar's attendance check."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta
from functools import partial
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.exc import IntegrityError

from db.attendance import (
    MAX_WRONG_CODES,
    Recorded,
    attendance_window,
    code_blocked_until,
    code_matches,
    existing_many,
    note_wrong_code,
    pressers,
    record_attendance,
    record_many,
    sessions_with_attendance,
    stream_jp_rows,
)
from db.engine import Sessions
from db.models import LearningSession, Person
from schedules.calendar_import import CalendarImportError, import_calendar
from tests.handlers.attendance_helpers import (
    MONDAY,
    add_person,
    add_session,
    attendance_count,
    wib,
)
from tests.schedules.calendar_helpers import (
    FORUM,
    HEADER,
    MENGAJI,
    NOW,
    all_sessions,
    csv_bytes,
    run_import,
)

WIB = ZoneInfo("Asia/Jakarta")


async def test_two_racing_confirmations_make_one_row(sessions: Sessions) -> None:
    sid = await add_session(sessions, code="R1")
    pid = await add_person(sessions, "1", nip="198507142010012003")

    async def press(at: datetime) -> tuple[bool, datetime]:
        async with sessions() as s, s.begin():
            r = await record_attendance(s, person_id=pid, session_id=sid, now=at,
                                        channel="telegram")
            return r.created, r.reported_at

    first, second = wib(MONDAY, 10, 0), wib(MONDAY, 10, 1)
    results = await asyncio.gather(press(first), press(second), press(second))
    assert sorted(created for created, _ in results) == [False, False, True]
    winner = next(at for created, at in results if created)
    assert all(at == winner for _, at in results)  # the losers are told the winner's time
    assert await attendance_count(sessions) == 1


async def test_deleting_a_session_with_attendance_is_refused(
    sessions: Sessions,
) -> None:
    sid = await add_session(sessions, code="R2")
    pid = await add_person(sessions, "2")
    async with sessions() as s, s.begin():
        await record_attendance(s, person_id=pid, session_id=sid, now=wib(MONDAY, 10),
                                channel="console")
    with pytest.raises(IntegrityError):
        async with sessions() as s, s.begin():
            row = await s.get(LearningSession, sid)
            await s.delete(row)


async def test_calendar_import_asks_force_for_sessions_with_attendance(
    sessions: Sessions,
) -> None:
    header = HEADER + ",status"
    await run_import(sessions, csv_bytes(FORUM + ",aktif", MENGAJI + ",aktif", header=header))
    by_programme = {s.programme_key: s.id for s in await all_sessions(sessions)}
    forum = by_programme["forum-berbagi-ilmu"]
    pid = await add_person(sessions, "3")
    async with sessions() as s, s.begin():
        await record_attendance(s, person_id=pid, session_id=forum, now=wib(MONDAY, 14),
                                channel="telegram")
        assert await sessions_with_attendance(s, [forum, forum + 99]) == {forum}
        assert await sessions_with_attendance(s, []) == set()
    data = csv_bytes(FORUM + ",batal", MENGAJI + ",batal", header=header)
    with pytest.raises(CalendarImportError) as err:
        async with sessions() as s, s.begin():
            await import_calendar(s, data, now=NOW,
                                  has_attendance=partial(sessions_with_attendance, s))
    assert [line for line, _ in err.value.lines] == [2]  # only the attended one
    async with sessions() as s, s.begin():
        report = await import_calendar(s, data, now=NOW, force=True,
                                       has_attendance=partial(sessions_with_attendance, s))
    assert report.cancelled == 2
    assert await attendance_count(sessions) == 1


def test_window_defaults_to_the_close_time_of_the_session_day() -> None:
    s = LearningSession(day=MONDAY, starts_at=wib(MONDAY, 13), attendance_closes_at=None)
    w = attendance_window(s, WIB, time(23, 59))
    assert (w.opens, w.closes) == (wib(MONDAY, 13), wib(MONDAY, 23, 59))
    assert not w.contains(wib(MONDAY, 12, 59)) and w.contains(wib(MONDAY, 13))
    assert w.contains(wib(MONDAY, 23, 59) + timedelta(seconds=59))
    assert not w.contains(wib(MONDAY, 23, 59) + timedelta(seconds=60))
    # Makassar agency: 23:59 WITA.
    w = attendance_window(s, ZoneInfo("Asia/Makassar"), time(23, 59))
    assert w.closes == datetime(2026, 11, 23, 15, 59, tzinfo=UTC)
    # A session's own closing time wins, even past midnight; one before the start is clamped.
    s.attendance_closes_at = wib(MONDAY + timedelta(days=1), 2)
    assert attendance_window(s, WIB, time(23, 59)).closes == wib(MONDAY + timedelta(days=1), 2)
    s.attendance_closes_at = wib(MONDAY, 9)
    assert attendance_window(s, WIB, time(23, 59)).closes == wib(MONDAY, 13)


def test_code_matching() -> None:
    assert code_matches("KOPI26", " kopi 26")
    assert not code_matches("KOPI26", "KOPI2")
    assert not code_matches(None, "")
    assert not code_matches("", "")


async def test_wrong_codes_window(sessions: Sessions) -> None:
    pid = await add_person(sessions, "4")
    start = wib(MONDAY, 10)
    async with sessions() as s, s.begin():
        lefts = [await note_wrong_code(s, pid, start + timedelta(minutes=i))
                 for i in range(MAX_WRONG_CODES)]
        assert lefts == list(range(MAX_WRONG_CODES - 1, -1, -1))
        assert await code_blocked_until(s, pid, start + timedelta(minutes=5)) == \
            start + timedelta(minutes=15)
        assert await code_blocked_until(s, pid, start + timedelta(minutes=15)) is None
        # A new window starts afresh.
        assert await note_wrong_code(s, pid, start + timedelta(minutes=16)) == MAX_WRONG_CODES - 1


async def test_jp_rows_only_with_nip_and_follow_the_nip(sessions: Sessions) -> None:
    a = await add_session(sessions, code="J1", jp=2)
    b = await add_session(sessions, code="J2", day=MONDAY.replace(year=2025), jp=5)
    with_nip = await add_person(sessions, "5", nip="198507142010012003", name="A")
    without = await add_person(sessions, "6", nip=None, name="B")
    async with sessions() as s, s.begin():
        for pid in (with_nip, without):
            for sid in (a, b):
                await record_attendance(s, person_id=pid, session_id=sid,
                                        now=wib(MONDAY, 10), channel="telegram")

    async def year_rows(year: int) -> list[tuple[str, float, int]]:
        async with sessions() as s:
            return [(r.nip, r.jp, r.sessions) async for batch in stream_jp_rows(s, year)
                    for r in batch]

    assert await year_rows(2026) == [("198507142010012003", 2.0, 1)]
    assert await year_rows(2025) == [("198507142010012003", 5.0, 1)]
    async with sessions() as s, s.begin():
        person = await s.get(Person, without)
        assert person is not None
        person.nip = "199001012015022001"
    assert await year_rows(2026) == [("198507142010012003", 2.0, 1),
                                     ("199001012015022001", 2.0, 1)]


async def test_record_many_in_one_statement(sessions: Sessions) -> None:
    a = await add_session(sessions, code="M1")
    b = await add_session(sessions, code="M2")
    people = [await add_person(sessions, str(100 + i)) for i in range(3)]
    earlier, now = wib(MONDAY, 9, 30), wib(MONDAY, 10)
    async with sessions() as s, s.begin():
        await record_attendance(s, person_id=people[0], session_id=a, now=earlier,
                                channel="whatsapp")
    async with sessions() as s, s.begin():
        found = await pressers(s, "telegram", ["100", "101", "nobody"])
        assert sorted(found) == ["100", "101"] and found["100"].person_id == people[0]
        out = await record_many(
            s, [(people[0], a), (people[1], a), (people[1], a), (people[2], b)],
            now=now, channel="telegram")
        assert out == {
            (people[0], a): Recorded(False, earlier, "whatsapp"),
            (people[1], a): Recorded(True, now, "telegram"),
            (people[2], b): Recorded(True, now, "telegram"),
        }
        assert await existing_many(s, [(people[2], a), (people[2], b)]) == {
            (people[2], b): Recorded(False, now, "telegram")}
    assert await attendance_count(sessions) == 3
