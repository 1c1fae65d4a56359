"""Every kind of bad row is refused with its spreadsheet line, and nothing is imported."""

from __future__ import annotations

import pytest

from db.engine import Sessions
from schedules.calendar_report import CalendarImportError
from tests.schedules.calendar_helpers import (
    BELAJAR,
    FORUM,
    HEADER,
    YT,
    ZOOM,
    counts,
    csv_bytes,
    run_import,
)

# (case id, bad row (it lands on line 3, after the good row on line 2), expected message part)
BAD_ROWS = [
    ("unknown programme",
     f"2026-11-24,ASN Ngopi,Judul,X,13:00,14:00,1,{ZOOM},{YT},,",
     "program 'ASN Ngopi' tidak dikenal"),
    ("empty programme", "2026-11-24,,Judul,X,13:00,14:00,1,,,,", "kolom program kosong"),
    ("end before start",
     f"2026-11-24,asn-bertanya,Judul,X,14:00,13:00,1,,{YT},,", "harus sesudah jam mulai"),
    ("end equals start",
     f"2026-11-24,asn-bertanya,Judul,X,13:00,13:00,1,,{YT},,", "harus sesudah jam mulai"),
    ("date not in calendar",
     f"31/11/2026,asn-bertanya,Judul,X,13:00,14:00,1,,{YT},,", "tidak ada di kalender"),
    ("date unreadable", f"besok,asn-bertanya,Judul,X,13:00,14:00,1,,{YT},,", "tidak dikenali"),
    ("hour out of range", f"2026-11-24,asn-bertanya,Judul,X,13:00,24:30,1,,{YT},,",
     "selesai: jam '24:30' tidak ada"),
    ("time unreadable", f"2026-11-24,asn-bertanya,Judul,X,jam 1,14:00,1,,{YT},,", "mulai: jam"),
    ("url without scheme",
     f"2026-11-24,asn-bertanya,Judul,X,13:00,14:00,1,zoom.us/j/123,{YT},,", "tautan_zoom"),
    ("url without host",
     "2026-11-24,asn-bertanya,Judul,X,13:00,14:00,1,https://,,,", "bukan tautan yang sah"),
    ("url other scheme",
     "2026-11-24,asn-bertanya,Judul,X,13:00,14:00,1,,ftp://youtube.com/x,,", "tautan_youtube"),
    ("negative jp", f"2026-11-24,asn-bertanya,Judul,X,13:00,14:00,-1,,{YT},,", "negatif"),
    ("absurd jp", f"2026-11-24,asn-bertanya,Judul,X,13:00,14:00,40,,{YT},,", "terlalu besar"),
    ("jp not a number", f"2026-11-24,asn-bertanya,Judul,X,13:00,14:00,dua,,{YT},,", "bukan angka"),
    ("missing title", f"2026-11-24,asn-bertanya,,X,13:00,14:00,1,,{YT},,", "judul wajib diisi"),
    ("national holiday",
     f"2026-12-25,ASN Sehat dan Bugar,Senam,X,07:00,08:00,1,{ZOOM},{YT},,", "Hari Raya Natal"),
    ("cuti bersama (national)",
     f"2026-12-24,ASN Belajar,Webinar,X,09:00,12:00,3,{ZOOM},{YT},,", "Cuti Bersama"),
    ("duplicate date, programme and start",
     BELAJAR.replace("Etika Pelayanan Publik", "Judul lain"), "sudah ada di baris 2"),
]


@pytest.mark.parametrize(("row", "expected"), [c[1:] for c in BAD_ROWS],
                         ids=[c[0] for c in BAD_ROWS])
async def test_bad_row_is_refused_with_its_line(
    sessions: Sessions, row: str, expected: str
) -> None:
    with pytest.raises(CalendarImportError) as caught:
        await run_import(sessions, csv_bytes(BELAJAR, row))
    assert [line for line, _msg in caught.value.lines] == [3], caught.value.lines
    assert expected in caught.value.lines[0][1]
    assert "Baris 3:" in caught.value.summary()
    assert await counts(sessions) == (0, 0)


async def test_session_on_a_holiday_of_the_same_file(sessions: Sessions) -> None:
    data = csv_bytes(
        "2026-11-27,libur,,,,,,,,,Hari jadi Provinsi (contoh)",
        FORUM,
        "2026-11-27,ASN Sehat dan Bugar,Senam,X,07:00,08:00,1,,,,",
    )
    with pytest.raises(CalendarImportError) as caught:
        await run_import(sessions, data)
    assert caught.value.lines[0][0] == 4
    assert "hari libur (Hari jadi Provinsi (contoh), baris 2)" in caught.value.lines[0][1]
    assert await counts(sessions) == (0, 0)


async def test_session_on_a_holiday_already_stored(sessions: Sessions) -> None:
    await run_import(sessions, csv_bytes("2026-11-27,libur,,,,,,,,,Rapat kerja BPSDM"))
    with pytest.raises(CalendarImportError) as caught:
        await run_import(sessions, csv_bytes(
            FORUM, "2026-11-27,ASN Sehat dan Bugar,Senam,X,07:00,08:00,1,,,,"
        ))
    assert caught.value.lines == [(3, caught.value.lines[0][1])]
    assert "Rapat kerja BPSDM" in caught.value.lines[0][1]
    assert await counts(sessions) == (0, 1)


