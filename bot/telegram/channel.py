"""The Telegram channel: updates stored first (long polling or webhook), handled from the store.

`run` opens it to receive: our getUpdates loop (or the webhook route) commits every update
to `telegram_updates` before confirming it; an inbox processor claims them per chat and
hands them to the core; replies go out through the channel's flow control, which the
outbox shares. python-telegram-bot provides the Bot API calls (`telegram.Bot` on our
aiohttp backend); its Application, Updater and rate limiter are not used.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from starlette.routing import BaseRoute, Route
from telegram import Bot, BotCommand
from telegram import error as tg_error

from bot.delivery import Sender
from bot.flow import ChannelFlow
from bot.inbox import InboxProcessor
from bot.pacing import ChannelLimits
from bot.receiving import ReceiveHealth, ReceiveTrouble
from bot.settings import Settings
from bot.telegram.handling import UpdateHandler
from bot.telegram.probe import check_telegram
from bot.telegram.receive import POLL_TIMEOUT, Poller, UpdateStore
from bot.telegram.replies import TelegramReplies
from bot.telegram.request import AiohttpRequest
from bot.telegram.send import TelegramSender
from bot.telegram.updates import TELEGRAM_UPDATES
from bot.telegram.webhook import TELEGRAM_PATH, TelegramWebhook
from core.channels import ChannelInfo
from db.inbox_claims import TELEGRAM
from handlers.dispatcher import Dispatcher

if TYPE_CHECKING:
    from bot.runtime import Runtime

__all__ = ["REPLY_BURST", "TELEGRAM_UPDATES", "TelegramChannel", "describe", "set_commands"]

log = logging.getLogger(__name__)

PAID_BROADCAST_RATE = 1000.0  # messages per second with allow_paid_broadcast (paid in Stars)
# Telegram asks for about one message per second in a chat but lets short bursts through:
# a reply of a few parts (an edit and a question) goes at once, then the chat is paced.
REPLY_BURST = 3
CONCURRENT_CHATS = 256  # chats handled at once by one process


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


async def set_commands(bot: Bot, dispatcher: Dispatcher) -> None:
    """Register the commands with Telegram so its menu shows them."""
    commands = [
        BotCommand(spec.names[0], spec.description)
        for spec in dispatcher.commands
        if spec.description and not spec.admin
    ]
    await bot.set_my_commands(commands)


class TelegramChannel:
    """Receiving (polling or webhook) into the store, the processor, and the outbox's Bot."""

    def __init__(self, rt: Runtime, info: ChannelInfo) -> None:
        self.info = info
        self._rt = rt
        settings = self._settings = rt.settings
        self.webhook_mode = settings.telegram_webhook_url is not None
        self.flow = ChannelFlow(rt.sessions, "telegram", ChannelLimits(
            info.rate, settings.telegram_chat_rate, reply_burst=REPLY_BURST))
        self.bot: Bot | None = None
        self.processor: InboxProcessor | None = None
        self.store: UpdateStore | None = None
        self.poller: Poller | None = None
        self._hook: TelegramWebhook | None = None
        self.health = ReceiveHealth(rt.clock, hint=(
            "TELEGRAM_WEBHOOK_URL dapat dijangkau dari internet (proxy/TLS) dan database "
            "menjawab" if self.webhook_mode else
            "TELEGRAM_BOT_TOKEN masih berlaku dan server dapat menjangkau "
            f"{settings.telegram_api_url}"))

    def _new_bot(self, *, polling: bool = False) -> Bot:
        settings = self._settings
        assert settings.telegram_bot_token is not None
        api = settings.telegram_api_url
        # aiohttp keeps its throughput with many connections, where httpx falls off
        # (docs/benchmarks.md): replies to a burst of presses need that, a connection for
        # each chat being answered.
        return Bot(
            settings.telegram_bot_token.get_secret_value(),
            base_url=f"{api}/bot", base_file_url=f"{api}/file/bot",
            request=AiohttpRequest(connection_pool_size=CONCURRENT_CHATS),
            get_updates_request=AiohttpRequest(connection_pool_size=1,
                                               read_timeout=POLL_TIMEOUT + 10)
            if polling else None,
        )

    async def open(self, stack: contextlib.AsyncExitStack, *, receive: bool) -> None:
        """Start receiving (with `receive`): the processor, then polling or the webhook.
        Both first check the token (a rejected one stops with one line)."""
        await check_telegram(self._settings)
        if not receive:
            return
        rt = self._rt
        bot = self.bot = self._new_bot(polling=not self.webhook_mode)
        await bot.initialize()
        stack.push_async_callback(bot.shutdown)
        await set_commands(bot, rt.dispatcher)
        await self.flow.start()
        stack.push_async_callback(self.flow.stop)
        sender = TelegramSender(bot, paid_broadcast=self._settings.telegram_paid_broadcast)
        # Once the process stops, a reply waiting out a pause is left for after the restart.
        replies = TelegramReplies(bot, sender, self.flow, rt.stopping)
        handler = UpdateHandler(rt.dispatcher, rt.clock, bot, replies, name=rt.name)
        processor = self.processor = InboxProcessor(
            rt.sessions, rt.clock, TELEGRAM, handler, name=rt.name, label="Telegram",
            channel="telegram", concurrency=CONCURRENT_CHATS, halt=rt.stopping)
        processor.start()
        stack.push_async_callback(processor.stop)
        self.store = UpdateStore(rt.sessions, rt.clock, processor.wake)
        if self.webhook_mode:
            secret = self._settings.telegram_webhook_secret
            assert secret is not None  # the settings require it with the URL
            self._hook = TelegramWebhook(self.store, secret.get_secret_value(), self.health)
        else:
            self.poller = Poller(bot, self.store, health=self.health)
            await self.poller.start()
            stack.push_async_callback(self.poller.stop)
        log.info("Telegram channel started (%s)", "webhook" if self.webhook_mode
                 else "long polling")

    def routes(self) -> Sequence[BaseRoute]:
        """The webhook route, in webhook mode."""
        if self._hook is None:
            return []
        return [Route(TELEGRAM_PATH, self._hook.handle, methods=["POST"])]

    async def listening(self) -> None:
        """Register the webhook, only now: Telegram posts as soon as it is set."""
        if self._hook is None or self.bot is None:
            return
        assert self._settings.telegram_webhook_url is not None
        await self.bot.set_webhook(
            self._settings.telegram_webhook_url, secret_token=self._hook.secret,
            allowed_updates=TELEGRAM_UPDATES,
        )

    async def outbox(self, stack: contextlib.AsyncExitStack) -> tuple[Sender, ChannelLimits]:
        """A Bot of its own for the outbox (its own connections, so a broadcast does not
        hold up replies); its pace is the channel's flow control (`self.flow`)."""
        bot = self._new_bot()
        await bot.initialize()
        stack.push_async_callback(bot.shutdown)
        sender = TelegramSender(bot, paid_broadcast=self._settings.telegram_paid_broadcast)
        return sender, self.flow.limits

    @property
    def receiving(self) -> bool:
        """Whether this process receives on Telegram (polling or the webhook)."""
        return self.store is not None

    async def receive_trouble(self, *, longer_than: timedelta,
                              pending_limit: int) -> ReceiveTrouble | None:
        """Polling or the webhook failing for `longer_than`; in webhook mode also Telegram's
        own view (getWebhookInfo): updates piling up for us, or the webhook gone."""
        found = self.health.trouble(longer_than=longer_than)
        if found is not None or self._hook is None or self.bot is None:
            return found
        try:
            info = await self.bot.get_webhook_info()
        except tg_error.TelegramError as exc:
            log.warning("getWebhookInfo failed (%s)", exc.message)
            return None
        wanted = self._settings.telegram_webhook_url
        if info.url != wanted:
            return ReceiveTrouble(self._rt.clock.now(), 1,
                                  "webhook tidak terpasang" if not info.url
                                  else "webhook menunjuk ke alamat lain",
                                  "tidak ada proses lain (atau deployment lain) yang memakai "
                                  "token bot yang sama; jalankan ulang `dahar-ngopi run`",
                                  pending=info.pending_update_count)
        if info.pending_update_count >= pending_limit:
            return ReceiveTrouble(
                info.last_error_date or self._rt.clock.now(), info.pending_update_count,
                info.last_error_message or "update menumpuk di Telegram", self.health.hint,
                pending=info.pending_update_count)
        return None
