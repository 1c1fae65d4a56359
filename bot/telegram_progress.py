"""The admin's announcement progress on Telegram: one message, edited in place."""

from __future__ import annotations

import logging

from telegram import Bot, InlineKeyboardMarkup
from telegram import error as tg_error
from telegram.constants import ParseMode

from bot.telegram_render import reply_markup
from bot.telegram_send import send_reply
from handlers.types import Reply

__all__ = ["TelegramProgress"]

log = logging.getLogger(__name__)


class TelegramProgress:
    """A `bot.announcer.ProgressChannel` on python-telegram-bot's `Bot`.

    Edits go straight to the Bot API rather than through the outbox: one edit every few
    seconds per running announcement is noise next to the broadcast, and an edit that
    waited behind 100,000 queued messages would be useless.
    """

    channel = "telegram"
    can_edit = True

    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def send(self, chat_id: str, reply: Reply) -> str | None:
        """Send a new progress message; its id, or None if Telegram refused."""
        try:
            msg = await send_reply(self._bot, chat_id, reply)
        except tg_error.TelegramError as exc:
            log.info("could not send a progress message: %s", exc.message)
            return None
        return str(msg.message_id)

    async def edit(self, chat_id: str, message_id: str, reply: Reply) -> bool:
        """Replace the message's text and buttons; False if the message is gone."""
        markup = reply_markup(reply) if reply.buttons else None
        try:
            await self._bot.edit_message_text(
                reply.text, chat_id=chat_id, message_id=int(message_id),
                parse_mode=ParseMode.HTML, disable_web_page_preview=True,
                reply_markup=markup if isinstance(markup, InlineKeyboardMarkup) else None,
            )
        except tg_error.BadRequest as exc:
            if "not modified" in exc.message.lower():
                return True
            log.info("could not edit the progress message: %s", exc.message)
            return False
        except tg_error.TelegramError as exc:
            # Rate limited or a network error: the next round tries again.
            log.info("editing the progress message failed for now: %s", exc.message)
        return True
