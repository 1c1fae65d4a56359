"""One row checked on its own (`check_row`): what a file import and a one-session form share."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from db.engine import Sessions
from schedules.calendar_report import CalendarImportError
from schedules.calendar_rows import HolidayRow, SessionRow, check_row
from tests.schedules.calendar_helpers import YT, ZOOM, csv_bytes, run_import

WIB = ZoneInfo("Asia/Jakarta")

# Every column a form would send, as the raw strings a browser posts.
GOOD = {
    "tanggal": "2026-11-26",
    "program": "ASN Belajar",
    "judul": "Etika Pelayanan Publik",
    "narasumber": "Dr. Sri",
    "mulai": "09:00",
    "selesai": "12:00",
    "tautan_zoom": ZOOM,
    "tautan_youtube": YT,
    "tautan_rekaman": "",
    "jp": "1,5",
    "kode_presensi": "BLJ1",
    "tutup_presensi": "12:30",
    "kode_sesi": "",
    "status": "aktif",
    "keterangan": "",
}


def test_a_good_row_is_parsed_with_utc_times() -> None:
    row = check_row(GOOD, tz=WIB, line=2)
    assert row == SessionRow(
        line=2,
        code=None,
        local_start=time(9, 0),
        values={
            "title": "Etika Pelayanan Publik",
            "speaker": "Dr. Sri",
            "zoom_url": ZOOM,
            "youtube_url": YT,
            "recording_url": None,
            "jp": 1.5,
            "attendance_code": "BLJ1",
            "attendance_closes_at": datetime(2026, 11, 26, 5, 30, tzinfo=UTC),
            "status": "aktif",
            "day": date(2026, 11, 26),
            "programme_key": "asn-belajar",
            "starts_at": datetime(2026, 11, 26, 2, 0, tzinfo=UTC),
            "ends_at": datetime(2026, 11, 26, 5, 0, tzinfo=UTC),
        },
        warnings=(),
    )


def test_absent_optional_columns_are_left_out() -> None:
    cells = {"tanggal": "2026-11-26", "program": "asn-belajar", "judul": "Etika",
             "mulai": "09:00", "selesai": "12:00", "kode_sesi": "BLJ-2026"}
    row = check_row(cells, tz=WIB)
    assert isinstance(row, SessionRow)
    assert (row.line, row.code) == (0, "BLJ-2026")
    assert set(row.values) == {"title", "day", "programme_key", "starts_at", "ends_at"}


def test_a_row_with_two_bad_fields_gets_both_errors() -> None:
    cells = GOOD | {"mulai": "jam 1", "tautan_zoom": "zoom.us/j/123"}
    assert check_row(cells, tz=WIB, line=3) == [
        "mulai: jam 'jam 1' tidak dikenali (pakai JJ:MM, misalnya 09:00)",
        "tautan_zoom 'zoom.us/j/123' bukan tautan yang sah "
        "(harus diawali https:// dan ada alamat situsnya)",
    ]


async def test_the_import_refuses_that_row_with_the_same_messages(sessions: Sessions) -> None:
    cells = GOOD | {"mulai": "jam 1", "tautan_zoom": "zoom.us/j/123", "jp": "2"}  # no comma
    header = ",".join(cells)
    with pytest.raises(CalendarImportError) as caught:
        await run_import(sessions, csv_bytes(",".join(cells.values()), header=header))
    expected = check_row(cells, tz=WIB, line=2)
    assert isinstance(expected, list)
    assert caught.value.lines == [(2, message) for message in sorted(expected)]


def test_a_session_after_its_closing_time_is_refused() -> None:
    cells = GOOD | {"tutup_presensi": "08:00"}
    assert check_row(cells, tz=WIB) == ["tutup_presensi harus sesudah jam mulai sesi"]


def test_a_session_off_its_programmes_weekday_is_parsed_with_a_warning() -> None:
    row = check_row(GOOD | {"tanggal": "2026-11-24"}, tz=WIB)
    assert isinstance(row, SessionRow)
    assert row.warnings == ("ASN Belajar biasanya hari Kamis, sedangkan sesi ini hari Selasa",)


def test_a_holiday_row() -> None:
    cells = {"tanggal": "27/11/2026", "hari": "Jumat", "program": "libur", "judul": "",
             "mulai": "", "selesai": "", "status": "", "keterangan": "Rapat kerja BPSDM"}
    assert check_row(cells, tz=WIB, line=4) == HolidayRow(
        line=4, day=date(2026, 11, 27), reason="Rapat kerja BPSDM", remove=False
    )
    lifted = check_row(cells | {"program": "Cuti Bersama", "status": "batal"}, tz=WIB, line=4)
    assert lifted == HolidayRow(4, date(2026, 11, 27), "Rapat kerja BPSDM", remove=True)


def test_a_holiday_row_with_a_wrong_day_name_and_status() -> None:
    cells = {"tanggal": "2026-11-27", "hari": "Kamis", "program": "libur", "status": "tunda"}
    assert check_row(cells, tz=WIB) == [
        "tanggal 2026-11-27 jatuh pada hari Jumat, tetapi kolom hari berisi Kamis",
        "status 'tunda' tidak dikenal (isi aktif atau batal)",
    ]
