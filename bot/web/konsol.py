"""The konsol's frame: who is signed in, CSRF on every form, pages rendered in Indonesian."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import jinja2
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from core.programme import by_key
from core.text import jp_text
from core.timezones import format_date
from db.attendance import write_audit
from db.engine import Sessions
from db.konsol import end_sessions_of, find_session
from db.people import is_db_admin
from handlers.nip import mask_nip
from handlers.router import Deps
from schedules.announcement_text import format_count, format_when, tz_label

__all__ = ["COOKIE", "MAX_UPLOAD", "Endpoint", "Konsol", "Who"]

log = logging.getLogger(__name__)

COOKIE = "konsol_sesi"
MAX_UPLOAD = 20 * 1024 * 1024  # an announcement's photo or document; calendars are far less


@dataclass(frozen=True)
class Who:
    """The admin behind a request, and their session."""

    channel: str
    external_id: str
    is_owner: bool
    session_id: int
    csrf: str

    @property
    def actor(self) -> str:
        """How the audit log and stored records name them ("telegram:123")."""
        return f"{self.channel}:{self.external_id}"


Endpoint = Callable[["Konsol", Request, Who], Awaitable[Response]]


class Konsol:
    """What every page shares: the core's services, the templates, the signed-in admin."""

    def __init__(self, deps: Deps, *, secure_cookie: bool) -> None:
        self.deps = deps
        self.secure_cookie = secure_cookie
        self.env = jinja2.Environment(
            loader=jinja2.PackageLoader("bot.web", "templates"),
            autoescape=jinja2.select_autoescape(default=True),
            undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        )
        tz = deps.config.tz
        self.env.filters.update(
            angka=format_count, waktu=lambda at: format_when(at, tz) if at else "—",
            jam=lambda at: f"{at.astimezone(tz):%H.%M}" if at else "—",
            tanggal=lambda d: format_date(d) if d else "—", jp=jp_text,
            samar=mask_nip, wilayah=self.region_name, kanal=deps.channels.label,
            program=lambda key: by_key(key).name,
        )
        self.env.globals.update(zona=tz_label(tz), zona_nama=tz.key)

    @property
    def sessions(self) -> Sessions:
        """The database session factory."""
        return self.deps.sessions

    def now(self) -> datetime:
        """The injected clock's time."""
        return self.deps.clock.now()

    def today(self) -> date:
        """Today in the agency's zone."""
        return self.now().astimezone(self.deps.config.tz).date()

    def region_name(self, code: str | None) -> str:
        """A kabupaten/kota's name from its code ('—' when unknown)."""
        region = self.deps.regions.get(code)
        return region.name if region else (code or "—")

    # --- answers --------------------------------------------------------------------

    def render(self, request: Request, template: str, who: Who | None, *, status: int = 200,
               **context: Any) -> HTMLResponse:
        """A page (or an htmx fragment) from a template."""
        html = self.env.get_template(template).render(
            request=request, who=who, csrf=who.csrf if who else "", path=request.url.path,
            **context,
        )
        return HTMLResponse(html, status_code=status)

    def problem(self, request: Request, who: Who | None, status: int, title: str,
                message: str) -> HTMLResponse:
        """A page that says, politely, why nothing was done."""
        return self.render(request, "problem.html", who, status=status, title=title,
                           message=message)

    @staticmethod
    def back(url: str) -> RedirectResponse:
        """After a POST: see the result with a GET (303), so a reload does not repeat it."""
        return RedirectResponse(url, status_code=303)

    async def audit(self, who: Who, action: str, detail: str, rows: int = 0, *,
                    db: AsyncSession | None = None) -> None:
        """Write an audit entry: in `db`'s unit of work (a change and its entry commit
        together), else in one of its own (a view)."""
        if db is not None:
            await write_audit(db, at=self.now(), actor=who.actor, action=action,
                              detail=detail[:2000], rows=rows)
            return
        async with self.sessions() as own, own.begin():
            await write_audit(own, at=self.now(), actor=who.actor, action=action,
                              detail=detail[:2000], rows=rows)

    # --- who is there -----------------------------------------------------------------

    async def who(self, request: Request) -> Who | None:
        """The admin whose live session the cookie names; a session of someone no longer an
        admin ends here and now."""
        token = request.cookies.get(COOKIE)
        if not token:
            return None
        now = self.now()
        async with self.sessions() as db, db.begin():
            row = await find_session(db, token, now)
            if row is None:
                return None
            owner = self.deps.channels.is_owner(row.channel, row.external_id)
            if not owner and not await is_db_admin(db, row.channel, row.external_id):
                await end_sessions_of(db, row.channel, row.external_id, now)
                log.info("konsol session of a removed admin ended")
                return None
            return Who(row.channel, row.external_id, owner, row.id, row.csrf)

    def route(self, path: str, endpoint: Endpoint, *, methods: tuple[str, ...] = ("GET",),
              owner: bool = False) -> Route:
        """A page for signed-in admins (owners only with `owner`); every POST must carry the
        session's CSRF token (form field `csrf` or header X-CSRF-Token)."""

        async def serve(request: Request) -> Response:
            who = await self.who(request)
            if who is None:
                return self.render(request, "need_login.html", None, status=401)
            if request.method == "POST":
                form = await self.form(request)
                sent = str(form.get("csrf") or request.headers.get("x-csrf-token") or "")
                if not hmac.compare_digest(sent.encode(), who.csrf.encode()):
                    return self.problem(
                        request, who, 403, "Formulir tidak berlaku",
                        "Formulir ini sudah kedaluwarsa atau tidak berasal dari konsol. "
                        "Muat ulang halamannya lalu coba lagi.")
            if owner and not who.is_owner:
                return self.problem(request, who, 403, "Khusus pemilik",
                                    "Halaman ini hanya dapat dibuka oleh pemilik (owner) bot.")
            try:
                return await endpoint(self, request, who)
            finally:
                if request.method == "POST":
                    await (await self.form(request)).close()  # uploads' temporary files

        return Route(path, serve, methods=list(methods))

    @staticmethod
    async def form(request: Request) -> FormData:
        """The request's form (read once, then cached by Starlette)."""
        return await request.form(max_files=2, max_fields=200, max_part_size=4 * 1024 * 1024)


def text_of(form: FormData, name: str, limit: int = 20_000) -> str:
    """A text field, stripped ('' when absent)."""
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def upload_of(form: FormData, name: str) -> UploadFile | None:
    """A file field that holds a file (None when no file was chosen)."""
    value = form.get(name)
    if isinstance(value, UploadFile) and value.filename:
        return value
    return None


def int_arg(request: Request, name: str, default: int = 1) -> int:
    """A whole-number query parameter (the default when absent or not a number)."""
    raw = request.query_params.get(name, "")
    return int(raw) if raw.isdigit() and len(raw) < 10 else default
