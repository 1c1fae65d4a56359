"""Send the replies to a Telegram update, at the platform's pace.

No overall cap: replies go out as fast as Telegram takes them. Every call waits while the
channel is paused (a 429 anywhere pauses every sender, `bot.flow`); a reply of several
messages goes a short burst at once, then at TELEGRAM_CHAT_RATE; a 429 pauses the channel
and the same call is tried again after `retry_after`. A reply is never given up for a 429.
A person who just wrote expects the answer now, so replies do not wait for the outbox's
pace of their chat (nor count against it).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from telegram import Bot

from bot.counters import count_reply
from bot.delivery import (
    Blocked,
    DeliveryError,
    PermanentFailure,
    RateLimited,
    TransientFailure,
)
from bot.flow import ChannelFlow
from bot.inbox import Interrupted
from bot.telegram.send import TelegramSender
from core.types import Incoming, Reply

__all__ = ["TelegramReplies"]

log = logging.getLogger(__name__)

T = TypeVar("T")

TRIES = 3  # timeouts and network errors, per call


class TelegramReplies:
    """Answers presses and sends replies through one channel's flow control."""

    def __init__(self, bot: Bot, sender: TelegramSender, flow: ChannelFlow,
                 stop: asyncio.Event) -> None:
        self._bot = bot
        self._sender = sender
        self._flow = flow
        self._stop = stop
        self._burst = flow.limits.reply_burst
        chat_rate = flow.limits.chat_rate
        self._gap = 1 / chat_rate if chat_rate else 0.0

    async def send(self, incoming: Incoming, replies: Sequence[Reply]) -> str | None:
        """Answer the press (if it was one) and send `replies` in order; return the error
        that stopped them, if any. Raises Interrupted when the process stops meanwhile."""
        if incoming.callback_id:
            await self._answer(incoming.callback_id, replies)
        sent = 0
        for reply in replies:
            if not reply.text and not reply.document and not reply.photo:
                continue
            if incoming.callback_id and reply.notice and reply.notice_only:
                continue  # the toast said it all
            if sent >= self._burst and self._gap:
                await asyncio.sleep(self._gap)  # a long answer: the chat's pace
            sent += 1
            try:
                await self._one(incoming, reply)
            except Blocked as exc:
                count_reply("telegram", "blocked")
                log.info("a Telegram chat blocked the bot before its reply: %s", exc)
                return f"blocked: {exc}"
            except DeliveryError as exc:
                count_reply("telegram", "failed")
                log.warning("a reply was not delivered: %s: %s", type(exc).__name__, exc)
                return f"{type(exc).__name__}: {exc}"
            count_reply("telegram", "sent")
        return None

    async def _one(self, incoming: Incoming, reply: Reply) -> None:
        chat = incoming.chat_id
        if reply.edit and incoming.message_id and not (reply.document or reply.photo):
            message_id = incoming.message_id
            try:
                await self._call(lambda: self._sender.deliver_edit(chat, message_id, reply))
                return
            except PermanentFailure as exc:
                log.info("could not edit, sending instead: %s", exc)
        await self._call(lambda: self._sender.deliver(chat, reply))

    async def _answer(self, callback_id: str, replies: Sequence[Reply]) -> None:
        first = next((r for r in replies if r.notice), None)
        data: dict[str, object] = {"callback_query_id": callback_id}
        if first is not None and first.notice:
            data["text"] = first.notice
            data["show_alert"] = bool(first.alert)
        try:
            # The raw call: no PTB object is built for the answer.
            await self._call(lambda: self._sender.post("answerCallbackQuery", data))
        except PermanentFailure as exc:  # the press is too old to answer: harmless
            log.info("could not answer a callback query: %s", exc)

    async def _call(self, call: Callable[[], Awaitable[T]]) -> T:
        attempt = 0
        while True:
            if not await self._flow.wait_unpaused(self._stop):
                raise Interrupted
            try:
                return await call()
            except RateLimited as exc:
                await self._flow.pause(exc.retry_after)
            except TransientFailure:
                attempt += 1
                if attempt >= TRIES:
                    raise
                await asyncio.sleep(0.5 * 2 ** (attempt - 1))

