"""Deliver neutral replies to Telegram chats (the outbox's Telegram channel)."""

from __future__ import annotations

from telegram import Bot, InputFile, Message
from telegram import error as tg_error
from telegram.constants import ParseMode

from bot.telegram_render import TG_CAPTION_LIMIT, TG_TEXT_LIMIT, map_error, reply_markup
from handlers.text import split_text
from handlers.types import Attachment, Reply

__all__ = ["TelegramSender", "send_reply"]


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
    """The `bot.delivery.Sender` for Telegram, on python-telegram-bot's `Bot`."""

    channel = "telegram"

    def __init__(self, bot: Bot, *, paid_broadcast: bool = False) -> None:
        self._bot = bot
        self._extra: dict[str, object] = (
            {"allow_paid_broadcast": True} if paid_broadcast else {}
        )

    async def deliver(self, chat_id: str, reply: Reply) -> str | None:
        """Send `reply`; raise a `bot.delivery.DeliveryError` on failure."""
        try:
            if not (reply.photo or reply.document):
                return await self._send_text(chat_id, reply)
            msg = await send_reply(self._bot, chat_id, reply, **self._extra)
        except tg_error.TelegramError as exc:
            raise map_error(exc) from exc
        return str(msg.message_id)

    async def _send_text(self, chat_id: str, reply: Reply) -> str:
        # The outbox only needs the message id: building a telegram.Message from each
        # answer costs about 40 % of the client's CPU per message in a broadcast, so text
        # goes through Bot._post (same request, same errors) and the raw answer is read.
        markup = reply_markup(reply)
        parts = split_text(reply.text or "…", TG_TEXT_LIMIT)
        message_id = ""
        for i, part in enumerate(parts):
            data: dict[str, object] = {
                "chat_id": chat_id,
                "text": part,
                "parse_mode": ParseMode.HTML,
                "link_preview_options": {"is_disabled": True},
                **self._extra,
            }
            if markup is not None and i == len(parts) - 1:
                data["reply_markup"] = markup
            result = await self._bot._post("sendMessage", data)
            message_id = str(result["message_id"])
        return message_id
