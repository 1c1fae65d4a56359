"""Re-imports change nothing; updates, cancellations and removals are reported as changes."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from db.engine import Sessions
from schedules.calendar_import import import_calendar
from schedules.calendar_report import CalendarImportError
from tests.schedules.calendar_helpers import (
    BELAJAR,
    FORUM,
    HEADER,
    MENGAJI,
    NOW,
    ZOOM,
    all_sessions,
    counts,
    csv_bytes,
    run_import,
)

WIB = ZoneInfo("Asia/Jakarta")
LATER = datetime(2026, 11, 22, 5, 0, tzinfo=UTC)


async def test_reimporting_the_same_file_changes_nothing(sessions: Sessions) -> None:
    data = csv_bytes(FORUM, MENGAJI, BELAJAR, "2026-11-27,libur,,,,,,,,,Rapat kerja")
    first = await run_import(sessions, data)
    assert (first.added, first.holidays_added) == (3, 1)
    assert first.summary().startswith("Jadwal berhasil diimpor (Senin, 23 November 2026 s.d.")
    stamps = [s.updated_at for s in await all_sessions(sessions)]
    again = await run_import(sessions, data, now=LATER)
    assert again.total_changes == 0
    assert again.unchanged == 3
    assert again.changes == []
    assert "tidak ada perubahan" in again.summary()
    assert [s.updated_at for s in await all_sessions(sessions)] == stamps


async def test_time_moved_and_link_changed_are_reported(sessions: Sessions) -> None:
    header = "kode_sesi," + HEADER
    await run_import(sessions, csv_bytes("blj-1126," + BELAJAR, "fbi-1123," + FORUM,
                                         header=header))
    new_zoom = "https://zoom.us/j/89999999999"
    moved = BELAJAR.replace("09:00,12:00", "13:00,15:00").replace(ZOOM, new_zoom)
    report = await run_import(
        sessions, csv_bytes("blj-1126," + moved, "fbi-1123," + FORUM, header=header), now=LATER
    )
    assert (report.added, report.updated, report.unchanged) == (0, 1, 1)
    [change] = report.changes
    assert change.kind == "updated" and change.code == "blj-1126"
    assert change.time_moved and change.link_changed and not change.cancelled
    assert set(change.fields) == {"starts_at", "ends_at", "zoom_url"}
    assert change.before["starts_at"] == datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
    assert change.after["starts_at"] == datetime(2026, 11, 26, 6, 0, tzinfo=UTC)
    assert change.after["zoom_url"] == new_zoom
    text = report.summary(WIB)
    assert "jadwal pindah dari 26/11 09.00 ke 26/11 13.00" in text
    assert "tautan Zoom" in text
    belajar = next(s for s in await all_sessions(sessions) if s.code == "blj-1126")
    assert belajar.updated_at == LATER
    assert belajar.zoom_url == new_zoom


async def test_row_without_code_matches_by_date_programme_and_start(sessions: Sessions) -> None:
    await run_import(sessions, csv_bytes(BELAJAR))
    report = await run_import(sessions, csv_bytes(BELAJAR.replace("Dr. Sri", "Dr. Sri W.")))
    assert (report.added, report.updated) == (0, 1)
    assert report.changes[0].fields == ("speaker",)
    assert not report.changes[0].time_moved and not report.changes[0].link_changed
    assert await counts(sessions) == (1, 0)


async def test_cancellation_is_reported_and_reactivation_too(sessions: Sessions) -> None:
    header = HEADER + ",status"
    await run_import(sessions, csv_bytes(BELAJAR + ",aktif", FORUM + ",aktif", header=header))
    report = await run_import(
        sessions, csv_bytes(BELAJAR + ",batal", FORUM + ",aktif", header=header)
    )
    assert (report.cancelled, report.updated, report.unchanged) == (1, 0, 1)
    [change] = report.changes
    assert change.kind == "cancelled" and change.cancelled
    assert "Dibatalkan: ASN Belajar (Kamis, 26 November 2026): Etika" in report.summary()
    again = await run_import(sessions, csv_bytes(BELAJAR + ",aktif", header=header))
    assert again.updated == 1 and again.changes[0].reactivated
    assert "diaktifkan kembali" in again.summary()


async def test_missing_column_leaves_the_field_alone(sessions: Sessions) -> None:
    header = HEADER + ",tautan_rekaman"
    await run_import(sessions, csv_bytes(BELAJAR + ",https://youtu.be/abc", header=header))
    report = await run_import(sessions, csv_bytes(BELAJAR))  # no tautan_rekaman column
    assert report.total_changes == 0
    [belajar] = await all_sessions(sessions)
    assert belajar.recording_url == "https://youtu.be/abc"
    cleared = await run_import(sessions, csv_bytes(BELAJAR + ",", header=header))
    assert cleared.changes[0].fields == ("recording_url",)


async def test_cancelling_a_session_with_attendance_needs_force(sessions: Sessions) -> None:
    header = HEADER + ",status"
    await run_import(sessions, csv_bytes(BELAJAR + ",aktif", FORUM + ",aktif", header=header))
    ids = {s.code: s.id for s in await all_sessions(sessions)}
    attended = {ids["20261126-asn-belajar-0900"]}
    asked: list[frozenset[int]] = []

    async def has_attendance(session_ids: frozenset[int]) -> set[int]:
        asked.append(session_ids)
        return attended & session_ids

    data = csv_bytes(BELAJAR + ",batal", FORUM + ",batal", header=header)
    with pytest.raises(CalendarImportError) as caught:
        await run_import(sessions, data, has_attendance=has_attendance)
    assert [line for line, _m in caught.value.lines] == [2]
    assert "sudah memiliki data presensi" in caught.value.lines[0][1]
    assert asked == [frozenset(ids.values())]
    assert {s.status for s in await all_sessions(sessions)} == {"aktif"}
    report = await run_import(sessions, data, has_attendance=has_attendance, force=True)
    assert report.cancelled == 2


async def test_rows_left_out_stay_without_replace_range(sessions: Sessions) -> None:
    await run_import(sessions, csv_bytes(FORUM, MENGAJI, BELAJAR))
    report = await run_import(sessions, csv_bytes(FORUM, BELAJAR))
    assert (report.removed, report.unchanged, report.total_changes) == (0, 2, 0)
    assert await counts(sessions) == (3, 0)


async def test_replace_range(sessions: Sessions) -> None:
    await run_import(sessions, csv_bytes(
        FORUM, MENGAJI, BELAJAR, "2026-11-27,libur,,,,,,,,,Rapat kerja",
        "2026-12-01,asn-bertanya,Di luar rentang,X,13:00,14:00,1,,,,",
    ))
    report = await run_import(sessions, csv_bytes(FORUM, BELAJAR), replace_range=True)
    assert (report.removed, report.unchanged, report.holidays_removed) == (1, 2, 0)
    [removed] = report.changes
    assert removed.kind == "removed" and removed.cancelled and removed.session_id is not None
    assert removed.programme_key == "asn-mengaji"
    # The holiday on 27 November lies outside 23-26 November; 1 December is outside too.
    assert await counts(sessions) == (3, 1)
    report = await run_import(
        sessions, csv_bytes(FORUM, "2026-11-30,libur,,,,,,,,,Banjir"), replace_range=True
    )
    assert (report.removed, report.holidays_removed, report.holidays_added) == (1, 1, 1)


async def test_replace_range_refuses_to_drop_attended_sessions(sessions: Sessions) -> None:
    await run_import(sessions, csv_bytes(FORUM, MENGAJI, BELAJAR))
    mengaji = next(s for s in await all_sessions(sessions) if s.programme_key == "asn-mengaji")

    def has_attendance(session_ids: frozenset[int]) -> set[int]:
        return {mengaji.id} & session_ids

    with pytest.raises(CalendarImportError) as caught:
        await run_import(sessions, csv_bytes(FORUM, BELAJAR), replace_range=True,
                         has_attendance=has_attendance)
    assert caught.value.lines[0][0] is None
    assert mengaji.code in caught.value.lines[0][1]
    assert "--force" in caught.value.summary()
    assert await counts(sessions) == (3, 0)
    report = await run_import(sessions, csv_bytes(FORUM, BELAJAR), replace_range=True,
                              has_attendance=has_attendance, force=True)
    # Kept and cancelled, not deleted: its attendance records still point at it.
    assert (report.removed, report.cancelled) == (0, 1)
    assert report.changes[0].session_id == mengaji.id
    statuses = {s.programme_key: s.status for s in await all_sessions(sessions)}
    assert statuses == {"forum-berbagi-ilmu": "aktif", "asn-mengaji": "batal",
                        "asn-belajar": "aktif"}


async def test_clash_with_a_stored_session_of_another_code(sessions: Sessions) -> None:
    header = "kode_sesi," + HEADER
    await run_import(sessions, csv_bytes("A1," + BELAJAR, header=header))
    with pytest.raises(CalendarImportError) as caught:
        await run_import(sessions, csv_bytes("B2," + BELAJAR, header=header))
    assert caught.value.lines[0][0] == 2
    assert "bentrok dengan sesi A1" in caught.value.lines[0][1]


async def test_generated_code_taken_by_a_moved_session_gets_a_suffix(
    sessions: Sessions,
) -> None:
    await run_import(sessions, csv_bytes(BELAJAR))
    [old] = await all_sessions(sessions)
    header = "kode_sesi," + HEADER
    moved = old.code + "," + BELAJAR.replace("09:00,12:00", "13:00,15:00")
    await run_import(sessions, csv_bytes(moved, "," + BELAJAR, header=header))
    codes = sorted(s.code for s in await all_sessions(sessions))
    assert codes == ["20261126-asn-belajar-0900", "20261126-asn-belajar-0900-2"]


async def test_dry_run_writes_nothing(sessions: Sessions) -> None:
    async with sessions() as s, s.begin():
        report = await import_calendar(s, csv_bytes(FORUM, BELAJAR), now=NOW, dry_run=True)
    assert report.added == 2 and report.dry_run
    assert report.summary().startswith("Pratinjau impor")
    assert await counts(sessions) == (0, 0)


async def test_failed_import_rolls_back_with_the_unit_of_work(sessions: Sessions) -> None:
    await run_import(sessions, csv_bytes(FORUM))
    with pytest.raises(CalendarImportError):
        await run_import(sessions, csv_bytes(BELAJAR, "2026-12-25,ASN Belajar,X,,09:00,10:00,,,,,"))
    assert await counts(sessions) == (1, 0)


async def test_warnings_for_unusual_days(sessions: Sessions) -> None:
    report = await run_import(sessions, csv_bytes(
        "2026-11-28,ASN Belajar,Kelas Sabtu,X,09:00,12:00,3,,,,",
        "2026-11-24,ASN Belajar,Kelas Selasa,X,09:00,12:00,3,,,,",
    ))
    assert report.added == 2
    assert [w.line for w in report.warnings] == [2, 3]
    assert "akhir pekan" in report.summary()
    assert "biasanya hari Kamis" in report.summary()
