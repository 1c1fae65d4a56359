"""A fake Telegram Bot API server on 127.0.0.1 speaking real HTTP and JSON, for tests and benches.

In tests::

    async with FakeTelegram() as tg:
        bot = telegram.Bot(tg.token, base_url=tg.base_url, base_file_url=tg.base_file_url)
        tg.user_message(42, "/mulai")
        reply = await tg.next_message(42)

As a process for benchmarks::

    python -m tests.fakes.telegram_server --port 0 --rate-limit 30 --latency-ms 20

prints the port on the first line of stdout and serves until SIGTERM/SIGINT; ``/__stats``
and ``/__reset`` report and clear the counters, ``/__inject`` queues incoming updates.

The HTTP layer is a small asyncio.Protocol (HTTP/1.1, keep-alive, Content-Length and chunked
bodies) rather than aiohttp.web: it costs about a third of the CPU per request, and a bench that
measures our client against this server must not measure the server instead.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import math
import re
import signal
import struct
import sys
import time
from collections import Counter, deque
from collections.abc import Callable, Coroutine, Iterable, Mapping
from dataclasses import dataclass
from html import unescape
from http import HTTPStatus
from typing import Any, cast
from urllib.parse import unquote, unquote_plus

from core.clock import Clock, SystemClock

__all__ = [
    "FAKE_TOKEN",
    "ApiError",
    "FakeTelegram",
    "SentCall",
    "StoredFile",
    "UploadedFile",
    "main",
    "parse_html",
]

log = logging.getLogger(__name__)

JSON = dict[str, Any]
ChatId = int | str

FAKE_TOKEN = "123456789:AAFakeTokenForTestsAndBenchmarks0000"
"""Token of the standalone server unless --token says otherwise (the bot id is 123456789)."""

_TOKEN_RE = re.compile(r"\d+:[A-Za-z0-9_-]{20,}")
_MAX_BODY = 64 * 1024 * 1024
_MAX_HEAD = 64 * 1024
_MAX_DOWNLOAD = 20 * 1024 * 1024  # getFile refuses bigger files, as the real Bot API does
_TEXT_LIMIT = 4096
_CAPTION_LIMIT = 1024

# Bot API method names are case-insensitive; calls are recorded under the canonical spelling.
_METHODS = (
    "getMe",
    "getUpdates",
    "sendMessage",
    "editMessageText",
    "editMessageReplyMarkup",
    "editMessageCaption",
    "deleteMessage",
    "answerCallbackQuery",
    "sendDocument",
    "sendPhoto",
    "sendChatAction",
    "setMyCommands",
    "getMyCommands",
    "deleteMyCommands",
    "deleteWebhook",
    "setWebhook",
    "getWebhookInfo",
    "getFile",
    "close",
    "logOut",
)
_CANONICAL = {name.lower(): name for name in _METHODS}
SEND_METHODS = frozenset({"sendMessage", "sendDocument", "sendPhoto"})
"""Methods that create a new message in a chat (what `messages_to` and `next_message` return)."""
_LIMITED_METHODS = SEND_METHODS | {
    "editMessageText",
    "editMessageReplyMarkup",
    "editMessageCaption",
}
"""Methods the optional rate limiter counts: the ones that put a message in front of a person."""

_JSON_PARAMS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "link_preview_options",
        "reply_parameters",
        "commands",
        "scope",
        "allowed_updates",
        "media",
    }
)
_INT_PARAMS = frozenset(
    {
        "message_id",
        "offset",
        "limit",
        "timeout",
        "cache_time",
        "reply_to_message_id",
        "message_thread_id",
        "max_connections",
    }
)
_BOOL_PARAMS = frozenset(
    {
        "disable_notification",
        "protect_content",
        "show_alert",
        "drop_pending_updates",
        "disable_web_page_preview",
        "allow_sending_without_reply",
        "disable_content_type_detection",
        "has_spoiler",
        "show_caption_above_media",
        "allow_paid_broadcast",
    }
)
_CHAT_PARAMS = frozenset({"chat_id", "from_chat_id"})

_TEXT_BUTTON_ERROR = (
    "Bad Request: can't parse inline keyboard button: "
    "Text buttons are unallowed in the inline keyboard"
)
_CONFLICT_POLL = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)


# --------------------------------------------------------------------------------------------
# Records and errors
# --------------------------------------------------------------------------------------------


class ApiError(Exception):
    """An error answer of the Bot API: `{"ok": false, "error_code": ..., "description": ...}`."""

    def __init__(self, code: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def payload(self) -> JSON:
        """Return the JSON body Telegram sends for this error."""
        body: JSON = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """A file part of a multipart request (what the bot uploaded)."""

    field: str
    filename: str
    content: bytes
    mime_type: str


@dataclass(slots=True)
class SentCall:
    """One Bot API call the bot made, with decoded parameters and what the fake answered."""

    index: int
    method: str
    params: JSON
    files: dict[str, UploadedFile]
    result: Any = None
    error: JSON | None = None  # the error body ({"error_code", "description", ...}) if it failed
    at: float = 0.0  # time.monotonic() when it was handled

    @property
    def ok(self) -> bool:
        """Whether the call succeeded."""
        return self.error is None

    @property
    def error_code(self) -> int | None:
        """The HTTP status of a failed call (0 for a dropped connection)."""
        return None if self.error is None else int(self.error["error_code"])

    @property
    def chat_id(self) -> ChatId | None:
        """The chat the call was about (`chat_id` parameter), if any."""
        value = self.params.get("chat_id")
        return cast("ChatId | None", value)

    @property
    def text(self) -> str | None:
        """`text`, or `caption` for media, exactly as the bot sent it (HTML included)."""
        value = self.params.get("text", self.params.get("caption"))
        return None if value is None else str(value)

    @property
    def parse_mode(self) -> str | None:
        """The parse mode the bot asked for."""
        value = self.params.get("parse_mode")
        return None if value is None else str(value)

    @property
    def reply_markup(self) -> JSON | None:
        """The parsed reply_markup object, if any."""
        value = self.params.get("reply_markup")
        return cast("JSON | None", value)

    @property
    def inline_keyboard(self) -> list[list[JSON]]:
        """Rows of inline buttons ([] when there is no inline keyboard)."""
        markup = self.reply_markup or {}
        return cast("list[list[JSON]]", markup.get("inline_keyboard", []))

    @property
    def buttons(self) -> list[JSON]:
        """All inline buttons, row after row."""
        return [button for row in self.inline_keyboard for button in row]

    @property
    def button_texts(self) -> list[str]:
        """Labels of all inline buttons."""
        return [str(b.get("text", "")) for b in self.buttons]

    def button(self, text: str) -> JSON:
        """Return the inline button labelled `text` (KeyError if there is none)."""
        for candidate in self.buttons:
            if candidate.get("text") == text:
                return candidate
        raise KeyError(f"no button {text!r}; buttons: {self.button_texts}")

    @property
    def message(self) -> JSON | None:
        """The Message object the fake returned, if the result was one."""
        return (
            self.result if isinstance(self.result, dict) and "message_id" in self.result else None
        )

    @property
    def message_id(self) -> int | None:
        """Id of the message created (send*) or edited (edit*)."""
        if self.message is not None:
            return int(self.message["message_id"])
        value = self.params.get("message_id")
        return value if isinstance(value, int) else None

    @property
    def document(self) -> UploadedFile | None:
        """The uploaded document of a sendDocument call, if bytes were uploaded."""
        return self._upload("document")

    @property
    def photo(self) -> UploadedFile | None:
        """The uploaded photo of a sendPhoto call, if bytes were uploaded."""
        return self._upload("photo")

    def _upload(self, name: str) -> UploadedFile | None:
        value = self.params.get(name)
        if isinstance(value, str) and value.startswith("attach://"):
            return self.files.get(value[len("attach://") :])
        return self.files.get(name)

    def __repr__(self) -> str:
        status = "ok" if self.ok else f"error {self.error_code}"
        shown = {k: v for k, v in self.params.items() if k not in ("reply_markup",)}
        keys = f" buttons={self.button_texts}" if self.buttons else ""
        return f"<SentCall #{self.index} {self.method} {shown}{keys} {status}>"


@dataclass(slots=True)
class _Rule:
    method: str | None
    chat_id: ChatId | None
    error: ApiError | None  # None: drop the connection instead of answering
    times: int
    processed: bool = False  # for drops: run the call first, then lose the answer


@dataclass(slots=True)
class StoredFile:
    """A file the fake serves through getFile and /file/bot<token>/<file_path>."""

    file_id: str
    file_unique_id: str
    file_path: str
    content: bytes | None


# --------------------------------------------------------------------------------------------
# HTML parse mode: the same tag set and error messages as the Bot API
# --------------------------------------------------------------------------------------------

_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s[^>]*)?)>")
_ATTR_RE = re.compile(r"""([a-zA-Z-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")
_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "code": "code",
    "pre": "pre",
    "tg-spoiler": "spoiler",
    "blockquote": "blockquote",
}
_ALLOWED_TAGS = frozenset({*_SIMPLE_TAGS, "a", "span", "tg-emoji"})


def _u16(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram entity offsets."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def parse_html(source: str) -> tuple[str, list[JSON]]:
    """Turn Bot API HTML into (plain text, entities), raising ApiError 400 where Telegram would."""
    if "<" not in source and "&" not in source:
        return source, []
    pieces: list[str] = []
    offset = 0
    stack: list[tuple[str, int, JSON]] = []
    entities: list[JSON] = []
    pos = 0
    while True:
        lt = source.find("<", pos)
        segment = source[pos : lt if lt >= 0 else len(source)]
        if "&" in segment:
            segment = unescape(segment)
        pieces.append(segment)
        offset += _u16(segment)
        if lt < 0:
            break
        match = _TAG_RE.match(source, lt)
        if match is None:
            word = re.match(r"</?([^\s>]*)", source[lt:])
            name = word.group(1) if word else ""
            raise ApiError(
                400,
                "Bad Request: can't parse entities: Unsupported start tag "
                f'"{name}" at byte offset {len(source[:lt].encode())}',
            )
        closing, name, attrs = match.group(1), match.group(2).lower(), match.group(3)
        if not closing:
            if name not in _ALLOWED_TAGS or (
                name == "span" and "tg-spoiler" not in attrs.replace("'", '"')
            ):
                raise ApiError(
                    400,
                    "Bad Request: can't parse entities: Unsupported start tag "
                    f'"{name}" at byte offset {len(source[:lt].encode())}',
                )
            extra = (
                {
                    m.group(1).lower(): unescape(m.group(2) or m.group(3) or m.group(4) or "")
                    for m in _ATTR_RE.finditer(attrs)
                }
                if attrs
                else {}
            )
            stack.append((name, offset, extra))
        else:
            if not stack or stack[-1][0] != name:
                expected = f'"</{stack[-1][0]}>"' if stack else "nothing"
                raise ApiError(
                    400,
                    f"Bad Request: can't parse entities: Unmatched end tag at byte offset "
                    f'{len(source[:lt].encode())}, expected {expected}, found "</{name}>"',
                )
            tag, start, extra = stack.pop()
            entity = _entity(tag, start, offset - start, extra, stack)
            if entity is not None:
                entities.append(entity)
        pos = match.end()
    if stack:
        raise ApiError(
            400,
            "Bad Request: can't parse entities: Can't find end tag corresponding to start tag "
            f'"{stack[-1][0]}"',
        )
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(pieces), entities


def _entity(
    tag: str, start: int, length: int, attrs: JSON, open_tags: list[tuple[str, int, JSON]]
) -> JSON | None:
    if length == 0:
        return None
    if tag == "code" and open_tags and open_tags[-1][0] == "pre" and open_tags[-1][1] == start:
        # <pre><code class="language-x"> is one pre entity with a language, not two entities
        language = str(attrs.get("class", ""))
        if language.startswith("language-"):
            open_tags[-1][2]["language"] = language[len("language-") :]
        return None
    if tag == "a":
        href = str(attrs.get("href", ""))
        if not href:
            return None
        return {"type": "text_link", "offset": start, "length": length, "url": href}
    if tag == "span":
        return {"type": "spoiler", "offset": start, "length": length}
    if tag == "tg-emoji":
        return {
            "type": "custom_emoji",
            "offset": start,
            "length": length,
            "custom_emoji_id": str(attrs.get("emoji-id", "")),
        }
    if tag == "blockquote" and "expandable" in attrs:
        return {"type": "expandable_blockquote", "offset": start, "length": length}
    entity: JSON = {"type": _SIMPLE_TAGS[tag], "offset": start, "length": length}
    if tag == "pre" and "language" in attrs:
        entity["language"] = attrs["language"]
    return entity


_COMMAND_RE = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")


def _command_entities(text: str) -> list[JSON]:
    """bot_command entities as Telegram adds them to typed text (CommandHandler needs them)."""
    return [
        {"type": "bot_command", "offset": _u16(text[: m.start()]), "length": _u16(m.group())}
        for m in _COMMAND_RE.finditer(text)
    ]


# --------------------------------------------------------------------------------------------
# Request decoding
# --------------------------------------------------------------------------------------------


def _header_params(value: str) -> dict[str, str]:
    """Parameters of a header like `form-data; name="a"; filename="b.pdf"`."""
    params: dict[str, str] = {}
    for match in re.finditer(r';\s*([^\s=;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)', value):
        key, raw = match.group(1).lower(), match.group(2).strip()
        if raw.startswith('"'):
            raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
        params[key] = raw
    return params


def _parse_multipart(
    body: bytes, content_type: str
) -> tuple[dict[str, str], dict[str, UploadedFile]]:
    boundary = _header_params(content_type).get("boundary")
    if not boundary:
        raise ApiError(400, "Bad Request: multipart boundary is missing")
    fields: dict[str, str] = {}
    files: dict[str, UploadedFile] = {}
    for part in body.split(b"--" + boundary.encode("latin-1"))[1:]:
        if part.startswith(b"--"):
            break
        part = part.removeprefix(b"\r\n").removesuffix(b"\r\n")
        head, sep, content = part.partition(b"\r\n\r\n")
        if not sep:
            raise ApiError(400, "Bad Request: malformed multipart part")
        try:
            head_text = head.decode()
        except UnicodeDecodeError:
            head_text = head.decode("latin-1")
        headers: dict[str, str] = {}
        for line in head_text.split("\r\n"):
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        disposition = _header_params(headers.get("content-disposition", ""))
        name = disposition.get("name", "")
        if "filename" in disposition or "filename*" in disposition:
            filename = disposition.get("filename")
            if filename is None:
                charset, _, rest = disposition["filename*"].partition("'")
                filename = unquote(rest.partition("'")[2], encoding=charset or "utf-8")
            files[name] = UploadedFile(
                field=name,
                filename=filename,
                content=content,
                mime_type=headers.get("content-type", "application/octet-stream"),
            )
        else:
            fields[name] = content.decode(errors="replace")
    return fields, files


def _decode_params(request: _HttpRequest) -> tuple[JSON, dict[str, UploadedFile]]:
    """Read parameters from the query string and the body, the ways the Bot API accepts them."""
    params: JSON = _parse_form(request.query) if request.query else {}
    files: dict[str, UploadedFile] = {}
    body = request.body
    if body:
        content_type = request.headers.get("content-type", "")
        kind = content_type.split(";", 1)[0].strip().lower()
        if kind == "application/x-www-form-urlencoded":
            params.update(_parse_form(body.decode(errors="replace")))
        elif kind == "application/json":
            try:
                data = json.loads(body)
            except ValueError as exc:
                raise ApiError(400, "Bad Request: can't parse JSON object") from exc
            if not isinstance(data, dict):
                raise ApiError(400, "Bad Request: JSON object expected")
            params.update(data)
        elif kind == "multipart/form-data":
            fields, files = _parse_multipart(body, content_type)
            params.update(fields)
    for key, value in params.items():
        if value is None or not isinstance(value, str):
            continue
        if key in _CHAT_PARAMS:
            params[key] = int(value) if re.fullmatch(r"-?\d+", value) else value
        elif key in _JSON_PARAMS:
            try:
                params[key] = json.loads(value)
            except ValueError as exc:
                what = "reply keyboard markup" if key == "reply_markup" else key
                raise ApiError(400, f"Bad Request: can't parse {what} JSON object") from exc
        elif key in _INT_PARAMS:
            with contextlib.suppress(ValueError):
                params[key] = int(value)
        elif key in _BOOL_PARAMS:
            params[key] = value.lower() in ("true", "1")
    return params, files


def _parse_form(text: str) -> dict[str, str]:
    """application/x-www-form-urlencoded to a dict (parse_qsl costs twice as much per call)."""
    form: dict[str, str] = {}
    for pair in text.split("&"):
        if not pair:
            continue
        name, _, value = pair.partition("=")
        if "%" in name or "+" in name:
            name = unquote_plus(name)
        if "%" in value or "+" in value:
            value = unquote_plus(value)
        form[name] = value
    return form


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _dumps(obj: object) -> bytes:
    return _ENCODER.encode(obj).encode()


# --------------------------------------------------------------------------------------------
# HTTP/1.1 server layer
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _HttpRequest:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes


@dataclass(slots=True)
class _HttpResponse:
    status: int
    body: bytes
    content_type: str = "application/json"


_DROP = _HttpResponse(0, b"")  # close the connection without an answer
_Result = _HttpResponse | Coroutine[Any, Any, _HttpResponse]
_Handler = Callable[[_HttpRequest], _Result]


class _HttpError(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


_STATUS_LINES: dict[int, bytes] = {}


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


class _HttpProtocol(asyncio.Protocol):
    """One keep-alive connection; requests on it are answered strictly in order."""

    def __init__(self, handler: _Handler, connections: set[_HttpProtocol]) -> None:
        self._handler = handler
        self._connections = connections
        self._transport: asyncio.Transport | None = None
        self._buf = bytearray()
        self._head: tuple[str, str, str, dict[str, str], int] | None = None
        self._task: asyncio.Task[_HttpResponse] | None = None
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
    def task(self) -> asyncio.Task[_HttpResponse] | None:
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
                    _HttpResponse(
                        exc.status,
                        _dumps(
                            {
                                "ok": False,
                                "error_code": exc.status,
                                "description": _reason(exc.status),
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
                result = _HttpResponse(
                    500,
                    _dumps(
                        {"ok": False, "error_code": 500, "description": "Internal Server Error"}
                    ),
                )
            if isinstance(result, _HttpResponse):
                self._write(result)
            else:
                self._task = asyncio.get_running_loop().create_task(result)
                self._task.add_done_callback(self._answered)

    def _answered(self, task: asyncio.Task[_HttpResponse]) -> None:
        self._task = None
        if task.cancelled() or self._transport is None:
            return
        error = task.exception()
        if error is not None:
            log.error("fake Telegram handler failed", exc_info=error)
            response = _HttpResponse(
                500,
                _dumps({"ok": False, "error_code": 500, "description": "Internal Server Error"}),
            )
        else:
            response = task.result()
        self._write(response)
        self._serve()

    def _write(self, response: _HttpResponse) -> None:
        transport = self._transport
        if transport is None or transport.is_closing():
            return
        if response is _DROP:
            transport.close()
            return
        body = response.body
        head = _STATUS_LINES.get(response.status)
        if head is None:
            head = _STATUS_LINES[response.status] = b"HTTP/1.1 %d %s\r\n" % (
                response.status,
                _reason(response.status).encode(),
            )
        connection = b"keep-alive" if self._keep_alive else b"close"
        transport.write(
            b"%sServer: fake-telegram\r\nContent-Type: %s\r\n"
            b"Content-Length: %d\r\nConnection: %s\r\n\r\n%s"
            % (head, response.content_type.encode(), len(body), connection, body)
        )
        if not self._keep_alive:
            transport.close()

    def _parse(self) -> _HttpRequest | None:
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
        return _HttpRequest(method, path, query, headers, body)


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


# --------------------------------------------------------------------------------------------
# The fake Bot API
# --------------------------------------------------------------------------------------------


class FakeTelegram:
    """A fake Bot API for one bot: inject what people do, inspect what the bot sent.

    Everything runs on the event loop of whoever starts it (in tests: the test's loop).
    """

    def __init__(
        self,
        *,
        token: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        bot_username: str = "dahar_ngopi_bot",
        bot_name: str = "ASN Dahar Ngopi",
        rate_limit: int | None = None,
        rate_window: float = 1.0,
        latency: float = 0.0,
        strict_chats: bool = False,
        record: bool = True,
        clock: Clock | None = None,
    ) -> None:
        """Configure the fake; `start()` (or `async with`) opens the socket.

        rate_limit: answer 429 beyond this many message calls per `rate_window` seconds overall.
        latency: seconds added to every answer (the call is carried out at once).
        strict_chats: answer "chat not found" for chats no person has written from.
        record: keep `sent`, messages and files (turn off for long benches: counters only).
        """
        self._token = token or f"5{time.monotonic_ns() % 10**8:08d}:AAFake{_rand_suffix(30)}"
        if not _TOKEN_RE.fullmatch(self._token):
            raise ValueError("token must look like a Bot API token: '<digits>:<35 chars>'")
        self._host = host
        self._port = port
        self._clock: Clock = clock or SystemClock()
        self.rate_limit = rate_limit
        self.rate_window = rate_window
        self.latency = latency
        self.strict_chats = strict_chats
        self.record = record
        bot_id = int(self._token.split(":", 1)[0])
        self.bot_user: JSON = {
            "id": bot_id,
            "is_bot": True,
            "first_name": bot_name,
            "username": bot_username,
        }
        self._server: asyncio.Server | None = None
        self._connections: set[_HttpProtocol] = set()
        self._webhook_task: asyncio.Task[None] | None = None
        self._reset_state()

    def _reset_state(self) -> None:
        self.sent: list[SentCall] = []
        """Every call except getUpdates, in order, failed ones included (see `SentCall`)."""
        self.requests_by_method: Counter[str] = Counter()
        self.throttled_by_method: Counter[str] = Counter()
        self.requests = 0
        self.throttled = 0
        self.errors = 0
        self.webhook_deliveries: list[tuple[int, int]] = []
        """(update_id, HTTP status or 0 for a connection error) of each webhook POST."""
        self._window: deque[float] = deque()
        self._rules: list[_Rule] = []
        self._delays: dict[str, float] = {}
        self._blocked: set[ChatId] = set()
        self._missing: set[ChatId] = set()
        self._migrated: dict[ChatId, int] = {}
        self._users: dict[int, JSON] = {}
        self._chats: dict[ChatId, JSON] = {}
        self._message_ids: Counter[ChatId] = Counter()
        self._messages: dict[tuple[ChatId, int], JSON] = {}
        self._message_raw: dict[tuple[ChatId, int], tuple[Any, ...]] = {}
        self._files: dict[str, StoredFile] = {}
        self._file_paths: dict[str, StoredFile] = {}
        self._file_seq = 0
        self._queries: dict[str, bool] = {}  # callback query id -> answered
        self._query_seq = 0
        self._commands: dict[str, list[JSON]] = {}
        self._updates: deque[JSON] = deque()
        self._update_seq = 700_000_000
        self._updates_changed = asyncio.Event()
        self._poll_generation = 0
        self._webhook: JSON = {}
        self._sent_changed = asyncio.Event()
        self._cursors: Counter[ChatId] = Counter()

    # -- lifecycle -----------------------------------------------------------------------

    async def start(self) -> FakeTelegram:
        """Listen on host:port (port 0 picks a free one)."""
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: _HttpProtocol(self._handle, self._connections), self._host, self._port
        )
        self._port = int(self._server.sockets[0].getsockname()[1])
        return self

    async def stop(self) -> None:
        """Close the socket and every open connection."""
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
            self._webhook_task = None
        if self._server is not None:
            self._server.close()
            pending = [c.task for c in self._connections if c.task is not None]
            for connection in list(self._connections):
                connection.abort()
            await asyncio.gather(*pending, return_exceptions=True)  # long polls end cancelled
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> FakeTelegram:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- addresses -----------------------------------------------------------------------

    @property
    def token(self) -> str:
        """The bot token this server accepts."""
        return self._token

    @property
    def port(self) -> int:
        """The TCP port it listens on."""
        return self._port

    @property
    def url(self) -> str:
        """Server root, what TELEGRAM_API_URL would be (no trailing slash)."""
        return f"http://{self._host}:{self._port}"

    @property
    def base_url(self) -> str:
        """`base_url` for telegram.Bot / ApplicationBuilder.base_url."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """`base_file_url` for telegram.Bot / ApplicationBuilder.base_file_url."""
        return f"{self.url}/file/bot"

    # -- what people do --------------------------------------------------------------------

    def user_message(
        self,
        user_id: int,
        text: str,
        chat_type: str = "private",
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "id",
        chat_id: int | None = None,
        title: str | None = None,
        reply_to: SentCall | Mapping[str, Any] | int | None = None,
    ) -> JSON:
        """Queue a text message a person wrote; return the Update (commands get entities)."""
        user = self._user(user_id, first_name, last_name, username, language_code)
        chat = self._person_chat(user, chat_type, chat_id, title)
        message = self._incoming_message(user, chat, reply_to)
        message["text"] = text
        if entities := _command_entities(text):
            message["entities"] = entities
        return self.inject({"message": message})

    def group_message(
        self,
        chat_id: int,
        user_id: int,
        text: str,
        *,
        title: str = "Grup Uji",
        chat_type: str = "supergroup",
        first_name: str | None = None,
        username: str | None = None,
        reply_to: SentCall | Mapping[str, Any] | int | None = None,
    ) -> JSON:
        """Queue a text message a person wrote in a group chat; return the Update."""
        return self.user_message(
            user_id,
            text,
            chat_type,
            first_name=first_name,
            username=username,
            chat_id=chat_id,
            title=title,
            reply_to=reply_to,
        )

    def user_document(
        self,
        user_id: int,
        filename: str,
        content: bytes,
        mime_type: str = "application/octet-stream",
        *,
        caption: str | None = None,
        first_name: str | None = None,
        username: str | None = None,
        chat_id: int | None = None,
        chat_type: str = "private",
    ) -> JSON:
        """Queue a document a person sent (getFile and the download then serve `content`)."""
        user = self._user(user_id, first_name, None, username, "id")
        chat = self._person_chat(user, chat_type, chat_id, None)
        stored = self.add_file(content, folder="documents", filename=filename)
        message = self._incoming_message(user, chat, None)
        message["document"] = {
            "file_name": filename,
            "mime_type": mime_type,
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(content),
        }
        if caption is not None:
            message["caption"] = caption
        return self.inject({"message": message})

    def user_photo(
        self,
        user_id: int,
        content: bytes,
        *,
        caption: str | None = None,
        first_name: str | None = None,
        chat_id: int | None = None,
        chat_type: str = "private",
    ) -> JSON:
        """Queue a photo a person sent (one size; getFile serves `content`)."""
        user = self._user(user_id, first_name, None, None, "id")
        chat = self._person_chat(user, chat_type, chat_id, None)
        stored = self.add_file(content, folder="photos", filename="photo.jpg")
        message = self._incoming_message(user, chat, None)
        width, height = _image_size(content)
        message["photo"] = [{
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(content),
            "width": width,
            "height": height,
        }]
        if caption is not None:
            message["caption"] = caption
        return self.inject({"message": message})

    def press(
        self,
        user_id: int,
        message: SentCall | Mapping[str, Any] | int,
        data: str | None = None,
        *,
        button: str | None = None,
        strict: bool = True,
        chat_id: int | None = None,
    ) -> JSON:
        """Queue a press on an inline button of a message the bot sent; return the Update.

        Give the callback `data` or the `button` label. With strict (the default) the button
        must be on the message as it is now (after edits); strict=False sends any data, like a
        forged or stale client would.
        """
        current = self._resolve_message(message, chat_id if chat_id is not None else user_id)
        buttons = [
            b for row in current.get("reply_markup", {}).get("inline_keyboard", []) for b in row
        ]
        if button is not None:
            found = [b for b in buttons if b.get("text") == button]
            if not found:
                labels = [b.get("text") for b in buttons]
                raise LookupError(f"no button {button!r} on the message; buttons: {labels}")
            data = str(found[0].get("callback_data", ""))
        if data is None:
            raise ValueError("press() needs data or button")
        if strict and not any(b.get("callback_data") == data for b in buttons):
            raise LookupError(
                f"no button with callback_data {data!r} on the message; buttons: {buttons}"
            )
        self._query_seq += 1
        query_id = str(4_300_000_000_000_000_000 + self._query_seq)
        self._queries[query_id] = False
        user = self._user(user_id, None, None, None, "id")
        return self.inject(
            {
                "callback_query": {
                    "id": query_id,
                    "from": user,
                    "message": current,
                    "chat_instance": str(abs(hash(("chat", current["chat"]["id"]))) % 10**18),
                    "data": data,
                }
            }
        )

    def inject(self, update: Mapping[str, Any]) -> JSON:
        """Queue any Update object (its update_id is assigned here); return it."""
        self._update_seq += 1
        queued: JSON = {
            "update_id": self._update_seq,
            **{k: v for k, v in update.items() if k != "update_id"},
        }
        self._updates.append(queued)
        self._notify_updates()
        return queued

    def add_file(
        self, content: bytes | None, *, folder: str = "documents", filename: str = "file"
    ) -> StoredFile:
        """Register a file so getFile and /file/bot<token>/<path> serve it; return its record."""
        self._file_seq += 1
        seq = self._file_seq
        suffix = filename.rsplit(".", 1)[-1] if "." in filename else "bin"
        stored = StoredFile(
            file_id=f"BQACAgUAAxkBAAI{seq:06d}{_rand_suffix(24)}",
            file_unique_id=f"AgAD{seq:06d}",
            file_path=f"{folder}/file_{seq}.{suffix}",
            content=content,
        )
        self._files[stored.file_id] = stored
        self._file_paths[stored.file_path] = stored
        return stored

    # -- what the bot did --------------------------------------------------------------------

    def messages_to(self, chat_id: ChatId) -> list[SentCall]:
        """Successful send* calls to `chat_id`, in order."""
        chat_id = _norm_chat(chat_id)
        return [c for c in self.sent if c.ok and c.method in SEND_METHODS and c.chat_id == chat_id]

    def calls_of(self, method: str, chat_id: ChatId | None = None) -> list[SentCall]:
        """Calls of one method (failed ones too), optionally only those for `chat_id`."""
        wanted = None if chat_id is None else _norm_chat(chat_id)
        return [
            c for c in self.sent if c.method == method and (wanted is None or c.chat_id == wanted)
        ]

    @property
    def callback_answers(self) -> list[SentCall]:
        """answerCallbackQuery calls, in order."""
        return self.calls_of("answerCallbackQuery")

    def message(self, chat_id: ChatId, message_id: int) -> JSON:
        """The current state of a message (after edits) as the Bot API would return it."""
        return self._messages[(_norm_chat(chat_id), message_id)]

    def commands(
        self, scope: Mapping[str, Any] | None = None, language_code: str = ""
    ) -> list[JSON]:
        """The command list set with setMyCommands for a scope/language ([] if none)."""
        return list(self._commands.get(_commands_key(scope, language_code), []))

    @property
    def webhook(self) -> JSON:
        """The webhook settings (url, secret_token, ...), {} when none is set."""
        return dict(self._webhook)

    @property
    def pending_updates(self) -> list[JSON]:
        """Updates queued and not yet confirmed by the bot."""
        return list(self._updates)

    async def wait_for(
        self,
        match: str | Callable[[SentCall], bool],
        timeout: float = 5.0,  # noqa: ASYNC109 - a deadline is the point of this helper
        *,
        since: int = 0,
    ) -> SentCall:
        """Wait until a recorded call (index >= since) matches a method name or a predicate."""
        predicate = (lambda c: c.method == match) if isinstance(match, str) else match
        checked = since
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            for call in self.sent[checked:]:
                if predicate(call):
                    return call
            checked = max(checked, len(self.sent))
            if not await self._wait_changed(deadline):
                raise TimeoutError(
                    f"no call matching {match!r} within {timeout}s; {self._recent()}"
                )

    async def wait_until(
        self,
        condition: Callable[[], bool],
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> None:
        """Wait until `condition()` is true: re-checked on every call and every 10 ms."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not condition():
            if loop.time() >= deadline:
                raise TimeoutError(f"condition not met within {timeout}s; {self._recent()}")
            # the condition may watch something outside the fake (a webhook receiver, a DB)
            await self._wait_changed(min(deadline, loop.time() + 0.01))

    async def next_message(
        self,
        chat_id: ChatId,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> SentCall:
        """The next message sent to `chat_id` that this method has not returned yet."""
        chat_id = _norm_chat(chat_id)
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            messages = self.messages_to(chat_id)
            if len(messages) > self._cursors[chat_id]:
                self._cursors[chat_id] += 1
                return messages[self._cursors[chat_id] - 1]
            if not await self._wait_changed(deadline):
                raise TimeoutError(
                    f"no new message to {chat_id} within {timeout}s; {self._recent()}"
                )

    async def _wait_changed(self, deadline: float) -> bool:
        event = self._sent_changed
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            return False
        try:
            await asyncio.wait_for(event.wait(), remaining)
        except TimeoutError:
            return False
        return True

    def _recent(self) -> str:
        return f"last calls: {self.sent[-8:]!r}"

    # -- failure injection -------------------------------------------------------------------

    def fail_next(
        self,
        method: str | None,
        chat_id: ChatId | None = None,
        *,
        code: int = 429,
        retry_after: int | None = None,
        description: str | None = None,
        migrate_to_chat_id: int | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next `times` calls of `method` for `chat_id` with an error (None: any)."""
        parameters: JSON = {}
        if code == 429 or retry_after is not None:
            parameters["retry_after"] = 1 if retry_after is None else retry_after
        if migrate_to_chat_id is not None:
            parameters["migrate_to_chat_id"] = migrate_to_chat_id
        if description is None:
            description = _default_description(code, parameters)
        error = ApiError(code, description, parameters or None)
        self._rules.append(_Rule(_canonical(method), _maybe_chat(chat_id), error, times))

    def drop_next(
        self,
        method: str | None,
        chat_id: ChatId | None = None,
        *,
        times: int = 1,
        processed: bool = False,
    ) -> None:
        """Close the connection instead of answering (a network error for the client).

        processed=True carries the call out first, so the message is delivered and only the
        answer is lost (the case that makes naive retries send twice).
        """
        self._rules.append(_Rule(_canonical(method), _maybe_chat(chat_id), None, times, processed))

    def block(self, chat_id: ChatId) -> None:
        """403 "Forbidden: bot was blocked by the user" (groups: kicked) for this chat from now."""
        self._blocked.add(_norm_chat(chat_id))

    def unblock(self, chat_id: ChatId) -> None:
        """Undo `block`."""
        self._blocked.discard(_norm_chat(chat_id))

    def chat_not_found(self, chat_id: ChatId) -> None:
        """400 "Bad Request: chat not found" for this chat from now on."""
        self._missing.add(_norm_chat(chat_id))

    def migrate(self, chat_id: ChatId, new_chat_id: int) -> None:
        """Calls for `chat_id` fail with migrate_to_chat_id=new_chat_id (now a supergroup)."""
        self._migrated[_norm_chat(chat_id)] = new_chat_id

    def delay(self, method: str, seconds: float | None) -> None:
        """Hold back answers to `method` by `seconds` (None/0: stop); the call is done at once."""
        name = _canonical(method) or method
        if seconds:
            self._delays[name] = seconds
        else:
            self._delays.pop(name, None)

    # -- counters ----------------------------------------------------------------------------

    def stats(self) -> JSON:
        """Counters: requests per method, 429s given by the limiter, errors answered."""
        return {
            "requests": self.requests,
            "by_method": dict(self.requests_by_method),
            "throttled": self.throttled,
            "throttled_by_method": dict(self.throttled_by_method),
            "errors": self.errors,
            "pending_updates": len(self._updates),
        }

    def reset(self) -> None:
        """Forget everything that happened (calls, messages, counters, injected failures)."""
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            self._webhook_task = None
        waiting = (self._updates_changed, self._sent_changed)
        self._reset_state()
        for event in waiting:  # pending polls and waits re-check against the empty state
            event.set()

    # -- request handling ------------------------------------------------------------------

    def _handle(self, request: _HttpRequest) -> _Result:
        path = request.path
        if path.startswith("/bot"):
            token, _, name = path[4:].partition("/")
            return self._api(request, token, name)
        if path.startswith("/file/bot"):
            return self._download(path[len("/file/bot") :])
        if path == "/__stats":
            return _HttpResponse(200, _dumps(self.stats()))
        if path == "/__reset":
            self.reset()
            return _HttpResponse(200, _dumps({"ok": True}))
        if path == "/__inject":
            return self._admin_inject(request)
        return _error_response(ApiError(404, "Not Found"))

    def _api(self, request: _HttpRequest, token: str, name: str) -> _Result:
        self.requests += 1
        if token != self._token:
            if _TOKEN_RE.fullmatch(token):
                return _error_response(ApiError(401, "Unauthorized"))
            return _error_response(ApiError(404, "Not Found"))
        method = _CANONICAL.get(name.lower())
        if method is None:
            self.requests_by_method[name] += 1
            return _error_response(ApiError(404, "Not Found"))
        self.requests_by_method[method] += 1
        try:
            params, files = _decode_params(request)
        except ApiError as exc:
            self.errors += 1
            return _error_response(exc)
        if method == "getUpdates":
            # only rules naming getUpdates apply: a wildcard meant for sends must not break polling
            if any(r.method == "getUpdates" for r in self._rules):
                rule = self._take_rule(method, None)
                if rule is not None:
                    return _DROP if rule.error is None else _error_response(rule.error)
            return self._get_updates(params)
        response = self._call(method, params, files)
        wait = self.latency + self._delays.get(method, 0.0)
        if wait > 0:
            return _later(response, wait)
        return response

    def _call(self, method: str, params: JSON, files: dict[str, UploadedFile]) -> _HttpResponse:
        rule = self._take_rule(method, params.get("chat_id"))
        if rule is not None and rule.error is None and not rule.processed:
            self._record(
                method, params, files, None, {"error_code": 0, "description": "connection dropped"}
            )
            return _DROP
        description: str | None = None
        try:
            if rule is not None and rule.error is not None:
                raise rule.error
            if self.rate_limit is not None and method in _LIMITED_METHODS:
                self._throttle(method)
            result = self._dispatch(method, params, files)
            if isinstance(result, _Described):
                result, description = result.result, result.description
        except ApiError as exc:
            self.errors += 1
            self._record(
                method, params, files, None, {k: v for k, v in exc.payload().items() if k != "ok"}
            )
            return _error_response(exc)
        self._record(method, params, files, result, None)
        if rule is not None:  # a processed drop: done, but the answer is lost
            return _DROP
        body: JSON = {"ok": True, "result": result}
        if description:
            body["description"] = description
        return _HttpResponse(200, _dumps(body))

    def _take_rule(self, method: str, chat_id: Any) -> _Rule | None:
        if not self._rules:
            return None
        for rule in self._rules:
            if (rule.method == method or (rule.method is None and method != "getUpdates")) and (
                rule.chat_id is None or rule.chat_id == chat_id
            ):
                rule.times -= 1
                if rule.times <= 0:
                    self._rules.remove(rule)
                return rule
        return None

    def _throttle(self, method: str) -> None:
        assert self.rate_limit is not None
        now = time.monotonic()
        window = self._window
        while window and now - window[0] >= self.rate_window:
            window.popleft()
        if len(window) >= self.rate_limit:
            retry_after = max(1, math.ceil(self.rate_window - (now - window[0])))
            self.throttled += 1
            self.throttled_by_method[method] += 1
            raise ApiError(
                429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
            )
        window.append(now)

    def _record(
        self,
        method: str,
        params: JSON,
        files: dict[str, UploadedFile],
        result: Any,
        error: JSON | None,
    ) -> None:
        if not self.record:
            return
        self.sent.append(
            SentCall(len(self.sent), method, params, files, result, error, time.monotonic())
        )
        self._notify_sent()

    def _dispatch(self, method: str, params: JSON, files: dict[str, UploadedFile]) -> Any:
        if method == "sendMessage":
            return self._send_message(params)
        if method == "editMessageText":
            return self._edit(params, text=True)
        if method == "editMessageReplyMarkup":
            return self._edit(params, text=False)
        if method == "editMessageCaption":
            return self._edit(params, text=True, caption=True)
        if method == "answerCallbackQuery":
            return self._answer_callback(params)
        if method == "sendDocument":
            return self._send_media(params, files, "document")
        if method == "sendPhoto":
            return self._send_media(params, files, "photo")
        if method == "getMe":
            return {
                **self.bot_user,
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
                "can_connect_to_business": False,
                "has_main_web_app": False,
            }
        if method == "deleteMessage":
            return self._delete_message(params)
        if method == "sendChatAction":
            self._chat_for(params)
            return True
        if method in ("setMyCommands", "getMyCommands", "deleteMyCommands"):
            return self._my_commands(method, params)
        if method in ("setWebhook", "deleteWebhook", "getWebhookInfo"):
            return self._webhook_method(method, params)
        if method == "getFile":
            return self._get_file(params)
        if method in ("close", "logOut"):
            return True
        raise ApiError(404, "Not Found")  # pragma: no cover - every listed method is handled

    # -- chats and messages ------------------------------------------------------------------

    def _chat_for(self, params: JSON) -> JSON:
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise ApiError(400, "Bad Request: chat_id is empty")
        if chat_id in self._migrated:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": self._migrated[chat_id]},
            )
        if chat_id in self._missing:
            raise ApiError(400, "Bad Request: chat not found")
        if chat_id in self._blocked:
            if isinstance(chat_id, int) and chat_id < 0:
                raise ApiError(403, "Forbidden: bot was kicked from the group chat")
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        chat = self._chats.get(chat_id)
        if chat is not None:
            return chat
        if self.strict_chats or not isinstance(chat_id, int):
            raise ApiError(400, "Bad Request: chat not found")
        if chat_id > 0:
            chat = {"id": chat_id, "first_name": f"User{chat_id}", "type": "private"}
        else:
            kind = "supergroup" if str(chat_id).startswith("-100") else "group"
            chat = {"id": chat_id, "title": "Grup Uji", "type": kind}
        if self.record:
            self._chats[chat_id] = chat
        return chat

    def _new_message(self, chat: JSON, sender: JSON) -> JSON:
        chat_id = chat["id"]
        self._message_ids[chat_id] += 1
        return {
            "message_id": self._message_ids[chat_id],
            "from": sender,
            "chat": chat,
            "date": self._now(),
        }

    def _store(self, message: JSON, raw: tuple[Any, ...]) -> None:
        if self.record:
            key = (message["chat"]["id"], int(message["message_id"]))
            self._messages[key] = message
            self._message_raw[key] = raw

    def _send_message(self, params: JSON) -> JSON:
        chat = self._chat_for(params)
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        plain, entities = _render(text, params)
        if not plain.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if _u16(plain) > _TEXT_LIMIT:
            raise ApiError(400, "Bad Request: message is too long")
        markup = _check_markup(params.get("reply_markup"))
        message = self._new_message(chat, self.bot_user)
        message["text"] = plain
        if entities:
            message["entities"] = entities
        if markup is not None:
            message["reply_markup"] = markup
        self._attach_reply(message, params)
        self._store(message, (text, params.get("parse_mode"), params.get("entities"), markup))
        return message

    def _attach_reply(self, message: JSON, params: JSON) -> None:
        reply = params.get("reply_parameters")
        reply_id = (
            reply.get("message_id")
            if isinstance(reply, dict)
            else params.get("reply_to_message_id")
        )
        if isinstance(reply_id, int):
            original = self._messages.get((message["chat"]["id"], reply_id))
            if original is not None:
                message["reply_to_message"] = {
                    k: v for k, v in original.items() if k != "reply_to_message"
                }

    def _send_media(self, params: JSON, files: dict[str, UploadedFile], kind: str) -> JSON:
        chat = self._chat_for(params)
        upload, stored = self._input_file(params, files, kind)
        caption = params.get("caption")
        plain: str = ""
        entities: list[JSON] = []
        if isinstance(caption, str) and caption:
            plain, entities = _render(caption, params, entities_key="caption_entities")
            if _u16(plain) > _CAPTION_LIMIT:
                raise ApiError(400, "Bad Request: message caption is too long")
        markup = _check_markup(params.get("reply_markup"))
        message = self._new_message(chat, self.bot_user)
        size = len(stored.content) if stored.content is not None else 0
        if kind == "document":
            message["document"] = {
                "file_name": upload.filename if upload else stored.file_path.rsplit("/", 1)[-1],
                "mime_type": upload.mime_type if upload else "application/octet-stream",
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_size": size,
            }
        else:
            width, height = _image_size(stored.content or b"")
            message["photo"] = [
                {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "file_size": size,
                    "width": width,
                    "height": height,
                }
            ]
        if plain:
            message["caption"] = plain
            if entities:
                message["caption_entities"] = entities
        if markup is not None:
            message["reply_markup"] = markup
        self._attach_reply(message, params)
        self._store(
            message, (caption, params.get("parse_mode"), params.get("caption_entities"), markup)
        )
        return message

    def _input_file(
        self, params: JSON, files: dict[str, UploadedFile], kind: str
    ) -> tuple[UploadedFile | None, StoredFile]:
        value = params.get(kind)
        upload = files.get(kind)
        if isinstance(value, str) and value.startswith("attach://"):
            upload = files.get(value[len("attach://") :])
        if upload is not None:
            if not upload.content:
                raise ApiError(400, "Bad Request: file must be non-empty")
            stored = self.add_file(
                upload.content,
                folder="photos" if kind == "photo" else "documents",
                filename=upload.filename,
            )
            return upload, stored
        if not isinstance(value, str) or not value:
            raise ApiError(400, f"Bad Request: there is no {kind} in the request")
        known = self._files.get(value)
        if known is not None:
            return None, known
        if value.startswith(("http://", "https://")):
            return None, self.add_file(None, folder=f"{kind}s", filename=value.rsplit("/", 1)[-1])
        raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")

    def _edit(self, params: JSON, *, text: bool, caption: bool = False) -> JSON | bool:
        if params.get("inline_message_id"):
            return True
        chat = self._chat_for(params)
        message_id = params.get("message_id")
        if not isinstance(message_id, int):
            raise ApiError(400, "Bad Request: message identifier is not specified")
        key = (chat["id"], message_id)
        markup = _check_markup(params.get("reply_markup"))
        current = self._messages.get(key)
        if current is None:
            if self.record:
                raise ApiError(400, "Bad Request: message to edit not found")
            current = self._new_message(chat, self.bot_user)  # counters-only mode keeps no messages
            current["message_id"] = message_id
        elif current.get("from", {}).get("id") != self.bot_user["id"]:
            raise ApiError(400, "Bad Request: message can't be edited")
        old_raw = self._message_raw.get(key, (None, None, None, None))
        updated = {k: v for k, v in current.items() if k != "reply_markup"}
        if text:
            field_name = "caption" if caption else "text"
            new_text = params.get(field_name)
            if caption:
                if "caption" not in current and not any(
                    k in current for k in ("document", "photo")
                ):
                    raise ApiError(400, "Bad Request: there is no caption in the message to edit")
            elif "text" not in current and self.record:
                raise ApiError(400, "Bad Request: there is no text in the message to edit")
            if not caption and (not isinstance(new_text, str) or not new_text.strip()):
                raise ApiError(400, "Bad Request: message text is empty")
            entities_key = "caption_entities" if caption else "entities"
            plain, entities = _render(str(new_text or ""), params, entities_key=entities_key)
            if not caption and _u16(plain) > _TEXT_LIMIT:
                raise ApiError(400, "Bad Request: message is too long")
            new_raw = (new_text, params.get("parse_mode"), params.get(entities_key), markup)
            updated.pop(entities_key, None)
            updated[field_name] = plain
            if entities:
                updated[entities_key] = entities
        else:
            new_raw = (*old_raw[:3], markup)
        if self.record and (new_raw == old_raw or _same_content(current, updated, markup)):
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message",
            )
        if markup is not None:
            updated["reply_markup"] = markup
        updated["edit_date"] = self._now()
        self._store(updated, new_raw)
        return updated

    def _delete_message(self, params: JSON) -> bool:
        chat = self._chat_for(params)
        message_id = params.get("message_id")
        key = (chat["id"], message_id if isinstance(message_id, int) else -1)
        if self.record:
            if key not in self._messages:
                raise ApiError(400, "Bad Request: message to delete not found")
            del self._messages[key]
        return True

    def _answer_callback(self, params: JSON) -> bool:
        query_id = str(params.get("callback_query_id", ""))
        answered = self._queries.get(query_id)
        if self.record and (answered is None or answered):
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        if len(str(params.get("text", ""))) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self._queries[query_id] = True
        return True

    def _my_commands(self, method: str, params: JSON) -> Any:
        key = _commands_key(params.get("scope"), str(params.get("language_code") or ""))
        if method == "getMyCommands":
            return list(self._commands.get(key, []))
        if method == "deleteMyCommands":
            self._commands.pop(key, None)
            return True
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError(400, "Bad Request: can't parse commands JSON object")
        for command in commands:
            name = command.get("command", "") if isinstance(command, dict) else ""
            if not re.fullmatch(r"[a-z0-9_]{1,32}", str(name)):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise ApiError(400, "Bad Request: command description is empty")
        self._commands[key] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    def _get_file(self, params: JSON) -> JSON:
        stored = self._files.get(str(params.get("file_id", "")))
        if stored is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        size = len(stored.content) if stored.content is not None else 0
        if size > _MAX_DOWNLOAD:
            raise ApiError(400, "Bad Request: file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": size,
            "file_path": stored.file_path,
        }

    def _download(self, rest: str) -> _HttpResponse:
        token, _, file_path = rest.partition("/")
        if token != self._token:
            return _error_response(
                ApiError(
                    401 if _TOKEN_RE.fullmatch(token) else 404,
                    "Unauthorized" if _TOKEN_RE.fullmatch(token) else "Not Found",
                )
            )
        stored = self._file_paths.get(file_path)
        if stored is None or stored.content is None:
            return _error_response(ApiError(404, "Not Found"))
        return _HttpResponse(200, stored.content, "application/octet-stream")

    # -- updates -------------------------------------------------------------------------

    async def _get_updates(self, params: JSON) -> _HttpResponse:
        if self._webhook.get("url"):
            return _error_response(
                ApiError(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; use "
                    "deleteWebhook to delete the webhook first",
                )
            )
        offset = params.get("offset")
        limit = params.get("limit")
        limit = limit if isinstance(limit, int) and 1 <= limit <= 100 else 100
        timeout = params.get("timeout")
        timeout = timeout if isinstance(timeout, int) and timeout > 0 else 0
        allowed = params.get("allowed_updates")
        self._poll_generation += 1
        generation = self._poll_generation
        self._notify_updates()  # an older poll still waiting now gets 409
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        if self.latency:
            await asyncio.sleep(self.latency)
        while True:
            if isinstance(offset, int):
                self._confirm(offset)
                offset = None  # confirmed once; later arrivals must not be dropped
            batch = [u for u in list(self._updates)[:limit] if _allowed(u, allowed)]
            if batch or loop.time() >= deadline:
                if self._delays.get("getUpdates"):
                    await asyncio.sleep(self._delays["getUpdates"])
                return _HttpResponse(200, _dumps({"ok": True, "result": batch}))
            if generation != self._poll_generation:
                return _error_response(ApiError(409, _CONFLICT_POLL))
            event = self._updates_changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), deadline - loop.time())

    def _confirm(self, offset: int) -> None:
        updates = self._updates
        if offset < 0:
            while len(updates) > -offset:
                updates.popleft()
            return
        while updates and updates[0]["update_id"] < offset:
            updates.popleft()

    # Waiters hold the current event; on a change it is set and a fresh one is armed.

    def _notify_updates(self) -> None:
        event, self._updates_changed = self._updates_changed, asyncio.Event()
        event.set()
        if self._webhook.get("url"):
            self._kick_webhook()

    def _notify_sent(self) -> None:
        event, self._sent_changed = self._sent_changed, asyncio.Event()
        event.set()

    # -- webhook ---------------------------------------------------------------------------

    def _webhook_method(self, method: str, params: JSON) -> Any:
        if method == "getWebhookInfo":
            info: JSON = {
                "url": self._webhook.get("url", ""),
                "has_custom_certificate": False,
                "pending_update_count": len(self._updates),
            }
            if self._webhook.get("url"):
                info["max_connections"] = self._webhook.get("max_connections", 40)
                info["ip_address"] = "127.0.0.1"
                if self._webhook.get("allowed_updates"):
                    info["allowed_updates"] = self._webhook["allowed_updates"]
                if "last_error_date" in self._webhook:
                    info["last_error_date"] = self._webhook["last_error_date"]
                    info["last_error_message"] = self._webhook["last_error_message"]
            return info
        if params.get("drop_pending_updates"):
            self._updates.clear()
        url = str(params.get("url") or "") if method == "setWebhook" else ""
        if not url:
            was_set = bool(self._webhook.get("url"))
            self._webhook = {}
            if self._webhook_task is not None:
                self._webhook_task.cancel()
                self._webhook_task = None
            return _Described(
                True, "Webhook was deleted" if was_set else "Webhook is already deleted"
            )
        if not url.startswith(("http://", "https://")):
            raise ApiError(
                400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
            )
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        self._webhook = {
            "url": url,
            "secret_token": secret,
            "max_connections": params.get("max_connections", 40),
            "allowed_updates": params.get("allowed_updates"),
        }
        self._kick_webhook()
        return _Described(True, "Webhook was set")

    def _kick_webhook(self) -> None:
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.get_running_loop().create_task(self._webhook_pump())

    async def _webhook_pump(self) -> None:
        """POST queued updates to the webhook one at a time (like max_connections=1)."""
        import aiohttp  # only webhook tests need a client here

        async with aiohttp.ClientSession() as session:
            while self._webhook.get("url"):
                if not self._updates:
                    await self._updates_changed.wait()
                    continue
                update = self._updates[0]
                headers = {"Content-Type": "application/json"}
                if self._webhook.get("secret_token"):
                    headers["X-Telegram-Bot-Api-Secret-Token"] = str(self._webhook["secret_token"])
                try:
                    async with session.post(
                        self._webhook["url"],
                        data=_dumps(update),
                        headers=headers,
                        timeout=aiohttp.ClientTimeout(total=10),
                    ) as response:
                        await response.read()
                        status = response.status
                except (aiohttp.ClientError, TimeoutError) as exc:
                    status = 0
                    error = f"Connection error: {exc.__class__.__name__}"
                else:
                    error = f"Wrong response from the webhook: {status} {_reason(status)}"
                self.webhook_deliveries.append((int(update["update_id"]), status))
                if 200 <= status < 300:
                    if self._updates and self._updates[0] is update:
                        self._updates.popleft()
                    continue
                self._webhook["last_error_date"] = self._now()
                self._webhook["last_error_message"] = error
                await asyncio.sleep(0.2)

    # -- admin endpoint for separate-process benches -------------------------------------

    def _admin_inject(self, request: _HttpRequest) -> _HttpResponse:
        """POST /__inject: an object or list of {"user_id", "text", ...} or {"update": {...}}."""
        try:
            data = json.loads(request.body or b"[]")
        except ValueError:
            return _error_response(ApiError(400, "Bad Request: JSON expected"))
        items = data if isinstance(data, list) else [data]
        ids = []
        for item in items:
            if not isinstance(item, dict):
                return _error_response(ApiError(400, "Bad Request: objects expected"))
            if "update" in item:
                ids.append(self.inject(item["update"])["update_id"])
            else:
                kwargs = {k: v for k, v in item.items() if k not in ("user_id", "text")}
                ids.append(
                    self.user_message(int(item["user_id"]), str(item["text"]), **kwargs)[
                        "update_id"
                    ]
                )
        return _HttpResponse(200, _dumps({"ok": True, "result": ids}))

    # -- helpers -------------------------------------------------------------------------

    def _now(self) -> int:
        return int(self._clock.now().timestamp())

    def _user(
        self,
        user_id: int,
        first_name: str | None,
        last_name: str | None,
        username: str | None,
        language_code: str | None,
    ) -> JSON:
        user = self._users.get(user_id) or {
            "id": user_id,
            "is_bot": False,
            "first_name": f"User{user_id}",
        }
        user = dict(user)
        if first_name is not None:
            user["first_name"] = first_name
        if last_name is not None:
            user["last_name"] = last_name
        if username is not None:
            user["username"] = username
        if language_code is not None:
            user.setdefault("language_code", language_code)
        self._users[user_id] = user
        return user

    def _person_chat(
        self, user: JSON, chat_type: str, chat_id: int | None, title: str | None
    ) -> JSON:
        if chat_type == "private":
            chat: JSON = {"id": user["id"], "first_name": user["first_name"], "type": "private"}
            for key in ("last_name", "username"):
                if key in user:
                    chat[key] = user[key]
        else:
            if chat_id is None:
                chat_id = -1_000_000_000_000 - int(user["id"])
            known = self._chats.get(chat_id, {})
            chat = {
                "id": chat_id,
                "title": title or known.get("title", "Grup Uji"),
                "type": chat_type,
            }
        self._chats[chat["id"]] = chat
        return chat

    def _incoming_message(
        self, user: JSON, chat: JSON, reply_to: SentCall | Mapping[str, Any] | int | None
    ) -> JSON:
        message = self._new_message(chat, user)
        if reply_to is not None:
            original = self._resolve_message(reply_to, chat["id"])
            message["reply_to_message"] = {
                k: v for k, v in original.items() if k != "reply_to_message"
            }
        return message

    def _resolve_message(
        self, message: SentCall | Mapping[str, Any] | int, chat_id: ChatId
    ) -> JSON:
        if isinstance(message, SentCall):
            if message.message is None:
                raise ValueError(f"{message!r} did not create a message")
            found = message.message
        elif isinstance(message, int):
            stored = self._messages.get((_norm_chat(chat_id), message))
            if stored is None:
                raise LookupError(f"no message {message} in chat {chat_id}")
            found = stored
        else:
            found = dict(message)
        key = (found["chat"]["id"], int(found["message_id"]))
        return dict(self._messages.get(key, found))  # the current state, after edits


@dataclass(slots=True)
class _Described:
    """A result that carries Telegram's optional `description` (setWebhook: "Webhook was set")."""

    result: Any
    description: str


def _render(text: str, params: JSON, *, entities_key: str = "entities") -> tuple[str, list[JSON]]:
    mode = str(params.get("parse_mode") or "")
    if mode.upper() == "HTML":
        return parse_html(text)
    given = params.get(entities_key)
    # Markdown modes are passed through unparsed: this bot renders HTML only.
    return text, given if isinstance(given, list) else []


def _check_markup(markup: Any) -> JSON | None:
    """Validate reply_markup; return it if inline (the only kind a Message carries)."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    if "inline_keyboard" not in markup:
        if not any(k in markup for k in ("keyboard", "remove_keyboard", "force_reply")):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        return None
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        raise ApiError(
            400,
            'Bad Request: field "inline_keyboard" of the InlineKeyboardMarkup must be an '
            "Array of Arrays",
        )
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not str(button.get("text", "")):
                raise ApiError(400, _TEXT_BUTTON_ERROR)
            if "callback_data" in button:
                size = len(str(button["callback_data"]).encode())
                if not 1 <= size <= 64:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
            elif "url" in button:
                if not str(button["url"]).startswith(("http://", "https://", "tg://")):
                    raise ApiError(400, "Bad Request: BUTTON_URL_INVALID")
            elif len(button) == 1:
                raise ApiError(400, _TEXT_BUTTON_ERROR)
    return markup


def _same_content(current: JSON, updated: JSON, markup: JSON | None) -> bool:
    keys = ("text", "entities", "caption", "caption_entities")
    return (
        all(current.get(k) == updated.get(k) for k in keys)
        and current.get("reply_markup") == markup
    )


def _allowed(update: JSON, allowed: Any) -> bool:
    if not isinstance(allowed, list) or not allowed:
        return True
    return any(key in allowed for key in update if key != "update_id")


def _commands_key(scope: Any, language_code: str) -> str:
    scope = scope if isinstance(scope, dict) else {"type": "default"}
    return json.dumps([scope, language_code], sort_keys=True)


def _canonical(method: str | None) -> str | None:
    if method is None:
        return None
    return _CANONICAL.get(method.lower(), method)


def _norm_chat(chat_id: ChatId) -> ChatId:
    if isinstance(chat_id, str) and re.fullmatch(r"-?\d+", chat_id):
        return int(chat_id)
    return chat_id


def _maybe_chat(chat_id: ChatId | None) -> ChatId | None:
    return None if chat_id is None else _norm_chat(chat_id)


def _default_description(code: int, parameters: JSON) -> str:
    if code == 429:
        return f"Too Many Requests: retry after {parameters['retry_after']}"
    if "migrate_to_chat_id" in parameters:
        return "Bad Request: group chat was upgraded to a supergroup chat"
    return {
        400: "Bad Request: chat not found",
        401: "Unauthorized",
        403: "Forbidden: bot was blocked by the user",
        404: "Not Found",
        409: _CONFLICT_POLL,
        500: "Internal Server Error",
        502: "Bad Gateway",
    }.get(code, _reason(code))


def _error_response(error: ApiError) -> _HttpResponse:
    return _HttpResponse(error.code, _dumps(error.payload()))


async def _later(response: _HttpResponse, seconds: float) -> _HttpResponse:
    await asyncio.sleep(seconds)
    return response


def _image_size(content: bytes) -> tuple[int, int]:
    if content[:8] == b"\x89PNG\r\n\x1a\n" and len(content) >= 24:
        width, height = struct.unpack(">II", content[16:24])
        return int(width), int(height)
    return 800, 600


def _rand_suffix(n: int) -> str:
    import secrets

    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
    return "".join(secrets.choice(alphabet) for _ in range(n))


# --------------------------------------------------------------------------------------------
# Standalone process
# --------------------------------------------------------------------------------------------


async def _serve(args: argparse.Namespace) -> None:
    fake = FakeTelegram(
        token=args.token,
        host=args.host,
        port=args.port,
        rate_limit=args.rate_limit,
        latency=args.latency_ms / 1000.0,
        record=args.record,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    if args.stop_on_eof:
        # A parent that dies without terminating us closes our stdin: leave with it.
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

        async def watch_stdin() -> None:
            await reader.read()
            stop.set()

        watcher = asyncio.create_task(watch_stdin())
    async with fake:
        print(fake.port, flush=True)
        await stop.wait()
    if args.stop_on_eof:
        watcher.cancel()


def main(argv: Iterable[str] | None = None) -> None:
    """Run the fake as its own process: prints the port, serves until SIGTERM/SIGINT."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (printed)")
    parser.add_argument("--token", default=FAKE_TOKEN)
    parser.add_argument("--rate-limit", type=int, default=None, help="message calls per second")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="added to every answer")
    parser.add_argument(
        "--record", action="store_true", help="keep calls and messages (memory grows per call)"
    )
    parser.add_argument(
        "--stop-on-eof", action="store_true", help="exit when stdin closes (a parent died)"
    )
    args = parser.parse_args(list(argv) if argv is not None else None)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))


if __name__ == "__main__":
    main(sys.argv[1:])
