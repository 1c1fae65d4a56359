"""A fake WhatsApp Cloud API on 127.0.0.1 that validates requests like Meta does.

    async with FakeWhatsApp() as wa:
        client = WhatsAppClient(token=wa.token, phone_number_id=wa.phone_number_id,
                                api_url=wa.api_url)
        ...
        sent = await wa.wait_for(lambda s: s.to == "6281234567890")

Success and error bodies have the real shapes; `fail_next`, `window_closed` and
`stall_next` inject the failures the bot must survive; `post_status` sends signed
status webhooks back to the bot.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Any, Self

from aiohttp import web

from tests.fakes.whatsapp_webhook import post_signed, status_body

__all__ = ["FakeWhatsApp", "SentMessage", "Upload"]

_VERSION = re.compile(r"^v\d+\.\d+$")
_FREE_FORM = {"text", "interactive", "image", "document", "audio", "video", "sticker",
              "location", "contacts", "reaction"}
_TYPES = _FREE_FORM | {"template"}
_MEDIA_TYPES = {
    "image/jpeg": 5 * 1024 * 1024,
    "image/png": 5 * 1024 * 1024,
    "application/pdf": 100 * 1024 * 1024,
    "text/plain": 100 * 1024 * 1024,
    "text/csv": 100 * 1024 * 1024,
    "application/vnd.ms-excel": 100 * 1024 * 1024,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": 100 * 1024 * 1024,
    "application/msword": 100 * 1024 * 1024,
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": 100 * 1024 * 1024,
}
_ERRORS: dict[int, tuple[int, str, str]] = {
    # code: (HTTP status, message, error_data.details) as the Cloud API returns them
    100: (400, "(#100) Invalid parameter", ""),
    190: (401, "Invalid OAuth access token - Cannot parse access token", ""),
    4: (400, "(#4) Application request limit reached", ""),
    130429: (400, "(#130429) Rate limit hit", "Cloud API message throughput has been reached."),
    131000: (500, "(#131000) Something went wrong", "Something went wrong"),
    131026: (400, "(#131026) Message Undeliverable.", "Message could not be delivered."),
    131047: (
        400,
        "(#131047) Re-engagement message",
        "Message failed to send because more than 24 hours have passed since the customer "
        "last replied to this number.",
    ),
    131056: (
        400,
        "(#131056) (Business Account, Consumer Account) pair rate limit hit",
        "Too many messages sent from the sender phone number to the same recipient phone "
        "number in a short period of time.",
    ),
    132000: (
        400,
        "(#132000) Number of parameters does not match the expected number of params",
        "",
    ),
    132001: (400, "(#132001) Template name does not exist in the translation", ""),
    132012: (400, "(#132012) Parameter format does not match format in the created template",
             ""),
}


class _Invalid(Exception):
    def __init__(self, details: str, code: int = 100) -> None:
        super().__init__(details)
        self.details = details
        self.code = code


@dataclass(frozen=True)
class SentMessage:
    """One message the bot sent, as the fake accepted it."""

    to: str
    type: str
    payload: dict[str, Any]
    wamid: str

    @property
    def body(self) -> str:
        """The visible text: text body, interactive body or media caption."""
        obj = self.payload.get(self.type, {})
        if self.type == "text":
            return str(obj["body"])
        if self.type == "interactive":
            return str(obj["body"]["text"])
        if self.type == "template":
            params = [
                p["text"]
                for c in obj.get("components", [])
                if c["type"] == "body"
                for p in c["parameters"]
            ]
            return " | ".join(params)
        return str(obj.get("caption", ""))

    @property
    def choices(self) -> list[tuple[str, str]]:
        """(id, title) of the reply buttons or list rows."""
        if self.type != "interactive":
            return []
        action = self.payload["interactive"]["action"]
        if "buttons" in action:
            return [(b["reply"]["id"], b["reply"]["title"]) for b in action["buttons"]]
        return [(r["id"], r["title"]) for s in action["sections"] for r in s["rows"]]


@dataclass(frozen=True)
class Upload:
    """A file uploaded to /media (or planted as a file a person sent)."""

    media_id: str
    data: bytes
    mime_type: str
    filename: str


@dataclass
class _Failure:
    code: int
    to: str | None
    times: int
    http_status: int | None
    retry_after: float | None


@dataclass
class _Stall:
    seconds: float
    times: int


@dataclass
class _State:
    sent: list[SentMessage] = field(default_factory=list)
    uploads: dict[str, Upload] = field(default_factory=dict)
    read_marks: list[str] = field(default_factory=list)
    failures: list[_Failure] = field(default_factory=list)
    stalls: list[_Stall] = field(default_factory=list)
    closed: set[str] = field(default_factory=set)
    templates: dict[str, tuple[int, int]] = field(default_factory=dict)
    document_headers: set[str] = field(default_factory=set)  # templates with a document header
    requests: int = 0


class FakeWhatsApp:
    """The fake Cloud API for one business phone number."""

    def __init__(
        self,
        *,
        token: str = "test-whatsapp-token",
        phone_number_id: str = "1122334455667",
        app_secret: str = "test-app-secret",
        version: str = "v23.0",
    ) -> None:
        self.token = token
        self.phone_number_id = phone_number_id
        self.display_number = "+62 31 555 0100"
        self.app_secret = app_secret
        self.version = version
        self.state = _State()
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._cond: asyncio.Condition | None = None

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen on a free port of 127.0.0.1."""
        app = web.Application(client_max_size=110 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = int(self._runner.addresses[0][1])
        self._cond = asyncio.Condition()

    async def close(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:<port> (no version)."""
        return f"http://127.0.0.1:{self._port}"

    @property
    def api_url(self) -> str:
        """The value for WHATSAPP_API_URL."""
        return f"{self.base_url}/{self.version}"

    # --- what was sent ---------------------------------------------------------------------

    @property
    def sent(self) -> list[SentMessage]:
        """Every accepted message, in order."""
        return list(self.state.sent)

    @property
    def uploads(self) -> dict[str, Upload]:
        """Uploaded files by media id."""
        return dict(self.state.uploads)

    @property
    def read_marks(self) -> list[str]:
        """wamids the bot marked as read."""
        return list(self.state.read_marks)

    @property
    def requests(self) -> int:
        """How many HTTP requests arrived (accepted or not)."""
        return self.state.requests

    def messages_to(self, number: str) -> list[SentMessage]:
        """Accepted messages to one number."""
        return [s for s in self.state.sent if s.to == number]

    async def wait_for(
        self,
        predicate: Callable[[SentMessage], bool] | None = None,
        *,
        count: int = 1,
        within: float = 5.0,
    ) -> list[SentMessage]:
        """Wait up to `within` seconds until `count` sent messages match; return them."""
        assert self._cond is not None, "start the fake first"

        def matching() -> list[SentMessage]:
            return [s for s in self.state.sent if predicate is None or predicate(s)]

        async with self._cond:
            try:
                await asyncio.wait_for(
                    self._cond.wait_for(lambda: len(matching()) >= count), within
                )
            except TimeoutError:
                raise AssertionError(
                    f"expected {count} matching messages within {within}s, "
                    f"got {len(matching())}; sent: {[(s.to, s.type, s.body) for s in self.sent]}"
                ) from None
        return matching()[:count]

    # --- failure injection -----------------------------------------------------------------

    def fail_next(
        self,
        code: int,
        *,
        to: str | None = None,
        times: int = 1,
        http_status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        """Answer the next `times` valid sends (to `to`, or to anyone) with Graph error `code`."""
        self.state.failures.append(_Failure(code, to, times, http_status, retry_after))

    def stall_next(self, seconds: float, *, times: int = 1) -> None:
        """Hold the next `times` requests for `seconds` before answering (client timeouts)."""
        self.state.stalls.append(_Stall(seconds, times))

    def window_closed(self, number: str) -> None:
        """Free-form sends to `number` get 131047; templates still go through."""
        self.state.closed.add(number)

    def window_open(self, number: str) -> None:
        """The person wrote to us: free-form messages are allowed again."""
        self.state.closed.discard(number)

    def register_template(
        self, name: str, *, params: int = 0, quick_replies: int = 0,
        document_header: bool = False,
    ) -> None:
        """Know an approved template: unknown names then get 132001, wrong counts 132000,
        a document header without a document 132012."""
        self.state.templates[name] = (params, quick_replies)
        if document_header:
            self.state.document_headers.add(name)

    def add_media(self, media_id: str, data: bytes, mime_type: str, filename: str = "") -> None:
        """Plant a file a person sent, so the bot can download it by media id."""
        self.state.uploads[media_id] = Upload(media_id, data, mime_type, filename)

    # --- webhooks back to the bot ----------------------------------------------------------

    async def post_status(
        self,
        webhook_url: str,
        wamid: str,
        status: str,
        error_code: int | None = None,
        *,
        recipient: str | None = None,
        at: datetime | None = None,
    ) -> int:
        """Send a signed status webhook about `wamid` to the bot; return the HTTP status."""
        if recipient is None:
            recipient = next((s.to for s in self.state.sent if s.wamid == wamid), "")
        body = status_body(
            wamid,
            recipient,
            status,
            error_code=error_code,
            phone_number_id=self.phone_number_id,
            at=at,
        )
        code, _ = await post_signed(webhook_url, body, self.app_secret)
        return code

    # --- HTTP ------------------------------------------------------------------------------

    def _error(
        self, code: int, details: str = "", *, http_status: int | None = None,
        retry_after: float | None = None, subcode: int | None = None,
    ) -> web.Response:
        status, message, default_details = _ERRORS.get(code, (400, f"(#{code}) Error", ""))
        error: dict[str, Any] = {
            "message": message,
            "type": "OAuthException",
            "code": code,
            "fbtrace_id": f"AFake{next(self._ids):08d}",
        }
        if details or default_details:
            error["error_data"] = {
                "messaging_product": "whatsapp",
                "details": details or default_details,
            }
        if subcode is not None:
            error["error_subcode"] = subcode
        headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else None
        return web.json_response({"error": error}, status=http_status or status, headers=headers)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.state.requests += 1
        for stall in self.state.stalls:
            if stall.times > 0:
                stall.times -= 1
                await asyncio.sleep(stall.seconds)
                break
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return self._error(190)
        parts = [p for p in request.path.split("/") if p]
        if parts and _VERSION.match(parts[0]):
            parts = parts[1:]
        if len(parts) == 2 and parts[0] == "_download" and request.method == "GET":
            upload = self.state.uploads.get(parts[1])
            if upload is None:
                return web.Response(status=404)
            return web.Response(body=upload.data, content_type=upload.mime_type)
        if len(parts) == 1 and request.method == "GET":
            if parts[0] == self.phone_number_id:
                return self._phone_number()
            return self._media_info(parts[0])
        if len(parts) == 2 and request.method == "POST" and parts[1] in ("messages", "media"):
            if parts[0] != self.phone_number_id:
                return self._error(
                    100,
                    f"Unsupported post request. Object with ID '{parts[0]}' does not exist, "
                    "cannot be loaded due to missing permissions, or does not support this "
                    "operation.",
                    subcode=33,
                )
            try:
                if parts[1] == "media":
                    return await self._media(request)
                return await self._messages(request)
            except _Invalid as exc:
                return self._error(exc.code, exc.details)
        return self._error(100, f"Unknown path components: /{'/'.join(parts)}")

    def _phone_number(self) -> web.Response:
        # GET /{phone-number-id}: what the bot asks at start to check its credentials.
        return web.json_response({
            "verified_name": "BPSDM Jatim (fake)",
            "display_phone_number": self.display_number,
            "quality_rating": "GREEN",
            "id": self.phone_number_id,
        })

    def _media_info(self, media_id: str) -> web.Response:
        upload = self.state.uploads.get(media_id)
        if upload is None:
            return self._error(100, f"Media {media_id} not found", subcode=33)
        return web.json_response(
            {
                "messaging_product": "whatsapp",
                "url": f"{self.base_url}/_download/{media_id}",
                "mime_type": upload.mime_type,
                "sha256": "fake",
                "file_size": len(upload.data),
                "id": media_id,
            }
        )

    async def _media(self, request: web.Request) -> web.Response:
        if not request.content_type.startswith("multipart/"):
            raise _Invalid("Upload media as multipart/form-data")
        form = await request.post()
        if form.get("messaging_product") != "whatsapp":
            raise _Invalid("The parameter messaging_product is required.")
        file = form.get("file")
        if not isinstance(file, web.FileField):
            raise _Invalid("The parameter file is required.")
        mime = str(form.get("type") or file.content_type)
        data = file.file.read()
        limit = _MEDIA_TYPES.get(mime)
        if limit is None:
            raise _Invalid(f"Param file must be a file with one of the following types: "
                           f"{', '.join(sorted(_MEDIA_TYPES))}. Received file of type '{mime}'.")
        if not data or len(data) > limit:
            raise _Invalid(f"Param file must be between 1 byte and {limit} bytes")
        media_id = str(900000000000000 + next(self._ids))
        self.state.uploads[media_id] = Upload(media_id, data, mime, file.filename)
        return web.json_response({"id": media_id})

    async def _messages(self, request: web.Request) -> web.Response:
        try:
            payload = await request.json()
        except ValueError:
            raise _Invalid("Request body is not valid JSON") from None
        if not isinstance(payload, dict):
            raise _Invalid("Request body must be a JSON object")
        if payload.get("messaging_product") != "whatsapp":
            raise _Invalid("The parameter messaging_product is required.")
        if payload.get("status") == "read":
            message_id = payload.get("message_id")
            if not isinstance(message_id, str) or not message_id:
                raise _Invalid("The parameter message_id is required.")
            self.state.read_marks.append(message_id)
            return web.json_response({"success": True})
        if payload.get("recipient_type", "individual") != "individual":
            raise _Invalid("Param recipient_type must be one of {INDIVIDUAL}")
        to = payload.get("to")
        if not isinstance(to, str) or not to:
            raise _Invalid("The parameter to is required.")
        digits = to.removeprefix("+")
        if not digits.isdigit() or not 8 <= len(digits) <= 15:
            raise _Invalid(f"Invalid recipient phone number: {to}")
        kind = payload.get("type", "text")
        if kind not in _TYPES:
            raise _Invalid(f"Param type must be one of {{{', '.join(sorted(_TYPES))}}}")
        obj = payload.get(kind)
        if not isinstance(obj, dict):
            raise _Invalid(f"The parameter {kind} is required.")
        _VALIDATORS[kind](self, obj)

        failure = self._take_failure(digits)
        if failure is not None:
            return self._error(
                failure.code, http_status=failure.http_status, retry_after=failure.retry_after
            )
        if kind in _FREE_FORM and digits in self.state.closed:
            return self._error(131047)
        wamid = "wamid." + base64.b64encode(
            f"fake:{digits}:{next(self._ids):010d}".encode()
        ).decode()
        assert self._cond is not None
        async with self._cond:
            self.state.sent.append(SentMessage(digits, kind, payload, wamid))
            self._cond.notify_all()
        message: dict[str, Any] = {"id": wamid}
        if kind == "template":
            message["message_status"] = "accepted"
        return web.json_response(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": digits}],
                "messages": [message],
            }
        )

    def _take_failure(self, to: str) -> _Failure | None:
        for failure in self.state.failures:
            if failure.times > 0 and failure.to in (None, to):
                failure.times -= 1
                return failure
        return None

    # --- validation of each message type ---------------------------------------------------

    def _text(self, obj: Mapping[str, Any]) -> None:
        body = obj.get("body")
        _need_str(body, "text['body']", 4096)
        if "preview_url" in obj and not isinstance(obj["preview_url"], bool):
            raise _Invalid("Param text['preview_url'] must be a boolean")

    def _interactive(self, obj: Mapping[str, Any]) -> None:
        kind = obj.get("type")
        if kind not in ("button", "list"):
            raise _Invalid("Param interactive['type'] must be one of {BUTTON, LIST, ...}")
        body = obj.get("body")
        if not isinstance(body, dict):
            raise _Invalid("The parameter interactive['body'] is required.")
        _need_str(body.get("text"), "interactive['body']['text']", 1024)
        header = obj.get("header")
        if header is not None:
            if not isinstance(header, dict) or header.get("type") != "text":
                raise _Invalid("Param interactive['header']['type'] must be text here")
            _need_str(header.get("text"), "interactive['header']['text']", 60)
        footer = obj.get("footer")
        if footer is not None:
            _need_str(_map(footer).get("text"), "interactive['footer']['text']", 60)
        action = obj.get("action")
        if not isinstance(action, dict):
            raise _Invalid("The parameter interactive['action'] is required.")
        if kind == "button":
            _buttons(action)
        else:
            _list(action)

    def _template(self, obj: Mapping[str, Any]) -> None:
        name = obj.get("name")
        _need_str(name, "template['name']", 512)
        language = _map(obj.get("language"))
        _need_str(language.get("code"), "template['language']['code']", 15)
        params = 0
        quick = 0
        header = False
        for comp in obj.get("components", []):
            comp = _map(comp)
            if comp.get("type") == "header":
                values = comp.get("parameters", [])
                if len(values) != 1 or _map(values[0]).get("type") != "document":
                    raise _Invalid("This header takes one document parameter")
                self._media_object(_map(_map(values[0]).get("document")), "document")
                header = True
            elif comp.get("type") == "body":
                for p in comp.get("parameters", []):
                    p = _map(p)
                    if p.get("type") != "text":
                        raise _Invalid("Param type must be text in the body")
                    text = p.get("text")
                    _need_str(text, "template body parameter", 1024)
                    assert isinstance(text, str)
                    if "\n" in text or "\t" in text or "     " in text:
                        raise _Invalid(
                            "Param text cannot have new-line/tab characters or more than 4 "
                            "consecutive spaces",
                            code=132018,
                        )
                    params += 1
            elif comp.get("type") == "button":
                if comp.get("sub_type") != "quick_reply" or str(comp.get("index")) != str(quick):
                    raise _Invalid("Button components need sub_type quick_reply and index 0, 1…")
                payloads = comp.get("parameters", [])
                if len(payloads) != 1 or _map(payloads[0]).get("type") != "payload":
                    raise _Invalid("A quick-reply button needs one payload parameter")
                _need_str(_map(payloads[0]).get("payload"), "quick-reply payload", 1000)
                quick += 1
        expected = self.state.templates.get(str(name))
        if self.state.templates and expected is None:
            raise _Invalid(f"template name ({name}) does not exist in {language.get('code')}",
                           code=132001)
        if str(name) in self.state.document_headers and not header:
            raise _Invalid(f"template {name} has a document header: a document is required",
                           code=132012)
        if expected is not None and expected != (params, quick):
            raise _Invalid(
                f"body: number of localizable_params ({params}) does not match the expected "
                f"number of params ({expected[0]})",
                code=132000,
            )

    def _media_object(self, obj: Mapping[str, Any], kind: str) -> None:
        has_id, has_link = "id" in obj, "link" in obj
        if has_id == has_link:
            raise _Invalid(f"Param {kind} must have exactly one of id and link")
        if has_id and str(obj["id"]) not in self.state.uploads:
            raise _Invalid(f"Param {kind}['id'] is not a valid media id", code=131053)
        if has_link and not str(obj["link"]).startswith(("https://", "http://")):
            raise _Invalid(f"Param {kind}['link'] must be a valid URL")
        if "caption" in obj:
            _need_str(obj["caption"], f"{kind}['caption']", 1024)

    def _image(self, obj: Mapping[str, Any]) -> None:
        self._media_object(obj, "image")

    def _document(self, obj: Mapping[str, Any]) -> None:
        self._media_object(obj, "document")
        if "filename" in obj:
            _need_str(obj["filename"], "document['filename']", 240)

    def _other(self, obj: Mapping[str, Any]) -> None:
        pass


_VALIDATORS: dict[str, Callable[[FakeWhatsApp, Mapping[str, Any]], None]] = {
    "text": FakeWhatsApp._text,
    "interactive": FakeWhatsApp._interactive,
    "template": FakeWhatsApp._template,
    "image": FakeWhatsApp._image,
    "document": FakeWhatsApp._document,
    **{k: FakeWhatsApp._other for k in ("audio", "video", "sticker", "location", "contacts",
                                         "reaction")},
}


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _need_str(value: Any, name: str, limit: int) -> None:
    if not isinstance(value, str) or not value:
        raise _Invalid(f"The parameter {name} is required.")
    if len(value) > limit:
        raise _Invalid(f"Param {name} must be at most {limit} characters long.")


def _buttons(action: Mapping[str, Any]) -> None:
    buttons = action.get("buttons")
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
        raise _Invalid("Param interactive['action']['buttons'] must have 1 to 3 items")
    ids, titles = set(), set()
    for b in buttons:
        b = _map(b)
        if b.get("type") != "reply":
            raise _Invalid("Param interactive['action']['buttons'][]['type'] must be reply")
        reply = _map(b.get("reply"))
        _need_str(reply.get("id"), "button reply id", 256)
        _need_str(reply.get("title"), "interactive['action']['buttons'][]['reply']['title']", 20)
        ids.add(reply["id"])
        titles.add(reply["title"])
    if len(ids) != len(buttons):
        raise _Invalid("Button ids must be unique")
    if len(titles) != len(buttons):
        raise _Invalid("Button titles must be unique")


def _list(action: Mapping[str, Any]) -> None:
    _need_str(action.get("button"), "interactive['action']['button']", 20)
    sections = action.get("sections")
    if not isinstance(sections, list) or not 1 <= len(sections) <= 10:
        raise _Invalid("Param interactive['action']['sections'] must have 1 to 10 items")
    rows = 0
    ids = set()
    for s in sections:
        s = _map(s)
        if len(sections) > 1 or "title" in s:
            _need_str(s.get("title"), "section title", 24)
        section_rows = s.get("rows")
        if not isinstance(section_rows, list) or not section_rows:
            raise _Invalid("Each section needs at least one row")
        for r in section_rows:
            r = _map(r)
            _need_str(r.get("id"), "row id", 200)
            _need_str(r.get("title"), "row title", 24)
            if "description" in r:
                _need_str(r["description"], "row description", 72)
            ids.add(r["id"])
            rows += 1
    if rows > 10:
        raise _Invalid(f"Total row count exceed max allowed count: 10 (got {rows})", code=131009)
    if len(ids) != rows:
        raise _Invalid("Row ids must be unique", code=131009)
