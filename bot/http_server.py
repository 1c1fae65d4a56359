"""The bot's HTTP listeners: the public one (webhooks, /healthz) and the internal one
(the konsol, /healthz, /readyz, /metrics)."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket
from collections.abc import Generator, Sequence

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp

from bot.readiness import Readiness
from bot.startup import StartupError

__all__ = [
    "MAX_BODY", "BodyTooLarge", "HttpServer", "build_app", "build_internal_app", "read_body",
]

log = logging.getLogger(__name__)

MAX_BODY = 3 * 1024 * 1024  # webhook bodies are a few kilobytes; refuse anything huge


class BodyTooLarge(Exception):
    """A request body over MAX_BODY (answer 413)."""


async def read_body(request: Request) -> bytes:
    """The request's body, read up to MAX_BODY (BodyTooLarge beyond)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _healthz(webhooks: Sequence[str]) -> Route:
    async def healthz(request: Request) -> Response:
        # Alive: the process's loop answers. What it depends on is /readyz's question: a
        # database blip must not make an orchestrator restart every process at once.
        return JSONResponse({"status": "ok", "webhooks": list(webhooks)})

    return Route("/healthz", healthz, methods=["GET"])


def _readyz(readiness: Readiness) -> Route:
    async def readyz(request: Request) -> Response:
        failed = await readiness.failures()
        if failed:
            return JSONResponse({"status": "not ready", "failed": failed}, status_code=503)
        return JSONResponse({"status": "ready"})

    return Route("/readyz", readyz, methods=["GET"])


def build_app(routes: Sequence[BaseRoute] = (), *, webhooks: Sequence[str] = ()) -> Starlette:
    """The public ASGI application: /healthz and the routes of the running channels
    (`webhooks` names the channels whose webhooks are served, for the health answer)."""
    return Starlette(routes=[_healthz(webhooks), *routes])


def build_internal_app(
    readiness: Readiness, konsol: ASGIApp | None = None, extra: Sequence[BaseRoute] = ()
) -> Starlette:
    """The internal ASGI application: /healthz, /readyz, `extra` routes (/metrics), and the
    konsol under /konsol when given (a worker serves no konsol)."""
    routes: list[BaseRoute] = [_healthz(()), _readyz(readiness), *extra]
    if konsol is not None:
        routes.append(Mount("/konsol", konsol))
    return Starlette(routes=routes)


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        # The bot handles SIGINT/SIGTERM itself and stops every channel in order.
        yield


class HttpServer:
    """uvicorn serving `app` on host:port (port 0: a free port, see `.port`)."""

    def __init__(
        self, app: Starlette, host: str, port: int, *, forwarded_allow_ips: str = "127.0.0.1",
        settings: tuple[str, str] = ("HTTP_HOST", "HTTP_PORT"),
    ) -> None:
        self.app = app
        self._settings = settings  # what the operator changes when the address is taken
        self.host = host
        # X-Forwarded-For/-Proto are believed only from these (the agency's proxy).
        self.forwarded_allow_ips = forwarded_allow_ips
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
        try:
            sock = socket.create_server((self.host, self._wanted_port), family=family)
        except OSError as exc:
            busy = exc.errno == errno.EADDRINUSE
            why = "the port is in use by another program" if busy else (exc.strerror or str(exc))
            host_name, port_name = self._settings
            raise StartupError(
                f"cannot listen on {self.host}:{self._wanted_port} ({host_name}, {port_name}): "
                f"{why}" + (f"; stop the other program or set {port_name} to a free port"
                            if busy else "")
            ) from None
        self.port = int(sock.getsockname()[1])
        config = uvicorn.Config(
            self.app, log_config=None, access_log=False, lifespan="off",
            timeout_graceful_shutdown=2, server_header=False, proxy_headers=True,
            forwarded_allow_ips=self.forwarded_allow_ips,
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
