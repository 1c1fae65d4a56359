"""Stopping in seconds: SIGTERM or Ctrl-C ends the process within STOP_LIMIT, backlog or not.

The first signal sets an event: the process stops taking new work, finishes what is in
flight and winds down in order (whatever is left stays stored for the next start). If that
has not ended the process `EXIT_AFTER` seconds later, a watchdog ends it: nothing is lost
by that either (what was received is stored; what was claimed returns when this process's
heartbeat goes stale), it only costs duplicates of what was in flight. A second signal ends
the process at once.

For a loop that waits on something that cannot be cancelled (a terminal's blocking
`readline`: bot.console.StdinReader reads it on a daemon thread), `first_of` races it
against the stop event.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import threading
from collections.abc import Awaitable
from typing import TypeVar

__all__ = ["EXIT_AFTER", "STOP_LIMIT", "first_of", "stop_on_signals"]

log = logging.getLogger(__name__)

T = TypeVar("T")

STOP_LIMIT = 10.0  # seconds a container runtime waits after SIGTERM before SIGKILL
EXIT_AFTER = 9.0  # the watchdog's limit, inside it
EXIT_CODE = 1  # the watchdog or a second signal ended the process


def _exit_now(why: str) -> None:
    log.error("%s: exiting now; what was received stays stored for the next start", why)
    for handler in logging.getLogger().handlers:
        with contextlib.suppress(Exception):
            handler.flush()
    os._exit(EXIT_CODE)


def stop_on_signals(*, limit: float = EXIT_AFTER) -> asyncio.Event:
    """An event the first SIGINT or SIGTERM sets; the process is ended `limit` seconds later
    if it is still running, and at once by a second signal."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def on_signal() -> None:
        if stop.is_set():
            _exit_now("a second stop signal")
        stop.set()
        log.info("stopping: taking no new work; the process ends within %.0f s", limit)
        watchdog = threading.Timer(limit, _exit_now, args=(f"not stopped within {limit:.0f} s",))
        watchdog.daemon = True
        watchdog.start()

    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, on_signal)
    return stop


async def first_of(work: Awaitable[T], stop: asyncio.Event) -> T | None:
    """The result of `work`, or None as soon as `stop` is set (`work` is then cancelled)."""
    task = asyncio.ensure_future(work)
    stopped = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait([task, stopped], return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopped.cancel()
    if task.done():
        return task.result()
    task.cancel()
    return None
