"""/menu (today's programme in the person's own time zone) and /jadwal (this week)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from core.programme import programme_for
from core.timezones import local_today
from core.types import Reply
from handlers.router import Context, Replies, Router
from schedules.calendar import sessions_between, sessions_on
from schedules.holidays import holiday_on, holidays_between
from schedules.session_text import describe_day

__all__ = ["next_session_day", "router"]

router = Router("menu")


async def next_session_day(db: AsyncSession, after: date) -> date:
    """The next Monday–Friday after `after` that is not a holiday (within 30 days)."""
    day = after
    for _ in range(30):
        day += timedelta(days=1)
        if day.weekday() < 5 and await holiday_on(db, day) is None:
            return day
    return day


@router.command("menu", description="Menu Dahar Ngopi hari ini", label="📅 Menu hari ini")
async def menu(ctx: Context) -> Replies:
    """Today's programme, sessions and links; on a day off, the next working day too."""
    tz = ctx.person.tz
    today = local_today(ctx.now, tz)
    holiday = await holiday_on(ctx.db, today)
    programme = programme_for(today)
    text = describe_day(today, programme, await sessions_on(ctx.db, today), tz,
                        holiday=holiday)
    if holiday or programme is None:
        nxt = await next_session_day(ctx.db, today)
        text += "\n\n<b>Hari kerja berikutnya:</b>\n" + describe_day(
            nxt, programme_for(nxt), await sessions_on(ctx.db, nxt), tz
        )
    return Reply(text)


@router.command("jadwal", description="Jadwal minggu ini (Senin–Jumat)",
                label="🗓 Jadwal minggu ini")
async def week(ctx: Context) -> Replies:
    """Monday to Friday of this week (next week on a weekend), with known sessions."""
    tz = ctx.person.tz
    today = local_today(ctx.now, tz)
    monday = today - timedelta(days=today.weekday())
    if today.weekday() >= 5:
        monday += timedelta(days=7)
    friday = monday + timedelta(days=4)
    sessions = await sessions_between(ctx.db, monday, friday)
    holidays = await holidays_between(ctx.db, monday, friday)
    days = []
    for i in range(5):
        day = monday + timedelta(days=i)
        days.append(describe_day(
            day, programme_for(day), [s for s in sessions if s.day == day], tz,
            holiday=holidays.get(day), links=False,
        ))
    head = "🗓 <b>Jadwal ASN Dahar Ngopi minggu ini</b>\n(waktu dalam " + tz + ")\n\n"
    return Reply(head + "\n\n".join(days) + "\n\nTautan sesi dikirim pada menu pagi hari itu.")
