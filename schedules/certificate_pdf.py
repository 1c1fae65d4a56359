"""Draw an e-certificate (A4 landscape) and the yearly "Rekap JP" transcript as PDF bytes.

reportlab draws, segno makes the QR code (drawn as vector rectangles: sharp at any zoom,
and cheaper than embedding a picture). The fonts are DejaVu Serif, shipped in
schedules/data/fonts with their licence. Nothing here touches the database: callers pass
what the certificate says (`CertificateText`) and how it looks (`Design`).
"""

from __future__ import annotations

import io
import re
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path

import segno
from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from core.text import jp_text
from core.timezones import format_date

__all__ = [
    "CertificateText",
    "Design",
    "TranscriptLine",
    "TranscriptText",
    "certificate_filename",
    "format_nip",
    "render_certificate",
    "render_transcript",
    "transcript_filename",
]

PAGE = landscape(A4)  # 841.9 x 595.3 points
NAVY = colors.HexColor("#16325c")
GOLD = colors.HexColor("#b8892b")
INK = colors.HexColor("#222222")
GREY = colors.HexColor("#5f6b7a")
REGULAR, BOLD, ITALIC = "DNSerif", "DNSerif-Bold", "DNSerif-Italic"
_FONT_FILES = {REGULAR: "DejaVuSerif.ttf", BOLD: "DejaVuSerif-Bold.ttf",
               ITALIC: "DejaVuSerif-Italic.ttf"}
_fonts_lock = threading.Lock()
_fonts_ready = False


@dataclass(frozen=True)
class CertificateText:
    """What one certificate says (a snapshot taken when it was issued)."""

    number: str
    name: str
    nip: str
    instansi: str
    programme: str
    title: str
    day: date
    jp: float
    organiser: str
    signer_name: str
    signer_position: str
    issued_on: date
    verify_url: str
    sample: bool = False  # an admin's preview: "CONTOH" across the page


@dataclass(frozen=True)
class Design:
    """The agency's images (CERT_BACKGROUND, CERT_LOGO, CERT_SIGNATURE), each optional."""

    background: Path | None = None
    logo: Path | None = None
    signature: Path | None = None


def _register_fonts() -> None:
    global _fonts_ready
    with _fonts_lock:
        if _fonts_ready:
            return
        # Binary streams instead of ASCII85: without reportlab's optional C accelerator, the
        # pure-Python ASCII85 of a background JPEG costs about 10 ms per certificate (and
        # makes the file 25 % larger). Every PDF reader reads binary streams.
        rl_config.useA85 = 0
        folder = resources.files("schedules") / "data" / "fonts"
        for name, file in _FONT_FILES.items():
            with resources.as_file(folder / file) as path:
                pdfmetrics.registerFont(TTFont(name, str(path)))
        _fonts_ready = True


def _image(path: Path) -> str:
    """An image as reportlab takes it: by file name, a JPEG is embedded as it is (no decoding
    and re-compressing a full-page background for every certificate)."""
    return str(path)


def format_nip(nip: str) -> str:
    """'19850714 201001 2 003': a NIP as BKN prints it."""
    if len(nip) != 18 or not nip.isdigit():
        return nip
    return f"{nip[:8]} {nip[8:14]} {nip[14]} {nip[15:]}"


def _slug(text: str, limit: int) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.sub(r"[^A-Za-z0-9]+", " ", ascii_text).split()
    slug = ""
    for word in words:
        if len(slug) + len(word) + 1 > limit:
            break
        slug = f"{slug}-{word}" if slug else word
    return slug or "sesi"


def certificate_filename(number: str, title: str) -> str:
    """'Sertifikat_DN-2026-000123_Arsip-Digital.pdf': what it is, for whom to find."""
    return f"Sertifikat_{number.replace('/', '-')}_{_slug(title, 40)}.pdf"


def transcript_filename(year: int, name: str) -> str:
    """'Rekap-JP_2026_Siti-Aminah.pdf'."""
    return f"Rekap-JP_{year}_{_slug(name, 30)}.pdf"


