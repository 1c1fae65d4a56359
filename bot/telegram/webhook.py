"""Telegram's webhook mode: each POSTed update is committed to the store before the 200."""

from __future__ import annotations

import hmac
import json
import logging

from starlette.requests import Request
from starlette.responses import Response

from bot.http_server import BodyTooLarge, read_body
from bot.receiving import ReceiveHealth
from bot.telegram.receive import UpdateStore
from bot.telegram.updates import stored

__all__ = ["TELEGRAM_PATH", "TELEGRAM_SECRET_HEADER", "TelegramWebhook"]

log = logging.getLogger(__name__)

TELEGRAM_PATH = "/telegram/webhook"
TELEGRAM_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class TelegramWebhook:
    """Checks the secret token, stores the update, then answers 200 (Telegram re-delivers
    anything not answered 2xx, so a database outage loses nothing)."""

    def __init__(self, store: UpdateStore, secret: str,
                 health: ReceiveHealth | None = None) -> None:
        if not secret:
            raise ValueError("the Telegram webhook needs a secret token")
        self.store = store
        self.secret = secret
        self._secret = secret.encode()
        self.health = health

    async def handle(self, request: Request) -> Response:
        """Check the secret token, then commit the update to the store."""
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
        except ValueError:
            data = None
        update = stored(data) if isinstance(data, dict) else None
        if update is None:
            log.warning("acknowledged a malformed Telegram webhook (%d bytes)", len(raw))
            return Response(status_code=200)
        try:
            await self.store.store_one(update)
        except Exception:
            log.exception("storing a Telegram update failed; Telegram will deliver it again")
            if self.health is not None:
                self.health.failed("menyimpan update ke database gagal")
            return Response(status_code=503)
        if self.health is not None:
            self.health.ok()
        return Response(status_code=200)
