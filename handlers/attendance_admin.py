"""Admin side of attendance: /statistik (chart), /ekspor and /jp (files), /koreksi, /audit."""

from __future__ import annotations

import asyncio
import logging
import re
import tempfile
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import IO, ClassVar

from sqlalchemy.ext.asyncio import AsyncSession

from core.callbacks import CallbackData
from core.programme import PROGRAMMES, by_key
from core.text import esc
from core.timezones import format_date, format_time
from core.types import Attachment, Button, Reply
from db.attendance import (
    JP_TARGET,
    SessionCount,
    counts_between,
    recent_audit,
    session_breakdown,
    write_audit,
)
from db.learning import evaluation_summary
from db.models import LearningSession
from db.people import person_by_nip
from handlers.attendance_corrections import MIN_REASON, correct_attendance
from handlers.audit_names import with_names
from handlers.charts import breakdown_chart, overview_chart, week_start
from handlers.evaluation import summary_lines
from handlers.export_files import Format, export_attendance, export_jp, zip_file
from handlers.nip import NipError, mask_nip, parse_nip
from handlers.router import Context, Deps, Replies, Router
from schedules.calendar import session_by_code

__all__ = [
    "ZIP_OVER",
    "ExportPick",
    "StatsPick",
    "deliver_file",
    "find_session",
    "parse_period",
    "router",
]

log = logging.getLogger(__name__)

router = Router("attendance-admin", admin=True)

STATS_WEEKS = 8
ZIP_OVER = 8 * 1024 * 1024  # larger files are zipped (a CSV shrinks five- to tenfold)
_MIME = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "zip": "application/zip",
}
FileWriter = Callable[[AsyncSession, IO[bytes]], Awaitable[int]]
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des")


@dataclass(frozen=True)
class StatsPick(CallbackData):
    """Statistics of one session."""

    prefix: ClassVar[str] = "ast"
    session: int


@dataclass(frozen=True)
class ExportPick(CallbackData):
    """An export period (m0 this month, m1 last month, y0 this year, y1 last year) and format."""

    prefix: ClassVar[str] = "aex"
    period: str
    fmt: str  # x (xlsx) or c (csv)


def _actor(ctx: Context) -> str:
    return f"{ctx.incoming.channel}:{ctx.incoming.user_id}"


def _today(ctx: Context) -> date:
    return ctx.now.astimezone(ctx.deps.config.tz).date()


def _region_name(deps: Deps, code: str | None) -> str:
    region = deps.regions.get(code)
    return region.name if region else (code or "")


def _safely(build: Callable[[], Awaitable[Replies]]) -> Callable[[], Awaitable[Replies]]:
    """A job after the commit that answers with an apology instead of failing silently."""

    async def job() -> Replies:
        try:
            return await build()
        except Exception:
            log.exception("building an attendance file or chart failed")
            return Reply("Maaf, terjadi gangguan saat menyiapkan data. Silakan coba lagi.")

    return job


# --- /statistik -----------------------------------------------------------------------


def _summary(counts: list[SessionCount], first: date, last: date, *, buttons: bool) -> str:
    total = sum(c.count for c in counts)
    held = [c for c in counts if c.day <= last]
    lines = [
        f"📈 <b>Kehadiran {STATS_WEEKS} minggu terakhir</b> ({first:%d/%m} – {last:%d/%m/%Y})",
        f"Total: <b>{total:,}</b> kehadiran di {len(held)} sesi".replace(",", "."),
    ]
    if held:
        avg = total / len(held)
        lines[-1] += f" (rata-rata {avg:.0f} per sesi)" if avg >= 10 else \
            f" (rata-rata {avg:.1f} per sesi)".replace(".", ",")
    by_prog: Counter[str] = Counter()
    sessions: Counter[str] = Counter()
    for c in counts:
        by_prog[c.programme_key] += c.count
        sessions[c.programme_key] += 1
    for p in PROGRAMMES:
        if sessions[p.key]:
            lines.append(f"• {esc(p.name)}: {by_prog[p.key]} ({sessions[p.key]} sesi)")
    if total:
        top = max(counts, key=lambda c: c.count)
        lines.append(f"Terbanyak: {esc(top.title)} ({top.day:%d/%m}) — {top.count}")
    lines.append("\nRincian satu sesi: pilih tombol di bawah, atau /statistik ID_SESI."
                 if buttons else "\nRincian satu sesi: /statistik ID_SESI.")
    return "\n".join(lines)


