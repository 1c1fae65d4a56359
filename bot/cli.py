"""The `dahar-ngopi` command line."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shutil
import sys
from collections.abc import Sequence
from datetime import date, datetime, time
from pathlib import Path

from bot.logs import Redactor, setup_logging
from bot.settings import Settings, SettingsError, load_settings
from bot.startup import OTHER, SETTING, StartupError, database_label, explain, secrets_of

__all__ = ["main"]

log = logging.getLogger(__name__)

SERVES_METRICS = ("run", "worker")  # the commands with the internal listener (/metrics)


def _moment(text: str) -> tuple[date, time]:
    """A 'YYYY-MM-DD HH:MM' for `chat --at` (read in TIMEZONE once the settings are loaded)."""
    day, _, hhmm = text.strip().partition(" ")
    try:
        return date.fromisoformat(day), time.fromisoformat(hhmm.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a moment like '2026-11-26 06:25': {text!r}")\
            from None


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="dahar-ngopi", description="Dahar Ngopi bot")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="start every configured channel and the konsol (terminal chat "
                   "if no channel)")
    chat = sub.add_parser("chat", help="chat with the bot in the terminal")
    chat.add_argument("--at", metavar="'YYYY-MM-DD HH:MM'", type=_moment,
                      help="start the clock at this moment (in TIMEZONE) and let it run on")
    sub.add_parser("worker", help="run the scheduler and the outbox dispatcher only")
    db = sub.add_parser("db", help="database maintenance")
    db.add_argument("action", choices=["upgrade"])
    jadwal = sub.add_parser("jadwal", help="import or export the content calendar")
    jsub = jadwal.add_subparsers(dest="action", required=True)
    imp = jsub.add_parser("import", help="import a CSV, YAML or XLSX calendar file (and its "
                          "quiz), or with --kuis a quiz file")
    imp.add_argument("file", type=Path, nargs="?")
    imp.add_argument("--kuis", type=Path, metavar="FILE",
                     help="quiz questions keyed by kode_sesi (CSV, YAML or XLSX)")
    imp.add_argument("--force", action="store_true",
                     help="allow cancelling or removing sessions that have attendance")
    imp.add_argument("--replace", action="store_true",
                     help="the file is the whole calendar for its date range")
    imp.add_argument("--dry-run", action="store_true", help="only report what would change")
    exp = jsub.add_parser("export", help="export the calendar")
    exp.add_argument("--format", choices=["csv", "yaml", "xlsx"], default="csv")
    exp.add_argument("--sep", choices=[",", ";"], default=",",
                     help="CSV separator (';' for Indonesian-locale Excel)")
    exp.add_argument("-o", "--output", type=Path)
    faq = sub.add_parser("faq", help="import or export the FAQ (YAML)")
    fsub = faq.add_subparsers(dest="action", required=True)
    fimp = fsub.add_parser("import", help="add and update the FAQ from a validated YAML file")
    fimp.add_argument("file", type=Path)
    fimp.add_argument("--replace", action="store_true",
                      help="the file is the whole FAQ: remove the entries it does not have")
    fimp.add_argument("--dry-run", action="store_true", help="only report what would change")
    fexp = fsub.add_parser("export", help="write the FAQ as YAML (standard output by default)")
    fexp.add_argument("-o", "--output", type=Path)
    from bot.cli_attendance import add_parser as add_attendance_parser

    add_attendance_parser(sub)
    from bot.cli_announce import add_parser as add_announce

    add_announce(sub)
    from bot.cli_konsol import add_parser as add_konsol

    add_konsol(sub)
    from bot.cli_backup import add_parser as add_backup

    add_backup(sub)
    from bot.cli_health import add_parser as add_health

    add_health(sub)
    return p


def _reads_only(args: argparse.Namespace) -> bool:
    """Commands that only read the bot's data: they never create (or seed) a database."""
    if args.command == "absensi":
        return True
    if args.command in ("faq", "jadwal"):
        return bool(args.action == "export" or getattr(args, "dry_run", False))
    return bool(args.command == "umumkan" and args.action == "status")


def _needs_existing(args: argparse.Namespace) -> bool:
    """Commands that make sense only on the bot's own database (not on a new, empty one)."""
    return _reads_only(args) or args.command == "umumkan"


