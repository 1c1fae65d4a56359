"""Jadwal: the month, one session's form (add, edit, move, cancel; its sample certificate),
export."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.web.certificates import no_sample_because
from bot.web.konsol import Konsol, Who, text_of
from core.programme import PROGRAMMES
from db.models.calendar import LearningSession
from schedules.calendar import sessions_between
from schedules.calendar_export import export_calendar
from schedules.calendar_form import FORM_COLUMNS, ChangedMeanwhile, save_session, session_cells
from schedules.calendar_import import CalendarImportError
from schedules.calendar_report import ImportReport
from schedules.holidays import holidays_between

__all__ = ["MONTHS", "month_of", "notify_changes", "routes"]

log = logging.getLogger(__name__)

MONTHS = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
          "September", "Oktober", "November", "Desember")
CHANGED = ("Sesi ini sudah diubah oleh admin lain setelah formulir dibuka; perubahan "
           "Bapak/Ibu tidak disimpan. Muat ulang untuk melihat versi terbaru.")


def month_of(request: Request, today: date) -> date:
    """The first day of the month in ?bulan=YYYY-MM (this month when absent or wrong)."""
    raw = request.query_params.get("bulan", "")
    try:
        year, month = (int(p) for p in raw.split("-"))
        return date(year, month, 1)
    except ValueError:
        return today.replace(day=1)


def _shift(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass
class _Day:
    day: date
    inside: bool
    sessions: list[LearningSession] = field(default_factory=list)
    off: str | None = None


async def month_page(k: Konsol, request: Request, who: Who) -> Response:
    """A month of sessions and holidays, Monday first."""
    first = month_of(request, k.today())
    last = _shift(first, 1) - timedelta(days=1)
    start = first - timedelta(days=first.weekday())
    end = last + timedelta(days=6 - last.weekday())
    async with k.sessions() as db:
        found = await sessions_between(db, start, end, include_cancelled=True)
        off = await holidays_between(db, start, end)
    days = {start + timedelta(days=i): _Day(start + timedelta(days=i), False)
            for i in range((end - start).days + 1)}
    for d in days.values():
        d.inside = first <= d.day <= last
        d.off = off.get(d.day)
    for s in found:
        days[s.day].sessions.append(s)
    return k.render(
        request, "calendar.html", who, days=list(days.values()), first=first,
        title=f"{MONTHS[first.month - 1]} {first.year}", today=k.today(),
        previous=f"{_shift(first, -1):%Y-%m}", following=f"{_shift(first, 1):%Y-%m}",
        weekdays=("Sen", "Sel", "Rab", "Kam", "Jum", "Sab", "Min"), total=len(found),
    )


async def notify_changes(k: Konsol, report: ImportReport) -> str:
    """Tell people already told of changed sessions (after the commit, as an import does)."""
    on_change = k.deps.on_calendar_change
    if on_change is None or not report.changes:
        return ""
    try:
        outcome = await on_change(report.changes)
    except Exception:
        log.exception("change notices after a konsol edit failed")
        return "Pemberitahuan perubahan gagal disiapkan; periksa log server."
    if outcome.notices:
        return (f"{outcome.notices} peserta yang sudah menerima info sesi ini akan mendapat "
                "pemberitahuan perubahan.")
    return ""


@dataclass(frozen=True)
class _Shown:
    """What the form shows of a stored session (kept after a rolled-back save)."""

    id: int
    code: str
    version: int
    status: str
    jp: float

    @classmethod
    def of(cls, s: LearningSession) -> _Shown:
        return cls(s.id, s.code, s.version, s.status, float(s.jp or 0))


def _blank(day: str) -> dict[str, str]:
    cells = dict.fromkeys(FORM_COLUMNS, "")
    cells.update(tanggal=day, status="aktif", jp="2")
    return cells


def _form(k: Konsol, request: Request, who: Who, *, session: _Shown | None,
          cells: dict[str, str], errors: list[str], status: int = 200,
          note: str = "", force_needed: bool = False) -> Response:
    no_sample = (no_sample_because(k.deps.config.certificates, jp=session.jp,
                                   status=session.status) if session else "")
    return k.render(request, "session_form.html", who, session=session, cells=cells,
                    errors=errors, status=status, note=note, programmes=PROGRAMMES,
                    force_needed=force_needed, no_sample=no_sample,
                    cert_minutes=round(k.deps.config.certificates.delay.total_seconds() / 60))


async def new_form(k: Konsol, request: Request, who: Who) -> Response:
    """An empty form (for ?tanggal= when given)."""
    day = request.query_params.get("tanggal", "") or k.today().isoformat()
    return _form(k, request, who, session=None, cells=_blank(day[:10]), errors=[])


async def edit_form(k: Konsol, request: Request, who: Who) -> Response:
    """The form of a stored session."""
    async with k.sessions() as db:
        s = await db.get(LearningSession, int(request.path_params["sid"]))
    if s is None:
        return k.problem(request, who, 404, "Sesi tidak ditemukan",
                         "Sesi ini tidak ada (mungkin sudah dihapus lewat impor).")
    note = "Tersimpan." if request.query_params.get("ok") else ""
    return _form(k, request, who, session=_Shown.of(s),
                 cells=session_cells(s, k.deps.config.tz), errors=[], note=note)


async def save(k: Konsol, request: Request, who: Who) -> Response:
    """Add or change a session, with the import's checks; notices follow the commit."""
    form = await k.form(request)
    cells = {name: text_of(form, name, 500) for name in FORM_COLUMNS}
    if request.url.path.endswith("/batal"):
        cells["status"] = "batal"
    sid = request.path_params.get("sid")
    version = text_of(form, "versi")
    force = bool(text_of(form, "paksa"))
    session: LearningSession | None = None
    shown: _Shown | None = None
    try:
        async with k.sessions() as db, db.begin():
            if sid is not None:
                session = await db.get(LearningSession, int(sid))
                if session is None:
                    return k.problem(request, who, 404, "Sesi tidak ditemukan",
                                     "Sesi ini tidak ada lagi.")
                shown = _Shown.of(session)
                if request.url.path.endswith("/batal"):
                    cells = {**session_cells(session, k.deps.config.tz), "status": "batal"}
            report = await save_session(
                db, cells, now=k.now(), tz=k.deps.config.tz, session=session,
                version=int(version) if version.isdigit() else None, force=force,
            )
            change = report.changes[0] if report.changes else None
            if change is not None:
                action = {"added": "session_add", "cancelled": "session_cancel"}.get(
                    change.kind, "session_edit")
                await k.audit(who, action, f"konsol: sesi {change.session_id} {change.code}: "
                                           f"{change.describe(k.deps.config.tz)}", db=db)
    except CalendarImportError as exc:
        messages = [e.message for e in exc.errors]
        return _form(k, request, who, session=shown, cells=cells, errors=messages,
                     status=422, force_needed=any("paksa" in m for m in messages))
    except ChangedMeanwhile:
        return _form(k, request, who, session=shown, cells=cells, errors=[CHANGED],
                     status=409)
    if change is not None:
        await notify_changes(k, report)
    target = change.session_id if change is not None else (shown.id if shown else None)
    return k.back(f"/konsol/jadwal/sesi/{target}?ok=1" if target else "/konsol/jadwal")


