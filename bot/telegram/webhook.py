"""Telegram's webhook mode: the route that feeds POSTed updates to the Application."""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from telegram import Update
from telegram.ext import Application

from bot.http_server import BodyTooLarge, read_body

__all__ = ["TELEGRAM_PATH", "TELEGRAM_SECRET_HEADER", "TelegramWebhook"]

log = logging.getLogger(__name__)

TELEGRAM_PATH = "/telegram/webhook"
TELEGRAM_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class TelegramWebhook:
    """Feeds Telegram's webhook POSTs to a python-telegram-bot Application (updater None)."""

    def __init__(self, app: Application[Any, Any, Any, Any, Any, Any], secret: str) -> None:
        if not secret:
            raise ValueError("the Telegram webhook needs a secret token")
        self.app = app
        self.secret = secret
        self._secret = secret.encode()

    async def handle(self, request: Request) -> Response:
        """Check the secret token, then queue the update for the Application."""
        given = request.headers.get(TELEGRAM_SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            log.warning("refused a Telegram webhook without the right secret token")
            return Response(status_code=403)
        try:
            raw = await read_body(request)
        except BodyTooLarge:
            return Response(status_code=413)
        try:
            data = json.loads(raw)
            update = Update.de_json(data, self.app.bot)
        except (ValueError, TypeError, KeyError):
            log.warning("acknowledged a malformed Telegram webhook (%d bytes)", len(raw))
            return Response(status_code=200)
        await self.app.update_queue.put(update)
        return Response(status_code=200)
