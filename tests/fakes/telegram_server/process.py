"""The fake as its own process for benchmarks: command line, signals, exit when stdin closes."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Iterable

from tests.fakes.telegram_server.constants import FAKE_TOKEN
from tests.fakes.telegram_server.fake import FakeTelegram

_DESCRIPTION = (
    "A fake Telegram Bot API server on 127.0.0.1 speaking real HTTP and JSON, for tests and "
    "benches."
)
"""What --help says (the first line of the package docstring)."""


async def _serve(args: argparse.Namespace) -> None:
    fake = FakeTelegram(
        token=args.token,
        host=args.host,
        port=args.port,
        rate_limit=args.rate_limit,
        latency=args.latency_ms / 1000.0,
        record=args.record,
        time_answers=args.time_answers,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    if args.stop_on_eof:
        # A parent that dies without terminating us closes our stdin: leave with it.
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

        async def watch_stdin() -> None:
            await reader.read()
            stop.set()

        watcher = asyncio.create_task(watch_stdin())
    async with fake:
        print(fake.port, flush=True)
        await stop.wait()
    if args.stop_on_eof:
        watcher.cancel()


def main(argv: Iterable[str] | None = None, *, prog: str | None = None) -> None:
    """Run the fake as its own process: prints the port, serves until SIGTERM/SIGINT."""
    parser = argparse.ArgumentParser(prog=prog, description=_DESCRIPTION)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (printed)")
    parser.add_argument("--token", default=FAKE_TOKEN)
    parser.add_argument("--rate-limit", type=int, default=None, help="message calls per second")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="added to every answer")
    parser.add_argument(
        "--record", action="store_true", help="keep calls and messages (memory grows per call)"
    )
    parser.add_argument(
        "--stop-on-eof", action="store_true", help="exit when stdin closes (a parent died)"
    )
    parser.add_argument(
        "--time-answers", action="store_true",
        help="time each update from queued to the bot's first message to its chat "
             "(GET /__answer_times)",
    )
    args = parser.parse_args(list(argv) if argv is not None else None)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))
