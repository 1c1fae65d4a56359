"""`dahar-ngopi jadwal import|export`."""

from __future__ import annotations

import argparse
import sys
from functools import partial

from bot.runtime import Runtime
from db.attendance import sessions_with_attendance
from schedules.calendar_export import export_calendar
from schedules.calendar_import import CalendarImportError, import_calendar

__all__ = ["export_cmd", "import_cmd"]


async def import_cmd(rt: Runtime, args: argparse.Namespace) -> int:
    """Import a calendar file atomically; print the report or the errors."""
    try:
        data = args.file.read_bytes()
    except OSError as exc:
        print(f"tidak dapat membaca {args.file}: {exc.strerror}", file=sys.stderr)
        return 1
    try:
        async with rt.sessions() as s, s.begin():
            report = await import_calendar(
                s, data, filename=args.file.name, now=rt.clock.now(), tz=rt.settings.tz,
                replace_range=args.replace, force=args.force, dry_run=args.dry_run,
                has_attendance=partial(sessions_with_attendance, s),
            )
    except CalendarImportError as exc:
        print(exc.summary(), file=sys.stderr)
        return 1
    print(report.summary(rt.settings.tz))
    on_change = rt.deps.on_calendar_change
    if on_change is not None and report.changes and not args.dry_run:
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
