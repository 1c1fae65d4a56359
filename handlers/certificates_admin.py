"""Admin files after sessions: the SIASN course records of a year (/siasn) and a session's
evaluations (/evaluasi), both audited like every export."""

from __future__ import annotations

from typing import IO

from sqlalchemy.ext.asyncio import AsyncSession

from core.text import esc
from core.types import Reply
from db.learning import evaluation_summary
from handlers.attendance_admin import deliver_file, find_session
from handlers.evaluation import summary_lines
from handlers.export_files import Format, export_evaluations, export_siasn
from handlers.router import Context, Replies, Router

__all__ = ["router"]

router = Router("certificates-admin", admin=True)


def _actor(ctx: Context) -> str:
    return f"{ctx.incoming.channel}:{ctx.incoming.user_id}"


def _format(words: list[str]) -> tuple[Format, list[str]]:
    fmt: Format = "csv" if "csv" in words else "xlsx"
    return fmt, [w for w in words if w not in ("csv", "xlsx")]


@router.command("siasn", description="Ekspor riwayat kursus untuk SIASN; /siasn [TAHUN] [csv]",
                max_len=30, args=r"(\d{4}(\s+(csv|xlsx))?|csv|xlsx)")
async def siasn(ctx: Context) -> Replies:
    """One SIASN course record per person with a NIP and attended session with JP, as a
    file a BKD operator completes and uploads."""
    fmt, words = _format(ctx.args.lower().split())
    this_year = ctx.now.astimezone(ctx.deps.config.tz).year
    if len(words) > 1 or (words and not words[0].isdigit()):
        return Reply("Contoh: /siasn, /siasn 2026, /siasn 2026 csv")
    year = int(words[0]) if words else this_year
    if not 2000 <= year <= this_year:
        return Reply("Contoh: /siasn, /siasn 2026, /siasn 2026 csv")
    deps, actor = ctx.deps, _actor(ctx)
    organiser = deps.config.certificates.organiser

    async def write(db: AsyncSession, stream: IO[bytes]) -> int:
        return await export_siasn(db, stream, year=year, fmt=fmt, organiser=organiser)

    limit = deps.channels[ctx.incoming.channel].upload_limit

    async def build() -> Replies:
        return await deliver_file(
            deps, actor=actor, action="siasn_export", detail=f"SIASN {year}",
            stem=f"siasn_kursus_{year}", fmt=fmt, write=write, upload_limit=limit,
            caption=f"📥 Riwayat kursus {year} untuk SIASN: {{rows}} baris.\n"
                    "Kolom pnsOrangId, instansiId, lokasiId dan jenisDiklatId dilengkapi "
                    "operator BKD. Berisi NIP (data pribadi): simpan dan bagikan seperlunya.",
        )

    ctx.after_commit.append(build)
    return Reply(f"⏳ Menyiapkan ekspor SIASN {year}…")


@router.command("evaluasi", description="Ringkasan dan ekspor evaluasi; /evaluasi SESI [csv]",
                max_len=80, args=r"\S+(\s+(csv|xlsx))?")
async def evaluasi(ctx: Context) -> Replies:
    """A session's evaluation summary, with the file of every (anonymous) evaluation."""
    fmt, words = _format(ctx.args.split())
    if len(words) != 1:
        return Reply("Contoh: /evaluasi 20261126-asn-belajar-0900 (ID atau kode sesi, lihat "
                     "/statistik), /evaluasi 12 csv")
    s = await find_session(ctx, words[0])
    if s is None:
        return Reply(f"Sesi “{esc(words[0])}” tidak ditemukan (gunakan ID atau kode sesi).")
    summary = await evaluation_summary(ctx.db, s.id)
    deps, actor, sid, title, tz = ctx.deps, _actor(ctx), s.id, s.title, ctx.deps.config.tz

    async def write(db: AsyncSession, stream: IO[bytes]) -> int:
        return await export_evaluations(db, stream, session_id=sid, title=title, fmt=fmt,
                                        tz=tz)

    limit = deps.channels[ctx.incoming.channel].upload_limit

    async def build() -> Replies:
        return await deliver_file(
            deps, actor=actor, action="evaluation_export", detail=f"evaluasi sesi {sid}",
            stem=f"evaluasi_sesi_{sid}", fmt=fmt, write=write, upload_limit=limit,
            caption=f"📥 Evaluasi {title}: {{rows}} baris (tanpa identitas peserta).",
        )

    if summary.started:
        ctx.after_commit.append(build)
    return Reply(f"📝 <b>Evaluasi · {esc(s.title)}</b>\n" + "\n".join(summary_lines(summary)))
