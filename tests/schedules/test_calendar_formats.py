"""The import reads what spreadsheets really save: Indonesian-locale CSV, Excel .xlsx, YAML."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time

import openpyxl
import pytest

from db.engine import Sessions
from schedules.calendar_report import CalendarImportError
from schedules.calendar_rows import detect_format
from tests.schedules.calendar_helpers import ZOOM, all_sessions, counts, run_import

INDONESIAN_EXCEL = (
    "\ufefftanggal;program;judul;narasumber;mulai;selesai;jp;tautan_zoom;tautan_youtube;"
    "kode_presensi;keterangan\r\n"
    "23/11/2026;Forum ASN Berbagi Ilmu;Bank Sampah Kelurahan;\"Ir. Siti; DLH Kota Malang\";"
    "13.00;15.00;1,5;https://zoom.us/j/81234567890;;FBI1;\r\n"
    "3/12/2026;asn-belajar;Manajemen Risiko;Ir. Agus Pramono;9:00;12:00;3;;;;\r\n"
    ";;;;;;;;;;\r\n"
    "24/12/2026;libur;;;;;;;;;Cuti Bersama Hari Raya Natal\r\n"
)


async def test_semicolon_csv_with_bom_day_first_dates_and_decimal_comma(
    sessions: Sessions,
) -> None:
    report = await run_import(sessions, INDONESIAN_EXCEL.encode("utf-8"), filename="jadwal.csv")
    assert (report.added, report.holidays_added) == (2, 1)
    forum, belajar = await all_sessions(sessions)
    assert forum.day == date(2026, 11, 23)
    assert forum.starts_at == datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # 13.00 WIB
    assert forum.jp == 1.5
    assert forum.speaker == "Ir. Siti; DLH Kota Malang"
    assert forum.youtube_url is None
    assert forum.code == "20261123-forum-berbagi-ilmu-1300"
    assert belajar.day == date(2026, 12, 3)
    assert belajar.starts_at == datetime(2026, 12, 3, 2, 0, tzinfo=UTC)


async def test_windows_1252_csv_is_read(sessions: Sessions) -> None:
    text = INDONESIAN_EXCEL.replace("\ufeff", "").replace("Bank Sampah", "Café Sampah")
    await run_import(sessions, text.encode("cp1252"))
    forum = (await all_sessions(sessions))[0]
    assert forum.title == "Café Sampah Kelurahan"


async def test_error_lines_count_blank_rows_like_a_spreadsheet(sessions: Sessions) -> None:
    text = INDONESIAN_EXCEL.replace("3/12/2026", "3/13/2026")
    with pytest.raises(CalendarImportError) as caught:
        await run_import(sessions, text.encode("utf-8"))
    assert caught.value.lines[0][0] == 3
    bad_last = INDONESIAN_EXCEL.replace("24/12/2026;libur", "24/12/2026;liburan")
    with pytest.raises(CalendarImportError) as caught:
        await run_import(sessions, bad_last.encode("utf-8"))
    assert caught.value.lines[0][0] == 5  # line 4 is blank and still counts
    assert await counts(sessions) == (0, 0)


def _xlsx(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Jadwal"
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def test_xlsx_with_real_dates_times_and_strings(sessions: Sessions) -> None:
    data = _xlsx([
        ["Tanggal", "Program", "Judul", "Narasumber", "Jam Mulai", "Jam Selesai", "JP",
         "Tautan Zoom", "Status"],
        # Excel cells are naive: that is what openpyxl hands back from a real sheet.
        [datetime(2026, 11, 26), "ASN Belajar", "Analisis Kebijakan",  # noqa: DTZ001
         "Prof. Hendra", time(9, 0), time(12, 0), 3, ZOOM, "aktif"],
        ["25/11/2026", "asn-mengaji", "Ikhlas Bekerja", None, "07.30", "09:00", 1.5, None, None],
        [None, None, None, None, None, None, None, None, None],
        [date(2026, 11, 27), "ASN Sehat dan Bugar", "Senam", None, 0.2916666666666667,
         datetime(1899, 12, 30, 8, 0), "1", None, "batal"],  # noqa: DTZ001
    ])
    assert detect_format(data) == "xlsx"
    report = await run_import(sessions, data, filename="Jadwal Desember.xlsx")
    assert report.added == 3
    mengaji, belajar, sehat = await all_sessions(sessions)
    assert belajar.starts_at == datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
    assert belajar.zoom_url == ZOOM
    assert mengaji.starts_at == datetime(2026, 11, 25, 0, 30, tzinfo=UTC)
    assert mengaji.jp == 1.5
    assert sehat.starts_at == datetime(2026, 11, 27, 0, 0, tzinfo=UTC)  # 0.29166 day = 07:00
    assert sehat.ends_at == datetime(2026, 11, 27, 1, 0, tzinfo=UTC)
    assert sehat.status == "batal"


async def test_xlsx_bad_cell_reports_its_sheet_row(sessions: Sessions) -> None:
    data = _xlsx([
        ["tanggal", "program", "judul", "mulai", "selesai"],
        [None] * 5,
        [date(2026, 11, 26), "ASN Belajar", "Webinar", time(12, 0), time(9, 0)],
    ])
    with pytest.raises(CalendarImportError) as caught:
        await run_import(sessions, data, filename="jadwal.xlsx")
    assert caught.value.lines[0][0] == 3


async def test_unreadable_xlsx_and_old_xls(sessions: Sessions) -> None:
    with pytest.raises(CalendarImportError) as caught:
        await run_import(sessions, b"PK\x03\x04 not really a zip", filename="jadwal.xlsx")
    assert "Berkas Excel tidak bisa dibaca" in caught.value.summary()
    with pytest.raises(CalendarImportError) as caught:
        await run_import(sessions, b"\xd0\xcf\x11\xe0", filename="jadwal.xls")
    assert ".xls belum didukung" in caught.value.summary()


YAML_LIST = """\
# daftar sesi
- tanggal: 2026-11-26
  program: ASN Belajar
  judul: "Etika Pelayanan Publik: Wawasan Kebangsaan"
  narasumber: Dra. Sri Wahyuningsih
  mulai: 9:00
  selesai: 10:30
  jp: 2
  tautan_zoom: https://zoom.us/j/81234567890
  tautan_youtube: ~