async def _with_runtime(settings: Settings, args: argparse.Namespace, redact: Redactor) -> int:
    from bot.app import run_channels, run_console, run_worker
    from bot.runtime import build_runtime
    from bot.startup import migrate, open_existing, stored_callback_key

    command = args.command
    if _needs_existing(args):
        await open_existing(settings.database_url)
    else:
        await migrate(settings.database_url)
    clock = None
    if getattr(args, "at", None) is not None:
        from core.clock import ShiftedClock

        day, at = args.at
        clock = ShiftedClock(datetime.combine(day, at, tzinfo=settings.tz))
    rt = await build_runtime(settings, clock, migrate=False, seed=not _reads_only(args))
    try:
        redact.add(await stored_callback_key(rt.sessions))
        if command == "run":
            await run_channels(rt)
        elif command == "chat":
            await run_console(rt)
        elif command == "worker":
            await run_worker(rt)
        elif command == "jadwal":
            from bot.cli_calendar import export_cmd, import_cmd

            return await (import_cmd(rt, args) if args.action == "import" else export_cmd(rt, args))
        elif command == "faq":
            from bot import cli_faq

            if args.action == "import":
                return await cli_faq.import_cmd(rt, args)
            return await cli_faq.export_cmd(rt, args)
        elif command == "absensi":
            from bot.cli_attendance import run as run_attendance

            return await run_attendance(rt, args)
        elif command == "konsol":
            from bot.cli_konsol import link_cmd

            return await link_cmd(rt, args)
        elif command == "umumkan":
            from bot.cli_announce import announce_cmd, status_cmd

            return await (status_cmd(rt, args) if args.action == "status"
                          else announce_cmd(rt, args))
        return 0
    finally:
        await rt.close()


async def _upgrade(settings: Settings) -> int:
    from bot.startup import migrate

    await migrate(settings.database_url)
    print("database is up to date")
    return 0


def _binary_to_terminal(args: argparse.Namespace) -> bool:
    """An XLSX export headed for the terminal (it would fill it with binary)."""
    wants = getattr(args, "format", None) == "xlsx" and getattr(args, "output", "") is None
    return wants and sys.stdout.isatty()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script: a start-up problem is one line on stderr and exit
    code 2 (a setting) or 1 (anything else), never a traceback; no secret is ever printed."""
    args = _parser().parse_args(argv)
    if _binary_to_terminal(args):
        print(f"dahar-ngopi: an XLSX file is binary and is not written to the terminal: add "
              f"-o FILE (e.g. -o {args.command}.xlsx), or redirect the output to a file",
              file=sys.stderr)
        return 2
    # python-telegram-bot 22: time periods as timedelta (the int form is deprecated).
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    try:
        settings = load_settings()
    except SettingsError as exc:  # its message never quotes a value
        print(f"dahar-ngopi: {exc}", file=sys.stderr)
        return SETTING
    redact = setup_logging(settings.log_level, secrets_of(settings), fmt=settings.log_format)

    def say(line: str) -> None:
        print(redact(f"dahar-ngopi: {line}"), file=sys.stderr, flush=True)

    # Which database, always: a command run from another folder must not quietly use
    # (or create) another one.
    say(f"database {database_label(settings.database_url)}")
    own_metrics: Path | None = None  # this process's metrics directory, removed at exit
    try:
        if args.command == "db":
            return asyncio.run(_upgrade(settings))
        if args.command == "health":
            from bot.cli_health import run as run_health

            return run_health(settings)
        if args.command in ("backup", "restore"):
            from bot.cli_backup import run as run_backup

            return run_backup(settings, args)
        if args.command in SERVES_METRICS:
            # Before prometheus-client is first imported (at the first count: bot.counters),
            # as it picks memory or files then.
            from bot.metrics_dir import prepare_multiprocess_dir

            own_metrics = prepare_multiprocess_dir()
        return asyncio.run(_with_runtime(settings, args, redact))
    except StartupError as exc:
        say(str(exc))
        return exc.code
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        log.debug("stopped by an unexpected error", exc_info=True)
        say(f"stopped: {explain(exc)} (LOG_LEVEL=DEBUG logs the details)")
        return OTHER
    finally:
        if own_metrics is not None:
            shutil.rmtree(own_metrics, ignore_errors=True)
            os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
