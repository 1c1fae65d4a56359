"""`dahar-ngopi jadwal import|export`."""

from __future__ import annotations

import argparse
import sys
from functools import partial

from bot.runtime import Runtime
from db.attendance import sessions_with_attendance
from schedules.calendar_export import export_calendar
from schedules.calendar_import import CalendarImportError, ImportReport, import_calendar
from schedules.quiz_import import import_quiz_file

__all__ = ["export_cmd", "import_cmd"]


async def import_cmd(rt: Runtime, args: argparse.Namespace) -> int:
    """Import a calendar file and/or a quiz file atomically; print the report or the errors."""
    if args.file is None and args.kuis is None:
        print("berikan berkas jadwal, --kuis BERKAS, atau keduanya", file=sys.stderr)
        return 2
    files: dict[str, bytes] = {}
    for name, path in (("calendar", args.file), ("quiz", args.kuis)):
        if path is None:
            continue
        try:
            files[name] = path.read_bytes()
        except OSError as exc:
            print(f"tidak dapat membaca {path}: {exc.strerror}", file=sys.stderr)
            return 1
    report: ImportReport | None = None
    stage = "Jadwal"
    try:
        async with rt.sessions() as s, s.begin():
            if "calendar" in files:
                report = await import_calendar(
                    s, files["calendar"], filename=args.file.name, now=rt.clock.now(),
                    tz=rt.settings.tz, replace_range=args.replace, force=args.force,
                    dry_run=args.dry_run, has_attendance=partial(sessions_with_attendance, s),
                )
            if "quiz" in files:
                stage = "Kuis"
                quiz = await import_quiz_file(s, files["quiz"], filename=args.kuis.name,
                                              dry_run=args.dry_run)
    except CalendarImportError as exc:
        print(exc.summary(stage), file=sys.stderr)
        return 1
    if report is not None:
        print(report.summary(rt.settings.tz))
    if "quiz" in files:
        print(quiz.summary())
    on_change = rt.deps.on_calendar_change
    if on_change is not None and report is not None and report.changes and not args.dry_run:
        outcome = await on_change(report.changes)
        print(f"pemberitahuan perubahan diantrekan: {outcome.notices}; pengingat dibatalkan: "
              f"{outcome.cancelled}; teks pesan diperbarui: {outcome.refreshed}")
    return 0


async def export_cmd(rt: Runtime, args: argparse.Namespace) -> int:
    """Export the calendar to a file or standard output."""
    async with rt.sessions() as s:
        data = await export_calendar(s, fmt=args.format, tz=rt.settings.tz, sep=args.sep)
    if args.output:
        args.output.write_bytes(data)
        print(f"jadwal ditulis ke {args.output}")
    else:
        sys.stdout.buffer.write(data)
    return 0
