"""Start and stop the configured channels (`dahar-ngopi run` and `chat`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys

from bot.announcer import start_announcer
from bot.console import ConsoleChannel, stdin_reader
from bot.runtime import Runtime
from bot.telegram import build_application, set_commands

__all__ = ["run_channels", "run_console"]

log = logging.getLogger(__name__)


def _stop_event() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    return stop


async def run_console(rt: Runtime) -> None:
    """The terminal chat on standard input/output."""

    def write(text: str) -> None:
        end = "" if text == "> " else "\n"
        sys.stdout.write(text + end)
        sys.stdout.flush()

    await ConsoleChannel(rt.dispatcher, stdin_reader, write).run()


async def run_channels(rt: Runtime, *, stop: asyncio.Event | None = None) -> None:
    """Run every configured channel until SIGINT/SIGTERM (or `stop` is set)."""
    settings = rt.settings
    if not settings.telegram_enabled:
        print(
            "No channel configured (set TELEGRAM_BOT_TOKEN): starting the terminal chat.",
            file=sys.stderr,
        )
        await run_console(rt)
        return
    stop = stop or _stop_event()
    app = build_application(settings, rt.dispatcher)
    rt.extras["telegram_app"] = app
    async with app:
        await set_commands(app, rt.dispatcher)
        assert app.updater is not None
        await app.updater.start_polling(allowed_updates=["message", "callback_query"])
        await app.start()
        log.info("Telegram channel started (long polling)")
        announcer = start_announcer(
            rt.sessions, rt.clock, settings, rt.deps.services, rt.deps.regions, rt.deps.signer,
        )
        await stop.wait()
        await announcer.stop()
        await app.updater.stop()
        await app.stop()
