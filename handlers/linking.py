"""/hubungkan: link a person's Telegram and WhatsApp accounts; the preferred channel."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import ClassVar

from sqlalchemy import delete

from core.callbacks import CallbackData
from core.channels import ChannelInfo, Channels
from core.text import esc
from core.types import Reply
from db.linking import (
    CODE_TTL,
    MAX_FAILURES,
    find_code,
    identities_of,
    issue_code,
    note_failure,
    recent_failures,
)
from db.merge import merge_people
from db.models import ConversationState, LinkCode, Person
from handlers.router import Context, Replies, Router

__all__ = ["ChannelMenu", "ChannelPick", "KeepProfile", "channel_line", "router"]

log = logging.getLogger(__name__)

router = Router("linking")

AUTO = "auto"


@dataclass(frozen=True)
class KeepProfile(CallbackData):
    """Both accounts had a profile: which one to keep (the code's person, or this one)."""

    prefix: ClassVar[str] = "lnk"
    code_id: int
    keep_code_side: bool


@dataclass(frozen=True)
class ChannelMenu(CallbackData):
    """Show the choice of preferred channel."""

    prefix: ClassVar[str] = "chm"


@dataclass(frozen=True)
class ChannelPick(CallbackData):
    """Pin scheduled messages to a channel, or `auto` (the channel last written from)."""

    prefix: ClassVar[str] = "chp"
    channel: str


def _name(ctx: Context, channel: str) -> str:
    return ctx.deps.channels.label(channel)


def _others(ctx: Context, channel: str) -> list[ChannelInfo]:
    """The channels this one can be linked to."""
    return [c for c in ctx.deps.channels.linkable() if c.name != channel]


def _other(ctx: Context, channel: str) -> str:
    return " atau ".join(c.label for c in _others(ctx, channel)) or "saluran lain"


def _here(ctx: Context) -> str:
    """The command as typed on this channel ("/hubungkan" on Telegram, "hubungkan" on
    WhatsApp)."""
    return ctx.deps.channels[ctx.incoming.channel].command("hubungkan")


def _there(ctx: Context) -> str:
    """The command as typed on the other channels."""
    forms = dict.fromkeys(f"<code>{c.command('hubungkan')}</code>"
                          for c in _others(ctx, ctx.incoming.channel))
    return " atau ".join(forms) or "<code>hubungkan</code>"


def channel_line(person: Person, channels: Channels) -> str:
    """The profile line that says where scheduled messages go."""
    channel = channels.label(person.preferred_channel or "")
    how = "dipilih" if person.channel_pinned else "otomatis: saluran terakhir yang dipakai"
    return f"• Saluran utama: {esc(channel)} ({how})"


def _brief(person: Person) -> str:
    # Only enough to recognise one's own profile: a guessed code must not reveal much.
    nip = f"…{person.nip[-4:]}" if person.nip else "—"
    return f"{esc(person.full_name or '—')} (NIP {nip})"


@router.command("hubungkan", description="Hubungkan akun Telegram dan WhatsApp", max_len=40,
                args=r"\d{3}[\s-]?\d{3}|[\d-]{1,12}")
async def link(ctx: Context) -> Replies:
    """Without a code: show a one-time code. With one: link this account to its owner."""
    if not ctx.args:
        code = await issue_code(ctx.db, ctx.person.id, ctx.incoming.channel, ctx.now)
        other = _other(ctx, ctx.incoming.channel)
        # Typed as each of those channels takes commands (with or without the slash).
        typed = " atau ".join(dict.fromkeys(
            f"<code>{c.command('hubungkan')} {code}</code>"
            for c in _others(ctx, ctx.incoming.channel)))
        minutes = int(CODE_TTL.total_seconds() // 60)
        return Reply(
            f"🔗 Kode penghubung Bapak/Ibu: <b>{code}</b>\n\n"
            f"Buka Dahar Ngopi bot di <b>{other}</b>, lalu ketik:\n"
            f"{typed}\n\n"
            f"Kode berlaku {minutes} menit dan hanya dapat dipakai sekali. "
            "Jangan berikan kode ini kepada siapa pun. Setelah terhubung, profil, kehadiran, "
            "dan JP Bapak/Ibu menjadi satu."
        )
    return await _redeem(ctx, re.sub(r"[\s-]", "", ctx.args))


async def _redeem(ctx: Context, typed: str) -> Replies:
    s, now = ctx.db, ctx.now
    if await recent_failures(s, ctx.identity.id, now) >= MAX_FAILURES:
        return Reply("Terlalu banyak kode yang salah. Silakan coba lagi satu jam lagi.")
    if not re.fullmatch(r"\d{6}", typed):
        return Reply("Kode penghubung terdiri dari 6 angka, contoh: "
                     f"<code>{_here(ctx)} 123456</code>.")
    code = await find_code(s, typed, now)
    if code is None:
        await note_failure(s, ctx.identity.id, now)
        return Reply(
            f"Kode tidak dikenal atau sudah kedaluwarsa. Ketik {_there(ctx)} di "
            f"{_other(ctx, ctx.incoming.channel)} untuk mendapatkan kode baru."
        )
    here = ctx.incoming.channel
    if code.channel == here:
        return Reply(
            f"Kode ini dibuat di {_name(ctx, here)}. Ketik kode tersebut di {_other(ctx, here)}, "
            "bukan di sini."
        )
    if code.person_id == ctx.person.id:
        await s.delete(code)
        return Reply(f"Akun {_name(ctx, here)} ini sudah terhubung dengan profil tersebut. ✅")
    first = await s.get(Person, code.person_id)
    if first is None:
        return Reply("Kode tidak dikenal atau sudah kedaluwarsa.")
    clash = await _channel_clash(ctx, first, code.channel)
    if clash is not None:
        return clash
    if first.registered and ctx.person.registered:
        code.claimed_by = ctx.identity.id
        code.expires_at = max(code.expires_at, now + CODE_TTL)
        return Reply(
            "Kedua akun sudah memiliki profil. <b>Profil mana yang disimpan?</b>\n\n"
            f"• Profil {_name(ctx, code.channel)}: {_brief(first)}\n"
            f"• Profil {_name(ctx, here)}: {_brief(ctx.person)}\n\n"
            "Data profil yang tidak dipilih dihapus, tetapi riwayat kehadiran dan JP-nya "
            "digabungkan, tidak hilang.",
            buttons=[
                [ctx.button(f"Simpan {_name(ctx, code.channel)}", KeepProfile(code.id, True))],
                [ctx.button(f"Simpan {_name(ctx, here)}", KeepProfile(code.id, False))],
            ],
        )
    # Keep the registered profile (or, if neither is, the one that asked for the code).
    keep_first = first.registered or not ctx.person.registered
    return await _link(ctx, code, first, keep_first)


async def _channel_clash(ctx: Context, first: Person, code_channel: str) -> Reply | None:
    # One account per channel and person: scheduled messages must have one address.
    here = ctx.incoming.channel
    theirs = {i.channel for i in await identities_of(ctx.db, first.id)}
    mine = {i.channel for i in await identities_of(ctx.db, ctx.person.id)}
    if here in theirs:
        return Reply(f"Profil tersebut sudah terhubung dengan akun {_name(ctx, here)} lain.")
    if code_channel in mine:
        return Reply(f"Akun ini sudah terhubung dengan akun {_name(ctx, code_channel)} lain.")
    return None


@router.callback(KeepProfile)
async def keep_profile(ctx: Context, data: KeepProfile) -> Replies:
    """The person chose which profile to keep."""
    code = await ctx.db.get(LinkCode, data.code_id)
    if code is None or code.claimed_by != ctx.identity.id or code.expires_at < ctx.now:
        return Reply(text="", notice=f"Kode sudah tidak berlaku. Ketik {_here(ctx)} untuk kode "
                     "baru.")
    first = await ctx.db.get(Person, code.person_id)
    if first is None or first.id == ctx.person.id:
        return Reply(text="", notice="Akun sudah terhubung.")
    return await _link(ctx, code, first, data.keep_code_side)


async def _link(ctx: Context, code: LinkCode, first: Person, keep_first: bool) -> Replies:
    s = ctx.db
    here = ctx.incoming.channel
    keep, drop = (first, ctx.person) if keep_first else (ctx.person, first)
    await s.delete(code)
    # A half-finished conversation of the profile that goes away must not carry over.
    await s.execute(delete(ConversationState).where(ConversationState.person_id == drop.id))
    await s.flush()
    moved = await merge_people(s, keep.id, drop.id)
    # The dropped person's row is gone: forget the session's objects of it.
    if drop in s:
        s.expunge(drop)
    if ctx.state is not None and ctx.state.person_id == drop.id:
        if ctx.state in s:
            s.expunge(ctx.state)
        ctx.state = None
    await s.refresh(ctx.identity)
    await s.refresh(keep)
    ctx.person = keep
    if not keep.channel_pinned:
        keep.preferred_channel = here
    keep.reachable = True
    log.info("linked %s and %s accounts into person %d (%d table(s) merged)",
             code.channel, here, keep.id, len(moved))
    text = (
        f"✅ <b>Akun {_name(ctx, code.channel)} dan {_name(ctx, here)} kini terhubung.</b>\n\n"
        "Profil, kehadiran, dan JP Bapak/Ibu menjadi satu. Pesan terjadwal dikirim ke satu "
        "saluran saja: saluran yang terakhir Bapak/Ibu gunakan "
        f"(saat ini {_name(ctx, keep.preferred_channel or here)}). "
        "Ubah lewat /profil → Saluran utama."
    )
    if not keep.registered:
        text += "\n\nBapak/Ibu belum terdaftar: ketik /mulai untuk mendaftar."
    return Reply(text)


@router.callback(ChannelMenu)
async def channel_menu(ctx: Context, data: ChannelMenu) -> Replies:
    """Offer the channels this person has, and "automatic"."""
    linkable = {c.name for c in ctx.deps.channels.linkable()}
    channels = [i.channel for i in await identities_of(ctx.db, ctx.person.id)
                if i.channel in linkable]
    buttons = [[ctx.button(f"{_name(ctx, c)}", ChannelPick(c))] for c in dict.fromkeys(channels)]
    buttons.append([ctx.button("Otomatis", ChannelPick(AUTO))])
    hint = "" if len(buttons) > 2 else (
        f"\n\nIngin menerima pesan di {_other(ctx, ctx.incoming.channel)}? Ketik {_here(ctx)}."
    )
    return Reply(
        "📡 <b>Saluran utama</b>\n\nMenu pagi, pengingat, dan pengumuman dikirim ke satu "
        "saluran saja. Pilih saluran tetap, atau otomatis mengikuti saluran yang terakhir "
        "Bapak/Ibu gunakan." + hint,
        buttons=buttons,
    )


@router.callback(ChannelPick)
async def channel_pick(ctx: Context, data: ChannelPick) -> Replies:
    """Pin the preferred channel, or let it follow the last channel used."""
    person = ctx.person
    if data.channel == AUTO:
        person.channel_pinned = False
        person.preferred_channel = ctx.incoming.channel
        return Reply("✅ Saluran utama: otomatis (saluran terakhir yang Bapak/Ibu gunakan).",
                     edit=True)
    channels = {i.channel for i in await identities_of(ctx.db, person.id)}
    if data.channel not in channels:
        return Reply(text="", notice="Akun di saluran itu belum terhubung.")
    person.preferred_channel = data.channel
    person.channel_pinned = True
    return Reply(f"✅ Pesan terjadwal kini selalu dikirim ke {_name(ctx, data.channel)}.",
                 edit=True)
