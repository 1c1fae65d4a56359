"""An unfinished registration never blocks a NIP: the NIP waits in the conversation until the
registration completes, and is checked again then."""

from __future__ import annotations

from core.types import Reply
from db.people import person_by_nip
from handlers.profile_fields import ask
from handlers.router import Context

__all__ = ["asked_again", "claim_nip", "hold_nip"]

HELD = "nip"  # the conversation's data: the NIP typed, not yet the person's
AGAIN = "nip_again"  # the NIP is asked again at the end: the other fields are done

TAKEN = (
    "❌ Sebelum pendaftaran Bapak/Ibu selesai, NIP tersebut telah didaftarkan oleh akun lain. "
    "Data lain sudah tersimpan. Jika itu NIP Bapak/Ibu, silakan hubungi admin BPSDM melalui "
    "/tanya setelah pendaftaran selesai. Ketik NIP lain, atau <i>lewati</i>."
)


def hold_nip(ctx: Context) -> None:
    """Move the NIP just accepted (or skipped) from the person into the registration, so
    that an unfinished registration holds no NIP another person could need."""
    assert ctx.state is not None
    data = {k: v for k, v in ctx.state.data.items() if k != HELD}
    if ctx.person.nip:
        data[HELD] = ctx.person.nip
        ctx.person.nip = None
    ctx.state.data = data


def asked_again(ctx: Context) -> bool:
    """Whether the NIP was asked again at the end (then the registration completes next)."""
    return ctx.state is not None and bool(ctx.state.data.get(AGAIN))


async def claim_nip(ctx: Context) -> list[Reply] | None:
    """At completion: give the person the NIP they typed, unless someone completed with it
    meanwhile; then ask for it again (None: go on and complete)."""
    assert ctx.state is not None
    nip = ctx.state.data.get(HELD)
    if not isinstance(nip, str) or not nip:
        return None
    other = await person_by_nip(ctx.db, nip)
    if other is None or other.id == ctx.person.id:
        ctx.person.nip = nip
        return None
    data = {k: v for k, v in ctx.state.data.items() if k != HELD}
    await ctx.set_state(ctx.state.flow, "nip", {**data, AGAIN: True})
    return [Reply(TAKEN), ask(ctx, "nip")]