def _session_line(c: SessionCount) -> str:
    return f"{c.day:%d/%m} {c.title}"[:48] + f" · {c.count}"


async def _overview(ctx: Context) -> Replies:
    deps, last = ctx.deps, _today(ctx)
    first = week_start(last) - timedelta(weeks=STATS_WEEKS - 1)
    buttons_for = ctx.button

    async def build() -> Replies:
        async with deps.sessions() as db:
            counts = await counts_between(db, first, last)
        png = await asyncio.to_thread(overview_chart, counts, first, last)
        # The sessions held lately, attended or not: the text points at these buttons.
        recent = [c for c in counts if c.day <= last][-8:][::-1]
        buttons = [[buttons_for(_session_line(c), StatsPick(c.session_id))] for c in recent]
        return Reply(
            _summary(counts, first, last, buttons=bool(buttons)), buttons=buttons,
            photo=Attachment(f"statistik-{last:%Y%m%d}.png", "image/png", len(png),
                             content=png),
        )

    ctx.after_commit.append(_safely(build))
    return None


async def _one_session(ctx: Context, s: LearningSession) -> Replies:
    deps, session_id = ctx.deps, s.id
    title = f"{s.title} ({s.day:%d/%m/%Y})"
    header = (
        f"📊 <b>{esc(s.title)}</b>\n{esc(by_key(s.programme_key).name)} · {format_date(s.day)} "
        f"· ID {s.id} · kode {esc(s.code)}"
    )

    async def build() -> Replies:
        async with deps.sessions() as db:
            b = await session_breakdown(db, session_id)
            evaluations = await evaluation_summary(db, session_id)
        regions = [(_region_name(deps, code) or "(tidak diisi)", n) for code, n in b.by_region]
        instansi = [(name or "(tidak diisi)", n) for name, n in b.by_instansi]
        png = await asyncio.to_thread(breakdown_chart, title, regions, instansi)
        lines = [
            header,
            f"Kehadiran: <b>{b.total}</b> (ber-NIP, terhitung JP: {b.credited})",
            "Kanal: " + (", ".join(f"{esc(ch)} {n}" for ch, n in b.by_channel) or "—"),
            "\n<b>Per kabupaten/kota</b>",
            *[f"• {esc(name)}: {n}" for name, n in regions[:10]],
            "\n<b>Per instansi</b>",
            *[f"• {esc(name)}: {n}" for name, n in instansi[:10]],
            "\n<b>Evaluasi</b> (ekspor: /evaluasi " + str(session_id) + ")",
            *summary_lines(evaluations),
        ]
        return Reply("\n".join(lines),
                     photo=Attachment(f"statistik-sesi-{session_id}.png", "image/png",
                                      len(png), content=png))

    ctx.after_commit.append(_safely(build))
    return None


async def find_session(ctx: Context, ref: str) -> LearningSession | None:
    if ref.isdigit():
        found = await ctx.db.get(LearningSession, int(ref))
        if found is not None:
            return found
    return await session_by_code(ctx.db, ref)


@router.command("statistik", description="Statistik kehadiran (grafik); /statistik ID_SESI",
                max_len=60, args=r"\S*\d\S*")
async def statistik(ctx: Context) -> Replies:
    """The last weeks as a chart with a summary, or one session by region and instansi."""
    ref = ctx.args.strip()
    if not ref:
        return await _overview(ctx)
    s = await find_session(ctx, ref)
    if s is None:
        return Reply(f"Sesi “{esc(ref)}” tidak ditemukan. Gunakan ID atau kode sesi "
                     "(lihat tombol pada /statistik).")
    return await _one_session(ctx, s)


@router.callback(StatsPick)
async def stats_picked(ctx: Context, data: StatsPick) -> Replies:
    """A session button of /statistik."""
    s = await ctx.db.get(LearningSession, data.session)
    if s is None:
        return Reply(text="", notice="Sesi tidak ditemukan.")
    return await _one_session(ctx, s)


# --- /ekspor and /jp ------------------------------------------------------------------


def _month(day: date, back: int) -> tuple[date, date]:
    y, m = day.year, day.month - back
    while m < 1:
        y, m = y - 1, m + 12
    first = date(y, m, 1)
    nxt = date(y + (m == 12), m % 12 + 1, 1)
    return first, nxt - timedelta(days=1)


