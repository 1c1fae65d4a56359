"""Import a content calendar file: validate it as a whole, then add, update, cancel or remove.

The import is atomic: every row is checked (and checked against the database) before anything
is written, and a refused file raises `CalendarImportError` listing every problem by line.
Nothing commits here: the caller owns the unit of work (`async with sessions() as db, db.begin():`),
so a failure anywhere rolls the whole import back. See docs/calendar.md for the file format.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from importlib import resources
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.programme import by_key
from core.timezones import format_date
from db.models.calendar import Holiday, LearningSession
from schedules.calendar import calendar_is_empty, ensure_programmes
from schedules.calendar_report import CalendarImportError, ImportReport, RowError, SessionChange
from schedules.calendar_rows import (
    Format,
    HolidayRow,
    RawRow,
    SessionRow,
    check_row,
    detect_format,
    read_rows,
)
from schedules.holidays import national_holiday
from schedules.quiz_import import calendar_quiz_rows, import_quiz

__all__ = [
    "AttendanceCheck",
    "CalendarImportError",
    "ImportReport",
    "SessionChange",
    "generated_code",
    "import_calendar",
    "import_rows",
    "load_sample_calendar",
    "no_attendance",
    "sample_calendar_bytes",
]

AttendanceCheck = Callable[[frozenset[int]], Awaitable[set[int]] | set[int]]
"""Given session ids, return those that already have attendance (sync or async)."""

WIB = ZoneInfo("Asia/Jakarta")

_FIELDS = (
    "day", "programme_key", "title", "speaker", "starts_at", "ends_at", "zoom_url",
    "youtube_url", "recording_url", "jp", "attendance_code", "attendance_closes_at", "status",
    "evaluation", "proof",
)
_DEFAULTS: dict[str, object] = {
    "speaker": None, "zoom_url": None, "youtube_url": None, "recording_url": None, "jp": 0.0,
    "attendance_code": None, "attendance_closes_at": None, "status": "aktif",
    "evaluation": None, "proof": None,
}


def no_attendance(session_ids: frozenset[int]) -> set[int]:
    """The default attendance check: no session has attendance yet."""
    return set()


def generated_code(day: date, programme_key: str, start: time) -> str:
    """The kode_sesi of a row without one: '20261123-forum-berbagi-ilmu-0900' (≤ 40 chars)."""
    return f"{day:%Y%m%d}-{programme_key}-{start:%H%M}"


@dataclass
class _Plan:
    """What the import will do, decided before anything is written."""

    adds: list[tuple[SessionRow, str]] = field(default_factory=list)  # row, its new code
    updates: list[tuple[SessionRow, LearningSession, dict[str, tuple[object, object]]]] = (
        field(default_factory=list)
    )
    unchanged: int = 0
    removals: list[LearningSession] = field(default_factory=list)
    forced_cancels: list[LearningSession] = field(default_factory=list)
    holiday_adds: list[HolidayRow] = field(default_factory=list)
    holiday_updates: list[tuple[HolidayRow, Holiday]] = field(default_factory=list)
    holiday_removals: list[Holiday] = field(default_factory=list)


async def import_calendar(
    db: AsyncSession,
    data: bytes,
    *,
    now: datetime,
    filename: str | None = None,
    fmt: Format | None = None,
    tz: ZoneInfo = WIB,
    replace_range: bool = False,
    force: bool = False,
    has_attendance: AttendanceCheck = no_attendance,
    dry_run: bool = False,
) -> ImportReport:
    """Import a calendar file (CSV, YAML or .xlsx) into the database, all or nothing; its
    quiz too (a `kuis` sheet in the .xlsx, `kuis:` lists in the YAML: schedules.quiz_import).

    `tz` is the agency's zone the times are written in; `now` stamps `updated_at`.
    With `replace_range`, the file is the whole calendar from its first to its last date:
    sessions and admin holidays in that range that the file does not list are removed.
    Cancelling or removing a session that `has_attendance` reports needs `force`; with `force`,
    such a session is cancelled (status batal) instead of deleted, so its attendance stays.
    With `dry_run`, nothing is written and the report says what would change.
    Raises `CalendarImportError` (nothing written) when any row is wrong.
    """
    if now.tzinfo is None:
        raise ValueError("import_calendar needs an aware `now`")
    fmt = fmt or detect_format(data, filename)
    rows = read_rows(data, fmt)
    report = await import_rows(
        db, rows, now=now, tz=tz, replace_range=replace_range, force=force,
        has_attendance=has_attendance, dry_run=dry_run,
    )
    quiz = calendar_quiz_rows(data, fmt)
    if quiz:
        done = await import_quiz(db, quiz, dry_run=dry_run,
                                 planned=frozenset(c.code for c in report.changes))
        report.quiz_sessions, report.quiz_questions = done.sessions, done.questions
    return report


async def import_rows(
    db: AsyncSession,
    raw_rows: list[RawRow],
    *,
    now: datetime,
    tz: ZoneInfo = WIB,
    replace_range: bool = False,
    force: bool = False,
    has_attendance: AttendanceCheck = no_attendance,
    dry_run: bool = False,
) -> ImportReport:
    """Import rows already read from a file (see `import_calendar`)."""
    errors: list[RowError] = []
    warnings: list[RowError] = []
    sessions_rows: list[SessionRow] = []
    holiday_rows: list[HolidayRow] = []
    for raw in raw_rows:
        parsed = check_row(raw.cells, tz=tz, line=raw.line)
        if isinstance(parsed, list):
            errors += (RowError(raw.line, message) for message in parsed)
        elif isinstance(parsed, SessionRow):
            warnings += (RowError(raw.line, message) for message in parsed.warnings)
            sessions_rows.append(parsed)
        else:
            holiday_rows.append(parsed)
    _check_duplicates(sessions_rows, holiday_rows, errors)
    if errors:
        raise CalendarImportError(errors)
    days = [r.day for r in sessions_rows] + [h.day for h in holiday_rows]
    first, last = min(days), max(days)
    plan = await _plan(
        db, sessions_rows, holiday_rows, (first, last),
        replace_range=replace_range, force=force, has_attendance=has_attendance, errors=errors,
    )
    if errors:
        raise CalendarImportError(errors)
    report = ImportReport(
        unchanged=plan.unchanged, warnings=warnings, first_day=first, last_day=last,
        dry_run=dry_run,
    )
    if dry_run:
        _report(plan, report, added_ids={})
        return report
    await ensure_programmes(db)
    added_ids = await _apply(db, plan, now)
    _report(plan, report, added_ids)
    return report


def _label(s: LearningSession) -> str:
    return f"{by_key(s.programme_key).name}, {format_date(s.day)}"


def _check_duplicates(
    rows: list[SessionRow], holidays: list[HolidayRow], errors: list[RowError]
) -> None:
    by_code: dict[str, int] = {}
    by_natural: dict[tuple[date, str, datetime], int] = {}
    for row in rows:
        if row.code is not None:
            if row.code in by_code:
                errors.append(RowError(row.line, (
                    f"kode_sesi {row.code} sudah dipakai di baris {by_code[row.code]}"
                )))
            by_code.setdefault(row.code, row.line)
        if row.key in by_natural:
            errors.append(RowError(row.line, (
                f"sesi ganda: program, tanggal dan jam mulai yang sama sudah ada di baris "
                f"{by_natural[row.key]}"
            )))
        by_natural.setdefault(row.key, row.line)
    off: dict[date, HolidayRow] = {}
    for h in holidays:
        if h.day in off:
            errors.append(RowError(h.line, (
                f"tanggal {h.day:%Y-%m-%d} sudah ditulis sebagai libur di baris {off[h.day].line}"
            )))
        off.setdefault(h.day, h)
    for row in rows:
        day_off = off.get(row.day)
        if day_off is not None and not day_off.remove and row.active:
            errors.append(RowError(row.line, (
                f"{format_date(row.day)} adalah hari libur ({day_off.reason}, "
                f"baris {day_off.line}); "
                "sesi tidak bisa dijadwalkan pada hari libur"
            )))


async def _plan(
    db: AsyncSession,
    rows: list[SessionRow],
    holiday_rows: list[HolidayRow],
    span: tuple[date, date],
    *,
    replace_range: bool,
    force: bool,
    has_attendance: AttendanceCheck,
    errors: list[RowError],
) -> _Plan:
    """Decide every write before any is made; what must be refused goes to `errors`."""
    plan = _Plan()
    replaced = span if replace_range else None
    codes = {r.code for r in rows if r.code}
    stored, stored_holidays = await _stored(db, span, codes)
    targets = _targets(rows, stored, codes)
    targeted = {s.id for s in targets.values() if s is not None}
    # Sessions the file leaves out of a replaced range.
    leftover = [s for s in stored if s.id not in targeted and _within(s.day, replaced)]
    cancelling = {
        t.id for row in rows if (t := targets[row.line]) is not None
        and t.status == "aktif" and not row.active
    }
    with_attendance = await _with_attendance(has_attendance, cancelling | {s.id for s in leftover})
    errors += _plan_leftover(plan, leftover, with_attendance, force=force)
    # Active sessions no row touches and the import keeps (a replaced range keeps none).
    staying = [
        s for s in stored
        if s.id not in targeted and s.status == "aktif" and not _within(s.day, replaced)
    ]
    unnamed = [r for r in rows if targets[r.line] is None and not r.code]
    new_codes = await _free_codes(db, unnamed, {s.code for s in stored} | codes)
    file_off = {h.day: h for h in holiday_rows}
    after = _After(
        days_off=_days_off_after(file_off, stored_holidays, replaced),
        file_off=file_off,
        staying={(s.day, s.programme_key, s.starts_at): s for s in staying},
        needs_force=set() if force else cancelling & with_attendance,
    )
    for row in rows:
        errors += _row_errors(row, targets[row.line], after)
        _plan_row(plan, row, targets[row.line], new_codes)
    errors += _holidays_with_sessions(staying, file_off)
    _plan_holidays(plan, holiday_rows, stored_holidays, replaced)
    return plan


@dataclass(frozen=True)
class _After:
    """The calendar as the import leaves it, which each session row is checked against."""

    days_off: dict[date, str]  # stored admin holidays not lifted, and the file's (not national)
    file_off: dict[date, HolidayRow]
    staying: dict[tuple[date, str, datetime], LearningSession]  # by date, programme, start
    needs_force: set[int]  # sessions a row cancels that have attendance, when not forced


def _within(day: date, span: tuple[date, date] | None) -> bool:
    return span is not None and span[0] <= day <= span[1]


async def _stored(
    db: AsyncSession, span: tuple[date, date], codes: set[str]
) -> tuple[list[LearningSession], dict[date, Holiday]]:
    """The stored sessions and admin holidays the file may touch."""
    first, last = span
    # Everything in the file's date range (a few hundred rows for a year), plus the sessions
    # the file names by code wherever they are now.
    conditions = [LearningSession.day.between(first, last)]
    if codes:
        conditions.append(LearningSession.code.in_(sorted(codes)))
    stored = list(await db.scalars(select(LearningSession).where(or_(*conditions))))
    holidays = {
        h.day: h for h in await db.scalars(
            select(Holiday).where(Holiday.day.between(first, last))
        )
    }
    return stored, holidays


def _targets(
    rows: list[SessionRow], stored: list[LearningSession], codes: set[str]
) -> dict[int, LearningSession | None]:
    """The stored session each row (by line) describes, None for a new one.

    By kode_sesi, else by date+programme+start among sessions no row claims by code
    (active ones first).
    """
    by_code = {s.code: s for s in stored}
    by_natural: dict[tuple[date, str, datetime], list[LearningSession]] = {}
    for s in sorted(stored, key=lambda s: (s.status != "aktif", s.id)):
        if s.code not in codes:
            by_natural.setdefault((s.day, s.programme_key, s.starts_at), []).append(s)
    targets: dict[int, LearningSession | None] = {}
    for row in rows:
        if row.code is not None:
            targets[row.line] = by_code.get(row.code)
        else:
            candidates = by_natural.get(row.key, [])
            targets[row.line] = candidates.pop(0) if candidates else None
    return targets


async def _with_attendance(has_attendance: AttendanceCheck, session_ids: set[int]) -> set[int]:
    """Those of `session_ids` that have attendance (the check is not called for none)."""
    if not session_ids:
        return set()
    answer = has_attendance(frozenset(session_ids))
    return set(await answer if inspect.isawaitable(answer) else answer)


def _plan_leftover(
    plan: _Plan, leftover: list[LearningSession], with_attendance: set[int], *, force: bool
) -> list[RowError]:
    """Remove the sessions a replaced range leaves out; with attendance, cancel if forced."""
    errors: list[RowError] = []
    for s in leftover:
        if s.id not in with_attendance:
            plan.removals.append(s)
        elif s.status != "aktif":
            continue  # already cancelled; its attendance keeps it on the calendar
        elif force:
            plan.forced_cancels.append(s)
        else:
            errors.append(RowError(None, (
                f"Sesi {s.code} ({_label(s)}) tidak ada di berkas, tetapi sudah memiliki data "
                "presensi peserta; sesi itu tidak dibatalkan tanpa opsi paksa (--force)."
            )))
    return errors


def _days_off_after(
    file_off: dict[date, HolidayRow],
    stored: dict[date, Holiday],
    replaced: tuple[date, date] | None,
) -> dict[date, str]:
    """Admin holidays after the import: the stored ones the file does not lift, and the file's."""
    lifted = {d for d, h in file_off.items() if h.remove}
    lifted |= {d for d in stored if _within(d, replaced) and d not in file_off}
    days_off = {d: h.reason for d, h in stored.items() if d not in lifted}
    days_off.update({d: h.reason for d, h in file_off.items() if not h.remove})
    return days_off


