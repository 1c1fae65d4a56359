"""A dispatcher process for the crash tests: deliver a database's outbox through a Bot API.

    python -m tests.bot.outbox_child --db URL --api http://127.0.0.1:PORT --token TOKEN

Delivers until nothing is due, then prints its counters as JSON and exits.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from datetime import timedelta

from telegram import Bot

from bot.outbox_worker import ChannelLimits, OutboxWorker, WorkerConfig
from bot.telegram.request import AiohttpRequest
from bot.telegram.send import TelegramSender
from core.clock import SystemClock
from db.engine import create_engine, create_sessions


async def _run(args: argparse.Namespace) -> dict[str, object]:
    engine = create_engine(args.db)
    sessions = create_sessions(engine)
    bot = Bot(args.token, base_url=f"{args.api}/bot",
              request=AiohttpRequest(connection_pool_size=args.concurrency))
    await bot.initialize()
    dispatcher = OutboxWorker(
        sessions, SystemClock(), [TelegramSender(bot)],
        limits={"telegram": ChannelLimits(rate=args.rate or None, chat_rate=None)},
        config=WorkerConfig(
            concurrency=args.concurrency, lease=timedelta(seconds=args.lease),
            poll_interval=0.1, maintenance_interval=0.2, claim_max=args.claim_max,
            max_unrecorded=args.max_unrecorded,
        ),
        name=args.name,
    )
    try:
        await dispatcher.run_until_idle(limit=120, settle=0.3)
    finally:
        await bot.shutdown()
        await engine.dispose()
    s = dispatcher.stats
    return {"sent": s.sent, "claimed": s.claimed, "reclaimed": s.reclaimed, "failed": s.failed}


def main() -> None:
    """Parse the arguments, deliver, print the counters."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("--api", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--name", default=None)
    parser.add_argument("--rate", type=float, default=0.0, help="messages/s; 0: no limit")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--lease", type=float, default=2.0, help="seconds")
    parser.add_argument("--max-unrecorded", type=int, default=1000)
    parser.add_argument("--claim-max", type=int, default=32)
    args = parser.parse_args()
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    print(json.dumps(asyncio.run(_run(args))), flush=True)


if __name__ == "__main__":
    main()
