"""Signing in with a one-time link (a GET shows "Masuk", only the POST uses it) and out."""

from __future__ import annotations

import hmac
import secrets

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.web.konsol import COOKIE, Konsol, Who
from db.konsol import SESSION_TTL, consume_link, end_session, link_state, start_session
from db.people import is_db_admin

__all__ = ["routes"]

PRE_COOKIE = "konsol_masuk"  # the login form's own CSRF token (no session exists yet)

_REASONS = {
    "used": "Tautan ini sudah dipakai. Setiap tautan hanya berlaku satu kali.",
    "expired": "Tautan ini sudah kedaluwarsa (berlaku 10 menit).",
    "unknown": "Tautan ini tidak dikenal. Periksa apakah tautannya tersalin lengkap.",
    "not_admin": "Akun yang meminta tautan ini bukan admin lagi.",
}


async def _is_admin(k: Konsol, channel: str, external_id: str) -> bool:
    if k.deps.channels.is_owner(channel, external_id):
        return True
    async with k.sessions() as db:
        return await is_db_admin(db, channel, external_id)


def _refused(k: Konsol, request: Request, reason: str) -> Response:
    return k.render(request, "login_bad.html", None, status=410, reason=_REASONS[reason])


def routes(k: Konsol) -> list[Route]:
    """The login and logout routes."""

    async def show(request: Request) -> Response:
        token = request.path_params["token"]
        async with k.sessions() as db:
            state = await link_state(db, token, k.now())
        if state.state != "ok":
            return _refused(k, request, state.state)
        if not await _is_admin(k, state.channel, state.external_id):
            return _refused(k, request, "not_admin")
        # The same browser opening the link twice (two tabs) keeps one token.
        pre = request.cookies.get(PRE_COOKIE, "")
        if len(pre) != 32:
            pre = secrets.token_urlsafe(24)
        response = k.render(request, "login.html", None, pre=pre,
                            account=f"{k.deps.channels.label(state.channel)} "
                                    f"{state.external_id}")
        response.set_cookie(PRE_COOKIE, pre, max_age=600, path="/konsol", httponly=True,
                            samesite="strict", secure=k.secure_cookie)
        return response

    async def enter(request: Request) -> Response:
        token = request.path_params["token"]
        form = await k.form(request)
        await form.close()
        sent = str(form.get("csrf") or "")
        expected = request.cookies.get(PRE_COOKIE, "")
        if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
            return k.problem(request, None, 403, "Formulir tidak berlaku",
                             "Buka lagi tautan masuk dari chat, lalu tekan Masuk.")
        now = k.now()
        async with k.sessions() as db, db.begin():
            link = await consume_link(db, token, now)
            if link is None:
                state = await link_state(db, token, now)
                return _refused(k, request, state.state if state.state != "ok" else "used")
            if not await _is_admin(k, link.channel, link.external_id):
                return _refused(k, request, "not_admin")
            cookie, row = await start_session(
                db, link.channel, link.external_id, now=now,
                ip=request.client.host if request.client else None,
                user_agent=request.headers.get("user-agent"),
            )
        who = Who(row.channel, row.external_id, False, row.id, row.csrf)
        await k.audit(who, "konsol_login", f"konsol: masuk (sesi {row.id})")
        response = k.back("/konsol/")
        response.set_cookie(COOKIE, cookie, max_age=int(SESSION_TTL.total_seconds()),
                            path="/konsol", httponly=True, samesite="strict",
                            secure=k.secure_cookie)
        response.delete_cookie(PRE_COOKIE, path="/konsol")
        return response

    async def leave(k: Konsol, request: Request, who: Who) -> Response:
        async with k.sessions() as db, db.begin():
            await end_session(db, who.session_id, k.now())
        await k.audit(who, "konsol_logout", f"konsol: keluar (sesi {who.session_id})")
        response = k.render(request, "logged_out.html", None)
        response.delete_cookie(COOKIE, path="/konsol", httponly=True, samesite="strict",
                               secure=k.secure_cookie)
        return response

    return [
        Route("/masuk/{token}", show, methods=["GET"]),
        Route("/masuk/{token}", enter, methods=["POST"]),
        k.route("/keluar", leave, methods=("POST",)),
    ]
