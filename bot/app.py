"""Start and stop the configured channels (`dahar-ngopi run` and `chat`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys

from bot.console import ConsoleChannel, stdin_reader
from bot.http_server import HttpServer, TelegramWebhook, build_app
from bot.runtime import Runtime
from bot.telegram import build_application, set_commands

__all__ = ["run_channels", "run_console"]

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
) -> TelegramWebhook | None:
    """Start Telegram by long polling, or by webhook (returns the webhook route's handler)."""
    settings = rt.settings
    webhook_url = settings.telegram_webhook_url
    app = build_application(settings, rt.dispatcher, webhook=webhook_url is not None)
    rt.extras["telegram_app"] = app
    await stack.enter_async_context(app)
    await set_commands(app, rt.dispatcher)
    if webhook_url is not None:
        assert settings.telegram_webhook_secret is not None
        secret = settings.telegram_webhook_secret.get_secret_value()
        await app.bot.set_webhook(webhook_url, secret_token=secret,
                                  allowed_updates=TELEGRAM_UPDATES)
        await app.start()
        stack.push_async_callback(app.stop)
        log.info("Telegram channel started (webhook)")
        return TelegramWebhook(app, secret)
    assert app.updater is not None  # start_polling removes a webhook set before
    await app.updater.start_polling(allowed_updates=TELEGRAM_UPDATES)
    await app.start()
    stack.push_async_callback(app.stop)
    stack.push_async_callback(app.updater.stop)
    log.info("Telegram channel started (long polling)")
    return None


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
    async with contextlib.AsyncExitStack() as stack:
        telegram_webhook = None
        if settings.telegram_enabled:
            telegram_webhook = await _start_telegram(rt, stack)
        if rt.whatsapp is not None:
            await rt.whatsapp.start()
            stack.push_async_callback(rt.whatsapp.close)
        if rt.whatsapp is not None or telegram_webhook is not None:
            app = build_app(rt.sessions, whatsapp=rt.whatsapp, telegram=telegram_webhook)
            server = HttpServer(app, settings.http_host, settings.http_port)
            await server.start()
            rt.extras["http_server"] = server
            # Closed first (the stack unwinds backwards): no webhook arrives mid-shutdown.
            stack.push_async_callback(server.stop)
            if rt.whatsapp is not None:
                log.info("WhatsApp channel started (webhook on port %d)", server.port)
        await stop.wait()