async def export(k: Konsol, request: Request, who: Who) -> Response:
    """The calendar file (CSV with , or ;, YAML, XLSX), the whole calendar or one month."""
    fmt = request.query_params.get("format", "csv")
    sep = ";" if request.query_params.get("sep") == ";" else ","
    if fmt not in ("csv", "yaml", "xlsx"):
        fmt = "csv"
    start = end = None
    if request.query_params.get("bulan"):
        start = month_of(request, k.today())
        end = _shift(start, 1) - timedelta(days=1)
    async with k.sessions() as db:
        data = await export_calendar(db, fmt, start, end, tz=k.deps.config.tz,  # type: ignore[arg-type]
                                     sep=sep)
    name = f"jadwal-{start:%Y-%m}" if start else "jadwal"
    mime = {"csv": "text/csv; charset=utf-8", "yaml": "application/yaml",
            "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}[fmt]
    return Response(data, media_type=mime,
                    headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'})


def routes(k: Konsol) -> list[Route]:
    """The calendar's pages."""
    return [
        k.route("/jadwal", month_page),
        k.route("/jadwal/ekspor", export),
        k.route("/jadwal/sesi/baru", new_form),
        k.route("/jadwal/sesi/baru", save, methods=("POST",)),
        k.route("/jadwal/sesi/{sid:int}", edit_form),
        k.route("/jadwal/sesi/{sid:int}", save, methods=("POST",)),
        k.route("/jadwal/sesi/{sid:int}/batal", save, methods=("POST",)),
    ]
