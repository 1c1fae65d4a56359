"""Start and stop the configured channels (`dahar-ngopi run`, `worker` and `chat`)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import sys
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace

from starlette.routing import BaseRoute

from bot.alert_checks import AlertConfig
from bot.alerts import Alerts
from bot.background import Background, build_background
from bot.channel import Channel
from bot.console import ConsoleChannel, StdinReader
from bot.delivery import Sender
from bot.flow import ChannelFlow
from bot.heartbeat import Heartbeat
from bot.http_server import HttpServer, build_app, build_internal_app
from bot.logs import log_to_file
from bot.maintenance import schedule_maintenance
from bot.pacing import ChannelLimits
from bot.receiving import Watched
from bot.runtime import Runtime
from bot.stopping import stop_on_signals
from bot.verification import verification_routes
from schedules.announcer import Announcer

__all__ = ["run_channels", "run_console", "run_worker", "start_listeners"]

log = logging.getLogger(__name__)


ANNOUNCER_GRACE = 3.0  # seconds the announcer may take to stop


def _print(text: str) -> None:
    end = "" if text in ("> ", "\n") else "\n"
    sys.stdout.write(text + end)
    sys.stdout.flush()


async def run_console(
    rt: Runtime,
    *,
    stop: asyncio.Event | None = None,
    started: asyncio.Event | None = None,
    read_line: Callable[[], Awaitable[str | None]] | None = None,
    write: Callable[[str], None] = _print,
) -> None:
    """The terminal chat on standard input/output until /keluar, the end of input or Ctrl-C
    (`stop`). With no platform configured it is the whole bot: the scheduler, the announcer
    and the outbox worker run and deliver to it. Log lines go to LOG_FILE meanwhile, not
    between the chat's lines."""
    info = rt.deps.channels["console"]
    console = ConsoleChannel(rt.dispatcher, read_line or StdinReader(), write, info=info)
    stop = stop or stop_on_signals()
    with log_to_file(rt.settings.log_file):
        async with contextlib.AsyncExitStack() as stack:
            if info.delivers:
                await _start_heartbeat(rt, stack, "chat")
                await _start_background(rt, stack, {"console": console})
            if started is not None:
                started.set()
            await console.run(stop)


async def _start_heartbeat(
    rt: Runtime, stack: contextlib.AsyncExitStack, role: str
) -> None:
    """This process's heartbeat, first: every claim it makes names it, and others take the
    claims back as soon as it goes stale."""
    heartbeat = Heartbeat(rt.sessions, rt.clock, role, name=rt.name)
    await heartbeat.start()
    rt.extras["heartbeat"] = heartbeat
    stack.push_async_callback(heartbeat.stop)


async def _open_channels(
    rt: Runtime, stack: contextlib.AsyncExitStack, *, receive: bool
) -> None:
    """Open every configured channel (receiving, with `receive`); /readyz waits for them
    and for the background, and watches what each one runs."""
    rt.readiness.expect(*(f"channel {name}" for name in rt.channels), "scheduler and outbox")
    for name, channel in rt.channels.items():
        await channel.open(stack, receive=receive)
        rt.readiness.started(f"channel {name}", _running(channel) if receive else None)


def _running(channel: Channel) -> Callable[[], str | None]:
    """A probe of what a channel runs in the background (its inbox processor, its poller)."""
    parts = [p for p in (getattr(channel, a, None) for a in ("processor", "inbox", "poller"))
             if p is not None and callable(getattr(p, "problem", None))]

    def probe() -> str | None:
        problems = [problem for p in parts if (problem := p.problem())]
        return "; ".join(problems) or None

    return probe


async def _start_background(
    rt: Runtime, stack: contextlib.AsyncExitStack,
    channels: Mapping[str, Channel] | None = None,
) -> None:
    """The nudge scheduler, the outbox worker delivering on the running channels (or
    `channels`), the announcer, and the alerts."""
    senders: list[Sender] = []
    limits: dict[str, ChannelLimits] = {}
    flows: dict[str, ChannelFlow] = {}
    running = rt.channels if channels is None else channels
    for name, channel in running.items():
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
    windowed = [c.name for c in deps.channels.values() if c.templates]
    background = build_background(deps.config, rt.sessions, rt.clock, senders, limits=limits,
                                  flows=flows, personalise=rt.personalise, bell=rt.bell,
                                  prepare=rt.prepare, windowed=windowed, name=rt.name,
                                  leader_timeout=rt.settings.leader_timeout)
    rt.extras["maintenance"] = schedule_maintenance(background.scheduler, rt.settings,
                                                    rt.sessions, rt.clock)
    await background.start()
    rt.readiness.started("scheduler and outbox")
    rt.extras["background"] = background
    stack.push_async_callback(background.stop)
    alerts = Alerts(rt.sessions, rt.clock, deps.channels, AlertConfig.from_settings(rt.settings),
                    watched={n: c for n, c in running.items() if isinstance(c, Watched)},
                    leadership=background.leadership)
    alerts.start()
    rt.extras["alerts"] = alerts
    stack.push_async_callback(alerts.stop)


