"""Beranda: today's and tomorrow's sessions, subscribers, attendance, deliveries, questions."""

from __future__ import annotations

from datetime import timedelta

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.web.konsol import Konsol, Who
from db.dashboard import (
    attendance_on,
    deliveries_since,
    next_scheduled,
    open_question_count,
    subscribers_by,
)
from schedules.calendar import sessions_between

__all__ = ["routes"]


async def home(k: Konsol, request: Request, who: Who) -> Response:
    """The day at a glance."""
    today = k.today()
    tomorrow = today + timedelta(days=1)
    async with k.sessions() as db:
        days = await sessions_between(db, today, tomorrow, include_cancelled=True)
        by_channel = await subscribers_by(db, "preferred_channel")
        by_region = await subscribers_by(db, "region_code", limit=10)
        present = await attendance_on(db, today)
        deliveries = await deliveries_since(db, k.now() - timedelta(hours=24))
        waiting = await open_question_count(db)
        upcoming = await next_scheduled(db)
    return k.render(
        request, "home.html", who, today=today, tomorrow=tomorrow,
        today_sessions=[s for s in days if s.day == today],
        tomorrow_sessions=[s for s in days if s.day == tomorrow],
        by_channel=by_channel, by_region=by_region,
        subscribers=sum(n for _c, n in by_channel), present=present,
        deliveries=deliveries, waiting=waiting, upcoming=upcoming,
    )


def routes(k: Konsol) -> list[Route]:
    """The home page."""
    return [k.route("/", home)]
