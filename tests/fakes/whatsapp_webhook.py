"""Build and post signed WhatsApp webhook bodies, as Meta would send them, for tests."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

import aiohttp

__all__ = [
    "DEFAULT_PHONE_NUMBER_ID",
    "button_reply_body",
    "document_body",
    "envelope",
    "image_body",
    "list_reply_body",
    "post_signed",
    "sign",
    "status_body",
    "template_button_body",
    "text_body",
]

DEFAULT_PHONE_NUMBER_ID = "1122334455667"
DEFAULT_DISPLAY_NUMBER = "6285100000000"
WABA_ID = "102290129340398"
_FIXED_TIME = datetime(2025, 3, 3, 0, 0, tzinfo=UTC)
_ids = itertools.count(1)

Signature = Literal["good", "bad", "missing"]


def _wamid() -> str:
    return f"wamid.IN{next(_ids):012d}"


def _ts(at: datetime | None) -> str:
    return str(int((at or _FIXED_TIME).timestamp()))


def envelope(
    value: Mapping[str, Any],
    *,
    phone_number_id: str = DEFAULT_PHONE_NUMBER_ID,
    field: str = "messages",
) -> dict[str, Any]:
    """Wrap one change `value` in the object/entry/changes structure of a webhook."""
    full = {
        "messaging_product": "whatsapp",
        "metadata": {
            "display_phone_number": DEFAULT_DISPLAY_NUMBER,
            "phone_number_id": phone_number_id,
        },
        **value,
    }
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": WABA_ID, "changes": [{"value": full, "field": field}]}],
    }


def _message_body(
    wa_id: str,
    message: Mapping[str, Any],
    *,
    name: str,
    phone_number_id: str,
    wamid: str | None,
    context_wamid: str | None,
    at: datetime | None,
) -> dict[str, Any]:
    msg: dict[str, Any] = {
        "from": wa_id,
        "id": wamid or _wamid(),
        "timestamp": _ts(at),
        **message,
    }
    if context_wamid:
        msg["context"] = {"from": DEFAULT_DISPLAY_NUMBER, "id": context_wamid}
    value = {
        "contacts": [{"profile": {"name": name}, "wa_id": wa_id}],
        "messages": [msg],
    }
    return envelope(value, phone_number_id=phone_number_id)


def text_body(
    wa_id: str,
    text: str,
    *,
    name: str = "Budi Santoso",
    phone_number_id: str = DEFAULT_PHONE_NUMBER_ID,
    wamid: str | None = None,
    context_wamid: str | None = None,
    at: datetime | None = None,
) -> dict[str, Any]:
    """A person sent a text."""
    return _message_body(
        wa_id,
        {"type": "text", "text": {"body": text}},
        name=name,
        phone_number_id=phone_number_id,
        wamid=wamid,
        context_wamid=context_wamid,
        at=at,
    )


def button_reply_body(
    wa_id: str,
    reply_id: str,
    title: str = "Hadir",
    *,
    context_wamid: str = "wamid.OUT000000000001",
    name: str = "Budi Santoso",
    phone_number_id: str = DEFAULT_PHONE_NUMBER_ID,
    wamid: str | None = None,
) -> dict[str, Any]:
    """A person pressed a reply button of an interactive message."""
    return _message_body(
        wa_id,
        {
            "type": "interactive",
            "interactive": {
                "type": "button_reply",
                "button_reply": {"id": reply_id, "title": title},
            },
        },
        name=name,
        phone_number_id=phone_number_id,
        wamid=wamid,
        context_wamid=context_wamid,
        at=None,
    )


def list_reply_body(
    wa_id: str,
    reply_id: str,
    title: str = "Pilihan",
    description: str = "",
    *,
    context_wamid: str = "wamid.OUT000000000001",
    name: str = "Budi Santoso",
    phone_number_id: str = DEFAULT_PHONE_NUMBER_ID,
    wamid: str | None = None,
) -> dict[str, Any]:
    """A person chose a row of a list message."""
    reply: dict[str, Any] = {"id": reply_id, "title": title}
    if description:
        reply["description"] = description
    return _message_body(
        wa_id,
        {"type": "interactive", "interactive": {"type": "list_reply", "list_reply": reply}},
        name=name,
        phone_number_id=phone_number_id,
        wamid=wamid,
        context_wamid=context_wamid,
        at=None,
    )


def template_button_body(
    wa_id: str,
    payload: str,
    text: str = "Saya hadir",
    *,
    context_wamid: str | None = "wamid.OUT000000000001",
    name: str = "Budi Santoso",
    phone_number_id: str = DEFAULT_PHONE_NUMBER_ID,
    wamid: str | None = None,
) -> dict[str, Any]:
    """A person pressed a quick-reply button of a template message."""
    return _message_body(
        wa_id,
        {"type": "button", "button": {"payload": payload, "text": text}},
        name=name,
        phone_number_id=phone_number_id,
        wamid=wamid,
        context_wamid=context_wamid,
        at=None,
    )


def document_body(
    wa_id: str,
    media_id: str,
    filename: str = "jadwal.xlsx",
    mime_type: str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    caption: str = "",
    *,
    name: str = "Budi Santoso",
    phone_number_id: str = DEFAULT_PHONE_NUMBER_ID,
    wamid: str | None = None,
) -> dict[str, Any]:
    """A person sent a document."""
    document: dict[str, Any] = {
        "filename": filename,
        "mime_type": mime_type,
        "sha256": "fake-sha256",
        "id": media_id,
    }
    if caption:
        document["caption"] = caption
    return _message_body(
        wa_id,
        {"type": "document", "document": document},
        name=name,
        phone_number_id=phone_number_id,
        wamid=wamid,
        context_wamid=None,
        at=None,
    )


def image_body(
    wa_id: str,
    media_id: str,
    caption: str = "",
    *,
    name: str = "Budi Santoso",
    phone_number_id: str = DEFAULT_PHONE_NUMBER_ID,
    wamid: str | None = None,
) -> dict[str, Any]:
    """A person sent a photo."""
    image: dict[str, Any] = {"mime_type": "image/jpeg", "sha256": "fake-sha256", "id": media_id}
    if caption:
        image["caption"] = caption
    return _message_body(
        wa_id,
        {"type": "image", "image": image},
        name=name,
        phone_number_id=phone_number_id,
        wamid=wamid,
        context_wamid=None,
        at=None,
    )


def status_body(
    wamid: str,
    recipient: str,
    status: str,
    *,
    error_code: int | None = None,
    error_title: str = "",
    phone_number_id: str = DEFAULT_PHONE_NUMBER_ID,
    at: datetime | None = None,
) -> dict[str, Any]:
    """Meta reports what happened to a message the bot sent."""
    item: dict[str, Any] = {
        "id": wamid,
        "status": status,
        "timestamp": _ts(at),
        "recipient_id": recipient,
    }
    if error_code is not None:
        item["errors"] = [
            {
                "code": error_code,
                "title": error_title or ERROR_TITLES.get(error_code, "Error"),
                "message": error_title or ERROR_TITLES.get(error_code, "Error"),
                "error_data": {"details": ERROR_TITLES.get(error_code, "Error")},
            }
        ]
    return envelope({"statuses": [item]}, phone_number_id=phone_number_id)


ERROR_TITLES = {
    131026: "Message undeliverable",
    131047: "Re-engagement message",
    131049: "This message was not delivered to maintain healthy ecosystem engagement.",
    131056: "(Business Account, Consumer Account) pair rate limit hit",
    130429: "Rate limit hit",
}


def sign(raw: bytes, app_secret: str) -> str:
    """The X-Hub-Signature-256 header value for `raw`."""
    return "sha256=" + hmac.new(app_secret.encode(), raw, hashlib.sha256).hexdigest()


async def post_signed(
    url: str,
    body: Mapping[str, Any] | Sequence[Any] | bytes,
    app_secret: str,
    *,
    signature: Signature = "good",
    session: aiohttp.ClientSession | None = None,
) -> tuple[int, str]:
    """POST `body` to the bot's webhook `url` as Meta does; return (status, response text).

    `signature="bad"` signs with the wrong secret, `"missing"` sends no signature header.
    """
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if signature == "good":
        headers["X-Hub-Signature-256"] = sign(raw, app_secret)
    elif signature == "bad":
        headers["X-Hub-Signature-256"] = sign(raw, app_secret + "-wrong")
    own = session is None
    http = session or aiohttp.ClientSession()
    try:
        async with http.post(url, data=raw, headers=headers) as resp:
            return resp.status, await resp.text()
    finally:
        if own:
            await http.close()
