"""The bot as `dahar-ngopi run` (or `worker`) starts it, in the test's own event loop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from bot.app import run_channels
from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from core.clock import Clock

__all__ = ["running"]

Runner = Callable[..., Awaitable[None]]


@asynccontextmanager
async def running(settings: Settings, clock: Clock, runner: Runner = run_channels
                  ) -> AsyncIterator[Runtime]:
    """Build the runtime, start `runner` (run_channels or run_worker) and wait until
    everything runs; stop it and close the runtime at the end."""
    rt = await build_runtime(settings, clock, migrate=False)
    stop, started = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(runner(rt, stop=stop, started=started))
    try:
        # Started means everything runs (the scheduler's catch-up done); a start-up that
        # fails ends the task instead, and its error is raised here.
        waiting = asyncio.create_task(started.wait())
        await asyncio.wait([task, waiting], timeout=20, return_when=asyncio.FIRST_COMPLETED)
        waiting.cancel()
        if task.done():
            await task
        assert started.is_set(), "the bot did not start within 20 s"
        yield rt
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)
        await rt.close()