async def test_holiday_over_a_stored_session_is_refused(sessions: Sessions) -> None:
    await run_import(sessions, csv_bytes(BELAJAR))
    with pytest.raises(CalendarImportError) as caught:
        await run_import(sessions, csv_bytes(FORUM, "2026-11-26,libur,,,,,,,,,Banjir"))
    assert caught.value.lines[0][0] == 3
    assert "masih ada sesi aktif" in caught.value.lines[0][1]
    assert await counts(sessions) == (1, 0)


async def test_duplicate_code_is_refused(sessions: Sessions) -> None:
    header = "kode_sesi," + HEADER
    data = csv_bytes("BLJ-01," + BELAJAR, "BLJ-01," + FORUM, header=header)
    with pytest.raises(CalendarImportError) as caught:
        await run_import(sessions, data)
    assert caught.value.lines == [(3, "kode_sesi BLJ-01 sudah dipakai di baris 2")]
    assert await counts(sessions) == (0, 0)


async def test_duplicate_holiday_is_refused(sessions: Sessions) -> None:
    data = csv_bytes("2026-11-27,libur,,,,,,,,,A", FORUM, "2026-11-27,libur,,,,,,,,,B")
    with pytest.raises(CalendarImportError) as caught:
        await run_import(sessions, data)
    assert caught.value.lines[0][0] == 4
    assert await counts(sessions) == (0, 0)


async def test_bad_status_and_bad_attendance_close(sessions: Sessions) -> None:
    header = HEADER + ",status,tutup_presensi"
    data = csv_bytes(
        BELAJAR + ",aktif,",
        FORUM + ",selesai,",
        "2026-11-24,asn-bertanya,Judul,X,13:00,14:00,1,,,,,aktif,12:00",
        header=header,
    )
    with pytest.raises(CalendarImportError) as caught:
        await run_import(sessions, data)
    assert [line for line, _m in caught.value.lines] == [3, 4]
    assert "status 'selesai' tidak dikenal" in caught.value.lines[0][1]
    assert "tutup_presensi harus sesudah jam mulai" in caught.value.lines[1][1]
    assert await counts(sessions) == (0, 0)


async def test_every_bad_row_is_listed_at_once(sessions: Sessions) -> None:
    data = csv_bytes(
        "2026-11-24,ASN Ngopi,Judul,X,13:00,14:00,1,,,,",
        BELAJAR,
        "2026-11-25,ASN Mengaji,Judul,X,09:00,08:00,1,,,,",
    )
    with pytest.raises(CalendarImportError) as caught:
        await run_import(sessions, data)
    assert [line for line, _m in caught.value.lines] == [2, 4]
    assert caught.value.summary().startswith("Jadwal tidak diimpor: ada 2 kesalahan.")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (HEADER.replace("narasumber", "narsumber"), "kolom tidak dikenal: narsumber"),
        (HEADER.replace("tanggal,", "hari_h,"), "kolom tidak dikenal: hari_h"),
        ("program,judul,mulai,selesai", "kolom wajib tidak ada: tanggal"),
    ],
)
async def test_bad_header_is_line_one(sessions: Sessions, header: str, expected: str) -> None:
    with pytest.raises(CalendarImportError) as caught:
        await run_import(sessions, csv_bytes(BELAJAR, header=header))
    assert caught.value.lines[0][0] == 1
    assert any(expected in msg for _l, msg in caught.value.lines)
    assert await counts(sessions) == (0, 0)


async def test_empty_file_is_refused(sessions: Sessions) -> None:
    with pytest.raises(CalendarImportError) as caught:
        await run_import(sessions, b"")
    assert caught.value.lines == [(None, "Berkas kosong.")]
    with pytest.raises(CalendarImportError) as caught:
        await run_import(sessions, csv_bytes())
    assert "tidak berisi satu baris jadwal" in caught.value.lines[0][1]


async def test_day_name_must_match_the_date(sessions: Sessions) -> None:
    header = "hari," + HEADER
    ok = await run_import(sessions, csv_bytes("Kamis," + BELAJAR, "jum'at," + FORUM.replace(
        "2026-11-23,forum-berbagi-ilmu", "2026-11-27,asn-sehat-bugar"), header=header),
        dry_run=True)
    assert ok.added == 2
    with pytest.raises(CalendarImportError) as caught:
        await run_import(sessions, csv_bytes("Kamis," + BELAJAR, "Selasa," + FORUM,
                                             header=header))
    assert caught.value.lines == [
        (3, "tanggal 2026-11-23 jatuh pada hari Senin, tetapi kolom hari berisi Selasa")
    ]
    assert await counts(sessions) == (0, 0)


async def test_excel_separator_hint_line(sessions: Sessions) -> None:
    data = "sep=;\n" + HEADER.replace(",", ";") + "\n" + BELAJAR.replace(",", ";") + "\n"
    report = await run_import(sessions, data.encode())
    assert report.added == 1
    bad = data.replace("09:00;12:00", "12:00;09:00")
    with pytest.raises(CalendarImportError) as caught:
        await run_import(sessions, bad.encode())
    assert caught.value.lines[0][0] == 2
