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


_LATER = {"besok": 1, "bsk": 1, "lusa": 2}


@router.command("menu", description="Menu Dahar Ngopi hari ini (menu besok: besok)",
                label="📅 Menu hari ini", args=r"besok|bsk|lusa")
async def menu(ctx: Context) -> Replies:
    """Today's (or tomorrow's) programme, sessions and links; on a day off, the next
    working day too."""
    tz = ctx.person.tz
    today = local_today(ctx.now, tz) + timedelta(days=_LATER.get(ctx.args.strip().lower(), 0))
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


@router.command("jadwal", description="Jadwal minggu ini (Senin–Jumat); jadwal minggu depan",
                label="🗓 Jadwal minggu ini", args=r"((minggu|pekan)\s+)?(ini|depan|dpn)")
async def week(ctx: Context) -> Replies:
    """Monday to Friday of this week, or of next week ("jadwal minggu depan", and on a
    weekend), with known sessions (a weekend day too when it has one)."""
    tz = ctx.person.tz
    today = local_today(ctx.now, tz)
    monday = today - timedelta(days=today.weekday())
    wanted_next = ctx.args.lower().split()[-1:] in (["depan"], ["dpn"])
    weekend = today.weekday() >= 5
    if wanted_next or weekend:
        monday += timedelta(days=7)
    sunday = monday + timedelta(days=6)
    sessions = await sessions_between(ctx.db, monday, sunday)
    holidays = await holidays_between(ctx.db, monday, sunday)
    days = []
    for i in range(7):
        day = monday + timedelta(days=i)
        on_day = [s for s in sessions if s.day == day]
        if i >= 5 and not on_day:
            continue
        days.append(describe_day(
            day, programme_for(day), on_day, tz, holiday=holidays.get(day), links=False,
        ))
    which = "minggu depan" if wanted_next or weekend else "minggu ini"
    head = f"🗓 <b>Jadwal ASN Dahar Ngopi {which}</b>\n(waktu dalam {tz})\n\n"
    if weekend and not wanted_next:
        head = ("Hari ini akhir pekan, jadi yang ditampilkan jadwal minggu depan.\n\n" + head)
    more = "" if wanted_next or weekend else \
        f"\n\nJadwal minggu depan: ketik {_command(ctx, 'jadwal')} minggu depan."
    return Reply(head + "\n\n".join(days) + "\n\nTautan sesi dikirim pada menu pagi hari itu."
                 + more)


def _command(ctx: Context, name: str) -> str:
    return ctx.deps.channels[ctx.incoming.channel].command(name)
