"""/pengingat: choose the morning menu, reminders, and programme days to mute."""

from __future__ import annotations

from collections.abc import Callable

from core.types import Reply
from handlers.router import Context, Replies, Router
from schedules.preferences import (
    PENGINGAT_ARGS,
    PrefAction,
    apply_action,
    pengingat,
    preferences_reply,
    update_preferences,
)

__all__ = ["router"]

router = Router("reminders")

UNSUBSCRIBED = (
    "⚠️ Bapak/Ibu sedang <b>tidak berlangganan</b> (berhenti): menu pagi dan pengingat tidak "
    "dikirim, apa pun pengaturan di bawah. Ketik /mulai untuk berlangganan lagi.\n\n"
)


def _signer(ctx: Context) -> Callable[[PrefAction], str]:
    def sign(action: PrefAction) -> str:
        return ctx.deps.signer.sign(str(ctx.person.id), action.pack())

    return sign


@router.command("pengingat", description="Atur menu pagi, pengingat, dan hari yang dibisukan",
                label="🔔 Pengingat", registered=True, args=PENGINGAT_ARGS)
async def settings_screen(ctx: Context) -> Replies:
    """Show (and, with words after the command, change) what the person receives."""
    reply = await pengingat(ctx.db, ctx.person.id, ctx.args, sign=_signer(ctx))
    if ctx.person.subscribed:
        return reply
    # After /berhenti nothing is sent whatever is set here: say so first.
    return Reply(UNSUBSCRIBED + reply.text, buttons=reply.buttons)


@router.callback(PrefAction)
async def toggle(ctx: Context, data: PrefAction) -> Replies:
    """A /pengingat button: apply it and redraw the screen in place."""
    if not ctx.person.registered:
        return Reply(text="", notice="Tombol ini sudah tidak berlaku.")
    prefs = await update_preferences(ctx.db, ctx.person.id, lambda p: apply_action(p, data))
    reply = preferences_reply(prefs, _signer(ctx), note="✅ Tersimpan.")
    head = "" if ctx.person.subscribed else UNSUBSCRIBED
    return Reply(head + reply.text, buttons=reply.buttons, edit=True, notice="Tersimpan.")