def _named_period(code: str, today: date) -> tuple[date, date] | None:
    if code in ("m0", "m1"):
        return _month(today, int(code[1]))
    if code in ("y0", "y1"):
        y = today.year - int(code[1])
        return date(y, 1, 1), date(y, 12, 31)
    return None


def parse_period(text: str, today: date) -> tuple[date, date] | None:
    """'', 'bulan ini', 'bulan lalu', 'tahun ini', '2026-11', '2026', or two ISO dates."""
    words = text.lower().split()
    joined = " ".join(words)
    named = {"": "m0", "bulan ini": "m0", "bulan lalu": "m1", "tahun ini": "y0",
             "tahun lalu": "y1"}
    if joined in named:
        return _named_period(named[joined], today)
    if re.fullmatch(r"\d{4}-\d{2}", joined):
        y, m = map(int, joined.split("-"))
        if 1 <= m <= 12:
            return _month(date(y, m, 1), 0)
        return None
    if re.fullmatch(r"\d{4}", joined):
        return date(int(joined), 1, 1), date(int(joined), 12, 31)
    if len(words) == 2:
        try:
            first, last = date.fromisoformat(words[0]), date.fromisoformat(words[1])
        except ValueError:
            return None
        return (first, last) if first <= last else None
    return None


# What may follow the bare word "ekspor": a format, a period, or both.
_EKSPOR_ARGS = (
    r"((csv|xlsx)\s*)?(bulan ini|bulan lalu|tahun ini|tahun lalu|\d{4}(-\d{2})?"
    r"|\d{4}-\d{2}-\d{2}\s+\d{4}-\d{2}-\d{2})?"
)


def _period_label(first: date, last: date) -> str:
    if first.day == 1 and (last + timedelta(days=1)).day == 1 and first.month == last.month:
        return f"{_MONTHS[first.month - 1]} {first.year}"
    return f"{first:%d/%m/%Y} – {last:%d/%m/%Y}"


def _export_buttons(ctx: Context) -> list[list[Button]]:
    today = _today(ctx)
    rows = []
    for code, label in (("m0", "Bulan ini"), ("m1", "Bulan lalu"), ("y0", "Tahun ini")):
        period = _named_period(code, today)
        assert period is not None
        name = f"{label} ({_period_label(*period)})"
        rows.append([ctx.button(f"📗 {name} · XLSX", ExportPick(code, "x")),
                     ctx.button("CSV", ExportPick(code, "c"))])
    return rows


async def deliver_file(
    deps: Deps, *, actor: str, action: str, detail: str, stem: str, fmt: Format,
    write: FileWriter, caption: str, upload_limit: int,
) -> Reply:
    """Build a file with `write(session, stream) -> rows` in a temporary folder, zip it when
    large, log the export in the audit log, and return it as a document."""
    with tempfile.TemporaryDirectory(prefix="ekspor-") as folder:
        path = Path(folder) / f"{stem}.{fmt}"
        stream = await asyncio.to_thread(path.open, "wb")
        try:
            async with deps.sessions() as db:
                rows: int = await write(db, stream)
        finally:
            await asyncio.to_thread(stream.close)
        size = (await asyncio.to_thread(path.stat)).st_size
        kind: str = fmt
        if size > ZIP_OVER:
            zipped = path.with_suffix(path.suffix + ".zip")
            await asyncio.to_thread(zip_file, path, zipped, path.name)
            path, kind = zipped, "zip"
            size = (await asyncio.to_thread(path.stat)).st_size
        if size > upload_limit:
            return Reply(
                f"Berkas ekspor terlalu besar untuk dikirim lewat chat ({size / 2**20:.0f} MB, "
                f"batas {upload_limit / 2**20:.0f} MB). Pilih periode yang lebih pendek, atau "
                "gunakan perintah "
                "<code>dahar-ngopi absensi export</code> di server."
            )
        data = await asyncio.to_thread(path.read_bytes)
        async with deps.sessions() as db, db.begin():
            await write_audit(db, at=deps.clock.now(), actor=actor, action=action,
                              detail=f"{detail}, {kind} {size} B", rows=rows)
        log.info("%s by %s: %d rows, %d bytes", action, actor.split(":")[0], rows, size)
        return Reply(
            caption.format(rows=f"{rows:,}".replace(",", ".")),
            document=Attachment(path.name, _MIME[kind], size, content=data),
        )


