"""Read the date and time an admin gives for "send later" (in the agency's time zone)."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = ["MAX_AHEAD", "WhenError", "parse_when"]

MAX_AHEAD = timedelta(days=90)

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})[ T]+(\d{1,2})[:.](\d{2})$")
_LOCAL = re.compile(
    r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})\s+(?:pukul\s+|jam\s+)?(\d{1,2})[:.](\d{2})$"
)
_RELATIVE = re.compile(r"^(hari ini|besok|lusa)\s+(?:pukul\s+|jam\s+)?(\d{1,2})[:.](\d{2})$")


class WhenError(ValueError):
    """A date and time that cannot be used; the message is Indonesian, for the admin."""


def parse_when(text: str, *, now: datetime, tz: ZoneInfo) -> datetime:
    """The aware UTC instant of '2026-11-24 15:00', '24-11-2026 15.00', 'besok 07.00'.

    It must lie in the future, and at most MAX_AHEAD away.
    """
    raw = " ".join(text.strip().lower().split())
    today = now.astimezone(tz).date()
    try:
        if m := _ISO.match(raw):
            day = date(int(m[1]), int(m[2]), int(m[3]))
            at = time(int(m[4]), int(m[5]))
        elif m := _LOCAL.match(raw):
            day = date(int(m[3]), int(m[2]), int(m[1]))
            at = time(int(m[4]), int(m[5]))
        elif m := _RELATIVE.match(raw):
            day = today + timedelta(days={"hari ini": 0, "besok": 1, "lusa": 2}[m[1]])
            at = time(int(m[2]), int(m[3]))
        else:
            raise WhenError(
                "Format tanggal dan jam tidak dikenali. Contoh: 24-11-2026 15.00, "
                "2026-11-24 15:00, atau besok 07.00."
            )
    except ValueError as exc:
        if isinstance(exc, WhenError):
            raise
        raise WhenError("Tanggal atau jam tidak valid (periksa hari, bulan dan jam).") from None
    local = datetime.combine(day, at, tzinfo=tz)
    when = local.astimezone(now.tzinfo)
    if when <= now:
        raise WhenError("Waktu tersebut sudah lewat. Mohon pilih waktu yang akan datang.")
    if when - now > MAX_AHEAD:
        raise WhenError("Pengumuman hanya dapat dijadwalkan paling lama 90 hari ke depan.")
    return when
