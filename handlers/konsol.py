"""/konsol: an admin asks for a one-time link that signs them in to the web konsol."""

from __future__ import annotations

from core.config import CoreConfig
from core.text import esc
from core.types import Reply
from db.konsol import LINK_TTL, create_link
from handlers.router import Context, Replies, Router

__all__ = ["link_text", "login_url", "router"]

router = Router("konsol", admin=True)


def login_url(config: CoreConfig, token: str) -> str:
    """The address of a login link (KONSOL_URL, else the internal listener)."""
    return f"{config.konsol_url}/masuk/{token}"


def link_text(config: CoreConfig, token: str) -> str:
    """The message that carries a login link (HTML subset)."""
    minutes = int(LINK_TTL.total_seconds() // 60)
    url = login_url(config, token)
    lines = [
        "🖥 <b>Masuk ke konsol admin</b>",
        "",
        f'<a href="{esc(url)}">{esc(url)}</a>',
        "",
        f"Tautan ini hanya dapat dipakai <b>satu kali</b> dan berlaku {minutes} menit. "
        "Jangan teruskan kepada siapa pun.",
    ]
    if config.konsol_local:
        lines += ["", "⚠️ Konsol hanya dapat dibuka di server bot itu sendiri (KONSOL_URL "
                      "belum diatur): buka tautan di peramban pada server tersebut, atau "
                      "minta operator memasang alamat konsol."]
    return "\n".join(lines)


@router.command("konsol", description="Tautan masuk ke konsol web admin", max_len=20)
async def konsol(ctx: Context) -> Replies:
    """Send the admin a one-time login link (link previews off, so nothing fetches it)."""
    token = await create_link(ctx.db, ctx.incoming.channel, ctx.incoming.user_id, by="chat",
                              now=ctx.now)
    return Reply(link_text(ctx.deps.config, token), preview=False)
