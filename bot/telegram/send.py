"""Deliver neutral replies to Telegram chats (the outbox's Telegram channel)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from telegram import Bot, InlineKeyboardMarkup, InputFile, Message
from telegram import error as tg_error
from telegram.constants import ParseMode
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from bot.delivery import PermanentFailure
from bot.telegram.render import TG_CAPTION_LIMIT, TG_TEXT_LIMIT, map_error, reply_markup
from core.text import split_text
from core.types import Attachment, Reply

__all__ = ["TelegramSender", "send_reply"]

_NO_PREVIEW = RequestParameter("link_preview_options", {"is_disabled": True}, None)


def _file(att: Attachment) -> InputFile | str:
    if att.content is not None:
        return InputFile(att.content, filename=att.filename)
    if att.file_id:
        return att.file_id
    raise ValueError(f"attachment {att.filename!r} has neither content nor file_id")


async def send_reply(bot: Bot, chat_id: str | int, reply: Reply, **extra: object) -> Message:
    """Send one reply (text split at 4,096 characters; markup on the last part).

    `extra` is passed to the send call (e.g. `allow_paid_broadcast=True`).
    Raises python-telegram-bot errors unchanged.
    """
    markup = reply_markup(reply)
    msg: Message | None = None
    if reply.photo or reply.document:
        caption = reply.text if len(reply.text) <= TG_CAPTION_LIMIT else None
        if reply.photo:
            msg = await bot.send_photo(
                chat_id, _file(reply.photo), caption=caption, parse_mode=ParseMode.HTML,
                reply_markup=markup, **extra,  # type: ignore[arg-type]
            )
        else:
            assert reply.document is not None
            msg = await bot.send_document(
                chat_id, _file(reply.document), caption=caption, parse_mode=ParseMode.HTML,
                reply_markup=markup, **extra,  # type: ignore[arg-type]
            )
        if caption is None and reply.text:
            await bot.send_message(chat_id, reply.text[:TG_TEXT_LIMIT],
                                         parse_mode=ParseMode.HTML)
        return msg
    parts = split_text(reply.text or "…", TG_TEXT_LIMIT)
    for i, part in enumerate(parts):
        msg = await bot.send_message(
            chat_id,
            part,
            parse_mode=ParseMode.HTML,
            reply_markup=markup if i == len(parts) - 1 else None,
            disable_web_page_preview=True,
            **extra,  # type: ignore[arg-type]
        )
    assert msg is not None
    return msg


class TelegramSender:
    """The `bot.delivery.Sender` for Telegram, on python-telegram-bot's `Bot`.

    An attachment with neither bytes nor a file id names a file on disk (the outbox stores
    no bytes): it is uploaded once, and every later message reuses the file id Telegram
    gave back, so a broadcast of one poster is one upload.
    """

    channel = "telegram"

    def __init__(self, bot: Bot, *, paid_broadcast: bool = False) -> None:
        self._bot = bot
        self._extra: dict[str, object] = (
            {"allow_paid_broadcast": True} if paid_broadcast else {}
        )
        self._extra_params = [RequestParameter(k, v, None) for k, v in self._extra.items()]
        self._file_ids: dict[str, str] = {}
        self._upload_locks: dict[str, asyncio.Lock] = {}

    async def deliver(self, chat_id: str, reply: Reply) -> str | None:
        """Send `reply`; raise a `bot.delivery.DeliveryError` on failure.

        `reply.edit_message_id` makes it an edit of that message's text and buttons
        instead (an announcement's progress, paced like every other message).
        """
        if reply.edit_message_id:
            return await self._edit(chat_id, reply.edit_message_id, reply)
        att = reply.photo or reply.document
        if att is not None and att.content is None and not att.file_id and att.filename:
            return await self._deliver_file(chat_id, reply, att)
        return await self._send(chat_id, reply)

    async def deliver_edit(self, chat_id: str, message_id: str, reply: Reply) -> str:
        """Replace the text and buttons of `message_id` (a bot message in `chat_id`)."""
        return await self._edit(chat_id, message_id, reply)

    async def post(self, method: str, data: dict[str, object]) -> object:
        """Call a Bot API method and return its raw result, errors as ours."""
        try:
            return await self._bot._post(method, data)
        except tg_error.TelegramError as exc:
            raise map_error(exc) from exc

    async def _edit(self, chat_id: str, message_id: str, reply: Reply) -> str:
        markup = reply_markup(reply) if reply.buttons else None
        try:
            await self._bot.edit_message_text(
                reply.text, chat_id=chat_id, message_id=int(message_id),
                parse_mode=ParseMode.HTML, disable_web_page_preview=True,
                reply_markup=markup if isinstance(markup, InlineKeyboardMarkup) else None,
            )
        except tg_error.BadRequest as exc:
            if "not modified" not in exc.message.lower():
                raise map_error(exc) from exc
        except tg_error.TelegramError as exc:
            raise map_error(exc) from exc
        return message_id

    async def _send(self, chat_id: str, reply: Reply) -> str:
        try:
            if not (reply.photo or reply.document):
                return await self._send_text(chat_id, reply)
            msg = await send_reply(self._bot, chat_id, reply, **self._extra)
        except tg_error.TelegramError as exc:
            raise map_error(exc) from exc
        return str(msg.message_id)

    async def _deliver_file(self, chat_id: str, reply: Reply, att: Attachment) -> str:
        key = att.filename
        lock = self._upload_locks.setdefault(key, asyncio.Lock())
        async with lock:
            file_id = self._file_ids.get(key)
            if file_id is None:
                # The first send uploads, under the lock, so concurrent sends wait for its id.
                path = Path(key)
                try:
                    data = await asyncio.to_thread(path.read_bytes)
                except OSError as exc:
                    raise PermanentFailure(f"attachment file unreadable: {path.name}") from exc
                uploading = replace(att, filename=path.name, content=data)
                first = (replace(reply, photo=uploading) if reply.photo
                         else replace(reply, document=uploading))
                try:
                    msg = await send_reply(self._bot, chat_id, first, **self._extra)
                except tg_error.TelegramError as exc:
                    raise map_error(exc) from exc
                sent_id = (msg.photo[-1].file_id if msg.photo else
                           msg.document.file_id if msg.document else None)
                if sent_id:
                    self._file_ids[key] = sent_id
                return str(msg.message_id)
        reuse = replace(att, file_id=file_id)
        again = replace(reply, photo=reuse) if reply.photo else replace(reply, document=reuse)
        return await self._send(chat_id, again)

    async def _send_text(self, chat_id: str, reply: Reply) -> str:
        # The outbox only needs the message id: building a telegram.Message from each
        # answer costs about 40 % of the client's CPU per message in a broadcast, so text
        # is posted with the Bot's own request (same request, same errors) and the raw
        # answer is read. The parameters are given as they go on the wire: PTB's generic
        # conversion of each one cost another ~10 % (docs/benchmarks.md).
        markup = reply_markup(reply)
        parts = split_text(reply.text or "…", TG_TEXT_LIMIT)
        url = f"{self._bot.base_url}/sendMessage"
        message_id = ""
        for i, part in enumerate(parts):
            params = [
                RequestParameter("chat_id", chat_id, None),
                RequestParameter("text", part, None),
                RequestParameter("parse_mode", ParseMode.HTML.value, None),
                _NO_PREVIEW,
                *self._extra_params,
            ]
            if markup is not None and i == len(parts) - 1:
                params.append(RequestParameter("reply_markup", markup.to_dict(), None))
            result = await self._bot.request.post(url, RequestData(params))
            assert isinstance(result, dict)
            message_id = str(result["message_id"])
        return message_id