def _row_errors(row: SessionRow, target: LearningSession | None, after: _After) -> list[RowError]:
    """What refuses a session row given the calendar after the import."""
    errors: list[RowError] = []
    if row.active:
        day_off = after.days_off.get(row.day) or national_holiday(row.day)
        in_file = after.file_off.get(row.day)  # an active libur row of the file is reported already
        if day_off is not None and (in_file is None or in_file.remove):
            errors.append(RowError(row.line, (
                f"{format_date(row.day)} adalah hari libur ({day_off}); "
                "sesi tidak bisa dijadwalkan pada hari libur"
            )))
        clash = after.staying.get(row.key)
        if clash is not None:
            errors.append(RowError(row.line, (
                f"bentrok dengan sesi {clash.code} yang sudah ada pada program, tanggal dan "
                "jam mulai yang sama; ubah atau batalkan sesi itu di berkas"
            )))
    if target is not None and target.id in after.needs_force:
        errors.append(RowError(row.line, (
            f"sesi {target.code} sudah memiliki data presensi peserta; membatalkannya "
            "perlu opsi paksa (--force)"
        )))
    return errors


def _plan_row(
    plan: _Plan, row: SessionRow, target: LearningSession | None, new_codes: dict[int, str]
) -> None:
    """Add the row's session, or update the stored one where a field differs."""
    if target is None:
        plan.adds.append((row, row.code or new_codes[row.line]))
        return
    diff = _diff(target, row.values)
    if diff:
        plan.updates.append((row, target, diff))
    else:
        plan.unchanged += 1


