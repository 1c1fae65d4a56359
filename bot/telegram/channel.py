"""The Telegram channel: its description, and python-telegram-bot started for `run`."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from starlette.routing import BaseRoute, Route
from telegram import Bot
from telegram.ext import Application

from bot.delivery import Sender
from bot.pacing import ChannelLimits
from bot.settings import Settings
from bot.telegram.adapter import build_application, set_commands
from bot.telegram.probe import check_telegram
from bot.telegram.request import AiohttpRequest
from bot.telegram.send import TelegramSender
from bot.telegram.webhook import TELEGRAM_PATH, TelegramWebhook
from core.channels import ChannelInfo

if TYPE_CHECKING:
    from bot.runtime import Runtime

__all__ = ["TELEGRAM_UPDATES", "TelegramChannel", "describe"]

log = logging.getLogger(__name__)

TELEGRAM_UPDATES = ["message", "callback_query"]
PAID_BROADCAST_RATE = 1000.0  # messages per second with allow_paid_broadcast (paid in Stars)


def _user_id(raw: str) -> str:
    text = raw.strip()
    if not text.isdigit():
        raise ValueError("a Telegram user id is a number")
    return text


def describe(settings: Settings) -> ChannelInfo:
    """What the core needs to know of Telegram."""
    rate = settings.telegram_rate
    if settings.telegram_paid_broadcast:
        rate = max(rate, PAID_BROADCAST_RATE)
    return ChannelInfo(
        name="telegram", label="Telegram", can_edit=True, needs_slash=True, has_toasts=True,
        text_limit=4096, caption_limit=1024, upload_limit=50 * 1024 * 1024,
        delivers=settings.telegram_enabled, owners=frozenset(settings.admin_telegram_ids),
        rate=rate, parse_user_id=_user_id,
    )


class TelegramChannel:
    """python-telegram-bot's Application (long polling, or webhook mode), and a Bot of
    the outbox's own."""

    def __init__(self, rt: Runtime, info: ChannelInfo) -> None:
        self.info = info
        self._rt = rt
        self._settings = rt.settings
        self.webhook_mode = rt.settings.telegram_webhook_url is not None
        self.app: Application[Any, Any, Any, Any, Any, Any] | None = None
        self._hook: TelegramWebhook | None = None

    async def open(self, stack: contextlib.AsyncExitStack, *, receive: bool) -> None:
        """Start the Application: long polling, or (TELEGRAM_WEBHOOK_URL) updates fed by
        our HTTP server. Both first check the token (a rejected one stops with one line)."""
        await check_telegram(self._settings)
        if not receive:
            return
        app = build_application(self._settings, self._rt.dispatcher, webhook=self.webhook_mode)
        self.app = app
        await stack.enter_async_context(app)
        await set_commands(app, self._rt.dispatcher)
        if self.webhook_mode:
            secret = self._settings.telegram_webhook_secret
            assert secret is not None  # the settings require it with the URL
            self._hook = TelegramWebhook(app, secret.get_secret_value())
        else:
            assert app.updater is not None  # start_polling removes a webhook set before
            await app.updater.start_polling(allowed_updates=TELEGRAM_UPDATES)
            stack.push_async_callback(app.updater.stop)
        await app.start()
        stack.push_async_callback(app.stop)
        log.info("Telegram channel started (%s)", "webhook" if self.webhook_mode
                 else "long polling")

    def routes(self) -> Sequence[BaseRoute]:
        """The webhook route, in webhook mode."""
        if self._hook is None:
            return []
        return [Route(TELEGRAM_PATH, self._hook.handle, methods=["POST"])]

    async def listening(self) -> None:
        """Register the webhook, only now: Telegram posts as soon as it is set."""
        if self._hook is None or self.app is None:
            return
        assert self._settings.telegram_webhook_url is not None
        await self.app.bot.set_webhook(
            self._settings.telegram_webhook_url, secret_token=self._hook.secret,
            allowed_updates=TELEGRAM_UPDATES,
        )

    async def outbox(self, stack: contextlib.AsyncExitStack) -> tuple[Sender, ChannelLimits]:
        """A Bot of its own for the outbox: no PTB rate limiter in the way, so a 429 reaches
        the outbox worker (which pauses the whole channel) instead of being retried in PTB."""
        settings = self._settings
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
        sender = TelegramSender(bot, paid_broadcast=settings.telegram_paid_broadcast)
        return sender, ChannelLimits(self.info.rate, settings.telegram_chat_rate)