- tanggal: 24/12/2026
  program: libur
  keterangan: Cuti Bersama Hari Raya Natal
"""


async def test_yaml_list(sessions: Sessions) -> None:
    report = await run_import(sessions, YAML_LIST.encode(), filename="jadwal.yaml")
    assert (report.added, report.holidays_added) == (1, 1)
    [belajar] = await all_sessions(sessions)
    # 10:30 unquoted would be the number 630 in YAML 1.1; it must stay a time.
    assert belajar.ends_at == datetime(2026, 11, 26, 3, 30, tzinfo=UTC)
    assert belajar.title == "Etika Pelayanan Publik: Wawasan Kebangsaan"
    assert belajar.youtube_url is None


async def test_yaml_mapping_with_sesi_key_and_line_numbers(sessions: Sessions) -> None:
    text = "sesi:\n" + "".join("  " + line + "\n" for line in YAML_LIST.splitlines())
    assert detect_format(text.encode()) == "yaml"
    report = await run_import(sessions, text.encode())
    assert report.added == 1
    bad = text.replace("selesai: 10:30", "selesai: 8:30")
    with pytest.raises(CalendarImportError) as caught:
        await run_import(sessions, bad.encode(), fmt="yaml")
    assert caught.value.lines[0][0] == 3  # the line where that entry starts


async def test_yaml_that_is_not_a_list(sessions: Sessions) -> None:
    with pytest.raises(CalendarImportError) as caught:
        await run_import(sessions, b"judul: satu sesi\n", fmt="yaml")
    assert "daftar sesi" in caught.value.summary()
    with pytest.raises(CalendarImportError) as caught:
        await run_import(sessions, b"- tanggal: [1, 2\n", fmt="yaml")
    assert "YAML tidak bisa dibaca" in caught.value.summary()


async def test_utf16_tab_separated_text_from_excel(sessions: Sessions) -> None:
    # Excel's "Unicode Text" export: UTF-16 with a BOM, tabs between cells.
    text = INDONESIAN_EXCEL.replace("\ufeff", "").replace(";", "\t").replace(
        "Ir. Siti\t DLH", "Ir. Siti, DLH"
    )
    report = await run_import(sessions, text.encode("utf-16"), filename="jadwal.txt")
    assert (report.added, report.holidays_added) == (2, 1)
    assert (await all_sessions(sessions))[0].speaker == "Ir. Siti, DLH Kota Malang"
