"""Neutral message types shared by the core and every channel adapter."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

__all__ = [
    "Attachment",
    "Button",
    "Incoming",
    "Keyboard",
    "Reply",
    "TemplateRef",
]


@dataclass(frozen=True)
class Attachment:
    """A file a person sent, or a file the bot sends."""

    filename: str
    mime_type: str | None = None
    size: int | None = None
    file_id: str | None = None  # platform reference for an incoming file
    content: bytes | None = None  # bytes for an outgoing file
    # A file made when it is sent, never stored: "certificate:123" names what the outbox
    # worker's renderer makes the bytes of (see schedules.certificate_delivery).
    source: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Serialise for the outbox (bytes are not stored: use file_id, a path or a source)."""
        data = {"filename": self.filename, "mime_type": self.mime_type, "file_id": self.file_id}
        if self.source is not None:  # only when set: earlier payloads keep their digest
            data["source"] = self.source
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Attachment:
        """Rebuild an attachment stored by `to_dict`."""
        return cls(data["filename"], data.get("mime_type"), data.get("size"), data.get("file_id"),
                   source=data.get("source"))


@dataclass(frozen=True)
class Incoming:
    """One thing a person did: a text, a button press or a file, on any channel."""

    channel: str  # the name of the channel it came from (see core.channels)
    user_id: str  # the platform's id of the person (Telegram user id, WhatsApp number)
    chat_id: str  # where replies go
    text: str | None = None
    callback: str | None = None  # signed callback data of a pressed button
    callback_id: str | None = None  # the platform's id of the press (to answer it)
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
class TemplateRef:
    """The approved template that carries a message where free-form text is not allowed
    (WhatsApp outside its 24-hour window): which kind, its parameters, its quick replies.
    A channel maps the kind to a template name of its own."""

    kind: str  # menu | reminder | attendance | announcement | answer | certificate
    params: tuple[str, ...] = ()
    quick_replies: tuple[str, ...] = ()
    # "document": the template's header carries the reply's document (a certificate).
    header: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Serialise for the outbox."""
        data: dict[str, Any] = {"kind": self.kind, "params": list(self.params)}
        if self.quick_replies:
            data["quick_replies"] = list(self.quick_replies)
        if self.header:
            data["header"] = self.header
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TemplateRef:
        """Rebuild a reference stored by `to_dict` ("name_setting" is an early spelling of
        "kind", still found in payloads stored by the first releases)."""
        return cls(
            str(data.get("kind") or data.get("name_setting") or ""),
            tuple(str(p) for p in data.get("params") or ()),
            tuple(str(q) for q in data.get("quick_replies") or ()),
            str(data["header"]) if data.get("header") else None,
        )


# Keys of the typed fields below, as the first releases stored them in `Reply.meta`.
_OLD_META = ("notice_only", "alert", "edit_message_id", "force_template", "sign_buttons", "plan",
             "preview_url")


@dataclass(frozen=True)
class Reply:
    """One message the bot sends.

    `text` uses a small HTML subset (<b>, <i>, <u>, <code>, <a href>) that every
    adapter renders for its platform; text that came from people is escaped with
    `core.text.esc` before it is put in.
    """

    text: str = ""
    buttons: Sequence[Sequence[Button]] = ()
    keyboard: Keyboard | None = None
    document: Attachment | None = None
    photo: Attachment | None = None
    edit: bool = False  # replace the message whose button was pressed
    notice: str | None = None  # short toast for a button press
    # Answering a button press, the notice says it all: a channel with toasts shows only
    # the notice, others send the text.
    notice_only: bool = False
    alert: bool = False  # show the notice as a dialog the person dismisses
    # Sent on the bot's own initiative: replace the text of this earlier message (on channels
    # that can edit) instead of sending a new one.
    edit_message_id: str | None = None
    template: TemplateRef | None = None  # the template to use where free-form is not allowed
    force_template: bool = False  # use the template even inside the window (after a 131047)
    sign_buttons: bool = False  # a shared payload: sign the button data for each recipient
    plan: str | None = None  # the nudge plan (menu, reminder, prompt) this message belongs to
    preview: bool | None = None  # link previews: None lets the channel decide

    def to_dict(self) -> dict[str, Any]:
        """Serialise for the outbox."""
        data: dict[str, Any] = {
            "text": self.text,
            "buttons": [[b.to_dict() for b in row] for row in self.buttons],
            "keyboard": self.keyboard.to_dict() if self.keyboard else None,
            "document": self.document.to_dict() if self.document else None,
            "photo": self.photo.to_dict() if self.photo else None,
        }
        # Only what is set, so that a payload's digest is stable and small.
        extras: dict[str, Any] = {
            "notice": self.notice, "notice_only": self.notice_only, "alert": self.alert,
            "edit": self.edit, "edit_message_id": self.edit_message_id,
            "template": self.template.to_dict() if self.template else None,
            "force_template": self.force_template, "sign_buttons": self.sign_buttons,
            "plan": self.plan, "preview": self.preview,
        }
        data.update({k: v for k, v in extras.items() if v != _DEFAULTS[k]})
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Reply:
        """Rebuild a reply stored by `to_dict`, or by the first releases (which kept the
        typed fields in a `meta` dict)."""
        old = dict(data.get("meta") or {})
        merged = {**{k: old[k] for k in _OLD_META if k in old}, **data}
        if "preview_url" in merged and "preview" not in merged:
            merged["preview"] = bool(merged["preview_url"])
        template = merged.get("template", old.get("template"))
        kb = merged.get("keyboard")
        doc = merged.get("document")
        photo = merged.get("photo")
        edit_id = merged.get("edit_message_id")
        return cls(
            text=merged.get("text", ""),
            buttons=tuple(
                tuple(Button(b["label"], b.get("data", ""), b.get("url")) for b in row)
                for row in merged.get("buttons", [])
            ),
            keyboard=Keyboard(tuple(tuple(r) for r in kb["rows"]), kb["remove"]) if kb else None,
            document=Attachment.from_dict(doc) if doc else None,
            photo=Attachment.from_dict(photo) if photo else None,
            edit=bool(merged.get("edit", False)),
            notice=merged.get("notice"),
            notice_only=bool(merged.get("notice_only", False)),
            alert=bool(merged.get("alert", False)),
            edit_message_id=str(edit_id) if edit_id is not None else None,
            template=TemplateRef.from_dict(template) if isinstance(template, Mapping) else None,
            force_template=bool(merged.get("force_template", False)),
            sign_buttons=bool(merged.get("sign_buttons", False)),
            plan=merged.get("plan"),
            preview=merged.get("preview"),
        )


# What `Reply.to_dict` leaves out: the fields at their defaults.
_DEFAULTS: dict[str, Any] = {
    f.name: f.default for f in fields(Reply) if f.name not in ("text", "buttons")
} | {"template": None}
