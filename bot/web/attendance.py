"""Kehadiran: sessions with their attendance, one session's list, chart and evaluations,
exports (CSV with `,` or `;`, XLSX, as the CLI writes them), corrections with a reason, JP per
person."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import IO

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.web.calendar import MONTHS, month_of
from bot.web.evaluations import evaluation_card
from bot.web.exports import export_file, format_of
from bot.web.konsol import Konsol, Who, int_arg, text_of
from bot.web.siasn import siasn_years
from db.attendance import JP_TARGET, counts_between, session_breakdown
from db.certificates import count_valid
from db.directory import attendees_query, counts_of, jp_of, jp_people_query, sessions_query
from db.models import LearningSession
from db.paging import page_of
from db.people import person_by_nip
from handlers.attendance_corrections import MIN_REASON, correct_attendance
from handlers.charts import breakdown_chart, overview_chart
from handlers.export_files import export_attendance, export_jp
from handlers.nip import NipError, parse_nip

__all__ = ["routes"]


def _next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


async def index(k: Konsol, request: Request, who: Who) -> Response:
    """The month's sessions with their attendance, the chart, the export form."""
    first = month_of(request, k.today())
    last = _next_month(first) - timedelta(days=1)
    async with k.sessions() as db:
        page = await page_of(db, sessions_query(first, last), int_arg(request, "hal"),
                             scalars=True)
        counts = await counts_of(db, [s.id for s in page.rows])
        years = await siasn_years(db, k.today().year)
    return k.render(request, "attendance.html", who, page=page, counts=counts, first=first,
                    last=last,
                    title=f"{MONTHS[first.month - 1]} {first.year}",
                    previous=f"{first - timedelta(days=1):%Y-%m}",
                    following=f"{_next_month(first):%Y-%m}", year=k.today().year,
                    siasn_years=years)


async def _png(data: bytes) -> Response:
    return Response(data, media_type="image/png", headers={"Cache-Control": "no-store"})


async def month_chart(k: Konsol, request: Request, who: Who) -> Response:
    """The month's attendance per session and per programme per week."""
    first = month_of(request, k.today())
    last = _next_month(first) - timedelta(days=1)
    async with k.sessions() as db:
        counts = await counts_between(db, first, last)
    return await _png(await asyncio.to_thread(overview_chart, counts, first, last))


async def _session(k: Konsol, request: Request) -> LearningSession | None:
    async with k.sessions() as db:
        return await db.get(LearningSession, int(request.path_params["sid"]))


async def session_page(k: Konsol, request: Request, who: Who) -> Response:
    """Who attended (personal data: the view is audited), the breakdown, corrections."""
    s = await _session(k, request)
    if s is None:
        return k.problem(request, who, 404, "Sesi tidak ditemukan", "Sesi ini tidak ada.")
    async with k.sessions() as db:
        breakdown = await session_breakdown(db, s.id, top=10)
        page = await page_of(db, attendees_query(s.id), int_arg(request, "hal"))
        evaluations = await evaluation_card(db, s)
        certificates = await count_valid(db, s.id)
    shown = ", ".join(f"person:{row[0]}" for row in page.rows)
    await k.audit(who, "view_attendance",
                  f"konsol: presensi sesi {s.id} hal. {page.number}: {shown}", len(page.rows))
    return k.render(request, "attendance_session.html", who, s=s, b=breakdown, page=page,
                    note=request.query_params.get("pesan", ""), min_reason=MIN_REASON,
                    ev=evaluations, certificates=certificates,
                    certificates_on=k.deps.config.certificates.enabled)


async def session_chart(k: Konsol, request: Request, who: Who) -> Response:
    """One session by kabupaten/kota and instansi."""
    s = await _session(k, request)
    if s is None:
        return Response(status_code=404)
    async with k.sessions() as db:
        b = await session_breakdown(db, s.id)
    regions = [(k.region_name(code) if code else "(tidak diisi)", n) for code, n in b.by_region]
    instansi = [(name or "(tidak diisi)", n) for name, n in b.by_instansi]
    title = f"{s.title} ({s.day:%d/%m/%Y})"
    return await _png(await asyncio.to_thread(breakdown_chart, title, regions, instansi))


