"""/berhenti (unsubscribe) and /hapusdata (erase personal data, UU PDP)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from core.callbacks import CallbackData
from core.types import Keyboard, Reply
from handlers.erasure import erase as erase_everywhere
from handlers.router import Context, Replies, Router

__all__ = ["EraseConfirm", "StopConfirm", "router"]

router = Router("privacy")


@dataclass(frozen=True)
class EraseConfirm(CallbackData):
    """The answer to "erase my data?"."""

    prefix: ClassVar[str] = "del"
    yes: bool


@dataclass(frozen=True)
class StopConfirm(CallbackData):
    """The answer to "stop the scheduled messages?"."""

    prefix: ClassVar[str] = "stp"
    yes: bool


@router.command("berhenti", "stop", description="Berhenti menerima pesan terjadwal")
async def stop(ctx: Context) -> Replies:
    """Ask before unsubscribing from scheduled messages (the data stays)."""
    if not ctx.person.registered:
        return Reply("Bapak/Ibu belum berlangganan. Ketik /mulai untuk mendaftar.")
    if not ctx.person.subscribed:
        return Reply("Bapak/Ibu sudah tidak berlangganan. Ketik /mulai untuk berlangganan lagi.")
    return Reply(
        "Berhenti menerima menu pagi, pengingat, dan pengumuman dari Dahar Ngopi bot?\n\n"
        "Data dan rekap JP Bapak/Ibu tetap tersimpan, dan /mulai mengaktifkannya lagi. "
        "Bila hanya ingin mengurangi pesan, /pengingat dapat mematikan menu pagi, pengingat, "
        "atau hari tertentu saja.",
        buttons=[[ctx.button("Ya, berhenti", StopConfirm(True)),
                  ctx.button("Batal", StopConfirm(False))]],
    )


@router.callback(StopConfirm)
async def stop_confirmed(ctx: Context, data: StopConfirm) -> Replies:
    """Unsubscribe, or keep everything as it is."""
    if not data.yes:
        return Reply("Baik, langganan Bapak/Ibu tetap aktif. ☕", edit=True)
    if not ctx.person.registered or not ctx.person.subscribed:
        return Reply(text="", notice="Bapak/Ibu sudah tidak berlangganan.")
    ctx.person.subscribed = False
    return Reply(
        "Baik, Bapak/Ibu tidak akan menerima menu harian dan pengingat lagi. "
        "Data dan rekap JP tetap tersimpan. Ketik /mulai kapan saja untuk berlangganan lagi.",
        edit=True,
    )


@router.command("hapusdata", description="Hapus data pribadi Bapak/Ibu")
async def erase_ask(ctx: Context) -> Replies:
    """Explain what erasure does, and ask for confirmation."""
    return Reply(
        "⚠️ <b>Hapus data pribadi</b>\n\n"
        "Jika dilanjutkan, kami menghapus nama, NIP, instansi/OPD, kabupaten/kota, ID akun "
        "chat, serta isi pertanyaan dan pesan Bapak/Ibu, dan menghentikan semua pesan. Riwayat "
        "kegiatan (misalnya kehadiran) hanya tersisa sebagai <b>angka statistik anonim</b> yang "
        "tidak dapat dikaitkan lagi dengan Bapak/Ibu, dan rekap JP tidak dapat dipulihkan. "
        "Sertifikat yang sudah terbit tetap sah, tetapi nama, NIP dan instansi Bapak/Ibu dihapus "
        "dari catatannya. Bapak/Ibu tetap dapat mendaftar lagi kapan saja.\n\nLanjutkan?",
        buttons=[[ctx.button("🗑 Ya, hapus data saya", EraseConfirm(True)),
                  ctx.button("Batal", EraseConfirm(False))]],
    )


@router.callback(EraseConfirm)
async def erase(ctx: Context, data: EraseConfirm) -> Replies:
    """Erase, or keep, the person's data."""
    if not data.yes:
        return Reply("Penghapusan dibatalkan. Data Bapak/Ibu tetap tersimpan.", edit=True)
    await erase_everywhere(ctx)
    return Reply(
        "✅ Data pribadi Bapak/Ibu telah dihapus. Terima kasih telah mengikuti Dahar Ngopi. "
        "Ketik /mulai jika ingin mendaftar lagi.",
        edit=True, keyboard=Keyboard(remove=True),
    )
