"""The `dahar-ngopi` command line."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.settings import Settings, SettingsError, load_settings

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="dahar-ngopi", description="Dahar Ngopi bot")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="start every configured channel (terminal chat if none)")
    sub.add_parser("chat", help="chat with the bot in the terminal")
    sub.add_parser("worker", help="run the scheduler and the outbox dispatcher only")
    db = sub.add_parser("db", help="database maintenance")
    db.add_argument("action", choices=["upgrade"])
    jadwal = sub.add_parser("jadwal", help="import or export the content calendar")
    jsub = jadwal.add_subparsers(dest="action", required=True)
    imp = jsub.add_parser("import", help="import a CSV, YAML or XLSX calendar file")
    imp.add_argument("file", type=Path)
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
    fimp = fsub.add_parser("import", help="replace the FAQ with a validated YAML file")
    fimp.add_argument("file", type=Path)
    fimp.add_argument("--dry-run", action="store_true", help="only report what would change")
    fexp = fsub.add_parser("export", help="write the FAQ as YAML (standard output by default)")
    fexp.add_argument("-o", "--output", type=Path)
    from bot.cli_attendance import add_parser as add_attendance_parser

    add_attendance_parser(sub)
    from bot.cli_announce import add_parser as add_announce

    add_announce(sub)
    from bot.cli_backup import add_parser as add_backup

    add_backup(sub)
    from bot.cli_health import add_parser as add_health

    add_health(sub)
    return p


async def _with_runtime(settings: Settings, command: str, args: argparse.Namespace) -> int:
    from bot.app import run_channels, run_console, run_worker
    from bot.runtime import build_runtime

    rt = await build_runtime(settings)
    try:
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
        elif command == "umumkan":
            from bot.cli_announce import announce_cmd, status_cmd

            return await (status_cmd(rt, args) if args.action == "status"
                          else announce_cmd(rt, args))
        return 0
    finally:
        await rt.close()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    args = _parser().parse_args(argv)
    # python-telegram-bot 22: time periods as timedelta (the int form is deprecated).
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"dahar-ngopi: {exc}", file=sys.stderr)
        return 2
    from bot.logs import setup_logging

    secrets = [
        s.get_secret_value()
        for s in (settings.telegram_bot_token, settings.callback_secret)
        if s is not None
    ]
    setup_logging(settings.log_level, secrets)
    if args.command == "db":
        from db.migrate import upgrade

        upgrade(settings.database_url)
        print("database is up to date")
        return 0
    if args.command == "health":
        from bot.cli_health import run as run_health

        return run_health(settings)
    if args.command in ("backup", "restore"):
        from bot.cli_backup import run as run_backup

        return run_backup(settings, args)
    try:
        return asyncio.run(_with_runtime(settings, args.command, args))
    except KeyboardInterrupt:
        return 130
