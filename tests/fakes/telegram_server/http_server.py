"""The HTTP/1.1 layer: an asyncio.Protocol with keep-alive and Content-Length or chunked bodies."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, cast
from urllib.parse import unquote

# A small asyncio.Protocol rather than aiohttp.web: it costs about a third of the CPU per request,
# and a bench that measures our client against this server must not measure the server instead.

log = logging.getLogger(__package__)  # "tests.fakes.telegram_server", as before the split

_MAX_BODY = 64 * 1024 * 1024
_MAX_HEAD = 64 * 1024

_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def dumps(obj: object) -> bytes:
    """Compact UTF-8 JSON, as the Bot API writes it."""
    return _ENCODER.encode(obj).encode()


@dataclass(slots=True)
class HttpRequest:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes


@dataclass(slots=True)
class HttpResponse:
    status: int
    body: bytes
    content_type: str = "application/json"


DROP = HttpResponse(0, b"")  # close the connection without an answer
Result = HttpResponse | Coroutine[Any, Any, HttpResponse]
Handler = Callable[[HttpRequest], Result]


class _HttpError(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


_STATUS_LINES: dict[int, bytes] = {}


def reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


class HttpProtocol(asyncio.Protocol):
    """One keep-alive connection; requests on it are answered strictly in order."""

    def __init__(self, handler: Handler, connections: set[HttpProtocol]) -> None:
        self._handler = handler
        self._connections = connections
        self._transport: asyncio.Transport | None = None
        self._buf = bytearray()
        self._head: tuple[str, str, str, dict[str, str], int] | None = None
        self._task: asyncio.Task[HttpResponse] | None = None
        self._keep_alive = True

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        self._connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self._connections.discard(self)
        self._transport = None
        if self._task is not None:
            self._task.cancel()

    @property
    def task(self) -> asyncio.Task[HttpResponse] | None:
        return self._task

    def abort(self) -> None:
        if self._transport is not None:
            self._transport.abort()
        if self._task is not None:
            self._task.cancel()

    def data_received(self, data: bytes) -> None:
        self._buf += data
        if self._task is None:
            self._serve()

    def _serve(self) -> None:
        while self._transport is not None and self._task is None:
            try:
                request = self._parse()
            except _HttpError as exc:
                self._keep_alive = False
                self._write(
                    HttpResponse(
                        exc.status,
                        dumps(
                            {
                                "ok": False,
                                "error_code": exc.status,
                                "description": reason(exc.status),
                            }
                        ),
                    )
                )
                return
            if request is None:
                return
            try:
                result = self._handler(request)
            except Exception:
                log.exception("fake Telegram handler failed")
                result = HttpResponse(
                    500,
                    dumps(
                        {"ok": False, "error_code": 500, "description": "Internal Server Error"}
                    ),
                )
            if isinstance(result, HttpResponse):
                self._write(result)
            else:
                self._task = asyncio.get_running_loop().create_task(result)
                self._task.add_done_callback(self._answered)

    def _answered(self, task: asyncio.Task[HttpResponse]) -> None:
        self._task = None
        if task.cancelled() or self._transport is None:
            return
        error = task.exception()
        if error is not None:
            log.error("fake Telegram handler failed", exc_info=error)
            response = HttpResponse(
                500,
                dumps({"ok": False, "error_code": 500, "description": "Internal Server Error"}),
            )
        else:
            response = task.result()
        self._write(response)
        self._serve()

    def _write(self, response: HttpResponse) -> None:
        transport = self._transport
        if transport is None or transport.is_closing():
            return
        if response is DROP:
            transport.close()
            return
        body = response.body
        head = _STATUS_LINES.get(response.status)
        if head is None:
            head = _STATUS_LINES[response.status] = b"HTTP/1.1 %d %s\r\n" % (
                response.status,
                reason(response.status).encode(),
            )
        connection = b"keep-alive" if self._keep_alive else b"close"
        transport.write(
            b"%sServer: fake-telegram\r\nContent-Type: %s\r\n"
            b"Content-Length: %d\r\nConnection: %s\r\n\r\n%s"
            % (head, response.content_type.encode(), len(body), connection, body)
        )
        if not self._keep_alive:
            transport.close()

    def _parse(self) -> HttpRequest | None:
        buf = self._buf
        if not buf:
            return None
        if self._head is None:
            while buf.startswith(b"\r\n"):  # stray CRLF between requests is allowed
                del buf[:2]
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                if len(buf) > _MAX_HEAD:
                    raise _HttpError(431)
                return None
            head = buf[:end].decode("latin-1")
            first, _, rest = head.partition("\r\n")
            parts = first.split(" ")
            if len(parts) != 3:
                raise _HttpError(400)
            headers = _pick_headers("\r\n" + rest)
            self._head = (parts[0], parts[1], parts[2], headers, end + 4)
            if headers.get("expect", "").lower() == "100-continue" and self._transport:
                self._transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        method, target, version, headers, start = self._head
        if "chunked" in headers.get("transfer-encoding", "").lower():
            chunked = _dechunk(buf, start)
            if chunked is None:
                return None
            body, consumed = chunked
        else:
            try:
                length = int(headers.get("content-length") or 0)
            except ValueError as exc:
                raise _HttpError(400) from exc
            if length > _MAX_BODY:
                raise _HttpError(413)
            if len(buf) - start < length:
                return None
            body, consumed = bytes(buf[start : start + length]), start + length
        del buf[:consumed]
        self._head = None
        connection = headers.get("connection", "").lower()
        self._keep_alive = (
            connection != "close" if version == "HTTP/1.1" else connection == "keep-alive"
        )
        path, _, query = target.partition("?")
        if "%" in path:  # PTB quotes the file URL, so the token's ':' arrives as %3A
            path = unquote(path)
        return HttpRequest(method, path, query, headers, body)


_WANTED_HEADERS = ("content-length", "content-type", "transfer-encoding", "connection", "expect")


def _pick_headers(block: str) -> dict[str, str]:
    """The few headers the fake looks at, from a block of CRLF-led header lines."""
    lower = block.lower()
    headers: dict[str, str] = {}
    for name in _WANTED_HEADERS:
        at = lower.find("\r\n" + name + ":")
        if at >= 0:
            start = at + len(name) + 3
            end = block.find("\r\n", start)
            headers[name] = block[start : end if end >= 0 else len(block)].strip()
    return headers


def _dechunk(buf: bytearray, start: int) -> tuple[bytes, int] | None:
    """Decode a chunked body starting at `start`; None while it is incomplete."""
    body = bytearray()
    pos = start
    while True:
        eol = buf.find(b"\r\n", pos)
        if eol < 0:
            return None
        try:
            size = int(bytes(buf[pos:eol]).split(b";", 1)[0], 16)
        except ValueError as exc:
            raise _HttpError(400) from exc
        pos = eol + 2
        if size == 0:
            while True:  # skip trailers up to the empty line
                eol = buf.find(b"\r\n", pos)
                if eol < 0:
                    return None
                if eol == pos:
                    return bytes(body), eol + 2
                pos = eol + 2
        if len(buf) < pos + size + 2:
            return None
        body += buf[pos : pos + size]
        if len(body) > _MAX_BODY:
            raise _HttpError(413)
        pos += size + 2
