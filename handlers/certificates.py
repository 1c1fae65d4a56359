"""/sertifikat: a person's certificates (each can be sent again), the "Rekap JP" transcript
of a year on request, and for admins a sample certificate of a session before it runs.

A PDF asked for here is rendered after the unit of work commits and returned as the reply;
nothing is stored.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import ClassVar

from core.callbacks import CallbackData
from core.text import esc, jp_text
from core.types import Attachment, Button, Reply
from db.certificates import person_certificates
from db.models import Certificate, LearningSession, Person
from handlers.router import Context, Replies, Router
from schedules.calendar import session_by_code
from schedules.certificate_documents import (
    PDF,
    certificate_reply,
    certificate_text,
    design_of,
    sample_certificate,
    sample_text,
    transcript_text,
)
from schedules.certificate_pdf import (
    certificate_filename,
    render_certificate,
    render_transcript,
)

__all__ = ["CertResend", "TranscriptAsk", "list_certificates", "overview", "router"]

log = logging.getLogger(__name__)

router = Router("certificates")
LISTED = 10  # certificates listed with a "send again" button
OFF = ("Sertifikat elektronik belum diaktifkan oleh penyelenggara. Kehadiran dan JP "
       "Bapak/Ibu tetap tercatat (lihat /rekap).")
USAGE = "Contoh: /sertifikat, /sertifikat rekap, /sertifikat rekap 2026"
NOT_REGISTERED = "Bapak/Ibu belum terdaftar. Ketik /mulai untuk mendaftar terlebih dahulu."


@dataclass(frozen=True)
class CertResend(CallbackData):
    """Send one of my certificates again."""

    prefix: ClassVar[str] = "crs"
    certificate: int


@dataclass(frozen=True)
class TranscriptAsk(CallbackData):
    """Send my "Rekap JP" of a year."""

    prefix: ClassVar[str] = "crj"
    year: int


async def list_certificates(ctx: Context, person: Person) -> list[Certificate]:
    """A person's certificates, valid first (the intent layer's "sertifikat saya" too)."""
    return await person_certificates(ctx.db, person.id)


def _line(c: Certificate) -> str:
    state = " · <i>dicabut</i>" if c.revoked_at is not None else ""
    return (f"• {c.day:%d/%m/%Y} <b>{esc(c.title)}</b> ({jp_text(float(c.jp))} JP)\n"
            f"  {esc(c.number)}{state}")


def _apology(build: Callable[[], Awaitable[Replies]]) -> Callable[[], Awaitable[Replies]]:
    async def job() -> Replies:
        try:
            return await build()
        except Exception:
            log.exception("rendering a certificate or transcript failed")
            return Reply("Maaf, terjadi gangguan saat menyiapkan dokumen. Silakan coba lagi.")

    return job


@router.command("sertifikat", description="Sertifikat Bapak/Ibu; /sertifikat rekap [TAHUN]",
                label="📜 Sertifikat", max_len=60, args=r"(rekap(\s+\d{4})?|contoh\s+\S+)")
async def sertifikat(ctx: Context) -> Replies:
    """List the person's certificates with buttons to send each again, or the transcript,
    or (admins) a session's sample certificate."""
    words = ctx.args.lower().split()
    if words and words[0] == "contoh":
        return await _sample(ctx, " ".join(ctx.args.split()[1:]))
    if not ctx.person.registered:
        return Reply(NOT_REGISTERED)
    if not ctx.deps.config.certificates.enabled:
        return Reply(OFF)
    year = ctx.now.astimezone(ctx.deps.config.tz).year
    if words and words[0] == "rekap":
        if len(words) > 2 or (len(words) == 2 and not words[1].isdigit()):
            return Reply(USAGE)
        wanted = int(words[1]) if len(words) == 2 else year
        if not 2000 <= wanted <= year:
            return Reply(USAGE)
        return _transcript(ctx, wanted)
    if words:
        return Reply(USAGE)
    return await overview(ctx)


