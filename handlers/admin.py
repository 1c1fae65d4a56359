"""/admin: owners add and remove admins from the chat (kept in the database)."""

from __future__ import annotations

from db.people import add_admin, list_admins, remove_admin
from handlers.router import Context, Replies, Router
from handlers.text import esc
from handlers.types import Reply

__all__ = ["router"]

router = Router("admin", admin=True)

USAGE = (
    "Pengelolaan admin (khusus pemilik):\n"
    "/admin — daftar admin\n"
    "/admin tambah ID — tambah admin (ID pengguna Telegram, atau nomor WhatsApp)\n"
    "/admin hapus ID — hapus admin"
)


def _channel_of(ident: str) -> str:
    # Telegram user ids are at most ~10-13 digits; WhatsApp numbers start with a country code
    # written as 62… (normalised), so we accept an explicit prefix too: wa:62812…, tg:123.
    if ident.startswith(("wa:", "tg:")):
        return "whatsapp" if ident.startswith("wa:") else "telegram"
    return "whatsapp" if ident.startswith("62") and len(ident) >= 10 else "telegram"


@router.command("admin", description="Kelola admin (pemilik)")
async def admin(ctx: Context) -> Replies:
    """List, add or remove admins; only owners may change the list."""
    words = ctx.args.split()
    if not words:
        admins = await list_admins(ctx.session)
        settings = ctx.deps.settings
        owners = ", ".join([*settings.admin_telegram_ids, *settings.admin_whatsapp_numbers]) or "—"
        lines = [f"• {esc(a.channel)} {esc(a.external_id)}" for a in admins] or ["• (belum ada)"]
        return Reply(
            f"<b>Pemilik</b> (dari pengaturan): {esc(owners)}\n<b>Admin</b>:\n"
            + "\n".join(lines) + "\n\n" + USAGE
        )
    if not ctx.is_owner:
        return Reply("Maaf, hanya pemilik (owner) yang dapat menambah atau menghapus admin.")
    if len(words) != 2 or words[0] not in {"tambah", "hapus"}:
        return Reply(USAGE)
    action, raw = words
    channel = _channel_of(raw)
    ident = raw.split(":", 1)[-1]
    if not ident.isdigit():
        return Reply("ID admin harus berupa angka. " + USAGE)
    if action == "tambah":
        added = await add_admin(ctx.session, channel, ident, ctx.incoming.user_id, ctx.now)
        return Reply(f"✅ {esc(ident)} ({channel}) kini admin." if added
                     else f"{esc(ident)} sudah menjadi admin.")
    removed = await remove_admin(ctx.session, channel, ident)
    return Reply(f"✅ {esc(ident)} bukan admin lagi." if removed
                 else f"{esc(ident)} tidak ada di daftar admin.")
