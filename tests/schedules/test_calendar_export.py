"""Export writes the import format with kode_sesi filled in; re-importing it changes nothing."""

from __future__ import annotations

import csv
import io
from datetime import date

import openpyxl
import pytest
import yaml

from db.engine import Sessions
from schedules.calendar_export import export_calendar
from schedules.calendar_rows import COLUMNS
from tests.schedules.calendar_helpers import (
    BELAJAR,
    FORUM,
    HEADER,
    MENGAJI,
    all_sessions,
    csv_bytes,
    run_import,
)

ROWS = (
    FORUM,
    MENGAJI.replace(",2,", ",1.5,"),
    BELAJAR,
    "2026-11-27,libur,,,,,,,,,Rapat kerja BPSDM",
    "2026-12-03,ASN Belajar,\"Kelas \"\"Batal\"\", dengan koma\",X,09:00,12:00,3,,,,",
)
EXTRA = HEADER + ",tautan_rekaman,tutup_presensi,status"


async def _fill(sessions: Sessions) -> None:
    await run_import(sessions, csv_bytes(
        ROWS[0] + ",https://youtu.be/rekaman1,2026-11-23 18:00,aktif",
        ROWS[1] + ",,,aktif",
        ROWS[2] + ",,12:30,aktif",
        ROWS[3] + ",,,",
        ROWS[4] + ",,,batal",
        header=EXTRA,
    ))


async def _export(sessions: Sessions, fmt: str, **kwargs: object) -> bytes:
    async with sessions() as s:
        return await export_calendar(s, fmt, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(("fmt", "options"), [
    ("csv", {}), ("csv", {"sep": ";"}), ("yaml", {}), ("xlsx", {}),
])
async def test_round_trip_changes_nothing(
    sessions: Sessions, fmt: str, options: dict[str, object]
) -> None:
    await _fill(sessions)
    before = [(s.code, s.title, s.starts_at, s.jp, s.recording_url, s.attendance_closes_at,
               s.status) for s in await all_sessions(sessions)]
    data = await _export(sessions, fmt, **options)
    report = await run_import(sessions, data, fmt=fmt)
    assert report.total_changes == 0, report.summary()
    assert report.unchanged == 4
    # ...also with replace_range: the file is the whole calendar of its range.
    report = await run_import(sessions, data, fmt=fmt, replace_range=True)
    assert report.total_changes == 0, report.summary()
    after = [(s.code, s.title, s.starts_at, s.jp, s.recording_url, s.attendance_closes_at,
              s.status) for s in await all_sessions(sessions)]
    assert after == before


async def test_csv_export_shape(sessions: Sessions) -> None:
    await _fill(sessions)
    data = await _export(sessions, "csv")
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert list(rows[0]) == list(COLUMNS)
    assert [r["tanggal"] for r in rows] == [
        "2026-11-23", "2026-11-25", "2026-11-26", "2026-11-27", "2026-12-03"
    ]
    forum = rows[0]
    assert forum["kode_sesi"] == "20261123-forum-berbagi-ilmu-1300"
    assert (forum["hari"], forum["program"]) == ("Senin", "Forum ASN Berbagi Ilmu")
    assert (forum["mulai"], forum["selesai"], forum["jp"]) == ("13:00", "15:00", "2")
    assert forum["tutup_presensi"] == "2026-11-23 18:00"
    assert rows[1]["jp"] == "1.5"
    assert rows[3]["program"] == "libur" and rows[3]["keterangan"] == "Rapat kerja BPSDM"
    assert rows[4]["judul"] == 'Kelas "Batal", dengan koma' and rows[4]["status"] == "batal"
    semicolon = (await _export(sessions, "csv", sep=";")).decode("utf-8-sig")
    assert semicolon.splitlines()[0].startswith("kode_sesi;tanggal;hari;program;")
    assert ";1,5;" in semicolon


async def test_export_range(sessions: Sessions) -> None:
    await _fill(sessions)
    data = await _export(sessions, "yaml", start=date(2026, 11, 25), end=date(2026, 11, 27))
    entries = yaml.safe_load(data)["sesi"]
    assert [e["tanggal"] for e in entries] == ["2026-11-25", "2026-11-26", "2026-11-27"]


async def test_xlsx_export_has_typed_cells(sessions: Sessions) -> None:
    await _fill(sessions)
    book = openpyxl.load_workbook(io.BytesIO(await _export(sessions, "xlsx")))
    sheet = book["jadwal"]
    header = [c.value for c in sheet[1]]
    assert header == list(COLUMNS)
    row = {h: c.value for h, c in zip(header, sheet[2], strict=True)}
    assert row["tanggal"].date() == date(2026, 11, 23)
    assert f"{row['mulai']:%H:%M}" == "13:00"
    assert row["jp"] == 2
    book.close()


async def test_exported_codes_pin_sessions_when_times_move(sessions: Sessions) -> None:
    await _fill(sessions)
    text = (await _export(sessions, "csv")).decode("utf-8-sig")
    moved = text.replace("2026-11-23,Senin,Forum ASN Berbagi Ilmu,Mal Pelayanan Publik,Heru,"
                         "13:00,15:00", "2026-11-23,Senin,Forum ASN Berbagi Ilmu,"
                         "Mal Pelayanan Publik,Heru,14:00,16:00")
    assert moved != text
    report = await run_import(sessions, moved.encode(), fmt="csv")
    assert (report.updated, report.added) == (1, 0)
    assert report.changes[0].code == "20261123-forum-berbagi-ilmu-1300"