async def _within(seconds: float, stop: Callable[[], Awaitable[None]], what: str) -> None:
    """Run a stop, giving up on it after `seconds`."""
    try:
        await asyncio.wait_for(stop(), seconds)
    except TimeoutError:
        log.warning("%s did not stop within %.0f s; left behind", what, seconds)


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


def _konsol_banner(rt: Runtime, url: str) -> str:
    """Where the konsol is and how to get in (printed at start, for the operator)."""
    owners = [f"{c}:{o}" for c, o in rt.deps.channels.owners()]
    example = owners[0] if owners else "telegram:ID"
    lines = [f"Konsol (admin web page): {url}/"]
    if rt.settings.konsol_url:
        lines[0] += f" — admins open it at {rt.settings.konsol_url}/"
    else:
        lines.append("  reachable on this machine only (set KONSOL_URL for the agency's proxy)")
    lines.append(f"  login link: /konsol in chat as an admin, or "
                 f"`dahar-ngopi konsol link --admin {example}`")
    if not owners:
        lines.append("  no owner yet: put your Telegram user id in ADMIN_TELEGRAM_IDS first")
    return "\n".join(lines)


async def start_listeners(
    rt: Runtime, stack: contextlib.AsyncExitStack, *, public: Sequence[BaseRoute] = (),
    webhooks: Sequence[str] = (), konsol: bool = True,
) -> None:
    """The two listeners: the public one (HTTP_HOST:HTTP_PORT) when there are webhooks to
    serve, and the internal one (ADMIN_HTTP_HOST:ADMIN_HTTP_PORT) always: the konsol,
    /healthz, /readyz and /metrics, or no konsol (`konsol=False`, the worker). Stopped by
    `stack`."""
    settings = rt.settings
    if public:
        server = HttpServer(build_app(public, webhooks=webhooks),
                            settings.http_host, settings.http_port,
                            forwarded_allow_ips=settings.forwarded_allow_ips)
        await server.start()
        rt.extras["http_server"] = server
        stack.push_async_callback(server.stop)
    app = None
    if konsol:
        from bot.web import build_konsol

        secure = (settings.konsol_url or "").startswith("https://")
        app = build_konsol(rt.deps, secure_cookie=secure)
    internal = HttpServer(build_internal_app(rt.readiness, app, [_metrics(rt)]),
                          settings.admin_http_host,
                          settings.admin_http_port,
                          forwarded_allow_ips=settings.forwarded_allow_ips,
                          settings=("ADMIN_HTTP_HOST", "ADMIN_HTTP_PORT"))
    await internal.start()
    rt.extras["admin_server"] = internal
    stack.push_async_callback(internal.stop)
    if konsol:
        url = internal.url + "/konsol"
        if settings.konsol_url is None:
            # Port 0 (tests) is known only now: login links point at the real one.
            rt.deps.config = replace(rt.deps.config, konsol_url=url)
        print(_konsol_banner(rt, url), file=sys.stderr)


def _metrics(rt: Runtime) -> BaseRoute:
    """/metrics for this process (behind METRICS_TOKEN when set)."""
    from bot.metrics import metrics_route

    def leading() -> bool:
        background = rt.extras.get("background")
        return isinstance(background, Background) and background.leading

    token = rt.settings.metrics_token
    return metrics_route(rt.sessions, rt.clock, rt.settings.tz, leader=leading,
                         token=token.get_secret_value() if token is not None else None)


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
        await start_listeners(rt, stack, konsol=False)
        await _open_channels(rt, stack, receive=False)
        await _start_background(rt, stack)
        log.info("worker started: scheduler and outbox worker")
        await _until_stopped(rt, stop, started)


async def run_channels(
    rt: Runtime, *, stop: asyncio.Event | None = None, started: asyncio.Event | None = None
) -> None:
    """Run every configured channel until SIGINT/SIGTERM (or `stop` is set); `started` is
    set once everything runs.

    Channels that receive by webhook (WhatsApp, Telegram in webhook mode) are served by
    the public listener on HTTP_HOST:HTTP_PORT, which also answers /healthz and, with
    PUBLIC_URL set, the certificates' verification page (/verifikasi/{code}); the konsol by
    the internal one (`start_listeners`).
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
        # Log lines go to LOG_FILE from here until the listeners have stopped too.
        with log_to_file(rt.settings.log_file):
            async with contextlib.AsyncExitStack() as stack:
                await start_listeners(rt, stack)
                await run_console(rt)
        return
    stop = stop or stop_on_signals()
    # The stack unwinds backwards: the scheduler and the outbox stop first; the HTTP server
    # then stops acknowledging webhooks (each one acknowledged is stored), before the
    # channels' receiving and processing stop.
    async with contextlib.AsyncExitStack() as stack:
        await _start_heartbeat(rt, stack, "run")
        await _open_channels(rt, stack, receive=True)
        routes = {name: list(c.routes()) for name, c in rt.channels.items()}
        pages = (verification_routes(rt.sessions, rt.deps.config)
                 if rt.deps.config.certificates.enabled else [])
        await start_listeners(rt, stack,
                              public=[r for rs in routes.values() for r in rs] + pages,
                              webhooks=[name for name, rs in routes.items() if rs])
        if any(routes.values()):
            for channel in rt.channels.values():
                await channel.listening()
        await _start_background(rt, stack)
        await _until_stopped(rt, stop, started)
