"""The WhatsApp webhook's HTTP routes: Meta's handshake, and signed bodies stored before 200."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.http_server import BodyTooLarge, read_body
from bot.whatsapp.webhook import SIGNATURE_HEADER

if TYPE_CHECKING:
    from bot.whatsapp.channel import WhatsAppChannel

__all__ = ["WHATSAPP_PATH", "whatsapp_routes"]

log = logging.getLogger(__name__)

WHATSAPP_PATH = "/whatsapp/webhook"


def whatsapp_routes(wa: WhatsAppChannel) -> list[BaseRoute]:
    """GET for the subscription handshake, POST for events."""

    async def handshake(request: Request) -> Response:
        challenge = wa.handshake(request.query_params)
        if challenge is None:
            log.warning("refused a WhatsApp webhook handshake (wrong verify token)")
            return Response(status_code=403)
        return PlainTextResponse(challenge)

    async def post(request: Request) -> Response:
        try:
            raw = await read_body(request)
        except BodyTooLarge:
            return Response(status_code=413)
        if not wa.signature_ok(raw, request.headers.get(SIGNATURE_HEADER)):
            # Nothing of an unsigned body is read: it may not come from Meta at all.
            log.warning("refused a WhatsApp webhook with a missing or wrong signature")
            wa.health.failed("webhook ditolak: tanda tangan X-Hub-Signature-256 salah")
            return Response(status_code=401)
        try:
            await wa.receive(raw)
        except Exception:
            # Not stored: answer an error so that Meta delivers it again.
            log.exception("could not store a WhatsApp webhook; Meta will retry")
            wa.health.failed("menyimpan webhook ke database gagal")
            return Response(status_code=500)
        wa.health.ok()
        return PlainTextResponse("OK")

    return [Route(WHATSAPP_PATH, handshake, methods=["GET"]),
            Route(WHATSAPP_PATH, post, methods=["POST"])]
