"""/profil: show the stored profile and edit one field at a time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from core.callbacks import CallbackData
from core.types import Reply
from handlers.linking import ChannelMenu, channel_line
from handlers.profile_fields import EDIT_LABELS, FIELDS, accept, ask, problems, summary
from handlers.registration import advance
from handlers.router import Context, Replies, Router

__all__ = ["EditField", "router"]

router = Router("profile")
FLOW = "profile"


@dataclass(frozen=True)
class EditField(CallbackData):
    """Start editing one field."""

    prefix: ClassVar[str] = "pfe"
    field: str


@router.command("profil", description="Lihat dan ubah data diri", label="👤 Profil",
                registered=True)
async def show(ctx: Context) -> Replies:
    """The profile with an edit button per field (and what is worth fixing)."""
    buttons = [[ctx.button(EDIT_LABELS[f], EditField(f))] for f in FIELDS]
    buttons.append([ctx.button("📡 Saluran utama", ChannelMenu())])
    text = ("👤 <b>Data Bapak/Ibu</b>\n\n" + summary(ctx) + "\n"
            + channel_line(ctx.person, ctx.deps.channels))
    fixes = problems(ctx)
    if fixes:
        # Stored before today's checks: kept as they are, but offered for a fix.
        text += "\n\n⚠️ <b>Mohon diperbaiki</b>:\n" + "\n".join(f"• {why}" for _, why in fixes)
        text += "\nTekan tombol ✏️ di bawah untuk memperbaikinya."
    return Reply(text, buttons=buttons)


@router.callback(EditField)
async def edit(ctx: Context, data: EditField) -> Replies:
    """Ask the new value of a field."""
    if data.field not in FIELDS or not ctx.person.registered:
        return Reply(text="", notice="Tombol ini sudah tidak berlaku.")
    await ctx.set_state(FLOW, data.field)
    return ask(ctx, data.field, editing=True)


@router.flow(FLOW)
async def edit_step(ctx: Context) -> Replies:
    """A typed new value."""
    assert ctx.state is not None
    field = ctx.state.step
    result = await accept(ctx, field, ctx.incoming.text or "")
    if not result.ok:
        return result.reply
    return await advance(ctx, field, result.reply)
