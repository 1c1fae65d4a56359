"""/admin: owners add and remove admins from the chat (kept in the database)."""

from __future__ import annotations

from core.text import esc
from core.types import Reply
from db.konsol import end_sessions_of
from db.people import add_admin, list_admins, remove_admin
from handlers.router import Context, Replies, Router

__all__ = ["router"]

router = Router("admin", admin=True)



def _usage(ctx: Context) -> str:
    examples = " atau ".join(f"{c.name}:ID" for c in ctx.deps.channels.linkable())
    return (
        "Pengelolaan admin (khusus pemilik):\n"
        "/admin — daftar admin\n"
        f"/admin tambah KANAL:ID — tambah admin ({examples}; ID pengguna, atau nomor)\n"
        "/admin hapus KANAL:ID — hapus admin"
    )


@router.command("admin", description="Kelola admin (pemilik)",
                args=r"(tambah|hapus)\s+[a-z0-9_]+:\s*\S+")
async def admin(ctx: Context) -> Replies:
    """List, add or remove admins; only owners may change the list."""
    words = ctx.args.split()
    if not words:
        admins = await list_admins(ctx.db)
        owners = ", ".join(f"{c}:{o}" for c, o in ctx.deps.channels.owners()) or "—"
        lines = [f"• {esc(a.channel)}:{esc(a.external_id)}" for a in admins] or ["• (belum ada)"]
        return Reply(
            f"<b>Pemilik</b> (dari pengaturan): {esc(owners)}\n<b>Admin</b>:\n"
            + "\n".join(lines) + "\n\n" + _usage(ctx)
        )
    if not ctx.is_owner:
        return Reply("Maaf, hanya pemilik (owner) yang dapat menambah atau menghapus admin.")
    if len(words) != 2 or words[0] not in {"tambah", "hapus"}:
        return Reply(_usage(ctx))
    action, raw = words
    try:
        channel, ident = ctx.deps.channels.parse_admin_id(raw)
    except ValueError as exc:
        return Reply(esc(str(exc)) + "\n\n" + _usage(ctx))
    if action == "tambah":
        added = await add_admin(ctx.db, channel, ident, ctx.incoming.user_id, ctx.now)
        return Reply(f"✅ {esc(ident)} ({channel}) kini admin." if added
                     else f"{esc(ident)} sudah menjadi admin.")
    removed = await remove_admin(ctx.db, channel, ident)
    if removed:
        await end_sessions_of(ctx.db, channel, ident, ctx.now)  # out of the konsol at once
    return Reply(f"✅ {esc(ident)} bukan admin lagi." if removed
                 else f"{esc(ident)} tidak ada di daftar admin.")
