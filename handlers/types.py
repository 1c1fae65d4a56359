"""Neutral message types shared by the core and every channel adapter."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "Attachment",
    "Button",
    "Incoming",
    "Keyboard",
    "Reply",
]

Channel = Literal["telegram", "whatsapp", "console"]


@dataclass(frozen=True)
class Attachment:
    """A file a person sent, or a file the bot sends."""

    filename: str
    mime_type: str | None = None
    size: int | None = None
    file_id: str | None = None  # platform reference for an incoming file
    content: bytes | None = None  # bytes for an outgoing file

    def to_dict(self) -> dict[str, Any]:
        """Serialise for the outbox (bytes are not stored: use file_id or a path)."""
        return {"filename": self.filename, "mime_type": self.mime_type, "file_id": self.file_id}


@dataclass(frozen=True)
class Incoming:
    """One thing a person did: a text, a button press or a file, on any channel."""

    channel: Channel
    user_id: str  # the platform's id of the person (Telegram user id, WhatsApp number)
    chat_id: str  # where replies go
    text: str | None = None
    callback: str | None = None  # signed callback data of a pressed button
    callback_id: str | None = None  # the platform's id of the press (Telegram: to answer it)
    document: Attachment | None = None
    photo: Attachment | None = None
    display_name: str = ""
    is_private: bool = True
    message_id: str | None = None
    reply_to_message_id: str | None = None  # the bot message this one replies to
    reply_to_text: str | None = None


@dataclass(frozen=True)
class Button:
    """An inline button: pressing it sends `data` back (or opens `url`)."""

    label: str
    data: str = ""
    url: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Serialise for the outbox."""
        return {"label": self.label, "data": self.data, "url": self.url}


@dataclass(frozen=True)
class Keyboard:
    """The persistent main keyboard (Telegram reply keyboard); `remove` hides it."""

    rows: tuple[tuple[str, ...], ...] = ()
    remove: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Serialise for the outbox."""
        return {"rows": [list(r) for r in self.rows], "remove": self.remove}


@dataclass(frozen=True)
class Reply:
    """One message the bot sends.

    `text` uses a small HTML subset (<b>, <i>, <u>, <code>, <a href>) that every
    adapter renders for its platform; text that came from people is escaped with
    `handlers.text.esc` before it is put in.

    `meta` keys adapters understand: `notice_only` (answering a button press, the notice
    says it all: a channel with toasts shows only the notice, others send the text) and
    `alert` (show the notice as a dialog the person dismisses).
    """

    text: str = ""
    buttons: Sequence[Sequence[Button]] = ()
    keyboard: Keyboard | None = None
    document: Attachment | None = None
    photo: Attachment | None = None
    edit: bool = False  # replace the message whose button was pressed
    notice: str | None = None  # short toast for a button press (answerCallbackQuery)
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Serialise for the outbox."""
        return {
            "text": self.text,
            "buttons": [[b.to_dict() for b in row] for row in self.buttons],
            "keyboard": self.keyboard.to_dict() if self.keyboard else None,
            "document": self.document.to_dict() if self.document else None,
            "photo": self.photo.to_dict() if self.photo else None,
            "meta": self.meta,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Reply:
        """Rebuild a reply stored by `to_dict`."""
        kb = data.get("keyboard")
        doc = data.get("document")
        photo = data.get("photo")
        return cls(
            text=data.get("text", ""),
            buttons=tuple(
                tuple(Button(b["label"], b.get("data", ""), b.get("url")) for b in row)
                for row in data.get("buttons", [])
            ),
            keyboard=Keyboard(tuple(tuple(r) for r in kb["rows"]), kb["remove"]) if kb else None,
            document=Attachment(**doc) if doc else None,
            photo=Attachment(**photo) if photo else None,
            meta=dict(data.get("meta") or {}),
        )
