"""The bot's one HTTP server: the WhatsApp webhook, /healthz, and Telegram's webhook mode."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import socket
from collections.abc import Generator
from typing import Any

import uvicorn
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from telegram import Update
from telegram.ext import Application

from bot.whatsapp.channel import WhatsAppChannel
from bot.whatsapp.webhook import SIGNATURE_HEADER
from db.engine import Sessions

__all__ = [
    "MAX_BODY",
    "TELEGRAM_PATH",
    "TELEGRAM_SECRET_HEADER",
    "WHATSAPP_PATH",
    "HttpServer",
    "TelegramWebhook",
    "build_app",
]

log = logging.getLogger(__name__)

WHATSAPP_PATH = "/whatsapp/webhook"
TELEGRAM_PATH = "/telegram/webhook"
TELEGRAM_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 3 * 1024 * 1024  # webhook bodies are a few kilobytes; refuse anything huge


class _TooLarge(Exception):
    pass


async def _body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY:
        raise _TooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


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
            raw = await _body(request)
        except _TooLarge:
            return Response(status_code=413)
        try:
            data = json.loads(raw)
            update = Update.de_json(data, self.app.bot)
        except (ValueError, TypeError, KeyError):
            log.warning("acknowledged a malformed Telegram webhook (%d bytes)", len(raw))
            return Response(status_code=200)
        await self.app.update_queue.put(update)
        return Response(status_code=200)


def build_app(
    sessions: Sessions,
    *,
    whatsapp: WhatsAppChannel | None = None,
    telegram: TelegramWebhook | None = None,
) -> Starlette:
    """The ASGI application: only the routes of the configured channels exist."""

    async def healthz(request: Request) -> Response:
        try:
            async with sessions() as s:
                await s.execute(text("SELECT 1"))
        except Exception:
            log.exception("health check: the database does not answer")
            return JSONResponse({"status": "database unavailable"}, status_code=503)
        channels = [name for name, on in (("whatsapp", whatsapp), ("telegram", telegram)) if on]
        return JSONResponse({"status": "ok", "webhooks": channels})

    routes = [Route("/healthz", healthz, methods=["GET"])]
    if whatsapp is not None:
        wa = whatsapp

        async def wa_handshake(request: Request) -> Response:
            challenge = wa.handshake(request.query_params)
            if challenge is None:
                log.warning("refused a WhatsApp webhook handshake (wrong verify token)")
                return Response(status_code=403)
            return PlainTextResponse(challenge)

        async def wa_post(request: Request) -> Response:
            try:
                raw = await _body(request)
            except _TooLarge:
                return Response(status_code=413)
            if not wa.signature_ok(raw, request.headers.get(SIGNATURE_HEADER)):
                # Nothing of an unsigned body is read: it may not come from Meta at all.
                log.warning("refused a WhatsApp webhook with a missing or wrong signature")
                return Response(status_code=401)
            try:
                await wa.receive(raw)
            except Exception:
                # Not stored: answer an error so that Meta delivers it again.
                log.exception("could not store a WhatsApp webhook; Meta will retry")
                return Response(status_code=500)
            return PlainTextResponse("OK")

        routes.append(Route(WHATSAPP_PATH, wa_handshake, methods=["GET"]))
        routes.append(Route(WHATSAPP_PATH, wa_post, methods=["POST"]))
    if telegram is not None:
        routes.append(Route(TELEGRAM_PATH, telegram.handle, methods=["POST"]))
    return Starlette(routes=routes)


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        # The bot handles SIGINT/SIGTERM itself and stops every channel in order.
        yield


class HttpServer:
    """uvicorn serving `app` on host:port (port 0: a free port, see `.port`)."""

    def __init__(self, app: Starlette, host: str, port: int) -> None:
        self.app = app
        self.host = host
        self._wanted_port = port
        self.port = port
        self._server: _Server | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        """The base URL (with 127.0.0.1 when listening on every address)."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        """Bind and serve in the background; return once connections are accepted."""
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.create_server((self.host, self._wanted_port), family=family)
        self.port = int(sock.getsockname()[1])
        config = uvicorn.Config(
            self.app, log_config=None, access_log=False, lifespan="off",
            timeout_graceful_shutdown=10, server_header=False,
        )
        self._server = _Server(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]), name="http server")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        while not self._server.started:
            if self._task.done():
                await self._task  # raises the start-up error
                raise RuntimeError("the HTTP server stopped while starting")
            if loop.time() > deadline:
                raise TimeoutError("the HTTP server did not start")
            await asyncio.sleep(0.01)
        log.info("HTTP server listening on %s:%d", self.host, self.port)

    async def stop(self) -> None:
        """Stop accepting, finish requests in progress, close."""
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task
        self._server = None
        self._task = None
