"""Small helpers shared by the calendar tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from db.engine import Sessions
from db.models.calendar import Holiday, LearningSession
from schedules.calendar_import import ImportReport, import_calendar

NOW = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)  # Sunday 22 November 2026, 08:00 WIB

HEADER = (
    "tanggal,program,judul,narasumber,mulai,selesai,jp,tautan_zoom,tautan_youtube,"
    "kode_presensi,keterangan"
)
ZOOM = "https://zoom.us/j/81234567890"
YT = "https://www.youtube.com/@bpsdmjatim"

BELAJAR = f"2026-11-26,ASN Belajar,Etika Pelayanan Publik,Dr. Sri,09:00,12:00,3,{ZOOM},{YT},BLJ1,"
FORUM = f"2026-11-23,forum-berbagi-ilmu,Mal Pelayanan Publik,Heru,13:00,15:00,2,{ZOOM},{YT},FBI1,"
MENGAJI = f"2026-11-25,ASN Mengaji,Ikhlas Bekerja,KH. Ahmad,07:30,09:00,2,{ZOOM},{YT},NGJ1,"


def csv_bytes(*rows: str, header: str = HEADER) -> bytes:
    """A CSV file from a header and rows."""
    return ("\n".join([header, *rows]) + "\n").encode("utf-8")


async def run_import(sessions: Sessions, data: bytes, **kwargs: Any) -> ImportReport:
    """Import `data` in its own committed unit of work."""
    kwargs.setdefault("now", NOW)
    async with sessions() as s, s.begin():
        return await import_calendar(s, data, **kwargs)


async def counts(sessions: Sessions) -> tuple[int, int]:
    """How many sessions and holidays are stored."""
    async with sessions() as s:
        n_sessions = await s.scalar(select(func.count()).select_from(LearningSession))
        n_holidays = await s.scalar(select(func.count()).select_from(Holiday))
    return int(n_sessions or 0), int(n_holidays or 0)


async def all_sessions(sessions: Sessions) -> list[LearningSession]:
    """Every stored session, by start."""
    async with sessions() as s:
        return list(await s.scalars(select(LearningSession).order_by(LearningSession.starts_at)))