async def export(k: Konsol, request: Request, who: Who) -> Response:
    """Attendance of a period, or of one session (?sesi=), one row per attendance."""
    fmt, sep = format_of(request)
    sid = int_arg(request, "sesi", 0) or None
    try:
        first = date.fromisoformat(request.query_params.get("dari", ""))
        last = date.fromisoformat(request.query_params.get("sampai", ""))
    except ValueError:
        if sid is None:
            return k.problem(request, who, 422, "Periode belum benar",
                             "Isi tanggal awal dan akhir periode ekspor.")
        first, last = date(2000, 1, 1), date(2100, 12, 31)
    if sid is not None:
        async with k.sessions() as db:
            s = await db.get(LearningSession, sid)
        if s is None:
            return k.problem(request, who, 404, "Sesi tidak ditemukan", "Sesi ini tidak ada.")
        first = last = s.day
    tz, region = k.deps.config.tz, k.region_name

    async def write(db: AsyncSession, stream: IO[bytes]) -> int:
        return await export_attendance(db, stream, first=first, last=last, fmt=fmt, tz=tz,
                                       region=region, sep=sep, session_id=sid)

    stem = f"presensi_sesi_{sid}" if sid else f"presensi_{first}_{last}"
    detail = f"presensi sesi {sid}" if sid else f"presensi {first}..{last}"
    return await export_file(k, who, stem=stem, fmt=fmt, write=write, action="export",
                             detail=detail)


async def jp_page(k: Konsol, request: Request, who: Who) -> Response:
    """JP per person (with a NIP) for a year, a page at a time (audited: NIPs and names)."""
    year = int_arg(request, "tahun", k.today().year)
    year = year if 2000 <= year <= 2100 else k.today().year
    async with k.sessions() as db:
        page = await page_of(db, jp_people_query(), int_arg(request, "hal"))
        jp = await jp_of(db, [row[0] for row in page.rows], year)
    await k.audit(who, "view_jp", f"konsol: JP {year} hal. {page.number}: "
                                  + ", ".join(f"person:{row[0]}" for row in page.rows),
                  len(page.rows))
    return k.render(request, "jp.html", who, page=page, jp=jp, year=year, target=JP_TARGET)


async def jp_export(k: Konsol, request: Request, who: Who) -> Response:
    """The yearly JP file, as `dahar-ngopi absensi jp` writes it."""
    fmt, sep = format_of(request)
    year = int_arg(request, "tahun", k.today().year)

    async def write(db: AsyncSession, stream: IO[bytes]) -> int:
        return await export_jp(db, stream, year=year, fmt=fmt, region=k.region_name, sep=sep)

    return await export_file(k, who, stem=f"jp_{year}", fmt=fmt, write=write,
                             action="jp_export", detail=f"JP {year}")


async def correct(k: Konsol, request: Request, who: Who) -> Response:
    """Add or remove a person's attendance of this session, with a reason (audited)."""
    sid = int(request.path_params["sid"])
    form = await k.form(request)
    reason = text_of(form, "alasan", 300)
    add = text_of(form, "aksi") != "hapus"
    message = ""
    try:
        nip = parse_nip(text_of(form, "nip", 40))
    except NipError as exc:
        message = str(exc)
    if not message and len(reason) < MIN_REASON:
        message = f"Tuliskan alasan koreksi (minimal {MIN_REASON} karakter)."
    if not message:
        async with k.sessions() as db, db.begin():
            person = await person_by_nip(db, nip)
            s = await db.get(LearningSession, sid)
            if person is None or s is None:
                message = "Tidak ada peserta terdaftar dengan NIP itu."
            else:
                done = await correct_attendance(db, add=add, person=person, session=s,
                                                reason=reason, actor=who.actor, now=k.now(),
                                                channels=k.deps.channels.delivering())
                if add:
                    message = ("✅ Presensi ditambahkan." if done.changed
                               else "Presensi itu sudah ada; tidak ada yang diubah.")
                else:
                    message = ("✅ Presensi dihapus." if done.changed
                               else "Tidak ada presensi untuk dihapus.")
                    if done.revoked is not None:
                        message += f" Sertifikat {done.revoked} dicabut."
    from urllib.parse import quote

    return k.back(f"/konsol/kehadiran/sesi/{sid}?pesan={quote(message)}")


def routes(k: Konsol) -> list[Route]:
    """The attendance pages."""
    return [
        k.route("/kehadiran", index),
        k.route("/kehadiran/grafik.png", month_chart),
        k.route("/kehadiran/ekspor", export),
        k.route("/kehadiran/jp", jp_page),
        k.route("/kehadiran/jp/ekspor", jp_export),
        k.route("/kehadiran/sesi/{sid:int}", session_page),
        k.route("/kehadiran/sesi/{sid:int}/grafik.png", session_chart),
        k.route("/kehadiran/sesi/{sid:int}/koreksi", correct, methods=("POST",)),
    ]
