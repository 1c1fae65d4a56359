"""`dahar-ngopi absensi export|jp|siasn|audit`: attendance files of any size (SIASN's course
records too), and the audit log."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import shutil
import sys
import tempfile
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    # Only types here: `add_parser` runs on every CLI start and must stay light.
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.runtime import Runtime
    from handlers.export_files import Format, RegionName

__all__ = ["add_parser", "run"]

Writer = Callable[["AsyncSession", IO[bytes]], Awaitable[int]]


def _iso(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `absensi` and its actions to the CLI."""
    absensi = sub.add_parser("absensi", help="attendance exports, JP summary, audit log")
    asub = absensi.add_subparsers(dest="action", required=True)
    exp = asub.add_parser("export", help="one row per attendance (streamed: any size)")
    exp.add_argument("--from", dest="first", type=_iso, help="first session date (default: "
                     "the 1st of this month)")
    exp.add_argument("--to", dest="last", type=_iso, help="last session date (default: today)")
    jp = asub.add_parser("jp", help="JP per person with a NIP for a year")
    jp.add_argument("--year", type=int, help="calendar year (default: this year)")
    siasn = asub.add_parser("siasn", help="SIASN course records: one row per person with a NIP "
                            "and attended session with JP in a year")
    siasn.add_argument("--year", type=int, help="calendar year (default: this year)")
    siasn.add_argument("--format", choices=["csv", "xlsx"], default="xlsx")
    siasn.add_argument("--sep", default=",", help="CSV separator")
    siasn.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")
    for p in (exp, jp):
        p.add_argument("--format", choices=["csv", "xlsx"], default="csv")
        p.add_argument("--sep", default=",",
                       help="CSV separator (';' for Indonesian-locale Excel, also a decimal "
                            "comma)")
        p.add_argument("--plain", action="store_true",
                       help="CSV for programs: NIP as bare digits, decimal point")
        p.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")
    audit = asub.add_parser("audit", help="the latest audit entries (exports, corrections)")
    audit.add_argument("--limit", type=int, default=50)


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:?"


async def _write_file(
    rt: Runtime, args: argparse.Namespace, fmt: Format, rows_of: Writer
) -> tuple[int, str]:
    """Stream into the output file (or a temporary one copied to stdout)."""
    target: Path | None = args.output
    temp: Path | None = None
    if target is None:
        handle, name = tempfile.mkstemp(prefix="absensi-", suffix=f".{fmt}")
        os.close(handle)
        temp = Path(name)
    path = target or temp
    assert path is not None
    try:
        stream = await asyncio.to_thread(path.open, "wb")
        try:
            async with rt.sessions() as s:
                rows = await rows_of(s, stream)
        finally:
            await asyncio.to_thread(stream.close)
        size = path.stat().st_size
        if temp is not None:
            await asyncio.to_thread(_copy_to_stdout, temp)
        return rows, f"{path if target else 'stdout'} ({size} B)"
    finally:
        if temp is not None:
            temp.unlink(missing_ok=True)


def _copy_to_stdout(path: Path) -> None:
    with path.open("rb") as src:
        shutil.copyfileobj(src, sys.stdout.buffer)
    sys.stdout.buffer.flush()


async def run(rt: Runtime, args: argparse.Namespace) -> int:
    """Run one `absensi` action."""
    from db.attendance import recent_audit, write_audit
    from handlers.export_files import export_attendance, export_jp, export_siasn

    if args.action == "audit":
        from handlers.audit_names import with_names

        async with rt.sessions() as s:
            entries = await recent_audit(s, max(1, args.limit))
            named = await with_names(s, [f"{e.actor}\t{e.action}\t{e.rows}\t{e.detail}"
                                         for e in entries])
        for e, line in reversed(list(zip(entries, named, strict=True))):
            print(f"{e.at.astimezone(rt.settings.tz):%Y-%m-%d %H:%M}\t{line}")
        return 0
    if len(args.sep) != 1 or args.sep in ('"', "\n", "\r"):
        print(f"unusable CSV separator {args.sep!r}", file=sys.stderr)
        return 2
    regions = rt.deps.regions

    def region(code: str | None) -> str:
        found = regions.get(code)
        return found.name if found else (code or "")

    region_name: RegionName = region
    fmt: Format = args.format
    today = rt.clock.now().astimezone(rt.settings.tz).date()

    if args.action == "export":
        first: date = args.first or today.replace(day=1)
        last: date = args.last or today
        if last < first:
            print("--to is before --from", file=sys.stderr)
            return 2
        action, detail = "export", f"presensi {first}..{last} (CLI)"

        async def rows_of(s: AsyncSession, stream: IO[bytes]) -> int:
            return await export_attendance(
                s, stream, first=first, last=last, fmt=fmt, tz=rt.settings.tz,
                region=region_name, sep=args.sep, plain=args.plain,
            )
    elif args.action == "siasn":
        year_s: int = args.year or today.year
        action, detail = "siasn_export", f"SIASN {year_s} (CLI)"
        organiser = rt.deps.config.certificates.organiser

        async def rows_of(s: AsyncSession, stream: IO[bytes]) -> int:
            return await export_siasn(s, stream, year=year_s, fmt=fmt, organiser=organiser,
                                      sep=args.sep)
    else:
        year: int = args.year or today.year
        action, detail = "jp_export", f"JP {year} (CLI)"

        async def rows_of(s: AsyncSession, stream: IO[bytes]) -> int:
            return await export_jp(s, stream, year=year, fmt=fmt, region=region_name,
                                   sep=args.sep, plain=args.plain)

    started = rt.clock.now()
    rows, where = await _write_file(rt, args, fmt, rows_of)
    async with rt.sessions() as s, s.begin():
        await write_audit(s, at=rt.clock.now(), actor=_actor(), action=action,
                          detail=f"{detail}, {fmt} → {where}", rows=rows)
    seconds = (rt.clock.now() - started) / timedelta(seconds=1)
    print(f"wrote {rows} rows to {where} in {seconds:.1f} s", file=sys.stderr)
    return 0
