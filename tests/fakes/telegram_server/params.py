"""Bot API call parameters decoded from the query string and a form, JSON or multipart body."""

from __future__ import annotations

import contextlib
import json
import re
from urllib.parse import unquote, unquote_plus

from tests.fakes.telegram_server.errors import ApiError
from tests.fakes.telegram_server.http_server import HttpRequest
from tests.fakes.telegram_server.records import JSON, UploadedFile

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


def decode_params(request: HttpRequest) -> tuple[JSON, dict[str, UploadedFile]]:
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
