"""/menu (today's programme in the person's own time zone) and /jadwal (this week)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from core.programme import programme_for
from core.timezones import local_today
from core.types import Incoming, Reply
from db.accounts import accounts, touch_accounts
from handlers.router import Context, Deps, Replies, Router
from schedules.calendar import sessions_between, sessions_on
from schedules.holidays import holiday_on, holidays_between
from schedules.session_text import describe_day

__all__ = ["menu_text", "next_session_day", "router"]

router = Router("menu")


async def next_session_day(db: AsyncSession, after: date) -> date:
    """The next Monday–Friday after `after` that is not a holiday (within 30 days)."""
    day = after
    for _ in range(30):
        day += timedelta(days=1)
        if day.weekday() < 5 and await holiday_on(db, day) is None:
            return day
    return day


async def menu_text(db: AsyncSession, now: datetime, tz: str) -> str:
    """Today's programme in zone `tz`; on a day off, the next working day too."""
    today = local_today(now, tz)
    holiday = await holiday_on(db, today)
    programme = programme_for(today)
    text = describe_day(today, programme, await sessions_on(db, today), tz, holiday=holiday)
    if holiday or programme is None:
        nxt = await next_session_day(db, today)
        text += "\n\n<b>Hari kerja berikutnya:</b>\n" + describe_day(
            nxt, programme_for(nxt), await sessions_on(db, nxt), tz
        )
    return text


@router.command("menu", description="Menu Dahar Ngopi hari ini", label="📅 Menu hari ini")
async def menu(ctx: Context) -> Replies:
    """Today's programme, sessions and links; on a day off, the next working day too."""
    return Reply(await menu_text(ctx.db, ctx.now, ctx.person.tz))


@router.batch_command("menu")
async def menus_together(deps: Deps, items: Sequence[Incoming]) -> list[Replies | None]:
    """Many /menu at once (the morning menu just landed, a webinar starts): one unit of work
    and one menu per time zone for the whole batch. A new account, or one whose message
    changes more than the time it last wrote, is left to `menu` (None)."""
    now = deps.clock.now()
    out: list[Replies | None] = [None] * len(items)
    texts: dict[str, str] = {}
    touched: list[int] = []
    async with deps.sessions() as db, db.begin():
        for channel in sorted({inc.channel for inc in items}):
            idxs = [i for i, inc in enumerate(items) if inc.channel == channel]
            found = await accounts(db, channel, [items[i].user_id for i in idxs])
            for i in idxs:
                account = found.get(items[i].user_id)
                if account is None or not account.settled:
                    continue
                if account.tz not in texts:
                    texts[account.tz] = await menu_text(db, now, account.tz)
                out[i] = Reply(texts[account.tz])
                touched.append(account.identity_id)
        await touch_accounts(db, touched, now)
    return out


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
