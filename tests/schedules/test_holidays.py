"""National holidays and cuti bersama come from the `holidays` package; admins add their own."""

from __future__ import annotations

from datetime import date

import pytest

from db.engine import Sessions
from schedules.calendar_report import CalendarImportError
from schedules.holidays import (
    holiday_on,
    holidays_between,
    is_working_day,
    national_holiday,
    national_holidays,
)
from tests.schedules.calendar_helpers import csv_bytes, run_import


def test_national_holidays_in_indonesian() -> None:
    assert national_holiday(date(2026, 12, 25)) == "Hari Raya Natal"
    assert national_holiday(date(2027, 1, 1)) == "Tahun Baru Masehi"
    assert national_holiday(date(2026, 12, 24)) == "Cuti Bersama Hari Raya Natal"
    assert national_holiday(date(2026, 11, 23)) is None
    found = national_holidays(date(2026, 12, 20), date(2027, 1, 2))
    assert list(found) == [date(2026, 12, 24), date(2026, 12, 25), date(2027, 1, 1)]


async def test_holiday_on_and_working_days(sessions: Sessions) -> None:
    await run_import(sessions, csv_bytes(
        "2026-11-27,libur,,,,,,,,,Rapat kerja BPSDM",
        "2026-12-25,libur,,,,,,,,,Natal (libur kantor)",
    ))
    async with sessions() as s:
        assert await holiday_on(s, date(2026, 11, 27)) == "Rapat kerja BPSDM"
        assert await holiday_on(s, date(2026, 12, 25)) == "Natal (libur kantor)"
        assert await holiday_on(s, date(2027, 1, 1)) == "Tahun Baru Masehi"
        assert await holiday_on(s, date(2026, 11, 26)) is None
        assert await is_working_day(s, date(2026, 11, 26))
        assert not await is_working_day(s, date(2026, 11, 27))
        assert not await is_working_day(s, date(2026, 11, 28))  # Saturday
        assert not await is_working_day(s, date(2026, 12, 25))
        between = await holidays_between(s, date(2026, 11, 1), date(2026, 12, 31))
    assert between == {
        date(2026, 11, 27): "Rapat kerja BPSDM",
        date(2026, 12, 24): "Cuti Bersama Hari Raya Natal",
        date(2026, 12, 25): "Natal (libur kantor)",
    }


async def test_libur_row_with_status_batal_lifts_an_admin_holiday(sessions: Sessions) -> None:
    header = "tanggal,program,keterangan,status"
    await run_import(sessions, csv_bytes("2026-11-27,Cuti Bersama,Rapat kerja,aktif",
                                         header=header))
    async with sessions() as s:
        assert await holiday_on(s, date(2026, 11, 27)) == "Rapat kerja"
    renamed = await run_import(sessions, csv_bytes("2026-11-27,libur,Rapat kerja BPSDM,aktif",
                                                   header=header))
    assert renamed.holidays_updated == 1
    lifted = await run_import(sessions, csv_bytes(
        "2026-11-27,libur,Rapat kerja BPSDM,batal,,",
        "2026-11-27,ASN Sehat dan Bugar,Senam (pengganti),aktif,07:00,08:00",
        header="tanggal,program,judul,status,mulai,selesai",
    ))
    assert (lifted.holidays_removed, lifted.added) == (1, 1)
    with pytest.raises(CalendarImportError) as caught:
        await run_import(sessions, csv_bytes("2026-11-26,ASN Belajar,Webinar,aktif",
                                             header=header))
    assert caught.value.lines == [
        (2, "kolom judul, mulai, selesai tidak ada di berkas; setiap sesi memerlukannya")
    ]
    async with sessions() as s:
        assert await holiday_on(s, date(2026, 11, 27)) is None
