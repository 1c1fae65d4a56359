"""Start and stop the configured channels (`dahar-ngopi run`, `worker` and `chat`)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import sys
from collections.abc import Awaitable, Callable

from bot.background import build_background
from bot.console import ConsoleChannel
from bot.delivery import Sender
from bot.flow import ChannelFlow
from bot.heartbeat import Heartbeat
from bot.http_server import HttpServer, build_app
from bot.pacing import ChannelLimits
from bot.runtime import Runtime
from bot.stopping import first_of, read_line_daemon, stop_on_signals
from schedules.announcer import Announcer

__all__ = ["run_channels", "run_console", "run_worker"]

log = logging.getLogger(__name__)

ANNOUNCER_GRACE = 3.0  # seconds the announcer may take to stop


async def run_console(rt: Runtime) -> None:
    """The terminal chat on standard input/output; Ctrl-C or SIGTERM ends it at once, even
    while it waits for a line (bot.stopping)."""
    stop = stop_on_signals()

    async def read() -> str | None:
        return await first_of(read_line_daemon(), stop)

    def write(text: str) -> None:
        end = "" if text == "> " else "\n"
        sys.stdout.write(text + end)
        sys.stdout.flush()

    await ConsoleChannel(rt.dispatcher, read, write).run()


async def _start_heartbeat(
    rt: Runtime, stack: contextlib.AsyncExitStack, role: str
) -> None:
    """This process's heartbeat, first: every claim it makes names it, and others take the
    claims back as soon as it goes stale."""
    heartbeat = Heartbeat(rt.sessions, rt.clock, role, name=rt.name)
    await heartbeat.start()
    rt.extras["heartbeat"] = heartbeat
    stack.push_async_callback(heartbeat.stop)


async def _start_background(rt: Runtime, stack: contextlib.AsyncExitStack) -> None:
    """The nudge scheduler, the outbox worker delivering on the running channels, and the
    announcer."""
    senders: list[Sender] = []
    limits: dict[str, ChannelLimits] = {}
    flows: dict[str, ChannelFlow] = {}
    for name, channel in rt.channels.items():
        sender, limits[name] = await channel.outbox(stack)
        senders.append(sender)
        flow = getattr(channel, "flow", None)
        if isinstance(flow, ChannelFlow):  # shared with the channel's replies
            flows[name] = flow
    # Announcements (scheduled starts, progress, reports): safe in several processes, so a
    # worker alone also starts `--at` announcements.
    deps = rt.deps
    announcer = Announcer(rt.sessions, rt.clock, deps.config, deps.channels, deps.regions,
                          deps.signer)
    deps.announcer = announcer
    announcer.start()
    # Rows being written are waited for, within limits: they are idempotent, and a stop
    # within seconds matters more (an interrupted announcement is resumed after a restart).
    stack.push_async_callback(_within, ANNOUNCER_GRACE, announcer.stop, "the announcer")
    background = build_background(deps.config, rt.sessions, rt.clock, senders, limits=limits,
                                  flows=flows, personalise=rt.personalise, bell=rt.bell,
                                  name=rt.name, leader_timeout=rt.settings.leader_timeout)
    await background.start()
    rt.extras["background"] = background
    stack.push_async_callback(background.stop)


async def _within(seconds: float, stop: Callable[[], Awaitable[None]], what: str) -> None:
    """Run a stop, giving up on it after `seconds`."""
    try:
        await asyncio.wait_for(stop(), seconds)
    except TimeoutError:
        log.warning("%s did not stop within %.0f s; left behind", what, seconds)


async def _start_http(rt: Runtime, stack: contextlib.AsyncExitStack) -> None:
    """One HTTP server for the channels that receive by webhook (and /healthz), if any."""
    routes = {name: list(c.routes()) for name, c in rt.channels.items()}
    if not any(routes.values()):
        return
    app = build_app(rt.sessions, [r for rs in routes.values() for r in rs],
                    webhooks=[name for name, rs in routes.items() if rs])
    server = HttpServer(app, rt.settings.http_host, rt.settings.http_port)
    await server.start()
    rt.extras["http_server"] = server
    stack.push_async_callback(server.stop)
    for channel in rt.channels.values():
        await channel.listening()


async def _until_stopped(rt: Runtime, stop: asyncio.Event, started: asyncio.Event | None
                         ) -> None:
    """Everything runs: say so, wait for the stop, then stop taking new work at once (the
    caller's stack winds the rest down, within seconds: bot.stopping)."""
    _freeze_heap()
    if started is not None:
        started.set()
    await stop.wait()
    rt.stopping.set()
    log.info("stopping")


def _freeze_heap() -> None:
    """What is loaded once started lives as long as the process: keep it out of the garbage
    collector's full passes, which otherwise stall every answer for 0.1-0.2 s
    (docs/benchmarks-attendance.md)."""
    gc.collect()
    gc.freeze()


async def run_worker(
    rt: Runtime, *, stop: asyncio.Event | None = None, started: asyncio.Event | None = None
) -> None:
    """`dahar-ngopi worker`: the scheduler and the outbox worker, receiving nothing; any
    number may run beside `run` processes on one database."""
    if not rt.channels:
        print("No channel configured: the worker has nothing to deliver to.", file=sys.stderr)
        return
    stop = stop or stop_on_signals()
    async with contextlib.AsyncExitStack() as stack:
        await _start_heartbeat(rt, stack, "worker")
        for channel in rt.channels.values():
            await channel.open(stack, receive=False)
        await _start_background(rt, stack)
        log.info("worker started: scheduler and outbox worker")
        await _until_stopped(rt, stop, started)


async def run_channels(
    rt: Runtime, *, stop: asyncio.Event | None = None, started: asyncio.Event | None = None
) -> None:
    """Run every configured channel until SIGINT/SIGTERM (or `stop` is set); `started` is
    set once everything runs.

    Channels that receive by webhook (WhatsApp, Telegram in webhook mode) are served by
    one HTTP server on HTTP_HOST:HTTP_PORT, which also answers /healthz.
    """
    settings = rt.settings
    if settings.whatsapp_partly_configured:
        print(
            "WhatsApp stays off: set " + ", ".join(settings.whatsapp_missing()) + " too.",
            file=sys.stderr,
        )
    if not rt.channels:
        print(
            "No channel configured (set TELEGRAM_BOT_TOKEN or the WHATSAPP_* settings): "
            "starting the terminal chat.",
            file=sys.stderr,
        )
        await run_console(rt)
        return
    stop = stop or stop_on_signals()
    # The stack unwinds backwards: the scheduler and the outbox stop first; the HTTP server
    # then stops acknowledging webhooks (each one acknowledged is stored), before the
    # channels' receiving and processing stop.
    async with contextlib.AsyncExitStack() as stack:
        await _start_heartbeat(rt, stack, "run")
        for channel in rt.channels.values():
            await channel.open(stack, receive=True)
        await _start_http(rt, stack)
        await _start_background(rt, stack)
        await _until_stopped(rt, stop, started)
