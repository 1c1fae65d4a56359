"""Start and stop the configured channels (`dahar-ngopi run` and `chat`)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import sys

from telegram import Bot
from telegram.ext import Application

from bot.announcer import start_announcer
from bot.background import build_background
from bot.console import ConsoleChannel, stdin_reader
from bot.delivery import Sender
from bot.dispatcher import ChannelLimits
from bot.http_server import HttpServer, TelegramWebhook, build_app
from bot.runtime import Runtime
from bot.telegram import build_application, set_commands
from bot.telegram_request import AiohttpRequest
from bot.telegram_send import TelegramSender

__all__ = ["run_channels", "run_console", "run_worker"]

log = logging.getLogger(__name__)

TELEGRAM_UPDATES = ["message", "callback_query"]


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


async def _start_telegram(
    rt: Runtime, stack: contextlib.AsyncExitStack
) -> Application:  # type: ignore[type-arg]
    """Start Telegram: long polling, or (TELEGRAM_WEBHOOK_URL) updates fed by our server."""
    settings = rt.settings
    webhook = settings.telegram_webhook_url is not None
    app = build_application(settings, rt.dispatcher, webhook=webhook)
    rt.extras["telegram_app"] = app
    await stack.enter_async_context(app)
    await set_commands(app, rt.dispatcher)
    if not webhook:
        assert app.updater is not None  # start_polling removes a webhook set before
        await app.updater.start_polling(allowed_updates=TELEGRAM_UPDATES)
        stack.push_async_callback(app.updater.stop)
    await app.start()
    stack.push_async_callback(app.stop)
    log.info("Telegram channel started (%s)", "webhook" if webhook else "long polling")
    return app


async def _outbox_bot(rt: Runtime, stack: contextlib.AsyncExitStack) -> Bot:
    """A Bot of its own for the outbox: no PTB rate limiter in the way, so a 429 reaches
    the dispatcher (which pauses the whole channel) instead of being retried inside PTB."""
    settings = rt.settings
    assert settings.telegram_bot_token is not None
    api = settings.telegram_api_url
    bot = Bot(
        settings.telegram_bot_token.get_secret_value(),
        base_url=f"{api}/bot",
        base_file_url=f"{api}/file/bot",
        request=AiohttpRequest(connection_pool_size=128),
    )
    await bot.initialize()
    stack.push_async_callback(bot.shutdown)
    return bot


async def _start_background(rt: Runtime, stack: contextlib.AsyncExitStack) -> None:
    """The nudge scheduler and the outbox dispatcher, delivering on the configured channels."""
    senders: list[Sender] = []
    limits: dict[str, ChannelLimits] = {}
    if rt.settings.telegram_enabled:
        bot = await _outbox_bot(rt, stack)
        senders.append(TelegramSender(bot, paid_broadcast=rt.settings.telegram_paid_broadcast))
    if rt.whatsapp is not None:
        senders.append(rt.whatsapp.outbox_sender)  # knows the 24-hour window
        limits["whatsapp"] = rt.whatsapp.outbox_limits
    # Announcements (scheduled starts, progress, reports): safe in several processes, so a
    # worker alone also starts `--at` announcements.
    announcer = start_announcer(
        rt.sessions, rt.clock, rt.settings, rt.deps.services, rt.deps.regions, rt.deps.signer,
    )
    stack.push_async_callback(announcer.stop)
    background = build_background(rt.settings, rt.sessions, rt.clock, senders, limits=limits,
                                  personalise=rt.personalise)
    await background.start()
    rt.extras["background"] = background
    stack.push_async_callback(background.stop)


def _freeze_heap() -> None:
    """What is loaded once started lives as long as the process: keep it out of the garbage
    collector's full passes, which otherwise stall every answer for 0.1-0.2 s
    (docs/benchmarks-attendance.md)."""
    gc.collect()
    gc.freeze()


async def run_worker(rt: Runtime, *, stop: asyncio.Event | None = None) -> None:
    """`dahar-ngopi worker`: the scheduler and the outbox dispatcher, receiving nothing
    (two processes cannot both poll one bot token; this one can run beside `run`)."""
    if not rt.settings.telegram_enabled and rt.whatsapp is None:
        print("No channel configured: the worker has nothing to deliver to.", file=sys.stderr)
        return
    stop = stop or _stop_event()
    async with contextlib.AsyncExitStack() as stack:
        if rt.whatsapp is not None:
            await rt.whatsapp.start(process=False)
            stack.push_async_callback(rt.whatsapp.close)
        await _start_background(rt, stack)
        log.info("worker started: scheduler and outbox dispatcher")
        _freeze_heap()
        await stop.wait()


async def run_channels(rt: Runtime, *, stop: asyncio.Event | None = None) -> None:
    """Run every configured channel until SIGINT/SIGTERM (or `stop` is set).

    Telegram polls (or takes webhooks); WhatsApp, and Telegram in webhook mode, are
    served by one HTTP server on HTTP_HOST:HTTP_PORT, which also answers /healthz.
    """
    settings = rt.settings
    if settings.whatsapp_partly_configured:
        print(
            "WhatsApp stays off: set " + ", ".join(settings.whatsapp_missing()) + " too.",
            file=sys.stderr,
        )
    if not settings.telegram_enabled and rt.whatsapp is None:
        print(
            "No channel configured (set TELEGRAM_BOT_TOKEN or the WHATSAPP_* settings): "
            "starting the terminal chat.",
            file=sys.stderr,
        )
        await run_console(rt)
        return
    stop = stop or _stop_event()
    # The stack unwinds backwards: the HTTP server closes first, so that no webhook is
    # acknowledged while the channels behind it are already stopping.
    async with contextlib.AsyncExitStack() as stack:
        telegram = await _start_telegram(rt, stack) if settings.telegram_enabled else None
        hook = None
        if telegram is not None and settings.telegram_webhook_secret is not None:
            hook = TelegramWebhook(telegram, settings.telegram_webhook_secret.get_secret_value())
        if rt.whatsapp is not None:
            await rt.whatsapp.start()
            stack.push_async_callback(rt.whatsapp.close)
        if rt.whatsapp is not None or hook is not None:
            server = HttpServer(build_app(rt.sessions, whatsapp=rt.whatsapp, telegram=hook),
                                settings.http_host, settings.http_port)
            await server.start()
            rt.extras["http_server"] = server
            stack.push_async_callback(server.stop)
            if rt.whatsapp is not None:
                log.info("WhatsApp channel started (webhook on port %d)", server.port)
        if telegram is not None and hook is not None:
            # Only now: Telegram starts posting as soon as the webhook is set.
            assert settings.telegram_webhook_url is not None
            await telegram.bot.set_webhook(
                settings.telegram_webhook_url, secret_token=hook.secret,
                allowed_updates=TELEGRAM_UPDATES,
            )
        await _start_background(rt, stack)
        _freeze_heap()
        await stop.wait()