async def overview(ctx: Context) -> Reply:
    """The person's certificates, with buttons to send each again and the year's transcript
    (/sertifikat, and "sertifikat saya" in the intent layer)."""
    if not ctx.person.registered:
        return Reply(NOT_REGISTERED)
    if not ctx.deps.config.certificates.enabled:
        return Reply(OFF)
    year = ctx.now.astimezone(ctx.deps.config.tz).year
    certs = await list_certificates(ctx, ctx.person)
    lines = ["📜 <b>Sertifikat Bapak/Ibu</b>"]
    if not certs:
        delay = int(ctx.deps.config.certificates.delay.total_seconds() // 60)
        lines.append(f"Belum ada sertifikat. Sertifikat elektronik dikirim otomatis sekitar "
                     f"{delay} menit setelah sesi ber-JP yang Bapak/Ibu hadiri berakhir.")
    lines += [_line(c) for c in certs[:30]]
    if not ctx.person.nip:
        lines.append("\n⚠️ NIP belum diisi: sertifikat hanya diterbitkan untuk peserta ber-NIP. "
                     "Isi NIP lewat /profil; sertifikat menyusul otomatis.")
    valid = [c for c in certs if c.revoked_at is None][:LISTED]
    buttons: list[list[Button]] = [
        [ctx.button(f"📤 {c.number} · {c.title}"[:60], CertResend(c.id))] for c in valid]
    buttons.append([ctx.button(f"📊 Rekap JP {year}", TranscriptAsk(year))])
    if valid:
        lines.append("\nTekan tombol untuk menerima sertifikat itu lagi.")
    return Reply("\n".join(lines), buttons=buttons)


@router.callback(CertResend)
async def resend(ctx: Context, data: CertResend) -> Replies:
    """Send one certificate again (rendered now)."""
    cert = await ctx.db.get(Certificate, data.certificate)
    if cert is None or cert.person_id != ctx.person.id or cert.revoked_at is not None:
        return Reply(text="", notice="Sertifikat ini tidak tersedia lagi.", alert=True)
    config = ctx.deps.config
    reply = certificate_reply(cert, config.certificates, again=True)
    text = certificate_text(cert, config.certificates, config.tz)
    design = design_of(config.certificates)
    name = certificate_filename(cert.number, cert.title)

    async def build() -> Replies:
        pdf = await asyncio.to_thread(render_certificate, text, design)
        return Reply(reply.text, document=Attachment(name, PDF, len(pdf), content=pdf))

    ctx.after_commit.append(_apology(build))
    return Reply(text="", notice="📤 Sertifikat sedang dikirim…")


@router.callback(TranscriptAsk)
async def transcript_pressed(ctx: Context, data: TranscriptAsk) -> Replies:
    """The transcript button of /sertifikat."""
    return _transcript(ctx, data.year)


def _transcript(ctx: Context, year: int) -> Replies:
    deps, person_id = ctx.deps, ctx.person.id
    today = ctx.now.astimezone(deps.config.tz).date()

    async def build() -> Replies:
        async with deps.sessions() as db:
            person = await db.get(Person, person_id)
            assert person is not None
            text, name = await transcript_text(db, person, year, deps.config.certificates,
                                               today)
        pdf = await asyncio.to_thread(render_transcript, text)
        return Reply(f"📊 <b>Rekap JP {year}</b>: {len(text.lines)} sesi.",
                     document=Attachment(name, PDF, len(pdf), content=pdf))

    ctx.after_commit.append(_apology(build))
    return Reply(text="", notice=f"📊 Menyiapkan Rekap JP {year}…")


async def _sample(ctx: Context, ref: str) -> Replies:
    """An admin's preview of a session's certificate (marked CONTOH)."""
    if not ctx.is_admin:
        return Reply("Maaf, contoh sertifikat hanya untuk admin BPSDM.")
    s: LearningSession | None = None
    if ref.isdigit():
        s = await ctx.db.get(LearningSession, int(ref))
    if s is None and ref:
        s = await session_by_code(ctx.db, ref)
    if s is None:
        return Reply(f"Sesi “{esc(ref)}” tidak ditemukan." if ref else
                     "Tulis ID atau kode sesi, misalnya /sertifikat contoh 12.")
    config, now = ctx.deps.config, ctx.now
    text = sample_text(s, config.certificates, now, config.tz)
    session = s
    note = ("" if config.certificates.enabled else
            "\n⚠️ PUBLIC_URL belum diatur: sertifikat belum diterbitkan untuk peserta.")
    caption = (f"🖨 Contoh sertifikat <b>{esc(s.title)}</b> ({jp_text(float(s.jp or 0))} JP). "
               "Nama, NIP dan nomor diisi saat terbit." + note)
    name = f"Contoh_{certificate_filename(text.number, s.title)}"

    async def build() -> Replies:
        pdf = await asyncio.to_thread(sample_certificate, session, config, now)
        return Reply(caption, document=Attachment(name, PDF, len(pdf), content=pdf))

    ctx.after_commit.append(_apology(build))
    return None