async def _export(ctx: Context, first: date, last: date, fmt: Format) -> Replies:
    deps, actor = ctx.deps, _actor(ctx)
    tz = deps.config.tz
    label = _period_label(first, last)

    async def write(db: AsyncSession, stream: IO[bytes]) -> int:
        return await export_attendance(
            db, stream, first=first, last=last, fmt=fmt, tz=tz,
            region=lambda code: _region_name(deps, code),
        )

    limit = ctx.deps.channels[ctx.incoming.channel].upload_limit

    async def build() -> Replies:
        return await deliver_file(
            deps, actor=actor, action="export", detail=f"presensi {first}..{last}",
            stem=f"presensi_{first}_{last}", fmt=fmt, write=write, upload_limit=limit,
            caption=f"📥 Ekspor presensi {label}: {{rows}} baris.\n"
                    "Berisi NIP (data pribadi): simpan dan bagikan seperlunya.",
        )

    ctx.after_commit.append(_safely(build))
    return Reply(f"⏳ Menyiapkan ekspor presensi {label}…", notice="Menyiapkan ekspor…")


@router.command("ekspor", description="Ekspor presensi (XLSX/CSV); /ekspor [csv] [2026-11]",
                max_len=60, args=_EKSPOR_ARGS)
async def ekspor(ctx: Context) -> Replies:
    """Buttons for a period, or the export of a typed period (this month by default)."""
    words = ctx.args.lower().split()
    if not words:
        return Reply("📥 <b>Ekspor presensi</b>\nPilih periode (bawaan: bulan ini) dan "
                     "format. Satu baris per kehadiran, dengan NIP, nama, instansi, "
                     "kabupaten/kota, sesi, waktu presensi, kanal dan JP.",
                     buttons=_export_buttons(ctx))
    fmt: Format = "xlsx"
    if words[0] in ("csv", "xlsx"):
        fmt = "csv" if words.pop(0) == "csv" else "xlsx"
    period = parse_period(" ".join(words), _today(ctx))
    if period is None:
        return Reply("Periode tidak dikenal. Contoh: /ekspor, /ekspor csv, /ekspor 2026-11, "
                     "/ekspor xlsx 2026, /ekspor 2026-11-01 2026-11-15, /ekspor bulan lalu")
    return await _export(ctx, *period, fmt)


@router.callback(ExportPick)
async def export_picked(ctx: Context, data: ExportPick) -> Replies:
    """A period button of /ekspor."""
    period = _named_period(data.period, _today(ctx))
    if period is None or data.fmt not in ("x", "c"):
        return Reply(text="", notice="Tombol ini sudah tidak berlaku.")
    return await _export(ctx, *period, "xlsx" if data.fmt == "x" else "csv")


@router.command("jp", description="Rekap JP per ASN setahun (berkas); /jp [TAHUN] [csv]",
                max_len=30, args=r"(\d{4}(\s+(csv|xlsx))?|csv|xlsx)")
async def jp(ctx: Context) -> Replies:
    """The yearly JP summary per person with a NIP, as a file."""
    words = ctx.args.lower().split()
    fmt: Format = "csv" if "csv" in words else "xlsx"
    years = [w for w in words if w.isdigit()]
    year = int(years[0]) if years else _today(ctx).year
    if not 2000 <= year <= 2100 or len(words) > len(years) + ("csv" in words or "xlsx" in words):
        return Reply("Contoh: /jp, /jp 2026, /jp 2026 csv")
    deps, actor = ctx.deps, _actor(ctx)

    async def write(db: AsyncSession, stream: IO[bytes]) -> int:
        return await export_jp(db, stream, year=year, fmt=fmt,
                               region=lambda code: _region_name(deps, code))

    limit = ctx.deps.channels[ctx.incoming.channel].upload_limit

    async def build() -> Replies:
        return await deliver_file(
            deps, actor=actor, action="jp_export", detail=f"JP {year}", stem=f"jp_{year}",
            fmt=fmt, write=write, upload_limit=limit,
            caption=f"📥 Rekap JP {year}: {{rows}} ASN ber-NIP (target {JP_TARGET} JP).\n"
                    "Berisi NIP (data pribadi): simpan dan bagikan seperlunya.",
        )

    ctx.after_commit.append(_safely(build))
    return Reply(f"⏳ Menyiapkan rekap JP {year}…")


# --- /koreksi -------------------------------------------------------------------------

