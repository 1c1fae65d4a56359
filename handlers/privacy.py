"""/berhenti (unsubscribe) and /hapusdata (erase personal data, UU PDP)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from core.callbacks import CallbackData
from core.types import Keyboard, Reply
from db.people import erase_person
from handlers.router import Context, Replies, Router

__all__ = ["EraseConfirm", "router"]

router = Router("privacy")


@dataclass(frozen=True)
class EraseConfirm(CallbackData):
    """The answer to "erase my data?"."""

    prefix: ClassVar[str] = "del"
    yes: bool


@router.command("berhenti", "stop", description="Berhenti menerima pesan terjadwal")
async def stop(ctx: Context) -> Replies:
    """Unsubscribe from scheduled messages; keep the data."""
    if not ctx.person.registered:
        return Reply("Bapak/Ibu belum berlangganan. Ketik /mulai untuk mendaftar.")
    if not ctx.person.subscribed:
        return Reply("Bapak/Ibu sudah tidak berlangganan. Ketik /mulai untuk berlangganan lagi.")
    ctx.person.subscribed = False
    return Reply(
        "Baik, Bapak/Ibu tidak akan menerima menu harian dan pengingat lagi. "
        "Data dan rekap JP tetap tersimpan. Ketik /mulai kapan saja untuk berlangganan lagi."
    )


@router.command("hapusdata", description="Hapus data pribadi Anda")
async def erase_ask(ctx: Context) -> Replies:
    """Explain what erasure does, and ask for confirmation."""
    return Reply(
        "⚠️ <b>Hapus data pribadi</b>\n\n"
        "Jika dilanjutkan, kami menghapus nama, NIP, instansi/OPD, kabupaten/kota, dan ID akun "
        "chat Bapak/Ibu, serta menghentikan semua pesan. Riwayat kegiatan (misalnya kehadiran) "
        "hanya tersisa sebagai <b>angka statistik anonim</b> yang tidak dapat dikaitkan lagi "
        "dengan Bapak/Ibu, dan rekap JP tidak dapat dipulihkan. Sertifikat yang sudah terbit "
        "tetap sah, tetapi nama, NIP dan instansi Bapak/Ibu dihapus dari catatannya.\n\n"
        "Lanjutkan?",
        buttons=[[ctx.button("🗑 Ya, hapus data saya", EraseConfirm(True)),
                  ctx.button("Batal", EraseConfirm(False))]],
    )


@router.callback(EraseConfirm)
async def erase(ctx: Context, data: EraseConfirm) -> Replies:
    """Erase, or keep, the person's data."""
    if not data.yes:
        return Reply("Penghapusan dibatalkan. Data Bapak/Ibu tetap tersimpan.", edit=True)
    await erase_person(ctx.db, ctx.person, ctx.now)
    return Reply(
        "✅ Data pribadi Bapak/Ibu telah dihapus. Terima kasih telah mengikuti Dahar Ngopi. "
        "Ketik /mulai jika ingin mendaftar lagi.",
        edit=True, keyboard=Keyboard(remove=True),
    )
