"""Admins send a calendar file (CSV, YAML, XLSX) to the bot; it is imported atomically."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from core.text import esc
from core.types import Reply
from db.attendance import sessions_with_attendance
from handlers.router import Context, Replies, Router
from schedules.calendar_import import CalendarImportError, import_calendar
from schedules.quiz_import import import_quiz_file, is_quiz_file

__all__ = ["CALENDAR_SUFFIXES", "router"]

log = logging.getLogger(__name__)

router = Router("calendar-admin", admin=True)

CALENDAR_SUFFIXES = (".csv", ".yaml", ".yml", ".xlsx")
MAX_CALENDAR_BYTES = 2 * 1024 * 1024

OnChange = Callable[[Any], Awaitable[object]]


@router.document()
async def calendar_file(ctx: Context) -> Replies:
    """Import a calendar file an admin sent; other files are left to other handlers."""
    doc = ctx.incoming.document
    if doc is None or not doc.filename.lower().endswith(CALENDAR_SUFFIXES):
        return None
    if ctx.fetch_file is None:
        return Reply("Maaf, berkas tidak dapat diunduh pada saluran ini.")
    if doc.size is not None and doc.size > MAX_CALENDAR_BYTES:
        return Reply("Berkas jadwal terlalu besar (maksimal 2 MB).")
    try:
        data = await ctx.fetch_file(doc)
    except Exception:
        log.exception("downloading a calendar file failed")
        return Reply("Maaf, berkas gagal diunduh. Silakan kirim ulang.")
    if len(data) > MAX_CALENDAR_BYTES:
        return Reply("Berkas jadwal terlalu besar (maksimal 2 MB).")
    if is_quiz_file(data, doc.filename):
        return await _quiz_file(ctx, data, doc.filename)
    force = "--force" in (ctx.incoming.text or "") or "paksa" in (ctx.incoming.text or "").lower()
    try:
        async with ctx.db.begin_nested():
            report = await import_calendar(
                ctx.db, data, filename=doc.filename, now=ctx.now,
                tz=ctx.deps.config.tz, force=force,
                has_attendance=partial(sessions_with_attendance, ctx.db),
            )
    except CalendarImportError as exc:
        return Reply(
            "❌ <b>Jadwal tidak diimpor</b> (tidak ada yang diubah):\n\n" + esc(exc.summary())
        )
    on_change = ctx.deps.on_calendar_change
    text = "✅ <b>Jadwal diimpor</b>\n\n" + esc(report.summary(ctx.deps.config.tz))
    if on_change is not None and report.changes:
        changes = report.changes

        async def notify() -> None:
            await on_change(changes)

        ctx.after_commit.append(notify)
        text += (
            "\n\n📣 Peserta yang sudah menerima info sesi yang berubah akan mendapat "
            "pemberitahuan; pengingat menyesuaikan dalam satu menit."
        )
    return Reply(text)


async def _quiz_file(ctx: Context, data: bytes, filename: str) -> Reply:
    """A file of quiz questions keyed by kode_sesi (a `pertanyaan` column)."""
    try:
        async with ctx.db.begin_nested():
            report = await import_quiz_file(ctx.db, data, filename=filename)
    except CalendarImportError as exc:
        return Reply("❌ <b>Kuis tidak diimpor</b> (tidak ada yang diubah):\n\n"
                     + esc(exc.summary("Kuis")))
    return Reply("✅ <b>Kuis diimpor</b>\n\n" + esc(report.summary()))
