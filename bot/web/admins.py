"""Admin and Audit (owners): add and remove admins (a removed admin's konsol sessions end at
once), and the audit log a page at a time."""

from __future__ import annotations

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.web.konsol import Konsol, Who, int_arg, text_of
from db.konsol import end_sessions_of
from db.models import Admin, AuditEntry
from db.paging import page_of
from db.people import add_admin, remove_admin

__all__ = ["routes"]


async def admins(k: Konsol, request: Request, who: Who) -> Response:
    """Owners (from the settings) and admins (added by owners)."""
    async with k.sessions() as db:
        page = await page_of(db, select(Admin).order_by(Admin.id), int_arg(request, "hal"),
                             scalars=True)
    examples = ", ".join(f"{c.name}:ID" for c in k.deps.channels.linkable())
    return k.render(request, "admins.html", who, page=page, owners=k.deps.channels.owners(),
                    examples=examples, message=request.query_params.get("pesan", ""))


async def change(k: Konsol, request: Request, who: Who) -> Response:
    """Add or remove an admin (KANAL:ID)."""
    form = await k.form(request)
    adding = request.url.path.endswith("/tambah")
    from urllib.parse import quote

    try:
        channel, ident = k.deps.channels.parse_admin_id(text_of(form, "akun", 100))
    except ValueError as exc:
        return k.back(f"/konsol/admin?pesan={quote(str(exc))}")
    now = k.now()
    async with k.sessions() as db, db.begin():
        if adding:
            done = await add_admin(db, channel, ident, who.actor, now)
            message = f"✅ {channel}:{ident} kini admin." if done else "Sudah menjadi admin."
        else:
            done = await remove_admin(db, channel, ident)
            ended = await end_sessions_of(db, channel, ident, now) if done else 0
            message = (f"✅ {channel}:{ident} bukan admin lagi ({ended} sesi konsol diakhiri)."
                       if done else "Akun itu tidak ada di daftar admin.")
        if done:
            await k.audit(who, "admin_add" if adding else "admin_remove",
                          f"konsol: {channel}:{ident}", db=db)
    return k.back(f"/konsol/admin?pesan={quote(message)}")


async def audit_log(k: Konsol, request: Request, who: Who) -> Response:
    """The audit log, newest first."""
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    action = request.query_params.get("aksi", "")[:24]
    if action:
        query = query.where(AuditEntry.action == action)
    async with k.sessions() as db:
        page = await page_of(db, query, int_arg(request, "hal"), scalars=True)
    return k.render(request, "audit.html", who, page=page, action=action)


def routes(k: Konsol) -> list[Route]:
    """The owners' pages."""
    return [
        k.route("/admin", admins, owner=True),
        k.route("/admin/tambah", change, methods=("POST",), owner=True),
        k.route("/admin/hapus", change, methods=("POST",), owner=True),
        k.route("/audit", audit_log, owner=True),
    ]