def _holidays_with_sessions(
    staying: list[LearningSession], file_off: dict[date, HolidayRow]
) -> list[RowError]:
    """A libur row on a day that keeps an active session the file does not cancel."""
    errors: list[RowError] = []
    for s in staying:
        reason = file_off.get(s.day)
        if reason is not None and not reason.remove:
            errors.append(RowError(reason.line, (
                f"masih ada sesi aktif {s.code} ({_label(s)}) pada hari yang dinyatakan libur; "
                "batalkan sesi itu (status batal) di berkas yang sama"
            )))
    return errors


def _plan_holidays(
    plan: _Plan,
    holiday_rows: list[HolidayRow],
    stored: dict[date, Holiday],
    replaced: tuple[date, date] | None,
) -> None:
    """Add, update or lift the file's holidays; a replaced range drops the ones it leaves out."""
    for h in holiday_rows:
        existing = stored.get(h.day)
        if h.remove:
            if existing is not None:
                plan.holiday_removals.append(existing)
        elif existing is None:
            plan.holiday_adds.append(h)
        elif existing.reason != h.reason:
            plan.holiday_updates.append((h, existing))
    in_file = {h.day for h in holiday_rows}
    plan.holiday_removals += [
        h for d, h in stored.items() if _within(d, replaced) and d not in in_file
    ]


