"""Build WhatsApp message objects (the part of a /messages request after `to`), with limits."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "BODY_LIMIT",
    "BUTTON_ID_LIMIT",
    "BUTTON_TITLE_LIMIT",
    "CAPTION_LIMIT",
    "FOOTER_LIMIT",
    "HEADER_LIMIT",
    "INTERACTIVE_BODY_LIMIT",
    "LIST_BUTTON_LIMIT",
    "MAX_BUTTONS",
    "MAX_ROWS",
    "ROW_DESCRIPTION_LIMIT",
    "ROW_ID_LIMIT",
    "ROW_TITLE_LIMIT",
    "SECTION_TITLE_LIMIT",
    "ListRow",
    "ListSection",
    "MediaKind",
    "ReplyButton",
    "buttons_message",
    "list_message",
    "media_message",
    "template_message",
    "template_text",
    "text_message",
]

# Limits from Meta's Cloud API reference (messages, interactive object).
BODY_LIMIT = 4096  # text message body
INTERACTIVE_BODY_LIMIT = 1024  # body of button and list messages
CAPTION_LIMIT = 1024  # document / image caption
HEADER_LIMIT = 60
FOOTER_LIMIT = 60
MAX_BUTTONS = 3
BUTTON_TITLE_LIMIT = 20
BUTTON_ID_LIMIT = 256
MAX_ROWS = 10  # across all sections of one list
LIST_BUTTON_LIMIT = 20  # the button that opens the list
SECTION_TITLE_LIMIT = 24
ROW_TITLE_LIMIT = 24
ROW_ID_LIMIT = 200
ROW_DESCRIPTION_LIMIT = 72

MediaKind = Literal["document", "image"]


@dataclass(frozen=True)
class ReplyButton:
    """A reply button: pressing it sends `id` back in a `button_reply`."""

    id: str
    title: str


@dataclass(frozen=True)
class ListRow:
    """One choice of a list message: choosing it sends `id` back in a `list_reply`."""

    id: str
    title: str
    description: str = ""


@dataclass(frozen=True)
class ListSection:
    """A titled group of rows (the title is required when a list has several sections)."""

    rows: Sequence[ListRow]
    title: str = ""


def _check(name: str, value: str, limit: int, *, required: bool = True) -> None:
    if required and not value:
        raise ValueError(f"{name} is empty")
    if len(value) > limit:
        raise ValueError(f"{name} is longer than {limit} characters: {value[:40]!r}…")


def _interactive(
    kind: str, body: str, action: dict[str, Any], header: str, footer: str
) -> dict[str, Any]:
    _check("body", body, INTERACTIVE_BODY_LIMIT)
    _check("header", header, HEADER_LIMIT, required=False)
    _check("footer", footer, FOOTER_LIMIT, required=False)
    interactive: dict[str, Any] = {"type": kind, "body": {"text": body}, "action": action}
    if header:
        interactive["header"] = {"type": "text", "text": header}
    if footer:
        interactive["footer"] = {"text": footer}
    return {"type": "interactive", "interactive": interactive}


def text_message(body: str, *, preview_url: bool = False) -> dict[str, Any]:
    """A text message (`preview_url` asks WhatsApp to show a preview of the first link)."""
    _check("text", body, BODY_LIMIT)
    return {"type": "text", "text": {"body": body, "preview_url": preview_url}}


def buttons_message(
    body: str, buttons: Sequence[ReplyButton], *, header: str = "", footer: str = ""
) -> dict[str, Any]:
    """An interactive message with one to three reply buttons."""
    if not 1 <= len(buttons) <= MAX_BUTTONS:
        raise ValueError(f"a button message needs 1 to {MAX_BUTTONS} buttons, got {len(buttons)}")
    if len({b.id for b in buttons}) != len(buttons):
        raise ValueError("button ids must be unique")
    for b in buttons:
        _check("button id", b.id, BUTTON_ID_LIMIT)
        _check("button title", b.title, BUTTON_TITLE_LIMIT)
    action = {
        "buttons": [{"type": "reply", "reply": {"id": b.id, "title": b.title}} for b in buttons]
    }
    return _interactive("button", body, action, header, footer)


def list_message(
    body: str,
    button: str,
    sections: Sequence[ListSection],
    *,
    header: str = "",
    footer: str = "",
) -> dict[str, Any]:
    """An interactive list: `button` opens it, at most ten rows in all."""
    _check("list button", button, LIST_BUTTON_LIMIT)
    rows = [r for s in sections for r in s.rows]
    if not 1 <= len(rows) <= MAX_ROWS:
        raise ValueError(f"a list needs 1 to {MAX_ROWS} rows, got {len(rows)}")
    if len({r.id for r in rows}) != len(rows):
        raise ValueError("row ids must be unique")
    out_sections = []
    for s in sections:
        _check("section title", s.title, SECTION_TITLE_LIMIT, required=len(sections) > 1)
        out_rows = []
        for r in s.rows:
            _check("row id", r.id, ROW_ID_LIMIT)
            _check("row title", r.title, ROW_TITLE_LIMIT)
            _check("row description", r.description, ROW_DESCRIPTION_LIMIT, required=False)
            row = {"id": r.id, "title": r.title}
            if r.description:
                row["description"] = r.description
            out_rows.append(row)
        section: dict[str, Any] = {"rows": out_rows}
        if s.title:
            section["title"] = s.title
        out_sections.append(section)
    return _interactive("list", body, {"button": button, "sections": out_sections}, header, footer)


_SPACES = re.compile(r"[ \u00a0]{4,}")


def template_text(value: str) -> str:
    """Make `value` acceptable as a template parameter.

    Meta refuses parameters with new lines, tabs or more than four spaces in a row.
    """
    flat = " ".join(part.strip() for part in value.replace("\t", " ").splitlines() if part.strip())
    return _SPACES.sub("   ", flat)


def template_message(
    name: str,
    language: str,
    params: Sequence[str] = (),
    *,
    quick_replies: Sequence[str] = (),
    header_document: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """A template message: body parameters {{1}}, {{2}}… and quick-reply button payloads.

    `quick_replies[i]` is the payload of the template's i-th quick-reply button;
    `header_document` (media id, file name) fills a template's document header.
    """
    if not name or not language:
        raise ValueError("a template needs a name and a language")
    components: list[dict[str, Any]] = []
    if header_document is not None:
        media_id, filename = header_document
        document: dict[str, Any] = {"id": media_id}
        if filename:
            document["filename"] = filename
        components.append(
            {"type": "header", "parameters": [{"type": "document", "document": document}]}
        )
    if params:
        components.append(
            {
                "type": "body",
                "parameters": [{"type": "text", "text": template_text(p) or "-"} for p in params],
            }
        )
    for index, payload in enumerate(quick_replies):
        components.append(
            {
                "type": "button",
                "sub_type": "quick_reply",
                "index": str(index),
                "parameters": [{"type": "payload", "payload": payload}],
            }
        )
    template: dict[str, Any] = {"name": name, "language": {"code": language}}
    if components:
        template["components"] = components
    return {"type": "template", "template": template}


def media_message(
    kind: MediaKind,
    *,
    media_id: str | None = None,
    link: str | None = None,
    caption: str = "",
    filename: str = "",
) -> dict[str, Any]:
    """A document or image message, by uploaded media id or by public https link."""
    if (media_id is None) == (link is None):
        raise ValueError("give exactly one of media_id and link")
    _check("caption", caption, CAPTION_LIMIT, required=False)
    media: dict[str, Any] = {"id": media_id} if media_id is not None else {"link": link}
    if caption:
        media["caption"] = caption
    if filename and kind == "document":
        media["filename"] = filename
    return {"type": kind, kind: media}