KOREKSI_USAGE = (
    "Koreksi presensi (tercatat di log audit):\n"
    "/koreksi tambah NIP ID_ATAU_KODE_SESI alasan\n"
    "/koreksi hapus NIP ID_ATAU_KODE_SESI alasan\n"
    "Contoh: /koreksi tambah 198507142010012003 FBI-2026-11-23 hadir via Zoom, nama tidak "
    "terbaca"
)


@router.command("koreksi", description="Tambah/hapus presensi seseorang (dengan alasan)",
                max_len=400, args=r"(tambah|hapus)\s+\S+\s+\S+\s+\S.*")
async def koreksi(ctx: Context) -> Replies:
    """Add or remove a person's attendance of a session, with a reason, audited."""
    parts = ctx.args.split(maxsplit=3)
    if len(parts) < 4 or parts[0].lower() not in ("tambah", "hapus"):
        return Reply(KOREKSI_USAGE)
    action, raw_nip, ref, reason = parts[0].lower(), parts[1], parts[2], parts[3].strip()
    if len(reason) < MIN_REASON:
        return Reply("Mohon tuliskan alasan koreksi (minimal 5 karakter).\n\n" + KOREKSI_USAGE)
    try:
        nip = parse_nip(raw_nip)
    except NipError as exc:
        return Reply(f"❌ {esc(str(exc))}")
    person = await person_by_nip(ctx.db, nip)
    if person is None:
        return Reply(f"Tidak ada peserta terdaftar dengan NIP {esc(nip)}.")
    s = await find_session(ctx, ref)
    if s is None:
        return Reply(f"Sesi “{esc(ref)}” tidak ditemukan (gunakan ID atau kode sesi).")
    who = esc(person.full_name or mask_nip(nip))
    what = f"{who} — {esc(s.title)} ({s.day:%d/%m/%Y})"
    outcome = await correct_attendance(ctx.db, add=action == "tambah", person=person, session=s,
                                       reason=reason, actor=_actor(ctx), now=ctx.now,
                                       channels=ctx.deps.channels.delivering())
    found = outcome.record
    if action == "tambah":
        if not outcome.changed:
            assert found is not None
            return Reply(f"Presensi {what} sudah ada (tercatat "
                         f"{format_time(found.reported_at, 'WIB')}, {esc(found.channel)}). "
                         "Tidak ada yang diubah.")
        done = f"✅ Presensi ditambahkan: {what}."
    else:
        if found is None:
            return Reply(f"{what}: tidak ada presensi untuk dihapus.")
        done = (f"✅ Presensi dihapus: {what} (semula tercatat "
                f"{found.reported_at.astimezone(ctx.deps.config.tz):%d/%m/%Y %H.%M}, "
                f"{esc(found.channel)}).")
        if outcome.revoked is not None:
            done += f"\nSertifikat {esc(outcome.revoked)} dicabut."
    return Reply(done + "\nAlasan: " + esc(reason) + "\nTercatat di log audit.")


# --- /audit ---------------------------------------------------------------------------

_ACTIONS = {
    "export": "ekspor presensi",
    "jp_export": "ekspor rekap JP",
    "correction_add": "koreksi: tambah",
    "correction_remove": "koreksi: hapus",
    "siasn_export": "ekspor SIASN",
    "evaluation_export": "ekspor evaluasi",
}


@router.command("audit", description="Log audit ekspor dan koreksi (pemilik)", max_len=10,
                args=r"\d{1,3}")
async def audit(ctx: Context) -> Replies:
    """The latest audit entries; only owners may read them (the people they name, by id,
    are looked up as the log is shown)."""
    if not ctx.is_owner:
        return Reply("Maaf, log audit hanya dapat dibuka oleh pemilik (owner) bot.")
    n = int(ctx.args) if ctx.args.strip().isdigit() else 20
    entries = await recent_audit(ctx.db, min(max(n, 1), 100))
    if not entries:
        return Reply("Log audit masih kosong.")
    tz = ctx.deps.config.tz
    lines = [f"🧾 <b>Log audit</b> ({len(entries)} terbaru)"]
    named = await with_names(ctx.db, [f"{e.actor}\n{e.detail}" for e in entries])
    for e, text in zip(entries, named, strict=True):
        actor, detail = text.split("\n", 1)
        lines.append(
            f"• {e.at.astimezone(tz):%d/%m/%Y %H.%M} {esc(actor)} — "
            f"{_ACTIONS.get(e.action, esc(e.action))}: {esc(detail)} ({e.rows} baris)"
        )
    return Reply("\n".join(lines))
