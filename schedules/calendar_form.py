"""One session saved from a form: the import's checks and writes for a single row, refused
when another admin changed the session since the form was opened."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import partial
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from db.attendance import sessions_with_attendance
from db.models.calendar import LearningSession
from schedules.calendar_import import import_rows
from schedules.calendar_report import CalendarImportError, ImportReport, RowError
from schedules.calendar_rows import RawRow, SessionRow, check_row
from schedules.calendar_values import Cell

__all__ = ["FORM_COLUMNS", "ChangedMeanwhile", "save_session", "session_cells"]

FORM_COLUMNS = (
    "tanggal", "program", "judul", "narasumber", "mulai", "selesai", "jp", "tautan_zoom",
    "tautan_youtube", "tautan_rekaman", "kode_presensi", "tutup_presensi", "status",
)
"""The calendar columns a session's form edits (kode_sesi stays as it is)."""


class ChangedMeanwhile(Exception):
    """Another admin saved this session after the form was opened; nothing was written."""


def session_cells(s: LearningSession, tz: ZoneInfo) -> dict[str, str]:
    """A stored session as the form's cells (times in the agency's zone)."""
    from core.programme import by_key

    closes = s.attendance_closes_at.astimezone(tz) if s.attendance_closes_at else None
    return {
        "tanggal": s.day.isoformat(), "program": by_key(s.programme_key).name,
        "judul": s.title, "narasumber": s.speaker or "",
        "mulai": f"{s.starts_at.astimezone(tz):%H:%M}",
        "selesai": f"{s.ends_at.astimezone(tz):%H:%M}",
        "jp": f"{float(s.jp or 0):g}", "tautan_zoom": s.zoom_url or "",
        "tautan_youtube": s.youtube_url or "", "tautan_rekaman": s.recording_url or "",
        "kode_presensi": s.attendance_code or "",
        "tutup_presensi": f"{closes:%Y-%m-%dT%H:%M}" if closes else "", "status": s.status,
    }


async def _refuse_twin(db: AsyncSession, row: Mapping[str, Cell], tz: ZoneInfo) -> None:
    """A new session where one already is (same programme, date and start): a file row would
    update that one; a form that says "new" is refused instead."""
    parsed = check_row(row, tz=tz, line=1)
    if not isinstance(parsed, SessionRow):
        return  # its errors are the import's to report
    day, programme, start = parsed.key
    twin = await db.scalar(select(LearningSession).where(
        LearningSession.day == day, LearningSession.programme_key == programme,
        LearningSession.starts_at == start))
    if twin is not None:
        raise CalendarImportError([RowError(1, (
            f"sudah ada sesi {twin.code} ({twin.title}) pada program, tanggal dan jam mulai "
            "yang sama; buka sesi itu untuk mengubahnya"))])


async def save_session(
    db: AsyncSession,
    cells: Mapping[str, Cell],
    *,
    now: datetime,
    tz: ZoneInfo,
    session: LearningSession | None = None,
    version: int | None = None,
    force: bool = False,
) -> ImportReport:
    """Add a session (`session` None) or change `session`, which the form showed at
    `version`, with exactly the import's checks and Indonesian errors.

    Raises `CalendarImportError` (nothing written) or `ChangedMeanwhile`. The caller owns the
    unit of work and tells people of the report's changes after it committed.
    """
    row = {k: v for k, v in cells.items() if k in FORM_COLUMNS}
    if session is None:
        await _refuse_twin(db, row, tz)
    else:
        if version is not None and session.version != version:
            raise ChangedMeanwhile
        row["kode_sesi"] = session.code
    try:
        return await import_rows(
            db, [RawRow(1, row)], now=now, tz=tz, force=force,
            has_attendance=partial(sessions_with_attendance, db),
        )
    except StaleDataError:
        # Saved by someone else between our read and our write (the version column).
        raise ChangedMeanwhile from None
