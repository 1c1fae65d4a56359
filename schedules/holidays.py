"""Days without sessions: Indonesia's national holidays and cuti bersama, plus admins' `libur` days.

National holidays are computed on the fly from the `holidays` package (public holidays and the
government's *cuti bersama*), never copied into the `holidays` table: a package update that
follows a new government decree then applies at once, and no yearly job has to fill the table.
The table holds the days admins declare (`libur` rows of an import, source 'admin'); any row
there counts, whatever its source, and its reason wins over the national name.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import holidays as holiday_data
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models.calendar import Holiday

__all__ = [
    "holiday_on",
    "holidays_between",
    "is_working_day",
    "national_holiday",
    "national_holidays",
]


@lru_cache(maxsize=32)
def _national_year(year: int) -> dict[date, str]:
    found = holiday_data.country_holidays(
        "ID", years=year, language="id", categories=("public", "government")
    )
    return {day: str(name) for day, name in sorted(found.items())}


def national_holiday(day: date) -> str | None:
    """The national holiday or cuti bersama on `day` (its Indonesian name), or None."""
    return _national_year(day.year).get(day)


def national_holidays(start: date, end: date) -> dict[date, str]:
    """The national holidays and cuti bersama from `start` to `end`, both included."""
    found: dict[date, str] = {}
    for year in range(start.year, end.year + 1):
        found.update((d, n) for d, n in _national_year(year).items() if start <= d <= end)
    return found


async def holiday_on(db: AsyncSession, day: date) -> str | None:
    """Why `day` has no sessions (the admin's reason, else the national name), or None."""
    reason = await db.scalar(select(Holiday.reason).where(Holiday.day == day))
    return reason if reason is not None else national_holiday(day)


async def is_working_day(db: AsyncSession, day: date) -> bool:
    """Monday to Friday and not a holiday."""
    return day.weekday() < 5 and await holiday_on(db, day) is None


async def holidays_between(db: AsyncSession, start: date, end: date) -> dict[date, str]:
    """Every holiday from `start` to `end` (both included), the admins' reasons first."""
    found = national_holidays(start, end)
    rows = await db.execute(
        select(Holiday.day, Holiday.reason).where(Holiday.day.between(start, end))
    )
    found.update({day: reason for day, reason in rows})
    return dict(sorted(found.items()))