# --- the certificate ----------------------------------------------------------------------


def render_certificate(text: CertificateText, design: Design = Design()) -> bytes:
    """The certificate as a one-page A4 landscape PDF."""
    _register_fonts()
    out = io.BytesIO()
    c = Canvas(out, pagesize=PAGE, pageCompression=1)
    c.setTitle(f"Sertifikat {text.number}")
    c.setAuthor(text.organiser)
    c.setSubject(text.title)
    width, height = PAGE
    if design.background is not None:
        c.drawImage(_image(design.background), 0, 0, width, height)
    else:
        _frame(c, width, height)
    _heading(c, text, design, width, height)
    _holder(c, text, width)
    _occasion(c, text, width)
    _qr(c, text, 62, 58)
    _signature(c, text, design, width - 262, 58)
    if text.sample:
        _sample_mark(c, width, height)
    c.showPage()
    c.save()
    return out.getvalue()


def _frame(c: Canvas, width: float, height: float) -> None:
    """The default design: a navy double frame with gold corners."""
    c.setFillColor(colors.HexColor("#fbf8f1"))
    c.rect(0, 0, width, height, stroke=0, fill=1)
    c.setStrokeColor(NAVY)
    c.setLineWidth(6)
    c.rect(18, 18, width - 36, height - 36, stroke=1, fill=0)
    c.setLineWidth(1)
    c.rect(30, 30, width - 60, height - 60, stroke=1, fill=0)
    c.setStrokeColor(GOLD)
    c.setLineWidth(3)
    for x, y, dx, dy in ((30, 30, 1, 1), (width - 30, 30, -1, 1), (30, height - 30, 1, -1),
                         (width - 30, height - 30, -1, -1)):
        c.line(x, y + dy * 40, x, y)
        c.line(x, y, x + dx * 40, y)
    c.setFillColor(GOLD)
    c.rect(width / 2 - 90, height - 160, 180, 2, stroke=0, fill=1)


def _centred(c: Canvas, y: float, text: str, font: str, size: float, width: float,
             *, colour: colors.Color = INK, max_width: float = 700) -> None:
    """One centred line, shrunk until it fits `max_width`."""
    while size > 8 and pdfmetrics.stringWidth(text, font, size) > max_width:
        size -= 0.5
    c.setFont(font, size)
    c.setFillColor(colour)
    c.drawCentredString(width / 2, y, text)


def _wrap(text: str, font: str, size: float, max_width: float) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        trial = f"{current} {word}".strip()
        if current and pdfmetrics.stringWidth(trial, font, size) > max_width:
            lines.append(current)
            current = word
        else:
            current = trial
    if current:
        lines.append(current)
    return lines


def _heading(c: Canvas, text: CertificateText, design: Design, width: float,
             height: float) -> None:
    top = height - 62
    if design.logo is not None:
        c.drawImage(_image(design.logo), width / 2 - 24, top - 40, 48, 48,
                    preserveAspectRatio=True, mask="auto")
        top -= 50
    _centred(c, top - 6, text.organiser.upper(), BOLD, 12, width, colour=NAVY)
    _centred(c, top - 22, "ASN Dahar Ngopi · Tiada Hari Tanpa Pengembangan Kompetensi", ITALIC,
             9.5, width, colour=GREY)
    _centred(c, top - 66, "SERTIFIKAT", BOLD, 36, width, colour=NAVY)
    _centred(c, top - 86, f"Nomor: {text.number}", REGULAR, 11, width, colour=GREY)


def _holder(c: Canvas, text: CertificateText, width: float) -> None:
    _centred(c, 388, "diberikan kepada", ITALIC, 12, width, colour=GREY)
    _centred(c, 352, text.name, BOLD, 28, width, colour=INK, max_width=640)
    c.setStrokeColor(GOLD)
    c.setLineWidth(0.8)
    c.line(width / 2 - 200, 342, width / 2 + 200, 342)
    details = f"NIP {format_nip(text.nip)}"
    if text.instansi:
        details += f"  ·  {text.instansi}"
    _centred(c, 324, details, REGULAR, 11.5, width, max_width=640)


