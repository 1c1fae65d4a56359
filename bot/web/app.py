"""The konsol's ASGI application, mounted at /konsol on the internal listener."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from bot.web import (
    admins,
    announcements,
    attendance,
    calendar,
    calendar_import,
    faq,
    home,
    login,
    people,
    questions,
)
from bot.web.konsol import Konsol
from handlers.router import Deps

__all__ = ["build_konsol"]


def build_konsol(deps: Deps, *, secure_cookie: bool = False) -> Starlette:
    """Every page of the konsol; `secure_cookie` when admins reach it over https."""
    k = Konsol(deps, secure_cookie=secure_cookie)
    routes: list[BaseRoute] = [
        Mount("/static", StaticFiles(packages=[("bot.web", "static")]), name="static"),
        *login.routes(k),
        *home.routes(k),
        *calendar.routes(k),
        *calendar_import.routes(k),
        *announcements.routes(k),
        *questions.routes(k),
        *faq.routes(k),
        *attendance.routes(k),
        *people.routes(k),
        *admins.routes(k),
    ]
    return Starlette(routes=routes)
