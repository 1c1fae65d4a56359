"""The Telegram channel: python-telegram-bot's Application in front of the core dispatcher."""

from __future__ import annotations

import logging

from telegram import BotCommand, InlineKeyboardMarkup, Message, Update
from telegram import error as tg_error
from telegram.constants import ParseMode
from telegram.ext import AIORateLimiter, Application, ContextTypes, TypeHandler
from telegram.request import BaseRequest

from bot.settings import Settings
from bot.telegram.render import reply_markup
from bot.telegram.request import AiohttpRequest
from bot.telegram.send import send_reply
from core.types import Attachment, Incoming, Reply
from handlers.dispatcher import Dispatcher

__all__ = ["MAX_UPLOAD", "TelegramAdapter", "build_application", "to_incoming"]

log = logging.getLogger(__name__)

MAX_UPLOAD = 5 * 1024 * 1024  # files people send us (calendar, FAQ); larger ones are refused
SORRY = "Maaf, terjadi gangguan saat memproses pesan Bapak/Ibu. Silakan coba lagi sebentar lagi."


def to_incoming(update: Update) -> Incoming | None:
    """The neutral form of a Telegram update (None for updates we do not handle)."""
    if update.callback_query is not None:
        q = update.callback_query
        msg = q.message
        chat_id = str(msg.chat.id) if msg is not None else str(q.from_user.id)
        private = msg is None or msg.chat.type == "private"
        return Incoming(
            "telegram", str(q.from_user.id), chat_id, callback=q.data or "", callback_id=q.id,
            display_name=q.from_user.full_name, is_private=private,
            message_id=str(msg.message_id) if msg is not None else None,
        )
    msg = update.message
    if msg is None or msg.from_user is None:
        return None
    doc = None
    if msg.document is not None:
        d = msg.document
        doc = Attachment(d.file_name or "berkas", d.mime_type, d.file_size, d.file_id)
    photo = None
    if msg.photo:
        p = msg.photo[-1]
        photo = Attachment("foto.jpg", "image/jpeg", p.file_size, p.file_id)
    reply_to: Message | None = msg.reply_to_message
    return Incoming(
        "telegram", str(msg.from_user.id), str(msg.chat.id),
        text=msg.text if msg.text is not None else msg.caption,
        document=doc, photo=photo, display_name=msg.from_user.full_name,
        is_private=msg.chat.type == "private", message_id=str(msg.message_id),
        reply_to_message_id=str(reply_to.message_id) if reply_to else None,
        reply_to_text=reply_to.text if reply_to else None,
    )


class TelegramAdapter:
    """Receives updates, asks the dispatcher, sends the replies."""

    def __init__(self, dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher

    async def on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Handle one update end to end."""
        inc = to_incoming(update)
        if inc is None:
            return
        bot = context.bot

        async def fetch(attachment: Attachment) -> bytes:
            if attachment.size is not None and attachment.size > MAX_UPLOAD:
                raise ValueError("file too large")
            tg_file = await bot.get_file(attachment.file_id or "")
            return bytes(await tg_file.download_as_bytearray())

        try:
            replies = await self.dispatcher.handle(inc, fetch_file=fetch)
        except Exception:
            log.exception("handling a %s update failed", "callback" if inc.callback else "message")
            replies = [Reply(SORRY, notice="Maaf, terjadi gangguan.")]
        if inc.callback_id is not None:
            first = next((r for r in replies if r.notice), None)
            try:
                await bot.answer_callback_query(
                    inc.callback_id, text=first.notice if first else None,
                    show_alert=bool(first and first.alert),
                )
            except tg_error.BadRequest as exc:  # the press is too old to answer: harmless
                log.info("could not answer a callback query: %s", exc.message)
        for reply in replies:
            if not reply.text and not reply.document and not reply.photo:
                continue
            if inc.callback_id is not None and reply.notice and reply.notice_only:
                continue  # the toast said it all; a message would spend the sending quota
            if reply.edit and inc.message_id and not (reply.document or reply.photo):
                try:
                    markup = reply_markup(reply) if reply.buttons else None
                    await bot.edit_message_text(
                        reply.text, chat_id=inc.chat_id, message_id=int(inc.message_id),
                        parse_mode=ParseMode.HTML,
                        reply_markup=markup if isinstance(markup, InlineKeyboardMarkup) else None,
                    )
                    continue
                except tg_error.BadRequest as exc:
                    log.info("could not edit, sending instead: %s", exc.message)
            await send_reply(bot, inc.chat_id, reply)


async def set_commands(app: Application, dispatcher: Dispatcher) -> None:  # type: ignore[type-arg]
    """Register the commands with Telegram so its menu shows them."""
    commands = [
        BotCommand(spec.names[0], spec.description)
        for spec in dispatcher.commands
        if spec.description and not spec.admin
    ]
    await app.bot.set_my_commands(commands)


def build_application(
    settings: Settings,
    dispatcher: Dispatcher,
    *,
    request: BaseRequest | None = None,
    updates_request: BaseRequest | None = None,
    webhook: bool = False,
) -> Application:  # type: ignore[type-arg]
    """The python-telegram-bot Application talking to `TELEGRAM_API_URL`.

    `webhook=True` builds it without an Updater: our HTTP server feeds `update_queue`.
    """
    assert settings.telegram_bot_token is not None
    api = settings.telegram_api_url
    builder = (
        Application.builder()
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        .rate_limiter(AIORateLimiter(max_retries=3))
        .concurrent_updates(64)
    )
    # aiohttp keeps its throughput with many connections, where httpx falls off
    # (docs/benchmarks.md): replies to a burst of button presses need that.
    builder = builder.request(request or AiohttpRequest(connection_pool_size=128))
    if webhook:
        builder = builder.updater(None)
    else:
        builder = builder.get_updates_request(
            updates_request or AiohttpRequest(connection_pool_size=2, read_timeout=30)
        )
    app = builder.build()
    adapter = TelegramAdapter(dispatcher)
    app.add_handler(TypeHandler(Update, adapter.on_update))
    return app