def _occasion(c: Canvas, text: CertificateText, width: float) -> None:
    _centred(c, 294, f"atas keikutsertaannya sebagai peserta {text.programme}", REGULAR, 12,
             width)
    lines = _wrap(f"“{text.title}”", BOLD, 15, 620)[:2]
    y = 272
    for line in lines:
        _centred(c, y, line, BOLD, 15, width, colour=NAVY, max_width=640)
        y -= 19
    _centred(c, y - 4, f"yang diselenggarakan oleh {text.organiser} pada {format_date(text.day)}",
             REGULAR, 11.5, width, max_width=660)
    _centred(c, y - 22, f"dengan bobot {jp_text(text.jp)} JP (jam pelajaran)", BOLD, 12, width)


def _qr(c: Canvas, text: CertificateText, x: float, y: float) -> None:
    """The QR code to the verification page, drawn module by module (runs merged)."""
    qr = segno.make(text.verify_url, error="m", micro=False)
    size = 92.0
    rows = [list(row) for row in qr.matrix_iter(scale=1, border=0)]
    module = size / len(rows)
    c.setFillColor(colors.white)
    c.rect(x - 4, y - 4, size + 8, size + 8, stroke=0, fill=1)
    c.setFillColor(colors.black)
    path = c.beginPath()
    for r, row in enumerate(rows):
        start = None
        for col, dark in enumerate([*row, 0]):
            if dark and start is None:
                start = col
            elif not dark and start is not None:
                path.rect(x + start * module, y + size - (r + 1) * module,
                          (col - start) * module, module)
                start = None
    c.drawPath(path, stroke=0, fill=1)
    c.setFont(REGULAR, 7.5)
    c.setFillColor(GREY)
    c.drawString(x + size + 10, y + 60, "Pindai untuk memeriksa")
    c.drawString(x + size + 10, y + 50, "keaslian sertifikat ini:")
    base, _, code = text.verify_url.rpartition("/")
    c.drawString(x + size + 10, y + 36, base.split("://", 1)[-1] + "/")
    c.setFont(BOLD, 7.5)
    c.drawString(x + size + 10, y + 26, code)


def _signature(c: Canvas, text: CertificateText, design: Design, x: float, y: float) -> None:
    centre = x + 100
    c.setFillColor(INK)
    c.setFont(REGULAR, 10.5)
    c.drawCentredString(centre, y + 118, f"Diterbitkan {format_date(text.issued_on)}")
    for i, line in enumerate(_wrap(text.signer_position, REGULAR, 10.5, 220)[:2]):
        c.drawCentredString(centre, y + 102 - i * 13, line)
    if design.signature is not None:
        c.drawImage(_image(design.signature), centre - 70, y + 20, 140, 56,
                    preserveAspectRatio=True, mask="auto")
    if text.signer_name:
        c.setFont(BOLD, 11)
        c.drawCentredString(centre, y + 6, text.signer_name)
        half = min(pdfmetrics.stringWidth(text.signer_name, BOLD, 11), 220) / 2
        c.setLineWidth(0.6)
        c.setStrokeColor(INK)
        c.line(centre - half, y + 3, centre + half, y + 3)
    else:
        c.setFont(ITALIC, 9)
        c.drawCentredString(centre, y + 6, "(ditandatangani secara elektronik)")


def _sample_mark(c: Canvas, width: float, height: float) -> None:
    c.saveState()
    c.setFillColor(colors.Color(0.8, 0.1, 0.1, alpha=0.18))
    c.setFont(BOLD, 120)
    c.translate(width / 2, height / 2)
    c.rotate(20)
    c.drawCentredString(0, -40, "CONTOH")
    c.restoreState()


# --- the transcript -----------------------------------------------------------------------


