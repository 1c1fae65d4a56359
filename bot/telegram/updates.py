"""Telegram updates as Telegram sends them (JSON), read without building PTB objects.

A stored update is read once per handling; building python-telegram-bot's `Update` for it
would cost more than the rest of a press's handling (docs/benchmarks-attendance.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.types import Attachment, Incoming
from db.telegram_updates import StoredUpdate

__all__ = ["TELEGRAM_UPDATES", "chat_key", "stored", "to_incoming"]

TELEGRAM_UPDATES = ["message", "callback_query"]  # what the bot asks Telegram for


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _id(value: Any) -> str | None:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else None


def chat_key(update: Mapping[str, Any]) -> str:
    """The chat whose updates must be handled in order (the sender's id without a chat)."""
    for kind in ("message", "edited_message", "callback_query", "my_chat_member"):
        item = _map(update.get(kind))
        if not item:
            continue
        chat = _map(item.get("chat")) or _map(_map(item.get("message")).get("chat"))
        found = _id(chat.get("id")) or _id(_map(item.get("from")).get("id"))
        if found:
            return found
    return "-"


def stored(update: Mapping[str, Any]) -> StoredUpdate | None:
    """The row to store for an update (None: not an update, it has no update_id)."""
    update_id = update.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool):
        return None
    return StoredUpdate(update_id, chat_key(update), update)


def _full_name(user: Mapping[str, Any]) -> str:
    first, last = str(user.get("first_name") or ""), user.get("last_name")
    return f"{first} {last}" if last else first


def _attachments(msg: Mapping[str, Any]) -> tuple[Attachment | None, Attachment | None]:
    doc = None
    d = _map(msg.get("document"))
    if d:
        doc = Attachment(str(d.get("file_name") or "berkas"), d.get("mime_type"),
                         d.get("file_size"), d.get("file_id"))
    photo = None
    sizes = msg.get("photo")
    if isinstance(sizes, list) and sizes:
        p = _map(sizes[-1])  # the largest
        photo = Attachment("foto.jpg", "image/jpeg", p.get("file_size"), p.get("file_id"))
    return doc, photo


def _callback(q: Mapping[str, Any]) -> Incoming | None:
    user = _map(q.get("from"))
    user_id = _id(user.get("id"))
    if user_id is None:
        return None
    msg = _map(q.get("message"))
    chat = _map(msg.get("chat"))
    return Incoming(
        "telegram", user_id, _id(chat.get("id")) or user_id,
        callback=str(q.get("data") or ""), callback_id=str(q.get("id") or ""),
        display_name=_full_name(user), is_private=not chat or chat.get("type") == "private",
        message_id=_id(msg.get("message_id")),
    )


def to_incoming(update: Mapping[str, Any]) -> Incoming | None:
    """The neutral form of a Telegram update (None for updates the bot does not handle)."""
    q = _map(update.get("callback_query"))
    if q:
        return _callback(q)
    msg = _map(update.get("message"))
    user = _map(msg.get("from"))
    user_id, chat_id = _id(user.get("id")), _id(_map(msg.get("chat")).get("id"))
    if user_id is None or chat_id is None:
        return None
    doc, photo = _attachments(msg)
    reply_to = _map(msg.get("reply_to_message"))
    text = msg.get("text") if msg.get("text") is not None else msg.get("caption")
    return Incoming(
        "telegram", user_id, chat_id, text=str(text) if text is not None else None,
        document=doc, photo=photo, display_name=_full_name(user),
        is_private=_map(msg.get("chat")).get("type") == "private",
        message_id=_id(msg.get("message_id")),
        reply_to_message_id=_id(reply_to.get("message_id")) if reply_to else None,
        reply_to_text=reply_to.get("text") if reply_to else None,
    )
