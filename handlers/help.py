"""/bantuan: the list of commands; and the reply to text nothing else understood."""

from __future__ import annotations

from core.types import Reply
from handlers.router import CommandSpec, Context, Replies, Router

__all__ = ["router"]

router = Router("help")


def _lines(specs: list[CommandSpec], bare: bool) -> list[str]:
    lines = []
    for spec in specs:
        if not spec.description:
            continue
        name = spec.names[0] if bare else "/" + spec.names[0]
        lines.append(f"{name} — {spec.description}")
    return lines


@router.command("bantuan", "help", description="Daftar perintah dan bantuan",
                label="ℹ️ Bantuan")
async def help_command(ctx: Context) -> Replies:
    """Commands a person can use (and admin commands for admins)."""
    specs = ctx.deps.commands
    bare = not ctx.deps.channels[ctx.incoming.channel].shows_slash
    text = ["ℹ️ <b>Bantuan Dahar Ngopi bot</b>", ""]
    text += _lines([s for s in specs if not s.admin], bare)
    if ctx.is_admin:
        text += ["", "<b>Perintah admin</b>", *_lines([s for s in specs if s.admin], bare)]
    if bare:
        text += ["", "Ketik perintah tanpa garis miring, misalnya: menu"]
    text += ["", "Pertanyaan lain? Ketik saja pertanyaan Bapak/Ibu."]
    return Reply("\n".join(text), keyboard=ctx.deps.main_keyboard
                 if ctx.person.registered else None)


@router.fallback()
async def not_understood(ctx: Context) -> Replies:
    """Free text nothing else understood."""
    return Reply(
        "Maaf, saya belum memahami pesan tersebut. 🙏\n"
        "Ketik /bantuan untuk melihat daftar perintah, atau /menu untuk menu hari ini."
    )
