"""The konsol's ASGI application, mounted at /konsol on the internal listener."""

from __future__ import annotations

import logging

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from bot.web import (
    admins,
    announcements,
    attendance,
    calendar,
    calendar_import,
    certificates,
    evaluations,
    faq,
    home,
    login,
    people,
    questions,
    siasn,
)
from bot.web.konsol import Konsol
from handlers.router import Deps

__all__ = ["build_konsol"]

log = logging.getLogger(__name__)


def build_konsol(deps: Deps, *, secure_cookie: bool = False) -> Starlette:
    """Every page of the konsol; `secure_cookie` when admins reach it over https."""
    k = Konsol(deps, secure_cookie=secure_cookie)
    routes: list[BaseRoute] = [
        Mount("/static", StaticFiles(packages=[("bot.web", "static")]), name="static"),
        *login.routes(k),
        *home.routes(k),
        *calendar.routes(k),
        *calendar_import.routes(k),
        *certificates.routes(k),
        *announcements.routes(k),
        *questions.routes(k),
        *faq.routes(k),
        *attendance.routes(k),
        *evaluations.routes(k),
        *siasn.routes(k),
        *people.routes(k),
        *admins.routes(k),
    ]
    async def failed(request: Request, exc: Exception) -> Response:
        # The traceback goes to the log; the admin gets a polite page.
        log.exception("konsol page %s failed", request.url.path, exc_info=exc)
        return k.problem(request, None, 500, "Terjadi gangguan",
                         "Maaf, halaman ini gagal disiapkan. Muat ulang halamannya dan "
                         "periksa hasilnya; bila berulang, beri tahu operator server.")

    return Starlette(routes=routes, exception_handlers={Exception: failed})
