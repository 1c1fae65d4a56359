"""`dahar-ngopi health`: is a bot process alive on this host? (the container's health check)"""

from __future__ import annotations

import argparse
import asyncio
import socket
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.settings import Settings

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `health` to the CLI."""
    sub.add_parser(
        "health", help="exit 0 if a run/worker process on this host beats its heartbeat",
        description="Reads the heartbeats every `run` and `worker` process writes to the "
                    "database every 5 s: healthy when one of this host's is fresher than 15 s "
                    "(so the database answers and the process's loop is alive).")


async def _check(settings: Settings) -> tuple[bool, str]:
    from sqlalchemy.exc import SQLAlchemyError

    from core.clock import SystemClock
    from db.backup import reason
    from db.engine import create_engine, create_sessions
    from db.heartbeats import STALE_AFTER, alive

    host = socket.gethostname()[:100]
    now = SystemClock().now()
    engine = create_engine(settings.database_url)
    try:
        async with create_sessions(engine)() as db:
            mine = [p for p in await alive(db, now) if p.host == host]
    except (SQLAlchemyError, OSError) as exc:
        return False, f"cannot reach the database: {reason(exc)}"
    finally:
        await engine.dispose()
    if not mine:
        return False, (f"no run or worker process on {host} wrote its heartbeat in the last "
                       f"{int(STALE_AFTER.total_seconds())} s")
    return True, "ok: " + ", ".join(
        f"{p.role} pid {p.pid} ({(now - p.last_seen_at).total_seconds():.0f} s ago)"
        for p in mine)


def run(settings: Settings) -> int:
    """Print the verdict in one line; 0 when healthy, 1 when not."""
    healthy, line = asyncio.run(_check(settings))
    print(line if healthy else f"dahar-ngopi: {line}", file=sys.stdout if healthy else sys.stderr)
    return 0 if healthy else 1
