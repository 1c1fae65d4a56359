"""Handle one stored Telegram update: the core once, then its replies (again after a crash)."""

from __future__ import annotations

import logging

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot

from bot.inbox import LostClaim
from bot.telegram.replies import TelegramReplies
from bot.telegram.updates import to_incoming
from core.clock import Clock
from core.types import Attachment, Incoming, Reply
from db.inbox_claims import TELEGRAM, ClaimedMessage, mark_handled
from handlers.dispatcher import Dispatcher

__all__ = ["MAX_UPLOAD", "SORRY", "UpdateHandler"]

log = logging.getLogger(__name__)

MAX_UPLOAD = 5 * 1024 * 1024  # files people send us (calendar, FAQ); larger ones are refused
SORRY = "Maaf, terjadi gangguan saat memproses pesan Bapak/Ibu. Silakan coba lagi sebentar lagi."


class UpdateHandler:
    """The `bot.inbox.Process` of Telegram: handle a stored update, send its replies.

    The core's effects and the "handled" mark (with the replies) commit in one unit of
    work, guarded by this process's claim: an update is handled once however often it is
    claimed. A row found handled (the process died while sending) has its replies sent
    again. The batch path of button presses records nothing: its effects are idempotent
    by key (one attendance per person and session), so handling again is harmless.
    """

    def __init__(self, dispatcher: Dispatcher, clock: Clock, bot: Bot, replies: TelegramReplies,
                 *, name: str) -> None:
        self._dispatcher = dispatcher
        self._clock = clock
        self._bot = bot
        self._replies = replies
        self._name = name

    async def __call__(self, msg: ClaimedMessage) -> str | None:
        """Process one claimed update; None when done, else the error it failed with."""
        incoming = to_incoming(msg.body)
        if incoming is None:
            return None  # an update the bot does not handle
        if msg.status == "handled":
            replies = [Reply.from_dict(d) for d in msg.replies or []]
        else:
            replies = await self._handle(msg, incoming)
        return await self._replies.send(incoming, replies)

    async def _handle(self, msg: ClaimedMessage, incoming: Incoming) -> list[Reply]:
        async def record(db: AsyncSession, replies: list[Reply]) -> None:
            if not await mark_handled(db, TELEGRAM, msg.key, worker=self._name,
                                      replies=[r.to_dict() for r in replies],
                                      now=self._clock.now()):
                raise LostClaim

        try:
            return await self._dispatcher.handle(incoming, self.fetch, before_commit=record)
        except (LostClaim, OperationalError, InterfaceError):
            raise  # taken over, or the database is out of reach: tried again later
        except Exception:
            log.exception("handling a Telegram %s failed",
                          "button press" if incoming.callback else "message")
            return [Reply(SORRY, notice="Maaf, terjadi gangguan.")]

    async def fetch(self, attachment: Attachment) -> bytes:
        """Download a file a person sent (the FileFetcher of Telegram)."""
        if attachment.size is not None and attachment.size > MAX_UPLOAD:
            raise ValueError("file too large")
        tg_file = await self._bot.get_file(attachment.file_id or "")
        return bytes(await tg_file.download_as_bytearray())
