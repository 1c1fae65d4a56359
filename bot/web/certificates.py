"""Certificates in the konsol: a session's sample certificate (a PDF marked CONTOH, before
the session runs) from its Jadwal page."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.web.konsol import Konsol, Who
from core.config import CertificateConfig
from db.models import LearningSession
from schedules.certificate_documents import PDF, sample_certificate, sample_text
from schedules.certificate_pdf import certificate_filename

__all__ = ["no_sample_because", "routes"]

OFF = ("Sertifikat elektronik belum aktif: alamat publik bot (PUBLIC_URL) belum diatur, "
       "sehingga belum ada sertifikat yang diterbitkan maupun contohnya. Mohon hubungi "
       "operator server bila sertifikat ingin diterbitkan.")


def no_sample_because(config: CertificateConfig, *, jp: float, status: str) -> str:
    """Why a session has no sample certificate to show ('' when it has one)."""
    if not config.enabled:
        return OFF
    if status == "batal":
        return "Sesi yang dibatalkan tidak mendapat sertifikat."
    if not jp:
        return ("Sesi tanpa JP tidak mendapat sertifikat. Isi JP lalu simpan untuk melihat "
                "contoh sertifikatnya.")
    return ""


async def sample(k: Konsol, request: Request, who: Who) -> Response:
    """The session's certificate with a made-up holder, "CONTOH" across it (a download)."""
    async with k.sessions() as db:
        s = await db.get(LearningSession, int(request.path_params["sid"]))
    if s is None:
        return k.problem(request, who, 404, "Sesi tidak ditemukan", "Sesi ini tidak ada.")
    config, now = k.deps.config, k.now()
    why = no_sample_because(config.certificates, jp=float(s.jp or 0), status=s.status)
    if why:
        return k.problem(request, who, 409, "Contoh sertifikat belum tersedia", why)
    pdf = await asyncio.to_thread(sample_certificate, s, config, now)
    number = sample_text(s, config.certificates, now, config.tz).number
    name = f"Contoh_{certificate_filename(number, s.title)}"  # ASCII: the title is slugged
    return Response(pdf, media_type=PDF, headers={
        "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "no-store",
    })


def routes(k: Konsol) -> list[Route]:
    """The sample certificate."""
    return [k.route("/jadwal/sesi/{sid:int}/contoh-sertifikat", sample)]
