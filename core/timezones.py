"""Indonesia's three time zones and how times are shown to a person."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

__all__ = ["ZONES", "format_date", "format_time", "local_today", "zone"]

ZONES: dict[str, ZoneInfo] = {
    "WIB": ZoneInfo("Asia/Jakarta"),
    "WITA": ZoneInfo("Asia/Makassar"),
    "WIT": ZoneInfo("Asia/Jayapura"),
}

_DAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
_MONTHS = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
)


def zone(label: str | None) -> ZoneInfo:
    """The zone for WIB, WITA or WIT (WIB when unknown)."""
    return ZONES.get(label or "WIB", ZONES["WIB"])


def local_today(now: datetime, label: str | None) -> date:
    """Today's date for a person in zone `label`, given the aware current time."""
    return now.astimezone(zone(label)).date()


def format_time(at: datetime, label: str | None) -> str:
    """'13.00 WITA': an aware time shown in the person's zone, Indonesian style."""
    local = at.astimezone(zone(label))
    return f"{local:%H.%M} {label or 'WIB'}"


def format_date(day: date) -> str:
    """'Senin, 23 November 2026'."""
    return f"{_DAYS[day.weekday()]}, {day.day} {_MONTHS[day.month - 1]} {day.year}"
