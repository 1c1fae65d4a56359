"""Export the content calendar in the import format (CSV, YAML or .xlsx), kode_sesi filled in.

Exporting then importing the file again changes nothing. CSV is UTF-8 with a BOM (so Excel
reads the accents right) and `,` between columns; pass `sep=";"` for Excel set to the
Indonesian locale, which then also gets JP with a decimal comma ("1,5").
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time
from typing import Literal
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.programme import by_key
from db.models.calendar import Holiday, LearningSession
from schedules.calendar_rows import COLUMNS

__all__ = ["ExportFormat", "export_calendar", "export_rows", "render"]

ExportFormat = Literal["csv", "yaml", "xlsx"]

WIB = ZoneInfo("Asia/Jakarta")
_WEEKDAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")

Value = str | float | date | time | None
"""A typed cell: the xlsx keeps dates and times as such; CSV and YAML get text."""


async def export_calendar(
    db: AsyncSession,
    fmt: ExportFormat = "csv",
    start: date | None = None,
    end: date | None = None,
    *,
    tz: ZoneInfo = WIB,
    sep: str = ",",
) -> bytes:
    """The sessions (active and cancelled) and admin holidays from `start` to `end` as a file."""
    sessions = select(LearningSession)
    holidays = select(Holiday).where(Holiday.source != "national")
    if start is not None:
        sessions = sessions.where(LearningSession.day >= start)
        holidays = holidays.where(Holiday.day >= start)
    if end is not None:
        sessions = sessions.where(LearningSession.day <= end)
        holidays = holidays.where(Holiday.day <= end)
    rows = export_rows(
        list(await db.scalars(sessions)), list(await db.scalars(holidays)), tz
    )
    return render(rows, fmt, sep=sep)


def export_rows(
    sessions: list[LearningSession], holidays: list[Holiday], tz: ZoneInfo
) -> list[dict[str, Value]]:
    """One typed row per session and holiday, by date, holidays first, then by start time."""
    keyed: list[tuple[tuple[date, int, float, str], dict[str, Value]]] = []
    for h in holidays:
        row = dict.fromkeys(COLUMNS, None)
        row.update(tanggal=h.day, hari=_WEEKDAYS[h.day.weekday()], program="libur",
                   keterangan=h.reason)
        keyed.append(((h.day, 0, 0.0, ""), row))
    for s in sessions:
        start, end = s.starts_at.astimezone(tz), s.ends_at.astimezone(tz)
        closes = s.attendance_closes_at.astimezone(tz) if s.attendance_closes_at else None
        row = {
            "kode_sesi": s.code,
            "tanggal": s.day,
            "hari": _WEEKDAYS[s.day.weekday()],
            "program": by_key(s.programme_key).name,
            "judul": s.title,
            "narasumber": s.speaker,
            "mulai": start.time().replace(tzinfo=None),
            "selesai": end.time().replace(tzinfo=None),
            "jp": float(s.jp),
            "tautan_zoom": s.zoom_url,
            "tautan_youtube": s.youtube_url,
            "tautan_rekaman": s.recording_url,
            "kode_presensi": s.attendance_code,
            "tutup_presensi": closes.replace(tzinfo=None) if closes else None,
            "evaluasi": s.evaluation,
            "bukti": s.proof,
            "status": s.status,
            "keterangan": None,
        }
        keyed.append(((s.day, 1, s.starts_at.timestamp(), s.code), row))
    keyed.sort(key=lambda item: item[0])
    return [row for _key, row in keyed]


def render(rows: list[dict[str, Value]], fmt: ExportFormat, *, sep: str = ",") -> bytes:
    """Write typed rows as CSV, YAML or xlsx bytes."""
    if fmt == "xlsx":
        return _xlsx(rows)
    decimal_comma = sep == ";"
    texts = [{k: _text(v, decimal_comma) for k, v in row.items()} for row in rows]
    if fmt == "yaml":
        body = yaml.safe_dump(
            {"sesi": texts}, allow_unicode=True, sort_keys=False, default_flow_style=False,
            width=1000,
        )
        header = "# Jadwal ASN Dahar Ngopi: format impor, lihat docs/calendar.md\n"
        return (header + body).encode("utf-8")
    if fmt != "csv":
        raise ValueError(f"unknown export format {fmt!r}")
    if len(sep) != 1 or sep in ('"', "\n", "\r"):
        raise ValueError(f"unusable CSV separator {sep!r}")
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=COLUMNS, delimiter=sep, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(texts)
    return out.getvalue().encode("utf-8-sig")


def _text(value: Value, decimal_comma: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        text = f"{value:.2f}".rstrip("0").rstrip(".")
        return text.replace(".", ",") if decimal_comma else text
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return f"{value:%H:%M}"
    return value


def _xlsx(rows: list[dict[str, Value]]) -> bytes:
    import openpyxl  # imported here: loading it costs time that CSV users need not pay
    from openpyxl.styles import Font

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "jadwal"
    sheet.append(list(COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    formats = {datetime: "yyyy-mm-dd hh:mm", date: "yyyy-mm-dd", time: "hh:mm"}
    for line, row in enumerate(rows, start=2):
        sheet.append([row[c] for c in COLUMNS])
        for col, name in enumerate(COLUMNS, start=1):
            value = row[name]
            for kind, number_format in formats.items():
                if isinstance(value, kind):
                    sheet.cell(line, col).number_format = number_format
                    break
    widths = {"judul": 48, "narasumber": 32, "program": 26, "tautan_zoom": 36,
              "tautan_youtube": 40, "tautan_rekaman": 36, "tutup_presensi": 17, "kode_sesi": 34}
    for col, name in enumerate(COLUMNS, start=1):
        letter = openpyxl.utils.get_column_letter(col)
        sheet.column_dimensions[letter].width = widths.get(name, 12)
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
