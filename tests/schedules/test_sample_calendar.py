"""The shipped sample calendar and the documented example import cleanly."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from core.programme import PROGRAMMES
from db.engine import Sessions
from schedules.calendar import sessions_between
from schedules.calendar_import import load_sample_calendar
from schedules.holidays import holiday_on, national_holiday
from tests.schedules.calendar_helpers import NOW, all_sessions, csv_bytes, run_import

WIB = ZoneInfo("Asia/Jakarta")
EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "jadwal-contoh.csv"


async def test_sample_calendar_loads_on_first_start_only(sessions: Sessions) -> None:
    async with sessions() as s, s.begin():
        report = await load_sample_calendar(s, WIB, now=NOW)
    assert report is not None
    assert report.warnings == []
    assert report.added == 61 and report.holidays_added == 1
    assert (report.first_day, report.last_day) == (date(2026, 11, 2), date(2027, 1, 29))
    stored = await all_sessions(sessions)
    assert {x.programme_key for x in stored} == {p.key for p in PROGRAMMES}
    days = {x.day for x in stored}
    for off in (date(2026, 12, 24), date(2026, 12, 25), date(2027, 1, 1), date(2027, 1, 5)):
        assert off not in days
    assert not any(national_holiday(d) for d in days)
    # Every working day of the span has exactly one session, of that weekday's programme.
    day, expected = date(2026, 11, 2), {}
    while day <= date(2027, 1, 29):
        if day.weekday() < 5 and not national_holiday(day):
            expected[day] = PROGRAMMES[day.weekday()].key
        day += timedelta(days=1)
    assert {x.day: x.programme_key for x in stored} == expected
    assert len(stored) == len(expected)
    for x in stored:
        assert x.title and x.speaker and x.jp >= 1 and x.youtube_url
    belajar = [x for x in stored if x.programme_key == "asn-belajar"]
    assert all(x.jp in (2, 3) and x.zoom_url for x in belajar)
    assert all(x.starts_at.astimezone(WIB).strftime("%H:%M") == "09:00" for x in belajar)
    async with sessions() as s:
        assert await holiday_on(s, date(2026, 12, 24)) == "Cuti Bersama Hari Raya Natal"
        today_week = await sessions_between(s, date(2026, 11, 23), date(2026, 11, 27))
    assert [x.day.weekday() for x in today_week] == [0, 1, 2, 3, 4]
    # Second start: the calendar is not empty any more, so nothing is imported.
    async with sessions() as s, s.begin():
        assert await load_sample_calendar(s, WIB, now=NOW) is None
    assert len(await all_sessions(sessions)) == 61


async def test_sample_calendar_is_skipped_when_admins_filled_the_calendar(
    sessions: Sessions,
) -> None:
    await run_import(sessions, csv_bytes(
        "2026-11-26,ASN Belajar,Webinar admin,X,09:00,12:00,3,,,,"
    ))
    async with sessions() as s, s.begin():
        assert await load_sample_calendar(s, WIB, now=NOW) is None
    assert len(await all_sessions(sessions)) == 1


async def test_documented_example_imports(sessions: Sessions) -> None:
    report = await run_import(sessions, EXAMPLE.read_bytes(), filename=EXAMPLE.name)
    assert report.added >= 4 and report.holidays_added == 1
    assert report.warnings == []
    again = await run_import(sessions, EXAMPLE.read_bytes(), filename=EXAMPLE.name)
    assert again.total_changes == 0
