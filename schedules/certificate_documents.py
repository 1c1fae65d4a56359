"""What a certificate says and how it travels: the message that carries it, the text drawn on
it, an admin's sample, and the "Rekap JP" transcript of a person's year."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from core.config import CertificateConfig, CoreConfig
from core.programme import by_key
from core.text import esc, jp_text
from core.timezones import format_date
from core.types import Attachment, Reply, TemplateRef
from db.attendance import JP_TARGET, person_year
from db.certificates import person_certificates
from db.models import Certificate, LearningSession, Person
from schedules.certificate_pdf import (
    CertificateText,
    Design,
    TranscriptLine,
    TranscriptText,
    certificate_filename,
    render_certificate,
    transcript_filename,
)

__all__ = [
    "PDF",
    "certificate_reply",
    "certificate_text",
    "design_of",
    "sample_certificate",
    "sample_text",
    "transcript_reply",
    "transcript_text",
]

PDF = "application/pdf"
SAMPLE_NAME = "Nama Peserta Contoh, S.Kom."
SAMPLE_NIP = "199001012015031001"


def design_of(config: CertificateConfig) -> Design:
    """The images the certificate is drawn with."""
    return Design(config.background, config.logo, config.signature)


def certificate_reply(
    cert: Certificate, config: CertificateConfig, *, replaces: str | None = None,
    again: bool = False,
) -> Reply:
    """The message carrying a certificate: the PDF (named, rendered when sent) and a caption;
    outside WhatsApp's window, the certificate template with the PDF as its header."""
    url = config.verify_url(cert.code)
    head = ("📜 <b>Sertifikat Bapak/Ibu</b> (dikirim ulang)" if again
            else "📜 <b>Sertifikat Bapak/Ibu telah terbit</b>")
    lines = [
        head,
        f"<b>{esc(cert.title)}</b>",
        f"{esc(cert.programme)} · {format_date(cert.day)} · {jp_text(float(cert.jp))} JP",
        f"Nomor: {esc(cert.number)}",
    ]
    if replaces:
        lines.append(f"Menggantikan sertifikat nomor {esc(replaces)} yang dicabut karena "
                     "perubahan data.")
    lines.append(f'Keaslian dapat diperiksa: <a href="{esc(url)}">{esc(url)}</a>')
    lines.append("Semua sertifikat Bapak/Ibu: /sertifikat")
    document = Attachment(certificate_filename(cert.number, cert.title), PDF,
                          source=f"certificate:{cert.id}")
    template = TemplateRef("certificate", (cert.title, f"nomor {cert.number}"),
                           header="document")
    return Reply("\n".join(lines), document=document, template=template)


def certificate_text(
    cert: Certificate, config: CertificateConfig, tz: ZoneInfo
) -> CertificateText:
    """What is drawn on a certificate: its snapshot (never today's data); `tz` is the
    agency's zone, the date of issue is read in it."""
    return CertificateText(
        number=cert.number, name=cert.holder_name or "", nip=cert.holder_nip or "",
        instansi=cert.holder_instansi or "", programme=cert.programme, title=cert.title,
        day=cert.day, jp=float(cert.jp), organiser=cert.organiser,
        signer_name=cert.signer_name, signer_position=cert.signer_position,
        issued_on=cert.issued_at.astimezone(tz).date(),
        verify_url=config.verify_url(cert.code),
    )


def sample_text(
    s: LearningSession, config: CertificateConfig, now: datetime, tz: ZoneInfo
) -> CertificateText:
    """An admin's preview of a session's certificate, marked CONTOH, with a made-up holder."""
    return CertificateText(
        number=f"{config.prefix}/{s.day.year}/CONTOH", name=SAMPLE_NAME, nip=SAMPLE_NIP,
        instansi="Dinas Contoh Kabupaten Contoh", programme=by_key(s.programme_key).name,
        title=s.title, day=s.day, jp=float(s.jp or 0), organiser=config.organiser,
        signer_name=config.signer_name, signer_position=config.signer_position,
        issued_on=max(s.day, now.astimezone(tz).date()), verify_url=config.verify_url("CONTOH"),
        sample=True,
    )


def sample_certificate(s: LearningSession, config: CoreConfig, now: datetime) -> bytes:
    """A session's sample certificate as PDF bytes (the konsol's preview; it blocks for
    about 10 ms: call it in a worker thread)."""
    text = sample_text(s, config.certificates, now, config.tz)
    return render_certificate(text, design_of(config.certificates))


def transcript_reply(year: int) -> Reply:
    """The message carrying a person's "Rekap JP" (rendered for its recipient when sent)."""
    document = Attachment(f"Rekap-JP_{year}.pdf", PDF, source=f"transcript:{year}")
    return Reply(
        f"📊 <b>Rekap JP {year}</b>\nTerlampir rekap kehadiran dan JP Bapak/Ibu tahun {year}, "
        "dengan nomor sertifikat setiap sesi. Terima kasih telah belajar bersama "
        "Dahar Ngopi!",
        document=document,
        template=TemplateRef("certificate", (f"Rekap JP {year}", "rekap tahunan"),
                             header="document"),
    )


async def transcript_text(
    db: AsyncSession, person: Person, year: int, config: CertificateConfig, today: date
) -> tuple[TranscriptText, str]:
    """A person's year as the transcript draws it, and its file name."""
    attended = await person_year(db, person.id, year)
    numbers = {c.session_id: c.number for c in await person_certificates(db, person.id)
               if c.revoked_at is None}
    lines = [TranscriptLine(a.session.day, a.programme_name, a.session.title,
                            float(a.session.jp or 0), numbers.get(a.session.id))
             for a in attended]
    name = person.full_name or "Peserta"
    text = TranscriptText(
        year=year, name=name, nip=person.nip, instansi=person.instansi or "",
        organiser=config.organiser, lines=lines, target=JP_TARGET, made_on=today,
        verify_base=f"{(config.public_url or '').rstrip('/')}/verifikasi",
    )
    return text, transcript_filename(year, name)
