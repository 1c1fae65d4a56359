"""Render neutral replies as python-telegram-bot markup, and map its errors to ours."""

from __future__ import annotations

import warnings
from datetime import timedelta

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram import error as tg_error

from bot.delivery import (
    Blocked,
    ChatMigrated,
    DeliveryError,
    PermanentFailure,
    RateLimited,
    TransientFailure,
)
from core.types import Reply

__all__ = ["TG_TEXT_LIMIT", "map_error", "reply_markup", "retry_after_seconds"]

TG_TEXT_LIMIT = 4096
TG_CAPTION_LIMIT = 1024

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove


def reply_markup(reply: Reply) -> Markup | None:
    """Inline buttons if the reply has any, else the main keyboard (or its removal)."""
    if reply.buttons:
        return InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(b.label, url=b.url)
                    if b.url
                    else InlineKeyboardButton(b.label, callback_data=b.data)
                    for b in row
                ]
                for row in reply.buttons
            ]
        )
    if reply.keyboard is not None:
        if reply.keyboard.remove:
            return ReplyKeyboardRemove()
        return ReplyKeyboardMarkup(
            [list(r) for r in reply.keyboard.rows], resize_keyboard=True, is_persistent=True
        )
    return None


def retry_after_seconds(exc: tg_error.RetryAfter) -> float:
    """`retry_after` in seconds, whichever type this PTB version gives."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def map_error(exc: tg_error.TelegramError) -> DeliveryError:
    """Translate a python-telegram-bot error into the outbox's neutral error."""
    if isinstance(exc, tg_error.RetryAfter):
        return RateLimited(retry_after_seconds(exc))
    if isinstance(exc, tg_error.Forbidden):
        return Blocked(exc.message)
    if isinstance(exc, tg_error.ChatMigrated):
        return ChatMigrated(str(exc.new_chat_id))
    if isinstance(exc, tg_error.BadRequest):
        return PermanentFailure(exc.message)
    if isinstance(exc, (tg_error.TimedOut, tg_error.NetworkError)):
        return TransientFailure(exc.message)
    return PermanentFailure(exc.message)
