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


_LATER = {"besok": 1, "bsk": 1, "lusa": 2}


async def menu_text(db: AsyncSession, now: datetime, tz: str, *, later: int = 0) -> str:
    """Today's programme in zone `tz` (or `later` days on); on a day off, the next working
    day too."""
    today = local_today(now, tz) + timedelta(days=later)
    holiday = await holiday_on(db, today)
    programme = programme_for(today)
    text = describe_day(today, programme, await sessions_on(db, today), tz, holiday=holiday)
    if holiday or programme is None:
        nxt = await next_session_day(db, today)
        text += "\n\n<b>Hari kerja berikutnya:</b>\n" + describe_day(
            nxt, programme_for(nxt), await sessions_on(db, nxt), tz
        )
    return text


@router.command("menu", description="Menu Dahar Ngopi hari ini (menu besok: besok)",
                label="📅 Menu hari ini", args=r"besok|bsk|lusa")
async def menu(ctx: Context) -> Replies:
    """Today's (or tomorrow's) programme, sessions and links; on a day off, the next
    working day too."""
    later = _LATER.get(ctx.args.strip().lower(), 0)
    return Reply(await menu_text(ctx.db, ctx.now, ctx.person.tz, later=later))


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
