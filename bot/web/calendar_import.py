"""Jadwal → impor: a CSV/XLSX/YAML file checked in a dry run (every row error with its line,
or the changes), then imported as it is in chat; notices follow."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.web.calendar import notify_changes
from bot.web.konsol import Konsol, Who, text_of, upload_of
from db.attendance import sessions_with_attendance
from schedules.calendar_import import CalendarImportError, import_calendar
from schedules.calendar_report import ImportReport

__all__ = ["routes"]

MAX_CALENDAR = 2 * 1024 * 1024  # as in chat


Audit = Callable[[AsyncSession, ImportReport], Awaitable[None]]


class _DryRun(Exception):
    """Rolls the dry run's unit of work back, carrying its report."""

    def __init__(self, report: ImportReport) -> None:
        self.report = report


async def _run(k: Konsol, data: bytes, name: str, *, force: bool, replace: bool,
               dry: bool, audit: Audit | None = None) -> ImportReport:
    try:
        async with k.sessions() as db, db.begin():
            report = await import_calendar(
                db, data, filename=name, now=k.now(), tz=k.deps.config.tz, force=force,
                replace_range=replace, dry_run=dry,
                has_attendance=partial(sessions_with_attendance, db),
            )
            if dry:
                raise _DryRun(report)
            if audit is not None:
                await audit(db, report)
    except _DryRun as rolled_back:
        return rolled_back.report
    return report


async def page(k: Konsol, request: Request, who: Who) -> Response:
    """The upload form."""
    return k.render(request, "calendar_import.html", who, stage="upload", errors=[],
                    report=None, data="", name="", force=False, replace=False, note="",
                    headline="", lines=[])


async def upload(k: Konsol, request: Request, who: Who) -> Response:
    """A file: its dry run. The kept file (`data`) with `simpan`: the import itself."""
    form = await k.form(request)
    force, replace = bool(text_of(form, "paksa")), bool(text_of(form, "ganti"))
    file = upload_of(form, "berkas")
    if file is not None:
        data = await file.read(MAX_CALENDAR + 1)
        name = file.filename or "jadwal.csv"
    else:
        try:
            data = base64.b64decode(text_of(form, "data", 3 * MAX_CALENDAR), validate=True)
        except (binascii.Error, ValueError):
            data = b""
        name = text_of(form, "nama", 200) or "jadwal.csv"
    common: dict[str, Any] = {"name": name, "force": force, "replace": replace,
                                 "report": None, "note": "", "headline": "", "lines": []}
    if not data:
        return k.render(request, "calendar_import.html", who, stage="upload", status=422,
                        errors=[(None, "Pilih berkas jadwal (.csv, .xlsx atau .yaml).")],
                        data="", **common)
    if len(data) > MAX_CALENDAR:
        return k.render(request, "calendar_import.html", who, stage="upload", status=413,
                        errors=[(None, "Berkas jadwal terlalu besar (maksimal 2 MB).")],
                        data="", **common)
    dry = not text_of(form, "simpan")

    async def audit(db: AsyncSession, report: ImportReport) -> None:
        await k.audit(who, "calendar_import",
                      f"konsol: impor {name}: {report.total_changes} perubahan "
                      f"({report.added} baru, {report.updated} diubah, {report.cancelled} batal, "
                      f"{report.removed} dihapus)", rows=report.total_changes, db=db)

    try:
        report = await _run(k, data, name, force=force, replace=replace, dry=dry, audit=audit)
    except CalendarImportError as exc:
        return k.render(request, "calendar_import.html", who, stage="upload", status=422,
                        errors=exc.lines, data="", **common)
    kept = base64.b64encode(data).decode()
    tz = k.deps.config.tz
    common["headline"] = report.summary(tz).split("\n")[0]
    common["lines"] = [c.describe(tz) for c in report.changes]
    if dry:
        return k.render(request, "calendar_import.html", who, stage="preview", errors=[],
                        data=kept, **{**common, "report": report})
    note = await notify_changes(k, report)
    return k.render(request, "calendar_import.html", who, stage="done", errors=[], data="",
                    **{**common, "report": report, "note": note})


def routes(k: Konsol) -> list[Route]:
    """The import pages."""
    return [k.route("/jadwal/impor", page), k.route("/jadwal/impor", upload, methods=("POST",))]
