"""`dahar-ngopi konsol link --admin telegram:123`: a one-time konsol login link for operators."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.runtime import Runtime

__all__ = ["add_parser", "link_cmd"]


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `konsol` and its actions to the CLI."""
    konsol = sub.add_parser("konsol", help="the admins' web konsol")
    ksub = konsol.add_subparsers(dest="action", required=True)
    link = ksub.add_parser("link", help="print a one-time login link for an admin")
    link.add_argument("--admin", required=True, metavar="KANAL:ID",
                      help="the admin it signs in, e.g. telegram:123456 (an owner or an admin)")


async def link_cmd(rt: Runtime, args: argparse.Namespace) -> int:
    """Print a login link for an admin (single use, valid 10 minutes)."""
    from db.konsol import create_link
    from db.people import is_db_admin
    from handlers.konsol import login_url

    channels = rt.deps.channels
    try:
        channel, ident = channels.parse_admin_id(args.admin)
    except ValueError as exc:
        print(f"dahar-ngopi: --admin: {exc}", file=sys.stderr)
        return 2
    try:
        by = f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        by = "cli:?"
    async with rt.sessions() as db, db.begin():
        if not channels.is_owner(channel, ident) and not await is_db_admin(db, channel, ident):
            print(f"dahar-ngopi: {channel}:{ident} is not an admin (owners come from "
                  "ADMIN_TELEGRAM_IDS / ADMIN_WHATSAPP_NUMBERS; owners add admins with /admin "
                  "or in the konsol).", file=sys.stderr)
            return 1
        token = await create_link(db, channel, ident, by=by, now=rt.clock.now())
    print(login_url(rt.deps.config, token))
    if rt.settings.konsol_url is None:
        print("(single use, valid 10 minutes; KONSOL_URL is not set, so the link works on this "
              "machine only, while `dahar-ngopi run` is running)", file=sys.stderr)
    else:
        print("(single use, valid 10 minutes)", file=sys.stderr)
    return 0