@dataclass(frozen=True)
class TranscriptLine:
    """One attended session in a transcript."""

    day: date
    programme: str
    title: str
    jp: float
    number: str | None  # the valid certificate's number, if any


@dataclass(frozen=True)
class TranscriptText:
    """A person's year: who, what, and the target."""

    year: int
    name: str
    nip: str | None
    instansi: str
    organiser: str
    lines: Sequence[TranscriptLine]
    target: int
    made_on: date
    verify_base: str  # where certificates are checked ({PUBLIC_URL}/verifikasi)


def render_transcript(text: TranscriptText) -> bytes:
    """The "Rekap JP" of a year as an A4 portrait PDF (as many pages as it takes)."""
    _register_fonts()
    out = io.BytesIO()
    c = Canvas(out, pagesize=A4, pageCompression=1)
    c.setTitle(f"Rekap JP {text.year}")
    c.setAuthor(text.organiser)
    width, height = A4
    y = _transcript_head(c, text, width, height)
    total = 0.0
    for i, line in enumerate(text.lines, 1):
        if y < 90:
            c.showPage()
            y = height - 60
        y = _transcript_row(c, i, line, y)
        total += line.jp if text.nip else 0.0
    c.setStrokeColor(NAVY)
    c.line(40, y + 4, width - 40, y + 4)
    c.setFont(BOLD, 11)
    c.setFillColor(INK)
    c.drawString(40, y - 14, f"Total: {jp_text(total)} JP dari target {text.target} JP per tahun")
    if not text.nip:
        c.setFont(ITALIC, 9)
        c.drawString(40, y - 30, "NIP belum diisi: kehadiran belum dihitung sebagai JP.")
    c.setFont(REGULAR, 8)
    c.setFillColor(GREY)
    c.drawString(40, 48, f"Dibuat otomatis oleh bot ASN Dahar Ngopi, {format_date(text.made_on)}.")
    c.drawString(40, 37, "Keaslian setiap sertifikat dapat diperiksa dengan kode QR-nya, di "
                 f"{text.verify_base}/…")
    c.showPage()
    c.save()
    return out.getvalue()


def _transcript_head(c: Canvas, text: TranscriptText, width: float, height: float) -> float:
    c.setFillColor(NAVY)
    c.setFont(BOLD, 11)
    c.drawString(40, height - 50, text.organiser.upper())
    c.setFont(BOLD, 20)
    c.drawString(40, height - 80, f"Rekap JP {text.year}")
    c.setFillColor(INK)
    c.setFont(REGULAR, 10.5)
    c.drawString(40, height - 102, f"Nama: {text.name}")
    c.drawString(40, height - 116, f"NIP: {format_nip(text.nip) if text.nip else '—'}")
    c.drawString(40, height - 130, f"Instansi/OPD: {text.instansi or '—'}")
    c.setFont(BOLD, 9)
    y = height - 158
    for x, label in ((40, "No"), (64, "Tanggal"), (124, "Program / Judul"), (430, "JP"),
                     (462, "Nomor sertifikat")):
        c.drawString(x, y, label)
    c.setStrokeColor(NAVY)
    c.line(40, y - 5, width - 40, y - 5)
    return y - 20


def _transcript_row(c: Canvas, i: int, line: TranscriptLine, y: float) -> float:
    c.setFont(REGULAR, 9)
    c.setFillColor(INK)
    c.drawString(40, y, str(i))
    c.drawString(64, y, f"{line.day:%d/%m/%Y}")
    c.drawString(430, y, jp_text(line.jp))
    c.drawString(462, y, line.number or "—")
    c.setFillColor(GREY)
    c.drawString(124, y, line.programme[:50])
    c.setFillColor(INK)
    titles = _wrap(line.title, REGULAR, 9, 295)[:2]
    for j, part in enumerate(titles):
        c.drawString(124, y - 11 * (j + 1), part)
    return y - 11 * (len(titles) + 1) - 6
