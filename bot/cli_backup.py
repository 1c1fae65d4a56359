"""`dahar-ngopi backup` and `dahar-ngopi restore`: the database to and from one file."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # Only types here: `add_parser` runs on every CLI start and must stay light.
    from datetime import datetime

    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.settings import Settings
    from db.models import Person
    from db.restore import Eraser

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `backup` and `restore` to the CLI."""
    backup = sub.add_parser(
        "backup", help="write a consistent backup of the database (while the bot runs)",
        description="SQLite: the online backup API; PostgreSQL: pg_dump in the custom format "
                    "(its major version must match the server's). The file is readable by its "
                    "owner only: it holds NIPs.")
    backup.add_argument("-o", "--output", type=Path,
                        help="file to write (default: BACKUP_DIR/dahar-ngopi-<time>.sqlite3 "
                             "or .dump)")
    restore = sub.add_parser(
        "restore", help="replace the database by a backup (stop the bot first)",
        description="Restores FILE, upgrades it to the current migrations, and erases again "
                    "everyone who erased their data after the backup was taken.")
    restore.add_argument("file", type=Path, help="a file written by `dahar-ngopi backup`")
    restore.add_argument("--force", action="store_true",
                         help="replace a database that already holds data")
    restore.add_argument("--cancel-pending", action="store_true",
                         help="cancel the messages the backup had still to send (by default "
                              "they go out when the bot starts)")
    restore.add_argument("--erasures", type=Path, metavar="LOGFILE",
                         help="also re-apply the erasures named in this file (any line with "
                              "person:<id>, e.g. the bot's log since the backup)")


def _default_output(settings: Settings) -> Path:
    from bot.maintenance import backup_dir
    from core.clock import SystemClock
    from db.backup import suffix

    stamp = SystemClock().now().astimezone(settings.tz).strftime("%Y%m%d-%H%M%S")
    return backup_dir(settings) / f"dahar-ngopi-{stamp}{suffix(settings.database_url)}"


async def _backup(settings: Settings, args: argparse.Namespace) -> int:
    from db.backup import backup_database

    path = args.output or _default_output(settings)
    result = await backup_database(settings.database_url, path)
    tool = f", {result.tool}" if result.tool else ""
    print(f"backup written: {result.path} ({result.size:,} bytes, {result.backend}{tool}; "
          "mode 0600: it holds NIPs, keep it safe)")
    return 0


def _read_erasures(path: Path | None) -> dict[str, None]:
    from db.backup import BackupError
    from db.erasures import parse_subjects

    if path is None:
        return {}
    try:
        with path.open(encoding="utf-8", errors="replace") as f:
            return parse_subjects(f)
    except OSError as exc:
        raise BackupError(f"cannot read {path}: {exc.strerror}") from None


def _eraser(settings: Settings) -> Eraser:
    """Erasure as /hapusdata does it, the admins' notices reworded too (their answer buttons
    signed with the restored database's key, or CALLBACK_SECRET)."""

    async def erase(db: AsyncSession, person: Person, now: datetime) -> None:
        from core.callbacks import Signer
        from db.models import AppMeta
        from handlers.erasure import erase_everywhere

        if settings.callback_secret is not None:
            key = settings.callback_secret.get_secret_value()
        else:
            row = await db.get(AppMeta, "callback_key")
            key = row.value if row is not None else ""
        await erase_everywhere(db, Signer(key.encode()), person, now)

    return erase


async def _restore(settings: Settings, args: argparse.Namespace) -> int:
    from core.clock import SystemClock
    from db.restore import restore_database

    extra = await asyncio.to_thread(_read_erasures, args.erasures)
    report = await restore_database(settings.database_url, args.file, now=SystemClock().now(),
                                    force=args.force, erasures=dict(extra),
                                    cancel_pending=args.cancel_pending,
                                    erase=_eraser(settings))
    counts = report.counts
    print(f"restored {args.file} ({report.backend}): migrations at head ({report.revision}); "
          f"{counts.get('people', 0):,} people, {counts.get('attendance', 0):,} attendance, "
          f"{counts.get('outbox', 0):,} outbox rows")
    if report.cancelled:
        print(f"cancelled {report.cancelled:,} message(s) the backup had still to send")
    if report.reapplied:
        print(f"re-applied {len(report.reapplied)} erasure(s) made after the backup: "
              + ", ".join(report.reapplied))
    return 0


def run(settings: Settings, args: argparse.Namespace) -> int:
    """Run `backup` or `restore`; a problem is one line on stderr and exit status 1."""
    from db.backup import BackupError

    action = _backup if args.command == "backup" else _restore
    try:
        return asyncio.run(action(settings, args))
    except BackupError as exc:
        print(f"dahar-ngopi: {exc}", file=sys.stderr)
        return 1