async def _free_codes(
    db: AsyncSession, rows: list[SessionRow], taken: set[str]
) -> dict[int, str]:
    """Generated codes for new rows without kode_sesi, suffixed (-2, -3…) when already used."""
    wanted = {r.line: generated_code(r.day, str(r.values["programme_key"]), r.local_start)
              for r in rows}
    if not wanted:
        return {}
    taken = set(taken)
    # A generated code starts with its date, so one LIKE per date finds every code in use.
    prefixes = sorted({f"{r.day:%Y%m%d}-" for r in rows})
    taken |= set(await db.scalars(
        select(LearningSession.code).where(
            or_(*(LearningSession.code.startswith(p, autoescape=True) for p in prefixes))
        )
    ))
    result: dict[int, str] = {}
    for line, base in wanted.items():
        code, n = base, 1
        while code in taken:
            n += 1
            code = f"{base}-{n}"
        taken.add(code)
        result[line] = code
    return result


def _same(old: object, new: object) -> bool:
    if isinstance(old, float | int) and isinstance(new, float | int):
        return round(float(old), 2) == round(float(new), 2)
    return old == new


def _diff(target: LearningSession, values: dict[str, object]) -> dict[str, tuple[object, object]]:
    return {
        attr: (getattr(target, attr), new)
        for attr in _FIELDS
        if attr in values and not _same(getattr(target, attr), new := values[attr])
    }


