"""Parse one cell of a calendar file (dates, times, JP, links) as spreadsheets write them."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from urllib.parse import urlsplit

__all__ = [
    "JP_MAX",
    "Cell",
    "CellError",
    "cell_text",
    "parse_date",
    "parse_date_time",
    "parse_jp",
    "parse_time",
    "parse_url",
]

Cell = str | int | float | date | time | None
"""A raw cell: text from CSV/YAML, or a typed value from an Excel sheet (datetime is a date)."""

JP_MAX = 10.0
"""More JP than this for one session is a typo (a full training day is 8-9 JP)."""


class CellError(ValueError):
    """A cell that cannot be read; the message is Indonesian and shown to the admin."""


_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DMY_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_TIME = re.compile(r"^(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?$")
# Excel counts days from 1899-12-30 (its 1900 leap-year bug is baked into that epoch).
_EXCEL_EPOCH = date(1899, 12, 30)


def cell_text(cell: Cell) -> str:
    """The cell as trimmed text ('' when empty); numbers without a spurious '.0'."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return str(cell)
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, datetime):
        return cell.isoformat(sep=" ")
    return str(cell).strip()


def parse_date(cell: Cell) -> date:
    """A date from 2026-11-23, 23/11/2026, 3/1/2027, 23-11-2026 or an Excel date cell."""
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    if isinstance(cell, int | float) and not isinstance(cell, bool) and 20000 < cell < 80000:
        return _EXCEL_EPOCH + timedelta(days=int(cell))
    text = cell_text(cell)
    if not text:
        raise CellError("tanggal kosong")
    if " " in text:  # an Excel export may add a midnight time: "2026-11-23 00:00:00"
        head, _, tail = text.partition(" ")
        if _TIME.match(tail.strip()):
            text = head
    m = _ISO_DATE.match(text)
    if m:
        y, mo, d = int(m[1]), int(m[2]), int(m[3])
    else:
        m = _DMY_DATE.match(text)
        if not m:
            raise CellError(
                f"tanggal {text!r} tidak dikenali (pakai 2026-11-23 atau 23/11/2026)"
            )
        d, mo, y = int(m[1]), int(m[2]), int(m[3])
    try:
        return date(y, mo, d)
    except ValueError:
        raise CellError(f"tanggal {text!r} tidak ada di kalender") from None


def parse_time(cell: Cell) -> time:
    """A time of day from 09:00, 9.00, 09:00:00, an Excel time cell or a day fraction."""
    if isinstance(cell, datetime):
        return cell.time().replace(second=0, microsecond=0)
    if isinstance(cell, time):
        return cell.replace(second=0, microsecond=0)
    if isinstance(cell, float) and 0 <= cell < 1:
        minutes = round(cell * 24 * 60)
        if minutes < 24 * 60:
            return time(minutes // 60, minutes % 60)
    text = cell_text(cell)
    if not text:
        raise CellError("jam kosong")
    m = _TIME.match(text)
    if not m:
        raise CellError(f"jam {text!r} tidak dikenali (pakai JJ:MM, misalnya 09:00)")
    hour, minute = int(m[1]), int(m[2])
    if hour > 23 or minute > 59 or (m[3] is not None and int(m[3]) > 59):
        raise CellError(f"jam {text!r} tidak ada (jam 00-23, menit 00-59)")
    return time(hour, minute)


def parse_date_time(cell: Cell, default_day: date) -> datetime:
    """A naive local date and time: 'YYYY-MM-DD HH:MM', 'DD/MM/YYYY HH:MM' or 'HH:MM' that day."""
    if isinstance(cell, datetime):
        return cell.replace(second=0, microsecond=0, tzinfo=None)
    if isinstance(cell, time) or (isinstance(cell, float) and 0 <= cell < 1):
        return datetime.combine(default_day, parse_time(cell))
    text = cell_text(cell)
    if not text:
        raise CellError("waktu kosong")
    if " " not in text and "T" not in text:
        return datetime.combine(default_day, parse_time(text))
    head, _, tail = text.replace("T", " ", 1).partition(" ")
    return datetime.combine(parse_date(head), parse_time(tail.strip()))


def parse_jp(cell: Cell) -> float:
    """A JP value: 2, 1.5 or 1,5 (Indonesian decimal comma); 0 when empty."""
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        value = float(cell)
    else:
        text = cell_text(cell)
        if not text:
            return 0.0
        try:
            value = float(text.replace(",", "."))
        except ValueError:
            raise CellError(f"JP {text!r} bukan angka (contoh: 2 atau 1,5)") from None
    if value != value:  # NaN
        raise CellError(f"JP {cell_text(cell)!r} bukan angka (contoh: 2 atau 1,5)")
    if value < 0:
        raise CellError(f"JP {cell_text(cell)!r} tidak boleh negatif")
    if value > JP_MAX:
        raise CellError(
            f"JP {cell_text(cell)!r} terlalu besar untuk satu sesi (paling banyak {JP_MAX:g})"
        )
    if round(value, 2) != value:
        raise CellError(f"JP {cell_text(cell)!r} paling banyak dua angka di belakang koma")
    return value


def parse_url(cell: Cell, label: str) -> str | None:
    """An http(s) link with a host, or None when the cell is empty."""
    text = cell_text(cell)
    if not text:
        return None
    bad = f"{label} {text!r} bukan tautan yang sah (harus diawali https:// dan ada alamat situsnya)"
    if any(ch.isspace() for ch in text) or len(text) > 500:
        raise CellError(bad)
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:
        raise CellError(bad) from None
    # A host without a dot ("zoom", "localhost") is a typo in a public link.
    if parts.scheme.lower() not in ("http", "https") or not host or "." not in host.strip("."):
        raise CellError(bad)
    return text
