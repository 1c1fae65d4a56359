"""/mulai: consent (UU PDP) and the registration conversation; /batal."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from core.callbacks import CallbackData
from core.text import esc
from core.types import Keyboard, Reply
from handlers.profile_fields import (
    FIELDS,
    RegionPick,
    SkipNip,
    TzPick,
    TzSure,
    accept,
    ask,
    summary,
)
from handlers.registration_nip import asked_again, claim_nip, hold_nip
from handlers.router import Context, Replies, Router, as_list

__all__ = ["Consent", "router"]

router = Router("registration")

FLOW = "registration"
INTRO = (
    "☕ <b>Selamat datang di Dahar Ngopi bot!</b>\n"
    "<i>Tiada Hari Tanpa Pengembangan Kompetensi.</i>\n\n"
    "Setiap hari kerja, bot ini mengirimkan menu ASN Dahar Ngopi dari BPSDM Provinsi Jawa Timur: "
    "Senin Forum ASN Berbagi Ilmu, Selasa ASN Bertanya BPSDM Menjawab, Rabu ASN Mengaji, "
    "Kamis ASN Belajar, dan Jumat ASN Sehat dan Bugar — lengkap dengan pengingat sesi, "
    "pencatatan kehadiran, dan rekap JP Bapak/Ibu terhadap target 20 JP per tahun.\n\n"
    "<b>Data pribadi yang kami simpan</b>: nama, NIP, instansi/OPD, kabupaten/kota, zona waktu, "
    "dan ID akun chat. Tujuannya hanya untuk mengirim jadwal, mencatat kehadiran dan JP, serta "
    "menjawab pertanyaan Bapak/Ibu. Sesuai UU No. 27 Tahun 2022 tentang Pelindungan Data Pribadi, "
    "Bapak/Ibu dapat melihat data (/profil) dan menghapusnya kapan saja (/hapusdata).\n\n"
    "Apakah Bapak/Ibu menyetujui penyimpanan data tersebut?"
)


@dataclass(frozen=True)
class Consent(CallbackData):
    """The answer to the consent question."""

    prefix: ClassVar[str] = "rgc"
    yes: bool


def _consent_question(ctx: Context) -> Reply:
    return Reply(
        INTRO,
        buttons=[[ctx.button("✅ Saya setuju", Consent(True)),
                  ctx.button("Tidak", Consent(False))]],
    )


def _keyboard(ctx: Context) -> Keyboard:
    kb = ctx.deps.main_keyboard
    return kb


@router.command("mulai", "start", description="Mulai / daftar berlangganan")
async def start(ctx: Context) -> Replies:
    """Greet; resume an unfinished registration; resubscribe a returning person."""
    person = ctx.person
    if person.registered:
        if not person.subscribed:
            person.subscribed = True
            return Reply(
                "Selamat datang kembali! Langganan menu harian Dahar Ngopi aktif lagi. ☕",
                keyboard=_keyboard(ctx),
            )
        name = person.full_name or "Bapak/Ibu"
        return Reply(
            f"Halo, {esc(name)}! Bapak/Ibu sudah terdaftar. Ketik /menu untuk menu hari ini.",
            keyboard=_keyboard(ctx),
        )
    if ctx.state is not None and ctx.state.flow == FLOW:
        return [Reply("Kita lanjutkan pendaftaran yang belum selesai."), ask(ctx, ctx.state.step)]
    if person.consent_at is None:
        await ctx.set_state(FLOW, "consent")
        return _consent_question(ctx)
    await ctx.set_state(FLOW, FIELDS[0])
    return ask(ctx, FIELDS[0])


@router.callback(Consent)
async def consent(ctx: Context, data: Consent) -> Replies:
    """Record consent (or its refusal) and ask the first field."""
    if ctx.person.registered:
        return Reply(text="", notice="Bapak/Ibu sudah terdaftar.")
    if not data.yes:
        await ctx.clear_state()
        return Reply(
            "Baik, tidak ada data yang kami simpan. Jika berubah pikiran, ketik /mulai.",
            edit=True,
        )
    ctx.person.consent_at = ctx.now
    ctx.person.subscribed = True
    await ctx.set_state(FLOW, FIELDS[0])
    return [Reply("Terima kasih atas persetujuan Bapak/Ibu. 🙏", edit=True), ask(ctx, FIELDS[0])]


@router.command("batal", "cancel", description="Batalkan langkah yang sedang berjalan")
async def cancel(ctx: Context) -> Replies:
    """Leave any conversation."""
    if ctx.state is None:
        return Reply("Tidak ada proses yang sedang berjalan.")
    was_registration = ctx.state.flow == FLOW
    await ctx.clear_state()
    if was_registration and not ctx.person.registered:
        return Reply(
            "Pendaftaran dibatalkan. Ketik /mulai kapan saja untuk mendaftar lagi.",
            keyboard=Keyboard(remove=True),
        )
    return Reply("Dibatalkan. ✅", keyboard=_keyboard(ctx) if ctx.person.registered else None)


async def advance(ctx: Context, step: str, note: Reply | None = None) -> Replies:
    """After `step` was stored: the next question, or the end of the flow."""
    replies = [note] if note else []
    if ctx.state is not None and ctx.state.flow == FLOW:
        if step == "nip":
            hold_nip(ctx)
        nxt = FIELDS.index(step) + 1
        if nxt < len(FIELDS) and not asked_again(ctx):
            await ctx.set_state(FLOW, FIELDS[nxt])
            return [*replies, ask(ctx, FIELDS[nxt])]
        # The NIP is the person's only now, if nobody completed with it meanwhile.
        again = await claim_nip(ctx)
        if again is not None:
            return [*replies, *again]
        await ctx.clear_state()
        ctx.person.registered_at = ctx.now
        ctx.person.subscribed = True
        done = Reply(
            "🎉 <b>Pendaftaran selesai.</b> Terima kasih!\n\n" + summary(ctx) + "\n\n"
            "Setiap hari kerja pukul 06.30 waktu setempat Bapak/Ibu akan menerima menu Dahar "
            "Ngopi. Gunakan tombol di bawah, atau ketik /bantuan.",
            keyboard=_keyboard(ctx),
        )
        return [*replies, done]
    # Editing one field from /profil.
    await ctx.clear_state()
    return [*replies, Reply("✅ Data diperbarui.\n\n" + summary(ctx), keyboard=_keyboard(ctx))]


@router.flow(FLOW, sticky=True)
async def registration_step(ctx: Context) -> Replies:
    """A typed answer during registration."""
    assert ctx.state is not None
    step = ctx.state.step
    if step == "consent":
        return _consent_question(ctx)
    result = await accept(ctx, step, ctx.incoming.text or "")
    if not result.ok:
        return result.reply
    return await advance(ctx, step, result.reply)


async def _picked(ctx: Context, field: str, value: str, *, sure: bool = False) -> Replies:
    state = ctx.state
    if state is None or state.step != field:
        return Reply(text="", notice="Tombol ini sudah tidak berlaku.")
    result = await accept(ctx, field, value, sure=sure)
    if not result.ok:
        return result.reply
    return await advance(ctx, field, result.reply)


@router.callback(RegionPick)
async def region_picked(ctx: Context, data: RegionPick) -> Replies:
    """A kabupaten/kota button."""
    region = ctx.deps.regions.get(data.code)
    if region is None or ctx.state is None or ctx.state.step != "region":
        return Reply(text="", notice="Tombol ini sudah tidak berlaku.")
    ctx.person.region_code = region.code
    return [Reply(f"📍 {region.name}", edit=True), *as_list(await advance(ctx, "region"))]


@router.callback(TzPick)
async def tz_picked(ctx: Context, data: TzPick) -> Replies:
    """A time-zone button."""
    return await _picked(ctx, "tz", data.tz)


@router.callback(TzSure)
async def tz_sure(ctx: Context, data: TzSure) -> Replies:
    """A time zone kept although the kabupaten/kota usually uses another."""
    return await _picked(ctx, "tz", data.tz, sure=True)


@router.callback(SkipNip)
async def nip_skipped(ctx: Context, data: SkipNip) -> Replies:
    """The "skip NIP" button."""
    return await _picked(ctx, "nip", "lewati")