async def _apply(db: AsyncSession, plan: _Plan, now: datetime) -> dict[int, int]:
    """Write the plan; return the new session id of each added row's line."""
    added: dict[int, LearningSession] = {}
    for row, code in plan.adds:
        attrs = {**_DEFAULTS, **row.values}
        obj = LearningSession(code=code, updated_at=now, **attrs)
        db.add(obj)
        added[row.line] = obj
    for _row, target, diff in plan.updates:
        for attr, (_old, new) in diff.items():
            setattr(target, attr, new)
        target.updated_at = now
    for s in plan.forced_cancels:
        s.status = "batal"
        s.updated_at = now
    for s in plan.removals:
        await db.delete(s)
    for h in plan.holiday_removals:
        await db.delete(h)
    # Deletes first: a libur day lifted and re-added in one file must not collide.
    await db.flush()
    for h_row in plan.holiday_adds:
        db.add(Holiday(day=h_row.day, reason=h_row.reason, source="admin"))
    for h_row, existing in plan.holiday_updates:
        existing.reason = h_row.reason
    await db.flush()
    return {line: obj.id for line, obj in added.items()}


def _change(
    kind: Literal["updated", "cancelled"],
    s: LearningSession,
    diff: dict[str, tuple[object, object]],
    line: int | None,
) -> SessionChange:
    values = {attr: getattr(s, attr) for attr in ("day", "programme_key", "title")}
    values.update({a: new for a, (_old, new) in diff.items() if a in values})
    day = values["day"]
    assert isinstance(day, date)
    return SessionChange(
        kind=kind, session_id=s.id, code=s.code, day=day,
        programme_key=str(values["programme_key"]), title=str(values["title"]),
        fields=tuple(diff), before={a: old for a, (old, _new) in diff.items()},
        after={a: new for a, (_old, new) in diff.items()}, line=line,
    )


def _report(plan: _Plan, report: ImportReport, added_ids: dict[int, int]) -> None:
    for row, code in plan.adds:
        after = {**_DEFAULTS, **row.values}
        report.changes.append(SessionChange(
            kind="added", session_id=added_ids.get(row.line), code=code, day=row.day,
            programme_key=str(after["programme_key"]), title=str(after["title"]),
            fields=tuple(a for a in _FIELDS if a in after), after=after, line=row.line,
        ))
        report.added += 1
    for row, target, diff in plan.updates:
        cancelled = "status" in diff and diff["status"][1] == "batal"
        report.changes.append(
            _change("cancelled" if cancelled else "updated", target, diff, row.line)
        )
        if cancelled:
            report.cancelled += 1
        else:
            report.updated += 1
    for s in plan.forced_cancels:
        report.changes.append(_change("cancelled", s, {"status": ("aktif", "batal")}, None))
        report.cancelled += 1
    for s in plan.removals:
        report.changes.append(SessionChange(
            kind="removed", session_id=s.id, code=s.code, day=s.day,
            programme_key=s.programme_key, title=s.title,
            before={attr: getattr(s, attr) for attr in _FIELDS},
        ))
        report.removed += 1
    report.holidays_added = len(plan.holiday_adds)
    report.holidays_updated = len(plan.holiday_updates)
    report.holidays_removed = len(plan.holiday_removals)


def sample_calendar_bytes() -> bytes:
    """The shipped sample calendar (schedules/data/sample_calendar.csv)."""
    return (resources.files("schedules") / "data" / "sample_calendar.csv").read_bytes()


async def load_sample_calendar(
    db: AsyncSession, tz: ZoneInfo = WIB, *, now: datetime
) -> ImportReport | None:
    """Import the sample calendar on first start (no session ever stored); else do nothing."""
    if not await calendar_is_empty(db):
        return None
    return await import_calendar(db, sample_calendar_bytes(), fmt="csv", tz=tz, now=now)

